"""After a comparison, a question about one of the portfolios compared by its method ("the
HRP one", "the risk parity portfolio") is about that portfolio: the same id, not a copy built
and saved again; and its simulation draws its paths from the window the conversation stated,
as the portfolio's build did, not from the tool's default window. Before, the question built the
portfolio a second time (a second saved copy) and simulated it over the last five years."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphs.chat import ChatSession
from settings import Settings
from store import Portfolio, Store
from store.sqlite import SQLiteStore
from tests.support.method_words import METHOD_SAID

ASKS = (
    "what's the chance of losing more than 10% over the next year with the {m} one?",
    "what are the odds the {m} portfolio loses 15% in a year?",
    "stress test the {m} one",
    "how would the {m} portfolio do in a 30% market crash?",
)
USED_WINDOW = re.compile(
    r"^Used: [^;]+; (\d{4}-\d\d-\d\d) to (\d{4}-\d\d-\d\d); portfolio (pf_\w+)"
)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return SQLiteStore(tmp_path / "store.sqlite")


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    methods=st.lists(st.sampled_from(sorted(METHOD_SAID)), min_size=2, max_size=2, unique=True),
    pick=st.integers(0, 1),
    ask=st.sampled_from(ASKS),
    tickers=st.sampled_from(["the banks", "AAPL, MSFT and KO", "XOM, CVX and JNJ", "PG and PFE"]),
    year=st.integers(2012, 2020),
)  # fmt: skip
def test_a_follow_up_by_method_is_about_the_portfolio_compared(
    offline_data_dir: Path,
    store: Store,
    methods: list[str],
    pick: int,
    ask: str,
    tickers: str,
    year: int,
) -> None:
    thread = f"t-{uuid.uuid4().hex}"  # the examples share the store: a thread each
    session = ChatSession(thread, settings=Settings(), owner="pm", store=store)
    said = [METHOD_SAID[m] for m in methods]
    compared = session.send(f"compare {said[0]} and {said[1]} for {tickers} since {year}")
    assert len(compared.saved) == 2, compared.replies  # the comparison's portfolios, saved
    built = {p.data["source"]["chat_id"]: p for p in _in_thread(store, thread)}
    chosen = methods[pick]
    (chosen_id,) = [pid for pid, p in built.items() if f"method {chosen}," in p.data["notes"]]
    window = built[chosen_id].data["source"]
    assert window["start"].startswith(str(year))

    follow_up = session.send(ask.format(m=said[pick]))
    reply = follow_up.replies[-1]
    assert follow_up.saved == [], reply  # no copy built and saved again
    used = USED_WINDOW.search(reply.splitlines()[-1])
    assert used is not None, reply  # one window: the build's, no other
    assert used.groups() == (window["start"], window["end"], chosen_id), reply
    assert chosen_id in reply.split("Used:")[0]
    assert len(_in_thread(store, thread)) == 2


def _in_thread(store: Store, thread: str) -> list[Portfolio]:
    """The portfolios the thread saved to its owner's."""
    return [p for p in store.list_portfolios("pm") if p.data["source"]["thread_id"] == thread]
