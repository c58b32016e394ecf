"""How `stratigos deploy` prints a deployment's performance and a forward test's result: the
account against its backtests, the gap in parts, the benchmarks beside it, its hedge and runs;
for a forward test of an account several deployments share, the netting and each strategy's
part."""

from __future__ import annotations

from typing import Any

from services.formatting import bps, money, percent


def performance_text(report: dict[str, Any]) -> str:
    data = f"market data: {data_text(report['data'])}" if report.get("data") else ""
    if not report["sessions"]:
        return "Nothing traded yet." + (f" ({data})" if data else "")
    c = report["comparison"]
    limit = report["max_drawdown_limit"]
    return "\n".join(
        [
            f"{report['start']} to {report['end']} ({report['sessions']} sessions)"
            + (f"; {data}" if data else ""),
            f"  paper {percent(c['live_return'], signed=True)}, backtest {percent(c['backtest_return'], signed=True)} from the first "
            f"close, the strategy as deployed ({_against(c)})",
            *_tracking_lines(report),
            f"  time-weighted return {percent(report['time_weighted_return'], signed=True)}",
            f"  drawdown {percent(c['drawdown'])}"
            + ("" if limit is None else f" (pauses beyond {percent(limit)})"),
            f"  weights drift up to {percent(report['weight_drift'])} from the targets",
            *benchmark_lines(report["benchmarks"]),
            *(
                []
                if report["hedge"] is None
                else [
                    f"  option hedge {money(report['hedge']['value'])} on "
                    f"{report['hedge']['priced_on']} (in the paper values); volatility: "
                    f"{report['hedge']['volatility']['words']}"
                ]
            ),
        ]
    )


def data_text(data: dict[str, Any]) -> str:
    """The market data a deployment uses (`trading.deployment_views.market_data_of`, a
    performance's `data`): provider, version and where it ends, or why it cannot be read."""
    if "problem" in data:
        return f"{data['provider']}: {data['problem']}"
    return f"{data['provider']} version {data['version']}, ends {data['data_end']}"


def _against(comparison: dict[str, Any]) -> str:
    """The paper return against the backtest's, both from the first close, in points, and the
    tracking error."""
    gap = comparison["return_gap"]
    tracking = comparison["tracking_error"]
    return (
        f"the paper return is {abs(gap) * 100:.2f} points {'above' if gap >= 0 else 'below'} "
        "it; tracking error " + ("n/a" if tracking is None else f"{percent(tracking)} a year")
    )


def benchmark_lines(benchmarks: dict[str, Any]) -> list[str]:
    """Every line's return, CAGR, volatility, Sharpe (against the stated risk-free rate) and
    maximum drawdown, the account against holding its stocks, and the benchmarks left out."""
    rows = benchmarks["performance"]
    rate = benchmarks["risk_free_rate"]
    width = max(len(row["label"]) for row in rows)
    lines = [
        f"  beside it (Sharpe against a {percent(rate)} risk-free rate):",
        f"    {'':{width}}  {'return':>8} {'CAGR':>8} {'volatility':>10} {'Sharpe':>7} "
        f"{'max drawdown':>12}",
    ]
    for row in rows:
        cells = [
            _shown(row["total_return"], "{:+.2%}", 8),
            _shown(row["cagr"], "{:+.2%}", 8),
            _shown(row["volatility"], "{:.2%}", 10),
            _shown(row["sharpe"], "{:.2f}", 7),
            _shown(row["max_drawdown"], "{:.2%}", 12),
        ]
        lines.append(f"    {row['label']:{width}}  " + " ".join(cells))
    by_name = {row["name"]: row for row in rows}
    held = by_name.get("equal_weight_held")
    if held is not None:
        edge = by_name["paper"]["total_return"] - held["total_return"]
        verb = "ahead of" if edge >= 0 else "behind"
        lines.append(
            f"  the account is {abs(edge) * 100:.2f} points {verb} holding the same stocks equal-weighted "
            f"({percent(by_name['paper']['total_return'], signed=True)} against {percent(held['total_return'], signed=True)})"
        )
    lines += [f"  {name}: left out, {why}" for name, why in benchmarks["missing"].items()]
    return lines


