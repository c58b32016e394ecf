"""services/shorthand: the shorthand portfolio managers write is written out for both readers
of a message; words that only contain a shorthand, capitals (tickers) and text without any
are left as they are."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.shorthand import SHORTHAND, expand_shorthand, restated


@pytest.mark.parametrize(
    ("text", "expanded"),
    [
        ("bt 70/30 msft/pg qtrly rebal", "backtest 70/30 msft/pg quarterly rebalancing"),
        ("now w/o the energy name", "now without the energy name"),
        ("same w/ 25% cap", "same with 25% cap"),
        ("beta last 2y?", "beta last 2 years?"),
        ("over the past 6 wks", "over the past 6 weeks"),
        ("two strats on one paper acct", "two strategies on one paper account"),
        ("and es at 97.5?", "and expected shortfall at 97.5?"),
        ("BT and ES stay tickers", "BT and ES stay tickers"),
        ("erc since '19", "erc since 2019"),
        (
            "all names ex financials, no name >15%",
            "all names excluding financials, no name above 15%",
        ),
        ("cap 40 too", "cap 40% too"),
        ("sharpe of 25 each aapl msft", "sharpe of 25% each aapl msft"),
        (
            "top 5 ideas, max 10 trials, at least 5 names",
            "top 5 ideas, max 10 trials, at least 5 names",
        ),
        ("swap xom -> cvx", "swap xom -> cvx"),
        ("min-var KO/PG 2y lookback", "min-var KO/PG over the last 2 years"),
        ("vol last qtr, 18m window", "vol last quarter, over the last 18 months"),
        ("bts, yes, tcx and 1y vol stay", "bts, yes, tcx and 1y vol stay"),
    ],
)
def test_shorthand_is_written_out(text: str, expanded: str) -> None:
    assert expand_shorthand(text) == expanded


@given(
    word=st.sampled_from(("in", "since")),
    whole=st.integers(10, 99),
    tenths=st.integers(0, 9),
    end=st.sampled_from(("", ".", "?", " MSFT 40% KO?")),
)
def test_a_decimal_after_in_or_since_is_a_number_and_two_digits_ending_it_a_year(
    word: str, whole: int, tenths: int, end: str
) -> None:
    """ "sell in 29.7% MSFT" keeps its weight (it was "in 2029.7%"); "max dd in 20." is 2020."""
    weight = f"what should I sell {word} {whole}.{tenths}% MSFT{end}"
    assert expand_shorthand(weight) == weight
    if end in ("", ".", "?"):
        year = 2000 + whole if whole <= 50 else 1900 + whole
        assert expand_shorthand(f"max dd of JPM {word} {whole}{end}") == (
            f"max dd of JPM {word} {year}{end}"
        )


@given(st.lists(st.sampled_from(["build", "min", "vol", "of", "AAPL", "KO", "20%", "since", "2019"])))  # fmt: skip
def test_text_without_shorthand_is_unchanged(words: list[str]) -> None:
    text = " ".join(words)
    assert not set(words) & set(SHORTHAND)
    assert expand_shorthand(text) == text


@pytest.mark.parametrize(
    ("latest", "earlier", "said"),
    [
        ("actually make that 30", "max 25% each", "max 30% each"),
        ("make it 30%", "max 25% each", "max 30% each"),
        ("No, change it to 2019", "start in 2015 instead", "start in 2019 instead"),
        ("make that 30", "hrp on AAPL MSFT", "make that 30"),  # no number to say again
        ("make that 30", "between 5% and 25% each", "make that 30"),  # which of the two?
        ("make that monthly", "max 25% each", "make that monthly"),
        (
            "make it 15%",
            "backtest KO targeting 12% vol since 2019",
            "backtest KO targeting 15% vol since 2019",
        ),
        ("make it 99", "95% VaR of AAPL from 2015 to 2020", "99% VaR of AAPL from 2015 to 2020"),
        ("make that 2018", "12% vol since 2019", "12% vol since 2018"),  # a year for a year
        ("make that 2018", "from 2015 to 2020 at 10%", "make that 2018"),  # which year?
    ],
)
def test_a_number_said_again_restates_the_message_before(
    latest: str, earlier: str, said: str
) -> None:
    assert restated(latest, earlier) == said


@given(number=st.integers(1, 99), before=st.text("abcdefgh %", max_size=12), after=st.text("xyz %"))
def test_the_message_before_changes_in_its_number_only(
    number: int, before: str, after: str
) -> None:
    earlier = f"{before} 25 {after}".strip()
    assert restated(f"make that {number}", earlier) == earlier.replace("25", str(number), 1)
    assert restated("make that cheaper", earlier) == "make that cheaper"


@given(
    year=st.sampled_from(("2008", "2020", "2022")),
    form=st.sampled_from(
        (
            "a bear market in {y}",
            "the {y} bear market",
            "the bear market of {y}",
            "a bearish market during {y}",
        )
    ),
)
def test_a_year_s_bear_market_is_written_as_its_episode(year: str, form: str) -> None:
    said = {"2008": "the 2008 financial crisis", "2020": "the covid crash",
            "2022": "the 2022 rate shock"}[year]  # fmt: skip
    text = f"how would KO do in {form.format(y=year)}?"
    assert expand_shorthand(text) == f"how would KO do in {said}?"
    asked = f"were we in {form.format(y=year)}?"
    assert expand_shorthand(asked) == asked  # whether the market was in one: kept


@given(
    year=st.sampled_from(("2008", "2020", "2022")),
    who=st.sampled_from(
        ("KO", "the banks", "JNJ, PFE and MRK", "aapl and msft", "the tech stocks")
    ),
    verb=st.sampled_from(("were", "was", "so were", "and was")),
)
def test_whether_stocks_were_in_a_year_s_bear_market_is_kept(
    year: str, who: str, verb: str
) -> None:
    """Asked whether stocks or a group were in "a bear market" that year, the question is the
    rule's, stock by stock (before: only of the market; "so were the banks in a bear market in
    2020?" became the covid crash and asked "which portfolio or stocks?"); how they did in it
    stays the episode's."""
    asked = f"{verb} {who} in a bear market in {year}?"
    assert expand_shorthand(asked) == asked.removeprefix("so ")  # a filler before it left out
    how = f"what was {who}'s return in a bear market in {year}?"
    assert "bear market" not in expand_shorthand(how)


