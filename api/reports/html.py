"""A self-contained HTML report of an optimization result: one file, no network needed.

`render_html_report(result)` turns the result document of an optimization run (what
`graphs.optimization_run` writes to `result.json`: status, best, convergence, trials, market_view, plan,
risk, explanation, warnings, dataset, manifest, timings) into one HTML page with:

- a header (status, objective, best configuration),
- a convergence chart (best objective after each batch),
- a risk-return scatter of every trial in every scenario (x: annualised volatility in %,
  y: CAGR in %, one colour per scenario),
- a bar chart of the best configuration per scenario (Sharpe; CAGR and max drawdown in %),
- the configuration summary and the explanation,
- a risk report per scenario (one-day VaR 95 and CVaR 95, max drawdown: positive = loss, in %),
- a sortable table of the trials (client-side sort; the headers are buttons),
- the run manifest (models, prompt hashes, seed, dataset fingerprint, versions, usage).

The page is built from `api.reports.page` (plotly.js inlined, chart data as escaped JSON, every
string from the result HTML-escaped: the explanation comes from a model); the manifest section
is `api.reports.manifest`'s.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from api.reports.hedging import HEDGING_NOTE, TRADEOFF_NOTE, comparison_rows, tradeoff
from api.reports.manifest import html_section as manifest_section
from api.reports.markdown import benchmark_note, benchmark_rows, data_source, safe_rate_words
from api.reports.page import (
    escape,
    finite,
    json_script,
    number,
    page_head,
    percent,
    plotly_js,
    scroll_box,
)
from services.formatting import PARAMETERS, config_items, scenario, search_method

SCENARIO_METRICS = ("sharpe", "cagr", "max_drawdown")
"""The metrics of the scenario bar chart (Sharpe ratio; CAGR and max drawdown as fractions)."""

RISK_METRICS = (
    ("var_95", "VaR 95% (1 day)"),
    ("cvar_95", "CVaR 95% (1 day)"),
    ("max_drawdown", "Max drawdown"),
    ("volatility", "Volatility (annualised)"),
)
"""The risk report's columns: positive numbers meaning losses (volatility: a spread), shown as %."""

_NON_PARAMETER_COLUMNS = frozenset(
    {"trial", "batch", "config_id", "objective", "feasible", "violation", "sleeve"}
)


def _param(key: str, value: Any) -> str:
    """A parameter's value in its format (`services.formatting.PARAMETERS`), escaped."""
    term = PARAMETERS.get(key)
    return escape(value if term is None else term.write(value))


def _label(key: str) -> str:
    """A parameter's name in words."""
    term = PARAMETERS.get(key)
    return key.replace("_", " ") if term is None else term.label


def _sentence_case(text: str) -> str:
    """`text` with its first letter in upper case (the rest as written: "TPE" stays)."""
    return text[:1].upper() + text[1:]


def verdict_html(result: Mapping[str, Any]) -> str:
    """The benchmark verdict when the winner does not beat its benchmarks ("" otherwise): what
    the page says first."""
    verdict = result.get("benchmark_verdict") or {}
    if verdict.get("beats") is not False:
        return ""
    return f'<p class="verdict warning" id="benchmark-verdict"><strong>{escape(verdict["words"])}</strong></p>'


def limits_html(best: Mapping[str, Any]) -> str:
    """Each risk limit checked on the winner, with its statistic of the paths ("max drawdown
    ≤ 25.00% in 95% of bear paths: 23.10%"), met or not ("" without limits)."""
    items = [
        f"<li class='{'met' if row['met'] else 'not-met'}'>{escape(row['words'])}: "
        f"{'met' if row['met'] else 'NOT met'}</li>"
        for check in best.get("limits") or []
        for row in check.get("per_scenario") or []
    ]
    return f'<ul class="limits" id="limits">{"".join(items)}</ul>' if items else ""


