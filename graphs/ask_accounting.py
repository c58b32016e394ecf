"""Ask accounting (DESIGN.md invariant): every item of a portfolio manager's message
(`graphs.ask_items`) reaches the tool calls of the turn (`graphs.ask_inputs`) or is named in
the reply as not used, with the reason.

`unaccounted` lists the items no tool took and the reply does not name as not used, each with a
short, exact reason (`graphs.ask_notes.not_used_sentence` says them in one sentence). Items
carried from the thread's earlier request (a follow-up that leans on it: `carried`) are held to
less: they count as accounted when the reply mentions them or no tool of the turn takes their
kind.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from graphs.ask_inputs import DEPLOYMENT, SEARCH, Inputs, ToolUse
from graphs.ask_items import AskItem
from graphs.ask_notes import (
    NOTHING_COMPUTED,
    Unaccounted,
    applied_as_bar,
    named_as_not_used,
    pct,
    scenario_stated,
)
from graphs.ask_vocabulary import Vocabulary
from graphs.ask_weights_used import TOLERANCE, cash_left, close, weights_used
from quant.episodes import EPISODES
from settings import patterns

ESTIMATE = "estimate_strategy"
"""The strategy model's estimate of one configuration (`config`) in named `scenarios`."""


TAKES: dict[str, frozenset[str]] = {
    kind: frozenset(tools)
    for kind, tools in {
        "cap": ("optimize_portfolio", "efficient_frontier", "compare_portfolios"),
        "floor": ("optimize_portfolio", "compare_portfolios"),
        "asset_cap": ("optimize_portfolio",),
        "asset_floor": ("optimize_portfolio",),
        "group_cap": ("optimize_portfolio",),
        "group_floor": ("optimize_portfolio",),
        "drawdown_limit": (SEARCH,),
        "var_limit": (SEARCH,),
        "cvar_limit": (SEARCH,),
        "vol_limit": ("optimize_portfolio", "backtest_strategy", SEARCH),
        "vol_target": ("optimize_portfolio", "backtest_strategy", ESTIMATE, SEARCH),
        "return_target": ("optimize_portfolio",),
        "risk_free": ("optimize_portfolio", "efficient_frontier", "compare_portfolios",
                      "portfolio_risk_report", "backtest_weights", "price_option"),
        "horizon": ("stress_test", "loss_probability", "generate_market_scenarios",
                    "portfolio_risk_report", SEARCH),
        "episode": ("stress_test", "portfolio_risk_report", "asset_statistics", "backtest_weights",
                    "compare_portfolios", "optimize_portfolio"),
        "leverage": ("backtest_strategy", ESTIMATE, SEARCH),
        "lookback": ("backtest_strategy", ESTIMATE, SEARCH),
        "rolling": ("asset_statistics",),
        "scenario": ("stress_test", "loss_probability", "generate_market_scenarios", ESTIMATE,
                     SEARCH),
        "frequency": ("backtest_weights", "backtest_strategy", ESTIMATE, DEPLOYMENT, SEARCH),
        "level": ("portfolio_risk_report", "compare_portfolios"),
        "capital": ("stress_test", "loss_probability", "backtest_weights", "optimize_portfolio",
                    "portfolio_risk_report", DEPLOYMENT),
        "threshold": ("loss_probability",),
        "holdings": ("optimize_portfolio",),
        "market_move": ("stress_test",),
        "rate_move": (),
        "beta_to": ("asset_statistics",),
        "cost": ("backtest_weights", "backtest_strategy", ESTIMATE, SEARCH),
    }.items()
}  # fmt: skip
"""The tools that take each kind of item (methods: `METHOD_TAKERS`; tickers, groups, weights
and windows: every tool)."""