_QUESTIONS = (
    "how did the market do in 2020?",
    "what's the beta of AAPL?",
    "which stock was the calmest in 2019?",
    "did tech beat the market in 2022?",
    "is KO safer than PG?",
)


@given(
    opener=st.lists(
        st.sampled_from(
            ("yo", "hey", "Hey,", "hi!", "ok", "Ok so", "so", "thanks.", "um,", "well")
        ),
        min_size=1,
        max_size=3,
    ),
    question=st.sampled_from(_QUESTIONS),
)
def test_a_greeting_or_filler_before_a_question_is_left_out(
    opener: list[str], question: str
) -> None:
    """Before: "yo how'd the market do in 2020" backtested a target-vol strategy, as the
    readers of a question begin at the message's start."""
    assert expand_shorthand(f"{' '.join(opener)} {question}") == expand_shorthand(question)


@pytest.mark.parametrize(
    "text",
    [
        "hi",  # a greeting alone stays one
        "ok thanks",  # no question after it
        "SO how did it do?",  # in capitals a ticker (Southern Company)
        "ok, run it",  # an approval, not a question
        "and how did it do in 2021?",  # "and" joins a follow-up: kept
    ],
)
def test_what_is_not_an_opener_before_a_question_is_kept(text: str) -> None:
    assert expand_shorthand(text) == text


@pytest.mark.parametrize(
    ("text", "expanded"),
    [
        ("bt em eq wt since 2021", "backtest them equal weight since 2021"),
        ("how did 'em do in 2020?", "how did them do in 2020?"),
        ("em equities since 2015", "em equities since 2015"),  # emerging markets
        ("EM stays a ticker", "EM stays a ticker"),
    ],
)
def test_em_is_them(text: str, expanded: str) -> None:
    assert expand_shorthand(text) == expanded