def _scenario_names(result: Mapping[str, Any], trials: Sequence[Mapping[str, Any]]) -> list[str]:
    best = result.get("best") or {}
    names = list((best.get("scenarios") or {}).keys())
    for row in trials[:1]:
        for key in row:
            if "." in key:
                name = key.split(".", 1)[0]
                if name not in names:
                    names.append(name)
    return names


def _parameter_columns(result: Mapping[str, Any], trials: Sequence[Mapping[str, Any]]) -> list[str]:
    columns: list[str] = []
    for row in trials[:1]:
        columns = [k for k in row if "." not in k and k not in _NON_PARAMETER_COLUMNS]
    if not columns:
        config = (result.get("best") or {}).get("config") or {}
        columns = [k for k in config if k not in _NON_PARAMETER_COLUMNS]
    return columns


# --------------------------------------------------------------------------- chart data


def chart_data(
    result: Mapping[str, Any], trials: Sequence[Mapping[str, Any]] | None = None
) -> dict[str, Any]:
    """The data of the report's three charts (what the page embeds as JSON).

    `convergence`: `{"batch": [1..n], "best_objective": [...]}`; `risk_return`:
    `{"x": "volatility", "y": "cagr", "units": "%", "series": [{"scenario", "label", "trial",
    "x", "y", "feasible"}], "best": {...}}` with one point per trial in each scenario (x and y
    in % per year; null where a metric is missing; `label`: the scenario in words);
    `scenarios`: the best configuration's Sharpe, CAGR (%) and max drawdown (%, positive =
    loss) per scenario.
    """
    rows = list(trials if trials is not None else result.get("trials") or [])
    scenarios = _scenario_names(result, rows)
    convergence = [finite(v) for v in result.get("convergence") or []]

    def pct(value: Any) -> float | None:
        number = finite(value)
        return None if number is None else number * 100

    series = []
    for name in scenarios:
        series.append(
            {
                "scenario": name,
                "label": scenario(name),
                "trial": [row.get("trial", i) for i, row in enumerate(rows)],
                "x": [pct(row.get(f"{name}.volatility")) for row in rows],
                "y": [pct(row.get(f"{name}.cagr")) for row in rows],
                "feasible": [bool(row.get("feasible", True)) for row in rows],
            }
        )
    best = result.get("best") or {}
    best_metrics: Mapping[str, Mapping[str, Any]] = best.get("scenarios") or {}
    best_names = list(best_metrics)
    return {
        "convergence": {
            "batch": list(range(1, len(convergence) + 1)),
            "best_objective": convergence,
        },
        "risk_return": {
            "x": "volatility",
            "y": "cagr",
            "units": "% per year",
            "series": series,
            "best": {
                "trial": best.get("trial"),
                "scenario": best_names,
                "label": [scenario(n) for n in best_names],
                "x": [pct(best_metrics[n].get("volatility")) for n in best_names],
                "y": [pct(best_metrics[n].get("cagr")) for n in best_names],
            },
        },
        "scenarios": {
            "scenario": best_names,
            "label": [scenario(n) for n in best_names],
            "sharpe": [finite(best_metrics[n].get("sharpe")) for n in best_names],
            "cagr": [pct(best_metrics[n].get("cagr")) for n in best_names],
            "max_drawdown": [pct(best_metrics[n].get("max_drawdown")) for n in best_names],
        },
    }


# --------------------------------------------------------------------------- sections


