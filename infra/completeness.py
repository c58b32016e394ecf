"""What a production deployment must name before it synthesizes, and what the synthesis warns of.

A production stage (and any instance of it) is refused, with one message naming every missing
setting and how to give it, unless it has:

- the account and region it deploys to (`-c account=... -c region=...`, or the CLI's
  `CDK_DEFAULT_ACCOUNT` / `CDK_DEFAULT_REGION`): one account per stage, and the region decides
  where the backups are copied (`replica_region=auto`);
- an alarm destination: `alarm_email` (subscribed to the alarm topic; not at a documentation
  domain) and/or a Slack channel (`slack_workspace_id` with `slack_channel_id`, through AWS
  Chatbot);
- a sender for notification e-mails, `notifications_email_from`, an address of a domain that can
  receive the verification link SES mails (not a documentation or reserved domain);
- the market data's source and its refresh: `market_data=alpaca`, or `market_data_refresh=alpaca`
  (both need `market_data_owner`), or `market_data_refresh=none` said explicitly, which the
  synthesis then prints as a warning (nothing refreshes the prices: files alone bring them
  current);
- a custom domain (`domain_name`, `hosted_zone_id`, `hosted_zone_name`): its ACM certificate is
  what lets the distribution refuse anything older than TLS 1.2.

Other stages are never refused here; their warnings say what they lack (no e-mail sender, no
alarm destination).
"""

from __future__ import annotations

from infra.config import StageConfig

RESERVED_DOMAINS = ("example.com", "example.net", "example.org", "example", "localhost")
"""The documentation domains (RFC 2606) and the loopback name: the placeholders a copied example
leaves, where SES can never verify a sender."""

STAND_INS = {
    "account": "111111111111",
    "region": "us-east-1",
    "alarm_email": "alarms@stratigos.invalid",
    "notifications_email_from": "notifications@stratigos.invalid",
    "market_data_refresh": "none",
    "domain_name": "app.stratigos.invalid",
    "hosted_zone_id": "Z0000000000000STANDIN",
    "hosted_zone_name": "stratigos.invalid",
}
"""What a production synthesis that is only checked (CI's cdk-nag and cfn-lint, the picture of
docs/DEPLOY.md) uses for what `missing_settings` requires: `-c stand_ins=true` applies them
under the stage's own context. Nothing built with them can be deployed: the templates name the
account 111111111111, and the CDK CLI refuses credentials of any other (`.invalid` names no
real mailbox or domain either)."""


class IncompleteStage(ValueError):
    """A production stage lacks settings it cannot run safely without (`missing_settings`)."""

    def __init__(self, config: StageConfig, missing: list[str]) -> None:
        self.missing = missing
        lines = "\n".join(f"  - {item}" for item in missing)
        super().__init__(
            f"{config.prefix} (stage {config.stage}) cannot be synthesized; it needs:\n{lines}\n"
            "Give each with -c name=value (or in the stage's context, docs/DEPLOY.md)."
        )


def reserved_domain(address: str) -> bool:
    """Whether the e-mail `address`'s domain is, or is below, one of `RESERVED_DOMAINS`."""
    domain = address.rpartition("@")[2].lower().rstrip(".")
    return any(domain == d or domain.endswith(f".{d}") for d in RESERVED_DOMAINS)


def missing_settings(config: StageConfig, account: str | None, region: str | None) -> list[str]:
    """What a production `config` (deployed to `account` in `region`) lacks, one line each,
    naming the setting and its values; empty for other stages and a complete production."""
    if config.stage != "prod":
        return []
    missing = []
    if not account:
        missing.append("account: the production account's id (-c account=123456789012)")
    if not region:
        missing.append("region: the production region (-c region=us-east-1)")
    if not (config.alarm_email or config.slack_channel_id):
        missing.append(
            "an alarm destination: alarm_email=<address> and/or slack_workspace_id=<T...> "
            "with slack_channel_id=<C...>"
        )
    elif config.alarm_email and reserved_domain(config.alarm_email):
        missing.append(
            f"alarm_email={config.alarm_email} is at a reserved domain no one reads: name an "
            "address of yours"
        )
    sender = config.notifications_email_from
    if sender is None:
        missing.append("notifications_email_from=<a sender address SES can verify>")
    elif reserved_domain(sender):
        missing.append(
            f"notifications_email_from={sender} is at a reserved domain SES can never verify: "
            "name an address of yours"
        )
    if not (config.refreshes_market_data or config.market_data_refresh == "none"):
        missing.append(
            "the market data's refresh: market_data_refresh=alpaca with market_data_owner=<owner> "
            "(or market_data=alpaca), or market_data_refresh=none to trade on uploaded files only"
        )
    if not config.domain_name:
        missing.append(
            "domain_name=<app.your-domain> with hosted_zone_id and hosted_zone_name: the "
            "certificate that holds the distribution to TLS 1.2 at least"
        )
    return missing


def synthesis_warnings(config: StageConfig) -> list[str]:
    """What the synthesis of `config` prints as warnings (a complete stage may still lack these
    by choice)."""
    found = []
    explicit_none = config.market_data_refresh == "none" and not config.refreshes_market_data
    if config.stage == "prod" and explicit_none:
        found.append(
            f"{config.prefix}: market_data_refresh=none: nothing refreshes the market data; "
            "the stage trades on the files put under incoming/ of its market-data bucket, "
            "as current as the last one"
        )
    if config.stage == "prod" and config.replica_region is None:
        found.append(
            f"{config.prefix}: replica_region=none: no backup is copied to a second region "
            "(the recovery point objective of one hour holds only while the region does)"
        )
    if config.notifications_email_from is None:
        found.append(
            f"{config.prefix}: no notifications_email_from: the stage sends no e-mail "
            "(webhook notifications still go out)"
        )
    if not (config.alarm_email or config.slack_channel_id):
        found.append(f"{config.prefix}: no alarm_email or Slack channel: alarms reach no one")
    return found
