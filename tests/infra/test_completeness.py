"""Production refuses to synthesize incomplete, with a message naming what is missing (never a
trace), and prints its deliberate gaps as warnings (`infra.completeness`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from infra.completeness import (
    RESERVED_DOMAINS,
    STAND_INS,
    IncompleteStage,
    missing_settings,
    reserved_domain,
    synthesis_warnings,
)
from infra.config import PAIRED_REGIONS, stage_config
from infra.context import CONTEXT_ENV, cdk_context, first_refusal, launch_context
from tests.support.cdk_synth import JSII_CACHE

ROOT = Path(__file__).resolve().parents[2]
COMPLETE = {k: v for k, v in STAND_INS.items() if k not in ("account", "region")}


def test_production_without_its_settings_names_each_one() -> None:
    missing = missing_settings(stage_config("prod"), None, None)
    text = "\n".join(missing)
    for setting in (
        "account",
        "region",
        "alarm_email",
        "slack_channel_id",
        "notifications_email_from",
        "market_data_refresh",
        "domain_name",
    ):
        assert setting in text, setting
    assert len(missing) == 6  # account, region, alarms, sender, market data, domain


@pytest.mark.parametrize("dropped", sorted(COMPLETE))
def test_each_missing_setting_alone_is_refused(dropped: str) -> None:
    settings = {k: v for k, v in COMPLETE.items() if k != dropped}
    if dropped.startswith("hosted_zone"):  # StageConfig itself refuses a domain without a zone
        with pytest.raises(ValueError, match="hosted_zone"):
            stage_config("prod", settings)
        return
    missing = missing_settings(stage_config("prod", settings), "111111111111", "us-east-1")
    assert len(missing) == 1
    word = "alarm" if dropped == "alarm_email" else dropped
    assert word in missing[0]


def test_a_slack_channel_is_an_alarm_destination_too() -> None:
    settings = {k: v for k, v in COMPLETE.items() if k != "alarm_email"}
    slack = {"slack_workspace_id": "T1", "slack_channel_id": "C1"}
    assert missing_settings(stage_config("prod", settings | slack), "1", "us-east-1") == []


@given(
    st.sampled_from(RESERVED_DOMAINS),
    st.lists(
        st.builds(
            lambda word, n: f"{word}{n}",
            st.sampled_from(["desk", "mail", "x-y"]),
            st.integers(0, 99),
        ),
        max_size=3,
    ),
)
def test_a_sender_at_a_documentation_domain_is_refused(domain: str, labels: list[str]) -> None:
    sender = f"alerts@{'.'.join([*labels, domain])}"
    assert reserved_domain(sender) and reserved_domain(sender.upper())
    if "." not in sender.partition("@")[2]:  # not even an address: StageConfig refuses it
        with pytest.raises(ValueError, match="notifications_email_from"):
            stage_config("prod", {"notifications_email_from": sender})
        return
    config = stage_config("prod", COMPLETE | {"notifications_email_from": sender})
    (missing,) = missing_settings(config, "1", "us-east-1")
    assert "reserved domain" in missing and sender in missing


def test_an_alarm_address_no_one_reads_is_refused() -> None:
    config = stage_config("prod", COMPLETE | {"alarm_email": "ops@example.com"})
    (missing,) = missing_settings(config, "1", "us-east-1")
    assert "alarm_email=ops@example.com is at a reserved domain" in missing


def test_a_real_domain_is_not_taken_for_a_documentation_one() -> None:
    for sender in ("a@example.co", "a@notexample.com", "a@example.com.desk.org", "a@mylocalhost"):
        assert not reserved_domain(sender), sender


def test_other_stages_are_never_refused_but_warned() -> None:
    for stage in ("dev", "staging"):
        config = stage_config(stage)
        assert missing_settings(config, None, None) == []
        warnings = "\n".join(synthesis_warnings(config))
        assert "alarms reach no one" in warnings and "sends no e-mail" in warnings


def test_none_for_the_market_data_is_said_and_warned() -> None:
    explicit = stage_config("prod", COMPLETE | {"market_data_refresh": "none"})
    assert explicit.market_data_refresh == "none"  # a choice, not "unset"
    (warning,) = synthesis_warnings(explicit)
    assert "market_data_refresh=none" in warning and "nothing refreshes" in warning
    refreshed = stage_config(
        "prod", COMPLETE | {"market_data_refresh": "alpaca", "market_data_owner": "desk"}
    )
    assert synthesis_warnings(refreshed) == []
    assert stage_config("prod", {"market_data_refresh": ""}).market_data_refresh is None


def test_production_copies_its_backups_to_the_paired_region_by_default() -> None:
    config = stage_config("prod")
    assert config.replica_region == "auto" and config.backup
    for region, paired in PAIRED_REGIONS.items():
        resolved = config.with_replica_region(region)
        assert resolved.replica_region == paired != region
    assert config.with_replica_region("us-east-1").replica_region == "us-west-2"
    with pytest.raises(ValueError, match="replica_region=auto needs the stage's region"):
        config.with_replica_region(None)
    opted_out = stage_config("prod", {"replica_region": "none"}).with_replica_region("us-east-1")
    assert opted_out.replica_region is None
    warnings = synthesis_warnings(opted_out)
    assert any("no backup is copied to a second region" in w for w in warnings)
    named = stage_config("prod", {"replica_region": "eu-west-1"}).with_replica_region("us-east-1")
    assert named.replica_region == "eu-west-1"


def test_stakes_level_defaults() -> None:
    prod, staging, dev = (stage_config(s) for s in ("prod", "staging", "dev"))
    assert (prod.max_azs, prod.nat_gateways) == (3, 3)
    assert prod.mfa == staging.mfa == "required" and dev.mfa == "optional"
    with pytest.raises(ValueError, match="blocked_countries"):
        stage_config("prod", {"blocked_countries": "US,usa"})
    assert stage_config("prod", {"blocked_countries": "KP, IR"}).blocked_countries == ("KP", "IR")


NO_NODE = {"JSII_NODE": "/nonexistent/node"}
"""jsii's node binary made unstartable: loading the CDK fails with a trace (`infra.context`:
a stage the app builds first is refused before)."""


def synth(
    context: dict[str, object], tmp_path: Path, extra: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`python -m infra.app` (what `cdk synth` runs) with `context` (and the environment
    variables `extra`), as a process."""
    environment = (
        {k: v for k, v in os.environ.items() if not k.startswith(("CDK_", "AWS_"))}
        | {
            "CDK_CONTEXT_JSON": json.dumps(context),
            "CDK_OUTDIR": str(tmp_path / "cdk.out"),
            "HOME": str(tmp_path),
            "JSII_RUNTIME_PACKAGE_CACHE_ROOT": str(JSII_CACHE),
            "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        }
        | (extra or {})
    )
    return subprocess.run(
        [sys.executable, "-m", "infra.app"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_cdk_synth_of_an_incomplete_production_stops_with_a_message(tmp_path: Path) -> None:
    """Refused before the CDK is loaded (`NO_NODE`): at once, without node."""
    done = synth({"stage": "prod", "account": "111111111111"}, tmp_path, NO_NODE)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("error: stratigos-prod (stage prod) cannot be synthesized")
    for setting in ("region", "alarm_email", "notifications_email_from", "market_data_refresh"):
        assert setting in done.stderr, setting
    assert "account:" not in done.stderr  # given
    assert not (tmp_path / "cdk.out").exists() or not any((tmp_path / "cdk.out").iterdir())


def test_a_setting_production_refuses_stops_the_same_way(tmp_path: Path) -> None:
    done = synth({"stage": "prod", "stage:prod": '{"max_azs": 4}'}, tmp_path)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "error: max_azs=4 must be 2 or 3" in done.stderr


def test_only_the_first_stage_is_refused_before_the_cdk_is_loaded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`infra.context.first_refusal`: the stages after the first are checked as they are built
    (a stage before them may be refused by the CDK first), each with the refusal `build_app`
    raises; an unreadable context is left to the CDK's `App`."""
    incomplete = {"stage": "prod", "account": "111111111111"}
    refused = first_refusal(incomplete)
    assert isinstance(refused, IncompleteStage) and "alarm_email" in str(refused)
    assert first_refusal({}) is None  # dev first, production last
    assert first_refusal({"stage": "prod", **STAND_INS}) is None
    bad = first_refusal({"stage": "prod", "stage:prod": "{"})
    assert isinstance(bad, ValueError) and "stage:prod is not a JSON object" in str(bad)
    monkeypatch.setenv(CONTEXT_ENV, "[1]")
    assert launch_context() is None
    monkeypatch.setenv(CONTEXT_ENV, json.dumps(incomplete))
    assert launch_context() == cdk_context() | incomplete
