"""The offline model's risk manager in the chat: VaR, CVaR, drawdown and volatility of the
portfolio a message is about (`portfolio_risk_report`), over the window it names ("the last 12
months" is the last 252 sessions: the dates and where the market data ends are named).

What the question is about: a portfolio built in this message first when it names a method ("an
HRP portfolio of ... and its 95% CVaR"); else the portfolios named by id (of this conversation or
the owner's saved ones, `chat_intent.intent_of` reads a saved one's name); else the weights it
gives ("40% KO, 30% PG and 30% PEP"); else the last portfolio built; else the tickers named
(equal weights). Beside the equal-weight portfolio of the same stocks, over the same window,
when asked to compare. Sectors set side by side ("CVaR of tech vs staples") get a report each, of
the group at equal weights, and their values side by side.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from langchain_core.messages import AIMessage

from agents.offline.analysis_answers import group_name
from agents.offline.chat_intent import (
    MAX_NAMED_PORTFOLIOS,
    intent_of,
    judged_before,
    known_tickers,
    last_build,
    last_subject,
    named_beyond,
    only_saved_portfolio,
    portfolio_label,
    rate_args,
    says_my_portfolio,
    which_portfolio,
    window_args,
)
from agents.offline.data_dates import data_end
from agents.offline.formats import money_text, percent
from agents.offline.intent import Intent
from agents.offline.intent.analysis import groups_compared, judged_measure
from agents.offline.intent.held import HELD_NAMED, THE_BUILD
from agents.offline.intent.measures import CONTRIBUTIONS_ASKED, VOLATILITY_WORD
from agents.offline.intent.rankings import SIDE_BY_SIDE
from agents.offline.intent.typos import normalised
from agents.offline.judged_windows import judged_window, stock_referred, subject_window
from agents.offline.policies import PolicyInput, ToolResult, reply, tool_call
from agents.offline.portfolio_builds import (
    build_args,
    build_attempt,
    describe_portfolio,
    equal_weights,
    limits_note,
    stated_capital,
)
from agents.offline.weight_explanations import (
    asks_why_weights,
    explain_weights,
    portfolio_to_explain,
)
from services.formatting import count
from settings import patterns

__all__ = ["risk_chat"]


_IN_MONEY = patterns.compile(r"\b(?:in (?:dollars|\$|usd|money|cash)|dollar|how much money)\b")
_TAIL = patterns.compile(r"\bcvar\b|expected shortfall|conditional")
_VALUE_AT_RISK = patterns.compile(r"\bvar\b|value[\s-]at[\s-]risk")


def _thread_capital(inp: PolicyInput, intent: Intent) -> float | None:
    """The capital the thread's latest build was given, when the message asks for money."""
    if not _IN_MONEY.search(intent.text.lower()):
        return None
    for call in reversed(inp.tool_calls_made()):
        if call["name"] in ("optimize_portfolio", "portfolio_risk_report") and call["args"].get(
            "capital"
        ):
            return float(call["args"]["capital"])
    return None


