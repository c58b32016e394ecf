"""A volatility cap said for a search ("keep vol under 10%", "with volatility below 8%") reaches
the search: the volatility targets it searches run from half the cap up to the cap, with the
weight rules that scale exposure to a target (the Merton rule reads none), and the approval's
summary says so without a "Not used" about it. Before, the cap was left out of the
drafted search (said as not used) and the targets ran from 5% to 25%."""

from __future__ import annotations

import uuid
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphs.chat import ChatSession
from settings import Settings

ASKS = (
    "how much cash should I hold to keep vol under {c}% with {t}?",
    "search for a strategy on {t} with volatility below {c}%",
    "find the best vol-targeting setup for {t}, vol no more than {c}%",
    "optimize a volatility targeting strategy for {t} keeping volatility under {c}%",
)


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    ask=st.sampled_from(ASKS),
    cap=st.integers(4, 30),
    tickers=st.sampled_from(["AAPL and MSFT", "KO, PG and XOM", "the banks"]),
)
def test_a_volatility_cap_bounds_the_targets_searched(
    offline_data_dir: Path, ask: str, cap: int, tickers: str
) -> None:
    session = ChatSession(f"cap-{uuid.uuid4().hex}", settings=Settings())
    turn = session.send(ask.format(c=cap, t=tickers))
    assert turn.pending is not None, turn.replies
    targets = turn.pending["request"]["search_space"]["target_vol"]
    assert targets == {"low": round(cap / 200, 4), "high": cap / 100}, targets
    rules = turn.pending["request"]["search_space"]["weight_function"]
    assert rules == {"choices": ["inverse_vol", "sigmoid"]}, rules  # the rules a target binds
    summary = turn.pending["summary"]
    assert f"volatility target {cap / 2:g}%-{cap:g}%" in summary, summary
    assert "volatility limit" not in summary, summary