PORTFOLIO_TOOLS = (
    "optimize_portfolio", "compare_portfolios", "portfolio_risk_report", "stress_test",
    "loss_probability", "backtest_weights", "asset_statistics",
)  # fmt: skip
"""Tools that build or take a portfolio (one built by a method, by its id)."""
METHOD_TAKERS: dict[str, frozenset[str]] = {
    **dict.fromkeys(("hrp", "risk_parity", "inverse_volatility", "min_volatility", "max_sharpe",
                     "equal_weight"), frozenset(PORTFOLIO_TOOLS)),
    "frontier": frozenset({"efficient_frontier"}),
    **dict.fromkeys(("inverse_vol", "sigmoid", "merton"),
                    frozenset({"backtest_strategy", ESTIMATE, SEARCH})),
}  # fmt: skip
"""The tools that take each method: portfolio methods, the frontier, strategy weight
functions."""

KIND_WORDS = {
    "cap": "a cap on every asset", "floor": "a floor on every asset",
    "asset_cap": "a limit on one asset", "asset_floor": "a floor on one asset",
    "group_cap": "a group limit", "group_floor": "a group floor",
    "drawdown_limit": "a drawdown limit", "var_limit": "a VaR limit", "cvar_limit": "a CVaR limit",
    "vol_limit": "a volatility limit", "vol_target": "a volatility target",
    "return_target": "a return target", "risk_free": "a risk-free rate",
    "horizon": "a horizon", "episode": "a historical episode", "scenario": "a market scenario",
    "frequency": "a rebalancing frequency", "level": "a confidence level",
    "capital": "a capital", "threshold": "a loss threshold", "market_move": "a market move",
    "rate_move": "an interest-rate move", "beta_to": "a beta against that stock",
    "cost": "trading costs", "method": "that method", "percentage": "that percentage",
    "leverage": "a leverage", "lookback": "a lookback", "rolling": "a rolling window",
    "holdings": "a number of holdings",
}  # fmt: skip

FREQUENCY_SESSIONS = {"daily": 1, "weekly": 5, "monthly": 21, "quarterly": 63, "annually": 252}
SCHEDULE_EVERY = {"daily": "session", "weekly": "week", "monthly": "month", "quarterly": "quarter"}
CONSTRAINED_FORMS = {"min_volatility": ("efficient_return",)}
"""Methods that build the one asked under a further constraint the user stated: the
efficient-return portfolio is the least volatile one that reaches a return."""
PORTFOLIO_METHODS = ("hrp", "risk_parity", "inverse_volatility", "min_volatility", "max_sharpe")
NOT_OFFERED = (
    "not a method offered here: HRP, risk parity, inverse volatility, minimum volatility, maximum "
    "Sharpe, equal weight, the efficient frontier, and the strategies' inverse-volatility, sigmoid and Merton "
    "weightings"
)
"""Why a method the message names that no tool offers (maximum diversification, Black-Litterman,
minimum CVaR) was not used."""
RATES_NOT_MODELLED = (
    "no tool here models interest rates: stress tests move the equity market and replay "
    "historical crises, the 2022 rate shock among them"
)
"""Why a move of interest rates the message states was not used."""
WEIGHT_FUNCTIONS = ("inverse_vol", "sigmoid", "merton")


SAYS_NOTHING_COMPUTED = patterns.compile(
    r"\bnothing (?:new )?(?:was|has been|is) (?:computed|run|built|deployed|done|saved)\b", re.I
)
"""A reply that says itself that the turn computed nothing."""


@dataclass(frozen=True)
class Turn:
    """What the accounting compares: the uses of the turn with their `Inputs`, the reply, the
    vocabulary."""

    uses: Sequence[ToolUse]
    inputs: Sequence[Inputs]
    reply: str
    vocab: Vocabulary

    def taking(self, kind: str, value: Any = None) -> list[tuple[ToolUse, Inputs]]:
        """The uses whose tool takes items of `kind` (a method: the method `value`); every use
        but a deployment for tickers, groups, weights and windows."""
        tools = METHOD_TAKERS.get(str(value)) if kind == "method" else TAKES.get(kind)
        pairs = list(zip(self.uses, self.inputs, strict=True))
        if tools is None:
            return [(u, i) for u, i in pairs if u.name != DEPLOYMENT]
        return [(u, i) for u, i in pairs if u.name in tools]

    def values(self, key: str, kind: str | None = None) -> list[Any]:
        """Every value of argument `key` (dotted) in the uses (that take `kind`)."""
        pairs = self.taking(kind) if kind else list(zip(self.uses, self.inputs, strict=True))
        return [i.flat[key] for _, i in pairs if key in i.flat]


