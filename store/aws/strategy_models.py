"""Strategy model versions in the AWS store: the bytes in the model-artifacts bucket at
`strategy-models/<owner>/<file name>` (the store's bucket when none is configured), the
metadata item `OWNER#<owner>` / `SMODEL#<version, 8 digits>` in the table, put only when that
version is free, so that a writer that lost the version number changes nothing visible (its
file is handed to the purge, `store.aws.purge`). The object is uploaded before the item: an
item never lists a missing object."""

from __future__ import annotations

from store.aws.items import _owner_pk
from store.aws.table import AwsTable
from store.aws.tombstones import Purge
from store.errors import NotFoundError
from store.strategy_models import (
    MODEL_MEDIA_TYPE,
    StrategyModelVersion,
    model_from_row,
    model_to_row,
)

_PREFIX = "SMODEL#"
OBJECT_PREFIX = "strategy-models/"
"""Where the versions' files live in the model-artifacts bucket (one prefix per owner below it;
the functions' roles are granted this prefix only, `infra.stacks.common`)."""


def _sk(version: int) -> str:
    return f"{_PREFIX}{int(version):08d}"


def _object_key(model: StrategyModelVersion) -> str:
    return f"{OBJECT_PREFIX}{model.owner}/{model.file_name}"


class AwsStrategyModels(AwsTable):
    """The strategy models repository on DynamoDB and S3."""

    def _write_strategy_model(self, model: StrategyModelVersion, data: bytes) -> bool:
        key = _object_key(model)
        bucket = self.model_artifacts_bucket
        self._call(
            "put_strategy_model (upload)",
            self.s3.put_object,
            Bucket=bucket,
            Key=key,
            Body=data,
            ContentType=MODEL_MEDIA_TYPE,
        )
        record = {"pk": _owner_pk(model.owner), "sk": _sk(model.version), **model_to_row(model)}
        if self._put_if_absent("put_strategy_model", record):
            return True
        # another writer took this version number: its file goes to the purge
        self._put_purge_record("put_strategy_model (cleanup)", record["pk"], Purge(models=(key,)))
        return False

    def latest_strategy_model(self, owner: str) -> StrategyModelVersion | None:
        items = self._query(
            "latest_strategy_model", _owner_pk(owner), sk_prefix=_PREFIX, forward=False, limit=1
        )
        found = next(iter(items), None)
        return None if found is None else model_from_row(found)

    def get_strategy_model(self, owner: str, version: int) -> StrategyModelVersion:
        item = self._get("get_strategy_model", _owner_pk(owner), _sk(version))
        if item is None:
            raise NotFoundError(f"no strategy model version {version!r} for owner {owner!r}")
        return model_from_row(item)

    def strategy_model_bytes(self, owner: str, version: int) -> bytes:
        model = self.get_strategy_model(owner, version)
        return self._object_bytes(
            "strategy_model_bytes",
            _object_key(model),
            f"strategy model version {version}",
            self.model_artifacts_bucket,
        )

    def list_strategy_models(self, owner: str) -> list[StrategyModelVersion]:
        items = self._query("list_strategy_models", _owner_pk(owner), sk_prefix=_PREFIX)
        return [model_from_row(item) for item in items]
