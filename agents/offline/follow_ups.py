"""Follow-ups that change the conversation's latest request (issue 51): "start in 2018 instead",
"make it monthly", "use min vol instead", "cap at 30%", "drop KO", "swap XOM for WMT", "drop the
most volatile one". The request is the latest call of the conversation to a tool whose question
can be asked again changed (`EDITABLE`, with the specialist that holds the tool); its arguments
are changed as the message says (`agents.offline.intent.changes`) and the tool is called again,
and the answer says what changed before the tool's numbers.

A name dropped by a criterion is chosen from the tool results: a weight from the portfolio's
own weights, any other measure (volatility, return, beta, drawdown) from `asset_statistics`
over the request's window, called first; the answer names the criterion, the name dropped and
its value. A change a request cannot take (a rebalancing cadence for a stress test, a method
for a backtest of given weights, names for a strategy's estimate) is no follow-up of it: an
earlier request that can take it is changed, else the message is read as a question of its own
(a weighted add after a strategy alone is refused: there is no portfolio to add to).
"""

from __future__ import annotations

import copy
import re
from dataclasses import replace
from functools import lru_cache
from typing import Any

from langchain_core.messages import AIMessage
from langchain_core.messages.tool import ToolCall

from agents.offline.analysis_answers import ANSWERS
from agents.offline.build_targets import move_target, moved_target
from agents.offline.chat_intent import (
    WINDOW_KEYS,
    judged_before,
    known_tickers,
    user_text,
    user_texts,
    written_by_user,
)
from agents.offline.comparison_pick import pick_sentence
from agents.offline.criterion_picks import pick_by_criterion
from agents.offline.data_dates import session_window
from agents.offline.episode_windows import episode_in_window
from agents.offline.estimate_policies import estimate_answer
from agents.offline.follow_up_subjects import change_subject
from agents.offline.formats import amount_text
from agents.offline.group_follow_ups import change_head, groups_chat
from agents.offline.hedge_changes import change_hedge
from agents.offline.intent import Intent, parse_intent
from agents.offline.intent.analysis import AnalysisAsk, read_analysis
from agents.offline.intent.changes import Change, read_change
from agents.offline.intent.targets import sector_tickers
from agents.offline.market_policies import market_answer
from agents.offline.method_names import method_name
from agents.offline.policies import PolicyInput, forced_call, reply, tool_call
from agents.offline.portfolio_builds import (
    build_attempt,
    describe_portfolio,
    limits_note,
)
from agents.offline.risk_policies import risk_sentence
from agents.offline.strategy_args import CADENCE_SESSIONS
from agents.offline.thread_edits import Edit, ThreadRequest
from agents.offline.thread_portfolios import built_weights
from agents.offline.thread_usual import asks_usual
from agents.offline.weight_splits import resplit, split_beside_build
from agents.offline.weighted_adds import added_at, pin_added, share_words
from agents.offline.winner_backtests import strategy_backtest_answer
from settings import patterns

__all__ = ["EDITABLE", "Edit", "ThreadRequest", "follow_up_chat", "follow_up_route",
           "thread_edit", "thread_requests"]  # fmt: skip

EDITABLE = {
    "optimize_portfolio": "optimizer",
    "backtest_weights": "optimizer",
    "backtest_strategy": "optimizer",
    "asset_statistics": "market_analysis",
    "market_statistics": "market_analysis",
    "stress_test": "risk_manager",
    "loss_probability": "risk_manager",
    "portfolio_risk_report": "risk_manager",
    "estimate_strategy": "optimizer",
    "compare_portfolios": "risk_manager",
}
"""The tools whose request a follow-up may change, and the specialist that holds each (a
comparison only by the measure it is judged on)."""
MAX_REQUESTS_BACK = 5
"""How many of the conversation's latest requests a change is tried on (the newest that can
take it is changed: "cap at 30%" after a risk report changes the portfolio built before it)."""

