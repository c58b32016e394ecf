"""A sector's share of a portfolio ("how much of 50% AAPL 30% MSFT 20% KO is in tech?", "what's
the energy weight of ...?", "how much of it is in tech?" after a build, "how much of my
portfolio is in tech?" with none held: which one, then the holdings given): the sector's weights
added up and the share of the portfolio's volatility they carry; the same for stocks named ("how
much of it is in MSFT and KO?"), and for cash what the weights leave uninvested. Before, the
sector's stocks were built into a portfolio of their own (or an HRP portfolio of the weights'
stocks; of all 20 for cash), or the market was read. The risk share is checked against a plain
reference: w_i (Cov w)_i / w'Cov w from pandas."""

from __future__ import annotations

import csv
import re
import uuid
from collections.abc import Callable
from pathlib import Path

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from agents.offline.chat_intent import WHICH_PORTFOLIO
from graphs.chat import ChatSession
from quant import load_sp500_prices
from settings import Settings
from store import Store
from store.sqlite import SQLiteStore
from tests.support.chat_answers import built_portfolio, turn_calls

CLASSIFICATION = Path(__file__).parents[2] / "quant" / "embedded_classification.csv"

PRICES = load_sp500_prices()
SECTORS = {"tech": {"AAPL", "AMD", "MSFT"}, "energy": {"CVX", "RRC", "XOM"}}
NAMES = ("AAPL", "MSFT", "AMD", "XOM", "CVX", "KO", "JNJ", "JPM")
ASKS = (
    "how much of {w} is in {s}?",
    "what's the {s} weight of {w}?",
    "what share of {w} is in {s}?",
    "whats the weighting of {s} in {w}",
    "how much of {w} sits in {s}? thanks",
    "what percent of {w} is {s}?",
    "how much {s} do I have in {w}?",
    "how much {s} exposure does {w} have?",
)


def _risk_shares(weights: dict[str, float], start: str, end: str) -> dict[str, float]:
    names = list(weights)
    first = PRICES.index[PRICES.index.get_loc(start) - 1]
    covariance = PRICES[names].loc[first:end].pct_change().iloc[1:].cov().to_numpy()
    w = np.array([weights[n] for n in names])
    parts = w * (covariance @ w) / (w @ covariance @ w)
    return dict(zip(names, parts, strict=True))


def _said(reply: str, sector: str) -> tuple[float, float, str, str]:
    subject = (
        rf"{sector.capitalize()} \([^)]*\) is"
        if sector in SECTORS
        else rf"{sector}(?: \([^)]*not held\))? (?:are|is)"
    )
    said = re.search(
        rf"{subject}(?: together)? ([\d.]+)% of .+? and carr(?:y|ies) ([\d.]+)% of its "
        r"volatility .*?from (\S+) to (\S+)\.(?:\s|$)",
        reply,
    )
    assert said is not None, reply
    assert reply.count("annualised volatility") == 1, reply
    return float(said[1]) / 100, float(said[2]) / 100, said[3], said[4]


def _weights(names: list[str], cuts: list[int]) -> tuple[dict[str, float], str] | None:
    """Whole-percent weights of `names` in the proportions `cuts` adding up to 100, and the
    words that give them; None when a weight would round to 0."""
    parts = cuts[: len(names)]
    shares = [round(100 * p / sum(parts)) for p in parts]
    shares[-1] = 100 - sum(shares[:-1])
    if min(shares) <= 0:
        return None
    weights = {n: s / 100 for n, s in zip(names, shares, strict=True)}
    return weights, " ".join(f"{s}% {n}" for n, s in zip(names, shares, strict=True))


def _asked_of_weights(
    names: list[str], cuts: list[int], text: Callable[[str], str]
) -> tuple[dict[str, float], str] | None:
    """The weights of `names` in the proportions `cuts` (`_weights`) and the reply to `text` of
    their words in a new thread, whose one call is their risk report; None when a weight would
    round to 0."""
    given_weights = _weights(names, cuts)
    if given_weights is None:
        return None
    weights, said = given_weights
    session = ChatSession(f"share-{uuid.uuid4().hex}", settings=Settings())
    reply, calls, _ = turn_calls(session, text(said))
    assert [(c["name"], c["args"].get("weights")) for c in calls] == [
        ("portfolio_risk_report", weights)
    ], (reply, calls)
    return weights, reply


