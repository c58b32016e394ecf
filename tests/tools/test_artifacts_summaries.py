"""The artifact store and the result-compacting helpers."""

from __future__ import annotations

import json
import math
import re
import threading

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tools.artifacts import KIND_PREFIXES, ArtifactNotFoundError, ArtifactStore
from tools.summaries import compact, downsample, round_weights, sig


# ---------------------------------------------------------------------------------------------
# summaries
# ---------------------------------------------------------------------------------------------
@settings(max_examples=200, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12))
def test_sig_keeps_four_significant_digits(x: float) -> None:
    rounded = sig(x)
    assert rounded is not None
    # within half a unit of the 4th significant digit
    if x != 0:
        assert abs(rounded - x) <= 0.5e-3 * abs(x) * (1 + 1e-12)
        assert float(f"{rounded:.4g}") == rounded  # nothing beyond the 4th digit
    else:
        assert rounded == 0.0


def test_sig_examples_and_non_finite() -> None:
    assert sig(0.123456) == 0.1235
    assert sig(123456.0) == 123500.0
    assert sig(-0.00098765) == -0.0009877
    assert sig(float("nan")) is None
    assert sig(float("inf")) is None
    assert sig(np.float32(1.5)) == 1.5


def test_compact_converts_numpy_pandas_and_dates_to_json() -> None:
    value = {
        "a": np.float64(1.23456789),
        "b": np.int64(7),
        "c": np.array([0.5, np.nan]),
        "d": pd.Series({"X": 0.333333}),
        "e": pd.Timestamp("2020-01-02"),
        "f": (np.bool_(True), None, "text"),
        7: float("-inf"),
    }
    out = compact(value)
    assert out == {
        "a": 1.235,
        "b": 7,
        "c": [0.5, None],
        "d": {"X": 0.3333},
        "e": "2020-01-02",
        "f": [True, None, "text"],
        "7": None,
    }
    json.dumps(out, allow_nan=False)
    assert type(out["b"]) is int
    assert type(out["f"][0]) is bool


def test_round_weights_four_decimals_no_negative_zero() -> None:
    weights = pd.Series({"A": 0.123456, "B": -0.00000001, "C": 0.876544})
    out = round_weights(weights)
    assert out == {"A": 0.1235, "B": 0.0, "C": 0.8765}
    assert math.copysign(1.0, out["B"]) == 1.0


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=0, max_value=5000), st.integers(min_value=2, max_value=60))
def test_downsample_bounds_and_endpoints(n: int, max_items: int) -> None:
    idx = downsample(list(range(n)), max_items)
    assert len(idx) <= max(max_items, 0)
    assert idx == sorted(set(idx))
    if n <= max_items:
        assert idx == list(range(n))
    else:
        assert idx[0] == 0 and idx[-1] == n - 1
        assert len(idx) >= max_items // 2  # evenly spread, not collapsed


def test_downsample_rejects_tiny_limits() -> None:
    with pytest.raises(ValueError, match="max_items"):
        downsample([1, 2, 3], 1)


# ---------------------------------------------------------------------------------------------
# artifact store
# ---------------------------------------------------------------------------------------------
def test_put_get_round_trip_and_id_format() -> None:
    store = ArtifactStore()
    payload = {"x": np.arange(5)}
    for kind, prefix in KIND_PREFIXES.items():
        artifact_id = store.put(kind, payload)
        assert re.fullmatch(rf"{prefix}_[0-9a-f]{{6}}", artifact_id)
        assert store.get(artifact_id) is payload
        assert store.get(artifact_id, kind) is payload
        assert store.kind_of(artifact_id) == kind
        assert artifact_id in store
    assert len(store) == len(KIND_PREFIXES)


def test_ids_are_deterministic_per_namespace() -> None:
    a, b, c = ArtifactStore("run1"), ArtifactStore("run1"), ArtifactStore("run2")
    ids_a = [a.put("scenarios", i) for i in range(5)]
    ids_b = [b.put("scenarios", i) for i in range(5)]
    ids_c = [c.put("scenarios", i) for i in range(5)]
    assert ids_a == ids_b
    assert len(set(ids_a)) == 5
    assert set(ids_a).isdisjoint(ids_c)
    assert a.ids("scenarios") == ids_a
    assert a.ids("search") == []


def test_unknown_id_and_wrong_kind_name_the_id_and_kind() -> None:
    store = ArtifactStore()
    scn = store.put("scenarios", object())
    with pytest.raises(ArtifactNotFoundError, match=r"unknown search artifact id 'srch_abcdef'"):
        store.get("srch_abcdef", "search")
    with pytest.raises(
        ArtifactNotFoundError, match=rf"{scn}.*is a scenarios artifact, not a search"
    ):
        store.get(scn, "search")
    with pytest.raises(ArtifactNotFoundError, match=scn):  # lists what exists
        store.get("scn_000000", "scenarios")
    with pytest.raises(ValueError, match="unknown artifact kind"):
        store.put("nonsense", 1)


def test_store_is_thread_safe() -> None:
    store = ArtifactStore()
    results: list[list[str]] = []

    def worker(k: int) -> None:
        results.append([store.put("portfolio", (k, i)) for i in range(200)])

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ids = [i for chunk in results for i in chunk]
    assert len(ids) == len(set(ids)) == 1600
    assert len(store) == 1600
    for chunk in results:
        k = store.get(chunk[0])[0]
        assert [store.get(i) for i in chunk] == [(k, i) for i in range(200)]
