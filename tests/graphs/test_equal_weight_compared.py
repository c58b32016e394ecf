"""A method compared with equal weight ("compare HRP and equal weight for ...") is one table of
the built portfolio and the equal-weight portfolio of the same stocks, and a follow-up naming a
measure ("which one had the lower drawdown?") judges those two on it. Before, the comparison was
two risk reports, and the follow-up measured the equal-weight portfolio alone."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.chat_answers import answers_in_one_thread
from tests.support.method_words import METHOD_SAID

LABEL = {"hrp": "HRP", "min_volatility": "min-volatility", "max_sharpe": "max-Sharpe",
         "risk_parity": "risk-parity"}  # fmt: skip
"""How the answer names each method's portfolio."""
ASKS = (
    "compare {m} and equal weight for {t}",
    "{m} vs equal weight for {t}",
    "compare equal weight vs {m} for {t}",
)
FOLLOW_UPS = {
    "which one had the lower drawdown?": ("maximum drawdown", "lowest", r"maximum drawdown"),
    "which has the lower volatility?": ("volatility", "lowest", r"volatility"),
}
"""Each follow-up: the measure the answer names, which end wins, and how a row states it."""


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    method=st.sampled_from(sorted(METHOD_SAID)),
    ask=st.sampled_from(ASKS),
    tickers=st.sampled_from(["PG, KO, JNJ and PFE", "AAPL, MSFT, XOM and JPM", "KO PG PEP WMT"]),
    follow_up=st.sampled_from(sorted(FOLLOW_UPS)),
)
def test_a_method_beside_equal_weight_is_one_table_judged_on_the_measure_asked_next(
    offline_data_dir: Path, method: str, ask: str, tickers: str, follow_up: str
) -> None:
    compared, judged = answers_in_one_thread(
        ask.format(m=METHOD_SAID[method], t=tickers), follow_up
    )
    for name in (LABEL[method], "equal-weight"):  # a row each, in one table
        row = rf"(?:^|[.:] ){re.escape(name)}(?: \(pf_\w+\))?: return"
        assert re.search(row, compared), (name, compared)
    assert "and equal weights" in compared.splitlines()[-1], compared
    rows = {}
    measure, end, stated = FOLLOW_UPS[follow_up]
    for name in (LABEL[method], "equal-weight"):
        row = re.search(
            rf"{re.escape(name)}(?: \(pf_\w+\))?: return [^;]*?{stated} ([\d.]+)%", judged
        )
        assert row is not None, (name, judged)
        rows[name] = float(row.group(1))
    verdict = re.search(
        rf"On the {measure} you asked about, the (.+?) portfolio has the {end}", judged
    )
    assert verdict is not None, judged
    best = min(rows, key=rows.__getitem__)
    assert rows[verdict.group(1)] == rows[best], (verdict.group(1), rows, judged)
