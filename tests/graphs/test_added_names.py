"""A name added after a measure of a built portfolio: "add XOM" (no weight) builds the portfolio
again with it, by the same method, as if it had been named at first; "add 10% JNJ" adds it at
that weight to the portfolio measured, the others scaled in proportion, and measures again. The
weights are checked against a build of the same names in a new thread and against the built
weights scaled by hand."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents.offline.intent import parse_intent
from agents.offline.intent.changes import read_change
from graphs.chat import ChatSession
from settings import Settings

METHODS = ("min vol", "HRP", "risk parity", "max sharpe")
MEASURES = ("stress test it for a 20% market drop", "what's its CVaR?", "what's the max drawdown?")
SETTINGS = settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _thread(*messages: str) -> list[str]:
    session = ChatSession(f"add-{uuid.uuid4().hex}", settings=Settings())
    return [session.send(text).replies[-1] for text in messages]


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
    _, _, again = _thread(f"build a {method} portfolio of {names}", measure, f"add {added}")
    assert again.startswith(f"Changed from your previous request: {added} added."), again
    direct = _thread(f"build a {method} portfolio of AAPL, KO, PG and {added}")[0]
    assert _weights(again) == _weights(direct), (again, direct)


@SETTINGS
@given(share=st.integers(1, 40), added=st.sampled_from(["XOM", "JNJ"]),
       said=st.sampled_from(["add {p}% {t}", "add {t} at {p}%"]))  # fmt: skip
def test_a_name_added_with_a_weight_scales_the_others(
    offline_data_dir: Path, share: int, added: str, said: str
) -> None:
    built, _, again = _thread(
        "build a min vol portfolio of AAPL, KO and PG", "what's its CVaR?",
        said.format(p=share, t=added),
    )  # fmt: skip
    used = re.search(r"weights ((?:[A-Z]+ \d+\.\d%(?:, )?)+)", again)
    assert used is not None, again
    got = {t: float(w) for t, w in re.findall(r"([A-Z]+) (\d+\.\d)%", used.group(1))}
    expected = {t: w * (1 - share / 100) for t, w in _weights(built).items()} | {added: share}
    assert got.keys() == expected.keys(), again
    for name, weight in expected.items():
        assert abs(got[name] - weight) <= 0.1, (name, again)  # from weights shown to 0.1%
    assert f"{added} {share:.1f}% added, the rest scaled to {100 - share:.1f}%" in again, again


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
    ):
        change = read_change(parse_intent(text, known))
        assert change is not None and change.added_weights == weights, text
