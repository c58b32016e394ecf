"""A cap on every sector ("no more than 30% in any one sector", "max 25% per sector", "a 30%
sector cap", "max 20% per stock and 35% per sector"): each sector of the build's universe gets
that cap (`sector_limits`), and the portfolio built keeps it or says it cannot. Before, the number
was said unused and the portfolio was built without it. The sectors are read here from the
shipped classification file with the csv module, not through the code under test."""

from __future__ import annotations

import csv
import uuid
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from graphs.chat import ChatSession
from settings import Settings
from tests.support.chat_answers import built_portfolio, turn_calls

CLASSIFICATION = Path(__file__).parents[2] / "quant" / "embedded_classification.csv"
with CLASSIFICATION.open(newline="", encoding="utf-8-sig") as handle:
    SECTOR = {row["ticker"]: row["sector"] for row in csv.DictReader(handle)}
NAMES = ("AAPL", "MSFT", "AMD", "XOM", "CVX", "KO", "PG", "JNJ", "LLY", "JPM", "BAC")
CAPS = (
    "with no more than {c}% in any one sector",
    "with at most {c}% per sector",
    "with a {c}% sector cap",
    ", no sector above {c}%",
    ", max 20% per stock and {c}% per sector",
    "and cap each sector at {c}%",
    "with {c}% max per sector",
    "and cap sectors at {c}pct",
)
METHODS = ("min variance", "max sharpe", "risk parity")


@settings(max_examples=6, deadline=None)
@given(
    names=st.lists(st.sampled_from(NAMES), min_size=4, max_size=8, unique=True),
    cap=st.integers(25, 60),
    said=st.sampled_from(CAPS),
    method=st.sampled_from(METHODS),
)
def test_every_sector_of_the_universe_is_capped_and_the_build_keeps_it(
    names: list[str], cap: int, said: str, method: str
) -> None:
    session = ChatSession(f"sector-cap-{uuid.uuid4().hex}", settings=Settings())
    text = f"build a {method} portfolio of {', '.join(names)} {said.format(c=cap)}"
    reply, calls, _ = turn_calls(session, text)
    assert [c["name"] for c in calls] == ["optimize_portfolio"], (reply, calls)
    limits = calls[0]["args"].get("sector_limits")
    assert limits == {SECTOR[n]: {"min": 0.0, "max": cap / 100} for n in names}, (text, limits)
    assert "Not used" not in reply, reply
    if "20% per stock" in said:
        assert calls[0]["args"].get("max_weight") == 0.2, calls
    if "I could not build" in reply:  # the caps leave no fully invested portfolio
        most = len(set(limits)) * cap if "20% per stock" not in said else 20 * len(names)
        assert most <= 100 or "20% per stock" in said, (cap, reply)
        return
    _, weights = built_portfolio(reply)
    for sector in set(limits):
        held = sum(w for n, w in weights.items() if SECTOR[n] == sector)
        assert held <= cap / 100 + 0.0011, (sector, held, reply)


def test_a_sector_cap_said_after_a_build_caps_that_build_s_sectors() -> None:
    session = ChatSession(f"sector-cap-{uuid.uuid4().hex}", settings=Settings())
    turn_calls(session, "build a min variance portfolio of AAPL, MSFT, KO")
    reply, calls, _ = turn_calls(session, "same but at most 50% per sector")
    assert calls[-1]["args"]["universe"] == ["AAPL", "MSFT", "KO"], calls
    assert calls[-1]["args"]["sector_limits"] == {
        SECTOR["AAPL"]: {"min": 0.0, "max": 0.5},
        SECTOR["KO"]: {"min": 0.0, "max": 0.5},
    }, calls
    _, weights = built_portfolio(reply)
    assert abs(weights["KO"] - 0.5) <= 0.0011 and "Not used" not in reply, reply


@settings(max_examples=6, deadline=None)
@given(own=st.integers(35, 60), cap=st.integers(25, 34))
def test_a_sector_named_keeps_its_own_limit_beside_the_cap_on_the_others(
    own: int, cap: int
) -> None:
    session = ChatSession(f"sector-cap-{uuid.uuid4().hex}", settings=Settings())
    text = (
        "build a min vol portfolio of AAPL, MSFT, XOM, KO and JNJ with at most "
        f"{own}% in tech and {cap}% per sector"
    )
    reply, calls, _ = turn_calls(session, text)
    limits = calls[-1]["args"]["sector_limits"]
    others = {SECTOR[n] for n in ("XOM", "KO", "JNJ")}
    assert limits == {
        "tech": {"min": 0.0, "max": own / 100},
        **{s: {"min": 0.0, "max": cap / 100} for s in others},
    }, limits
    _, weights = built_portfolio(reply)
    assert weights["AAPL"] + weights["MSFT"] <= own / 100 + 0.0011, reply
    assert all(weights[n] <= cap / 100 + 0.0006 for n in ("XOM", "KO", "JNJ")), reply
    assert "Not used" not in reply, reply
