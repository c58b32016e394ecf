"""The research index (`STRATIGOS_RESEARCH_*`)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from settings.fields import SettingsGroup


class ResearchSettings(SettingsGroup):
    """Where the documents' search index lives (`Settings.resolved_research_index_uri`)."""

    env_prefix: ClassVar[str] = "STRATIGOS_RESEARCH_"

    index_uri: str | None = Field(
        default=None,
        description="Where the research index (LanceDB) lives: a directory or s3://bucket/prefix "
        "(default <data_dir>/research-index with the SQLite store, "
        "s3://<store_s3_bucket>/research-index with the AWS store).",
    )
