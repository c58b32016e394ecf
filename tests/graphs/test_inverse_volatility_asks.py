"""An inverse-volatility portfolio asked in the chat is built as one (it drafted a strategy
search of the "inverse vol" weight function): its weights equal skfolio's `InverseVolatility`
over the reply's window, the reply names the method, and the ask accounting finds the method
used; a strategy search that weights by inverse volatility stays a search, and a group limit
the method cannot keep is refused in words."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphs.chat import ChatSession
from quant import load_sp500_prices, to_returns
from settings import Settings

RETURNS = to_returns(load_sp500_prices())
ASKS = (
    "sharpe of an inverse vol portfolio of {names}",
    "build an inverse-volatility weighted portfolio of {names}",
    "weight {names} by inverse volatility",
    "Inverse vol weights for {names} please",
    "a 1/vol weighted mix of {names}",
    "naive risk parity of {names}",
)
NAMES = (("AAPL", "KO", "XOM"), ("JPM", "MSFT", "PG", "CVX"))


def _session() -> ChatSession:
    return ChatSession(f"inverse-vol-{uuid.uuid4().hex}", settings=Settings())


def _built(session: ChatSession) -> tuple[dict[str, Any], dict[str, Any]]:
    history = session.history()
    call = [
        c
        for m in history
        for c in getattr(m, "tool_calls", [])
        if c["name"] == "optimize_portfolio"
    ]
    result = [m for m in history if getattr(m, "name", None) == "optimize_portfolio"]
    return call[-1]["args"], json.loads(result[-1].text)


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ask=st.sampled_from(ASKS), names=st.sampled_from(NAMES))
def test_an_inverse_volatility_portfolio_is_built_as_asked(
    offline_data_dir: Path, ask: str, names: tuple[str, ...]
) -> None:
    from skfolio.optimization import InverseVolatility

    said = ", ".join(names[:-1]) + " and " + names[-1]
    session = _session()
    turn = session.send(ask.format(names=said))
    assert turn.pending is None, turn.pending  # no search drafted
    reply = turn.replies[-1]
    args, data = _built(session)
    assert args["method"] == "inverse_volatility" and sorted(args["universe"]) == sorted(names)
    assert reply.startswith("Inverse-volatility portfolio (pf_"), reply
    window = RETURNS.loc[data["date_range"]["start"] : data["date_range"]["end"], list(names)]
    reference = InverseVolatility().fit(window.to_numpy()).weights_
    got = np.array([data["weights"][t] for t in names])
    np.testing.assert_allclose(got, reference, atol=5e-4)  # the reply's weights are rounded
    assert "inverse volatility" in reply.split("Used:")[-1]
    assert "Not used" not in reply


def test_a_search_weighting_by_inverse_volatility_stays_a_search(offline_data_dir: Path) -> None:
    turn = _session().send("find strategies with inverse vol weighting for KO and PEP")
    assert turn.pending is not None
    request = turn.pending["request"]
    assert request["search_space"]["weight_function"] == {"choices": ["inverse_vol"]}


def test_a_group_limit_is_refused_naming_the_method(offline_data_dir: Path) -> None:
    reply = (
        _session()
        .send("inverse vol portfolio of the banks and energy with energy capped at 40%")
        .replies[-1]
    )
    assert "inverse_volatility cannot keep a limit on a group of holdings (energy)" in reply


@pytest.mark.parametrize("cap", [0.3, 0.4])
def test_a_cap_after_the_build_is_kept(offline_data_dir: Path, cap: float) -> None:
    session = _session()
    session.send("inverse vol portfolio of JPM, MSFT, PG and CVX")
    reply = session.send(f"cap at {cap:.0%}").replies[-1]
    args, data = _built(session)
    assert args["method"] == "inverse_volatility" and args["max_weight"] == pytest.approx(cap)
    assert max(data["weights"].values()) <= cap + 1e-9
    assert reply.startswith(f"Changed from your previous request: max weight {cap:.1%}")
