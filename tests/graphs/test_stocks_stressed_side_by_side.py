"""Stocks set side by side in a simulated scenario ("which would hold up better in a bear market,
KO or PEP?", or "which would hold up better?" after the bear case of KO and then of PEP) are each
held alone on the same paths: the stress tool gives each stock's case (`per_asset`), equal to
that stock's own stress test, and the answer ranks them by the median and by the 5th
percentile. Before, the first drafted a 200-trial search, the second a search too, and "would KO
or PEP hold up better in a bear market?" said "each on its own" but gave the two held together."""

from __future__ import annotations

import json
import re
import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from graphs.chat import ChatSession
from services.market_data.providers import default_universe
from settings import Settings
from tests.support.chat_answers import STOCKS_ASKED
from tools import ToolContext, build_tools

PAIRS = st.lists(st.sampled_from(STOCKS_ASKED), min_size=2, max_size=2, unique=True)
STRESS = {tool.name: tool for tool in build_tools(ToolContext())}["stress_test"]
EACH = re.compile(
    r"each stock held alone on the same paths: median return (?P<medians>.+?) by the median; "
    r"5th percentile (?P<tails>.+?) \((?P<least>\w+) loses (?:less|least) in the worst 5% of paths\)"
)


def _stress(universe: list[str], scenario: str, n_paths: int = 1000) -> dict:
    """The stress tool's result (the chat's 1,000 paths unless said)."""
    out = STRESS.invoke({"universe": universe, "scenarios": [scenario], "n_paths": n_paths})
    return json.loads(out) if isinstance(out, str) else out


@settings(max_examples=5, deadline=None)
@given(stocks=st.lists(st.sampled_from(STOCKS_ASKED), min_size=2, max_size=4, unique=True),
       scenario=st.sampled_from(("bear", "high_vol", "bull")))  # fmt: skip
def test_each_stock_s_case_is_its_own_stress_test_on_the_same_paths(
    stocks: list[str], scenario: str
) -> None:
    together = _stress(stocks, scenario, 300)["scenarios"][scenario]
    for stock in stocks:
        alone = _stress([stock], scenario, 300)["scenarios"][scenario]
        its = together["per_asset"][stock]
        assert (its["median_return"], its["p05_return"], its["prob_loss"]) == (
            alone["median_return"], alone["p05_return"], alone["prob_loss"]
        )  # fmt: skip
    assert "per_asset" not in _stress(stocks[:1], scenario, 300)["scenarios"][scenario]


def _check_ranked(reply: str, pair: list[str]) -> None:
    each = EACH.search(reply)
    assert each is not None, reply
    per_asset = _stress(pair, "bear")["scenarios"]["bear"]["per_asset"]
    cases = {s: per_asset[s] for s in pair}
    ranked = sorted(pair, key=lambda s: (-cases[s]["median_return"], s))
    assert [m.split()[0] for m in each["medians"].split("; ")[0].split(", ")] == ranked, reply
    assert each["least"] == min(pair, key=lambda s: (-cases[s]["p05_return"], s)), reply
    assert "Not used" not in reply, reply


@settings(max_examples=5, deadline=None)
@given(pair=PAIRS)
def test_which_would_hold_up_better_in_a_bear_market_ranks_each_stock(pair: list[str]) -> None:
    session = ChatSession(f"side-{uuid.uuid4().hex}", settings=Settings())
    turn = session.send(f"which would hold up better in a bear market, {pair[0]} or {pair[1]}?")
    assert turn.pending is None, turn.pending
    _check_ranked(turn.replies[-1], pair)


@settings(max_examples=4, deadline=None)
@given(pair=PAIRS, asked=st.sampled_from(("which would hold up better?", "which held up better?",
                                          "so which one would lose less?")))  # fmt: skip
def test_which_held_up_better_after_each_stock_s_bear_case(pair: list[str], asked: str) -> None:
    session = ChatSession(f"side-{uuid.uuid4().hex}", settings=Settings())
    session.send(f"how would {pair[0]} do in a bear market?")
    session.send(f"and {pair[1]}?")
    turn = session.send(asked)
    assert turn.pending is None, turn.pending
    assert turn.replies[-1].startswith("Stress test of "), turn.replies[-1]
    _check_ranked(turn.replies[-1], pair)


@settings(max_examples=5, deadline=None)
@given(stocks=st.lists(st.sampled_from(STOCKS_ASKED), min_size=3, max_size=4, unique=True),
       asked=st.sampled_from(("which of {} would hold up best in a bear market?",
                              "which one of {} would lose least in a bear market?",
                              "of {}, which would do best in a bear market?")))  # fmt: skip
