"""What a generated ask must reach (issue 61): the tool call that serves it (`call_problems`
compares the model's call with the ask, part by part) and the items the ask accounting must
find in its words (`expected_items`, compared by `item_problems`).

Each problem is named by the part of the ask it is about ("cap", "group_cap energy",
"window", ...), so a failing example says what was lost.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import pandas as pd

from quant.classification import matching
from quant.data import sp500_returns
from tests.support.pm_language import GROUPS, TICKERS, Ask, Window

REBALANCE_EVERY = {"weekly": 5, "monthly": 21, "quarterly": 63}
"""Sessions between rebalances of a strategy's cadence."""


@cache
def _dates() -> pd.DatetimeIndex:
    return sp500_returns().index


def _first_of_last(sessions: int) -> str:
    dates = _dates()
    return str(dates[len(dates) - sessions].date())


def _close(a: Any, b: Any, tol: float = 1e-9) -> bool:
    try:
        return abs(float(a) - float(b)) <= tol
    except (TypeError, ValueError):
        return False


def _group_members(term: str) -> frozenset[str]:
    return frozenset(c.ticker for c in matching(term))


def window_problems(args: dict[str, Any], window: Window | None, sessions_arg: bool) -> list[str]:
    """Whether the call's window is the ask's: `start`/`end` dates, or `last_sessions` where the
    tool takes it (`sessions_arg`), else the first date of those sessions."""
    if window is None:
        return ["window"] if args.get("start") or args.get("last_sessions") else []
    if window.form == "last":
        if sessions_arg and args.get("last_sessions") == window.sessions:
            return []
        return [] if args.get("start") == _first_of_last(window.sessions) else ["window"]
    start, end = window.start(), window.end()
    if window.form == "crisis":
        from quant.episodes import EPISODES

        end = EPISODES[window.episode].end
    ok = str(args.get("start") or "")[:10] == start and (end is None or args.get("end") == end)
    return [] if ok else ["window"]


def universe_problems(args: dict[str, Any], ask: Ask) -> list[str]:
    assert ask.universe is not None
    universe = args.get("universe")
    taken = set(TICKERS) if universe in (None, ["ALL"]) else {str(t).upper() for t in universe}
    return [] if taken == set(ask.universe.members()) else ["universe"]


def limit_problems(args: dict[str, Any], ask: Ask) -> list[str]:
    """The build's limits against the ask's, each named when it differs."""
    limits = ask.limits
    problems = []
    if not _close(args.get("max_weight", 1.0), limits.cap if limits.cap is not None else 1.0):
        problems.append("cap")
    if not _close(args.get("min_weight", 0.0), limits.floor or 0.0):
        problems.append("floor")
    assets = {str(k).upper(): v for k, v in (args.get("asset_limits") or {}).items()}
    wanted: dict[str, dict[str, float]] = {}
    for t, c in limits.asset_caps:
        wanted.setdefault(t, {})["max"] = c
    for t, f in limits.asset_floors:
        wanted.setdefault(t, {})["min"] = f
    for t in set(assets) | set(wanted):
        got = assets.get(t) or {}
        want = wanted.get(t) or {}
        if not (
            _close(got.get("max", 1.0), want.get("max", 1.0))
            and _close(got.get("min", 0.0), want.get("min", 0.0))
        ):
            problems.append(f"asset {t}")
    members = set(ask.universe.members()) if ask.universe else set(TICKERS)
    groups = {
        frozenset(_group_members(str(term)) & members): bounds
        for term, bounds in (args.get("sector_limits") or {}).items()
    }
    asked: dict[frozenset[str], dict[str, float]] = {}
    for g, c in limits.group_caps:
        asked.setdefault(frozenset(set(GROUPS[g]) & members), {})["max"] = c
    for g, f in limits.group_floors:
        asked.setdefault(frozenset(set(GROUPS[g]) & members), {})["min"] = f
    for key in set(groups) | set(asked):
        got = groups.get(key) or {}
        want = asked.get(key) or {}
        if not (
            _close(got.get("max", 1.0), want.get("max", 1.0))
            and _close(got.get("min", 0.0), want.get("min", 0.0))
        ):
            problems.append("group " + ",".join(sorted(key)))
    return problems