_SESSIONS = ("asset_statistics", "stress_test", "loss_probability", "backtest_weights")
"""The tools that take a trailing window as `last_sessions`."""
_KINDS = {
    "asset_statistics": "statistics",
    "stress_test": "stress",
    "loss_probability": "loss_probability",
    "backtest_weights": "backtest_weights",
}
_WHAT = {
    "backtest_weights": "run that backtest",
    "backtest_strategy": "run that backtest",
    "portfolio_risk_report": "report that risk",
    "estimate_strategy": "estimate that",
}
_STRATEGY_TOOLS = ("estimate_strategy", "backtest_strategy")
"""The tools that take one strategy's settings (`config`)."""
_CAPITAL_TOOLS = (
    "backtest_weights", "optimize_portfolio", "portfolio_risk_report", "stress_test",
    "loss_probability",
)  # fmt: skip
"""The tools that take a capital (currency) and give amounts of it."""


@lru_cache(maxsize=1024)
def _parsed(text: str) -> Intent:
    return parse_intent(text, known_tickers())


def _turns(inp: PolicyInput) -> list[tuple[str, list[ToolCall]]]:
    """The turns before this one: each user message with the tool calls its answer made."""
    turns: list[tuple[str, list[ToolCall]]] = []
    latest = next(iter(user_texts(inp)), "")  # as written (not `user_text`'s resumed question)
    for message in inp.messages:
        if written_by_user(message):
            turns.append((message.text, []))
        elif isinstance(message, AIMessage) and turns:
            turns[-1][1].extend(message.tool_calls)
    this_turn = {call["id"] for call in inp.calls_this_turn()}
    if turns and turns[-1][0] == latest:
        turns.pop()
    return [(text, [c for c in calls if c["id"] not in this_turn]) for text, calls in turns]


def thread_requests(inp: PolicyInput) -> list[ThreadRequest]:
    """The conversation's requests a follow-up may change, newest first: each turn's latest
    call to an `EDITABLE` tool (see the module docstring; not the history read to say whether a
    figure is usual: "and since 08?" after it changes the figure's request); a comparison's turn gives the
    comparison, then the latest portfolio it built ("cap at 30%" after "compare HRP and min
    vol" changes that build)."""
    results = {r.call_id: r for r in inp.tool_results()}
    turns = _turns(inp)
    asked = [(text, [c for c in calls if c["name"] in EDITABLE]) for text, calls in turns]
    last: list[ToolCall] = next((calls for _, calls in reversed(turns) if calls), [])
    asked = [(text, calls) for text, calls in asked if calls and not asks_usual(text)]
    found = []
    for n in range(len(asked) - 1, -1, -1):
        origin = asked[n][0]
        for earlier, _ in reversed(asked[:n]):
            if read_change(_parsed(origin)) is None:
                break
            origin = earlier
        calls = asked[n][1]
        latest = [calls[-1]]
        if calls[-1]["name"] == "compare_portfolios":
            latest += [c for c in calls if c["name"] != "compare_portfolios"][-1:]
        for call in latest:
            result = results.get(str(call["id"]))
            data = result.data if result is not None and not result.is_error else None
            previous = any(call is made for made in last)
            found.append(ThreadRequest(call["name"], dict(call["args"]), data, origin, previous))
    return found


def _window_words(args: dict[str, Any], data: Any) -> str:
    if args.get("last_sessions"):
        return f"the last {args['last_sessions']} sessions"
    data = data or {}  # a window a result states (a strategy's backtest: its `history`)
    span = data.get("date_range") or data.get("window") or data.get("history") or {}
    start = args.get("start") or span.get("start")
    end = args.get("end") or span.get("end")
    if start and end:
        return f"{start} to {end}"
    return f"from {start}" if start else "the default window"


def _change_window(request: ThreadRequest, change: Change, args: dict[str, Any]) -> str:
    """Change the window of `args` in place; the change in words."""
    before = _window_words(request.args, request.data)
    end = change.end if change.end is not None else args.get("end")
    if change.last_sessions is not None:
        end = change.end  # "over the past 6 months": the data's last sessions
    for key in WINDOW_KEYS:
        args.pop(key, None)
    if change.last_sessions is not None and request.tool in _SESSIONS:
        args["last_sessions"] = change.last_sessions
    elif change.last_sessions is not None:
        args["start"] = session_window(change.last_sessions, end)[0]
    elif change.start is not None:
        args["start"] = change.start
    if end is not None:
        args["end"] = end
    if change.last_sessions is not None:
        return f"the last {change.last_sessions} sessions instead of {before}"
    if change.start is not None and change.end is None:
        return f"starting {change.start} instead of {before}"
    return f"{_window_words(args, None)} instead of {before}"


