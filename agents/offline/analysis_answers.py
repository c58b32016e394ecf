"""The offline model's answers to the analysis questions, written from the tools' results: every
number is one the tool returned (percentages are its fractions x 100), and every answer names
its window and where the market data ends.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from agents.offline.correlation_answers import (
    correlations_said,
    groups_correlated,
    market_correlations_said,
)
from agents.offline.coverage_answers import coverage_answer
from agents.offline.intent.analysis import AnalysisAsk
from agents.offline.intent.measures import INDEX_SHOWN
from agents.offline.intent.rankings import Ends
from agents.offline.method_names import method_name
from agents.offline.risk_verdicts import (
    RISK_MEASURES,
    beside_verdict,
    entries_risk_verdict,
)
from agents.offline.rolling_answers import rolling_lines
from agents.offline.statistic_words import (
    PHRASES,
    RANKED_BY,
    SUMMARY,
    bar_line,
    beside_index_bar_line,
    beside_pivot,
    drawdown_phrase,
    held_bar_line,
    judged_line,
    ordered_line,
    pct,
    picked_line,
    ranked_words,
    told_apart,
    years_phrase,
    years_ranked,
)
from agents.offline.stress_ranking import (
    each_on_its_own,
    holder,
    loss_words,
    ranked_returns,
    scenario_case,
    through_betas,
)
from agents.offline.thread_market import INDEX_SUBJECT
from agents.offline.weighted_adds import share_words
from agents.offline.what_if_weights import GIVEN, YOUR_PORTFOLIO, added_name, given_name, with_added
from services.formatting import count, listed

__all__ = [
    "ANSWERS", "group_name", "groups_answer", "held_said", "portfolio_called", "window_said",
]  # fmt: skip

SCENARIO_NAMES = {
    "bull": "bull",
    "bear": "bear",
    "high_vol": "high-volatility",
    "low_vol": "low-volatility",
    "base": "base-case",
}


def _share(value: float) -> str:
    """A fraction as the percentage it states exactly: 0.15 -> "15%", 0.125 -> "12.5%"."""
    return f"{value * 100:.6g}%"


def _money(value: float) -> str:
    return f"{'-' if value < 0 else ''}{abs(value):,.0f}"


def window_said(data: dict[str, Any]) -> str:
    """ "from 2021-01-04 to 2022-12-28 (501 sessions, from the close of 2020-12-31; the market
    data ends on 2022-12-28)"."""
    window = data["window"]
    base = f", from the close of {window['from_close_of']}" if window.get("from_close_of") else ""
    return (
        f"from {window['start']} to {window['end']} ({count(window['sessions'])} sessions{base}; the "
        f"market data ends on {data['data_end']})"
    )


def _weights(weights: dict[str, float], limit: int = 20) -> str:
    ranked = sorted(weights.items(), key=lambda kv: -kv[1])
    shown = ", ".join(f"{t} {w:.1%}" for t, w in ranked[:limit])
    return shown + (f" and {len(ranked) - limit} more" if len(ranked) > limit else "")


def held_said(portfolio: dict[str, Any]) -> str:
    """The weights the tool used, and how it took them when that is not plain (no weights
    given, or weights that do not sum to 100%: the tool's `note`)."""
    note = portfolio.get("note")
    return _weights(portfolio["weights"]) + (f"; {note}" if note else "")


# ---- statistics ---------------------------------------------------------------------------
def _wanted(ask: AnalysisAsk) -> list[str]:
    """The statistics the question names (the summary's when it names none)."""
    return [m for m in ask.measures if m in PHRASES] or (
        [] if "correlation" in ask.measures else list(SUMMARY)
    )


INDEX_NAME = "the S&P 500 index"


