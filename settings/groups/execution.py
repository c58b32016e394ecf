"""Sending orders: the execution queue's retries, hedge orders' limit prices and the paper
broker's costs (`STRATIGOS_EXECUTION_*`, `STRATIGOS_HEDGE_LIMIT_TOLERANCE`)."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field

from settings.fields import EnvironmentName, SettingsGroup


class ExecutionSettings(SettingsGroup):
    """How orders reach a broker (trading.queue, trading.accounts)."""

    env_prefix: ClassVar[str] = "STRATIGOS_EXECUTION_"

    max_attempts: int = Field(
        default=3,
        ge=1,
        le=20,
        description="Attempts to send an order to an unreachable broker before it is "
        "dead-lettered.",
    )
    retry_seconds: float = Field(
        default=1.0, ge=0, description="Seconds before the first resend; doubles on each retry."
    )
    hedge_limit_tolerance: Annotated[float, EnvironmentName("STRATIGOS_HEDGE_LIMIT_TOLERANCE")] = (
        Field(
            default=0.10,
            ge=0,
            le=1,
            description="Alpaca hedge orders that open a position are day limit orders at the "
            "model price plus (buys) or minus (sells) this fraction of it "
            "(trading.accounts.alpaca).",
        )
    )
    paper_slippage_bps: float = Field(
        default=5.0,
        ge=0,
        le=1000,
        description="A new paper account's slippage: fills at the bar's price moved this many "
        "basis points against the order (execution.brokers.paper.PaperCosts).",
    )
    paper_commission_per_share: float = Field(
        default=0.0,
        ge=0,
        le=100,
        description="A new paper account's commission per share filled (currency).",
    )
    paper_commission_per_order: float = Field(
        default=0.0,
        ge=0,
        le=10_000,
        description="A new paper account's commission per order (currency, on its first fill).",
    )
    paper_commission_bps: float = Field(
        default=0.0,
        ge=0,
        le=1000,
        description="A new paper account's commission in basis points of the value filled.",
    )
