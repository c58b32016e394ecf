"""The portfolio a comparison put first is what the next message names ("backtest the winner
monthly", "backtest the better one since 2020", "backtest it"): the one with the highest Sharpe
ratio, or the best on the measure the question after the comparison asked ("which has the lower
CVaR?"), whichever order the portfolios were built in (before: no search had finished, a
default strategy was backtested, or "it" was whichever was built last). Chosen ("go with the
winner", "use that one"), it is built again, the same portfolio, and "its" next is of it (the
conversation's first build was built again instead). The verdict on the measure asked never
shows a false tie ("HRP 0.70, min-volatility 0.70"). A ranking asked with no
noun ("which had the highest Sharpe ratio last year?") ranks the market data's stocks; one of
portfolios with none in the conversation asks which."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphs.chat import ChatSession
from settings import Settings
from tests.support.chat_answers import turn_calls

METHODS = {"min vol": "min-volatility", "max sharpe": "max-Sharpe", "HRP": "HRP",
           "risk parity": "risk-parity"}  # fmt: skip
NEXT = ("backtest the winner monthly", "backtest the better one since 2020",
        "backtest it since 2020", "so backtest the one you picked quarterly")  # fmt: skip
JUDGED = {None: None, "which has the lower CVaR?": "cvar",
          "which has the lower volatility?": "volatility"}  # fmt: skip
_ROW = re.compile(
    r"(?P<name>[\w-]+) \((?P<id>pf_[0-9a-f]+)\): return [^;]*?volatility (?P<volatility>[\d.]+)%"
    r"[^;]*?Sharpe ratio (?P<sharpe>-?[\d.]+)[^;]*?CVaR (?P<cvar>[\d.]+)%"
)


def _calls(session: ChatSession, text: str) -> tuple[str, list[dict[str, Any]]]:
    reply, calls, _ = turn_calls(session, text)
    return reply, calls


def _compared(methods: list[str]) -> tuple[ChatSession, list[dict[str, str]]]:
    """A new thread that compared a portfolio of each of two methods, and each one's row."""
    session = ChatSession(f"pick-{uuid.uuid4().hex}", settings=Settings())
    compared, _ = _calls(
        session, f"compare a {methods[0]} and a {methods[1]} portfolio of AAPL, KO, XOM and JNJ"
    )
    rows = [row.groupdict() for row in _ROW.finditer(compared)]
    assert len(rows) == 2, compared
    return session, rows


def _judged_best(
    session: ChatSession, rows: list[dict[str, str]], judged: str | None
) -> tuple[dict[str, str], str]:
    """The row a comparison puts first (the highest Sharpe ratio, or the best on the measure
    `judged` asks, asked in `session`), and the reply to `judged` ("" when none is asked)."""
    if judged is None:
        return max(rows, key=lambda row: float(row["sharpe"])), ""
    verdict, _ = _calls(session, judged)
    return min(rows, key=lambda row: float(row[JUDGED[judged]])), verdict


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    methods=st.permutations(sorted(METHODS)).map(lambda m: m[:2]),
    judged=st.sampled_from(sorted(JUDGED, key=str)),
    then=st.sampled_from(NEXT),
)
def test_the_portfolio_a_comparison_put_first_is_the_one_named_next(
    offline_data_dir: Path, methods: list[str], judged: str | None, then: str
) -> None:
    session, rows = _compared(methods)
    best, _ = _judged_best(session, rows, judged)
    if len({row[JUDGED[judged] or "sharpe"] for row in rows}) == 1:
        return  # tied on the measure: the comparison's own order decides
    reply, calls = _calls(session, then)
    tested = [call["args"] for call in calls if call["name"] == "backtest_weights"]
    assert tested and all(args["portfolio_id"] == best["id"] for args in tested), (calls, reply)
    assert "No strategy search has finished" not in reply


CHOSEN = ("go with the winner", "use that one", "ok let's go with that one", "pick the better one",
          "stick with the winner")  # fmt: skip


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    methods=st.permutations(sorted(METHODS)).map(lambda m: m[:2]),
    judged=st.sampled_from(sorted(JUDGED, key=str)), chosen=st.sampled_from(CHOSEN),
)  # fmt: skip
def test_the_portfolio_chosen_after_a_comparison_is_the_one_it_put_first(
    offline_data_dir: Path, methods: list[str], judged: str | None, chosen: str
) -> None:
    session, rows = _compared(methods)
    best, verdict = _judged_best(session, rows, judged)
    if judged is not None:
        said = re.search(r"you asked about, [^(]+\(([^)]+)\)", verdict)
        assert said is not None, verdict
        values = re.findall(r"(-?[\d.]+)%?(?:, |$)", said[1])
        distinct = {row[JUDGED[judged]] for row in rows}
        assert len(set(values)) == len(values) or len(distinct) == 1, verdict
    if len({row[JUDGED[judged] or "sharpe"] for row in rows}) == 1:
        return  # tied on the measure: the comparison's own order decides
    reply, calls = _calls(session, chosen)
    assert [c["name"] for c in calls] == ["optimize_portfolio"], reply
    assert f"({best['id']})" in reply, (best, reply)
    _, calls = _calls(session, "what's its max drawdown?")
    assert [c["args"].get("portfolio_id") for c in calls] == [best["id"]], calls


def test_a_ranking_asked_with_no_noun_ranks_the_stocks(offline_data_dir: Path) -> None:
    session = ChatSession(f"pick-{uuid.uuid4().hex}", settings=Settings())
    reply, calls = _calls(session, "which had the highest sharpe ratio last year?")
    assert [call["name"] for call in calls] == ["asset_statistics"], reply
    assert len(calls[0]["args"]["universe"]) == 20
    assert re.search(r"Highest by Sharpe ratio[^:]*: [A-Z]+ \(", reply), reply
    reply, calls = _calls(
        ChatSession(f"pick-{uuid.uuid4().hex}", settings=Settings()),
        "which portfolio had the best sharpe?",
    )
    assert calls == [] and reply.startswith("Which portfolio"), reply