def _ranking(data: dict[str, Any], ask: AnalysisAsk, wanted: list[str], subject: str) -> str:
    """The assets in order of each measure asked, highest first ("which had the best Sharpe
    ratio?"): the question's answer at either end, or the ends it asks for ("top 5"); the index
    among them when it is a side of the question ("is AMD riskier than the market?"), set beside
    the portfolio (called `subject`) alone when one is measured ("is it riskier than the
    market?"). Two set side by side on their risk are said first: which was the riskier; every
    name against the index, or against the one stock asked beside ("which stocks were riskier
    than KO?"), grouped by how it stands on both measures; on another measure, those above it
    and those below ("which stocks held up better than KO?": by total return)."""
    named = data["assets"]
    if ask.to_market and data.get("index"):
        portfolio = data.get("portfolio")
        named = {subject: portfolio} if portfolio else named
        named = {**named, INDEX_NAME: data["index"]}
    pivot = INDEX_NAME if ask.to_market else ask.against[0] if len(ask.against) == 1 else None
    if (bar := ask.ends.bar) is not None and bar.beside_index:  # "beat it by over 10%"
        assets = {**data["assets"], INDEX_NAME: data.get("index") or {}}
        return beside_index_bar_line(assets, INDEX_NAME, bar)
    if set(wanted) == set(RISK_MEASURES):
        verdict = entries_risk_verdict(named, pivot, ask.safer_first)
    elif pivot is not None and pivot in named:  # "which held up better than KO?": above or below
        verdict = beside_pivot(named, pivot, wanted)
    else:
        verdict = ""
    return f"{verdict} {_in_order(named, wanted, ask.ends, data.get('beta_to'))}".strip()


def _in_order(
    named: dict[str, dict[str, Any]], wanted: list[str], ends: Ends, beta_to: str | None
) -> str:
    """The names of `named` (name -> its statistics) in order of each measure of `wanted` two or
    more have, highest first, either end named; the `ends` asked ("the 5 highest of 20") only;
    a beta or correlation measured against `beta_to` (None: the index)."""
    lines = []
    for measure in wanted:
        if measure not in RANKED_BY:
            continue
        _, value, text = RANKED_BY[measure]
        words = ranked_words(measure, beta_to)
        known = {n: v for n, s in named.items() if (v := value(s)) is not None}
        bar = ends.bar if ends.bar is not None and ends.bar.measure == measure else None
        if len(known) < (1 if bar else 2):
            continue
        order = sorted(known, key=lambda n: -known[n])
        shown = told_apart(known, text)
        if bar is not None:  # "which stocks fell more than 30%?", "did AAPL fall more than 20%?"
            lines.append(bar_line(words, known, shown, bar))
            continue
        picked = picked_line(words, order, shown, measure, ends.picked)
        line = ordered_line(words, order, shown, measure, ends)
        judged = judged_line(words, order, known, measure, ends.judged)
        lines.append(" ".join(part for part in (picked, line, judged) if part))
    return " ".join(lines)


