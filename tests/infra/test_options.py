"""The options no stage turns on by default, on the test app's fully optioned production instance
(`tests.support.cdk_synth.OPTIONS`): a custom domain at the edge, backup copies to a vault in another
region, provisioned concurrency for the API, and a fallback model for throttled calls (one
synthesis per session)."""

from __future__ import annotations

import json

import pytest

from tests.support.cdk_synth import (
    DOMAIN,
    OPTION_OVERRIDES,
    OPTIONS,
    PRODUCTION,
    REPLICA_REGION,
    Synthesized,
)
from tests.support.cfn_templates import identity_policies, one, resources

pytestmark = pytest.mark.xdist_group("cdk")  # one synthesis (a session fixture), on one worker


def test_the_options_instance_has_the_production_stacks_and_the_replica(
    synthesized: Synthesized,
) -> None:
    assert set(synthesized.templates[OPTIONS]) == {*synthesized.templates["prod"], "replica"}
    stacks = synthesized.stages[OPTIONS].stacks
    assert stacks["foundation"].stack_name == "stratigos-options-foundation"
    assert stacks["replica"].region == REPLICA_REGION
    assert stacks["replica"] in stacks["recovery"].dependencies  # deployed before the plan


def test_a_custom_domain_gets_a_certificate_records_and_tls_1_2(synthesized: Synthesized) -> None:
    raw = synthesized.templates[OPTIONS]["edge"]
    certificate = one(raw, "AWS::CertificateManager::Certificate")
    assert certificate["DomainName"] == DOMAIN and certificate["ValidationMethod"] == "DNS"
    [validation] = certificate["DomainValidationOptions"]
    assert validation["HostedZoneId"] == PRODUCTION["hosted_zone_id"]
    dist = one(raw, "AWS::CloudFront::Distribution")["DistributionConfig"]
    assert dist["Aliases"] == [DOMAIN]
    viewer = dist["ViewerCertificate"]
    assert viewer["MinimumProtocolVersion"] == "TLSv1.2_2021"
    assert viewer["SslSupportMethod"] == "sni-only"
    assert viewer["AcmCertificateArn"] == {"Ref": next(iter(resources(
        raw, "AWS::CertificateManager::Certificate")))}  # fmt: skip
    records = resources(raw, "AWS::Route53::RecordSet").values()
    assert sorted(r["Properties"]["Type"] for r in records) == ["A", "AAAA"]
    for record in records:
        props = record["Properties"]
        assert (
            props["Name"] == f"{DOMAIN}." and props["HostedZoneId"] == PRODUCTION["hosted_zone_id"]
        )
        assert "Distribution" in json.dumps(props["AliasTarget"]["DNSName"])
    # production cannot go without one (infra.completeness); staging may, so has neither
    default = synthesized.templates["staging"]["edge"]
    assert resources(default, "AWS::CertificateManager::Certificate") == {}
    assert resources(default, "AWS::Route53::RecordSet") == {}


def test_backups_are_copied_to_the_replica_vault_in_its_region(synthesized: Synthesized) -> None:
    replica = synthesized.templates[OPTIONS]["replica"]
    vault = one(replica, "AWS::Backup::BackupVault")
    assert vault["BackupVaultName"] == "stratigos-options-replica"
    key_id = vault["EncryptionKeyArn"]["Fn::GetAtt"][0]
    assert replica["Resources"][key_id]["Properties"]["EnableKeyRotation"] is True
    plan = one(synthesized.templates[OPTIONS]["recovery"], "AWS::Backup::BackupPlan")
    rules = {rule["RuleName"]: rule for rule in plan["BackupPlan"]["BackupPlanRule"]}
    assert set(rules) == {"hourly", "daily"}  # tests/infra/test_stakes.py: production's
    for name, days in (("hourly", 2), ("daily", 35)):
        copy, elsewhere = rules[name]["CopyActions"]
        assert copy["Lifecycle"] == elsewhere["Lifecycle"] == {"DeleteAfterDays": days}
        target = json.dumps(copy["DestinationBackupVaultArn"])
        assert f":{REPLICA_REGION}:" in target
        assert "backup-vault:stratigos-options-replica" in target
        # and to the other account's vault `backup_copy_vault_arn` names
        assert elsewhere["DestinationBackupVaultArn"] == OPTION_OVERRIDES["backup_copy_vault_arn"]


def test_provisioned_concurrency_serves_the_api_from_a_warm_alias(
    synthesized: Synthesized,
) -> None:
    raw = synthesized.templates[OPTIONS]["api"]
    alias = one(raw, "AWS::Lambda::Alias", Name="live")
    assert alias["ProvisionedConcurrencyConfig"] == {"ProvisionedConcurrentExecutions": 2}
    uris = [
        json.dumps(m["Properties"]["Integration"]["Uri"])
        for m in resources(raw, "AWS::ApiGateway::Method").values()
        if m["Properties"].get("Integration", {}).get("Type") == "AWS_PROXY"
    ]
    assert uris and all("FunctionAliaslive" in uri for uri in uris)
    # without the option the alias (which releases move) keeps no warm instance
    plain = one(synthesized.templates["prod"]["api"], "AWS::Lambda::Alias", Name="live")
    assert "ProvisionedConcurrencyConfig" not in plain


def test_a_fallback_model_is_told_to_the_functions_and_may_be_invoked(
    synthesized: Synthesized,
) -> None:
    raw = synthesized.templates[OPTIONS]["api"]
    functions = resources(raw, "AWS::Lambda::Function").values()
    told = [
        f["Properties"]["Environment"]["Variables"].get("STRATIGOS_BEDROCK_FALLBACK_MODEL_IDS")
        for f in functions
        if "STRATIGOS_BEDROCK_STRONG_MODEL_ID" in f["Properties"]["Environment"]["Variables"]
    ]
    assert told and all(json.loads(t) == {"strong": "us.anthropic.claude-opus-5-5"} for t in told)
    granted = json.dumps(
        [
            statement["Resource"]
            for policy in identity_policies(raw).values()
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]
            if "bedrock:InvokeModel" in statement["Action"]
        ]
    )
    for arn_tail in (
        "inference-profile/us.anthropic.claude-opus-5-5",  # the fallback
        "inference-profile/global.anthropic.claude-opus-5-5",  # and its global route
        "inference-profile/global.anthropic.claude-sonnet-5-5",  # the strong model's global route
    ):
        assert arn_tail in granted, arn_tail