def _groups(intent: Intent) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Sectors set side by side ("CVaR of tech vs staples"), each with its stocks."""
    return groups_compared(intent, normalised(intent.text), ())


def _risk_reports_wanted(inp: PolicyInput, intent: Intent) -> list[dict[str, Any]] | str:
    """The `portfolio_risk_report` arguments the message asks for, or a question to ask."""
    level = {"level": intent.confidence or 0.95, **rate_args(intent)}
    if intent.horizon_days and intent.horizon_days > 1:
        level["horizon_days"] = intent.horizon_days
    if (capital := stated_capital(intent) or _thread_capital(inp, intent)) is not None:
        level["capital"] = capital
    window = {k: v for k, v in window_args(intent).items() if k != "universe"}
    tickers = intent.universe(known_tickers())
    last = last_build(inp)
    built_now = any(c["name"] == "optimize_portfolio" for c in inp.calls_this_turn())
    if intent.portfolio_ids and not built_now:
        named = intent.portfolio_ids[:MAX_NAMED_PORTFOLIOS]
        return [{"portfolio_id": portfolio_id, **level, **window} for portfolio_id in named]
    if intent.weights and not built_now:
        wanted = [{"weights": dict(intent.weights), **level, **window}]
        if intent.equal_weight:  # beside the equal-weight portfolio of the same names
            names = list(intent.weights)
            equal = equal_weights(names)
            wanted.append({"weights": equal, **level, **window})
        return wanted
    if tickers and not built_now and CONTRIBUTIONS_ASKED.search(intent.text.lower()):
        held = (last_subject(inp) or {}).get("weights") or (last or {}).get("weights") or {}
        if set(tickers) < set(held):
            tickers = []  # "how much of its risk comes from AAPL?": a holding of the thread's
    named_build = THE_BUILD.search(intent.text) or HELD_NAMED.search(intent.text.lower())
    # "the portfolio we built", "my portfolio": the build, not weights asked about since
    latest = None if built_now or tickers or named_build else last_subject(inp)
    weights = (latest or {}).get("weights") or {}
    if weights:  # the latest subject, after any build: "add 10% JNJ", "the VaR of 60/40?"
        if intent.refers_back and not (intent.start or intent.end or intent.last_sessions):
            window = window or subject_window(inp, {"weights": weights})  # "what about its VaR?"
        return [{"weights": dict(weights), **level, **window}]
    stock = stock_referred(inp, intent) if (latest or {}).get("universe") else None
    if stock is not None:  # "and its max drawdown?" after "the beta of AAPL in 2021": AAPL's
        return [{"weights": {stock[0]: 1.0}, **level, **(window or stock[1])}]
    if last is not None and (built_now or not tickers):
        if intent.equal_weight and not window:  # both over the window the portfolio was built on
            built_on = last.get("date_range") or {}
            window = {k: built_on[k] for k in ("start", "end") if built_on.get(k)}
        wanted = [{"portfolio_id": last["portfolio_id"], **level, **window}]
        if intent.equal_weight:
            names = sorted(last["weights"])
            equal = equal_weights(names)
            wanted.append({"weights": equal, **level, **window})
        return wanted
    if groups := _groups(intent):  # "CVaR of tech vs staples": a report a group
        return [{"weights": equal_weights(members), **level, **window} for _, members in groups]
    if len(tickers) > 1 and SIDE_BY_SIDE.search(intent.text.lower()):  # "the VaR of AAPL vs
        return [{"weights": {t: 1.0}, **level, **window} for t in tickers[:MAX_NAMED_PORTFOLIOS]]
    if tickers:  # MSFT": each held alone, side by side; "the VaR of AAPL and MSFT": held together
        return [{"weights": equal_weights(tickers), **level, **window}]
    if (judged := judged_before(inp)) is not None:  # "and that stock's drawdown?" after a best
        window = window or judged_window(inp, intent)  # each judged held alone, side by side
        return [{"weights": {t: 1.0}, **level, **window} for t in judged[:MAX_NAMED_PORTFOLIOS]]
    if says_my_portfolio(inp) and (saved := only_saved_portfolio(inp)) is not None:
        return [{"portfolio_id": saved, **level, **window}]  # "my portfolio": the one saved
    return which_portfolio(inp)  # several saved: named, a name in reply answers it


_RATIOS = (
    (patterns.compile(r"\bsharpe"), "sharpe_ratio", "Sharpe ratio"),
    (patterns.compile(r"\bsortino"), "sortino_ratio", "Sortino ratio"),
    (patterns.compile(r"\bcalmar"), "calmar_ratio", "Calmar ratio"),
)
"""The ratios of a risk report a question may name: its words, the report's key, the name."""


_PATH_ASKED = patterns.compile(r"\bdraw[\s-]?downs?\b|\bmdd\b|" + VOLATILITY_WORD)
_TAILS_ASKED = patterns.compile(
    r"\bc?var\b|value[\s-]at[\s-]risk|expected shortfall|\btail|\brisk (?:report|profile)"
)
"""A risk report asked for its drawdown or volatility (they lead the answer) or for its tails
(VaR and CVaR lead, as they do when nothing is named)."""

_RISKIEST_HOLDING = patterns.compile(r"\briskiest (?:holding|position|name|stock)\b")


_RISK_FROM = patterns.compile(
    r"\b(?:comes?|coming|came)\s+from\s+((?:[A-Z][A-Z.]{0,5}(?:\s*,\s*|\s+and\s+|\s*&\s*)?)+)"
)
"""The holdings a share of the risk is asked of ("how much of my risk comes from AAPL and KO?"),
as written (tickers in capitals)."""