def statistics_answer(
    data: dict[str, Any], ask: AnalysisAsk, subject: str = "the portfolio"
) -> str:
    """Each asset's (and the portfolio's, called `subject`) statistics the question names (a
    summary when it names none), the correlations when asked, the window."""
    wanted = _wanted(ask)
    against = {"beta_to": data["beta_to"]} if data.get("beta_to") else {}
    against |= {"months_asked": ask.months} if ask.months else {}  # "the 3 best months"
    if ask.index_alone and (index := data.get("index")):  # "the S&P's best month in 2020"
        return (
            f"{INDEX_SUBJECT} {window_said(data)}: "
            + "; ".join(PHRASES[m]({**index, **against}) for m in wanted)
            + "."
        )
    parts = [f"Statistics {window_said(data)}:"]
    portfolio = data.get("portfolio")
    if portfolio and wanted:
        line = "; ".join(PHRASES[m]({**portfolio, **against}) for m in wanted)
        parts.append(f"{subject} ({held_said(portfolio)}) had {line}.")
    if portfolio and (bar := ask.ends.bar) is not None and not ask.ranked:
        held = {subject: portfolio, INDEX_NAME: data.get("index") or {}}
        said = beside_index_bar_line(held, INDEX_NAME, bar) if bar.beside_index else ""
        parts.insert(0, said or held_bar_line(portfolio, bar, subject))  # "did it fall 10%?"
    ranking = _ranking(data, ask, wanted, subject) if ask.ranked else ""
    listed = [m for m in wanted if not ranking or m not in RANKED_BY]  # a ranking shows its own
    if ask.ranked and "by_year" in listed and (yearly := years_ranked(data["assets"])):
        listed.remove("by_year")  # "which stock did best each year?": each year's ends
        ranking = f"{ranking} {yearly}".strip()
    if listed:
        for name, stats in data["assets"].items():
            phrases = (PHRASES[m]({**stats, **against}) for m in listed)
            parts.append(f"{name}: " + "; ".join(phrases) + ".")
    if ranking:
        parts.append(ranking)
    index = data.get("index")
    shown = [m for m in wanted if m in (*INDEX_SHOWN, "volatility")]
    if ranking and ask.to_market:  # the index ranked among the names: not said twice
        shown = [m for m in shown if m not in RANKED_BY]
    if index and set(INDEX_SHOWN) & set(wanted) and shown:
        parts.append(
            "The S&P 500 index: " + "; ".join(PHRASES[m]({**index, **against}) for m in shown) + "."
        )
    margin = ask.ends.bar is not None and ask.ends.bar.beside_index  # said with its margin
    if ask.beat_index and index and not margin:  # "did MSFT lag the S&P 500?": first, above it
        named = {subject: portfolio} if portfolio else data["assets"]  # "did it beat the market?"
        beside = beside_pivot({**named, INDEX_NAME: index}, INDEX_NAME, ["return"])
        if beside:  # a sentence of its own first: what followed the colon starts one too
            parts[1:2] = [beside[:1].upper() + beside[1:], parts[1][:1].upper() + parts[1][1:]]
    rolled = data.get("rolling") is not None and "not_computed" not in data["rolling"]
    if "correlation" in ask.measures and not rolled:  # the whole period's when none rolled
        matrix = correlations_said(data)
        if len(ask.groups) == 2 and (across := groups_correlated(data, ask.groups)):
            matrix = across  # "how correlated are tech stocks with energy?"
        if ask.to_market or not matrix:
            parts.append(market_correlations_said(data))
        if matrix:
            parts.append(matrix)
        elif not ask.to_market and (not_given := data.get("correlation_not_given")):
            parts.append(f"Each pair's correlation is not shown: {not_given}.")
    if ask.rolling is not None:
        parts.append(rolling_lines(data, ask))
    if (short := data.get("short_window")) and {"return", "volatility"} & set(wanted):
        parts.append(
            f"The annual figures scale {short['sessions']} sessions' pace to a year: they are "
            "not what a year returns (the total return is the window's own)."
        )
    return " ".join(parts)


_GROUP_MEASURES: dict[str, tuple[str, Callable[[dict[str, Any]], str]]] = {
    "return": ("total return", lambda s: pct(s["cumulative_return"])),
    "volatility": ("volatility a year", lambda s: pct(s["volatility"])),
    "sharpe_ratio": (
        "Sharpe ratio",
        lambda s: "none" if s.get("sharpe_ratio") is None else f"{s['sharpe_ratio']:.2f}",
    ),
    "drawdown_dates": ("maximum drawdown", lambda s: pct(s["max_drawdown"]["depth"], 2)),
}
"""The measures a comparison of groups sets side by side: the words, then the value's text."""


def group_name(name: str) -> str:
    """A sector or industry as a subject: "the staples", "the banks", "the tech names"."""
    return f"the {name}" if name.endswith("s") else f"the {name} names"