@settings(max_examples=6, deadline=None)
@given(
    names=st.lists(st.sampled_from(NAMES), min_size=2, max_size=4, unique=True),
    cuts=st.lists(st.integers(1, 9), min_size=4, max_size=4),
    sector=st.sampled_from(sorted(SECTORS)),
    ask=st.sampled_from(ASKS),
)
def test_a_sector_s_share_of_weights_given_is_their_sum_and_risk(
    names: list[str], cuts: list[int], sector: str, ask: str
) -> None:
    answered = _asked_of_weights(names, cuts, lambda w: ask.format(w=w, s=sector))
    if answered is None:
        return
    weights, reply = answered
    inside = [n for n in names if n in SECTORS[sector]]
    if not inside:
        assert reply.startswith(f"None of the portfolio given is in {sector}"), reply
        return
    weight, risk, start, end = _said(reply, sector)
    assert abs(weight - sum(weights[n] for n in inside)) <= 0.0006, reply
    reference = _risk_shares(weights, start, end)
    assert abs(risk - sum(reference[n] for n in inside)) <= 0.0006, (reply, reference)


def test_my_portfolio_s_share_is_asked_about_then_read_and_a_build_s_is_its_own() -> None:
    session = ChatSession(f"share-{uuid.uuid4().hex}", settings=Settings())
    reply, calls, _ = turn_calls(session, "how much of my portfolio is in tech?")
    assert reply == WHICH_PORTFOLIO and calls == [], (reply, calls)
    reply, calls, _ = turn_calls(session, "50% AAPL 30% MSFT 20% KO")
    assert [c["args"].get("weights") for c in calls] == [{"AAPL": 0.5, "MSFT": 0.3, "KO": 0.2}]
    assert _said(reply, "tech")[0] == 0.8, reply
    other = ChatSession(f"share-{uuid.uuid4().hex}", settings=Settings())
    built, _, _ = turn_calls(other, "build an HRP portfolio of AAPL, MSFT, KO and XOM")
    portfolio, weights = built_portfolio(built)
    reply, calls, _ = turn_calls(other, "how much of it is in tech?")
    assert [c["args"].get("portfolio_id") for c in calls] == [portfolio], calls
    assert abs(_said(reply, "tech")[0] - weights["AAPL"] - weights["MSFT"]) <= 0.0011, reply
    assert "AMD not held" in reply and "Not used" not in reply, reply


@settings(max_examples=6, deadline=None)
@given(
    names=st.lists(st.sampled_from(NAMES), min_size=2, max_size=4, unique=True),
    cuts=st.lists(st.integers(1, 9), min_size=4, max_size=4),
    picked=st.lists(st.sampled_from(NAMES), min_size=1, max_size=3, unique=True),
    ask=st.sampled_from(ASKS),
    joined=st.sampled_from((" and ", ", ", " & ")),
)
def test_named_stocks_share_of_weights_given_is_their_sum_and_risk(
    names: list[str], cuts: list[int], picked: list[str], ask: str, joined: str
) -> None:
    asked = joined.join(picked) if len(picked) < 3 else _listed(picked)
    answered = _asked_of_weights(names, cuts, lambda w: ask.format(w=w, s=asked))
    if answered is None:
        return
    weights, reply = answered
    inside = [n for n in picked if n in weights]
    if not inside:
        assert reply.startswith("None of the portfolio given is in "), reply
        return
    name = "(?:" + "|".join(inside) + ")"  # in the reply's order, by weight
    weight, risk, start, end = _said(reply, rf"{name}(?:(?:, | and ){name})*")
    assert abs(weight - sum(weights[n] for n in inside)) <= 0.0006, reply
    reference = _risk_shares(weights, start, end)
    assert abs(risk - sum(reference[n] for n in inside)) <= 0.0006, (reply, reference)
    unheld = [n for n in picked if n not in weights]
    assert ("not held" in reply) == bool(unheld), reply
    if unheld:
        assert f"({_listed(unheld)} not held)" in reply, reply


