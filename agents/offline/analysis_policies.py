"""The offline model's rules for the analysis questions a portfolio manager asks
(`agents.offline.intent.analysis`), on the specialists' side: the supervisor routes them
(`agents.offline.analysis_routes`), and the specialist calls the tool that answers
(`analysis_chat`: `asset_statistics`, `stress_test`, `loss_probability`, `backtest_weights`,
`compare_portfolios`, `market_data_coverage`) and answers with its numbers, naming the window and where the market data
ends. A comparison builds its portfolios as the optimizer builds one
(`agents.offline.portfolio_builds`).

What a question is about: the portfolio ids, weights or tickers it names; else what the
conversation was last about (the portfolio built last, or the weights or tickers an earlier
analysis used); else the answer is a question.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from langchain_core.messages import AIMessage

from agents.offline.analysis_answers import ANSWERS
from agents.offline.analysis_routes import analysis_ask
from agents.offline.analysis_slots import tool_slots
from agents.offline.cadences_compared import cadence_calls, cadences_answer, how_often_answer
from agents.offline.chat_intent import (
    MAX_NAMED_PORTFOLIOS,
    earlier_results,
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
    shown_before,
    subject_stock,
    thread_subject,
    user_texts,
    which_portfolio,
    window_of,
)
from agents.offline.group_follow_ups import groups_reply
from agents.offline.intent import Intent, parse_intent
from agents.offline.intent.analysis import INDEX_NAMED, AnalysisAsk
from agents.offline.intent.classify import BUILD_ASKED
from agents.offline.intent.held import HELD_NAMED
from agents.offline.intent.rankings import EVERY_NAME
from agents.offline.judged_windows import subject_window
from agents.offline.policies import PolicyInput, ToolResult, reply, tool_call
from agents.offline.portfolio_builds import (
    build_args,
    build_attempt,
    compared_with_index,
    default_method,
    describe_portfolio,
    equal_weights,
)
from agents.offline.stock_hedges import hedge_note
from agents.offline.what_if_weights import YOUR_PORTFOLIO, added_name, given_name, with_added
from settings import patterns

__all__ = ["analysis_chat"]


def analysis_chat(inp: PolicyInput) -> AIMessage | None:
    """The specialist's reply to an analysis question whose tool it holds: the tool call, then
    the answer from its result; None when the message is no such question."""
    ask = analysis_ask(inp)
    if ask is None or ask.tool not in inp.tool_names:
        return None
    if ask.to_held:  # "would adding 10% PG reduce its CVaR?": the portfolio held, PG added
        held = _held_weights(inp)
        if isinstance(held, str):
            return reply(f"{held} Nothing was computed.")
        if unstated := [t for t in ask.added if t in held and t not in ask.added_shares]:
            return reply(f"{_already_held(unstated, held)} Nothing was computed.")
        ask = replace(ask, weights=held)
    intent = intent_of(inp)
    done = [r for r in inp.results_this_turn() if r.name == ask.tool]
    if done and _per_group(ask):  # an answer a group compared
        return groups_reply(ask, done)
    if done and ask.kind == "statistics" and len(ask.years) > 1:  # an answer a year compared
        failures = [f for r in done if (f := r.failure("answer that")) is not None]
        answers = [ANSWERS[ask.kind](r.data, ask) for r in done if not r.is_error]
        return reply("\n\n".join(answers + failures) + _build_notes(inp))
    if len(done) > 1 and ask.rebalances:  # "monthly vs buy and hold": a backtest a cadence
        return reply(_cadences_said(inp, ask, done))
    if len(done) > 1 and all(r.args.get("portfolio_id") for r in done):  # several named
        answers = [
            f"{portfolio_label(inp, r.args['portfolio_id'])}: "
            + (r.failure("answer that") or ANSWERS[ask.kind](r.data, ask))
            for r in done
        ]
        return reply("\n\n".join(answers) + named_beyond(intent) + _build_notes(inp))
    if done and ask.kind == "compare" and _beside_index(intent, ask):
        return _compared_with_index(inp, ask, done[-1])
    if done:
        failed = done[-1].failure("answer that")
        if failed is not None:
            return reply(failed)
        answer = ANSWERS[ask.kind](done[-1].data, ask) + _in_sample_note(inp, done[-1])
        answer += hedge_note(user_texts(inp)[0], done[-1].data)  # "is KO a good hedge for AAPL?"
        answer = _build_asked(inp, intent) + answer
        return reply(answer + _other_windows_note(inp, intent, done[-1]) + _build_notes(inp))
    if ask.kind == "coverage":  # "which banks do you have?", "is AAPL in the data?"
        asked = {"tickers": list(ask.names)} if ask.names else {}
        return reply("", tool_call(ask.tool, {"sector": ask.groups[0][0]} if ask.groups else asked))
    window = _window(intent, ask)
    if _per_group(ask):  # "tech vs staples": a call a group
        return reply("", *(tool_call(ask.tool, {"weights": equal_weights(members), **window,
                                                **tool_slots(ask, intent)}) for _, members in ask.groups))  # fmt: skip
    if ask.kind == "compare":
        return _compare(inp, intent, ask, window)
    built = _built_first(inp, intent, ask)
    if isinstance(built, AIMessage):
        return built
    subject = built or _subject(inp, intent, ask)
    if subject is not None and not window and not built and _over_subject_window(ask, subject):
        window = subject_window(inp, subject)  # "its beta": over the window it was built on
    if built and not window and ask.kind in _SIMULATED and not ask.episodes:
        window = _build_window(inp)  # "with the HRP one" after "... since 2019": since 2019
    if subject is not None and not window and ask.kind == "statistics" and ask.ranked:
        window = _one_stock_window(inp, intent)  # "which names were calmer than it?" after AMD
    if subject is None:
        return reply(which_portfolio(inp))
    rate = rate_args(intent) if ask.kind == "backtest_weights" else {}
    if ask.kind == "statistics" and len(ask.years) > 1:  # "in 2022 vs 2021": a call a year
        years = [{"start": f"{y}-01-01", "end": f"{y}-12-31"} for y in ask.years]
        return reply(
            "", *(tool_call(ask.tool, {**subject, **y, **tool_slots(ask, intent)}) for y in years)
        )
    if len(intent.portfolio_ids) > 1 and subject == {"portfolio_id": intent.portfolio_ids[-1]}:
        each = intent.portfolio_ids[:MAX_NAMED_PORTFOLIOS]  # "stress test my Core and my Growth
        return reply(  # portfolio": a call each, over one window
            "",
            *(
                tool_call(
                    ask.tool, {"portfolio_id": p, **window, **tool_slots(ask, intent), **rate}
                )
                for p in each
            ),
        )
    args = {**subject, **window, **tool_slots(ask, intent, subject), **rate}
    return reply("", *(cadence_calls(ask, args) if ask.rebalances else [tool_call(ask.tool, args)]))


def _already_held(names: list[str], held: dict[str, float]) -> str:
    """Why names held cannot be added without a share ("would adding KO ...?" holding KO)."""
    said = ", ".join(f"{t} at {held[t]:.1%}" for t in names)
    return (
        f"Your portfolio already holds {said}. Say how much more to add (for example 'would "
        f"adding 10% {names[0]} lower its volatility?')."
    )


def _held_weights(inp: PolicyInput) -> dict[str, float] | str:
    """The weights of the conversation's portfolio (built, or weights an analysis used), or why
    there are none to add to."""
    subject, build = last_subject(inp) or {}, last_build(inp) or {}
    weights = subject.get("weights")
    if "portfolio_id" in subject and build.get("portfolio_id") == subject["portfolio_id"]:
        weights = build.get("weights")
    if not weights:
        return (
            "Which portfolio? Build one or give its weights (for example 'would adding 10% KO "
            "to 60% AAPL 40% MSFT reduce its volatility?')."
        )
    return {str(t): float(w) for t, w in weights.items()}


def _per_group(ask: AnalysisAsk) -> bool:
    """Whether the question's groups are each measured at equal weights in a call of its own
    ("vol of tech vs staples"); not a correlation across two ("how correlated is tech with
    energy?": one call of their stocks)."""
    return ask.kind == "statistics" and bool(ask.groups) and "correlation" not in ask.measures


def _over_subject_window(ask: AnalysisAsk, subject: dict[str, Any]) -> bool:
    """Whether a question naming no window is over the one the conversation used its subject
    over: statistics ("its beta"), and a backtest of the weights or stocks an analysis used
    ("show the yearly returns" after a backtest, "how much would I have made with $50k?" after
    KO's Sharpe ratio since 2015); not a backtest of a build (over its own window, it would be
    in-sample)."""
    return ask.kind == "statistics" or (
        ask.kind == "backtest_weights" and "portfolio_id" not in subject
    )


_SIMULATED = ("loss_probability", "stress")
"""The questions whose paths are drawn from a window's history (and betas measured over it)."""


def _build_window(inp: PolicyInput) -> dict[str, Any]:
    """The window the portfolio this turn built was asked over (the conversation's, when the
    message named none: `build_args`), for a simulation of it that names none either; {} for a
    build over the tool's default window."""
    built = [r for r in inp.results_this_turn() if r.name == "optimize_portfolio"]
    return window_of(built[-1].args) if built else {}


def _window(intent: Intent, ask: AnalysisAsk) -> dict[str, Any]:
    """The window arguments: the last N sessions, or the dates named (none for a stress test
    naming an episode: its years are the episode's)."""
    if ask.last_sessions is not None:
        return {"last_sessions": ask.last_sessions, **({"end": intent.end} if intent.end else {})}
    if ask.kind == "stress" and ask.episodes:
        return {}
    return {key: value for key, value in (("start", intent.start), ("end", intent.end)) if value}


def _compare(
    inp: PolicyInput, intent: Intent, ask: AnalysisAsk, window: dict[str, Any]
) -> AIMessage:
    """Build each method's portfolio as the optimizer builds one from the message
    (`optimize_portfolio`: the conversation's universe and the limits asked, so the thread
    holds them), then compare those built, and the equal-weight portfolio when it is named, in
    one table over one window (`compare_portfolios`); a window of the last N sessions is
    compared by methods directly (the tool builds each over it)."""
    common: dict[str, Any] = {"level": intent.confidence or 0.95, **rate_args(intent)}
    if len(intent.portfolio_ids) > 1 and not intent.methods:  # "compare pf_... and pf_..."
        ids = list(intent.portfolio_ids)  # more than the tool takes: its refusal says so
        return reply("", tool_call(ask.tool, {**window, **common, "portfolio_ids": ids}))
    if ask.added:  # "would adding KO to 50/50 AAPL MSFT ...?": the weights beside the addition
        built = (last_subject(inp) or {}).get("portfolio_id") if ask.to_held else None
        by_id: dict[str, Any] = {"portfolio_ids": [built]} if built else {}  # its method shown
        portfolios = {**({} if built else {given_name(ask): ask.weights}),
                      added_name(ask): with_added(ask)}  # fmt: skip
        args = {**window, **common, **by_id, "portfolios": portfolios}
        return reply("", tool_call(ask.tool, args))
    if ask.against:  # "is it riskier than KO and PG?": the portfolio beside each stock
        return _beside_held(inp, ask, window, common)
    methods = [m for m in intent.methods if m != "frontier"]
    universe = intent.universe(known_tickers(), thread_subject(inp))
    if intent.equal_weight:
        common["equal_weight"] = True
    if "last_sessions" in window or "optimize_portfolio" not in inp.tool_names:
        limits = {
            key: value
            for key, value in (
                ("max_weight", intent.limits.max_weight),
                ("min_weight", intent.limits.min_weight),
            )
            if value is not None
        }
        args = {**window, **common, "methods": methods, **limits}
        return reply(
            "", tool_call(ask.tool, {**args, **({"universe": universe} if universe else {})})
        )
    built = {
        r.args.get("method"): r for r in inp.results_this_turn() if r.name == "optimize_portfolio"
    }
    if missing := [m for m in methods if m not in built]:
        return reply("", tool_call("optimize_portfolio", build_args(inp, intent, missing[0])))
    done = [r for r in built.values() if r.failure("build it") is None]
    failed = "; ".join(f"{method}: {r.reason}" for method, r in built.items() if r.is_error)
    if len(done) + int(intent.equal_weight) < 2:
        return reply(f"I could not build the portfolios to compare: {failed}")
    span = done[0].data.get("date_range") or {} if done else {}
    dates = {
        k: window.get(k) or span.get(k) for k in ("start", "end") if window.get(k) or span.get(k)
    }
    ids = [r.data["portfolio_id"] for r in done]
    held = sorted(done[0].data["weights"]) if done else universe
    every = {"universe": held} if intent.equal_weight else {}
    return reply("", tool_call(ask.tool, {**dates, **common, "portfolio_ids": ids, **every}))


_PORTFOLIO = patterns.compile(r"\bportfolio\b", re.IGNORECASE)


def _beside_held(
    inp: PolicyInput, ask: AnalysisAsk, window: dict[str, Any], common: dict[str, Any]
) -> AIMessage:
    """What the conversation holds beside each stock of `ask.against` held alone, in one table
    over the window asked, else the subject's own: its latest subject (a portfolio built: its
    id; weights an analysis used: those; stocks: each held alone too), or its latest build when
    a portfolio is named and the latest subject is stocks ("is my portfolio riskier than PG?")."""
    subject, build = last_subject(inp), last_build(inp)
    stocks = [t for t in (subject or {}).get("universe") or () if t not in ask.against]
    if subject and "universe" in subject and (not stocks or _PORTFOLIO.search(intent_of(inp).text)):
        subject = {"portfolio_id": build["portfolio_id"]} if build else None
    if subject is None:
        return reply(
            "Which portfolio? Build one first, or name its weights (for example '60% AAPL 40% "
            "KO'). Nothing was computed."
        )
    window = window or subject_window(inp, subject)
    alone = {t: {t: 1.0} for t in ask.against}
    held: dict[str, Any] = {"portfolios": alone}
    if "portfolio_id" in subject:
        held["portfolio_ids"] = [subject["portfolio_id"]]
    elif subject.get("weights"):
        held["portfolios"] = {YOUR_PORTFOLIO: subject["weights"], **alone}
    else:  # "are these safer than KO?" after "the volatility of AAPL and MSFT": each stock
        held["portfolios"] = {t: {t: 1.0} for t in [*stocks, *ask.against]}
    return reply("", tool_call(ask.tool, {**window, **common, **held}))


def _overlaps(span: dict[str, Any], window: dict[str, Any]) -> bool:
    """Whether two windows (`start`, `end`: ISO dates) share a day; False if one lacks an end."""
    if not all((span.get("start"), span.get("end"), window.get("start"), window.get("end"))):
        return False
    return not (window["end"] < span["start"] or window["start"] > span["end"])


def _picked_in_sample_note(inp: PolicyInput, done: ToolResult) -> str:
    """For a backtest of the names a ranking picked ("backtest them" after "the top 3 stocks by
    Sharpe in 2021"), that the ranking's window overlaps the backtest's, so it shows the picks
    with hindsight ("" otherwise)."""
    picked = shown_before(inp) or judged_before(inp)
    if done.name != "backtest_weights" or not picked or not isinstance(done.data, dict):
        return ""
    ranked = next(
        (d.get("window") or {} for name, _, d in earlier_results(inp)
         if name == "asset_statistics" and isinstance(d, dict)),
        {},
    )  # fmt: skip
    if not _overlaps(ranked, done.data.get("window") or {}):
        return ""  # after the ranking's window: out of sample
    were, picks = ("was", "pick") if len(picked) == 1 else ("were", "picks")
    return (
        f" In-sample: {', '.join(picked)} {were} picked by the ranking over {ranked['start']} to "
        f"{ranked['end']}, which overlaps this window, so this is how the {picks} did with "
        f"hindsight, not a test of picking {'it' if len(picked) == 1 else 'them'} (ask for a "
        f"window after it: 'since {int(ranked['end'][:4]) + 1}')."
    )


def _cadences_said(inp: PolicyInput, ask: AnalysisAsk, done: list[ToolResult]) -> str:
    """The backtests at several cadences: how often to rebalance ("how often should I rebalance
    it?"), with the in-sample note of a portfolio built here, or the cadences compared."""
    if ask.how_often:
        return how_often_answer(done) + _in_sample_note(inp, done[0]) + _build_notes(inp)
    return cadences_answer(done, ask) + _build_notes(inp)


def _in_sample_note(inp: PolicyInput, done: ToolResult) -> str:
    """For a backtest of a portfolio the conversation built, that the weights were estimated on
    a window overlapping the backtest's, so it shows them with hindsight; for one of names a
    ranking picked, that they were picked over it (`_picked_in_sample_note`); "" otherwise."""
    if picked := _picked_in_sample_note(inp, done):
        return picked
    portfolio_id = done.args.get("portfolio_id")
    if done.name != "backtest_weights" or not portfolio_id or not isinstance(done.data, dict):
        return ""
    built = next(
        (r.data for r in reversed(inp.tool_results()) if r.name == "optimize_portfolio"
         and isinstance(r.data, dict) and r.data.get("portfolio_id") == portfolio_id),
        {},
    )  # fmt: skip
    span = built.get("date_range") or {}
    if not _overlaps(span, done.data.get("window") or {}):
        return ""  # out of sample
    return (
        f" In-sample: the weights were estimated from {span['start']} to {span['end']}, which "
        "overlaps this window, so this is how they would have done with hindsight, not a test "
        "of how they do."
    )


def _beside_index(intent: Intent, ask: AnalysisAsk) -> bool:
    """Whether a comparison of portfolios built by methods is asked beside the S&P 500 index
    ("build a min vol and a risk parity portfolio and compare them to the S&P")."""
    return bool(intent.methods and not (ask.against or ask.added)) and bool(
        INDEX_NAMED.search(intent.text.lower())
    )


def _compared_with_index(inp: PolicyInput, ask: AnalysisAsk, done: ToolResult) -> AIMessage:
    """The comparison's answer, then the S&P 500 index over its sessions beside it (the index's
    statistics from `asset_statistics` of one stock held over that window, called first)."""
    failed = done.failure("answer that")
    if failed is not None or not isinstance(done.data, dict):
        return reply(failed or "The comparison came back empty.")
    answer = ANSWERS[ask.kind](done.data, ask)
    measured = [r for r in inp.results_this_turn() if r.name == "asset_statistics"]
    if not measured:
        held = next(iter(done.data["rows"][0].get("largest_weights") or {}), None)
        window = done.data.get("window") or {}
        if held is None or "asset_statistics" not in inp.tool_names:
            return reply(answer)
        span = {key: window[key] for key in ("start", "end") if window.get(key)}
        return reply("", tool_call("asset_statistics", {"universe": [held], **span}))
    index = measured[-1].data.get("index") if isinstance(measured[-1].data, dict) else None
    if not index:
        return reply(f"{answer} The S&P 500 index has no returns over this window to set beside.")
    return reply(f"{answer} {compared_with_index(done.data, index)}")


def _other_windows_note(inp: PolicyInput, intent: Intent, done: ToolResult) -> str:
    """For statistics of stocks the conversation read earlier over other windows ("how has KO
    done since 2015?", "and PEP since 2019?", "which is better?"), asked now naming no window,
    that they are compared over one window, this answer's, and which were read over what
    before ("" otherwise)."""
    data = done.data if isinstance(done.data, dict) else {}
    window, assets = data.get("window") or {}, list(data.get("assets") or {})
    texts = user_texts(inp)  # as written: `intent` may carry a window a rewrite added
    said = parse_intent(texts[0], known_tickers()) if texts else intent
    if done.name != "asset_statistics" or len(assets) < 2 or not window or said.start or said.end:
        return ""
    earlier: dict[str, dict[str, str]] = {}
    this_turn = {result.call_id for result in inp.results_this_turn()}
    for result in inp.tool_results():
        if result.name == "asset_statistics" and result.call_id not in this_turn:
            read = result.data if isinstance(result.data, dict) else {}
            earlier |= {name: read.get("window") or {} for name in read.get("assets") or {}}
    span = ("start", "end")
    other = {
        name: seen for name, seen in earlier.items()
        if name in assets and seen and [seen.get(k) for k in span] != [window.get(k) for k in span]
    }  # fmt: skip
    if not other:
        return ""
    before = "; ".join(f"{n} from {w.get('start')} to {w.get('end')}" for n, w in other.items())
    return (
        f" Read earlier over other windows: {before}. Compared here over the same days for all, "
        f"{window.get('start')} to {window.get('end')} (the latest window asked)."
    )


def _build_asked(inp: PolicyInput, intent: Intent) -> str:
    """The portfolio this turn built as the message asked ("build a portfolio of AAPL and KO
    and backtest it"), described before the answer about it; "" when none was asked or built."""
    built = [r for r in inp.results_this_turn() if r.name == "optimize_portfolio"]
    if not built or built[-1].is_error or not BUILD_ASKED.search(intent.text.lower()):
        return ""
    return describe_portfolio(built[-1].data) + " (in-sample estimates). "


def _build_notes(inp: PolicyInput) -> str:
    """The portfolios of this turn that could not be built, and why ("" when none); the limits
    of those built are stated by the chat graph (`graphs.limit_claims`)."""
    built = [r for r in inp.results_this_turn() if r.name == "optimize_portfolio"]
    return "".join(f" Not built: {r.args.get('method')} ({r.reason})." for r in built if r.is_error)


def _built_first(
    inp: PolicyInput, intent: Intent, ask: AnalysisAsk
) -> AIMessage | dict[str, Any] | None:
    """A question about a portfolio of a method ("stress test an HRP portfolio of ...",
    "backtest a min-vol portfolio of ...") or about one it asks to build ("build a portfolio of
    AAPL and KO and backtest it": the default method's) builds it first, as the optimizer does:
    the build's call, then ``{"portfolio_id": ...}`` of the portfolio built (or the reply saying
    why it could not be built); None when the question names no method and asks no build, or
    names weights or ids."""
    methods: list[str] = [m for m in intent.methods if m != "frontier"]
    if not methods and BUILD_ASKED.search(intent.text.lower()):
        methods = [default_method(intent)]
    if not methods or intent.portfolio_ids or ask.weights:
        return None
    if "optimize_portfolio" not in inp.tool_names:
        return None
    built = [r for r in inp.results_this_turn() if r.name == "optimize_portfolio"]
    if not built:
        args = build_args(inp, intent, methods[0])
        if ask.episodes:  # the years named are the episode's, not the build's window
            args = {k: v for k, v in args.items() if k not in ("start", "end")}
        return reply("", tool_call("optimize_portfolio", args))
    failed = built[-1].failure(build_attempt(built[-1].args))
    if failed is not None:
        return reply(failed)
    return {"portfolio_id": built[-1].data["portfolio_id"]}


def _subject(inp: PolicyInput, intent: Intent, ask: AnalysisAsk) -> dict[str, Any] | None:
    """What the question is about, as tool arguments (see the module docstring)."""
    if intent.portfolio_ids:
        return {"portfolio_id": intent.portfolio_ids[-1]}
    if ask.weights:
        return {"weights": dict(ask.weights)}
    if ask.index_alone:  # "the S&P's best month in 2020": the index, measured beside the data's
        return {"universe": list(known_tickers())}
    if ask.ranked and ask.against:  # "which stocks were riskier than KO?": KO among them
        return {"universe": _ranked_beside(intent, ask.against[0])}
    tickers = [t for t in intent.universe(known_tickers()) if t != ask.beta_to]
    if tickers:
        return {"universe": tickers}
    subject = last_subject(inp)  # "its beta to XOM": the conversation's subject
    if subject is None and says_my_portfolio(inp):  # the one the owner saved, else which?
        saved = only_saved_portfolio(inp)
        return None if saved is None else {"portfolio_id": saved}
    one_held = _ONE_HELD.search(intent.text)
    one_stock = (  # "which stocks ..." after a question of one stock
        subject is not None
        and len(subject.get("universe") or ()) == 1
        and bool(EVERY_NAME.search(intent.text.lower()))
    )
    of_portfolios = subject is None and _PORTFOLIOS_SAID.search(intent.text)  # none to rank
    if (subject is None or one_stock) and ask.ranked and not (one_held or of_portfolios):
        # "which was the most volatile?": every stock; "... lowest beta to XOM?": every other
        return {"universe": [t for t in known_tickers() if t != ask.beta_to]}
    return subject  # "is it riskier than the market?" with nothing before: which portfolio?


_THAN = patterns.compile(r"\bthan\b", re.IGNORECASE)


def _ranked_beside(intent: Intent, pivot: str) -> list[str]:
    """The stocks ranked beside the one named after "than" (`pivot`), it among them: those named
    ("were AAPL and MSFT riskier than KO?"), a sector's ("which tech stocks ...", "... than KO
    in tech?"), or every stock ("which stocks ..."), less any left out ("..., excluding XOM")."""
    known = known_tickers()
    than = _THAN.search(intent.text)
    before = parse_intent(intent.text[: than.start()], known).tickers if than else ()
    unpivot = patterns.compile(rf"\b{pivot}\b", re.IGNORECASE)  # a ticker of the data
    unpivoted = parse_intent(unpivot.sub(" ", intent.text), known)
    sector = unpivoted.tickers if unpivoted.sectors else ()  # "... riskier than KO in tech?"
    names = [t for t in intent.tickers if t != pivot] or list(before or sector) or list(known)
    return [t for t in dict.fromkeys([*names, pivot]) if t not in intent.limits.excluded]


_PORTFOLIOS_SAID = patterns.compile(r"\b(?:portfolios?|strateg(?:y|ies)|funds?|books?)\b", re.I)
"""Portfolios asked to be ranked ("which portfolio had the best Sharpe ratio?"): with none in
the conversation, which ones is asked back (not the stocks ranked)."""
_ONE_HELD = patterns.compile(
    r"^\W*(?:so\s+|and\s+)?(?:is|was|has|does|did|would|will)\s+(?:it|this|that)\b|"
    + HELD_NAMED.pattern,
    re.IGNORECASE,
)
"""Words asking about one portfolio of the conversation: a question opening on it ("is it
riskier than the market?"), or the portfolio named ("was my portfolio safer than the S&P 500?",
"which is riskier, my portfolio or the market?"), never every stock."""


_WHOLE_HISTORY = patterns.compile(
    r"\b(?:whole|entire|full)\s+(?:period|history|data|sample|window)\b"
    r"|\ball\s+(?:of\s+)?(?:the\s+)?(?:data|history|years|dates)\b"
    r"|\bsince\s+(?:the\s+)?(?:start|beginning)\b",
    re.IGNORECASE,
)
"""Words asking for every date of the market data ("over the whole period")."""


def _one_stock_window(inp: PolicyInput, intent: Intent) -> dict[str, Any]:
    """The window of the conversation's question of one stock ("how volatile was AMD in
    2022?") for a ranking of every stock after it naming no window, no sector and no stock but
    that one ("which names were calmer than it?", "which stock was the most volatile?"): 2022;
    none for a ranking of other stocks or a sector ("is AAPL riskier than MSFT?"), or one over
    the whole history."""
    stock = subject_stock(inp)
    if stock is None or set(intent.tickers) - {stock[0]} or intent.sectors:
        return {}
    return {} if _WHOLE_HISTORY.search(intent.text) else stock[1]
