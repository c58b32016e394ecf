"""How a PM writes an ask of `tests.support.pm_language` (issue 61): each part in one of several
phrasings and orders, in a register (full sentences, terse notes, abbreviations), tickers in
capitals or lower case, with typos in the key words. Hypothesis draws every choice, so a failure
shrinks to the first phrasing of each part and the shortest order."""

from __future__ import annotations

from hypothesis import strategies as st

from tests.support.pm_language import (
    EPISODE_WORDS,
    METHOD_WORDS,
    SCENARIO_WORDS,
    Ask,
    FollowUp,
    Limits,
    Register,
    Universe,
    Window,
    between,
    sampled,
)

TYPOS = {
    "portfolio": "portfolo",
    "volatility": "volatilty",
    "rebalanced": "rebalnced",
    "quarterly": "quartely",
    "backtest": "backest",
    "maximum": "maxmum",
    "minimum": "minimun",
    "sharpe": "sharp",
    "exposure": "exposre",
    "between": "bewteen",
}
"""Typos of key words, each one letter away."""


def _pct(draw: st.DrawFn, value: float, register: Register) -> str:
    number = f"{round(value * 100, 1):g}"
    forms = ("{n}%", "{n} percent", "{n}pct") if register != "full" else ("{n}%", "{n} percent")
    return draw(sampled(forms)).format(n=number)


def _ticker(t: str, lower: bool) -> str:
    return t.lower() if lower else t


def _listed(draw: st.DrawFn, words: list[str], register: Register) -> str:
    if len(words) == 1:
        return words[0]
    if register == "full":
        return ", ".join(words[:-1]) + " and " + words[-1]
    return draw(sampled((" ", ", ", "/"))).join(words) if register == "abbrev" else ", ".join(words)


def universe_words(draw: st.DrawFn, u: Universe, register: Register, lower: bool) -> str:
    if u.form == "tickers":
        return _listed(draw, [_ticker(t, lower) for t in u.tickers], register)
    if u.form == "group":
        return draw(sampled(("the {g} names", "{g} stocks", "the {g} stocks"))).format(g=u.group)
    if u.form == "all_but":
        out = _listed(draw, [_ticker(t, lower) for t in u.tickers], "full")
        return draw(
            sampled(("all stocks but {o}", "all names except {o}", "every stock except {o}"))
        ).format(o=out)
    return draw(sampled(("all stocks ex-{g}", "all names ex {g}", "everything except {g}"))).format(
        g=u.group
    )


CAP = ("at most {p} in any name", "max {p} per name", "no more than {p} in any single stock",
       "can't hold more than {p} of any one stock", "no position above {p}", "each name under {p}",
       "cap each name at {p}", "≤{p} per name", "no stock over {p}", "{p} max per name",
       "a {p} position limit", "nothing bigger than {p}", "max {p}", "no more than {p}",
       "cap {p}")  # fmt: skip
FLOOR = ("at least {p} in each", "min {p} per name", "no name below {p}", "≥{p} each",
         "a floor of {p} on every stock", "each at least {p}", "floor {p}")  # fmt: skip
ASSET_CAP = ("{t} at most {p}", "no more than {p} in {t}", "cap {t} at {p}", "{t} ≤ {p}",
             "can't hold more than {p} of {t}", "keep {t} under {p}")  # fmt: skip
ASSET_FLOOR = ("at least {p} in {t}", "{t} at least {p}", "{t} ≥ {p}", "min {p} in {t}")
GROUP_CAP = ("{g} at most {p}", "no more than {p} in {g}", "cap {g} at {p}", "{g} ≤ {p}",
             "{g} under {p}", "can't hold more than {p} in {g}", "limit {g} to {p}",
             "keep {g} below {p}", "{g} no more than {p}", "max {p} {g}",
             "{g} exposure no more than {p}")  # fmt: skip
GROUP_FLOOR = ("at least {p} in {g}", "{g} at least {p}", "{g} ≥ {p}", "a minimum of {p} in {g}")


