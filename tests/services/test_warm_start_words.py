"""The `start:` sentence of a warm search (`services.warm_starts.describe_warm_start`, one
definition for the command line, the reports, the results page and the API's `words`) says what
its outcome's numbers mean: how much sooner (or later) than the same seed's cold search it came
within 1 % of that search's best, never trials "saved" by a search that ran on to its budget;
like for like only against the same seed's search, the noise between seeds otherwise."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from services.formatting import ratio
from services.warm_starts import describe_warm_start

NOISE = "the reference ran on another seed's paths: ..."
LIKE_FOR_LIKE = "like for like: that run searched the same request on the same paths"


@st.composite
def outcomes(draw: st.DrawFn) -> dict[str, Any]:
    """A warm search's outcome: same seed or another (with its noise), or a record stored
    before either was said; reached within 1 % or not."""
    kind = draw(st.sampled_from(["same seed", "other seed", "older record"]))
    theirs = draw(st.integers(1, 400))
    reached = draw(st.none() | st.integers(1, 400))
    reference: dict[str, Any] = {
        "run_id": "job_01COLD",
        "seed": 3,
        "best_objective": draw(st.floats(-3, 3, allow_nan=False)),
        "trials_to_best": theirs,
    }
    if kind != "older record":
        reference["same_seed"] = kind == "same seed"
        reference["seed_noise"] = None if kind == "same seed" else {"words": NOISE}
    saved = theirs - reached if reached is not None and kind != "other seed" else None
    return {
        "configs": [{"lookback": 21}] * 3,
        "probes": 1,
        "model": {"version": 2},
        "runs": [{"run_id": "job_01EARLIER"}],
        "stopped": None,
        "reference": reference,
        "trials_to_reference": reached,
        "trials_saved": saved,
    }


@given(outcomes())
def test_the_sentence_says_how_much_sooner_never_trials_saved(outcome: dict[str, Any]) -> None:
    line = describe_warm_start(outcome)
    reference = outcome["reference"]
    reached, saved = outcome["trials_to_reference"], outcome["trials_saved"]
    assert "saved" not in line
    if reached is None:
        assert "did not come within 1% of cold run job_01COLD (seed 3)'s best objective" in line
    else:
        trials = "trial" if reached == 1 else "trials"
        assert (
            f"best objective {ratio(reference['best_objective'])} after {reached} {trials}, "
            in line
        )
    if saved is not None:
        theirs = reference["trials_to_best"]
        n = abs(saved)
        expected = (
            f"as soon as that run ({theirs})"
            if saved == 0
            else f"{n} {'trial' if n == 1 else 'trials'} "
            f"{'sooner' if saved > 0 else 'later'} than that run's {theirs}"
        )
        assert expected in line
    elif reached is not None:
        assert f"against that run's {reference['trials_to_best']}" in line
    assert line.endswith(LIKE_FOR_LIKE) == (reference.get("same_seed") is True)
    assert (NOISE in line) == (reference.get("seed_noise") is not None)


def test_without_a_cold_search_to_compare_with_it_says_so() -> None:
    outcome = {"configs": [{"lookback": 21}], "probes": 0, "model": {"version": 1}, "runs": []}
    assert describe_warm_start(outcome | {"reference": None}).endswith(
        "no earlier cold search of the same request to compare with (a cold start of it would "
        "compare like for like)"
    )