def _header(result: Mapping[str, Any], title: str) -> str:
    status = str(result.get("status") or "unknown")
    manifest = result.get("manifest") or {}
    run_id = manifest.get("run_id") if isinstance(manifest, Mapping) else None
    best = result.get("best")
    parts = [
        f"<h1>{escape(title)}</h1>",
        '<p class="meta">',
        f'<span class="badge status-{escape(status)}">{escape(status)}</span>',
    ]
    if run_id:
        parts.append(f" run <code>{escape(run_id)}</code>")
    dataset = result.get("dataset") or {}
    if dataset:
        parts.append(
            f" · {len(dataset.get('assets') or [])} assets, daily returns "
            f"{escape(dataset.get('start'))} to {escape(dataset.get('end'))}"
        )
        if data_source(dataset):
            parts.append(f" · {escape(data_source(dataset))}")
    if result.get("n_trials") is not None:
        parts.append(f" · {escape(result.get('n_trials'))} trials")
    parts.append("</p>")
    if result.get("reason"):
        if result.get("status") == "succeeded":
            parts.append(f'<p class="note">Stopped early: {escape(result["reason"])}</p>')
        else:
            parts.append(f'<p class="reason">Reason: {escape(result["reason"])}</p>')
    from services.warm_starts import describe_result_start

    if start := describe_result_start(result):
        parts.append(f'<p class="note">Start: {escape(start)}</p>')
    if best:
        verdict = best.get("risk_verdict") or ""
        chips = "".join(
            f'<li><span class="k">{escape(label)}</span> {escape(value)}</li>'
            for _, label, value in config_items(best.get("config") or {})
        )
        parts.append(
            verdict_html(result) + '<div class="best"><p><strong>Best configuration</strong> '
            f"(trial {escape(best.get('trial'))}; objective "
            f"<strong>{number(best.get('objective'))}</strong>"
            f"{'; ' + escape(verdict) if verdict else ''})</p>"
            + (f'<p class="note">{escape(best["note"])}</p>' if best.get("note") else "")
            + f'<ul class="chips">{chips}</ul>{limits_html(best)}</div>'
        )
    if result.get("feasibility"):
        parts.append(f'<p class="feasibility">{escape(result["feasibility"].capitalize())}.</p>')
    else:
        parts.append("<p>No configuration was selected.</p>")
    return "<header>" + "".join(parts) + "</header>"


def _charts(result: Mapping[str, Any]) -> str:
    sharpe = f"Sharpe ratio in excess of {escape(safe_rate_words(result))}"
    return f"""
<section class="charts" aria-label="Charts">
  <figure class="card"><h2>Convergence</h2>
    <div class="chart" id="chart-convergence" role="img"
      aria-label="Best objective after each batch"></div>
    <figcaption>Best objective found after each batch of trials.</figcaption></figure>
  <figure class="card"><h2>Risk and return of every trial</h2>
    <div class="chart" id="chart-risk-return" role="img"
      aria-label="Annualised volatility against CAGR of every trial, by scenario"></div>
    <figcaption>One point per trial and scenario: annualised volatility (x, %) against CAGR
      (y, % per year), averaged over the scenario's simulated paths. Diamonds: the best
      configuration.</figcaption></figure>
  <figure class="card"><h2>Best configuration by scenario</h2>
    <div class="chart" id="chart-scenarios" role="img"
      aria-label="Sharpe ratio, CAGR and max drawdown of the best configuration by scenario">
    </div>
    <figcaption>{sharpe} (first panel); CAGR and max drawdown in % (second panel; drawdown
      positive = loss).</figcaption></figure>
</section>"""