def label(use: ToolUse) -> str:
    """A use in words: "the optimize_portfolio call", "the drafted search"."""
    if use.name == SEARCH:
        return "the drafted search"
    if use.name == DEPLOYMENT:
        return "the proposed deployment"
    return f"the {use.name} call"


# ---- is an item used ----------------------------------------------------------------------
def _ticker_used(item: AskItem, turn: Turn) -> str | None:
    """None when a ticker is used as asked (kept in, or left out), else why not."""
    pairs = turn.taking("ticker")
    holding = [i for _, i in pairs if item.value in i.tickers]
    if item.excluded:
        computed = [i for _, i in pairs if i.tickers]
        if holding:
            return f"{item.value} is in the universe used"
        return None if computed else NOTHING_COMPUTED
    if any(_word_in(str(item.value), t) or item.text.lower() in t for _, i in pairs for t in i.texts):  # fmt: skip
        return None
    if holding and all(i.default_universe for i in holding):
        return f"the tools ran on the whole universe ({len(holding[0].tickers)} names), not the names asked"  # fmt: skip
    if holding:
        return None
    universes = [sorted(i.tickers) for _, i in pairs if i.tickers]
    if not universes:
        return NOTHING_COMPUTED
    shown = ", ".join(universes[-1][:12]) + (" ..." if len(universes[-1]) > 12 else "")
    return f"not in the universe used ({shown})"


def _word_in(word: str, text: str) -> bool:
    """Whether `word` (in lower case) is in `text` with no word character on either side, as
    `(?<![\\w])word(?![\\w])` finds it: no pattern is compiled for a word the user said."""
    word = word.lower()
    at = text.find(word)
    while at >= 0:
        end = at + len(word)
        if not (at > 0 and _word_character(text[at - 1])) and not (
            end < len(text) and _word_character(text[end])
        ):
            return True
        at = text.find(word, at + 1)
    return False


def _word_character(character: str) -> bool:
    """Whether `\\w` matches `character`."""
    return character.isalnum() or character == "_"


def _members(term: str, vocab: Vocabulary) -> set[str]:
    """The tickers of the market data a group term names."""
    return set(vocab.members(term)) & set(vocab.tickers)


def _group_used(item: AskItem, turn: Turn) -> str | None:
    members = _members(str(item.value), turn.vocab)
    pairs = turn.taking("group")
    if item.excluded:
        inside = sorted({t for _, i in pairs for t in i.tickers & members})
        if inside:
            return f"{', '.join(inside)} in the universe used"
        return None if any(i.tickers for _, i in pairs) else NOTHING_COMPUTED
    for _, inputs in pairs:
        if members and members <= inputs.tickers:
            return None
        if any(_word_in(str(item.value), t) for t in inputs.texts):
            return None
        if any(_same_group(k, item, turn.vocab) for k in _sector_terms(inputs)):
            return None
        held = members & inputs.tickers
        if held and all(_word_in(t, turn.reply.lower()) for t in members - held):
            return None  # the names left out are named in the reply
    if not any(i.tickers for _, i in pairs):
        return NOTHING_COMPUTED
    return f"not all of {', '.join(sorted(members))} in the universe used"


def _sector_terms(inputs: Inputs) -> set[str]:
    return {k.split(".")[1] for k in inputs.flat if k.startswith("sector_limits.")}


def _same_group(term: str, item: AskItem, vocab: Vocabulary) -> bool:
    asked = str(item.subject or item.value).lower()
    if term.strip().lower() == asked:
        return True
    mine = _members(asked, vocab)
    return bool(mine) and mine == _members(term.strip().lower(), vocab)


