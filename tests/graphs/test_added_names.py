"""A name added after a measure of a built portfolio: "add XOM" (no weight) builds the portfolio
again with it, by the same method, as if it had been named at first; "add 10% JNJ" adds it at
that weight to the portfolio measured, the others scaled in proportion, and measures again. The
weights are checked against a build of the same names in a new thread and against the built
weights scaled by hand."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents.offline.intent import parse_intent
from agents.offline.intent.changes import read_change
from tests.support.chat_answers import answers_in_one_thread

METHODS = ("min vol", "HRP", "risk parity", "max sharpe")
MEASURES = ("stress test it for a 20% market drop", "what's its CVaR?", "what's the max drawdown?")
SETTINGS = settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _weights(text: str) -> dict[str, float]:
    """The weights of a built portfolio's answer ("... portfolio (pf_...): KO 47.6%, ...")."""
    held = re.search(r"portfolio \(pf_[0-9a-f]+\): ([^.]+(?:\.\d[^.]*)*?)\. Expected", text)
    assert held is not None, text
    return {t: float(w) for t, w in re.findall(r"([A-Z]+) (\d+\.\d)%", held.group(1))}


@SETTINGS
@given(method=st.sampled_from(METHODS), measure=st.sampled_from(MEASURES),
       added=st.sampled_from(["XOM", "JNJ", "MSFT"]))  # fmt: skip
def test_a_name_added_without_a_weight_builds_the_portfolio_again(
    offline_data_dir: Path, method: str, measure: str, added: str
) -> None:
    names = "AAPL, KO and PG"
    _, _, again = answers_in_one_thread(
        f"build a {method} portfolio of {names}", measure, f"add {added}"
    )
    assert again.startswith(f"Changed from your earlier request: {added} added."), again
    direct = answers_in_one_thread(f"build a {method} portfolio of AAPL, KO, PG and {added}")[0]
    assert _weights(again) == _weights(direct), (again, direct)


@SETTINGS
@given(shares=st.lists(st.integers(1, 20), min_size=1, max_size=2),
       said=st.sampled_from(["add {p}% {t}", "add {t} at {p}%"]))  # fmt: skip
def test_names_added_with_a_weight_scale_the_others_and_stay(
    offline_data_dir: Path, shares: list[int], said: str
) -> None:
    """One or two names at stated weights ("add 5% PFE and 10% MRK"): the others scaled in
    proportion; the next question about "it" measures the weights with the names added."""
    added = dict(zip(("XOM", "JNJ"), shares, strict=False))
    text = " and ".join(said.format(p=p, t=t) for t, p in added.items())
    built, _, again, var = answers_in_one_thread(
        "build a min vol portfolio of AAPL, KO and PG", "what's its CVaR?", text,
        "what's its var?",
    )  # fmt: skip
    rest = 100 - sum(added.values())
    expected = {t: w * rest / 100 for t, w in _weights(built).items()} | added
    for reply in (again, var):
        used = re.search(r"weights ((?:[A-Z]+ \d+\.\d%(?:, )?)+)", reply)
        assert used is not None, reply
        got = {t: float(w) for t, w in re.findall(r"([A-Z]+) (\d+\.\d)%", used.group(1))}
        assert got.keys() == expected.keys(), reply
        for name, weight in expected.items():
            assert abs(got[name] - weight) <= 0.1, (name, reply)  # from weights shown to 0.1%
    stated = ", ".join(f"{t} {p:.1f}%" for t, p in added.items())
    assert f"{stated} added, the rest scaled to {rest:.1f}%" in again, again


@SETTINGS
@given(shares=st.lists(st.integers(2, 15), min_size=2, max_size=2))
def test_two_names_added_with_weights_right_after_a_build_are_pinned(
    offline_data_dir: Path, shares: list[int]
) -> None:
    _, again = answers_in_one_thread(
        "build an hrp portfolio of AAPL, KO and PG",
        f"add {shares[0]}% XOM and {shares[1]}% JNJ",
    )
    got = _weights(again)
    assert got["XOM"] == shares[0] and got["JNJ"] == shares[1], again
    assert set(got) == {"AAPL", "KO", "PG", "XOM", "JNJ"} and "Not used" not in again, again
    changes = again.split(". ")[0]  # each name said once, with its share
    assert changes == (
        f"Changed from your previous request: XOM added at {shares[0]:.1f}%; "
        f"JNJ added at {shares[1]:.1f}%"
    ), again