def _summary(result: Mapping[str, Any]) -> str:
    parts = ['<section class="card" id="summary"><h2>Configuration and explanation</h2>']
    best = result.get("best")
    if best:
        rows = "".join(
            f"<tr><th scope='row'>{escape(label)}</th><td>{escape(value)}</td></tr>"
            for _, label, value in config_items(best.get("config") or {})
        )
        parts.append(
            '<div class="two"><table class="kv"><caption>Best configuration</caption>'
            f"<tbody>{rows}</tbody></table><div>"
        )
    else:
        parts.append("<div><div>")
    explanation = result.get("explanation") or {}
    text = explanation.get("text") if isinstance(explanation, Mapping) else None
    if text:
        paragraphs = [p for p in str(text).split("\n\n") if p.strip()]
        parts.append('<h3>Why it won</h3><div class="explanation">')
        parts += [f"<p>{escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs]
        parts.append("</div>")
        if explanation.get("source") == "template":
            parts.append('<p class="note">(template explanation, composed from the results)</p>')
    market = result.get("market_view") or {}
    if market.get("summary"):
        parts.append(f"<h3>Market view</h3><p>{escape(market['summary'])}</p>")
        weights = market.get("scenario_weights") or {}
        if weights:
            items = ", ".join(f"{escape(scenario(k))} {percent(v)}" for k, v in weights.items())
            parts.append(f'<p class="note">Scenario weights: {items}</p>')
    plan = result.get("plan") or {}
    if plan.get("method") or plan.get("rationale"):
        parts.append(
            f"<h3>Search plan</h3><p>{escape(_sentence_case(search_method(plan.get('method'))))}. "
            f"{escape(plan.get('rationale'))}</p>"
        )
    warnings = result.get("warnings") or []
    if warnings:
        items = "".join(f"<li>{escape(w)}</li>" for w in warnings)
        parts.append(f'<h3>Warnings</h3><ul class="warnings">{items}</ul>')
    parts.append(_benchmarks(result))
    parts.append("</div></div></section>")
    return "".join(parts)


def _benchmarks(result: Mapping[str, Any]) -> str:
    rows = benchmark_rows(dict(result))
    if not rows:
        return ""
    body = "".join(
        f"<tr><th scope=row>{escape(scenario(r['scenario']))}</th><td>{escape(r['label'])}</td>"
        f"<td>{number(r['sharpe'])}</td><td>{percent(r['cagr'])}</td>"
        f"<td>{percent(r['max_drawdown'])}</td><td>{percent(r['cvar_95'])}</td></tr>"
        for r in rows
    )
    words = (result.get("edge") or {}).get("words")
    edge = f'<p id="edge">{escape(words)}</p>' if words else ""
    return (
        f"<h3>Compared with unmanaged holdings</h3>"
        f'<p class="note">{escape(benchmark_note(dict(result)))}</p>'
        f"{edge}{scroll_box('Compared with unmanaged holdings')}"
        '<table id="benchmarks"><thead><tr><th scope=col>scenario</th><th scope=col>strategy'
        "</th><th scope=col>Sharpe</th><th scope=col>CAGR</th><th scope=col>max drawdown</th>"
        f"<th scope=col>CVaR 95% (1d)</th></tr></thead><tbody>{body}</tbody></table></div>"
    )


def _risk(result: Mapping[str, Any]) -> str:
    best = result.get("best") or {}
    metrics: Mapping[str, Mapping[str, Any]] = best.get("scenarios") or {}
    parts = ['<section class="card" id="risk"><h2>Risk report</h2>']
    if metrics:
        head = "".join(f"<th scope='col' class='num'>{label}</th>" for _, label in RISK_METRICS)
        rows = "".join(
            f"<tr><th scope='row'>{escape(scenario(name))}</th>"
            + "".join(f"<td class='num'>{percent(m.get(key))}</td>" for key, _ in RISK_METRICS)
            + "</tr>"
            for name, m in metrics.items()
        )
        parts.append(
            f"{scroll_box('Risk report')}<table><caption>The best configuration in each scenario "
            "(averages over the simulated paths; VaR, CVaR and drawdown are losses)</caption>"
            f"<thead><tr><th scope='col'>Scenario</th>{head}</tr></thead>"
            f"<tbody>{rows}</tbody></table></div>"
        )
    risk = result.get("risk") or {}
    verdict = risk.get("verdict") or {}
    if verdict:
        decision = "approved" if verdict.get("approve") else "not approved"
        parts.append(
            f"<p><strong>Risk manager:</strong> {decision}. {escape(verdict.get('rationale'))}</p>"
        )
    candidates = risk.get("candidates") or []
    if candidates:
        items = []
        for candidate in candidates:
            violations = candidate.get("violations") or []
            text = (
                "; ".join(escape(v.get("words") or v.get("metric")) for v in violations)
                if violations
                else "no limit broken"
            )
            items.append(
                f"<li>trial {escape(candidate.get('trial'))}: objective "
                f"{number(candidate.get('objective'))} — {text}</li>"
            )
        parts.append(f"<h3>Candidates reviewed</h3><ul>{''.join(items)}</ul>")
    if len(parts) == 1:
        parts.append("<p>No risk review.</p>")
    parts.append("</section>")
    return "".join(parts)


def _hedging(result: Mapping[str, Any]) -> str:
    """The "Hedged vs unhedged" section ("" when the result has no hedging part)."""
    hedging = result.get("hedging")
    if not hedging:
        return ""
    parts = ['<section class="card" id="hedging"><h2>Hedged vs unhedged</h2>']
    required = hedging.get("required")
    if required:
        parts.append(
            f"<p><strong>Hedge required</strong> from round {required['round'] + 1} "
            f"(<code>{escape(required['constraint'])}</code>): {escape(required.get('reason'))}</p>"
        )
    compared = comparison_rows(result)
    if compared:
        body = "".join(
            f"<tr><th scope=row>{escape(scenario(r['scenario']))}</th>"
            f"<td class=num>{percent(r['premium'])}</td><td class=num>{percent(r['payoff'])}"
            f"</td><td class=num>{percent(r['carry'])}</td>"
            f"<td class=num>{percent(r['unhedged_max_drawdown'])}</td>"
            f"<td class=num>{percent(r['hedged_max_drawdown'])}</td>"
            f"<td class=num>{percent(r['unhedged_cvar_95'])}</td>"
            f"<td class=num>{percent(r['hedged_cvar_95'])}</td></tr>"
            for r in compared
        )
        parts.append(
            f'<p class="note">{escape(HEDGING_NOTE)}</p>{scroll_box("Hedged vs unhedged")}'
            '<table id="hedge-comparison"><thead><tr><th scope=col>scenario</th>'
            "<th scope=col class=num>premium / yr</th><th scope=col class=num>payoff / yr</th>"
            "<th scope=col class=num>carry / yr</th>"
            "<th scope=col class=num>max drawdown unhedged</th>"
            "<th scope=col class=num>max drawdown hedged</th>"
            "<th scope=col class=num>CVaR 95% (1d) unhedged</th>"
            "<th scope=col class=num>CVaR 95% (1d) hedged</th></tr></thead>"
            f"<tbody>{body}</tbody></table></div>"
        )
    else:
        parts.append("<p>The winner holds no option overlay.</p>")
    where, rows = tradeoff(result)
    if rows:
        body = "".join(
            f"<tr><th scope=row>{escape(r['trial'])}{' (winner)' if r['winner'] else ''}</th>"
            f"<td>{escape(r['label'])}</td><td class=num>{percent(r['hedge_premium'])}</td>"
            f"<td class=num>{percent(r['hedge_carry'])}</td>"
            f"<td class=num>{percent(r['max_drawdown'])}</td>"
            f"<td class=num>{percent(r['cvar_95'])}</td>"
            f"<td>{'yes' if r['feasible'] else 'no'}</td>"
            f"<td class=num>{number(r['objective'])}</td></tr>"
            for r in rows
        )
        parts.append(
            f'<h3>Trade-off</h3><p class="note">{escape(TRADEOFF_NOTE.format(scenario=scenario(where)))}'
            f'</p>{scroll_box("Trade-off")}<table id="hedge-tradeoff"><thead><tr>'
            "<th scope=col>trial</th><th scope=col>overlay</th>"
            "<th scope=col class=num>premium / yr</th><th scope=col class=num>carry / yr</th>"
            "<th scope=col class=num>max drawdown</th><th scope=col class=num>CVaR 95% (1d)</th>"
            "<th scope=col>meets limits</th><th scope=col class=num>objective</th></tr></thead>"
            f"<tbody>{body}</tbody></table></div>"
        )
    tried = hedging.get("n_hedged_trials", 0)
    if tried and not hedging.get("n_hedged_feasible"):
        parts.append(f"<p>None of the {tried} hedged trials met the risk limits.</p>")
    parts.append("</section>")
    return "".join(parts)


def _trials_table(result: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]) -> str:
    scenarios = _scenario_names(result, rows)
    params = _parameter_columns(result, rows)
    columns: list[tuple[str, str, str]] = [("trial", "Trial", "num"), ("batch", "Batch", "num")]
    columns += [(p, _label(p), "num" if p != "weight_function" else "text") for p in params]
    columns += [("objective", "Objective", "num"), ("feasible", "Feasible", "text")]
    columns += [(f"{s}.sharpe", f"Sharpe {scenario(s)}", "num") for s in scenarios]
    columns += [(f"{s}.max_drawdown", f"Max DD {scenario(s)}", "num") for s in scenarios]
    head = "".join(
        f'<th scope="col" aria-sort="none" class="{kind}"><button type="button" '
        f'data-col="{i}" data-type="{kind}">{escape(label)}</button></th>'
        for i, (_, label, kind) in enumerate(columns)
    )
    body: list[str] = []
    for row in rows:
        cells = []
        for key, _, kind in columns:
            value = row.get(key)
            if key.endswith(".max_drawdown"):
                shown = percent(value)
            elif key in PARAMETERS:
                shown = _param(key, value)
            elif key == "feasible":
                shown = "yes" if value else "no"
            elif kind == "num":
                shown = number(value)
            else:
                shown = escape(value)
            numeric = finite(value)
            sort_value = repr(numeric) if kind == "num" and numeric is not None else escape(shown)
            cells.append(f'<td class="{kind}" data-v="{sort_value}">{shown}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        '<section class="card" id="trials"><h2>Trials</h2>'
        f"<p class='note'>{len(rows)} trials; click or press Enter on a column header to sort. "
        f"Max DD: maximum drawdown (loss, %, mean of the paths); Sharpe: in excess of "
        f"{escape(safe_rate_words(result))}.</p>"
        f'{scroll_box("Trials", tall=True)}<table class="sortable" id="trials-table">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div></section>"
    )


