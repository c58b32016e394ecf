"""A forward test reports the account's realised drawdown, VaR and CVaR against the limits its
search stated (from its third session: before, "not measured yet"), each with the statistic of the paths it was checked on: realised values against
a plain numpy reference, the statement in the vocabulary's words, and a winner's statement
read from its search's result."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.formatting import limit_sentence, percent
from trading.risk_limits import realised_against_limits, search_limits


def _reference(values: np.ndarray) -> dict[str, float]:
    """The realised values, from two returns on (none in a forward test's first two sessions)."""
    returns = values[1:] / values[:-1] - 1
    if len(returns) < 2:
        return {}
    wealth = np.cumprod(1 + returns)
    peaks = np.maximum.accumulate(np.concatenate([[1.0], wealth]))[1:]
    drawdown = float(np.max(1 - wealth / peaks))
    cut = np.quantile(returns, 0.05)
    return {
        "max_drawdown": max(drawdown, 0.0),
        "var_95": float(-cut),
        "cvar_95": float(-returns[returns <= cut].mean()),
    }


@settings(max_examples=30, deadline=None)
@given(
    moves=st.lists(st.floats(-0.08, 0.08), min_size=0, max_size=120),
    limit=st.floats(0.01, 0.5),
    statistic=st.sampled_from(["mean", "p95", "worst"]),
)
def test_the_realised_values_are_set_against_each_stated_limit(
    moves: list[float], limit: float, statistic: str
) -> None:
    values = 1000 * np.cumprod(np.concatenate([[1.0], 1 + np.asarray(moves)]))
    series = pd.Series(values, index=pd.bdate_range("2022-01-03", periods=len(values)))
    stated = [
        {"metric": m, "limit": limit, "statistic": statistic, "scenarios": ["bear"],
         "searched": {"bear": limit / 2}, "met": True, "horizon": 252}
        for m in ("max_drawdown", "var_95", "cvar_95")
    ]  # fmt: skip
    reference = _reference(values)
    for item in realised_against_limits(series, stated):
        metric = item["metric"]
        assert item["statement"] in item["words"]
        if metric not in reference:  # the first sessions of a forward test
            assert item["realised"] is None and item["within"] is False
            assert "not measured yet" in item["words"]
            continue
        assert item["realised"] == pytest.approx(reference[metric], abs=1e-12)
        assert item["within"] == (item["realised"] <= limit)
        assert item["statement"] == limit_sentence(metric, limit, statistic)
        assert item["statement"] in item["words"]
        assert percent(item["realised"]) in item["words"]
        assert ("within" if item["within"] else "beyond") in item["words"]


def test_a_winners_statement_comes_from_its_search() -> None:
    request = {"risk_limits": {"max_drawdown": 0.25, "scenarios": ["bear"]}, "horizon": 189}
    check = {"metric": "max_drawdown", "values": {"bear": 0.231}, "met": True}
    result = {"best": {"limits": [check]}}
    (stated,) = search_limits(request, result, None)
    assert stated == {
        "metric": "max_drawdown", "limit": 0.25, "statistic": "p95", "scenarios": ["bear"],
        "searched": {"bear": 0.231}, "met": True, "horizon": 189,
    }  # fmt: skip
    trial = {"bear.max_drawdown@p95": 0.3, "bear.max_drawdown": 0.2}
    (of_trial,) = search_limits(request, result, trial)
    assert of_trial["searched"] == {"bear": 0.3} and of_trial["met"] is False
    assert search_limits({"risk_limits": {}}, result, None) == []