def _names(request: ThreadRequest, inp: PolicyInput) -> tuple[list[str], dict[str, float]]:
    """The request's names and weights (weights empty when it holds names at equal weights)."""
    args, data = request.args, request.data if isinstance(request.data, dict) else {}
    if args.get("weights"):
        weights = {str(k).upper(): float(v) for k, v in args["weights"].items()}
        return list(weights), weights
    if args.get("portfolio_id"):
        weights = (data.get("portfolio") or {}).get("weights") or built_weights(
            inp, args["portfolio_id"]
        )
        return list(weights), dict(weights)
    if request.tool == "optimize_portfolio" and isinstance(data.get("weights"), dict):
        return list(args.get("universe") or data["weights"]), {}
    held = data.get("per_asset") or data.get("assets") or data.get("history", {}).get("universe")
    universe = args.get("universe") or list(held or {})
    return [str(t) for t in universe], {}


def _stats_args(request: ThreadRequest, names: list[str]) -> dict[str, Any]:
    """The `asset_statistics` arguments that measure the request's names over its window."""
    args = {"universe": names}
    if request.args.get("last_sessions"):
        return {**args, "last_sessions": request.args["last_sessions"]}
    data = request.data if isinstance(request.data, dict) else {}
    span = data.get("date_range") or data.get("window") or {}
    for key in ("start", "end"):
        value = request.args.get(key) or span.get(key)
        if value:
            args[key] = value
    return args


def _change_names(
    edit: Edit, inp: PolicyInput, args: dict[str, Any]
) -> tuple[dict[str, Any] | None, str | None]:
    """Drop and add the names the change says (a criterion's once measured) in `args`: the
    stats call to make first, else None; why it cannot be done, else None."""
    change, request = edit.change, edit.request
    names, weights = _names(request, inp)
    dropped = list(change.dropped)
    for term in change.dropped_groups:  # "take the banks out": the request's names in it
        members = [t for t in sector_tickers([term]) if t in names]
        if not members:
            return None, f"None of {', '.join(names)} is in {term}."
        dropped += [t for t in members if t not in dropped]
        edit.changes.append(f"{term} left out ({', '.join(members)})")
    if change.criterion is not None:
        stats = next((r for r in inp.results_this_turn() if r.name == "asset_statistics"), None)
        if change.criterion.measure != "weight" and stats is None:
            return _stats_args(request, names), None
        data = request.data if isinstance(request.data, dict) else {}
        held = weights or {str(t): float(w) for t, w in (data.get("weights") or {}).items()}
        picked = pick_by_criterion(change.criterion, names, held, stats.data if stats else None)
        if isinstance(picked, str):
            return None, f"I could not choose which name to drop: {picked}."
        dropped.append(picked[0])
        edit.changes.append(f"dropped {picked[0]}, {picked[1]}")
    missing = [t for t in dropped if t not in names]
    if missing:
        return None, f"{', '.join(missing)} is not in it ({', '.join(names)})."
    kept = [t for t in names if t not in dropped]
    added = [t for t in change.added if t not in kept]
    if not kept and not added:
        return None, "That leaves no name to hold."
    swaps = list(zip(change.dropped, added, strict=False))  # "swap XOM for WMT"
    stated = dict(change.added_weights)  # "add 10% JNJ"
    unweighted = [t for t in added[len(swaps) :] if t not in stated]
    if weights and unweighted:
        return (
            None,
            f"Give {', '.join(unweighted)} a weight too (for example 'add 10% {unweighted[0]}').",
        )
    holds = weights or request.tool == "optimize_portfolio"
    if holds and stated and sum(stated.values()) >= 1.0 - 1e-9:  # "add 60% PFE and 50% MRK"
        return None, f"The weights added ({100 * sum(stated.values()):g}% in all) leave nothing for the names held."  # fmt: skip
    named = [t for t in change.dropped if t not in dict(swaps)]
    if named:
        edit.changes.append(f"{', '.join(named)} left out")
    if weights:
        new = {t: weights[t] for t in kept}
        for out, into in swaps:  # the name put in takes the weight of the one taken out
            new[into] = weights[out]
            edit.changes.append(f"{into} in place of {out}, taking its {weights[out]:.1%}")
        spare = sum(weights.values()) - sum(new.values())
        if spare > 1e-12 and new:
            scale = (sum(new.values()) + spare) / sum(new.values())
            new = {t: w * scale for t, w in new.items()}
            edit.changes.append(f"the {spare:.1%} freed spread over the rest in proportion")
        given = {t: w for t, w in stated.items() if t in new or t in added[len(swaps) :]}
        if given:
            rest, before = 1.0 - sum(given.values()), new
            new = added_at(new, given)
            said = ", ".join(share_words(t, w, before.get(t), new[t]) for t, w in given.items())
            edit.changes.append(f"{said} added, the rest scaled to {rest:.1%} in proportion")
        args.pop("portfolio_id", None)
        args["weights"] = {t: round(w, 6) for t, w in new.items()}
        return None, None
    if dropped or added:
        args["universe"] = [*kept, *added]
        for limited in dropped:
            (args.get("asset_limits") or {}).pop(limited, None)
    pinned = request.tool == "optimize_portfolio"
    if pinned:  # "add 10% JNJ" to a build: held at that weight
        data = request.data if isinstance(request.data, dict) else {}
        pins, refused = pin_added(dict(data.get("weights") or {}), stated, args)
        if refused:
            return None, refused
        edit.changes.extend(pins)
    edit.changes.extend(f"{into} in place of {out}" for out, into in swaps)
    if unsaid := [t for t in added[len(swaps) :] if not (pinned and t in stated)]:
        edit.changes.append(f"{', '.join(unsaid)} added")
    return None, None