def groups_answer(groups: list[tuple[str, dict[str, Any]]], ask: AnalysisAsk) -> str:
    """Sectors or industries compared ("vol of tech vs staples"): each group's statistics at
    equal weights with its stocks', a paragraph a group, then the groups' values side by side
    for each measure named; `groups` holds each group's name and its tool result. Groups asked
    in order ("which sector did best in 2022?") are put in order of each measure named."""
    if ask.ranked and len(groups) > 1 and (ranked := _groups_ranked(groups, ask)):
        return ranked
    paragraphs = [
        statistics_answer(data, ask, subject=f"{group_name(name)} at equal weights")
        for name, data in groups
    ]
    lines = [
        f"{words}: " + ", ".join(f"{name} {value(data['portfolio'])}" for name, data in groups)
        for key, (words, value) in _GROUP_MEASURES.items()
        if key in _wanted(ask)
    ]
    if len(groups) > 1 and lines:
        paragraphs.append("Side by side, each group at equal weights: " + "; ".join(lines) + ".")
    return "\n\n".join(paragraphs)


def _groups_ranked(groups: list[tuple[str, dict[str, Any]]], ask: AnalysisAsk) -> str:
    """The groups in order of each measure asked, highest first, each at equal weights."""
    first = groups[0][1]
    named = {n.title(): d["portfolio"] for n, d in groups}
    ordered = _in_order(named, _wanted(ask), ask.ends, None)
    if ordered and set(_wanted(ask)) == set(RISK_MEASURES):  # "is tech riskier than staples?"
        ordered = f"{entries_risk_verdict(named, safer_first=ask.safer_first)} {ordered}".strip()
    if "by_year" in _wanted(ask):  # "which sector did best each year?"
        ordered = f"{ordered} {years_ranked(named)}".strip()
    if not ordered:
        return ""  # no measure to put them in order by: each group's own paragraph
    members = "; ".join(
        f"{n.title()}: {', '.join(sorted(d['portfolio']['weights']))}" for n, d in groups
    )
    return (
        f"Each sector held at equal weights (rebalanced daily), {window_said(first)}: {ordered} "
        f"The sectors' stocks: {members}."
    )


# ---- stress -------------------------------------------------------------------------------
RATE_RISE_REPLAYED = (
    "No tool here models interest rates, so a {bps:g} bps rise is not applied as such; the "
    "nearest the market data holds is the 2022 rate shock, replayed instead."
)
"""What a stress test asked of a rise of rates says first (`AnalysisAsk.rate_rise`)."""


def _sector_move_line(sector: dict[str, Any], data: dict[str, Any], who: str) -> str:
    """A sector's move through each stock's beta to it, and what it does to the portfolio."""
    move = float(sector["move"])
    size = f"{_share(abs(move))} {'fall' if move < 0 else 'rise'} of {sector['sector']}"
    members = sector["members"]
    return (
        f"A {size} (the equal-weight average of its {len(members)} stocks in the data: "
        f"{listed(members)}) through {through_betas(sector['per_asset'], 'that average')}, "
        f"estimated {window_said(data)}): {who} {loss_words(sector, _money)}."
    )