_JS = """
(function(){
  function data(id){var el=document.getElementById(id);return el?JSON.parse(el.textContent):null;}
  var cfg={responsive:true,displaylogo:false,displayModeBar:!window.matchMedia('(max-width:600px)').matches};
  var narrow=window.matchMedia('(max-width:600px)').matches;
  var m={l:narrow?44:56,r:narrow?8:56,t:10,b:narrow?72:48};
  var top={orientation:'h',x:0,y:1.02,xanchor:'left',yanchor:'bottom'};
  if(window.Plotly){
    var c=data('data-convergence');
    if(c&&c.best_objective.length){Plotly.newPlot('chart-convergence',[{x:c.batch,
      y:c.best_objective,mode:'lines+markers',name:'best objective'}],{margin:m,
      xaxis:{title:{text:'batch'},dtick:1,automargin:true},
      yaxis:{title:{text:'best objective'},automargin:true}},cfg);}
    var r=data('data-risk-return');
    if(r){var t=r.series.map(function(s){return {x:s.x,y:s.y,text:s.trial.map(function(n){
      return 'trial '+n;}),mode:'markers',type:'scattergl',name:s.label,
      marker:{size:6,opacity:0.6}};});
      if(r.best.x.length){t.push({x:r.best.x,y:r.best.y,text:r.best.label,mode:'markers',
        name:'best (trial '+r.best.trial+')',marker:{symbol:'diamond',size:12,color:'#111',
        line:{color:'#fff',width:1}}});}
      Plotly.newPlot('chart-risk-return',t,{margin:m,legend:top,
        xaxis:{title:{text:'volatility (annualised, %)'},automargin:true},
        yaxis:{title:{text:'CAGR (% per year)'},automargin:true}},cfg);}
    var s=data('data-scenarios');
    if(s&&s.scenario.length){
      // the two panels stacked at every width, each as wide as the chart, their labels level
      // and on lines of at most 10 characters where the words allow (broken after a hyphen or
      // at a space). Side by side, a panel's first or last label, centred on bars narrower
      // than itself, ran under that panel's axis numbers ("high-volatility" over "0")
      var lines=s.label.map(function(l){
        var out=[],line='';
        l.replace(/-/g,'- ').split(/\\s+/).forEach(function(w){
          if(line&&(line+w).length>10){out.push(line.trim());line='';}
          line+=w+(w.slice(-1)==='-'?'':' ');});
        if(line.trim())out.push(line.trim());
        return out.join('<br>');});
      Plotly.newPlot('chart-scenarios',[
      {x:lines,y:s.sharpe,type:'bar',name:'Sharpe'},
      {x:lines,y:s.cagr,type:'bar',name:'CAGR %',xaxis:'x2',yaxis:'y2'},
      {x:lines,y:s.max_drawdown,type:'bar',name:'max drawdown %',xaxis:'x2',yaxis:'y2'}],
      {barmode:'group',margin:m,legend:top,
       xaxis:{domain:[0,1],anchor:'y',automargin:true,tickangle:0},
       xaxis2:{domain:[0,1],anchor:'y2',automargin:true,tickangle:0},
       yaxis:{title:{text:'Sharpe'},rangemode:'tozero',anchor:'x',automargin:true,
         domain:[0.62,1]},
       yaxis2:{title:{text:'% per year / of wealth'},rangemode:'tozero',anchor:'x2',
         automargin:true,domain:[0,0.4]}},
      cfg);}
  }
  document.querySelectorAll('table.sortable').forEach(function(table){
    table.querySelectorAll('th button').forEach(function(btn){
      btn.addEventListener('click',function(){
        var th=btn.parentNode,col=+btn.dataset.col,num=btn.dataset.type==='num';
        var dir=th.getAttribute('aria-sort')==='ascending'?-1:1;
        table.querySelectorAll('th').forEach(function(h){h.setAttribute('aria-sort','none');});
        th.setAttribute('aria-sort',dir>0?'ascending':'descending');
        var body=table.tBodies[0],rows=Array.prototype.slice.call(body.rows);
        rows.sort(function(a,b){var x=a.cells[col].dataset.v,y=b.cells[col].dataset.v;
          if(num){x=x===''?NaN:+x;y=y===''?NaN:+y;if(isNaN(x))return 1;if(isNaN(y))return -1;
            return (x-y)*dir;}return x.localeCompare(y)*dir;});
        rows.forEach(function(row){body.appendChild(row);});
      });
    });
  });
})();
"""


