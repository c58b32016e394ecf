"""The offline model's market analyst in the chat: the market read of a universe over the window
asked (`market_statistics`: regime, bull or bear markets by the 20% rule, volatility, Sharpe
ratios against the risk-free rate it uses, correlation; the window's dates and where the market
data ends named), the scenarios
(`generate_market_scenarios`), the owner's research quoted (`search_research`) and investment
ideas (`agents.offline.idea_policies`)."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage

from agents.offline.chat_args import scenario_args
from agents.offline.chat_intent import (
    intent_of,
    known_tickers,
    says_my_portfolio,
    thread_subject,
    user_text,
    which_portfolio,
    window_args,
)
from agents.offline.data_dates import data_end
from agents.offline.idea_policies import propose_ideas_chat, save_idea_chat
from agents.offline.intent.regime_asked import TIMING_ASKED, RegimeQuestion, regime_question
from agents.offline.intent.words import read_tickers
from agents.offline.judged_windows import judged_window
from agents.offline.phase_answers import phase_verdict
from agents.offline.policies import PolicyInput, reply, tool_call
from agents.offline.statistic_words import told_apart
from agents.offline.thread_market import INDEX_SUBJECT
from agents.research_quotes import quoted_answer
from services.formatting import count
from settings import patterns

__all__ = ["market_chat", "research_chat"]

DRAWDOWN_ASKED = patterns.compile(r"\bdraw[\s-]?downs?\b|\bm?dd\b")
"""A question that names the drawdown ("dd", "mdd" included)."""
MARKET_SHARPE_RISK_FREE = 0.0
"""The annual risk-free rate of `market_statistics`' Sharpe ratios (its `units` say so)."""


def research_question(question: str) -> str:
    """The question with the tickers of the companies it names added ("the house view on
    Chevron" -> "... Chevron CVX"), so the passages and rows naming the ticker are found and
    quoted."""
    named = [t for t in read_tickers(question, known_tickers()) if t not in question]
    return " ".join([question, *named])


def research_chat(inp: PolicyInput) -> AIMessage:
    """Call `search_research` with the user's question, then quote the sentence (or row) of each
    of the passages that speaks to it, with its citation (numbers as the passages write them)."""
    question = research_question(user_text(inp))
    if "search_research" not in {call["name"] for call in inp.calls_this_turn()}:
        return reply("", tool_call("search_research", {"query": question, "k": 5}))
    latest = inp.latest_tool_results()
    if not latest or latest[-1].is_error or not isinstance(latest[-1].data, dict):
        why = (latest[-1].reason if latest else "no result").rstrip(".")
        return reply(f"I could not search your documents: {why}. Nothing was computed.")
    passages = latest[-1].data.get("passages") or []
    if not passages:
        return reply(
            "I found nothing about that in your documents. Upload research on it (PDF, "
            "spreadsheet, notes) and ask again."
        )
    return reply(quoted_answer(passages, question))


def _scenarios_answer(data: dict[str, Any]) -> str:
    lines = [
        f"Scenario set {data.get('scenario_set_id')} ({data.get('n_paths')} paths of "
        f"{data.get('horizon')} sessions per scenario):"
    ]
    for name, row in (data.get("summary") or {}).items():
        if isinstance(row, dict) and "mean_return" in row and "volatility" in row:
            lines.append(
                f"{name}: mean return {row['mean_return']:.1%}, volatility {row['volatility']:.1%}"
            )
    return " ".join(lines)


_VOLATILITY_ASKED = patterns.compile(r"\bvolatil|\brisky\b|\bswings?\b")
_INDEX_ASKED = patterns.compile(r"\bs&p\b|\bspx\b|\bspy\b|\bthe index\b|\bthe (?:stock )?market\b")
_PERFORMANCE_ASKED = patterns.compile(
    r"\b(?:do|did|does|done|doing|fared?|faring|perform\w*|returns?|returned|gone|going)\b"
)
"""How stocks did asked of a market read of several ("how's tech been doing?", "how have the
banks done lately?"): each one's annualised return, beside the index's."""
_INDEX_MEASURE = patterns.compile(
    r"\breturns?\b|\bperform\w*|\bdone\b|\bdid\b|\bvolatil\w*|\bdraw[\s-]?downs?\b"
    r"|\bsharpe\b|\bf[ae]ll\b|\bdrop\w*|\bgain\w*|\brose\b"
)
"""A question about the index itself ("what was the return of the S&P 500 in 2022?")."""