def _shown(value: float | None, form: str, width: int) -> str:
    return f"{'n/a' if value is None else form.format(value):>{width}}"


def _hedge_lines(hedge: dict[str, Any]) -> list[str]:
    """A forward test's option hedge: its runs, premiums, settlements, fees, what it held at the
    end and its value then, and why it tracks less closely."""
    statuses = ", ".join(f"{n} {s}" for s, n in sorted(hedge["run_statuses"].items()))
    held = ", ".join(f"{n:+d} {s}" for s, n in hedge["positions"].items()) or "nothing"
    return [
        f"  hedge on {hedge['underlying']}: {hedge['runs']} runs ({statuses}), "
        f"{hedge['trades']} option trades; premiums paid {money(hedge['premiums_paid'])}, "
        f"received {money(hedge['premiums_received'])}, settlements {money(hedge['settlements'])}, "
        f"fees {money(hedge['fees'])}",
        f"  hedge value {money(hedge['value'])} on {hedge['priced_on']} (cash "
        f"{money(hedge['cash'])}, options {money(hedge['market_value'])}; holds {held})",
        f"  volatility: {hedge['volatility']['words']}",
        f"  ({hedge['note']})",
    ]


def _tracking_lines(result: dict[str, Any]) -> list[str]:
    """The searched backtest's line (when there is one) and the gap's decomposition in words
    (none for a hedged deployment)."""
    from trading.forward_tests.tracking import gap_in_words

    values = result["values"]
    lines = []
    if values.get("searched"):
        searched = values["searched"]
        lines.append(
            f"  searched: {percent(searched[-1] / searched[0] - 1, signed=True)}, the strategy as it was searched "
            "(its own cadence from the first session, the engine's basket)"
        )
    decomposition = result.get("decomposition")
    if decomposition:
        lines.append(f"  {decomposition.get('words') or gap_in_words(decomposition)}")
    return lines


_FIRE_PRICE_WORDS = {
    "session_close": "the session's close as the price at the fire (as a live run's latest trade)",
    "previous_close": "the closes before the fire (orders filled a session later)",
}


def forward_test_text(job_id: str, result: dict[str, Any]) -> str:
    comparison = result["comparison"]
    statuses = ", ".join(f"{n} {s}" for s, n in sorted(result["run_statuses"].items()))
    paused = result["paused"]
    lines = [
        f"Forward test {job_id}: {result['start']} to {result['end']}, {result['sessions']} "
        f"sessions, {result['runs']} rebalances ({statuses}), {result['fills']} fills",
        f"  paper:    {money(result['capital'])} -> {money(result['final_value'])} "
        f"({percent(comparison['live_return'], signed=True)} from the first close)",
        f"  backtest: {percent(comparison['backtest_return'], signed=True)} over the same "
        f"sessions, the strategy as deployed ({_against(comparison)})",
        f"  drawdown at the end {percent(comparison['drawdown'])}; commissions "
        f"{money(result['fees'])} (slippage of {bps(result['costs']['slippage_bps'])} is in the "
        f"fill prices); realised P&L {money(result['realised_pnl'])}",
        f"  fires decided on {_FIRE_PRICE_WORDS[result['fire_price']]}; cash earned "
        f"{percent(result['cash_rate'])} a year ({money(result['interest'])} of interest)",
    ]
    lines += _tracking_lines(result)
    lines += benchmark_lines(result["benchmarks"])
    lines += [f"  {item['words']}" for item in result.get("risk_limits") or []]
    if paused:
        lines.append(f"  paused at {paused['fire']}: {paused['reason']}")
    if result["hedge"] is not None:
        lines += _hedge_lines(result["hedge"])
    lines += [
        f"  {r['kind']} at {r['fire']} {r['status']}: {r['reason']}" for r in result["runs_detail"]
    ]
    test_id = result["forward_test_deployment_id"]
    lines.append(
        f"Ledger: stratigos deploy ledger {test_id}; positions: stratigos deploy positions {test_id}"
    )
    return "\n".join(lines)


