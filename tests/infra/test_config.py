"""Stage configuration, Bedrock ARNs, the build context and handler wiring (no synthesis)."""

from __future__ import annotations

import importlib
import importlib.util

import pytest

from infra.bedrock import model_resource_arns
from infra.config import (
    COMPUTE_PREFIX,
    EMBEDDING_DIMENSION_CHOICES,
    INFERENCE_PROFILE_REGIONS,
    STAGE_NAMES,
    stage_config,
)
from settings import (
    ComputeSettings,
    NotificationSettings,
    SageMakerSettings,
    Settings,
    StoreSettings,
    setting_fields,
)
from settings.groups import embeddings as embedding_settings
from tests.support.cdk_synth import ROOT


def test_defaults_mirror_the_application_settings() -> None:
    from jobs.backends.sagemaker import SageMakerBackend

    fields = {setting.file_key: setting.field for setting in setting_fields(Settings)}
    config = stage_config("dev")
    assert config.strong_model_id == fields["bedrock_strong_model_id"].default
    assert config.fast_model_id == fields["bedrock_fast_model_id"].default
    assert config.embedding_model_id == fields["bedrock_embedding_model_id"].default
    assert config.embedding_dimensions == fields["embedding_dimensions"].default
    assert EMBEDDING_DIMENSION_CHOICES == embedding_settings.EMBEDDING_DIMENSION_CHOICES
    assert fields["compute_sagemaker_prefix"].default == COMPUTE_PREFIX
    # each stage names its processing jobs itself (IAM and the failure alarm match on it)
    for stage in STAGE_NAMES:
        prefix = stage_config(stage).job_name_prefix
        sagemaker = SageMakerSettings(
            job_name_prefix=prefix, bucket="b", role_arn="r", image_uri="i"
        )
        settings = Settings(compute=ComputeSettings(sagemaker=sagemaker))
        backend = SageMakerBackend.from_config(
            settings.compute, s3_client=object(), sagemaker_client=object()
        )
        assert backend._job_name().startswith(f"{prefix}-")


@pytest.mark.parametrize("stage", STAGE_NAMES)
def test_stage_names_and_tables(stage: str) -> None:
    config = stage_config(stage)
    assert config.prefix == f"stratigos-{stage}"
    assert config.table_prefix == f"stratigos-{stage}-"
    # the store derives both names from the prefix the same way (settings/groups/store.py)
    store = StoreSettings(table_prefix=config.table_prefix)
    assert (store.table_name, store.checkpoint_table, store.memory_table) == (
        config.store_table_name,
        config.checkpoint_table_name,
        config.memory_table_name,
    )


def test_overrides_from_context_strings() -> None:
    config = stage_config(
        "prod",
        {
            "alarm_email": "ops@example.com",
            "worker_max_concurrency": "8",
            "api_throttle_rate": "12.5",
            "cognito_authorizer": "false",
            "extra_model_ids": "amazon.nova-pro-v1:0, amazon.nova-lite-v1:0",
            "checkpoint_ttl_days": "7",
            "documents_noncurrent_days": "90",
            "unrelated": "ignored",
        },
    )
    assert config.alarm_email == "ops@example.com"
    assert config.worker_max_concurrency == 8
    assert config.api_throttle_rate == 12.5
    assert config.cognito_authorizer is False
    assert config.extra_model_ids == ("amazon.nova-pro-v1:0", "amazon.nova-lite-v1:0")
    assert config.checkpoint_ttl_days == 7
    assert config.documents_noncurrent_days == 90
    assert stage_config("prod").alarm_email is None  # the stage table is unchanged


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"worker_max_concurrency": "many"}, "worker_max_concurrency"),
        ({"cognito_authorizer": "maybe"}, "cognito_authorizer"),
    ],
)
def test_invalid_overrides_name_the_field(values: dict[str, str], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        stage_config("dev", values)


def test_invalid_values_are_rejected() -> None:
    with pytest.raises(ValueError, match="unknown stage 'qa'"):
        stage_config("qa")
    with pytest.raises(ValueError, match="compute_backend"):
        stage_config("dev", {"compute_backend": "lambda"})
    with pytest.raises(ValueError, match="worker_max_concurrency"):
        stage_config("dev", {"worker_max_concurrency": "1"})
    with pytest.raises(ValueError, match="documents_noncurrent_days=0"):
        stage_config("dev", {"documents_noncurrent_days": "0"})
    for sender in ("notifications", "ops@localhost", "a b@example.com"):
        with pytest.raises(ValueError, match="notifications_email_from"):
            stage_config("dev", {"notifications_email_from": sender})
    for vault in (
        "stratigos-copies",
        "arn:aws:s3:::bucket",
        "arn:aws:backup:us-east-1:1:backup-vault:v",
    ):
        with pytest.raises(ValueError, match="backup_copy_vault_arn"):
            stage_config("prod", {"backup_copy_vault_arn": vault})
    with pytest.raises(ValueError, match="api_reserved_concurrency=2 must be more than"):
        stage_config("prod", {"api_reserved_concurrency": "2", "api_provisioned_concurrency": "2"})
    with pytest.raises(ValueError, match="ws_reserved_concurrency=0"):
        stage_config("dev", {"ws_reserved_concurrency": "0"})
    assert stage_config("dev", {"permissions_boundary": "none"}).boundary is None
    assert stage_config("dev").boundary == "stratigos-boundary"


def test_notification_sender_per_stage_and_from_context() -> None:
    for stage in STAGE_NAMES:  # no placeholder sender: a stage names its own or sends no e-mail
        assert stage_config(stage).notifications_email_from is None
        assert stage_config(stage).creates_email_identity is False
    config = stage_config("prod", {"notifications_email_from": "alerts@desk.example.org"})
    assert config.notifications_email_from == "alerts@desk.example.org"
    # the worker's settings accept it as the sender
    assert Settings(notifications=NotificationSettings(email_from=config.notifications_email_from))


def test_model_arns_of_a_cross_region_profile() -> None:
    arns = model_resource_arns(
        ["us.anthropic.claude-haiku-4-5-20251001-v1:0"],
        region="us-east-1",
        account="123456789012",
        inference_profile_regions=INFERENCE_PROFILE_REGIONS,
    )
    assert arns == [
        "arn:aws:bedrock:us-east-1:123456789012:inference-profile/"
        "us.anthropic.claude-haiku-4-5-20251001-v1:0",
        "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-haiku-4-5-20251001-v1:0",
        "arn:aws:bedrock:us-east-2::foundation-model/anthropic.claude-haiku-4-5-20251001-v1:0",
        "arn:aws:bedrock:us-west-2::foundation-model/anthropic.claude-haiku-4-5-20251001-v1:0",
    ]


def test_model_arns_of_foundation_models_global_profiles_and_arns() -> None:
    profile_arn = "arn:aws:bedrock:eu-west-1:123456789012:application-inference-profile/abc"
    arns = model_resource_arns(
        ["amazon.nova-pro-v1:0", "global.anthropic.claude-x-v1:0", profile_arn],
        region="eu-west-1",
        account="123456789012",
        inference_profile_regions=INFERENCE_PROFILE_REGIONS,
    )
    assert arns == sorted(
        [
            "arn:aws:bedrock:eu-west-1::foundation-model/amazon.nova-pro-v1:0",
            "arn:aws:bedrock:eu-west-1:123456789012:inference-profile/"
            "global.anthropic.claude-x-v1:0",
            "arn:aws:bedrock:::foundation-model/anthropic.claude-x-v1:0",
            profile_arn,
        ]
    )
    assert not any("*" in arn for arn in arns)


def test_unknown_inference_profile_geo_is_an_error() -> None:
    with pytest.raises(ValueError, match="geo 'ca'"):
        model_resource_arns(
            ["ca.anthropic.claude-x-v1:0"],
            region="ca-central-1",
            account="1",
            inference_profile_regions=INFERENCE_PROFILE_REGIONS,
        )


def test_dockerignore_trims_the_build_context() -> None:
    patterns = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".venv", ".git", "tests", "infra/cdk.out", "**/__pycache__"} <= patterns
    # the images install the project: its metadata and packages stay in the context
    for needed in ("pyproject.toml", "README.md", "jobs", "api", "store", "prompts"):
        assert needed not in patterns