def stress_answer(data: dict[str, Any], ask: AnalysisAsk) -> str:
    """The move, each episode and the scenarios, with losses in % and in currency."""
    portfolio = data["portfolio"]
    capital = data.get("capital")
    on = f" on {_money(capital)} of capital" if capital else ""
    each = ask.ranked and len(portfolio["weights"]) > 1  # the stocks side by side, each alone
    parts = [f"Stress test of {portfolio['name']} ({held_said(portfolio)}){on}."]
    if ask.rate_rise is not None:
        parts.append(RATE_RISE_REPLAYED.format(bps=ask.rate_rise))
    who, bought = holder(portfolio["weights"])  # "KO loses 12.9%", "the portfolio loses ..."
    if each:  # each stock as if the whole capital were in it
        parts = [each_on_its_own(list(portfolio["weights"]), _money(capital) if capital else None)]
    ranked = partial(ranked_returns, capital=capital, money=_money)
    move = data.get("market_move")
    if move is not None:
        size = f"{_share(abs(move['move']))} market {'fall' if move['move'] < 0 else 'rise'}"
        if "portfolio_return" not in move:
            parts.append(f"A {size}: not computed ({move.get('not_computed')}).")
        else:
            by_stock = {t: v["return"] for t, v in move["per_asset"].items()}
            parts.append(
                f"A {size} through {through_betas(move['per_asset'])}, estimated "
                f"{window_said(data)}): "
                + (
                    ranked(by_stock, would=True, rise=move["move"] > 0)
                    if each
                    else f"{who} {loss_words(move, _money)}"
                )
                + "."
            )
    if isinstance(sector := data.get("sector_move"), dict):
        parts.append(_sector_move_line(sector, data, who))
    for episode in data.get("episodes") or []:
        name = episode["name"]
        title = f"{name[:1].upper()}{name[1:]} ({episode['start']} to {episode['end']})"
        if "portfolio_return" not in episode:
            parts.append(f"{title}: not replayed, {episode['not_replayed']}.")
            continue
        index = episode.get("index_return")
        if each:
            market = "" if index is None else f" (the S&P 500 index {pct(index)})"
            ranking = ranked(episode["per_asset"])
            parts.append(f"{title}, each stock bought at its start: {ranking}{market}.")
            continue
        parts.append(
            f"{title}, replayed on {bought} bought at its start: {who} "
            f"{loss_words(episode, _money)}, its deepest fall "
            f"{pct(episode['max_drawdown'])}, worst day {episode['worst_day']['date']} "
            f"({pct(episode['worst_day']['return'], 2)})"
            + ("" if index is None else f"; the S&P 500 index {pct(index)}")
            + "."
        )
    scenarios = data.get("scenarios") or {}
    fitted = {name: row for name, row in scenarios.items() if isinstance(row, dict)}
    if each and any("per_asset" not in row for row in fitted.values()):
        parts.append(f"The scenarios hold the stocks together ({held_said(portfolio)}).")
    for name, row in fitted.items():
        case, sizes = SCENARIO_NAMES.get(name, name), (scenarios["horizon"], scenarios["n_paths"])
        parts.append(scenario_case(case, row, *sizes, each=each, money=_money, who=who))
    if fitted and "portfolio_return" not in (move or {}):  # episodes replay their own window
        parts.append(f"History used {window_said(data)}.")
    return " ".join(parts)


def loss_probability_answer(data: dict[str, Any], ask: AnalysisAsk) -> str:
    """P[loss beyond the threshold] in each scenario, with the drawdown probability."""
    portfolio = data["portfolio"]
    threshold, horizon = data["threshold"], data["horizon"]
    lines = []
    for name, row in data["scenarios"].items():
        lines.append(
            f"{SCENARIO_NAMES.get(name, name)} {pct(row['prob_loss_beyond'])} (a drawdown "
            f"beyond it at some point {pct(row['prob_drawdown_beyond'])}; any loss "
            f"{pct(row['prob_loss'])}; median return {pct(row['median_return'])})"
        )
    return (
        f"Probability that {portfolio['name']} ({held_said(portfolio)}) loses more "
        f"than {_share(threshold)} over {horizon} sessions: " + "; ".join(lines) + f". From "
        f"{data['n_paths']} simulated paths per scenario drawn from the history "
        f"{window_said(data)}."
    )


# ---- backtest and comparison ----------------------------------------------------------------
def backtest_answer(data: dict[str, Any], ask: AnalysisAsk) -> str:
    """The backtest's measures, its drawdown's dates, costs, and the index beside it."""
    cadence = data["rebalance"]
    how = "bought once and held" if cadence == "never" else f"rebalanced {cadence}"
    costs = f"{data['cost_bps']:g} bps costs" if data["cost_bps"] else "no trading costs"
    text = (
        f"Backtest of {held_said(data['portfolio'])}, {how} with {costs}, "
        f"{window_said(data)}: total return {pct(data['total_return'])}, CAGR "
        f"{pct(data['cagr'])}, volatility {pct(data['volatility'])}, Sharpe ratio "
        f"{data['sharpe']:.2f} (risk-free rate {data['risk_free_rate']:g}), "
        f"{drawdown_phrase(data)}"
    )
    if cadence != "never":  # a rebalance trades only what drifted: none for one stock held whole
        rebalances = count(data["trades"])
        plural = "s" if rebalances != "1" else ""
        text += f"; {rebalances} rebalance{plural} (the first purchase included)"
    if cadence != "never" and data.get("turnover") is not None:
        text += f", turnover {pct(data['turnover'])} a year (weight traded at the rebalances)"
    if data["cost_bps"]:
        text += f", costs took {pct(data['cost_drag'], 2)} of the return"
        if data.get("cost_value") is not None:  # "how much did the costs come to on $2m?"
            text += f" ({_money(data['cost_value'])} of the final value)"
    if data.get("final_value") is not None:
        text += f"; {_money(data['capital'])} would have become {_money(data['final_value'])}"
    index = data.get("index")
    if index:
        text += (
            f". The S&P 500 index over the same window: total return "
            f"{pct(index['total_return'])}, CAGR {pct(index['cagr'])}, maximum drawdown "
            f"{pct(index['max_drawdown'])}"
        )
    if data.get("calendar_years"):  # "... and show the yearly returns"
        text += f". The backtest's returns {years_phrase(data)}"
        if index and index.get("calendar_years"):
            text += f". The index's returns {years_phrase(index)}"
    return text + "."


