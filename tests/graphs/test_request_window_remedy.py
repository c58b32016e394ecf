"""A search's window too short to identify market regimes is refused on `start` with what would
do: the latest start that keeps the end and holds the sessions needed (checked here: that start
is accepted, the session after it refused), and "or end later" only where the data goes on."""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from graphs.request import MIN_HISTORY_DAYS, OptimizationRequest
from quant import load_sp500_prices

SESSIONS = load_sp500_prices().index
LAST = SESSIONS[-1].date()


def _refusal(start: date, end: date) -> str:
    with pytest.raises(ValidationError) as raised:
        OptimizationRequest.model_validate({"start": start, "end": end, "universe": ["KO", "PG"]})
    return str(raised.value)


@settings(max_examples=15, deadline=None)
@given(end_at=st.integers(MIN_HISTORY_DAYS + 10, len(SESSIONS) - 1), short=st.integers(5, 240))
def test_the_refusal_names_the_latest_start_that_holds_enough_sessions(
    end_at: int, short: int
) -> None:
    end = SESSIONS[end_at].date()
    words = _refusal(SESSIONS[end_at - short].date(), end)
    found = re.search(
        r"start on or before (\d{4}-\d{2}-\d{2}) to keep the end(, or end later)?", words
    )
    assert found is not None, words
    remedy = date.fromisoformat(found.group(1))
    OptimizationRequest.model_validate({"start": remedy, "end": end, "universe": ["KO", "PG"]})
    after = SESSIONS[SESSIONS.get_loc(remedy.isoformat()) + 1].date()
    assert "holds 251 trading days" in _refusal(after, end)
    assert bool(found.group(2)) == (end < LAST)
