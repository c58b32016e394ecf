"""Issue 51: the offline model reads every item a portfolio manager writes, however it is
written. Hypothesis writes the same asks in other words, orders and cases: a limit on a group of
holdings ("no more than 30% in tech", "banks at most 20%", "energy <= 10%") is a group limit,
never a per-stock cap; weights given as percentages, decimals or bare numbers are the
portfolio's; tickers are tickers in any case, and a word of a ticker list that is not in the data
is named."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.offline.chat_intent import known_tickers
from agents.offline.intent import Intent, parse_intent
from quant.classification import matching

KNOWN = known_tickers()
SETTINGS = settings(max_examples=60, deadline=None)


def parse(text: str) -> Intent:
    return parse_intent(text, KNOWN)


def cased(word: str, how: str) -> str:
    return {"upper": word.upper(), "lower": word.lower(), "title": word.title()}[how]


GROUPS = ["tech", "technology", "banks", "energy", "financials", "staples", "health care"]
GROUP_LIMITS = [
    "no more than {p}% in {g}",
    "{g} at most {p}%",
    "{g} <= {p}%",
    "{g} < {p}%",
    "cap {g} at {p}%",
    "max {p}% {g}",
    "{g} weight under {p}%",
    "keep {g} below {p}%",
    "{g} exposure no more than {p}%",
    "limit {g} to {p}%",
    "with {g} capped at {p}%",
    "at most {p} percent in {g}",
]
METHODS = ["min vol", "min-vol portfolio of", "max sharpe on", "build a min variance mix of"]
JOINS = [", ", " ", " and "]


@st.composite
def ticker_lists(draw: st.DrawFn, size: tuple[int, int] = (3, 6)) -> list[str]:
    return draw(st.lists(st.sampled_from(KNOWN), min_size=size[0], max_size=size[1], unique=True))


@st.composite
def written(draw: st.DrawFn, tickers: list[str]) -> str:
    """The tickers as a PM writes them: one case for all, or each its own, joined variously."""
    how = draw(st.sampled_from(["upper", "lower", "mixed"]))
    words = [
        cased(t, draw(st.sampled_from(["upper", "lower"])) if how == "mixed" else how)
        for t in tickers
    ]
    join = draw(st.sampled_from(JOINS))
    return join.join(words[:-1]) + draw(st.sampled_from([", ", " and ", " "])) + words[-1]


@SETTINGS
@given(
    tickers=ticker_lists(),
    data=st.data(),
    group=st.sampled_from(GROUPS),
    percent=st.integers(5, 60),
    template=st.sampled_from(GROUP_LIMITS),
    method=st.sampled_from(METHODS),
    case=st.sampled_from(["lower", "title", "upper"]),
)
def test_a_limit_on_a_group_is_a_group_limit_never_a_cap_on_each_stock(
    tickers: list[str],
    data: st.DataObject,
    group: str,
    percent: int,
    template: str,
    method: str,
    case: str,
) -> None:
    limit = template.format(p=percent, g=cased(group, case) if case != "upper" else group)
    text = f"{method} {data.draw(written(tickers))}, {limit}"
    parsed = parse(text)
    assert parsed.limits.sector_limits == {group: (0.0, percent / 100)}, text
    assert parsed.limits.max_weight is None and not parsed.limits.asset_limits, text
    assert set(parsed.tickers) == set(tickers), text
    assert matching(group), group


@pytest.mark.parametrize(
    ("text", "sectors", "tickers"),
    [
        (
            "max sharpe AAPL MSFT XOM CVX JPM energy <= 10%",
            {"energy": (0.0, 0.1)},
            ("AAPL", "MSFT", "XOM", "CVX", "JPM"),
        ),
        (
            "min vol of AAPL MSFT AMD JPM KO keeping tech below 35% and staples above 10%",
            {"tech": (0.0, 0.35), "staples": (0.1, 1.0)},
            ("AAPL", "MSFT", "AMD", "JPM", "KO"),
        ),
        (
            "min vol jpm bac ko pg, banks no more than 20% and staples >= 30%",
            {"banks": (0.0, 0.2), "staples": (0.3, 1.0)},
            ("JPM", "BAC", "KO", "PG"),
        ),
    ],
)
def test_group_limits_beside_a_list_of_tickers_leave_the_list_whole(
    text: str, sectors: dict[str, tuple[float, float]], tickers: tuple[str, ...]
) -> None:
    parsed = parse(text)
    assert parsed.limits.sector_limits == sectors
    assert parsed.tickers == tickers


@SETTINGS
@given(
    tickers=ticker_lists((2, 5)),
    data=st.data(),
    cap=st.integers(20, 60),
    tail=st.sampled_from(["capped at {c}%", "at most {c}% each", "max {c}% each", "<= {c}% each"]),
)
def test_a_limit_said_of_the_whole_list_is_a_cap_on_every_weight(
    tickers: list[str], data: st.DataObject, cap: int, tail: str
) -> None:
    """ "hrp of aapl, msft and ko capped at 40%": the list is the universe, the cap on each."""
    case = data.draw(st.sampled_from(["upper", "lower"]))
    names = [cased(t, case) for t in tickers]
    listed = (
        ", ".join(names[:-1]) + data.draw(st.sampled_from([", ", " and ", ", and "])) + names[-1]
    )
    text = f"hrp of {listed} {tail.format(c=cap)}"
    parsed = parse(text)
    assert parsed.tickers == tuple(tickers), text
    assert parsed.limits.max_weight == cap / 100 and not parsed.limits.asset_limits, text


@st.composite
def portfolios(draw: st.DrawFn) -> dict[str, float]:
    """Two to four tickers with weights in whole percents summing to 100."""
    tickers = draw(ticker_lists((2, 4)))
    cuts = sorted(
        draw(
            st.lists(
                st.integers(1, 99),
                min_size=len(tickers) - 1,
                max_size=len(tickers) - 1,
                unique=True,
            )
        )
    )
    shares = [b - a for a, b in zip([0, *cuts], [*cuts, 100], strict=True)]
    return dict(zip(tickers, (s / 100 for s in shares), strict=True))


WEIGHT_STYLES = {
    "pct_before": lambda t, w: f"{round(w * 100)}% {t}",
    "pct_after": lambda t, w: f"{t} {round(w * 100)}%",
    "decimal_after": lambda t, w: f"{t} {w:.2f}".replace(" 0.", " ."),
    "zero_decimal_after": lambda t, w: f"{t} {w:.2f}",
    "equals": lambda t, w: f"{t}={round(w * 100)}",
    "colon": lambda t, w: f"{t}: {round(w * 100)}",
    "number_before": lambda t, w: f"{round(w * 100)} {t}",
}


@SETTINGS
@given(
    weights=portfolios(),
    style=st.sampled_from(sorted(WEIGHT_STYLES)),
    case=st.sampled_from(["upper", "lower"]),
    ask=st.sampled_from(
        [
            "backtest {p}",
            "stress test {p} for a 20% market drop",
            "probability of losing more than 10% with {p}",
            "what's the volatility of {p} since 2019",
        ]
    ),
    join=st.sampled_from([" ", ", "]),
)
def test_weights_given_in_any_style_are_the_portfolio(
    weights: dict[str, float], style: str, case: str, ask: str, join: str
) -> None:
    written_weights = join.join(WEIGHT_STYLES[style](cased(t, case), w) for t, w in weights.items())
    text = ask.format(p=written_weights)
    parsed = parse(text)
    assert parsed.weights == pytest.approx(weights), text


def test_percentages_that_do_not_sum_to_one_are_still_the_weights_given() -> None:
    """Said of a portfolio to analyse, they are read as given (the answer says how their sum
    was treated); bare numbers must make a whole portfolio to be weights."""
    assert parse("backtest 50% AAPL 30% MSFT").weights == {"AAPL": 0.5, "MSFT": 0.3}
    assert parse("stress 60% AAPL 60% KO for a 10% drop").weights == {"AAPL": 0.6, "KO": 0.6}
    assert parse("backtest AAPL 3 months KO").weights == {}
    assert parse("hrp of AAPL MSFT KO over the last 12 months").weights == {}
    assert parse("backtest aapl 2019 ko 2020").weights == {}


@SETTINGS
@given(tickers=ticker_lists((2, 5)), data=st.data())
def test_tickers_in_any_case_are_read(tickers: list[str], data: st.DataObject) -> None:
    text = f"risk parity on {data.draw(written(tickers))}"
    assert parse(text).tickers == tuple(tickers), text


@pytest.mark.parametrize(
    ("text", "unknown"),
    [
        ("hrp of aapl, tsla and ko", ("TSLA",)),
        ("min vol on msft, nvda, amzn and pg", ("NVDA", "AMZN")),
        ("what about tesla and ko", ("TSLA",)),
        ("hrp of aapl, msft and more", ()),
        ("hrp of aapl and msft, then stress it", ()),
    ],
)
def test_a_ticker_not_in_the_data_is_named_in_any_case(text: str, unknown: tuple[str, ...]) -> None:
    assert parse(text).unknown_tickers == unknown
