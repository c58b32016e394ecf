"""A generated portfolio manager's language (issue 61), written here on its own: no word table of
`agents.offline` or `graphs.ask_*` is imported, so the readers are judged against phrasings
their authors did not choose.

An ask is composed of parts (`Ask`: what is asked, the method, the universe, the limits, the
window, the risk measure with its confidence and horizon, the backtest's cadence and costs, the
estimate's configuration and scenarios) and rendered (`tests.support.pm_language_render`) in
one of several registers: full sentences, terse notes, abbreviations, with lower-case tickers and
typos of the key words.
A follow-up (`FollowUp`) changes one part of the ask before it ("limit energy to 15% as well",
"same but quarterly", "swap XOM for WMT", "what about the bear case?", "and with 2x leverage?");
`FollowUp.apply` gives the ask it leaves. Hypothesis draws both (`asks`, `follow_ups`), so a
failure shrinks to its smallest phrase.

Percentages are fractions here (0.3 = 30%); windows are calendar years or trailing sessions of
the market data (252 a year, 21 a month).

Each strategy is built once (`sampled`, `between` and the other factories are cached by their
hashable arguments): hypothesis validates every new strategy object on its first draw, and that
was most of the generation's time while the generators built new ones inside every example
(issue 63).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cache
from typing import Literal, TypeVar

from hypothesis import strategies as st

T = TypeVar("T")


@cache
def sampled(options: tuple[T, ...]) -> st.SearchStrategy[T]:
    """One of `options` (shrinking to the first), built once for each tuple of options (equal
    tuples share it, and 1 == 1.0: keep the options of one type)."""
    return st.sampled_from(options)


@cache
def between(low: int, high: int) -> st.SearchStrategy[int]:
    """An integer from `low` to `high` (both included), built once for each pair."""
    return st.integers(low, high)


TICKERS = (
    "AAPL", "AMD", "BAC", "BBY", "CVX", "GE", "HD", "JNJ", "JPM", "KO", "LLY", "MRK", "MSFT",
    "PEP", "PFE", "PG", "RRC", "UNH", "WMT", "XOM",
)  # fmt: skip
"""The embedded market data's stocks."""

GROUPS: dict[str, tuple[str, ...]] = {
    "tech": ("AAPL", "AMD", "MSFT"),
    "technology": ("AAPL", "AMD", "MSFT"),
    "energy": ("CVX", "RRC", "XOM"),
    "banks": ("BAC", "JPM"),
    "financials": ("BAC", "JPM"),
    "staples": ("KO", "PEP", "PG", "WMT"),
    "consumer staples": ("KO", "PEP", "PG", "WMT"),
    "health care": ("JNJ", "LLY", "MRK", "PFE", "UNH"),
    "healthcare": ("JNJ", "LLY", "MRK", "PFE", "UNH"),
    "pharma": ("JNJ", "LLY", "MRK", "PFE"),
}
"""Group words a PM uses and the stocks of the embedded data each one holds."""

METHOD_WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "min_volatility": {
        "full": ("minimum-variance", "minimum volatility", "lowest-volatility"),
        "terse": ("min vol", "min var", "min-variance"),
        "abbrev": ("min-var", "minvol", "gmv"),
    },
    "max_sharpe": {
        "full": ("maximum Sharpe", "max-Sharpe", "tangency"),
        "terse": ("max sharpe", "max-sharpe"),
        "abbrev": ("max shrp", "maxsharpe", "MVO", "mean-variance"),
    },
    "risk_parity": {
        "full": ("risk parity", "equal risk contribution"),
        "terse": ("risk parity", "risk-parity"),
        "abbrev": ("ERC", "erc", "rp", "RP"),
    },
    "hrp": {
        "full": ("hierarchical risk parity", "HRP"),
        "terse": ("hrp", "HRP"),
        "abbrev": ("hrp",),
    },
}
"""How each portfolio method is said, by register."""
METHODS = tuple(sorted(METHOD_WORDS))
"""The portfolio methods, in alphabetical order."""