def _weights_problems(args: dict[str, Any], ask: Ask) -> list[str]:
    if ask.method == "given":
        want = dict(ask.weights)
    else:
        assert ask.universe is not None
        names = ask.universe.members()
        want = {t: 1.0 / len(names) for t in names}
    got = {str(k).upper(): v for k, v in (args.get("weights") or {}).items()}
    if not got and args.get("universe") and ask.method == "equal":
        return [] if {str(t).upper() for t in args["universe"]} == set(want) else ["weights"]
    if set(got) != set(want) or not all(_close(got[t], want[t], 1e-3) for t in want):
        return ["weights"]
    return []


def call_problems(ask: Ask, calls: list[tuple[str, dict[str, Any]]]) -> list[str]:
    """The parts of `ask` the model's `calls` do not carry as asked (empty: all of them)."""
    tool = {"build": "optimize_portfolio", "risk": "portfolio_risk_report",
            "backtest": "backtest_weights", "estimate": "estimate_strategy"}[ask.kind]  # fmt: skip
    found = [args for name, args in calls if name == tool]
    if not found:
        return [f"no {tool} call (got {[name for name, _ in calls]})"]
    args = found[0]
    if ask.kind == "build":
        problems = [] if args.get("method") == ask.method else ["method"]
        problems += universe_problems(args, ask) + limit_problems(args, ask)
        return problems + window_problems(args, ask.window, sessions_arg=False)
    if ask.kind == "risk":
        problems = _weights_problems(args, ask)
        if not _close(args.get("level", 0.95), ask.level or 0.95):
            problems.append("level")
        if int(args.get("horizon_days") or 1) != (ask.horizon or 1):
            problems.append("horizon")
        return problems + window_problems(args, ask.window, sessions_arg=False)
    if ask.kind == "backtest":
        problems = _weights_problems(args, ask)
        if ask.rebalance is not None and args.get("rebalance") != ask.rebalance:
            problems.append("rebalance")
        if not _close(args.get("cost_bps", 0), ask.cost_bps or 0):
            problems.append("cost")
        return problems + window_problems(args, ask.window, sessions_arg=True)
    return estimate_problems(ask, args)


def estimate_problems(ask: Ask, args: dict[str, Any]) -> list[str]:
    e = ask.estimate
    assert e is not None
    config = args.get("config") or {}
    problems = []
    if not _close(config.get("target_vol"), e.target_vol):
        problems.append("target_vol")
    if config.get("weight_function", e.weight_function) != e.weight_function:
        problems.append("weight_function")
    if e.weight_function is not None and "weight_function" not in config:
        problems.append("weight_function")
    if e.lookback_days is not None and config.get("lookback") != e.lookback_days:
        problems.append("lookback")
    if e.lookback_days is None and "lookback" in config:
        problems.append("lookback")
    every = REBALANCE_EVERY.get(e.cadence or "")
    if config.get("rebalance_every") != every:
        problems.append("cadence")
    if not _close(
        config.get("max_leverage", 1.0 if e.leverage is None else None), e.leverage or 1.0
    ):
        problems.append("leverage")
    scenarios = sorted(args.get("scenarios") or [])
    if scenarios != sorted(e.scenarios):
        problems.append("scenarios")
    return problems


# ---- the ask accounting's items -----------------------------------------------------------
Key = tuple[Any, ...]


def _group_key(members: Any) -> frozenset[str]:
    return frozenset(members)