def contributions_sentence(d: dict[str, Any], asked: str = "") -> str:
    """The report's risk contributions, largest first, and the holding carrying the most ("" for
    a report without them); first the share of the holdings the question `asked` names ("how
    much of its risk comes from AAPL?"), when it names some but not all."""
    shares = d.get("risk_contributions")
    if not isinstance(shares, dict) or not shares:
        return ""
    ranked = sorted(shares.items(), key=lambda item: -float(item[1]))
    listed_shares = ", ".join(f"{name} {percent(float(share), 1)}" for name, share in ranked)
    source = _RISK_FROM.search(asked)  # "... comes from AAPL and KO"
    named = [n for n in shares if source and re.search(rf"\b{re.escape(n)}\b", source[1])]
    lead = ""
    if named and len(named) < len(shares):
        total = sum(float(shares[name]) for name in named)
        lead = f"{' and '.join(named)} {'carry' if len(named) > 1 else 'carries'} {percent(total, 1)} of the portfolio's volatility. "
    return lead + (
        "Risk contributions (each holding's share of the portfolio's volatility; they sum to "
        f"100%): {listed_shares}: {ranked[0][0]} carries the most. "
    )


def risk_sentence(d: dict[str, Any], asked: str = "") -> str:
    """A risk report in a sentence, with its window and where the market data ends, after the
    risk contributions when the question `asked` is where the risk comes from; then the ratios
    it names (Sharpe and Sortino with the risk-free rate they used)."""
    span = d["date_range"]
    low = asked.lower()
    asks = CONTRIBUTIONS_ASKED.search(low) or _RISKIEST_HOLDING.search(low)
    text = contributions_sentence(d, asked) if asks else ""
    tails = (
        f"at {100 * d['level']:g}% confidence the one-day VaR is {percent(d['var_historical'], 2)} "
        f"and the CVaR {percent(d['cvar_historical'], 2)} (historical)"
    )
    path = (
        f"the maximum drawdown was {d['max_drawdown']:.1%} and the annualised volatility "
        f"{d['volatility']:.1%}"
    )
    window = (
        f"from {span['start']} to {span['end']} ({count(span['days'])} sessions; the market data "
        f"ends on {data_end()})"
    )
    if _PATH_ASKED.search(low) and not _TAILS_ASKED.search(low):  # "the max drawdown of AAPL"
        text += f"{path[0].upper()}{path[1:]}, {window}; {tails}."
    else:
        text += f"{tails[0].upper()}{tails[1:]}; {path}, {window}."
    text += horizon_sentence(d) + money_sentence(d)
    if isinstance(thin := d.get("thin_tail"), dict):
        text += f" Caution: {thin['note']}."
    named = [(key, name) for word, key, name in _RATIOS if word.search(low) and key in d]
    if named:
        rate = 100 * float(d.get("risk_free_rate") or 0.0)
        shown = ", ".join(f"{name} {float(d[key]):.2f}" for key, name in named)
        text += f" {shown} (annualised; risk-free rate {rate:.4g}% a year)."
    return text


def money_sentence(d: dict[str, Any]) -> str:
    """The report's VaR and CVaR as money on the capital asked about, when there is one."""
    amounts, capital = d.get("amounts"), d.get("capital")
    if not isinstance(amounts, dict) or not capital:
        return ""
    said = [f"one-day VaR {money_text(amounts['var_historical'])} and CVaR "
            f"{money_text(amounts['cvar_historical'])} (historical)"]  # fmt: skip
    for method, name in (
        ("overlapping", "overlapping"),
        ("square_root_of_time", "square-root-of-time"),
    ):
        if f"{method}.var" in amounts:
            said.append(
                f"over {d['horizon']['days']} sessions ({name}) VaR "
                f"{money_text(amounts[f'{method}.var'])} and CVaR {money_text(amounts[f'{method}.cvar'])}"
            )
    return f" On {money_text(capital)} of capital: " + "; ".join(said) + "."


def horizon_sentence(d: dict[str, Any]) -> str:
    """The VaR and CVaR over the report's horizon, when it has one, each with its method."""
    horizon = d.get("horizon")
    if not isinstance(horizon, dict):
        return ""
    days = horizon["days"]
    said = []
    for method, name in (
        ("overlapping", "overlapping"),
        ("square_root_of_time", "square-root-of-time"),
    ):
        found = (horizon.get("methods") or {}).get(method) or {}
        if "var" in found:
            said.append(
                f"{name}: VaR {percent(found['var'], 2)}, CVaR {percent(found['cvar'], 2)} "
                f"({found['definition']})"
            )
        elif found.get("not_computed"):
            said.append(f"{name}: not computed ({found['not_computed']})")
    return f" Over {days} sessions at {100 * d['level']:g}% confidence: " + "; ".join(said) + "."