def _apply(edit: Edit, inp: PolicyInput) -> Edit | None:
    """The edit with the request's changed arguments (or the stats call a criterion needs
    first, or the problem); None when the request cannot take the change."""
    change, request, tool = edit.change, edit.request, edit.request.tool
    if (change.judged_on is not None) != (tool == "compare_portfolios"):
        return None  # a comparison is asked again only to be judged on another measure
    if change.judged_on is not None:
        return Edit(request, change, args=dict(request.args))
    names_changed = change.dropped or change.added or change.criterion or change.dropped_groups
    if names_changed and not _names(request, inp)[0]:
        return None  # a strategy estimate or a scenario backtest holds no names to change
    if not _takes(change, request, inp):
        return None
    args = copy.deepcopy(request.args)
    _change_settings(change, tool, args, edit.changes)
    if change.hedge and tool in _STRATEGY_TOOLS:  # "and the collar?"
        held = request.data.get("config") if isinstance(request.data, dict) else None
        edit.changes.extend(change_hedge(args.setdefault("config", {}), change.hedge, held or {}))
    if change.window and tool == "stress_test" and args.get("episodes"):
        return episode_in_window(edit, args)  # "and in 2022?" after the Covid crash
    if change.window:
        edit.changes.append(_change_window(request, change, args))
    if change.method:
        if change.method == args.get("method"):
            return None
        before = method_name(str(args.get("method")))
        args["method"] = change.method
        edit.changes.append(f"{method_name(change.method)} instead of {before}")
    if change.limits:
        ask = change.intent.limits
        for key, value in (("max_weight", ask.max_weight), ("min_weight", ask.min_weight)):
            if value is not None:
                args[key] = value
                edit.changes.append(f"{key.replace('_', ' ')} {value:.1%} on every asset")
        per_name = (("asset_limits", ask.asset_limits), ("sector_limits", ask.sector_limits))
        for key, limits in per_name:
            for name, (low, high) in limits.items():
                held = (args.get(key) or {}).get(name) or {}
                low = low if low > 0.0 else float(held.get("min", 0.0))  # a cap keeps the floor
                high = high if high < 1.0 else float(held.get("max", 1.0))
                args.setdefault(key, {})[name] = {"min": low, "max": high}
                edit.changes.append(f"{name} within {low:.1%} to {high:.1%}")
    if change.level is not None:
        level_before = float(args.get("level") or 0.95)
        if abs(level_before - change.level) < 1e-9:
            return None
        args["level"] = change.level
        edit.changes.append(f"{change.level:.1%} confidence instead of {level_before:.1%}")
    if change.cadence and tool == "backtest_weights":
        before = args.get("rebalance") or "monthly"
        args["rebalance"] = change.cadence
        edit.changes.append(f"rebalanced {change.cadence} instead of {before}")
    if change.subject:  # a portfolio of given weights is no question about other names
        given = bool(_parsed(request.text).weights)
        if (subject := change_subject(args, change.subject, given)) is None:
            return None
        edit.changes.append(subject)
    if change.split and (held := _names(request, inp)[1]):  # "and if I go 70/30?"
        split, words = resplit(held, change.split, _parsed(request.text).tickers)
        if split is None:
            return Edit(request, change, changes=edit.changes, problem=words)
        args.pop("portfolio_id", None)
        args["weights"] = split
        edit.changes.append(words)
    elif change.split and tool == "optimize_portfolio" and isinstance(request.data, dict):
        compared, words = split_beside_build(
            request.data, change.split, _parsed(request.text).tickers
        )
        if compared is None:
            return Edit(request, change, changes=edit.changes, problem=words)
        beside = ThreadRequest("compare_portfolios", compared, None, request.text, request.previous)
        return Edit(beside, change, args=compared, changes=[words])  # the build set beside it
    elif change.split:
        return None  # names held at equal weights: no split to change
    if names_changed:
        stats, problem = _change_names(edit, inp, args)
        if stats is not None or problem is not None:
            return Edit(request, change, stats=stats, changes=edit.changes, problem=problem)
    return Edit(request, change, args=args, changes=edit.changes)


