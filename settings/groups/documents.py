"""The documents library's limits (`STRATIGOS_DOCUMENTS_*`)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from settings.fields import SettingsGroup


class DocumentSettings(SettingsGroup):
    """How large a document the library takes, and how files are read: in child processes
    (`parse_workers` at once), each with `parse_memory_bytes` of memory and `parse_seconds` per
    file. Every limit refuses a file as soon as it is passed (docs/security.md)."""

    env_prefix: ClassVar[str] = "STRATIGOS_DOCUMENTS_"

    max_bytes: int = Field(
        default=20_971_520, ge=1024, description="Largest document in the library, bytes."
    )
    max_pages: int = Field(
        default=500, ge=1, description="Most pages of a PDF in the documents library."
    )
    max_expanded_bytes: int = Field(
        default=104_857_600,
        ge=1024,
        description="Largest uncompressed size of a workbook's parts (xlsx), bytes.",
    )
    max_rows: int = Field(
        default=100_000,
        ge=1,
        description="Most rows of a document's sheets or CSV, or values of its JSON.",
    )
    max_cells: int = Field(
        default=2_000_000, ge=1, description="Most cells of a workbook, empty ones included."
    )
    max_chunks: int = Field(
        default=5_000,
        ge=1,
        description="Most chunks (passages of about 800 characters) of one document.",
    )
    max_owner_chunks: int = Field(
        default=100_000, ge=1, description="Most chunks of all of an owner's documents."
    )
    parse_workers: int = Field(
        default=2,
        ge=1,
        le=16,
        description="Files read at once (child processes) per server process: uploads being "
        "parsed; one more is refused with 429 and Retry-After.",
    )
    parse_seconds: float = Field(
        default=60.0, gt=0, le=900, description="Longest a file may take to read, seconds."
    )
    parse_memory_bytes: int = Field(
        default=1_073_741_824,
        ge=268_435_456,
        description="Memory (address space) of a child process reading files, bytes.",
    )
