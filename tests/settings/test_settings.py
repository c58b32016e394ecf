"""Settings: defaults, environment variables and the TOML settings file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError
from pydantic_settings import SettingsError

from settings import (
    ENV_PREFIX,
    ComputeSettings,
    ModelSettings,
    SageMakerSettings,
    Settings,
    StoreSettings,
    environment_values,
    get_settings,
    setting_fields,
)
from settings.fields import group_class


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("STRATIGOS_DATA_DIR", "STRATIGOS_LOG_LEVEL", "STRATIGOS_SETTINGS_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()


def test_defaults_put_data_under_the_home_directory() -> None:
    settings = Settings()
    assert settings.data_dir == Path.home() / ".stratigos"
    assert settings.log_level == "INFO"


def test_environment_variables_override_defaults(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("STRATIGOS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("STRATIGOS_LOG_LEVEL", "debug")
    settings = get_settings()
    assert settings.data_dir == tmp_path / "data"
    assert settings.log_level == "DEBUG"
    assert settings.ensure_data_dir().is_dir()


def test_settings_file_is_read_and_environment_wins(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "stratigos.toml").write_text('data_dir = "/srv/stratigos"\nlog_level = "WARNING"\n')
    settings = get_settings()
    assert settings.data_dir == Path("/srv/stratigos")
    assert settings.log_level == "WARNING"
    assert settings.settings_file == Path("stratigos.toml")
    monkeypatch.setenv("STRATIGOS_LOG_LEVEL", "ERROR")
    get_settings.cache_clear()
    assert get_settings().log_level == "ERROR"


def test_explicit_settings_file_must_exist(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("STRATIGOS_SETTINGS_FILE", str(tmp_path / "missing.toml"))
    with pytest.raises(FileNotFoundError, match=r"missing\.toml"):
        get_settings()


def test_unknown_and_invalid_settings_are_refused(tmp_path: Path) -> None:
    (tmp_path / "stratigos.toml").write_text('colour = "blue"\n')
    with pytest.raises(ValidationError, match="colour"):
        get_settings()
    with pytest.raises(ValidationError, match="log_level"):
        Settings(log_level="LOUD")


def test_model_provider_auto_resolves_to_offline_without_aws_credentials(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_PROFILE",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    assert Settings().models.resolved_provider() == "offline"
    monkeypatch.setenv("AWS_PROFILE", "research")
    assert Settings().models.resolved_provider() == "offline"  # a profile without its file
    (tmp_path / "config").write_text("[profile research]\nregion = eu-west-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    assert Settings().models.resolved_provider() == "bedrock"  # looked at anew, not remembered
    monkeypatch.delenv("AWS_PROFILE")
    assert Settings().models.resolved_provider() == "offline"
    (tmp_path / "credentials").write_text("[default]\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    assert Settings().models.resolved_provider() == "bedrock"  # credentials written later
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-a-real-secret")
    assert Settings().models.resolved_provider() == "bedrock"
    assert (
        Settings(models=ModelSettings(provider="offline")).models.resolved_provider() == "offline"
    )


def test_bedrock_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRATIGOS_BEDROCK_REGION", "eu-west-1")
    monkeypatch.setenv("STRATIGOS_BEDROCK_MODEL_IDS", '{"explanation": "amazon.nova-pro-v1:0"}')
    settings = Settings()
    assert settings.bedrock.region == "eu-west-1"
    assert settings.bedrock.model_ids == {"explanation": "amazon.nova-pro-v1:0"}
    assert settings.checkpoint_path == settings.data_dir / "checkpoints.sqlite"


def test_the_classification_file_is_unset_by_default_and_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("STRATIGOS_CLASSIFICATION_FILE", raising=False)
    assert Settings().classification_file is None
    monkeypatch.setenv("STRATIGOS_CLASSIFICATION_FILE", str(tmp_path / "vendor.csv"))
    assert Settings().classification_file == tmp_path / "vendor.csv"


# -- the groups and their environment variables ----------------------------------------------


def test_every_setting_has_its_own_stratigos_variable_and_file_key() -> None:
    fields = setting_fields(Settings)
    names = [name for s in fields for name in (s.env_name, *s.fallback_env_names)]
    assert all(s.env_name.startswith(ENV_PREFIX) for s in fields)
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)
    keys = [key for s in fields for key in s.file_keys]
    assert len(keys) == len(set(keys))
    # every group field is a group; every other field is one setting
    paths = {s.path for s in fields}
    assert ("compute", "sagemaker", "bucket") in paths and ("data_dir",) in paths
    for name, field in Settings.model_fields.items():
        assert (group_class(field) is not None) == ((name,) not in paths)


def test_the_variables_keep_their_names(monkeypatch: pytest.MonkeyPatch) -> None:
    variables = {
        "STRATIGOS_BEDROCK_REGION": "eu-west-1",
        "STRATIGOS_STORE_BACKEND": "aws",
        "STRATIGOS_COMPUTE_SAGEMAKER_BUCKET": "batches",
        "STRATIGOS_API_MAX_BODY_BYTES": "2048",
        "STRATIGOS_API_COGNITO_ISSUER": "https://cognito.example",
        "STRATIGOS_NOTIFICATIONS_SMTP_PASSWORD": "hunter2",
        "STRATIGOS_TRACING": "otlp",
        "STRATIGOS_OTEL_SERVICE_NAME": "api",
        "STRATIGOS_TRACE_CONTENT": "true",
        "STRATIGOS_HEDGE_LIMIT_TOLERANCE": "0.2",
        "STRATIGOS_BEDROCK_EMBEDDING_MODEL_ID": "titan",
        "STRATIGOS_JOBS_TICKS": '["a", "b"]',
        "STRATIGOS_ENVIRONMENT": "production",
        "STRATIGOS_STORE_API_KEY_PEPPER": "a-pepper-of-production",
    }
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    assert settings.bedrock.region == "eu-west-1"
    assert settings.store.backend == "aws"
    assert settings.compute.sagemaker.bucket == "batches"
    assert settings.api.max_body_bytes == 2048
    assert settings.api.cognito.issuer == "https://cognito.example"
    assert settings.notifications.smtp.password is not None
    assert settings.notifications.smtp.password.get_secret_value() == "hunter2"
    assert settings.tracing.exporter == "otlp" and settings.tracing.service_name == "api"
    assert settings.tracing.content is True
    assert settings.execution.hedge_limit_tolerance == 0.2
    assert settings.embeddings.bedrock_model_id == "titan"
    assert settings.jobs.ticks == ["a", "b"]
    assert settings.environment == "production" and not settings.is_development()
    assert settings.store.api_key_pepper.get_secret_value() == "a-pepper-of-production"
    assert environment_values(Settings, variables)["compute"] == {
        "sagemaker": {"bucket": "batches"}
    }


def test_outside_local_development_the_api_key_pepper_must_be_set() -> None:
    """Production (said, or a store on AWS) refuses the built-in pepper, naming the settings
    that set one; local development (the default on SQLite) accepts it."""
    for values in ({"environment": "production"}, {"store": {"backend": "aws"}}):
        with pytest.raises(ValidationError, match="STRATIGOS_STORE_API_KEY_PEPPER") as refused:
            Settings(**values)
        assert "STRATIGOS_STORE_API_KEY_PEPPER_SECRET_ID" in str(refused.value)
    assert Settings().is_development()
    assert not Settings(store={"backend": "aws", "api_key_pepper": "p" * 32}).is_development()
    assert not Settings(
        store={"backend": "aws", "api_key_pepper_secret_id": "arn:x"}
    ).is_development()
    assert Settings(store={"backend": "aws"}, environment="development").is_development()


def test_ray_address_falls_back_to_ray_address(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAY_ADDRESS", "ray://fallback:10001")
    assert Settings().compute.ray.address == "ray://fallback:10001"
    monkeypatch.setenv("STRATIGOS_COMPUTE_RAY_ADDRESS", "ray://head:10001")
    assert Settings().compute.ray.address == "ray://head:10001"


def test_a_group_given_in_code_keeps_the_other_variables_of_the_group(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STRATIGOS_STORE_TABLE_PREFIX", "env-")
    monkeypatch.setenv("STRATIGOS_STORE_BACKEND", "aws")
    monkeypatch.setenv("STRATIGOS_STORE_API_KEY_PEPPER", "pepper-of-the-test")
    settings = Settings(store=StoreSettings(backend="sqlite"))
    assert settings.store.backend == "sqlite"
    assert settings.store.table_prefix == "env-"
    sagemaker = SageMakerSettings(bucket="code")
    settings = Settings(compute=ComputeSettings(backend="sagemaker", sagemaker=sagemaker))
    assert settings.compute.sagemaker.bucket == "code"


def test_unknown_variables_are_ignored_and_unknown_keys_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("STRATIGOS_COLOUR", "blue")
    monkeypatch.setenv("STRATIGOS_BEDROCK_COLOUR", "blue")
    assert Settings().bedrock.region == "us-east-1"
    with pytest.raises(ValidationError, match="colour"):
        Settings(colour="blue")  # type: ignore[call-arg]
    (tmp_path / "stratigos.toml").write_text('[bedrock]\ncolour = "blue"\n')
    with pytest.raises(ValidationError, match=r"bedrock\.colour"):
        get_settings()


def test_the_settings_file_takes_flat_keys_and_group_tables(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "stratigos.toml").write_text(
        'bedrock_region = "eu-west-1"\n'
        'tracing = "otlp"\n'
        'compute_sagemaker_bucket = "flat"\n'
        'model_providers = {explanation = "offline"}\n'
        "[store]\n"
        'backend = "aws"\n'
        'api_key_pepper_secret_id = "stratigos/pepper"\n'
        "[compute.ray]\n"
        "num_cpus = 2\n"
        "[api.cognito]\n"
        'issuer = "https://cognito.example"\n'
    )
    settings = get_settings()
    assert settings.bedrock.region == "eu-west-1"
    assert settings.tracing.exporter == "otlp"
    assert settings.compute.sagemaker.bucket == "flat"
    assert settings.compute.ray.num_cpus == 2
    assert settings.models.providers == {"explanation": "offline"}
    assert settings.store.backend == "aws"
    assert settings.api.cognito.issuer == "https://cognito.example"
    monkeypatch.setenv("STRATIGOS_STORE_BACKEND", "sqlite")
    monkeypatch.setenv("STRATIGOS_COMPUTE_RAY_NUM_CPUS", "3")
    get_settings.cache_clear()
    settings = get_settings()
    assert (settings.store.backend, settings.compute.ray.num_cpus) == ("sqlite", 3)
    assert settings.bedrock.region == "eu-west-1"


def test_a_setting_given_twice_in_the_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "stratigos.toml").write_text('store_backend = "aws"\n[store]\nbackend = "sqlite"\n')
    with pytest.raises(SettingsError, match=r"STRATIGOS_STORE_BACKEND \(store_backend\) twice"):
        get_settings()


def test_errors_name_the_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRATIGOS_COMPUTE_SAGEMAKER_MAX_ATTEMPTS", "0")
    with pytest.raises(ValidationError, match=r"STRATIGOS_COMPUTE_SAGEMAKER_MAX_ATTEMPTS"):
        Settings()
    monkeypatch.delenv("STRATIGOS_COMPUTE_SAGEMAKER_MAX_ATTEMPTS")
    with pytest.raises(ValidationError, match=r"STRATIGOS_BEDROCK_MAX_ATTEMPTS \(bedrock_max"):
        Settings(bedrock={"max_attempts": 11})  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"STRATIGOS_STORE_READ_TIMEOUT"):
        StoreSettings(read_timeout=0)
    monkeypatch.setenv("STRATIGOS_MODEL_PROVIDERS", "{not json")
    with pytest.raises(SettingsError, match="STRATIGOS_MODEL_PROVIDERS is not valid JSON"):
        Settings()


def test_the_configuration_page_names_only_real_variables() -> None:
    page = (Path(__file__).parents[2] / "docs" / "configuration.md").read_text()
    named = set(re.findall(r"\bSTRATIGOS_[A-Z0-9_]*[A-Z0-9]\b", page))
    variables = {s.env_name for s in setting_fields(Settings)}
    assert named - variables == set()
