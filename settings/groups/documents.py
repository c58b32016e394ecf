"""The documents library's limits (`STRATIGOS_DOCUMENTS_*`)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from settings.fields import SettingsGroup


class DocumentSettings(SettingsGroup):
    """How large a document the library takes."""

    env_prefix: ClassVar[str] = "STRATIGOS_DOCUMENTS_"

    max_bytes: int = Field(
        default=20_971_520, ge=1024, description="Largest document in the library, bytes."
    )
    max_pages: int = Field(
        default=500, ge=1, description="Most pages of a PDF in the documents library."
    )