_MEASURE_WORDS = {
    "max_drawdown": "maximum drawdown",
    "volatility": "volatility",
    "sharpe_ratio": "Sharpe ratio",
    "cvar": "CVaR",
    "annualised_return": "annualised return",
    "cumulative_return": "cumulative return",
}


def portfolio_called(name: str) -> str:
    """A compared portfolio as a subject: "the HRP portfolio", "the portfolio with KO", "KO
    held alone", "your portfolio"."""
    if name == GIVEN or name.startswith("with "):
        return f"the portfolio {name}"
    if name == YOUR_PORTFOLIO:
        return name
    return f"{name} held alone" if name.isupper() else f"the {method_name(name)} portfolio"


def _verdict(data: dict[str, Any], measure: str, level: str) -> str:
    """Which portfolio is best on the measure the question asked, with each one's value."""
    best = next((v for k, v in (data.get("best") or {}).items() if k.endswith(f"_{measure}")), None)
    if best is None:
        return ""
    what = _MEASURE_WORDS[measure] + (f" ({level})" if measure == "cvar" else "")
    direction = "highest" if measure in ("sharpe_ratio", "annualised_return") else "lowest"
    decimals = 2 if measure == "cvar" else 1
    text = (lambda v: f"{v:.2f}") if measure == "sharpe_ratio" else (lambda v: pct(v, decimals))
    known = {row["portfolio"]: row[measure] for row in data["rows"] if row[measure] is not None}
    shown = told_apart(known, text)  # "HRP 0.697, min-volatility 0.701", never a false tie
    values = ", ".join(f"{method_name(name)} {said}" for name, said in shown.items())
    return (
        f"On the {what} you asked about, {portfolio_called(best)} has the {direction} ({values})."
    )


def _addition_line(data: dict[str, Any], ask: AnalysisAsk) -> str:
    """What adding the names does to the measure asked (the volatility when none is)."""
    rows = {row["portfolio"]: row for row in data["rows"]}
    held = [row for row in data["rows"] if ask.to_held and row.get("portfolio_id")]  # a build
    before, after = rows.get(given_name(ask)) or next(iter(held), None), rows.get(added_name(ask))
    if before is None or after is None:
        return ""
    measure = ask.judged_on or "volatility"
    weights = with_added(ask)
    names = listed(list(ask.added))
    how = ", ".join(
        share_words(t, ask.added_shares[t], ask.weights[t], w)
        if t in ask.added_shares and t in ask.weights
        else f"{t} {w:.1%}"
        for t, w in weights.items()
    )  # a name held and added to: "KO 10.0% (from 42.5% to 48.2%)"
    shown = (
        (lambda v: f"{v:.2f}")
        if measure == "sharpe_ratio"
        else (lambda v: pct(v, 2 if measure == "cvar" else 1))
    )
    was, now = before[measure], after[measure]
    verb = "raises" if now > was else "lowers"
    effect = f"{verb} the {_MEASURE_WORDS[measure]} from {shown(was)} to {shown(now)}"
    if shown(was) == shown(now):  # the same to the precision shown
        effect = f"leaves the {_MEASURE_WORDS[measure]} at {shown(was)}"
    equal = set(ask.added_shares) != set(ask.added) or sum(ask.added_shares.values()) >= sum(
        ask.weights.values()
    )
    return (
        f"Adding {names}{' at an equal share' if equal else ''} ({how}; "
        f"{'your portfolio' if ask.to_held else 'the weights given'} scaled down to make room) "
        f"{effect}."
    )