EPISODE_WORDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "gfc_2008": ("2007-10-09", ("the 2008 crisis", "the GFC", "the financial crisis")),
    "covid_2020": ("2020-02-19", ("the covid crash", "covid", "the 2020 crash")),
    "rates_2022": ("2022-01-03", ("the 2022 rate shock", "the rates shock")),
}
"""Named crises (their first date) and how they are said."""

SCENARIO_WORDS = {
    "bear": ("bear", "bear market", "crash", "downturn", "sell-off"),
    "bull": ("bull", "bull market", "rally"),
    "high_vol": ("high vol", "high-volatility", "volatile market"),
    "base": ("base case", "base-case scenario"),
}
"""How a scenario of the scenario engine is said."""

Register = Literal["full", "terse", "abbrev"]
Kind = Literal["build", "risk", "backtest", "estimate"]


@dataclass(frozen=True)
class Universe:
    """The stocks asked about: named tickers, a group, all but some tickers, all but a group."""

    form: Literal["tickers", "group", "all_but", "ex_group"]
    tickers: tuple[str, ...] = ()
    group: str | None = None

    def members(self) -> tuple[str, ...]:
        """The stocks this universe holds, in the data's order."""
        if self.form == "tickers":
            return self.tickers
        if self.form == "group":
            return GROUPS[str(self.group)]
        if self.form == "all_but":
            return tuple(t for t in TICKERS if t not in self.tickers)
        return tuple(t for t in TICKERS if t not in GROUPS[str(self.group)])


@dataclass(frozen=True)
class Window:
    """A window of history: since a year, the last N sessions, a range of years, a crisis."""

    form: Literal["since", "last", "range", "crisis"]
    year: int = 0
    to_year: int = 0
    sessions: int = 0
    unit: Literal["years", "months"] = "years"
    episode: str = ""

    def start(self) -> str | None:
        """The first date the window asks for (ISO), None for a trailing window."""
        if self.form in ("since", "range"):
            return f"{self.year}-01-01"
        if self.form == "crisis":
            return EPISODE_WORDS[self.episode][0]
        return None

    def end(self) -> str | None:
        """The last date the window asks for (ISO), when it names one."""
        return f"{self.to_year}-12-31" if self.form == "range" else None


@dataclass(frozen=True)
class Limits:
    """Weight limits: a cap and a floor on every name, limits on named stocks and on groups."""

    cap: float | None = None
    floor: float | None = None
    asset_caps: tuple[tuple[str, float], ...] = ()
    asset_floors: tuple[tuple[str, float], ...] = ()
    group_caps: tuple[tuple[str, float], ...] = ()
    group_floors: tuple[tuple[str, float], ...] = ()

    def any(self) -> bool:
        return any(
            (self.cap, self.floor, self.asset_caps, self.asset_floors, self.group_caps,
             self.group_floors)
        )  # fmt: skip


@dataclass(frozen=True)
class Estimate:
    """A strategy configuration to estimate, and the scenarios asked about."""

    target_vol: float | None = None
    weight_function: str | None = None
    lookback_days: int | None = None
    lookback_unit: Literal["days", "months"] = "days"
    cadence: str | None = None
    leverage: float | None = None
    scenarios: tuple[str, ...] = ()


@dataclass(frozen=True)
class Ask:
    """One request: its kind and parts (None or empty: not said)."""

    kind: Kind
    universe: Universe | None = None
    method: str | None = None
    """A portfolio method (builds; the portfolio a risk or backtest ask is about), or "equal"
    (equal weights of the universe) or "given" (the `weights`)."""
    weights: tuple[tuple[str, float], ...] = ()
    limits: Limits = field(default_factory=Limits)
    window: Window | None = None
    measure: Literal["var", "cvar"] | None = None
    level: float | None = None
    horizon: int | None = None
    """Days of a risk measure's horizon (None: one day, unsaid)."""
    rebalance: str | None = None
    cost_bps: int | None = None
    estimate: Estimate | None = None


