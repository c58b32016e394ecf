"""Per-deployment notification preferences: which kinds of notification go to which address on
which channel.

Every destination receives the alerts (failed and dead-lettered runs, failed hedge runs,
reconciliation mismatches, limit breaches) unless its `kinds` say otherwise; fills, the daily
summary, the tearsheets of the trading day, hedge rolls and market data refreshes are opt-in.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from notifications.messages import ChannelName, NotificationKind
from notifications.outbound import UnsafeDestinationError, WebhookPolicy

ALERT_KINDS: frozenset[NotificationKind] = frozenset(
    {
        NotificationKind.RUN_FAILED,
        NotificationKind.RUN_DEAD_LETTERED,
        NotificationKind.RECONCILIATION_MISMATCH,
        NotificationKind.LIMIT_BREACH,
        NotificationKind.HEDGE_RUN_FAILED,
    }
)
"""What every destination receives by default."""

OPT_IN_KINDS: frozenset[NotificationKind] = frozenset(
    {
        NotificationKind.FILL,
        NotificationKind.DAILY_SUMMARY,
        NotificationKind.TEARSHEETS,
        NotificationKind.HEDGE_ROLLED,
        NotificationKind.DATA_REFRESHED,
    }
)
"""What a destination receives only when its `kinds` name it."""


class Destination(BaseModel):
    """An address on a channel (an email address, or an http(s) webhook URL) and the kinds of
    notification it receives."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    channel: ChannelName
    address: str = Field(min_length=3, max_length=2048)
    kinds: frozenset[NotificationKind] = Field(default=ALERT_KINDS, min_length=1)

    @field_validator("address")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()

    @model_validator(mode="after")
    def _address_fits_channel(self) -> Destination:
        if self.channel == "email":
            local, _, domain = self.address.rpartition("@")
            if not local or "." not in domain or any(c.isspace() for c in self.address):
                raise ValueError("address: an email destination needs an email address")
        elif not self.address.startswith(("https://", "http://")):
            raise ValueError("address: a webhook destination needs an http(s) URL")
        return self

    @classmethod
    def with_opt_ins(
        cls,
        channel: ChannelName,
        address: str,
        *,
        fills: bool = False,
        daily_summary: bool = False,
        tearsheets: bool = False,
        hedge_rolls: bool = False,
        data_refreshes: bool = False,
    ) -> Destination:
        """The alerts, plus fills, the daily summary, the tearsheets, hedge rolls and market
        data refreshes if asked for."""
        kinds = set(ALERT_KINDS)
        if hedge_rolls:
            kinds.add(NotificationKind.HEDGE_ROLLED)
        if data_refreshes:
            kinds.add(NotificationKind.DATA_REFRESHED)
        if fills:
            kinds.add(NotificationKind.FILL)
        if daily_summary:
            kinds.add(NotificationKind.DAILY_SUMMARY)
        if tearsheets:
            kinds.add(NotificationKind.TEARSHEETS)
        return cls(channel=channel, address=address, kinds=frozenset(kinds))


class NotificationPreferences(BaseModel):
    """A deployment's destinations (none: it sends nothing)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    destinations: tuple[Destination, ...] = ()

    def destinations_for(self, kind: NotificationKind) -> list[Destination]:
        """The destinations that receive `kind`, in the order given."""
        return [d for d in self.destinations if kind in d.kinds]

    def webhook_problems(self, policy: WebhookPolicy) -> list[tuple[str, str]]:
        """What `policy` refuses of the webhook destinations, as (field path under the
        preferences, e.g. ``destinations.0.address``, problem) pairs; [] when all pass. Called
        when preferences are saved (a deployment, a profile); deliveries check again."""
        problems: list[tuple[str, str]] = []
        for i, destination in enumerate(self.destinations):
            if destination.channel != "webhook":
                continue
            try:
                policy.check(destination.address)
            except UnsafeDestinationError as exc:
                problems.append((f"destinations.{i}.address", str(exc)))
        return problems
