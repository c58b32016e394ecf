"""The stage's two web ACLs, the REST API's (regional) and the distribution's (CloudFront), and
their logs.

- `web_acl`: an ACL of `web_acl_rules`: with `blocked_countries`, a geo-match rule refusing their
  requests first; then a per-IP rate limit (`waf_rate_limit_per_5min`), AWS's common rules
  (large bodies counted, not blocked: dataset uploads) and known bad inputs. Metrics are named
  `<prefix>-[<label>-]<rule>`.
- Every request an ACL sees is logged to the log group `aws-waf-logs-<prefix>-<label>` (WAF
  takes only names with that prefix) with the stage's retention, the `Authorization` and
  `x-api-key` headers redacted (credentials never reach a log). A CloudFront ACL's log group is
  in us-east-1 with the ACL.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_kms as kms
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from infra.config import StageConfig
from infra.stacks.common import log_group

REDACTED_HEADERS = ("authorization", "x-api-key")
"""Request headers WAF's logs never hold: a Cognito token, an app or usage-plan API key."""
WAF_LOG_PREFIX = "aws-waf-logs-"
"""The prefix WAF requires of a CloudWatch Logs destination's name."""


def visibility(config: StageConfig, name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    """CloudWatch metrics and sampled requests under the metric name `<prefix>-<name>`."""
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True,
        metric_name=f"{config.prefix}-{name}",
        sampled_requests_enabled=True,
    )


def web_acl(
    scope: Construct,
    construct_id: str,
    config: StageConfig,
    *,
    label: str,
    scope_name: str,
    key: kms.IKey,
) -> wafv2.CfnWebACL:
    """The web ACL `<prefix>-<label>` of `scope_name` (``REGIONAL`` or ``CLOUDFRONT``) with the
    stage's rules, its requests logged (encrypted with `key`; see the module docstring)."""
    acl = wafv2.CfnWebACL(
        scope,
        construct_id,
        name=f"{config.prefix}-{label}",
        scope=scope_name,
        default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
        visibility_config=visibility(config, label),
        rules=web_acl_rules(config, "" if label == "api" else label),
    )
    name = f"{WAF_LOG_PREFIX}{config.prefix}-{label}"
    logs = log_group(scope, f"{construct_id}Logs", config, label, key=key, full_name=name)
    destination = Stack.of(scope).format_arn(
        service="logs",
        resource="log-group",
        resource_name=name,
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )
    logging = wafv2.CfnLoggingConfiguration(
        scope,
        f"{construct_id}Logging",
        resource_arn=acl.attr_arn,
        log_destination_configs=[destination],
        redacted_fields=[
            wafv2.CfnLoggingConfiguration.FieldToMatchProperty(single_header={"Name": header})
            for header in REDACTED_HEADERS
        ],
    )
    logging.node.add_dependency(logs)
    return acl


def web_acl_rules(config: StageConfig, label: str = "") -> list[Any]:
    """The rules of the stage's web ACLs (see the module docstring); `label` names their
    metrics (`<prefix>-[<label>-]<rule>`)."""
    tag = f"{label}-" if label else ""

    def managed(name: str, priority: int, count: tuple[str, ...] = ()) -> Any:
        overrides = [
            wafv2.CfnWebACL.RuleActionOverrideProperty(
                name=rule, action_to_use=wafv2.CfnWebACL.RuleActionProperty(count={})
            )
            for rule in count
        ]
        return wafv2.CfnWebACL.RuleProperty(
            name=name,
            priority=priority,
            override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
            statement=wafv2.CfnWebACL.StatementProperty(
                managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                    vendor_name="AWS", name=name, rule_action_overrides=overrides or None
                )
            ),
            visibility_config=visibility(config, f"{tag}{name}"),
        )

    rules = []
    if config.blocked_countries:
        rules.append(
            wafv2.CfnWebACL.RuleProperty(
                name="BlockedCountries",
                priority=0,
                action=wafv2.CfnWebACL.RuleActionProperty(block={}),
                statement=wafv2.CfnWebACL.StatementProperty(
                    geo_match_statement=wafv2.CfnWebACL.GeoMatchStatementProperty(
                        country_codes=list(config.blocked_countries)
                    )
                ),
                visibility_config=visibility(config, f"{tag}blocked-countries"),
            )
        )
    first = len(rules)
    rules += [
        wafv2.CfnWebACL.RuleProperty(
            name="RateLimitPerIp",
            priority=first,
            action=wafv2.CfnWebACL.RuleActionProperty(block={}),
            statement=wafv2.CfnWebACL.StatementProperty(
                rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                    aggregate_key_type="IP",
                    limit=config.waf_rate_limit_per_5min,
                    evaluation_window_sec=300,
                )
            ),
            visibility_config=visibility(config, f"{tag}rate-limit"),
        ),
        managed("AWSManagedRulesCommonRuleSet", first + 1, count=("SizeRestrictions_BODY",)),
        managed("AWSManagedRulesKnownBadInputsRuleSet", first + 2),
    ]
    return rules