# ---- composing ---------------------------------------------------------------------------
@cache
def _tickers(min_size: int, max_size: int) -> st.SearchStrategy[list[str]]:
    """Distinct stocks of the data, `min_size` to `max_size` of them."""
    return st.lists(sampled(TICKERS), min_size=min_size, max_size=max_size, unique=True)


def _universes(draw: st.DrawFn, allow_wide: bool = True) -> Universe:
    forms = ("tickers", "tickers", "group", "all_but", "ex_group") if allow_wide else ("tickers",)
    form = draw(sampled(forms))
    if form == "tickers":
        return Universe("tickers", tuple(draw(_tickers(3, 6))))
    if form == "group":
        group = draw(sampled(("tech", "energy", "staples", "health care", "healthcare")))
        return Universe("group", group=group)
    if form == "all_but":
        return Universe("all_but", tuple(draw(_tickers(1, 2))))
    return Universe("ex_group", group=draw(sampled(("energy", "tech", "banks"))))


def _percent(draw: st.DrawFn, low: int, high: int) -> float:
    return draw(between(low, high)) / 100.0


@cache
def _some_of(options: tuple[str, ...], max_size: int) -> st.SearchStrategy[list[str]]:
    """Up to `max_size` distinct ones of `options`."""
    return st.lists(sampled(options), max_size=max_size, unique=True)