def _index_answer(data: dict[str, Any]) -> str:
    """The index's own figures over the window (the stocks' equal-weight average, so named,
    when the data has no index)."""
    market, span = data["market"], data.get("date_range", {})
    name = (
        INDEX_SUBJECT
        if market.get("name") == "SP500"
        else ("The data has no index; the stocks' equal-weight average")
    )
    total = market.get("total_return")
    total_text = "" if total is None else f"a total return of {total:.1%} ("
    return (
        f"{name} from {span.get('start')} to {span.get('end')}: {total_text}annualised mean "
        f"return {market['ret']:.1%}{')' if total_text else ''}, volatility {market['vol']:.1%} "
        f"a year, maximum drawdown {market['mdd']:.2%}, Sharpe ratio {market['sharpe']:.2f} "
        f"(risk-free rate {MARKET_SHARPE_RISK_FREE:.0%})."
    )


def _regime_verdict(asked: str, regime: dict[str, Any]) -> str:
    """The answer to "are we in a bear (bull) market?" by the regime read: whether the market's
    annualised return over the last `window_days` sessions is in the lowest (highest) third of
    the window's returns over as many sessions, with the cut-off and its percentile."""
    now = regime["return_regime"]
    days = regime.get("window_days", 63)
    cuts = regime.get("thresholds") or {}
    where = (
        f"the market's annualised return over the last {days} sessions, "
        f"{regime['market_return']:.1%}, is at or above {regime['return_percentile']:.0%} of "
        f"the window's {days}-session returns"
    )
    rule = {
        "bear": f"a bear return regime is their lowest third ({cuts.get('bear_below', 0):.1%} "
        "or less)",
        "bull": f"a bull return regime is their highest third ({cuts.get('bull_above', 0):.1%} "
        "or more)",
    }
    read = "by the return-regime read"
    if asked == "either":
        said = f"Neither, {read}" if now == "neutral" else f"A {now} market, {read}"
        return f"{said}: {where}; {rule['bear']}, {rule['bull']}."
    said = f"Yes, {read}" if now == asked else f"Not {read}"
    return f"{said}: {where}; {rule[asked]}."


def _state_verdict(question: RegimeQuestion, data: dict[str, Any]) -> str:
    """The answer to "is KO (are we) in a bear (bull) market?": each stock asked about by the
    20% rule (of at most `tools.market.MAX_PHASE_ASSETS`: the read says so for more); the
    market by the rule (its index) and by the return-regime read."""
    phases, regime = data.get("phases") or {}, data.get("regime") or {}
    span = data.get("date_range") or {}
    window = (str(span.get("start")), str(span.get("end")))
    asked, past = question.kind, question.past
    said = []
    if (threshold := phases.get("threshold")) is not None:
        if question.of_stocks and phases.get("per_asset"):
            return phase_verdict(asked, phases["per_asset"], window, threshold, past)
        market = data.get("market") or {}
        name = "the S&P 500 index" if market.get("name") == "SP500" else "the stocks' average"
        said.append(phase_verdict(asked, {name: phases["index"]}, window, threshold, past))
        if question.of_stocks and phases.get("per_asset_not_given"):
            said.append(f"Not said of each stock: {phases['per_asset_not_given']}.")
    if regime.get("return_regime") is not None:
        said.append(_regime_verdict(asked, regime))
    return " ".join(said)


_NOT_TIMED = (
    "Whether to buy or sell now is your call: nothing here forecasts prices or times the market. "
    "Where things stand on the data:"
)
"""What a market read asked whether to buy or sell now (`TIMING_ASKED`) starts with."""


