"""A what-if that adds names to weights the user gives ("would adding KO to a 50/50 AAPL MSFT
portfolio reduce its volatility?", "what happens to the sharpe if I add JNJ to 60% AAPL 40%
KO?") compares the weights as given with the same plus the names added at an equal share, and
says first what the addition does to the measure asked; KO was left out and the answer gave the
50/50 portfolio's volatility alone. The two values are recomputed with numpy."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quant import load_sp500_prices, to_returns
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
    line = re.search(
        rf"Adding {' and '.join(added)}{equal} \((.+?); the weights given scaled down to make "
        rf"room\) (lowers|raises|leaves) the {measure} from (-?[\d.]+)%? to (-?[\d.]+)%?\.",
        reply,
    )
    assert line is not None, reply
    total = invested / 100
    share = stated / 100 if stated else total / (2 + len(added))
    with_added = {t: w * (total - share * len(added)) / total for t, w in given_weights.items()}
    with_added.update(dict.fromkeys(added, share))
    shown = dict(re.findall(r"([A-Z]+) ([\d.]+)%", line.group(1)))
    assert {t: float(v) for t, v in shown.items()} == {
        t: round(w * 100, 1) for t, w in with_added.items()
    }, reply
    before, after = _measured(given_weights, measure), _measured(with_added, measure)
    scale, shown_to = (100, 0.06) if measure == "volatility" else (1, 0.006)
    assert abs(float(line.group(3)) - before * scale) <= shown_to, reply
    assert abs(float(line.group(4)) - after * scale) <= shown_to, reply
    assert line.group(2) == ("raises" if after > before else "lowers"), reply
    assert "Not used" not in reply, reply  # the weights given and the shares added were used
