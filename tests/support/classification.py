"""A user-supplied classification file for tests (the shipped one classifies only the 20
embedded tickers, none of them a tobacco stock)."""

from __future__ import annotations

from pathlib import Path

TOBACCO_CLASSIFICATION = (
    "ticker,name,sector,industry\n"
    "MO,Altria Group,Consumer Staples,Tobacco\n"
    "PM,Philip Morris International,Consumer Staples,Tobacco\n"
)
"""A classification file's text: two tobacco stocks, which the embedded data does not hold."""


def write_classification(directory: Path, text: str = TOBACCO_CLASSIFICATION) -> Path:
    """`text` written as `directory`/classification.csv; its path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "classification.csv"
    path.write_text(text, encoding="utf-8")
    return path
