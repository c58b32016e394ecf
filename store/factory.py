"""Choosing and opening the store from settings.

`open_store(settings)` returns the `Store` its store settings group configures (`Settings.store`,
a `settings.StoreSettings`: `STRATIGOS_STORE_*` environment variables, e.g.
`STRATIGOS_STORE_BACKEND=aws`); the SQLite file defaults to `<data_dir>/store.sqlite`.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from settings import Settings, StoreSettings, get_settings
from store.api_keys import NO_PEPPER
from store.base import Store
from store.common import Clock, utc_now
from store.errors import StoreUnavailableError


def open_store(
    settings: Settings | None = None, config: StoreSettings | None = None, *, clock: Clock = utc_now
) -> Store:
    """The store `config` configures (default: `settings.store`; `settings` defaults to the
    process's), its SQLite file defaulting to `<settings.data_dir>/store.sqlite`
    (`StoreUnavailableError` if it cannot be opened)."""
    config = config or (settings or get_settings()).store
    pepper = config.api_key_pepper.get_secret_value()
    if not config.api_key_checks:  # this process hashes no API key: it holds no pepper
        pepper = NO_PEPPER
    elif config.api_key_pepper_secret_id:
        pepper = read_secret(config.api_key_pepper_secret_id, config)
    if config.backend == "aws":
        from store.aws import AWSStore

        return AWSStore(
            config.table_name,
            config.s3_bucket,
            region=config.aws_region,
            endpoint_url=config.aws_endpoint_url,
            max_attempts=config.max_attempts,
            connect_timeout=config.connect_timeout,
            read_timeout=config.read_timeout,
            inline_limit_bytes=config.inline_limit_bytes,
            api_key_pepper=pepper,
            clock=clock,
            documents_bucket=config.documents_s3_bucket,
            model_artifacts_bucket=config.model_artifacts_s3_bucket,
            delete_checkpoints=partial(_delete_checkpoints, config),
        )
    from store.sqlite import SQLiteStore

    path = config.sqlite_path or (settings or get_settings()).data_dir / "store.sqlite"
    return SQLiteStore(path, api_key_pepper=pepper, clock=clock)


def _delete_checkpoints(config: StoreSettings, thread_ids: Sequence[str]) -> None:
    """`store.checkpoints.delete_checkpoints`, LangGraph's saver imported on the first purge
    that needs it (opening the store imports no LangGraph)."""
    from store.checkpoints import delete_checkpoints

    delete_checkpoints(config, thread_ids)


def read_secret(secret_id: str, config: StoreSettings) -> str:
    """The string value of a Secrets Manager secret, read in the store's region and endpoint
    with its retries and timeouts (`StoreUnavailableError` if unreadable)."""
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError

    client = boto3.client(
        "secretsmanager",
        region_name=config.aws_region,
        endpoint_url=config.aws_endpoint_url,
        config=Config(
            retries={"total_max_attempts": config.max_attempts, "mode": "standard"},
            connect_timeout=config.connect_timeout,
            read_timeout=config.read_timeout,
        ),
    )
    try:
        value = client.get_secret_value(SecretId=secret_id).get("SecretString")
    except (BotoCoreError, ClientError) as exc:
        raise StoreUnavailableError(
            f"cannot read the API key pepper secret {secret_id}: {exc}"
        ) from exc
    if not value:
        raise StoreUnavailableError(f"the API key pepper secret {secret_id} has no string value")
    return str(value)