def render_html_report(
    result: Mapping[str, Any],
    *,
    title: str | None = None,
    trials: Sequence[Mapping[str, Any]] | None = None,
) -> str:
    """The result of an optimization run as one self-contained HTML page.

    `trials` replaces `result["trials"]` when given (e.g. trials kept apart from the result
    document in the store). Units: volatility, CAGR, max drawdown, VaR and CVaR are shown in
    %, drawdown, VaR and CVaR as positive losses; VaR and CVaR are one-day figures at 95%.
    Works for failed results too (header and manifest only). No network access is needed to
    view it: plotly.js is inlined.
    """
    rows = list(trials if trials is not None else result.get("trials") or [])
    manifest = result.get("manifest")
    run_id = manifest.get("run_id") if isinstance(manifest, Mapping) else None
    title = title or (f"Stratigos optimization {run_id}" if run_id else "Stratigos optimization")
    data = chart_data(result, rows)
    parts = [
        page_head(title),
        _header(result, title),
    ]
    if result.get("best") or rows or result.get("convergence"):
        parts.append(_charts(result))
    parts += [_summary(result), _risk(result), _hedging(result)]
    if rows:
        parts.append(_trials_table(result, rows))
    parts += [
        manifest_section(result),
        "</main>",
        json_script("data-convergence", data["convergence"]),
        json_script("data-risk-return", data["risk_return"]),
        json_script("data-scenarios", data["scenarios"]),
        f'<script type="text/javascript">{plotly_js()}</script>',
        f"<script>{_JS}</script>",
        "</body></html>",
    ]
    return "\n".join(parts)


__all__ = ["RISK_METRICS", "SCENARIO_METRICS", "chart_data", "render_html_report"]