def _universe_all_used(item: AskItem, turn: Turn, excluded: set[str]) -> str | None:
    wanted = set(turn.vocab.tickers) - excluded
    reply = turn.reply.upper()
    for _, inputs in turn.taking("ticker"):
        missing = wanted - inputs.tickers
        if all(re.search(rf"\b{re.escape(t)}\b", reply) for t in missing):
            return None
    return "the tools ran on fewer names"


def _limit_used(item: AskItem, turn: Turn) -> str | None:
    """Weight limits: on every asset, on named assets, on groups."""
    kind, value = item.kind, float(item.value)
    pairs = turn.taking(kind)
    if not pairs:
        return f"no tool of this turn takes {KIND_WORDS[kind]}" if turn.uses else NOTHING_COMPUTED  # fmt: skip
    if any(close(v, value) for v in _limit_values(item, turn)):
        return None
    bound = "max" if kind.endswith("cap") else "min"
    every = [v for v in turn.values(f"{bound}_weight", kind) if isinstance(v, int | float)]
    if kind.startswith("asset") and any(close(v, value) for v in every):
        return f"it was applied to every asset, not to {item.subject} alone"
    if kind.startswith("group") and any(close(v, value) for v in every):
        return "it was applied as a limit on every asset, not a group limit"
    if kind in ("cap", "floor") and every:
        return f"{label(pairs[0][0])} used {pct(every[0])}"
    return f"{label(pairs[0][0])} did not take it"


def _nested(inputs: Inputs, key: str) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for flat, value in inputs.flat.items():
        parts = flat.split(".")
        if parts[0] == key and len(parts) == 3:
            out.setdefault(parts[1], {})[parts[2]] = value
    return out


def _window_used(item: AskItem, turn: Turn) -> str | None:
    pairs = turn.taking("start")
    windows = [w for _, i in pairs for w in i.windows if w != (None, None)]
    end = turn.vocab.data_end
    if item.kind == "recent":
        sessions, start = item.value["sessions"], item.value.get("start")
        if any(i.last_sessions is not None and abs(i.last_sessions - sessions) <= 1 for _, i in pairs):  # fmt: skip
            return None
        if start and any(_near(w[0], start, 7, 7) for w in windows):
            return None
    elif _replayed(item.value, turn):
        return None  # "how would it have done in 2008?": the 2008 crisis replayed holds it
    elif item.kind == "start":
        if any(_near(w[0], item.value, 7, 10) for w in windows):
            return None
    else:
        if any(_near(w[1], item.value, 10, 7) for w in windows):
            return None
        if end and item.value > end and any(w[1] == end for w in windows):
            return None  # asked past the data's end: it ran to the end
    if not windows:
        return "the tools used their default window" if pairs else NOTHING_COMPUTED
    start, stop = windows[-1]
    return f"the tools used {start or 'the default start'} to {stop or end or 'the data end'}"


def _replayed(day: Any, turn: Turn) -> bool:
    """Whether an episode a stress test of the turn was asked to replay (by name, not among the
    defaults) and did replay took place in the calendar years of ISO `day` (2022: rate shock)."""
    for use in turn.uses:
        data = use.data if isinstance(use.data, dict) and use.name == "stress_test" else {}
        named = set(use.args.get("episodes") or [])
        for episode in data.get("episodes") or []:
            if not isinstance(episode, dict) or episode.get("key") not in named:
                continue
            years = f"{str(episode['start'])[:4]}-01-01", f"{str(episode['end'])[:4]}-12-31"
            if "not_replayed" not in episode and years[0] <= str(day)[:10] <= years[1]:
                return True
    return False


def _near(day: Any, target: str, before: int, after: int) -> bool:
    """Whether ISO `day` is within `before` days before and `after` days after `target`."""
    try:
        d, t = date.fromisoformat(str(day)[:10]), date.fromisoformat(target)
    except ValueError:
        return False
    return t - timedelta(days=before) <= d <= t + timedelta(days=after)


