"""The offline model's answer to a rolling statistic asked ("rolling 60-day correlation of XOM
and CVX", "the 3-month rolling volatility of AAPL"): each from `asset_statistics`' `rolling`
summaries (latest, lowest and highest with the sessions their windows end on, mean), or why it
was not computed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agents.offline.intent.analysis import AnalysisAsk
from agents.offline.statistic_words import RANKED_BY, pct
from services.formatting import listed
from services.windows import MAX_ROLLING_SESSIONS, MIN_ROLLING_SESSIONS

__all__ = ["ROLLED", "rolling_lines"]


ROLLED = {"volatility": "volatility", "sharpe_ratio": "Sharpe ratio (risk-free rate 0%)"}
"""The statistics given over rolling windows besides correlations, with their words."""


def _two(value: float) -> str:
    return f"{value:.2f}"


def _percent(value: float) -> str:
    return pct(value, 2)  # the tool's four significant digits


def _summary(subject: str, row: dict[str, Any], shown: Callable[[float], str], every: int) -> str:
    """`subject: latest x (date), lowest ..., highest ..., mean x over n windows` (and how many
    of the period's `every` windows were left out)."""
    left = every - row["windows"]
    skipped = (
        f" ({left:,} windows without a value left out: no movement or a missing day)"
        if left
        else ""
    )
    return (
        f"{subject}: latest {shown(row['latest'])} ({row['latest_date']}), lowest "
        f"{shown(row['low'])} ({row['low_date']}), highest {shown(row['high'])} "
        f"({row['high_date']}), mean {shown(row['mean'])} over {row['windows']:,} windows{skipped}."
    )


def _lines(
    rows: dict[str, Any], subject: Callable[[str], str], shown: Callable[[float], str], every: int
) -> list[str]:
    """A summary line for each name of `rows`, then those not measured."""
    lines = [
        _summary(subject("the portfolio" if name == "portfolio" else name), row, shown, every)
        for name, row in rows.items()
        if name != "not_measured"
    ]
    if unmeasured := rows.get("not_measured"):
        named = listed([name.replace("/", " with ") for name in unmeasured])
        lines.append(f"Not measured: {named} (no window has a value: it did not move).")
    return lines


def rolling_lines(data: dict[str, Any], ask: AnalysisAsk) -> str:
    """The rolling statistics asked: latest, lowest, highest with dates, mean; or why not."""
    rolling = data.get("rolling")
    if rolling is None:
        return (
            f"Rolling windows are {MIN_ROLLING_SESSIONS} to {MAX_ROLLING_SESSIONS:,} sessions (five "
            f"years) long, not {ask.rolling:,}: the figures above are over the whole period."
        )
    if reason := rolling.get("not_computed"):
        return f"No rolling figures: {reason.removeprefix('rolling_sessions: ')}."
    rolled, every, lines = f"Rolling {rolling['sessions']}-session", rolling["windows"], []
    for measure in (m for m in ROLLED if m in ask.measures):
        shown = _percent if measure == "volatility" else _two
        lines += _lines(
            rolling[measure], f"{rolled} {ROLLED[measure]} of {{}}".format, shown, every
        )
    pairs = rolling.get("correlation")
    if "correlation" in ask.measures and (ask.to_market or not pairs):
        against = data.get("beta_to") or "the S&P 500 index"
        subject = lambda n: f"{rolled} correlation of {n} with {against}"  # noqa: E731
        if "market_correlation" in rolling:
            lines += _lines(rolling["market_correlation"], subject, _two, every)
        else:
            lines.append(f"No rolling correlation with {against}: the data has no index.")
    if "correlation" in ask.measures and pairs:
        subject = lambda n: f"{rolled} correlation of daily returns, {n.replace('/', ' and ')}"  # noqa: E731
        lines += _lines(pairs, subject, _two, every)
    elif "correlation" in ask.measures and (note := rolling.get("correlation_not_given")):
        lines.append(f"No rolling correlations of pairs: {note}.")
    if others := [m for m in ask.measures if m not in (*ROLLED, "correlation")]:
        words = listed([RANKED_BY[m][0] if m in RANKED_BY else m.replace("_", " ") for m in others])
        lines.append(
            "Rolling windows are computed for volatility, the Sharpe ratio and correlations: "
            f"the figures for {words} above are over the whole period."
        )
    return " ".join(lines)
