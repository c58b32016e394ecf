"""The limits of uploaded market-data datasets (`STRATIGOS_DATASETS_*`)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from settings.fields import SettingsGroup


class DatasetSettings(SettingsGroup):
    """How large an uploaded dataset (`POST /v1/market-data/datasets`, a CSV or Parquet table
    of prices or returns) may be once read: its rows, its cells (rows times asset columns) and,
    for Parquet, its uncompressed size; and how it is read: in a child process of
    `read_memory_bytes` memory (address space, pandas' own included), within `read_seconds`.
    The file itself is at most `api.max_upload_bytes`, and at most `documents.parse_workers`
    uploads (documents and datasets) are read at once. Every limit refuses a file before its
    table is built (docs/security.md)."""

    env_prefix: ClassVar[str] = "STRATIGOS_DATASETS_"

    max_rows: int = Field(
        default=100_000,
        ge=2,
        le=10_000_000,
        description="Most rows (dates) of an uploaded dataset: 100,000 days are about 400 years.",
    )
    max_cells: int = Field(
        default=10_000_000,
        ge=2,
        le=1_000_000_000,
        description="Most values (rows times asset columns) of an uploaded dataset.",
    )
    max_expanded_bytes: int = Field(
        default=104_857_600,
        ge=1024,
        le=17_179_869_184,
        description="Largest uncompressed size of an uploaded Parquet file's columns, bytes.",
    )
    read_memory_bytes: int = Field(
        default=1_073_741_824,
        ge=536_870_912,
        le=68_719_476_736,
        description="Memory (address space) of a child process reading a dataset, bytes.",
    )
    read_seconds: float = Field(
        default=60.0, gt=0, le=900, description="Longest a dataset may take to read, seconds."
    )