def _method_used(item: AskItem, turn: Turn) -> str | None:
    method = item.value
    if method not in METHOD_TAKERS:
        return NOT_OFFERED
    for use, inputs in zip(turn.uses, turn.inputs, strict=True):
        flat = inputs.flat
        if method == "frontier" and use.name == "efficient_frontier":
            return None
        if method in PORTFOLIO_METHODS and (
            flat.get("method") in (method, *CONSTRAINED_FORMS.get(method, ()))
            or method in (use.args.get("methods") or [])
            or any(p.method == method for p in inputs.portfolios)
        ):
            return None
        if method in WEIGHT_FUNCTIONS and (
            flat.get("config.weight_function") == method
            or flat.get("search_space.weight_function") == method
            or method in (flat.get("search_space.weight_function.choices") or [])
        ):
            return None
        if method == "equal_weight" and _equal_weight(use, inputs):
            return None
    if not turn.taking("method", method):
        return "no tool of this turn takes that method" if turn.uses else NOTHING_COMPUTED
    return "no tool of this turn used it"


def _equal_weight(use: ToolUse, inputs: Inputs) -> bool:
    if use.args.get("equal_weight") is True:
        return True
    if any(len(set(w.values())) == 1 for w in inputs.weights if w):
        return True
    data = use.data if isinstance(use.data, dict) else {}
    name = str((data.get("portfolio") or {}).get("name") or "") if isinstance(data.get("portfolio"), dict) else ""  # fmt: skip
    return name.startswith("equal weights")


def _frequency_used(item: AskItem, turn: Turn) -> str | None:
    value = item.value
    sessions = value if isinstance(value, int) else FREQUENCY_SESSIONS.get(str(value))
    for _, inputs in turn.taking("frequency"):
        flat = inputs.flat
        if flat.get("rebalance") == value or (
            value == "never" and flat.get("rebalance") == "never"
        ):
            return None
        if sessions is not None and flat.get("config.rebalance_every") == sessions:
            return None
        if flat.get("schedule.every") == SCHEDULE_EVERY.get(str(value)):
            return None
        low, high = flat.get("search_space.rebalance_every.low"), flat.get("search_space.rebalance_every.high")  # fmt: skip
        fixed = flat.get("search_space.rebalance_every")
        if sessions is not None and (fixed == sessions or (
            isinstance(low, int | float) and isinstance(high, int | float) and low <= sessions <= high)):  # fmt: skip
            return None
    none_took = f"no tool of this turn takes {KIND_WORDS['frequency']}" if turn.uses else NOTHING_COMPUTED  # fmt: skip
    return "the tools used another rebalancing" if turn.taking("frequency") else none_took


