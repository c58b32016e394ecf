"""The Alpaca broker's account and Alpaca Market Data (`STRATIGOS_ALPACA_*`)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, SecretStr

from settings.fields import SettingsGroup
from settings.owners import LOCAL_OWNER


class AlpacaSettings(SettingsGroup):
    """Which Alpaca account execution.brokers.alpaca trades, and whose it is; where Alpaca
    Market Data is read (services.market_data.alpaca, with the same keys)."""

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
    data_url: str | None = Field(
        default=None,
        description="Another Market Data API base URL, without /v2 (e.g. the local stand-in "
        "devtools.local_alpaca); unset: https://data.alpaca.markets.",
    )
    data_feed: Literal["iex", "sip", "delayed_sip"] = Field(
        default="iex",
        description="The Market Data feed read: iex (free plans), sip (all US exchanges, a paid "
        "plan) or delayed_sip (SIP 15 minutes late).",
    )