def compare_answer(data: dict[str, Any], ask: AnalysisAsk) -> str:
    """The table as sentences, the verdict on the measure asked first, then the best on the
    measures a PM weighs; Sharpe ratios name their risk-free rate. A what-if that adds names
    to the weights given says first what the addition does (`_addition_line`)."""
    level = _share(data["level"])
    rate = _share(data.get("risk_free_rate") or 0.0)
    lines = [f"Compared {window_said(data)}, in-sample:"]
    if ask.added and (added := _addition_line(data, ask)):
        lines.insert(0, added)  # the verdict, in the question's words
    elif ask.judged_on and (verdict := _verdict(data, ask.judged_on, level)):
        lines.append(verdict)
    elif ask.against:  # "is it riskier than KO?": on volatility and maximum drawdown both
        lines += _beside_lines(data["rows"], ask.against)
    for row in data["rows"]:
        ident = f" ({row['portfolio_id']})" if row.get("portfolio_id") else ""
        name = method_name(row["portfolio"])
        name = name[:1].upper() + name[1:] if name == YOUR_PORTFOLIO else name
        lines.append(
            f"{name}{ident}: return {pct(row['annualised_return'])} a "
            f"year, volatility {pct(row['volatility'])}, Sharpe ratio {row['sharpe_ratio']:.2f} "
            f"(risk-free rate {rate}), maximum drawdown {pct(row['max_drawdown'])}, {level} "
            f"CVaR {pct(row['cvar'], 2)}; weights {_weights(row['largest_weights'])}."
        )
    if leaders := _leaders(data.get("best") or {}, level):
        lines.append(leaders[:1].upper() + leaders[1:] + ".")
    for method, why in (data.get("not_built") or {}).items():
        lines.append(f"Not built: {method_name(method)} ({why}).")
    return " ".join(lines)


def _leaders(best: dict[str, str], level: str) -> str:
    """Which compared portfolio leads on each measure, each said once ("the risk-parity
    portfolio has the highest Sharpe ratio and the lowest 95% CVaR; the min-volatility ...")."""
    leads: dict[str, list[str]] = {}
    for key, what in (("highest_sharpe_ratio", "the highest Sharpe ratio"),
                      ("lowest_cvar", f"the lowest {level} CVaR"),
                      ("lowest_volatility", "the lowest volatility"),
                      ("lowest_max_drawdown", "the lowest maximum drawdown")):  # fmt: skip
        if key in best:
            leads.setdefault(best[key], []).append(what)
    said = [f"{portfolio_called(name)} has {listed(what)}" for name, what in leads.items()]
    return "; ".join(said)


def _beside_lines(rows: list[dict[str, Any]], against: tuple[str, ...]) -> list[str]:
    """How each compared row not among the stocks `against` (the conversation's portfolio, or
    each of its stocks) stands against them on volatility and maximum drawdown."""
    risks = {r["portfolio"]: (r["volatility"], r["max_drawdown"]) for r in rows}
    others = {portfolio_called(n): v for n, v in risks.items() if n in against}
    return [
        beside_verdict(portfolio_called(n), v, others) for n, v in risks.items() if n not in against
    ]


ANSWERS: dict[str, Callable[[dict[str, Any], AnalysisAsk], str]] = {
    "statistics": statistics_answer,
    "stress": stress_answer,
    "loss_probability": loss_probability_answer,
    "backtest_weights": backtest_answer,
    "compare": compare_answer,
    "coverage": coverage_answer,
}
"""The answer to each kind of analysis question, from its tool's result."""