def _value_used(item: AskItem, turn: Turn) -> str | None:
    """Numbers taken by one argument: levels, capital, thresholds, moves, costs, targets,
    risk limits, horizons; and named episodes and scenarios."""
    kind, value = item.kind, item.value
    checks: dict[str, Callable[[Mapping[str, Any]], bool]] = {
        "level": lambda f: close(f.get("level"), value),
        "capital": lambda f: close(f.get("capital"), value, 0.5),
        "threshold": lambda f: close(f.get("threshold"), value),
        "holdings": lambda f: f.get("holdings") == value or len(f.get("universe") or ()) == value,
        "market_move": lambda f: close(abs(f.get("market_move") or 0.0), abs(value)),
        "cost": lambda f: any(
            close(f.get(k), value, 1e-4)
            for k in ("cost_bps", "config.cost_bps", "search_space.cost_bps")
        ),
        "risk_free": lambda f: close(f.get("risk_free_rate"), value) or close(f.get("rate"), value),
        "return_target": lambda f: close(f.get("target_return"), value),
        "drawdown_limit": lambda f: close(f.get("risk_limits.max_drawdown"), value),
        "var_limit": lambda f: close(f.get("risk_limits.var_95"), value),
        "cvar_limit": lambda f: close(f.get("risk_limits.cvar_95"), value),
        "vol_target": lambda f: (
            close(f.get(f"search_space.target_vol.{item.subject}"), value)
            if item.subject in ("low", "high")  # an end of the range asked
            else close(f.get("target_volatility"), value)
            or close(f.get("config.target_vol"), value)
            or close(f.get("search_space.target_vol"), value)  # kept, not searched around
            or (item.subject == "around" and _in_range(f, "search_space.target_vol", value))
        ),
        "vol_limit": lambda f: (
            close(f.get("target_volatility"), value)
            or _at_most(f.get("config.target_vol"), value)
            or _at_most(f.get("search_space.target_vol.high"), value)
        ),
        "beta_to": lambda f: str(f.get("beta_to") or "").strip().upper() == value,
        "horizon": lambda f: any(
            isinstance(f.get(k), int) and abs(f[k] - value) <= max(2, 0.02 * value)
            for k in ("horizon", "horizon_days")
        ),
        "episode": lambda f: (
            value in (f.get("episodes") or []) or f.get("start") == EPISODES[value].start
        ),  # the episode as the window
        "leverage": lambda f: (
            close(f.get("config.max_leverage"), value)
            or _in_range(f, "search_space.max_leverage", value)
        ),
        "rolling": lambda f: (
            isinstance(f.get("rolling_sessions"), int) and abs(f["rolling_sessions"] - value) <= 1
        ),
        "lookback": lambda f: (
            f.get("config.lookback") == value or _in_range(f, "search_space.lookback", value)
        ),
        "scenario": lambda f: (
            any(value in (f.get(k) or []) for k in ("scenarios", "risk_limits.scenarios"))
            or f"scenario_weights.{value}" in f
        ),
    }
    taking = turn.taking(kind)
    for use, inputs in taking:
        if checks[kind](inputs.flat) or _result_shows(kind, value, use):
            return None
    if not taking:
        return f"no tool of this turn takes {KIND_WORDS[kind]}" if turn.uses else NOTHING_COMPUTED  # fmt: skip
    return f"{label(taking[0][0])} did not take it"


def _in_range(flat: Mapping[str, Any], key: str, value: float) -> bool:
    low, high = flat.get(f"{key}.low"), flat.get(f"{key}.high")
    if isinstance(low, int | float) and isinstance(high, int | float):
        return low - TOLERANCE <= value <= high + TOLERANCE
    return close(flat.get(key), value)


def _at_most(found: Any, value: float) -> bool:
    return isinstance(found, int | float) and found <= value + TOLERANCE


def _result_shows(kind: str, value: Any, use: ToolUse) -> bool:
    """Whether a result reports the value it used (defaults included): its level, horizon,
    episodes or scenarios."""
    data = use.data if isinstance(use.data, dict) else {}
    if kind in ("level", "horizon") and kind in data:
        return close(data[kind], float(value), TOLERANCE if kind == "level" else 2)
    if kind == "horizon" and use.name == "portfolio_risk_report" and not use.is_error:
        return value == 1 and not use.args.get("horizon_days")  # its VaR and CVaR are one-day
    if kind == "episode":
        return any(
            isinstance(e, dict) and e.get("key") == value for e in data.get("episodes") or []
        )
    if kind == "scenario":
        return isinstance(data.get("scenarios"), dict | list) and value in data["scenarios"]
    return False


# ---- the accounting -----------------------------------------------------------------------


def why_unused(item: AskItem, turn: Turn, excluded: set[str]) -> str | None:
    """None when `item` reached a tool call of the turn as asked, or the reply applies it as a
    bar ("which fell more than 30%?": "1 of the 20 had a total return below -30%"), else why."""
    kind = item.kind
    if applied_as_bar(item, turn.reply, {use.name for use in turn.uses}):
        return None
    if kind == "ticker":
        return _ticker_used(item, turn)
    if kind == "unknown_ticker":
        texts = [t for i in turn.inputs for t in i.texts]
        used = any(str(item.value) in i.tickers for i in turn.inputs) or any(_word_in(str(item.value), t) for t in texts)  # fmt: skip
        return None if used else "no market data for it"
    if kind == "group":
        return _group_used(item, turn)
    if kind == "universe_all":
        return _universe_all_used(item, turn, excluded)
    if kind in ("cap", "floor", "asset_cap", "asset_floor", "group_cap", "group_floor"):
        return _limit_used(item, turn)
    if kind in ("start", "end", "recent"):
        return _window_used(item, turn)
    if kind == "method":
        return _method_used(item, turn)
    if kind == "frequency":
        return _frequency_used(item, turn)
    if kind == "percentage":
        return _percentage_used(item, turn)
    if kind == "rate_move":
        return RATES_NOT_MODELLED
    return _value_used(item, turn)


