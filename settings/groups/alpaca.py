"""The Alpaca broker's account (`STRATIGOS_ALPACA_*`)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, SecretStr

from settings.fields import SettingsGroup
from settings.owners import LOCAL_OWNER


class AlpacaSettings(SettingsGroup):
    """Which Alpaca account execution.brokers.alpaca trades, and whose it is."""

    env_prefix: ClassVar[str] = "STRATIGOS_ALPACA_"

    key_id: SecretStr | None = Field(
        default=None, description="Alpaca API key id (APCA-API-KEY-ID)."
    )
    secret_key: SecretStr | None = Field(
        default=None, description="Alpaca API secret key (APCA-API-SECRET-KEY)."
    )
    secret_arn: str | None = Field(
        default=None,
        description='Secrets Manager secret (ARN or name) holding {"key_id": ..., "secret_key": '
        "...}; overrides alpaca_key_id and alpaca_secret_key (read when the broker is opened). "
        "With the placeholder {owner}, each owner has their own secret (alpaca_owner unused).",
    )
    owner: str = Field(
        default=LOCAL_OWNER,
        description="The owner whose account alpaca_key_id/alpaca_secret_key (or an "
        "alpaca_secret_arn without {owner}) configure; no other owner may trade it.",
    )
    paper: bool = Field(
        default=True,
        description="Trade on Alpaca's paper endpoint; false trades real money on the live one.",
    )
    base_url: str | None = Field(
        default=None,
        description="Another trading API base URL, without /v2 (e.g. the local stand-in "
        "devtools.local_alpaca); overrides alpaca_paper's choice of endpoint.",
    )