def account_forward_test_text(job_id: str, result: dict[str, Any]) -> str:
    """An account's forward test (`trading.forward_tests.account`): the account, its netting
    and each strategy's book against its backtest, with what its crossed parts saved."""
    netting, costs = result["netting"], result["costs"]
    lines = [
        f"Forward test {job_id} of account {result['account']}: {len(result['members'])} "
        f"strategies together on {result['test_account']}, {result['start']} to "
        f"{result['end']}, {result['sessions']} sessions",
        f"  netting:  {netting['decision_times']} decision times, {netting['conflicts']} "
        f"conflicts; {netting['orders_sent']} orders sent, {netting['orders_crossed']} crossed "
        f"inside the account ({netting['shares_crossed']:,.4f} shares, "
        f"{money(netting['value_crossed'])}); the crossed parts saved "
        f"{money(netting['slippage_saved'])} of slippage and {money(netting['commission_saved'])} "
        "of commission",
        f"  account:  {money(result['capital'])} -> {money(result['final_value'])}; "
        f"{result['fills']} fills at the broker, commissions {money(result['fees'])} "
        f"({_costs_text(costs)}), interest {money(result['interest'])}",
    ]
    for member in result["members"]:
        c, mine = member["comparison"], member["netting"]
        statuses = ", ".join(f"{n} {s}" for s, n in sorted(member["run_statuses"].items()))
        lines += [
            f"  {member['name']} ({member['deployment_id']}; test "
            f"{member['forward_test_deployment_id']}):",
            f"    book {money(member['capital'])} -> {money(member['final_value'])} "
            f"({percent(c['live_return'], signed=True)} from the first close; backtest "
            f"{percent(c['backtest_return'], signed=True)}, {_against(c)})",
            f"    {member['runs']} runs ({statuses}); fees {money(member['fees'])}; interest "
            f"{money(member['interest'])} at {percent(member['cash_rate'])} a year",
            f"    crossed {mine['shares_crossed']:,.4f} shares ({money(mine['value_crossed'])}) "
            f"inside the account, saving {money(mine['slippage_saved'])} of slippage and "
            f"{money(mine['commission_saved'])} of commission",
        ]
        if member["paused"]:
            lines.append(f"    paused at {member['paused']['fire']}: {member['paused']['reason']}")
        lines += [
            f"    {r['kind']} at {r['fire']} {r['status']}: {r['reason']}"
            for r in member["runs_detail"]
        ]
    first = result["members"][0]["forward_test_deployment_id"]
    lines.append(
        f"Orders: stratigos deploy orders {first} (each strategy's part of the account's "
        f"orders); the account's runs: GET /v1/accounts/{result['test_account']}/runs"
    )
    lines.append(_tearsheets_text(result["tearsheets"]))
    return "\n".join(lines)


def _costs_text(costs: dict[str, Any]) -> str:
    parts = [
        f"{costs['commission_per_share']:g} a share" if costs["commission_per_share"] else "",
        f"{costs['commission_per_order']:g} an order" if costs["commission_per_order"] else "",
        f"{costs['commission_bps']:g} bps" if costs["commission_bps"] else "",
    ]
    charged = ", ".join(p for p in parts if p) or "none charged"
    return f"{charged}; slippage {costs['slippage_bps']:g} bps in the fill prices"


def _tearsheets_text(sheets: dict[str, Any]) -> str:
    if sheets.get("problem"):
        return f"Tearsheets of {sheets['day']}: none ({sheets['problem']})"
    reports = sheets.get("reports") or []
    if not reports:
        status = sheets.get("status", "submitted")
        why = f": {sheets['error']}" if sheets.get("error") else ""
        return f"Tearsheets of {sheets['day']}: job {sheets['job_id']} {status}{why}"
    names = {None: "the account", **sheets.get("names", {})}
    return "\n".join(
        [f"Tearsheets of {sheets['day']} (stratigos serve: GET /v1/reports/ID):"]
        + [f"  {names.get(r['deployment_id'], r['deployment_id'])}: {r['id']}" for r in reports]
    )