ASSETS_CAP = ("no more than {p} in {ts}", "at most {p} in {ts}", "max {p} in {ts}",
              "{ts} at most {p}", "{ts} ≤ {p}")  # fmt: skip
ASSETS_FLOOR = ("at least {p} in {ts}", "min {p} in {ts}", "{ts} at least {p}")
"""A limit said of several named stocks alike, the list joined by commas and "and"."""
CAPS_SAID_ONCE = ("no more than", "at most", "max")
FLOORS_SAID_ONCE = ("at least", "min")
"""A comparator said once before the shares of several stocks or groups, each its own ("at least
60% in KO and 40% in JNJ", "max 20% in tech, 10% in energy")."""


def _said_once(
    draw: st.DrawFn,
    limits: tuple[tuple[str, float], ...],
    comparators: tuple[str, ...],
    register: Register,
) -> str:
    """Limits of one kind said with their comparator once ("at most 10% in AAPL and 15% in
    MSFT")."""
    shares = [f"{_pct(draw, value, register)} in {name}" for name, value in limits]
    return f"{draw(sampled(comparators))} {_listed(draw, shares, 'full')}"


def _asset_phrases(
    draw: st.DrawFn,
    limits: tuple[tuple[str, float], ...],
    forms: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]],
    register: Register,
    lower: bool,
) -> list[str]:
    """Limits on named stocks: each in a phrase of its own (`forms[0]`), or, when drawn so,
    one phrase of them all: of the list when they are alike (`forms[1]`), else of each share
    after a comparator said once (`forms[2]`)."""
    if len(limits) > 1 and draw(st.booleans()):
        if len({value for _, value in limits}) == 1 and draw(st.booleans()):
            names = _listed(draw, [_ticker(t, lower) for t, _ in limits], "full")
            return [draw(sampled(forms[1])).format(ts=names, p=_pct(draw, limits[0][1], register))]
        named = tuple((_ticker(t, lower), value) for t, value in limits)
        return [_said_once(draw, named, forms[2], register)]
    return [
        draw(sampled(forms[0])).format(t=_ticker(t, lower), p=_pct(draw, value, register))
        for t, value in limits
    ]


def limit_phrases(draw: st.DrawFn, limits: Limits, register: Register, lower: bool) -> list[str]:
    """Each limit of `limits` as a phrase, in a drawn order."""
    phrases = []
    if limits.cap is not None:
        phrases.append(draw(sampled(CAP)).format(p=_pct(draw, limits.cap, register)))
    if limits.floor is not None:
        phrases.append(draw(sampled(FLOOR)).format(p=_pct(draw, limits.floor, register)))
    phrases += _asset_phrases(
        draw, limits.asset_caps, (ASSET_CAP, ASSETS_CAP, CAPS_SAID_ONCE), register, lower
    )
    phrases += _asset_phrases(
        draw, limits.asset_floors, (ASSET_FLOOR, ASSETS_FLOOR, FLOORS_SAID_ONCE), register, lower
    )
    if len(limits.group_caps) > 1 and draw(st.booleans()):
        phrases.append(_said_once(draw, limits.group_caps, CAPS_SAID_ONCE, register))
    else:
        phrases += [
            draw(sampled(GROUP_CAP)).format(g=g, p=_pct(draw, c, register))
            for g, c in limits.group_caps
        ]
    for g, f in limits.group_floors:
        phrases.append(draw(sampled(GROUP_FLOOR)).format(g=g, p=_pct(draw, f, register)))
    return draw(st.permutations(phrases)) if phrases else []