@pytest.mark.parametrize(
    "handler",
    [
        "jobs.lambda_handlers.sqs_worker",
        "jobs.lambda_handlers.cleanup",
        "api.ws_gateway.handler",
        "api.lambda_handler.handler",
        "api.app.app",
    ],
)
def test_wired_handlers_exist(handler: str) -> None:
    module_name, _, attribute = handler.rpartition(".")
    assert importlib.util.find_spec(module_name) is not None, f"no module {module_name}"
    module = importlib.import_module(module_name)
    assert hasattr(module, attribute), f"{module_name} has no {attribute}"


def test_embedding_dimensions_are_titans_choices() -> None:
    assert stage_config("dev", {"embedding_dimensions": "512"}).embedding_dimensions == 512
    with pytest.raises(ValueError, match="embedding_dimensions=300 must be one of 256, 512"):
        stage_config("dev", {"embedding_dimensions": "300"})


def test_the_default_models_are_the_model_catalog_s() -> None:
    from settings.model_catalog import model_catalog

    config = stage_config("dev")
    catalog = model_catalog()
    current = catalog.generation_ids("current")
    # a throttled call on a geographic profile tries the model's global profile next: granted
    routes = tuple(g for m in current if (g := catalog.global_profile(m)) is not None)
    assert routes and all(route.startswith("global.") for route in routes)
    assert config.model_ids == (*current, *routes)
    assert config.embedding_model_id == catalog.default_id("embedding")


def test_fallback_models_are_granted_and_told_to_the_functions() -> None:
    config = stage_config(
        "prod",
        {
            "fallback_strong_model_id": "us.anthropic.claude-opus-5-5",
            "fallback_fast_model_id": "amazon.nova-lite-v1:0",
        },
    )
    assert config.fallback_model_ids == {
        "strong": "us.anthropic.claude-opus-5-5",
        "fast": "amazon.nova-lite-v1:0",
    }
    assert {"us.anthropic.claude-opus-5-5", "amazon.nova-lite-v1:0"} <= set(config.model_ids)
    assert stage_config("prod").fallback_model_ids == {}


def test_the_deployment_guide_names_the_catalog_s_current_generation() -> None:
    """docs/DEPLOY.md's prerequisites and model section name the models the catalog makes the
    defaults (by name and by id), and the previous generation only as the previous one."""
    from settings.model_catalog import model_catalog

    catalog = model_catalog()
    guide = (ROOT / "docs" / "DEPLOY.md").read_text()
    prerequisites = guide[guide.index("## 1. Prerequisites") : guide.index("## 2. First")]
    for tier in ("strong", "fast"):
        current = catalog.default_id(tier)
        resolved = catalog.resolve(current)
        assert resolved is not None
        assert resolved.model.name in prerequisites, resolved.model.name
        assert f"`{current}`" in guide
        previous = catalog.resolve(catalog.default_id(f"previous_{tier}"))
        assert previous is not None and previous.model.name not in prerequisites
