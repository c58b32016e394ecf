"""The vocabulary of risk limits: the statistics of the simulated paths a limit is checked on,
the loss metrics a limit can bound, and how a sentence says each statistic, apart from the
limits' models and numerics (`quant.limits`), so what only names or describes limits
(`services.formatting`, the CLI's help) loads neither pydantic nor an array library."""

from __future__ import annotations

from typing import Literal, get_args

Statistic = Literal["mean", "median", "p90", "p95", "p99", "worst"]
"""The statistic of a loss metric's distribution over the paths that a limit is checked on."""
STATISTICS: tuple[Statistic, ...] = get_args(Statistic)
"""Every statistic, from the mildest to the strictest for a loss."""
DEFAULT_STATISTIC: Statistic = "p95"
"""What a limit given as a bare number is checked on: the 95th percentile of the paths."""

STATISTIC_WORDS: dict[str, str] = {
    "mean": "on the mean of the paths",
    "median": "in half of the paths",
    "p90": "in 90% of paths",
    "p95": "in 95% of paths",
    "p99": "in 99% of paths",
    "worst": "on the worst path",
}
"""Each statistic as a limit's sentence says it ("max drawdown ≤ 25% in 95% of paths")."""

LIMIT_METRICS: tuple[str, ...] = ("max_drawdown", "cvar_95", "var_95")
"""The metrics a `LimitValues` can limit, in field order."""


def statistic_words(statistic: str, scenario: str | None = None) -> str:
    """The statistic in words, naming the scenario's paths when given: "in 95% of bear paths",
    "on the mean of the bear paths", "on the worst bear path"."""
    words = STATISTIC_WORDS[statistic]
    if scenario is None:
        return words
    label = scenario.replace("_", "-")
    return (
        words.replace("the paths", f"the {label} paths")
        .replace("of paths", f"of {label} paths")
        .replace("worst path", f"worst {label} path")
    )