def market_answer(data: dict[str, Any], asked: str) -> str:
    """The market read: the window and where the data ends, the regime (and how it was read
    when the window is too short for one); one stock's Sharpe ratio (with its risk-free rate),
    return, volatility and drawdown; of several, the volatilities and drawdowns when `asked`
    speaks of them and the best and worst Sharpe ratios; the mean correlation. A question about
    the index itself is answered with its figures first (`_index_answer`)."""
    regime, span = data.get("regime", {}), data.get("date_range", {})
    assets = data.get("per_asset", {})
    text = (
        f"From {span.get('start')} to {span.get('end')} ({count(span.get('days'))} sessions; the market "
        f"data ends on {data_end()})"
    )
    if regime.get("return_regime") is None:
        text += f" no market regime is read: {regime.get('note')}."
    else:
        text += (
            f" the market is in a {regime['return_regime']} return regime with "
            f"{regime.get('volatility_regime', 'normal')} volatility"
        )
        if regime.get("market_volatility") is not None:
            text += (
                f" (annualised volatility {regime['market_volatility']:.1%} over the last "
                f"{regime.get('window_days', 63)} days)"
            )
        text += "." + (f" Note: {regime['note']}." if regime.get("note") else "")
    low = asked.lower()
    if (question := regime_question(low)) is not None:
        text = _state_verdict(question, data) + " " + text
    elif TIMING_ASKED.search(low):
        text = f"{_NOT_TIMED} {text[:1].lower()}{text[1:]}"
    if len(assets) == 1:
        ((ticker, row),) = assets.items()
        text += (
            f" {ticker}: Sharpe ratio {row['sharpe']:.2f} (risk-free rate "
            f"{MARKET_SHARPE_RISK_FREE:.0%}), annualised return {row['ret']:.1%}, volatility "
            f"{row['vol']:.1%}, maximum drawdown {row['mdd']:.2%}."
        )
    elif assets:
        if _VOLATILITY_ASKED.search(low):
            by_vol = sorted(assets.items(), key=lambda kv: -kv[1]["vol"])
            shown = ", ".join(f"{ticker} {row['vol']:.1%}" for ticker, row in by_vol)
            text += f" Annualised volatility: {shown}."
        if DRAWDOWN_ASKED.search(low):
            by_depth = sorted(assets.items(), key=lambda kv: -kv[1]["mdd"])
            shown = ", ".join(f"{ticker} {row['mdd']:.2%}" for ticker, row in by_depth)
            text += f" Maximum drawdown: {shown}."
        short = data.get("short_window")  # its own return, said below, not a year's pace
        if _PERFORMANCE_ASKED.search(low) and not _INDEX_ASKED.search(low) and not short:
            text += " " + _returns_said(assets, data.get("market") or {})
        text += " " + _sharpe_ends({ticker: row["sharpe"] for ticker, row in assets.items()})
    if short := data.get("short_window"):
        shown = ", ".join(f"{t} {r:.1%}" for t, r in short["window_return"].items())
        text += (
            f" Over the window itself: {shown}. The annualised figures scale "
            f"{short['sessions']} sessions' pace to a year; they are not what a year returns."
        )
    corr = (data.get("correlation") or {}).get("mean_pairwise")
    if corr is not None:
        text += f" Mean pairwise correlation {corr:.2f}."
    if data.get("market") and _INDEX_ASKED.search(low) and _INDEX_MEASURE.search(low):
        return _index_answer(data) + " " + text  # the index first: what was asked
    return text


def _returns_said(assets: dict[str, Any], market: dict[str, Any]) -> str:
    """Each stock's annualised return (the mean daily return x 252), highest first, and the
    index's over the same sessions when the read has it."""
    by_return = sorted(assets.items(), key=lambda kv: -kv[1]["ret"])
    shown = ", ".join(f"{ticker} {row['ret']:.1%}" for ticker, row in by_return)
    index = market.get("ret") if market.get("name") == "SP500" else None
    beside = f"; the S&P 500 index {index:.1%}" if index is not None else ""
    return f"Annualised return (mean daily return x 252): {shown}{beside}."


def _sharpe_ends(sharpes: dict[str, float]) -> str:
    """The best and the worst Sharpe ratio of the market read's stocks (with the decimals
    that tell them apart), or that they tie."""
    best, worst = max(sharpes, key=sharpes.__getitem__), min(sharpes, key=sharpes.__getitem__)
    rate = f"risk-free rate {MARKET_SHARPE_RISK_FREE:.0%}"
    if sharpes[best] == sharpes[worst]:
        return f"Sharpe ratio ({rate}): {', '.join(sharpes)} tie at {sharpes[best]:.2f}."
    shown = told_apart({best: sharpes[best], worst: sharpes[worst]}, lambda v: f"{v:.2f}")
    return f"Best Sharpe ratio ({rate}): {best} ({shown[best]}); worst: {worst} ({shown[worst]})."


def market_chat(inp: PolicyInput) -> AIMessage:
    """Call `market_statistics` (or `generate_market_scenarios`), then describe the result;
    search the research, save or propose investment ideas when asked."""
    intent = intent_of(inp)
    if intent.intent == "research" and "search_research" in inp.tool_names:
        return research_chat(inp)
    if intent.intent in ("save_idea", "propose_ideas") and intent.intent in inp.tool_names:
        return save_idea_chat(inp) if intent.intent == "save_idea" else propose_ideas_chat(inp)
    done = {call["name"] for call in inp.calls_this_turn()}
    subject = thread_subject(inp) if intent.refers_back else ()
    wants_scenarios = intent.intent == "scenarios" and "generate_market_scenarios" in inp.tool_names
    if wants_scenarios and "generate_market_scenarios" not in done:
        return reply("", tool_call("generate_market_scenarios", scenario_args(intent, subject)))
    if not wants_scenarios and "market_statistics" not in done:
        if not (intent.tickers or subject or thread_subject(inp)) and says_my_portfolio(inp):
            return reply(
                which_portfolio(inp)
            )  # "how volatile has my portfolio been?": not the market
        window = window_args(intent, subject) | judged_window(inp, intent)
        return reply("", tool_call("market_statistics", window))
    latest = inp.latest_tool_results()
    if not latest or latest[-1].is_error or not isinstance(latest[-1].data, dict):
        what = "generate those scenarios" if wants_scenarios else "read the market"
        return reply(f"I could not {what}: {latest[-1].reason if latest else 'no result'}")
    data = latest[-1].data
    return reply(_scenarios_answer(data) if wants_scenarios else market_answer(data, intent.text))