def test_which_of_several_stocks_would_hold_up_best_ranks_each_stock(
    stocks: list[str], asked: str
) -> None:
    """Before: the stocks held together at equal weights, with no stock chosen."""
    session = ChatSession(f"side-{uuid.uuid4().hex}", settings=Settings())
    turn = session.send(asked.format(", ".join(stocks[:-1]) + f" and {stocks[-1]}"))
    assert turn.pending is None, turn.pending
    _check_ranked(turn.replies[-1], stocks)


@settings(max_examples=3, deadline=None)
@given(asked=st.sampled_from(("which stocks are good in a bear market?",
                              "which of the stocks would hold up best in a bear market?",
                              "so which names would lose least in a bear market?",
                              "Which stocks hold up in a bear market?")))  # fmt: skip
def test_which_stocks_are_good_in_a_bear_market_ranks_every_stock(asked: str) -> None:
    """Before: the bear scenario's mean return and volatility of the universe, or a search."""
    session = ChatSession(f"side-{uuid.uuid4().hex}", settings=Settings())
    turn = session.send(asked)
    assert turn.pending is None, turn.pending
    reply = turn.replies[-1]
    named = re.match(r"Stress test of (.+?), each on its own\.", reply)
    assert named is not None, reply
    stocks = re.split(r", | and ", named[1])
    assert stocks == sorted(default_universe()), reply  # the universe asked of, each stock of it
    _check_ranked(reply, stocks)


ADVICE = st.sampled_from(("what should I buy", "what would you hold", "what stocks should we own",
                          "which names should I pick", "what should I be in"))  # fmt: skip
DOWNTURNS = st.sampled_from(("for a bear market", "in a bear market", "if we hit a bear market",
                             "if a recession is coming", "in a recession", "during a downturn",
                             "before the next recession"))  # fmt: skip


@settings(max_examples=6, deadline=None)
@given(advice=ADVICE, downturn=DOWNTURNS,
       named=st.one_of(st.just([]), st.lists(st.sampled_from(STOCKS_ASKED), min_size=3,
                                             max_size=3, unique=True)))  # fmt: skip
def test_what_to_hold_for_a_bear_market_ranks_each_stock(
    advice: str, downturn: str, named: list[str]
) -> None:
    """ "What should I buy for a bear market?", "what would you hold if a recession is coming?",
    "of KO, PEP and XOM, what should I hold in a bear market?": each stock of the universe (or
    of those named) held alone in the bear case, ranked. Before: the bear scenario's mean return
    and volatility of the stocks held together ("bear: mean return -3.1%, volatility 28.7%")."""
    session = ChatSession(f"side-{uuid.uuid4().hex}", settings=Settings())
    among = f"of {named[0]}, {named[1]} and {named[2]}, " if named else ""
    turn = session.send(f"{among}{advice} {downturn}?")
    assert turn.pending is None, turn.pending
    reply = turn.replies[-1]
    listed = re.match(r"Stress test of (.+?), each on its own\.", reply)
    assert listed is not None, reply
    stocks = re.split(r", | and ", listed[1])
    assert stocks == sorted(named or default_universe()), reply
    _check_ranked(reply, stocks)


@settings(max_examples=3, deadline=None)
@given(stocks=st.lists(st.sampled_from(STOCKS_ASKED), min_size=3, max_size=3, unique=True),
       asked=st.sampled_from(("which one of them would lose least in a 2008 crash?",
                              "so which of them held up best?", "which of those fell most?")))  # fmt: skip
def test_which_one_of_them_after_their_stress_test_ranks_each_stock(
    stocks: list[str], asked: str
) -> None:
    """Before: "which one of them ..." was no question of the thread's stocks: the three held
    together were stressed again."""
    session = ChatSession(f"side-{uuid.uuid4().hex}", settings=Settings())
    session.send(f"how would {stocks[0]}, {stocks[1]} and {stocks[2]} do in a 2008 crash?")
    reply = session.send(asked).replies[-1]
    assert reply.startswith("Stress test of "), reply
    assert "each on its own" in reply, reply
    ranked = re.search(r"each stock bought at its start: (.+?); (\w+) held up best", reply)
    assert ranked is not None, reply
    returns = [(r.split()[0], float(r.split()[1].rstrip("%"))) for r in ranked[1].split(", ")]
    assert sorted(t for t, _ in returns) == sorted(stocks), reply
    assert [v for _, v in returns] == sorted((v for _, v in returns), reverse=True), reply
    assert ranked[2] == returns[0][0], reply
