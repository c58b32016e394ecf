"""A swap said after a risk question, a build or a drafted search ("use JNJ instead of KO",
"substitute JNJ for KO", "swap in JNJ for KO", "hold JNJ rather than KO", "put in JNJ in place of
KO", "swap KO for JNJ", "replace KO with JNJ"): the thread's request runs again with the name put
in and without the name taken out, and the reply never says the name taken out was "not used"
(it was left out as asked). Before, the words after "instead of", "rather than", "in place of",
"substitute ... for" and "swap in ... for" were read as a name wanted, and the reply of a risk
question or a search's approval ended with "Not used: KO (not in the universe used (AAPL, JNJ))"
beside "JNJ in place of KO"."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphs.chat import ChatSession
from settings import Settings

SWAPS = (
    "use {into} instead of {out}",
    "substitute {into} for {out}",
    "swap in {into} for {out}",
    "hold {into} rather than {out}",
    "put in {into} in place of {out}",
    "swap {out} for {into}",
    "replace {out} with {into}",
)
FIRST = {
    "risk": "what is the 95% CVaR of {names} since 2019?",
    "build": "build an HRP portfolio of {names}",
    "search": "find the best vol-target strategy for {names}",
}
TICKERS = ("AAPL", "MSFT", "KO", "PEP", "XOM", "JNJ", "PG", "WMT", "JPM", "CVX")


def _listed(names: list[str]) -> str:
    return ", ".join(names[:-1]) + " and " + names[-1]


def _universe(session: ChatSession, turn: Any, since: int) -> set[str]:
    """The tickers of the request the swap's turn ran (or drafted, for a search)."""
    if turn.pending is not None:
        return set(turn.pending["request"]["universe"])
    calls = [c for m in session.history()[since:] for c in getattr(m, "tool_calls", [])]
    (call,) = calls
    args = call["args"]
    return set(args.get("universe") or args.get("tickers") or args.get("weights") or ())


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    first=st.sampled_from(sorted(FIRST)),
    names=st.lists(st.sampled_from(TICKERS), min_size=3, max_size=4, unique=True),
    into=st.sampled_from(TICKERS),
    swap=st.sampled_from(SWAPS),
    data=st.data(),
)
def test_the_name_a_swap_takes_out_is_left_out_as_asked(
    offline_data_dir: Path, first: str, names: list[str], into: str, swap: str, data: Any
) -> None:
    if into in names:
        into = next(t for t in TICKERS if t not in names)
    out = data.draw(st.sampled_from(names), label="out")
    session = ChatSession(f"swap-{first}-{out}-{into}", settings=Settings())
    session.send(FIRST[first].format(names=_listed(names)))
    since = len(session.history())
    turn = session.send(swap.format(into=into, out=out))
    assert _universe(session, turn, since) == set(names) - {out} | {into}
    said = " ".join(turn.replies) + json.dumps(turn.pending or {}, default=str)
    assert "Not used" not in said or out not in said.split("Not used", 1)[1], said
