"""A what-if that adds names to weights the user gives ("would adding KO to a 50/50 AAPL MSFT
portfolio reduce its volatility?", "what happens to the sharpe if I add JNJ to 60% AAPL 40%
KO?") compares the weights as given with the same plus the names added at an equal share, and
says first what the addition does to the measure asked; KO was left out and the answer gave the
50/50 portfolio's volatility alone. The two values are recomputed with numpy."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphs.chat import ChatSession
from quant import load_sp500_prices, to_returns
from settings import Settings
from tests.support.chat_answers import answer_in_new_thread

RETURNS = to_returns(load_sp500_prices()).loc["2018-01-01":]
NAMES = ["AAPL", "MSFT", "KO", "JNJ", "XOM", "JPM"]
ASKS = {
    "would adding {a} to {w} reduce its volatility?": "volatility",
    "what happens to the sharpe if I add {a} to {w}?": "Sharpe ratio",
    "What if I add {a} to a portfolio of {w}?": "volatility",
}


def _measured(weights: dict[str, float], measure: str) -> float:
    daily = RETURNS[list(weights)].to_numpy() @ np.array(list(weights.values()))
    volatility = float(daily.std(ddof=1) * np.sqrt(252))
    return volatility if measure == "volatility" else float(daily.mean() * 252 / volatility)


def _effect(reply: str, added: list[str], equal: str, scaled: str, measure: str) -> re.Match[str]:
    """The reply's line of what adding the names does: the weights with them (group 1), the
    verb (2) and the measure before and after (3, 4; the same number when it "leaves" it)."""
    line = re.search(
        rf"Adding {' and '.join(added)}{equal} \((.+?); {scaled} scaled down to make room\) "
        rf"(?:(lowers|raises) the {measure} from (-?[\d.]+)%? to (-?[\d.]+)%?"
        rf"|(leaves) the {measure} at (-?[\d.]+)%?)\.",
        reply,
    )
    assert line is not None, reply
    return line


def _says_effect(line: re.Match[str], before: float, after: float, measure: str) -> None:
    """The line's numbers are numpy's `before` and `after` to the precision shown, and its
    verb says which way the measure moved (or that it stayed the same as shown)."""
    scale, shown_to = (100, 0.06) if measure == "volatility" else (1, 0.006)
    if line.group(5):  # "leaves the volatility at 18.7%"
        assert abs(float(line.group(6)) - before * scale) <= shown_to, line.group(0)
        assert abs(after - before) * scale <= 2 * shown_to, line.group(0)
        return
    assert abs(float(line.group(3)) - before * scale) <= shown_to, line.group(0)
    assert abs(float(line.group(4)) - after * scale) <= shown_to, line.group(0)
    assert line.group(2) == ("raises" if after > before else "lowers"), line.group(0)


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    names=st.permutations(NAMES).map(lambda p: p[:4]),
    first=st.integers(1, 5).map(lambda n: n * 10),
    invested=st.sampled_from([100, 80]),
    two_added=st.booleans(),
    stated=st.sampled_from([None, 10]),
    ask=st.sampled_from(sorted(ASKS)),
)
def test_adding_names_to_given_weights_says_what_it_does(
    offline_data_dir: Path,
    names: list[str],
    first: int,
    invested: int,
    two_added: bool,
    stated: int | None,
    ask: str,
) -> None:
    """The names added take the share stated ("add 10% KO") or an equal share of all the names
    of what the weights given invest (80% given: the rest stays in cash, as given); the reply
    names none of them as not used (it said the shares stated were: "the tools ran on other
    weights")."""
    held, added = names[:2], names[2:4] if two_added else names[2:3]
    given_weights = {held[0]: first / 100, held[1]: (invested - first) / 100}
    said = f"{first}% {held[0]} {invested - first}% {held[1]}"
    adding = " and ".join(f"{stated}% {t}" if stated else t for t in added)
    reply = answer_in_new_thread(ask.format(a=adding, w=said))
    measure = ASKS[ask]
    equal = "" if stated else " at an equal share"
    line = _effect(reply, added, equal, "the weights given", measure)
    total = invested / 100
    share = stated / 100 if stated else total / (2 + len(added))
    with_added = {t: w * (total - share * len(added)) / total for t, w in given_weights.items()}
    with_added.update(dict.fromkeys(added, share))
    shown = dict(re.findall(r"([A-Z]+) ([\d.]+)%", line.group(1)))
    assert {t: float(v) for t, v in shown.items()} == {
        t: round(w * 100, 1) for t, w in with_added.items()
    }, reply
    _says_effect(line, _measured(given_weights, measure), _measured(with_added, measure), measure)
    assert "Not used" not in reply, reply  # the weights given and the shares added were used


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    added=st.sampled_from(["PG", "XOM", "KO"]),
    share=st.sampled_from([None, 5, 10, 20]),
    ask=st.sampled_from(["would adding {a} reduce its volatility?",
                         "what happens to my portfolio's sharpe if I add {a}?",
                         "would adding {a} to it lower its volatility?"]),
)  # fmt: skip
def test_names_added_to_the_portfolio_held_say_what_they_do(
    offline_data_dir: Path, added: str, share: int | None, ask: str
) -> None:
    """ "Would adding 10% PG reduce its volatility?" after a build: the build beside the build
    with PG at its share (an equal share when none is said), the rest scaled down; a name held
    is topped up by the share said ("KO 10.0% (from 42.5% to 48.2%)"), and without a share the
    reply says it is held and computes nothing. It measured PG alone before, and said the share
    was not used."""
    session = ChatSession(f"held-add-{uuid.uuid4().hex}", settings=Settings())
    built = session.send("build a min vol portfolio of AAPL, MSFT, KO and JNJ since 2018")
    held = {
        t: float(w) / 100
        for t, w in re.findall(r"([A-Z]+) ([\d.]+)%", built.replies[-1].split("Expected")[0])
    }
    assert set(held) == {"AAPL", "MSFT", "KO", "JNJ"}, built.replies[-1]
    reply = session.send(ask.format(a=f"{share}% {added}" if share else added)).replies[-1]
    measure = "Sharpe ratio" if "sharpe" in ask else "volatility"
    if added in held and share is None:
        assert reply.startswith(f"Your portfolio already holds {added} at "), reply
        assert reply.endswith("Nothing was computed."), reply
        return
    stake = share / 100 if share else 1 / (len(held) + 1)
    with_added = {t: w * (1 - stake) for t, w in held.items()}
    with_added[added] = with_added.get(added, 0.0) + stake
    equal = "" if share else " at an equal share"
    line = _effect(reply, [added], equal, "your portfolio", measure)
    shown = dict(re.findall(r"([A-Z]+) ([\d.]+)%", re.sub(r" \(from [^)]*\)", "", line.group(1))))
    assert {t: float(v) for t, v in shown.items() if t != added} == pytest.approx(
        {t: 100 * w for t, w in with_added.items() if t != added}, abs=0.11
    ), reply  # the held weights as shown, to their rounding
    if added in held:
        assert f"{added} {stake:.1%} (from " in line.group(1), reply
    weights = {t: round(w, 3) for t, w in held.items()}  # as shown: to a tenth of a percent
    again = {t: w * (1 - stake) for t, w in weights.items()}
    again[added] = again.get(added, 0.0) + stake
    _says_effect(line, _measured(weights, measure), _measured(again, measure), measure)
    assert "Not used" not in reply, reply


def test_names_added_with_no_portfolio_held_ask_which(offline_data_dir: Path) -> None:
    reply = answer_in_new_thread("would adding 10% PG reduce its CVaR?")
    assert reply.startswith("Which portfolio?") and reply.endswith("Nothing was computed."), reply
