"""Names in order never look tied when they are not (`statistic_words.told_apart`), with no
more decimals than a tool's four significant digits hold (it wrote "21.840%"), and the
better or worse of them is the measure's better or worse side (`statistic_words.judged_line`)."""

from __future__ import annotations

import math
import re

from hypothesis import given
from hypothesis import strategies as st

from agents.offline.statistic_words import (
    HIGHER_IS_BETTER,
    LOWER_IS_BETTER,
    judged_line,
    pct,
    told_apart,
)
from prompts.canonical import TOOL_SIGNIFICANT_DIGITS

TOOL_VALUES = st.floats(min_value=-3, max_value=3, allow_nan=False).map(
    lambda v: float(f"{v:.{TOOL_SIGNIFICANT_DIGITS}g}")
)
"""Values as a tool's result holds them: four significant digits."""
NAMES = ("AAPL", "MSFT", "KO", "PEP", "XOM")


def _decimals(said: str) -> int:
    return len(said.rstrip("%").partition(".")[2])


def _held(value: float, percent: bool, plain: str) -> int:
    """The decimals beyond `plain`'s that the tool's four significant digits hold of `value`."""
    number = abs(value) * (100 if percent else 1)
    if not number:
        return 2  # zero holds every decimal
    held = TOOL_SIGNIFICANT_DIGITS - 1 - math.floor(math.log10(number))
    return max(0, held - _decimals(plain))


def _with(value: float, plain: str, percent: bool, more: int) -> str:
    """`value` with up to `more` decimals beyond `plain`'s, as many as its digits hold."""
    places = _decimals(plain) + min(more, _held(value, percent, plain))
    return f"{value:.{places}%}" if percent else f"{value:.{places}f}"


@given(values=st.lists(TOOL_VALUES, min_size=2, max_size=5))
def test_two_values_read_the_same_only_when_they_agree_to_the_digits_held(
    values: list[float],
) -> None:
    known = dict(zip(NAMES, values, strict=False))
    for text, percent in ((lambda v: f"{v:.2f}", False), (pct, True)):
        shown = told_apart(known, text)
        plain = {name: text(value) for name, value in known.items()}
        if len(set(plain.values())) == len(set(known.values())):
            assert shown == plain
            continue
        more = {
            _decimals(said) - _decimals(plain[name])
            for name, said in shown.items()
            if _held(known[name], percent, plain[name]) >= 2
        }
        assert len(more) <= 1, (known, shown)  # one precision for the names in order
        extra = more.pop() if more else None  # None: no value holds two more decimals
        assert extra in (1, 2, None)
        for name, said in shown.items():  # never more decimals than the tool's digits hold
            held = _held(known[name], percent, plain[name])
            assert _decimals(said) - _decimals(plain[name]) == min(extra or 2, held), (known, shown)
        if extra == 2:  # one more decimal would have left two different values alike
            one_more = {n: _with(known[n], plain[n], percent, 1) for n in known}
            assert len(set(one_more.values())) < len(set(known.values())), (known, shown)
        for a in known:  # two values read alike only where two more decimals cannot part them
            for b in known:
                if shown[a] == shown[b] and known[a] != known[b]:
                    assert extra != 1, (known, shown)


@given(
    values=st.lists(TOOL_VALUES, min_size=2, max_size=5),
    measure=st.sampled_from((*LOWER_IS_BETTER, *HIGHER_IS_BETTER, "beta")),
    judged=st.sampled_from(("better", "worse")),
)
def test_the_better_is_the_measure_s_better_side(
    values: list[float], measure: str, judged: str
) -> None:
    known = dict(zip(NAMES, values, strict=False))
    order = sorted(known, key=lambda n: -known[n])
    line = judged_line("the measure", order, known, measure, judged)
    if measure == "beta":  # no better side
        assert line == ""
        return
    lower_wins = (measure in LOWER_IS_BETTER) == (judged == "better")
    end = (min if lower_wins else max)(known.values())
    at_end = [n for n in order if known[n] == end]
    if len(at_end) > 1:
        assert line.startswith(" and ".join(sorted(at_end, key=order.index, reverse=lower_wins)))
        assert "tie as the" in line
        return
    said = re.fullmatch(r"(\w+) by the measure: (\w+) \(the (\w+)\)\.", line)
    assert said is not None, line
    assert said[2] == at_end[0]
    assert said[1].lower() in {judged, {"better": "best", "worse": "worst"}[judged]}