def _limits(draw: st.DrawFn, members: tuple[str, ...], method: str) -> Limits:
    """Limits a build of `members` by `method` can be asked for (feasible together); a limit may
    name two of them, alike ("at most 10% in AAPL and MSFT") or each with its own share ("at most
    10% in AAPL and 15% in MSFT")."""
    n = len(members)
    cap = floor = None
    if draw(st.booleans()):
        cap = _percent(draw, max(5, -(-100 // n) + 5), 60)
    if draw(between(0, 3)) == 0:
        floor = _percent(draw, 1, max(1, min(5, 100 // (2 * n))))
    asset_caps: list[tuple[str, float]] = []
    asset_floors: list[tuple[str, float]] = []
    if n > 3 and draw(between(0, 2)) == 0:
        names = [draw(sampled(members))]
        if draw(st.booleans()):
            names += [draw(sampled(tuple(m for m in members if m != names[0])))]
        caps, alike = draw(st.booleans()), draw(st.booleans())
        values = [_percent(draw, 5, 20 if caps else 15) for _ in names[: 1 if alike else None]]
        limited = [(name, values[min(i, len(values) - 1)]) for i, name in enumerate(names)]
        asset_caps, asset_floors = (limited, []) if caps else ([], limited)
    groups = tuple(g for g in ("tech", "energy", "banks", "staples", "health care")
                   if set(GROUPS[g]) & set(members) and not set(GROUPS[g]) >= set(members))  # fmt: skip
    chosen = draw(_some_of(groups, min(3, len(groups)))) if groups else []
    group_caps = [(g, _percent(draw, 10, 40)) for g in chosen]
    group_floors: list[tuple[str, float]] = []
    if group_caps and draw(between(0, 3)) == 0:
        group, _ = group_caps.pop()
        group_floors.append((group, _percent(draw, 5, 15)))
    limits = Limits(cap, floor, tuple(asset_caps), tuple(asset_floors), tuple(group_caps),
                    tuple(group_floors))  # fmt: skip
    return limits if _feasible(limits, members) else Limits(cap=cap)


def _feasible(limits: Limits, members: tuple[str, ...]) -> bool:
    """Whether long-only weights of `members` summing to 1 can keep every limit (a quick test
    of the sums: each floor below each cap, the floors' total at most 1, the caps' at least 1;
    a floor on a stock outside `members` cannot be kept, a cap on one binds nothing)."""
    n = len(members)
    hi = dict.fromkeys(members, limits.cap if limits.cap is not None else 1.0)
    lo = dict.fromkeys(members, limits.floor or 0.0)
    for t, c in limits.asset_caps:
        if t in hi:  # a cap on a stock not held binds nothing
            hi[t] = min(hi[t], c)
    for t, f in limits.asset_floors:
        if t not in lo:  # a floor on a stock not held cannot be kept
            return False
        lo[t] = max(lo[t], f)
    if any(lo[t] > hi[t] for t in members) or sum(lo.values()) > 1 or sum(hi.values()) < 1:
        return False
    for g, c in limits.group_caps:
        inside = [t for t in members if t in GROUPS[g]]
        if sum(lo[t] for t in inside) > c:
            return False
    outside_cap = sum(hi[t] for t in members) - sum(
        max(0.0, sum(hi[t] for t in members if t in GROUPS[g]) - c) for g, c in limits.group_caps
    )
    return outside_cap >= 1.0 and n >= 2


def _windows(draw: st.DrawFn, crises: bool = True) -> Window | None:
    form = draw(sampled(("none", "since", "last", "range", *(("crisis",) if crises else ()))))
    if form == "none":
        return None
    if form == "since":
        return Window("since", year=draw(between(2010, 2021)))
    if form == "range":
        year = draw(between(2008, 2019))
        return Window("range", year=year, to_year=draw(between(year + 1, 2022)))
    if form == "crisis":
        return Window("crisis", episode=draw(sampled(tuple(sorted(EPISODE_WORDS)))))
    if draw(st.booleans()):
        years = draw(between(1, 5))
        return Window("last", sessions=252 * years, unit="years")
    months = draw(sampled((3, 6, 9, 18)))
    return Window("last", sessions=21 * months, unit="months")


@cache
def _parts(count: int) -> st.SearchStrategy[list[int]]:
    """`count` relative sizes of weights, 1 to 8 each."""
    return st.lists(between(1, 8), min_size=count, max_size=count)


def _weights(draw: st.DrawFn) -> tuple[tuple[str, float], ...]:
    names = draw(_tickers(2, 4))
    parts = draw(_parts(len(names)))
    total = sum(parts)
    percents = [round(100 * p / total) for p in parts]
    percents[-1] = 100 - sum(percents[:-1])
    if min(percents) <= 0:
        percents = [100 // len(names)] * len(names)
        percents[-1] = 100 - sum(percents[:-1])
    return tuple((t, p / 100.0) for t, p in zip(names, percents, strict=True))


@st.composite
def builds(draw: st.DrawFn) -> Ask:
    """A portfolio build: a method, a universe, limits and a window."""
    method = draw(sampled(METHODS))
    universe = _universes(draw)
    limits = _limits(draw, universe.members(), method)
    return Ask("build", universe, method, limits=limits, window=_windows(draw, crises=False))


@st.composite
def risk_asks(draw: st.DrawFn) -> Ask:
    """A VaR or CVaR of given weights or of equal weights, at a confidence, horizon and window."""
    given = draw(st.booleans())
    measure = draw(sampled(("var", "cvar")))
    level = draw(sampled((None, 0.9, 0.95, 0.975, 0.99)))
    horizon = draw(sampled((None, None, 5, 10, 20)))
    window = _windows(draw)
    if given:
        return Ask("risk", method="given", weights=_weights(draw), measure=measure, level=level,
                   horizon=horizon, window=window)  # fmt: skip
    tickers = draw(_tickers(2, 5))
    return Ask("risk", Universe("tickers", tuple(tickers)), "equal", measure=measure,
               level=level, horizon=horizon, window=window)  # fmt: skip


@st.composite
def backtests(draw: st.DrawFn) -> Ask:
    """A backtest of given weights: cadence, costs and window."""
    rebalance = draw(sampled((None, "weekly", "monthly", "quarterly", "annually", "never")))
    cost = draw(sampled((None, 5, 10, 20, 25)))
    window = _windows(draw, crises=False)
    return Ask("backtest", method="given", weights=_weights(draw), rebalance=rebalance,
               cost_bps=cost, window=window)  # fmt: skip


@st.composite
def estimates(draw: st.DrawFn) -> Ask:
    """An estimate of a strategy: target vol, weight function, lookback, cadence, leverage, and
    the scenarios asked about (several at once)."""
    unit = draw(sampled(("days", "months")))
    lookback = draw(sampled((63, 126, 42))) if unit == "days" else 21 * draw(sampled((3, 6)))
    scenarios = draw(_some_of(("bear", "bull", "high_vol", "base"), 2))
    estimate = Estimate(
        target_vol=_percent(draw, 6, 20),
        weight_function=draw(sampled((None, "inverse_vol", "sigmoid", "merton"))),
        lookback_days=draw(sampled((None, lookback))),
        lookback_unit=unit,
        cadence=draw(sampled((None, "weekly", "monthly", "quarterly"))),
        leverage=draw(sampled((None, 1.5, 2.0))),
        scenarios=tuple(scenarios),
    )
    return Ask("estimate", estimate=estimate)


@cache
def asks() -> st.SearchStrategy[Ask]:
    """Every kind of ask."""
    return st.one_of(builds(), risk_asks(), backtests(), estimates())


# ---- follow-ups --------------------------------------------------------------------------
@dataclass(frozen=True)
class FollowUp:
    """A message changing one part of the ask before it."""

    change: Literal[
        "group_cap", "cap", "method", "swap", "window", "cadence", "cost", "scenario",
        "leverage", "level", "horizon",
    ]  # fmt: skip
    group: str | None = None
    value: float | None = None
    method: str | None = None
    out: str | None = None
    into: str | None = None
    window: Window | None = None
    cadence: str | None = None
    scenario: str | None = None

    def apply(self, ask: Ask) -> Ask:
        """The ask as this follow-up changes it."""
        if self.change == "group_cap":
            limits = ask.limits
            caps = tuple((g, c) for g, c in limits.group_caps if g != self.group)
            return replace(
                ask,
                limits=replace(
                    limits, group_caps=(*caps, (str(self.group), float(self.value or 0)))
                ),
            )
        if self.change == "cap":
            return replace(ask, limits=replace(ask.limits, cap=self.value))
        if self.change == "method":
            return replace(ask, method=self.method)
        if self.change == "swap":
            assert ask.universe is not None
            swapped = tuple(str(self.into) if t == self.out else t for t in ask.universe.tickers)
            return replace(ask, universe=Universe("tickers", tuple(swapped)))
        if self.change == "window":
            return replace(ask, window=self.window)
        if self.change == "level":
            return replace(ask, level=self.value)
        if self.change == "horizon":
            return replace(ask, horizon=int(self.value or 1))
        if self.change == "cost":
            return replace(ask, cost_bps=int(self.value or 0))
        estimate = ask.estimate
        if self.change == "cadence":
            if estimate is not None:
                return replace(ask, estimate=replace(estimate, cadence=self.cadence))
            return replace(ask, rebalance=self.cadence)
        assert estimate is not None
        if self.change == "scenario":
            return replace(ask, estimate=replace(estimate, scenarios=(str(self.scenario),)))
        return replace(ask, estimate=replace(estimate, leverage=self.value))


_FIRST_ASKS_OF = {"risk": risk_asks(), "backtest": backtests(), "estimate": estimates()}
"""The strategies of `first_asks` other than builds, by kind."""


@st.composite
def first_asks(draw: st.DrawFn) -> Ask:
    """An ask a follow-up can change: a build of named tickers, a risk report, a backtest or an
    estimate."""
    kind = draw(sampled(("build", "build", "risk", "backtest", "estimate")))
    if kind == "build":
        method = draw(sampled(METHODS))
        universe = _universes(draw, allow_wide=False)
        limits = _limits(draw, universe.members(), method)
        return Ask("build", universe, method, limits=limits, window=_windows(draw, crises=False))
    return draw(_FIRST_ASKS_OF[kind])


@st.composite
def follow_up_for(draw: st.DrawFn, ask: Ask) -> FollowUp:
    """A follow-up that changes one part of `ask` (a change it can take)."""
    if ask.kind == "build":
        return _build_follow_up(draw, ask)
    if ask.kind == "risk":
        if draw(st.booleans()):
            levels = tuple(v for v in (0.9, 0.975, 0.99) if v != (ask.level or 0.95))
            return FollowUp("level", value=draw(sampled(levels)))
        horizons = tuple(v for v in (5, 10, 20) if v != (ask.horizon or 1))
        return FollowUp("horizon", value=draw(sampled(horizons)))
    if ask.kind == "backtest":
        if draw(st.booleans()):
            cadences = tuple(
                c for c in ("weekly", "monthly", "quarterly", "annually") if c != ask.rebalance
            )
            return FollowUp("cadence", cadence=draw(sampled(cadences)))
        costs = tuple(v for v in (15, 30, 50) if v != ask.cost_bps)
        return FollowUp("cost", value=draw(sampled(costs)))
    estimate = ask.estimate
    assert estimate is not None
    change = draw(sampled(("scenario", "leverage", "cadence")))
    if change == "scenario":
        others = tuple(s for s in ("bear", "bull", "high_vol") if (s,) != estimate.scenarios)
        return FollowUp("scenario", scenario=draw(sampled(others)))
    if change == "leverage":
        levers = tuple(v for v in (1.5, 2.0, 3.0) if v != estimate.leverage)
        return FollowUp("leverage", value=draw(sampled(levers)))
    cadences = tuple(c for c in ("weekly", "monthly", "quarterly") if c != estimate.cadence)
    return FollowUp("cadence", cadence=draw(sampled(cadences)))


def _build_follow_up(draw: st.DrawFn, ask: Ask) -> FollowUp:
    assert ask.universe is not None and ask.method is not None
    members = ask.universe.members()
    change = draw(sampled(("group_cap", "cap", "method", "swap", "window")))
    if change == "group_cap":
        groups = tuple(g for g in ("tech", "energy", "banks", "staples", "health care")
                       if set(GROUPS[g]) & set(members) and not set(GROUPS[g]) >= set(members))  # fmt: skip
        if groups:
            follow = FollowUp("group_cap", group=draw(sampled(groups)),
                              value=_percent(draw, 10, 30))  # fmt: skip
            if _feasible(follow.apply(ask).limits, members):
                return follow
        change = "method"
    if change == "cap":
        follow = FollowUp("cap", value=_percent(draw, max(5, -(-100 // len(members)) + 5), 50))
        if follow.value != ask.limits.cap and _feasible(follow.apply(ask).limits, members):
            return follow
        change = "method"
    if change == "method":
        other = draw(sampled(tuple(m for m in METHODS if m != ask.method)))
        return FollowUp("method", method=other)
    if change == "swap":
        limited = {t for t, _ in (*ask.limits.asset_caps, *ask.limits.asset_floors)}
        free = tuple(t for t in members if t not in limited)
        if free:
            follow = FollowUp("swap", out=draw(sampled(free)),
                              into=draw(sampled(tuple(t for t in TICKERS if t not in members))))  # fmt: skip
            swapped = follow.apply(ask)
            assert swapped.universe is not None
            if _feasible(swapped.limits, swapped.universe.members()):
                return follow
    window = _windows(draw, crises=False) or Window("since", year=2018)
    if window == ask.window:
        window = Window("since", year=2017 if window.year != 2017 else 2016)
    return FollowUp("window", window=window)