def window_words(draw: st.DrawFn, w: Window, register: Register) -> str:
    if w.form == "since":
        forms = ("since {y}", "from {y}", "since {y}") + (
            ("since '{yy}",) if register != "full" else ()
        )
        return draw(sampled(forms)).format(y=w.year, yy=str(w.year)[2:])
    if w.form == "range":
        forms = ("{a}-{b}", "from {a} to {b}", "between {a} and {b}", "over {a}-{b}")
        return draw(sampled(forms)).format(a=w.year, b=w.to_year)
    if w.form == "crisis":
        words = draw(sampled(EPISODE_WORDS[w.episode][1]))
        return draw(sampled(("during {c}", "over {c}", "through {c}"))).format(c=words)
    n = w.sessions // (252 if w.unit == "years" else 21)
    if w.unit == "years":
        unit = draw(sampled(("yrs", "years") if register != "full" else ("years",)))
        if n == 1:
            return draw(sampled(("over the last year", "past year", "last 12 months")))
        return draw(sampled(("last {n} {u}", "over the past {n} {u}", "the last {n} {u}"))).format(
            n=n, u=unit
        )
    return draw(sampled(("last {n} months", "over the past {n} months"))).format(n=n)


def method_words(draw: st.DrawFn, method: str, register: Register) -> str:
    return draw(sampled(METHOD_WORDS[method][register]))


def _level(draw: st.DrawFn, level: float) -> str:
    number = f"{level * 100:g}"
    return draw(sampled(("{n}%", "{n}"))).format(n=number)


def _horizon(draw: st.DrawFn, days: int) -> str:
    forms: tuple[str, ...] = ("{d}-day", "{d}-day", "{d} day")
    if days in (5, 10, 20):
        forms += ({5: "1-week", 10: "2-week", 20: "4-week"}[days],)
    return draw(sampled(forms)).format(d=days)


def weights_words(draw: st.DrawFn, weights: tuple[tuple[str, float], ...], lower: bool) -> str:
    form = draw(sampled(("pct_first", "ticker_first", "decimal")))
    parts = []
    for t, w in weights:
        name = _ticker(t, lower)
        pct = f"{round(w * 100):g}"
        parts.append({"pct_first": f"{pct}% {name}", "ticker_first": f"{name} {pct}%",
                      "decimal": f"{name} {w:.2f}".replace("0.", ".")}[form])  # fmt: skip
    return ", ".join(parts) if form != "decimal" else " ".join(parts)


def _typo(draw: st.DrawFn, text: str) -> str:
    present = tuple(w for w in TYPOS if w in text)
    if not present:
        return text
    word = draw(sampled(present))
    return text.replace(word, TYPOS[word], 1)


@st.composite
def rendered(draw: st.DrawFn, ask: Ask) -> str:
    """`ask` as a PM writes it."""
    register: Register = draw(sampled(("full", "terse", "abbrev")))
    lower = draw(st.booleans())
    text = {
        "build": _build, "risk": _risk, "backtest": _backtest, "estimate": _estimate,
    }[ask.kind](draw, ask, register, lower)  # fmt: skip
    if draw(between(0, 3)) == 0:
        text = _typo(draw, text)
    return text


def _build(draw: st.DrawFn, ask: Ask, register: Register, lower: bool) -> str:
    assert ask.universe is not None and ask.method is not None
    method = method_words(draw, ask.method, register)
    universe = universe_words(draw, ask.universe, register, lower)
    limits = limit_phrases(draw, ask.limits, register, lower)
    window = window_words(draw, ask.window, register) if ask.window else ""
    if register == "full":
        head = draw(
            sampled(
                (
                    "Build a {m} portfolio of {u}",
                    "Can you build a {m} portfolio of {u}",
                    "I'd like a {m} portfolio of {u}",
                )
            )
        ).format(m=method, u=universe)
        said = head + (f" {window}" if window else "")
        if limits:
            said += draw(sampled((", with ", " with ", ", keeping "))) + _joined(limits)
        return said + draw(sampled((".", "?", "")))
    head = f"{method} {universe}" if draw(st.booleans()) else f"{method} on {universe}"
    rest = [*limits, *([window] if window else [])]
    rest = draw(st.permutations(rest)) if rest else []
    if ask.universe.form == "all_but" and rest:
        # "all stocks but AAPL, AMD and BAC at most 5%" leaves AMD out or holds it: a PM ends
        # the exclusion first
        return f"{head}; " + ", ".join(rest)
    return ", ".join([head, *rest])