def _takes(change: Change, request: ThreadRequest, inp: PolicyInput) -> bool:
    """Whether the request's tool takes what the change sets (a method, limits or a number of
    stocks a build; a cadence a backtest or a strategy; a confidence or horizon a risk report;
    costs, capital, a strategy's settings the tools that have them)."""
    tool = request.tool
    builds = tool == "optimize_portfolio"
    if (change.method or change.limits or change.holdings is not None) and not builds:
        return False
    pid = request.args.get("portfolio_id")
    adds = change.added and len(change.added) > len(change.dropped) and not change.added_weights
    if adds and pid and built_weights(inp, pid):
        return False  # "add XOM" after a stress test of a built portfolio: the build takes it
    if change.cadence and tool not in ("backtest_weights", *_STRATEGY_TOOLS):
        return False
    if (change.level is not None or change.horizon is not None) and tool != "portfolio_risk_report":
        return False
    if change.cost_bps is not None and tool not in ("backtest_weights", "backtest_strategy"):
        return False
    if change.capital is not None and tool not in _CAPITAL_TOOLS:
        return False
    if change.percent is not None and tool == "loss_probability" and not change.strategy:
        return True  # "and 20%?": the loss asked the probability of
    if change.percent is not None and tool == "stress_test" and "market_move" in request.args:
        return not change.strategy  # "what about 20%?" after a 30% crash: the market's move
    moved = builds and moved_target(change, request.args) is not None
    if moved or change.target_return is not None:
        return moved  # "and 30%?" after an efficient-risk build, "a 20% return?" after any
    return not (change.strategy or change.percent is not None) or (
        tool in _STRATEGY_TOOLS and not (change.scenarios and tool != "estimate_strategy")
    )