def expected_items(ask: Ask) -> set[Key]:
    """The items the ask accounting must find in `ask`'s words, as comparable keys."""
    keys: set[Key] = set()
    u = ask.universe
    if u is not None:
        if u.form == "tickers":
            keys |= {("ticker", t, False) for t in u.tickers}
        elif u.form == "group":
            keys.add(("group", _group_key(GROUPS[str(u.group)]), False))
        elif u.form == "all_but":
            keys |= {("ticker", t, True) for t in u.tickers}
            keys.add(("universe_all",))
        else:
            keys.add(("group", _group_key(GROUPS[str(u.group)]), True))
            keys.add(("universe_all",))
    if ask.method in ("min_volatility", "max_sharpe", "risk_parity", "hrp"):
        keys.add(("method", ask.method))
    if ask.method == "equal":
        keys.add(("method", "equal_weight"))
    for t, w in ask.weights:
        keys |= {("weight", t, round(w, 4)), ("ticker", t, False)}
    lim = ask.limits
    if lim.cap is not None:
        keys.add(("cap", round(lim.cap, 4)))
    if lim.floor is not None:
        keys.add(("floor", round(lim.floor, 4)))
    for t, c in lim.asset_caps:
        keys |= {("asset_cap", t, round(c, 4)), ("ticker", t, False)}
    for t, f in lim.asset_floors:
        keys |= {("asset_floor", t, round(f, 4)), ("ticker", t, False)}
    for g, c in lim.group_caps:
        keys.add(("group_cap", _group_key(GROUPS[g]), round(c, 4)))
    for g, f in lim.group_floors:
        keys.add(("group_floor", _group_key(GROUPS[g]), round(f, 4)))
    w = ask.window
    if w is not None:
        if w.form == "since":
            keys.add(("start", f"{w.year}-01-01"))
        elif w.form == "range":
            keys |= {("start", f"{w.year}-01-01"), ("end", f"{w.to_year}-12-31")}
        elif w.form == "last":
            keys.add(("recent", w.sessions))
        else:
            keys.add(("episode", w.episode))
    if ask.level is not None:
        keys.add(("level", round(ask.level, 4)))
    if ask.horizon is not None:
        keys.add(("horizon", ask.horizon))
    if ask.rebalance is not None:
        keys.add(("frequency", ask.rebalance))
    if ask.cost_bps is not None:
        keys.add(("cost", float(ask.cost_bps)))
    e = ask.estimate
    if e is not None:
        if e.target_vol is not None:
            keys.add(("vol_target", round(e.target_vol, 4)))
        if e.weight_function is not None:
            keys.add(("method", e.weight_function))
        if e.lookback_days is not None:
            keys.add(("lookback", e.lookback_days))
        if e.cadence is not None:
            keys.add(("frequency", e.cadence))
        if e.leverage is not None:
            keys.add(("leverage", e.leverage))
        keys |= {("scenario", s) for s in e.scenarios}
    return keys


def found_items(items: Any, vocab: Any) -> set[Key]:
    """The accounting's items (`graphs.ask_items.AskItem`) as the keys `expected_items` gives."""
    keys: set[Key] = set()
    for i in items:
        value = i.value
        if i.kind in ("ticker", "unknown_ticker"):
            keys.add((i.kind, value, i.excluded))
        elif i.kind == "group":
            keys.add(("group", _group_key(vocab.members(str(value))), i.excluded))
        elif i.kind == "universe_all":
            keys.add(("universe_all",))
        elif i.kind in ("group_cap", "group_floor"):
            keys.add((i.kind, _group_key(vocab.members(str(i.subject))), round(value, 4)))
        elif i.kind in ("asset_cap", "asset_floor", "weight"):
            keys.add((i.kind, i.subject, round(value, 4)))
        elif i.kind == "recent":
            keys.add(("recent", value["sessions"]))
        elif isinstance(value, float):
            keys.add((i.kind, round(value, 4)))
        else:
            keys.add((i.kind, value))
    return keys


def item_problems(ask: Ask, items: Any, vocab: Any) -> list[str]:
    """What the accounting missed of `ask` ("missing ...") and what it found that the ask does
    not hold ("extra ...")."""
    want, got = expected_items(ask), found_items(items, vocab)
    problems = [f"missing {k[0]} {k[1:]}" for k in sorted(want - got, key=str)]
    return problems + [f"extra {k[0]} {k[1:]}" for k in sorted(got - want, key=str)]