def _listed(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


@settings(max_examples=6, deadline=None)
@given(
    names=st.lists(st.sampled_from(NAMES), min_size=1, max_size=3, unique=True),
    percents=st.lists(st.integers(5, 33), min_size=3, max_size=3),
    whole=st.booleans(),
    ask=st.sampled_from(
        (*ASKS[:3], "how much cash is in {w}?", "whats the cash in {w}", "what is the cash of {w}")
    ),
)
@example(names=["AAPL"], percents=[30, 5, 5], whole=False, ask="how much of {w} is in {s}?")
def test_cash_is_what_the_weights_leave_uninvested(
    names: list[str], percents: list[int], whole: bool, ask: str
) -> None:
    parts = percents[: len(names)]
    if whole:  # fully invested: the last weight takes what the others leave
        parts[-1] = 100 - sum(parts[:-1])
    session = ChatSession(f"cash-{uuid.uuid4().hex}", settings=Settings())
    said = " ".join(f"{p}% {n}" for n, p in zip(names, parts, strict=True))
    reply, calls, _ = turn_calls(session, ask.format(w=said, s="cash"))
    assert [c["name"] for c in calls] == ["portfolio_risk_report"], (reply, calls)
    left = 100 - sum(parts)
    if left > 0:
        assert reply.startswith(f"{left:.1f}% of the portfolio given is in cash"), reply
    else:
        assert reply.startswith("None of the portfolio given is in cash: it is fully"), reply
    assert f"add up to {sum(parts):.1f}%" in reply, reply


def test_a_build_holds_no_cash_and_my_portfolio_s_cash_is_asked_about_first() -> None:
    session = ChatSession(f"cash-{uuid.uuid4().hex}", settings=Settings())
    reply, calls, _ = turn_calls(session, "how much of my portfolio is in cash?")
    assert reply == WHICH_PORTFOLIO and calls == [], (reply, calls)
    reply, calls, _ = turn_calls(session, "60% AAPL 30% KO")
    assert [c["args"].get("weights") for c in calls] == [{"AAPL": 0.6, "KO": 0.3}], calls
    assert reply.startswith("10.0% of the portfolio given is in cash"), reply
    built, _, _ = turn_calls(session, "build an HRP portfolio of AAPL, MSFT, KO and XOM")
    portfolio, _ = built_portfolio(built)
    reply, calls, _ = turn_calls(session, "how much of it is in cash?")
    assert [c["args"].get("portfolio_id") for c in calls] == [portfolio], calls
    assert reply.startswith(f"None of portfolio {portfolio} is in cash: it is fully invested")


@settings(max_examples=6, deadline=None)
@given(
    names=st.lists(st.sampled_from(NAMES), min_size=2, max_size=4, unique=True),
    cuts=st.lists(st.integers(1, 9), min_size=4, max_size=4),
    ask=st.sampled_from(
        (
            "how concentrated is {w}?",
            "what's my biggest position in {w}?",
            "which are the largest holdings of {w}?",
            "how diversified is {w}",
            "is {w} too concentrated?",
        )
    ),
)
def test_how_concentrated_weights_given_are_is_their_largest_and_effective_number(
    names: list[str], cuts: list[int], ask: str
) -> None:
    answered = _asked_of_weights(names, cuts, lambda w: ask.format(w=w))
    if answered is None:
        return
    weights, reply = answered
    largest = re.search(r"The largest position of the portfolio given is (\w+) at ([\d.]+)%", reply)
    assert largest is not None, reply
    assert weights[largest[1]] == max(weights.values()) == float(largest[2]) / 100, reply
    effective = re.search(r"effective number of holdings is ([\d.]+) of (\d+)", reply)
    assert effective is not None and int(effective[2]) == len(weights), reply
    expected = 1 / sum(w * w for w in weights.values())
    assert abs(float(effective[1]) - expected) <= 0.05 + 1e-9, (reply, expected)
    riskiest = re.search(r"(\w+) carries the most of its volatility, ([\d.]+)%", reply)
    assert riskiest is not None, reply
    reference = _risk_shares(weights, "2018-01-02", "2022-12-28")
    assert abs(float(riskiest[2]) / 100 - max(reference.values())) <= 0.0006, (reply, reference)
    assert reference[riskiest[1]] == max(reference.values()), (reply, reference)
    rule = re.search(
        r"\(no holding above 10% .*?\) it is (too concentrated|diversified enough)", reply
    )
    assert rule is not None, reply
    kept = max(weights.values()) <= 0.10 and sum(w for w in weights.values() if w > 0.05) <= 0.40
    assert (rule[1] == "diversified enough") == kept, reply


@settings(max_examples=6, deadline=None)
@given(
    names=st.lists(st.sampled_from(NAMES), min_size=2, max_size=4, unique=True),
    cuts=st.lists(st.integers(1, 9), min_size=4, max_size=4),
    cash=st.sampled_from((0, 10)),
    word_and_ask=st.one_of(
        st.tuples(
            st.sampled_from(("safe", "risky", "low risk", "speculative", "defensive")),
            st.sampled_from(
                ("how much of {w} is {q}?", "what share of {w} is {q}", "how much of {w} sits {q}?")
            ),
        ),
        st.tuples(
            st.just("trim"),
            st.sampled_from(
                (
                    "which of my holdings should I trim? {w}",
                    "which of the names in {w} should I trim",
                    "what should I sell in {w}?",
                    "{w}: which positions should we reduce",
                )
            ),
        ),
        st.tuples(
            st.just("lowers"),
            st.sampled_from(
                (
                    "which holdings reduce the risk of {w}?",
                    "which of the names in {w} lower its volatility?",
                    "{w}: what reduces the portfolio's risk",
                )
            ),
        ),
    ),
)
def test_a_quality_s_share_is_where_the_volatility_sits_by_beta_to_the_portfolio(
    names: list[str], cuts: list[int], cash: int, word_and_ask: tuple[str, str]
) -> None:
    """ "How much of <weights> is safe?" has no one measure, "which should I trim?" depends on
    the goal, and "which holdings reduce the risk?" are the first group: the reply parts the holdings by whether they carry less of the portfolio's
    volatility than their weight (a beta to it below 1) or more (first for risky words and
    trimming), checked against the reference risk shares; cash is said."""
    word, ask = word_and_ask
    given_weights = _weights(names, cuts)
    if given_weights is None:
        return
    weights = {n: w * (100 - cash) / 100 for n, w in given_weights[0].items()}
    said = " ".join(f"{round(100 * w, 2):g}% {n}" for n, w in weights.items())
    if abs(sum(round(100 * w, 2) for w in weights.values()) - (100 - cash)) > 1e-6:
        return
    session = ChatSession(f"quality-{uuid.uuid4().hex}", settings=Settings())
    reply, calls, _ = turn_calls(session, ask.format(w=said, q=word))
    assert [c["name"] for c in calls] == ["portfolio_risk_report"], (reply, calls)
    if word == "trim":
        assert reply.startswith("Which holdings to trim depends on what you want less of"), reply
    elif word == "lowers":
        assert reply.startswith("The holdings that lower the risk of"), reply
    else:
        assert reply.startswith(f'"{word.capitalize()}" is not one measure'), reply
    more_first = reply.index("more of the portfolio's volatility than") < reply.index(
        "less of the portfolio's volatility than"
    )
    assert more_first == (word not in ("safe", "low risk", "defensive", "lowers")), reply
    reference = _risk_shares(weights, "2018-01-02", "2022-12-28")
    invested = sum(weights.values())
    for how, below in (("less", True), ("more", False)):
        part = re.search(
            rf"carr(?:y|ies) {how} of the portfolio's volatility than (?:their|its) weight "
            r"\([^)]*\)(?:, together [\d.]+% of the portfolio)?: (.*?)\.(?: |$)",
            reply,
        )
        listed_here = (
            re.findall(r"(\w+) \(([\d.]+)% of the (?:invested )?weight, ([\d.]+)%", part[1])
            if part
            else []
        )
        gap = {n: reference[n] - weights[n] / invested for n in weights}
        clear = {n for n in weights if abs(gap[n]) > 1e-9}  # a tie may fall on either side
        expected = sorted(n for n in clear if (gap[n] < 0) == below)
        if part is None:
            assert f"No holding carries {how}" in reply and not expected, reply
            continue
        assert sorted(n for n, _, _ in listed_here if n in clear) == expected, (reply, reference)
        for name, weight, share in listed_here:
            assert abs(float(weight) / 100 - weights[name] / invested) <= 0.0006, reply
            assert abs(float(share) / 100 - reference[name]) <= 0.0006, (reply, reference)
    assert (f"{cash:.1f}% of it is in cash" in reply) == bool(cash), reply


def test_my_portfolio_s_safe_share_is_asked_about_and_a_build_s_is_its_own() -> None:
    session = ChatSession(f"quality-{uuid.uuid4().hex}", settings=Settings())
    reply, calls, _ = turn_calls(session, "how much of my portfolio is safe?")
    assert reply == WHICH_PORTFOLIO and calls == [], (reply, calls)
    built, _, _ = turn_calls(session, "build an HRP portfolio of AAPL, MSFT, KO and XOM")
    portfolio, _ = built_portfolio(built)
    reply, calls, _ = turn_calls(session, "how much of it is risky?")
    assert [c["args"].get("portfolio_id") for c in calls] == [portfolio], calls
    assert reply.startswith(
        f'"Risky" is not one measure; what can be measured is where the risk of portfolio '
        f"{portfolio}"
    ), reply
    assert reply.index("carry more") < reply.index("less of the portfolio's"), reply


def test_a_saved_portfolio_s_share_is_the_one_saved_named_or_chosen(
    offline_data_dir: Path, tmp_path: Path
) -> None:
    """With one portfolio saved, "my portfolio" is it; with several, the question back names
    them and a name given answers it; a saved portfolio named in the question is measured. Each
    share is its stocks' risk contributions against the reference (the weights saved)."""
    store: Store = SQLiteStore(tmp_path / "store.sqlite")
    core = {"KO": 0.5, "XOM": 0.3, "AAPL": 0.2}

    def saved(owner: str, name: str, weights: dict[str, float]) -> str:
        rows = [{"asset": t, "weight": w} for t, w in weights.items()]
        return str(store.create_portfolio(owner, name, {"weights": rows}).id)

    core_id = saved("alice", "Core", core)
    alone = ChatSession("share-one-saved", settings=Settings(), owner="alice", store=store)
    reply, calls, _ = turn_calls(alone, "how much of my portfolio is in energy?")
    assert [c["args"].get("portfolio_id") for c in calls] == [core_id], (reply, calls)
    risk = re.search(
        rf"Energy \(XOM; [^)]*\) in portfolio Core \({core_id}\) carries ([\d.]+)%", reply
    )
    assert risk is not None, reply
    reference = _risk_shares(core, *re.findall(r"from (\S+) to (\S+)\.", reply)[0])
    assert abs(float(risk[1]) / 100 - reference["XOM"]) <= 0.0006, (reply, reference)
    saved("alice", "Growth", {"AAPL": 0.6, "MSFT": 0.4})
    several = ChatSession("share-two-saved", settings=Settings(), owner="alice", store=store)
    reply, calls, _ = turn_calls(several, "how much of my portfolio is in cash?")
    assert reply.startswith("Which portfolio: Core or Growth?") and calls == [], reply
    reply, calls, _ = turn_calls(several, "Core")
    assert [c["args"].get("portfolio_id") for c in calls] == [core_id], (reply, calls)
    assert reply.startswith(f"None of portfolio Core ({core_id}) is in cash: it is fully"), reply
    named = ChatSession("share-named", settings=Settings(), owner="alice", store=store)
    reply, calls, _ = turn_calls(named, "how much of my Core portfolio is safe?")
    assert [c["args"].get("portfolio_id") for c in calls] == [core_id], (reply, calls)
    assert reply.startswith(f'"Safe" is not one measure; what can be measured is where the risk '
                            f"of portfolio Core ({core_id}) sits"), reply  # fmt: skip
    reply, calls, _ = turn_calls(named, "what's the sector breakdown of my Core portfolio?")
    assert [c["args"].get("portfolio_id") for c in calls] == [core_id], (reply, calls)
    came = dict(re.findall(r"([A-Z][\w ]+?) \((\w+)\) [\d.]+%", reply))  # one stock a sector
    assert reply.startswith(f"By sector (GICS), the volatility of portfolio Core ({core_id})")
    assert {GICS[t]: t for t in core} == came, reply
    reply, calls, _ = turn_calls(named, "which of my Core holdings should I trim?")
    assert [c["args"].get("portfolio_id") for c in calls] == [core_id], (reply, calls)
    assert reply.startswith("Which holdings to trim depends on what you want less of"), reply


with CLASSIFICATION.open(newline="") as _handle:  # the shipped file, read with csv
    GICS = {row["ticker"]: row["sector"] for row in csv.DictReader(_handle)}


@settings(max_examples=6, deadline=None)
@given(
    names=st.lists(st.sampled_from(NAMES), min_size=2, max_size=5, unique=True),
    cuts=st.lists(st.integers(1, 9), min_size=5, max_size=5),
    ask=st.sampled_from(
        (
            "what's the sector breakdown of {w}?",
            "which sector dominates {w}?",
            "{w}: weights by sector please",
            "show me the sector exposures of {w}",
        )
    ),
)
def test_a_sector_breakdown_is_each_sector_s_weight_and_risk(
    names: list[str], cuts: list[int], ask: str
) -> None:
    """Each sector of the shipped classification held, its weight (the holdings' weights added
    up) and its share of the volatility (their reference risk shares added up), the heaviest
    first, every holding in exactly one sector."""
    answered = _asked_of_weights(names, cuts, lambda w: ask.format(w=w))
    if answered is None:
        return
    weights, reply = answered
    said = re.findall(r"([A-Z][\w ]+?) ([\d.]+)% \(([^)]*)\), carrying ([\d.]+)% of it", reply)
    expected = {GICS[n] for n in weights}
    assert {s for s, _, _, _ in said} == expected, reply
    reference = _risk_shares(weights, "2018-01-02", "2022-12-28")
    listed_names = [h.split()[0] for _, _, held, _ in said for h in held.split(", ")]
    assert sorted(listed_names) == sorted(weights), reply
    for sector, weight, held, risk in said:
        inside = [n for n in weights if GICS[n] == sector]
        assert sorted(h.split()[0] for h in held.split(", ")) == sorted(inside), reply
        assert abs(float(weight) / 100 - sum(weights[n] for n in inside)) <= 0.0006, reply
        assert abs(float(risk) / 100 - sum(reference[n] for n in inside)) <= 0.0006, reply
    sector_weights = [float(w) for _, w, _, _ in said]
    assert sector_weights == sorted(sector_weights, reverse=True), reply


def test_which_holdings_lower_a_build_s_risk_is_its_split_by_beta() -> None:
    """Asked of the build with no statistic's subject of its own ("which of my holdings lower its
    volatility?"), the split, not the build's volatility (the risk manager heard the route)."""
    session = ChatSession(f"lowers-{uuid.uuid4().hex}", settings=Settings())
    turn_calls(session, "build an HRP portfolio of AAPL, MSFT, JNJ, KO")
    reply, calls, _ = turn_calls(session, "which of my holdings lower its volatility?")
    assert [c["name"] for c in calls] == ["portfolio_risk_report"], (reply, calls)
    assert reply.startswith("The holdings that lower the risk of portfolio pf_"), reply


@settings(max_examples=4, deadline=None)
@given(
    names=st.lists(st.sampled_from(NAMES), min_size=3, max_size=5, unique=True),
    ask=st.sampled_from(
        (
            "is it diversified enough?",
            "is the portfolio too concentrated?",
            "how diversified is it?",
        )
    ),
)
def test_whether_a_build_is_diversified_is_judged_by_its_weights(
    names: list[str], ask: str
) -> None:
    """Of the build (before: a market read, or the build again), its largest position, effective
    number of holdings and the UCITS judgment, on the weights the build holds; "how concentrated
    is it?" stays its risk contributions."""
    session = ChatSession(f"diversified-{uuid.uuid4().hex}", settings=Settings())
    built, _, _ = turn_calls(session, f"build an HRP portfolio of {', '.join(names)}")
    portfolio_id, weights = built_portfolio(built)
    reply, calls, _ = turn_calls(session, ask)
    assert [c["name"] for c in calls] == ["portfolio_risk_report"], (reply, calls)
    largest = re.search(rf"The largest position of portfolio {portfolio_id} is (\w+) at", reply)
    assert largest is not None and weights[largest[1]] == max(weights.values()), reply
    effective = re.search(r"effective number of holdings is ([\d.]+) of (\d+)", reply)
    expected = 1 / sum(w * w for w in weights.values())  # weights as the reply rounds them
    assert effective is not None and abs(float(effective[1]) - expected) <= 0.06, reply
    assert "it is too concentrated" in reply, reply  # a handful of names: above 10% each
    contributions, _, _ = turn_calls(session, "how concentrated is it?")
    assert contributions.startswith(f"{portfolio_id}: Risk contributions"), contributions


def test_the_portfolio_beside_the_index_starts_its_sentence() -> None:
    session = ChatSession(f"beside-{uuid.uuid4().hex}", settings=Settings())
    turn_calls(session, "build an HRP portfolio of AAPL, MSFT, JNJ, KO")
    reply, _, _ = turn_calls(session, "is it more volatile than the S&P?")
    assert "The portfolio had a lower volatility than the S&P 500 index" in reply, reply