def _named_risk_sentence(inp: PolicyInput, report: ToolResult, asked: str) -> str:
    """The risk of a portfolio the message named by id, or why there is none."""
    label = portfolio_label(inp, str(report.args.get("portfolio_id")))
    if report.is_error or not isinstance(report.data, dict):
        return f"{label}: no risk report ({report.reason})."
    return f"{label}: " + risk_sentence(report.data, asked)


_JUDGED_KEYS = {
    "max_drawdown": ("max_drawdown", "maximum drawdown", False, "{:.1%}"),
    "volatility": ("volatility", "annualised volatility", False, "{:.1%}"),
    "sharpe_ratio": ("sharpe_ratio", "Sharpe ratio", True, "{:.2f}"),
    "cvar": ("cvar_historical", "CVaR", False, "{:.2%}"),
    "annualised_return": ("annualised_return", "annualised return", True, "{:.1%}"),
}
"""A measure a comparison is judged on: its key in the risk report, its name, whether higher is
better and how it is shown."""


def _verdict(ours: dict[str, Any], equal: dict[str, Any], measure: str) -> str:
    """Which did better on the measure the question asked (both over the same window)."""
    key, name, higher_is_better, shown = _JUDGED_KEYS[measure]
    mine, theirs = float(ours[key]), float(equal[key])
    if mine == theirs:
        return f"Its {name} equals equal weight's ({shown.format(mine)})."
    side = "higher" if mine > theirs else "lower"
    winner = "it" if (mine > theirs) == higher_is_better else "equal weight"
    return (
        f"Its {name} was {side} than equal weight's ({shown.format(mine)} against "
        f"{shown.format(theirs)}): {winner} did better on it."
    )


_GROUP_MEASURES = {
    "var": ("var_historical", "VaR"),
    "cvar": ("cvar_historical", "CVaR"),
    "max_drawdown": ("max_drawdown", "maximum drawdown"),
    "volatility": ("volatility", "annualised volatility"),
    "sharpe_ratio": ("sharpe_ratio", "Sharpe ratio"),
    "annualised_return": ("annualised_return", "annualised return"),
}
"""A measure groups are set side by side on: its key in the risk report and its name."""


def _measure_text(measure: str, value: float) -> str:
    """A risk report's value as `risk_sentence` writes it."""
    if measure == "sharpe_ratio":
        return f"{value:.2f}"
    return percent(value, 2) if measure in ("var", "cvar") else f"{value:.1%}"


def _groups_sentence(
    groups: Sequence[tuple[str, tuple[str, ...]]], reports: list[dict[str, Any]], asked: str
) -> str:
    """Each group's risk report at equal weights, a paragraph a group, then the groups side by
    side on the measure asked (CVaR when none); a group of one stock is that stock held alone
    ("the VaR of AAPL vs MSFT")."""
    low = asked.lower()
    tail = _TAIL.search(low)
    value_at_risk = _VALUE_AT_RISK.search(low) and not tail
    measure = "var" if value_at_risk else judged_measure(asked) or "cvar"
    key, name = _GROUP_MEASURES[measure]
    alone = all(members == (group,) for group, members in groups)
    paragraphs = [
        (f"{group} held alone: " if alone else f"{group_name(group).capitalize()} at equal "
         f"weights ({', '.join(members)}): ") + risk_sentence(report, asked)
        for (group, members), report in zip(groups, reports, strict=True)
    ]  # fmt: skip
    side = ", ".join(
        f"{group} {_measure_text(measure, float(report[key]))}"
        for (group, _), report in zip(groups, reports, strict=True)
    )
    each = "each held alone" if alone else "each group at equal weights"
    return "\n\n".join([*paragraphs, f"Side by side, {each}: {name} {side}."])


