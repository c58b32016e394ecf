"""The shape of ``GET /v1/vocabulary``: the words and number formats every page, report and
reply uses (`services.formatting.vocabulary`)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class TermOut(BaseModel):
    """A name in words: its label, the format of its values (a key of `formats`), what it
    means, and for a choice the words of each choice."""

    model_config = ConfigDict(extra="forbid")

    label: str
    format: str
    help: str = ""
    choices: dict[str, str] | None = Field(default=None, exclude_if=lambda value: value is None)


class VocabularyOut(BaseModel):
    """Every strategy parameter, metric, statistic of the paths, scenario, benchmark and agent
    in words, and the rules of each number format."""

    model_config = ConfigDict(extra="forbid")

    missing: str = Field(description="How a missing or non-finite number is written.")
    limit_symbol: str = Field(description="How a limit's upper bound is written.")
    formats: dict[str, dict[str, Any]] = Field(
        description="Format name -> its rules (multiply, decimals, prefix, suffix, sign, "
        "thousands, iso) and an example."
    )
    parameters: dict[str, TermOut] = Field(description="StrategyConfig field -> its words.")
    metrics: dict[str, TermOut] = Field(description="Path metric -> its words.")
    limit_metrics: list[str] = Field(description="The metrics a risk limit can bound.")
    statistics: dict[str, str] = Field(
        description="Statistic of the simulated paths a limit is checked on -> its words."
    )
    default_statistic: str = Field(description="The statistic of a limit given as a number.")
    scenarios: dict[str, str] = Field(description="Scenario -> its words.")
    benchmarks: dict[str, str] = Field(description="Benchmark strategy -> its words.")
    agents: dict[str, str] = Field(description="Agent role -> its words.")