def test_the_weight_stated_for_an_added_name_is_read() -> None:
    known = ["AAPL", "KO", "PG", "XOM", "JNJ"]
    for text, weights in (
        ("add 10% XOM", (("XOM", 0.10),)),
        ("add XOM at 5%", (("XOM", 0.05),)),
        ("add 12.5% in JNJ", (("JNJ", 0.125),)),
        ("add XOM", ()),
        ("add 10 percent XOM", (("XOM", 0.10),)),
        ("add a 5% position in JNJ", (("JNJ", 0.05),)),
        ("add XOM with a 10% cap", ()),
        ("add 5% XOM and 10% JNJ", (("XOM", 0.05), ("JNJ", 0.10))),
        ("add XOM at 5% and JNJ at 2.5%", (("XOM", 0.05), ("JNJ", 0.025))),
    ):
        change = read_change(parse_intent(text, known))
        assert change is not None and change.added_weights == weights, text


@SETTINGS
@given(share=st.integers(2, 30), after_measure=st.booleans())
def test_a_share_added_to_a_name_held_raises_it(
    offline_data_dir: Path, share: int, after_measure: bool
) -> None:
    """'add 10% KO' with KO held: the portfolio buys 10% of itself in KO, every weight scaled to
    90% first (KO from w to 0.9 w + 10%), not KO cut to 10%; the reply says from what to what,
    and the ask accounting counts the share as used."""
    messages = ["build an hrp portfolio of AAPL, KO, JNJ and XOM"]
    messages += ["what's its cvar?"] if after_measure else []
    replies = answers_in_one_thread(*messages, f"add {share}% KO")
    built, again = replies[0], replies[-1]
    before = _weights(built)
    raised = before["KO"] * (1 - share / 100) + share
    said = f"KO {share:.1f}% (from {before['KO']:.1f}% to "
    assert again.startswith(f"Changed from your previous request: {said}"), again
    if after_measure:
        used = re.search(r"weights ((?:[A-Z]+ \d+\.\d%(?:, )?)+)", again)
        assert used is not None, again
        got = {t: float(w) for t, w in re.findall(r"([A-Z]+) (\d+\.\d)%", used.group(1))}
        expected = {t: w * (1 - share / 100) for t, w in before.items()} | {"KO": raised}
        assert all(abs(got[t] - w) <= 0.1 for t, w in expected.items()), again
    else:
        assert abs(_weights(again)["KO"] - raised) <= 0.1, again
    assert "Not used: your weights" not in again, again


def test_a_share_added_above_the_build_s_cap_is_refused_with_the_cap(
    offline_data_dir: Path,
) -> None:
    built, refused = answers_in_one_thread(
        "build an hrp portfolio of AAPL, KO, JNJ and XOM with at most 30% in any stock",
        "add 10% KO",
    )
    held = _weights(built)["KO"]
    raised = held * 0.9 + 10
    assert refused.startswith(f"Holding KO at {raised:.1f}% would break the 30% cap"), refused
    assert "pf_" not in refused and "lower bound" not in refused, refused

    _, own = answers_in_one_thread(
        "build a min vol portfolio of AAPL, KO, PG and XOM with at most 20% in KO", "add 10% KO"
    )
    assert "would break the 20% limit on KO" in own and "Limits not kept" not in own, own


@SETTINGS
@given(shares=st.lists(st.integers(30, 70), min_size=2, max_size=2).filter(lambda s: sum(s) >= 100),
       measured=st.booleans())  # fmt: skip
def test_shares_that_leave_nothing_for_the_names_held_are_refused_with_their_sum(
    offline_data_dir: Path, shares: list[int], measured: bool
) -> None:
    """ "Add 60% PFE and 50% MRK" to a build: 110% in all leaves nothing for the names held,
    said with the sum (it was the solver's "bounds cannot sum to 1"), and nothing is built."""
    text = f"add {shares[0]}% PFE and {shares[1]}% MRK"
    asks = ["build a min vol portfolio of AAPL, KO and PG", *(["what's its CVaR?"] * measured)]
    refused = answers_in_one_thread(*asks, text)[-1]
    assert refused == (
        f"The weights added ({sum(shares)}% in all) leave nothing for the names held. "
        "Nothing was computed."
    ), refused