def _change_settings(change: Change, tool: str, args: dict[str, Any], said: list[str]) -> None:
    """Change in place the capital, the number of stocks a build holds, the horizon of a risk report, the costs of a backtest, and a
    strategy's cadence, leverage, lookback, volatility target and scenarios; each change in
    words to `said`."""
    if change.capital is not None:
        before = args.get("capital")
        args["capital"] = change.capital
        said.append(f"capital {amount_text(change.capital)}" + (f" instead of {amount_text(before)}" if before else ""))  # fmt: skip
    if change.holdings is not None:
        held_before = args.get("holdings")
        args["holdings"] = change.holdings
        said.append(f"{change.holdings} stocks" + (f" instead of {held_before}" if held_before else ""))  # fmt: skip
    if change.percent is not None and tool == "stress_test" and "market_move" in args:
        before = float(args["market_move"])
        args["market_move"] = change.percent if before > 0 else -change.percent
        side = "rise" if before > 0 else "fall"
        said.append(f"a {change.percent:.0%} market {side} instead of {abs(before):.0%}")
    if change.percent is not None and tool == "loss_probability":
        before = f" instead of {float(args['threshold']):.0%}" if "threshold" in args else ""
        said.append(f"a loss of {change.percent:.0%}{before}")
        args["threshold"] = change.percent
    if tool == "optimize_portfolio" and (moved := moved_target(change, args)) is not None:
        said.append(move_target(args, *moved))
    if change.horizon is not None:
        horizon_before = int(args.get("horizon_days") or 1)
        args["horizon_days"] = change.horizon
        said.append(f"over {change.horizon} sessions instead of {horizon_before}")
    config = args.setdefault("config", {}) if tool in _STRATEGY_TOOLS else args
    settings: list[tuple[str, Any, str, str]] = [
        ("cost_bps", change.cost_bps, "costs {} bps", "g"),
        ("max_leverage", change.leverage, "leverage {}x", "g"),
        ("lookback", change.lookback, "lookback {} sessions", "g"),
    ]
    if tool in _STRATEGY_TOOLS:
        target = change.target_vol if change.target_vol is not None else change.percent
        settings.append(("target_vol", target, "target vol {}", ".1%"))
    if change.cadence and tool in _STRATEGY_TOOLS:
        settings.append(("rebalance_every", CADENCE_SESSIONS[change.cadence], "rebalanced every {} sessions", "g"))  # fmt: skip
    for key, value, words, shown in settings:
        if value is not None:
            before = config.get(key)
            config[key] = value
            said.append(words.format(f"{value:{shown}}") + (f" instead of {before:{shown}}" if before is not None else ""))  # fmt: skip
    if change.scenarios and tool == "estimate_strategy":
        scenarios_before = ", ".join(args.get("scenarios") or ["all the search's"])
        args["scenarios"] = list(change.scenarios)
        said.append(f"in {', '.join(change.scenarios)} instead of {scenarios_before}")


_BACKTESTS = ("backtest_weights", "backtest_strategy")
_BACKTEST_ASKED = patterns.compile(
    r"\bback[\s-]?test|\b(?:would|might|could)\b.*\bhave (?:done|performed|fared)\b", re.I
)
"""A backtest asked: of the latest request only when that was one ("and backtest it since 2020",
"and how would this have done in 2010?" after a build are the build's backtest)."""
_WHY_ALONE = patterns.compile(r"^\W*(?:(?:and|so|but|ok(?:ay)?)\W+)*(?:why|how come)\b", re.I)
"""A "why?" answered from the results with nothing computed: the question before it is the one
a follow-up naming other stocks asks again ("how did XOM do in 2022?", "why?", "and CVX?")."""