def _joined(phrases: list[str]) -> str:
    if len(phrases) == 1:
        return phrases[0]
    return ", ".join(phrases[:-1]) + " and " + phrases[-1]


def _measure(draw: st.DrawFn, ask: Ask, register: Register) -> str:
    name = (
        "VaR"
        if ask.measure == "var"
        else draw(
            sampled(
                ("CVaR", "cvar", "expected shortfall") if register != "abbrev" else ("cvar", "ES")
            )
        )
    )
    if ask.measure == "var" and register != "full":
        name = draw(sampled(("VaR", "var")))
    parts = []
    if ask.horizon is not None:
        parts.append(_horizon(draw, ask.horizon))
    if ask.level is not None:
        parts.append(_level(draw, ask.level))
    parts.append(name)
    return " ".join(parts)


def _subject(draw: st.DrawFn, ask: Ask, register: Register, lower: bool) -> str:
    if ask.method == "given":
        return weights_words(draw, ask.weights, lower)
    assert ask.universe is not None
    names = universe_words(draw, ask.universe, register, lower)
    return draw(
        sampled(
            ("equal weights of {u}", "an equal-weight portfolio of {u}", "{u} equally weighted")
        )
    ).format(u=names)


def _risk(draw: st.DrawFn, ask: Ask, register: Register, lower: bool) -> str:
    measure = _measure(draw, ask, register)
    subject = _subject(draw, ask, register, lower)
    window = window_words(draw, ask.window, register) if ask.window else ""
    if register == "full":
        said = f"What is the {measure} of {subject}" + (f" {window}" if window else "") + "?"
        return said
    return ", ".join([f"{measure} of {subject}", *([window] if window else [])])


CADENCE = {"weekly": ("weekly", "every week"), "monthly": ("monthly", "every month"),
           "quarterly": ("quarterly", "every quarter"), "annually": ("annually", "once a year"),
           "never": ("buy and hold", "never rebalanced")}  # fmt: skip


def _backtest(draw: st.DrawFn, ask: Ask, register: Register, lower: bool) -> str:
    subject = weights_words(draw, ask.weights, lower)
    parts = []
    if ask.rebalance is not None:
        words = draw(sampled(CADENCE[ask.rebalance]))
        parts.append(
            words
            if ask.rebalance == "never"
            else draw(sampled(("rebalanced {c}", "{c} rebalancing", "rebalance {c}"))).format(
                c=words
            )
        )
    if ask.cost_bps is not None:
        parts.append(
            draw(sampled(("{b} bps costs", "with {b}bp trading costs", "{b} bps tc"))).format(
                b=ask.cost_bps
            )
        )
    if ask.window is not None:
        parts.append(window_words(draw, ask.window, register))
    verb = {"full": "Backtest", "terse": "backtest", "abbrev": "bt"}[register]
    return " ".join(
        [f"{verb} {subject}", ", ".join(draw(st.permutations(parts)) if parts else [])]
    ).strip()