def _percentage_used(item: AskItem, turn: Turn) -> str | None:
    """A percentage no phrasing read is used when some argument of the turn's calls holds it
    (as a fraction or in percent, either sign), or the cash a call's weights leave is it."""
    value = abs(float(item.value))
    for inputs in turn.inputs:
        numbers = [v for v in inputs.flat.values() if isinstance(v, int | float)]
        if any(close(abs(v), value) or close(abs(v), 100 * value) for v in numbers):
            return None
        if cash_left(inputs, value):  # "what if I put 20% in cash?": weights adding up to 80%
            return None
    return "no tool of this turn was given it" if turn.uses else NOTHING_COMPUTED


def _limit_values(item: AskItem, turn: Turn) -> list[Any]:
    """The values the turn's calls gave the argument that takes weight limit `item`."""
    kind, bound = item.kind, "max" if item.kind.endswith("cap") else "min"
    if kind in ("cap", "floor"):
        return turn.values(f"{bound}_weight", kind)
    found: list[Any] = []
    for _, inputs in turn.taking(kind):
        key = "asset_limits" if kind.startswith("asset") else "sector_limits"
        for name, limit in _nested(inputs, key).items():
            if (kind.startswith("asset") and name.upper() == str(item.subject).upper()) or (
                kind.startswith("group") and _same_group(name, item, turn.vocab)
            ):
                found.append(limit.get(bound))
    return found


def unaccounted(
    items: Sequence[AskItem],
    turn: Turn,
    *,
    carried: Sequence[AskItem] = (),
) -> list[Unaccounted]:
    """The items of the message (and those `carried` from the thread's earlier request) that
    no tool call of the turn took as asked and the reply does not name as not used. A turn
    that computed nothing used none of its message's items (unless its reply says so), but a
    scenario its reply gives a figure of (one answered from a finished search's results: "the
    winner's Sharpe in the bear scenario")."""
    if not turn.uses:
        if SAYS_NOTHING_COMPUTED.search(turn.reply):
            return []
        return [
            Unaccounted(item, NOTHING_COMPUTED)
            for item in items
            if not named_as_not_used(item, turn.reply) and not scenario_stated(item, turn.reply)
        ]
    said = (*items, *carried)  # "the whole universe excluding energy" carried: energy left out
    excluded = {str(i.value) for i in said if i.kind == "ticker" and i.excluded}
    excluded |= {t for i in said if i.kind == "group" and i.excluded for t in _members(str(i.value), turn.vocab)}  # fmt: skip
    found: list[Unaccounted] = []
    weights = [i for i in items if i.kind == "weight"]
    if weights:
        reason = weights_used(weights, turn)
        if reason is not None and not any(named_as_not_used(w, turn.reply) for w in weights):
            found += [Unaccounted(w, reason) for w in weights]
    for item in items:
        if item.kind == "weight":
            continue
        reason = why_unused(item, turn, excluded)
        if reason is not None and not named_as_not_used(item, turn.reply):
            found.append(Unaccounted(item, reason))
    for item in carried:
        if item.kind == "weight" or not turn.taking(item.kind, item.value):
            continue
        reason = why_unused(item, turn, excluded)
        if reason is not None and not named_as_not_used(item, turn.reply, anywhere=True):
            found.append(Unaccounted(item, reason, carried=True))
    return found


__all__ = ["KIND_WORDS", "TAKES", "Turn", "Unaccounted", "unaccounted", "why_unused"]