def thread_edit(inp: PolicyInput) -> Edit | None:
    """The user's latest message (`user_text`: a number said again restated) as a change of the
    conversation's latest request
    that can take it, applied; None when it is no such change (see the module docstring)."""
    change = read_change(_parsed(user_text(inp)))
    if change is None:
        return None
    if not change.subject and (judged := judged_before(inp)) is not None:
        change = replace(change, subject=judged)  # "its beta?" after "the worst in 2008?"
    back = MAX_REQUESTS_BACK
    if change.subject:  # "and for KO?" asks the question just answered again, of other names
        turns = [t for t in _turns(inp) if t[1] or not _WHY_ALONE.search(t[0])]  # not "why?"
        if not turns or not any(call["name"] in EDITABLE for call in turns[-1][1]):
            return None
        back = 1
    requests = thread_requests(inp)[:back]
    if (
        requests
        and requests[0].tool not in _BACKTESTS
        and _BACKTEST_ASKED.search(change.intent.text)
    ):
        return None  # "and backtest it since 2020" after a build: its backtest, not a rebuild
    for request in requests:
        edit = _apply(Edit(request, change), inp)
        if edit is not None:
            return edit
    if change.added_weights and requests and requests[0].tool in _STRATEGY_TOOLS:
        shares = " and ".join(f"{100 * w:g}% {t}" for t, w in change.added_weights)
        problem = f"Your latest request is a strategy, not a portfolio of stocks: there is nothing to add {shares} to. Name the portfolio (for example 'add {shares} to 60% AAPL 40% MSFT')."  # fmt: skip
        return Edit(requests[0], change, problem=problem)
    return None


def follow_up_route(inp: PolicyInput) -> AIMessage | None:
    """The supervisor's route for a change of the conversation's latest request: the
    specialist that holds its tool; None for any other message."""
    if not inp.must_call_tool:
        return None
    edit = thread_edit(inp)
    if edit is None:
        return None
    agent = EDITABLE[edit.request.tool]
    reason = f"the message changes the conversation's latest request ({edit.request.tool})"
    return forced_call(inp, {"agent": agent, "reason": reason})


def follow_up_chat(inp: PolicyInput) -> AIMessage | None:
    """The specialist's reply to a change of the conversation's latest request: the call that
    measures a criterion, the request's tool called again changed, then the answer saying
    what changed; None when the message is no such change or the tool is not this one's."""
    edit = thread_edit(inp)
    if edit is None or edit.request.tool not in inp.tool_names:
        return None
    if edit.problem is not None:
        return reply(f"{edit.problem} Nothing was computed.")
    if edit.stats is not None:
        if "asset_statistics" not in inp.tool_names:
            return None
        return reply("", tool_call("asset_statistics", edit.stats))
    assert edit.args is not None
    if (grouped := groups_chat(inp, edit)) is not None:  # "and in 2021?" after tech vs staples
        return grouped
    tool = edit.request.tool
    done = [r for r in inp.results_this_turn() if r.name == tool]
    if not done:
        return reply("", tool_call(tool, edit.args))
    head = change_head(edit)
    what = build_attempt(edit.args) if tool == "optimize_portfolio" else _WHAT.get(tool)
    failed = done[-1].failure(what or "answer that")
    if failed is not None:
        return reply(head + failed)
    return reply(head + _answer(edit, done[-1].data))


def _answer(edit: Edit, data: dict[str, Any]) -> str:
    """The answer to the changed request, as the first answer to it was written."""
    tool = edit.request.tool
    if tool == "optimize_portfolio":
        left_out = "".join(f" {reason}." for reason in data.get("left_out") or [])
        return (
            describe_portfolio(data)
            + " (in-sample estimates)."
            + limits_note(edit.change.intent)
            + left_out
        )
    if tool == "compare_portfolios":
        judged = None if edit.change.picked else edit.change.judged_on  # the pick says its own
        text = ANSWERS["compare"](data, AnalysisAsk("compare", tool, judged_on=judged))
        return f"{pick_sentence(data)} {text}" if edit.change.picked else text
    if tool in _KINDS:
        kind = _KINDS[tool]
        asked = read_analysis(_parsed(edit.request.text), known_tickers())
        ask = asked if asked is not None and asked.kind == kind else AnalysisAsk(kind, tool)  # type: ignore[arg-type]
        return ANSWERS[kind](data, ask)
    if tool == "market_statistics":
        return market_answer(data, edit.request.text)
    if tool == "estimate_strategy":
        config = dict(edit.args.get("config") or {}) if edit.args else {}
        return estimate_answer(data, config, [])
    if tool == "portfolio_risk_report":
        about = data.get("portfolio_id")
        question = f"{edit.request.text} {edit.change.intent.text}"  # the one asked, as changed
        return (f"{about}: " if about else "") + risk_sentence(data, question)
    return strategy_backtest_answer(data)