def risk_chat(inp: PolicyInput) -> AIMessage:
    """Risk of the portfolio under discussion (see the module docstring)."""
    intent = intent_of(inp)
    calls = inp.calls_this_turn()
    methods = [m for m in intent.methods if m != "frontier"]
    explained = portfolio_to_explain(inp)
    if explained is not None and asks_why_weights(intent, explained):  # "why so much KO?"
        return explain_weights(inp, explained, intent)
    if methods and not any(c["name"] == "optimize_portfolio" for c in calls):
        return reply("", tool_call("optimize_portfolio", build_args(inp, intent, methods[0])))
    built = [r for r in inp.results_this_turn() if r.name == "optimize_portfolio"]
    if built and (failed := built[-1].failure(build_attempt(built[-1].args))) is not None:
        return reply(failed)
    wanted = _risk_reports_wanted(inp, intent)
    if isinstance(wanted, str):
        return reply(wanted)
    done = [c for c in calls if c["name"] == "portfolio_risk_report"]
    if len(done) < len(wanted):
        return reply("", tool_call("portfolio_risk_report", wanted[len(done)]))
    reports = [r for r in inp.results_this_turn() if r.name == "portfolio_risk_report"]
    if intent.portfolio_ids and not built:
        said = " ".join(_named_risk_sentence(inp, r, intent.text) for r in reports)
        return reply(said + named_beyond(intent))
    if any(r.is_error or not isinstance(r.data, dict) for r in reports):
        failed_report = next(r for r in reports if r.is_error or not isinstance(r.data, dict))
        return reply(f"The risk report failed: {failed_report.reason}")
    parts = [describe_portfolio(built[-1].data) + "." + limits_note(intent)] if built else []
    groups = _groups(intent) if not built and len(reports) > 1 else ()
    if (
        not built
        and len(reports) > 1
        and all(len(r.args.get("weights") or ()) == 1 for r in reports)
    ):
        groups = tuple((name, (name,)) for r in reports for name in r.args["weights"])
    equal_each = all(
        r.args.get("weights") == equal_weights(m)
        for r, (_, m) in zip(reports, groups, strict=False)
    )
    if groups and equal_each:
        return reply(_groups_sentence(groups, [r.data for r in reports], intent.text))
    if len(reports) == 2:
        ours, equal = reports[0].data, reports[1].data
        given = ", ".join(f"{t} {float(w):.1%}" for t, w in (reports[0].args.get("weights") or {}).items())  # fmt: skip
        label = ours.get("portfolio_id") or f"The portfolio given ({given})"
        parts.append(f"{label}: " + risk_sentence(ours, intent.text))
        parts.append(
            "The equal-weight portfolio of the same stocks: " + risk_sentence(equal, intent.text)
        )
        parts.append(_verdict(ours, equal, judged_measure(intent.text) or "cvar"))
    else:
        about = reports[0].data.get("portfolio_id")
        sentence = risk_sentence(reports[0].data, intent.text)
        named = f"{portfolio_label(inp, about)}: " if about and not built else ""
        if intent.equal_weight and not built and _EQUAL_BUILT.search(intent.text.lower()):
            named = _equal_weight_head(reports[0].args.get("weights") or {}, reports[0].data)
        parts.append(named + sentence)
    return reply(" ".join(parts))


_EQUAL_BUILT = patterns.compile(
    r"\b(?:build|make|create|construct|give\s+me|show\s+me|set\s+up|want|need|suggest)\b"
    r"|^\W*equal[\s-]?weight(?:ed|s)?\s+(?:portfolio\s+(?:of\s+)?)?[a-z$]"
)
"""An equal-weight portfolio asked for ("build an equal-weight portfolio of ...", "equal weight
AAPL MSFT KO"), not measured beside another: said as the portfolio, then its risk."""


def _equal_weight_head(weights: dict[str, float], d: dict[str, Any]) -> str:
    """ "Equal-weight portfolio: AAPL 33.3%, KO 33.3%, MSFT 33.3% (each stock the same weight; no
    optimizer). Annualised return 22.3%, Sharpe ratio 0.91 (risk-free rate 0%). " """
    held = ", ".join(f"{t} {float(w):.1%}" for t, w in weights.items())
    rate = 100 * float(d.get("risk_free_rate") or 0.0)
    return (
        f"Equal-weight portfolio: {held} (each stock the same weight; no optimizer). Annualised "
        f"return {percent(d['annualised_return'])}, Sharpe ratio {float(d['sharpe_ratio']):.2f} "
        f"(risk-free rate {rate:.4g}%). "
    )
