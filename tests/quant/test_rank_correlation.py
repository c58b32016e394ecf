"""Spearman's rank correlation (`quant.rank_correlation`) against scipy.stats.spearmanr, a peer
we did not write: samples with many ties (small integers), distinct floats, constant samples
and the refusals."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import rankdata, spearmanr

from quant.rank_correlation import average_ranks, spearman

FINITE = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
TIED = st.integers(min_value=-3, max_value=3).map(float)


@st.composite
def pairs(draw: st.DrawFn) -> tuple[list[float], list[float]]:
    """Two paired samples of one length (2 to 40), each of tied or distinct values."""
    size = draw(st.integers(min_value=2, max_value=40))
    first = draw(st.lists(draw(st.sampled_from([TIED, FINITE])), min_size=size, max_size=size))
    second = draw(st.lists(draw(st.sampled_from([TIED, FINITE])), min_size=size, max_size=size))
    return first, second


@given(pairs())
def test_spearman_matches_scipy(samples: tuple[list[float], list[float]]) -> None:
    first, second = samples
    ours = spearman(first, second)
    if np.ptp(first) == 0 or np.ptp(second) == 0:
        assert math.isnan(ours)  # scipy also answers NaN (with a warning) for a constant sample
        return
    theirs = float(spearmanr(first, second).statistic)
    assert ours == pytest.approx(theirs, abs=1e-12)
    assert -1.0 <= ours <= 1.0


@given(st.lists(st.one_of(TIED, FINITE), min_size=1, max_size=40))
def test_average_ranks_match_scipy(values: list[float]) -> None:
    assert average_ranks(values).tolist() == rankdata(values, method="average").tolist()


def test_ties_share_the_average_of_their_ranks() -> None:
    assert average_ranks([10, 20, 20, 30]).tolist() == [1.0, 2.5, 2.5, 4.0]
    assert spearman([1, 2, 3, 4], [40, 30, 20, 10]) == pytest.approx(-1.0)


@pytest.mark.parametrize(
    ("first", "second"),
    [([1.0, 2.0], [1.0, 2.0, 3.0]), ([1.0], [2.0]), ([1.0, float("nan")], [1.0, 2.0])],
    ids=["different lengths", "one pair", "not finite"],
)
def test_refuses_what_has_no_rank_correlation(first: list[float], second: list[float]) -> None:
    with pytest.raises(ValueError, match=r"rank correlation|1-d samples"):
        spearman(first, second)