def _estimate(draw: st.DrawFn, ask: Ask, register: Register, lower: bool) -> str:
    e = ask.estimate
    assert e is not None
    parts = []
    if e.target_vol is not None:
        parts.append(
            draw(sampled(("{v} target vol", "target vol {v}", "{v} vol target"))).format(
                v=_pct(draw, e.target_vol, register)
            )
        )
    if e.weight_function is not None:
        parts.append(
            {"inverse_vol": "inverse vol", "sigmoid": "sigmoid", "merton": "merton"}[
                e.weight_function
            ]
        )
    if e.lookback_days is not None:
        if e.lookback_unit == "months":
            months = e.lookback_days // 21
            parts.append(
                draw(
                    sampled(
                        (
                            "with a {m}-month lookback",
                            "lookback {m} months",
                            "{m} months of lookback",
                            "{m} months lookback",
                        )
                    )
                ).format(m=months)
            )
        else:
            parts.append(
                draw(sampled(("with a {d}-day lookback", "lookback {d}"))).format(d=e.lookback_days)
            )
    if e.cadence is not None:
        parts.append(draw(sampled(("rebalanced {c}", "{c} rebalancing"))).format(c=e.cadence))
    if e.leverage is not None:
        parts.append(
            draw(sampled(("{x}x leverage", "leverage {x}", "max leverage {x}"))).format(
                x=f"{e.leverage:g}"
            )
        )
    config = " ".join(parts)
    scenarios = [draw(sampled(SCENARIO_WORDS[s])) for s in e.scenarios]
    where = ""
    if scenarios:
        where = (
            " in a " + " and in a ".join(scenarios)
            if len(scenarios) == 1 or draw(st.booleans())
            else " in " + " and ".join(scenarios) + " scenarios"
        )
    if register == "full":
        return draw(
            sampled(
                (
                    "How would a {c} strategy do{w}?",
                    "Estimate a {c} strategy{w}.",
                    "What does my strategy model say about {c}{w}?",
                )
            )
        ).format(c=config, w=where)
    return draw(sampled(("estimate {c}{w}", "quick estimate: {c}{w}"))).format(c=config, w=where)


@st.composite
def follow_up_text(draw: st.DrawFn, follow: FollowUp, ask: Ask) -> str:
    """How a PM writes `follow`, leaning on the ask before it."""
    lower = draw(st.booleans())
    change = follow.change
    if change == "group_cap":
        p = _pct(draw, float(follow.value or 0), "terse")
        return draw(
            sampled(
                (
                    "limit {g} to {p} as well",
                    "and keep {g} under {p} too",
                    "also cap {g} at {p}",
                    "add a {p} cap on {g}",
                )
            )
        ).format(g=follow.group, p=p)
    if change == "cap":
        p = _pct(draw, float(follow.value or 0), "terse")
        return draw(
            sampled(("cap at {p} instead", "now max {p} per name", "same but no name above {p}"))
        ).format(p=p)
    if change == "method":
        m = method_words(draw, str(follow.method), "terse")
        return draw(
            sampled(("same but {m}", "now {m} instead", "try {m}", "what about {m}?"))
        ).format(m=m)
    if change == "swap":
        a, b = _ticker(str(follow.out), lower), _ticker(str(follow.into), lower)
        return draw(
            sampled(("swap {a} for {b}", "replace {a} with {b}", "take out {a}, put in {b}"))
        ).format(a=a, b=b)
    if change == "window":
        assert follow.window is not None
        return draw(sampled(("same but {w}", "{w} instead", "redo it {w}"))).format(
            w=window_words(draw, follow.window, "terse")
        )
    if change == "level":
        return draw(sampled(("and at {l}?", "same at {l}", "what about {l} confidence?"))).format(
            l=_level(draw, float(follow.value or 0))
        )
    if change == "horizon":
        return draw(
            sampled(("and over {d} days?", "same but {h}", "what's the {h} number?"))
        ).format(d=int(follow.value or 0), h=_horizon(draw, int(follow.value or 0)))
    if change == "cost":
        return draw(sampled(("same with {b} bps costs", "and with {b}bp costs?"))).format(
            b=int(follow.value or 0)
        )
    if change == "cadence":
        return draw(sampled(("same but {c}", "make it {c}", "and rebalanced {c}?"))).format(
            c=follow.cadence
        )
    if change == "scenario":
        s = draw(sampled(SCENARIO_WORDS[str(follow.scenario)][:2]))
        return draw(
            sampled(("what about the {s} case?", "and in a {s}?", "how about {s}?"))
        ).format(s=s)
    x = f"{follow.value:g}"
    return draw(
        sampled(("and with {x}x leverage?", "same with leverage {x}", "what about {x}x leverage?"))
    ).format(x=x)
