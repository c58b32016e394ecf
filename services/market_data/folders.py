"""Where a provider's versions are kept: a local directory or an S3 prefix, behind one small
interface of named objects (read, write, list, delete).

A write replaces the whole object at once: locally a temporary file renamed over it
(`settings.files.write_private`), on S3 a single PUT (S3 never shows a partly written object). Failures are
`DataError`s naming the location.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from quant.errors import DataError
from settings.files import write_private


class Folder(Protocol):
    """Named objects in one place (`location`: a directory or ``s3://bucket/prefix``)."""

    @property
    def location(self) -> str: ...

    def read(self, name: str) -> bytes | None:
        """The object's bytes, None when there is none."""
        ...

    def write(self, name: str, data: bytes) -> None:
        """Replace the object `name` with `data`, at once."""
        ...

    def names(self, suffix: str) -> list[str]:
        """The names of the objects ending with `suffix`, sorted."""
        ...

    def delete(self, name: str) -> None:
        """Delete the object (nothing when there is none)."""
        ...


@dataclass(frozen=True)
class LocalFolder:
    """Objects as files in `directory` (created on the first write)."""

    directory: Path

    @property
    def location(self) -> str:
        return str(self.directory)

    def read(self, name: str) -> bytes | None:
        try:
            return (self.directory / name).read_bytes()
        except FileNotFoundError:
            return None

    def write(self, name: str, data: bytes) -> None:
        write_private(self.directory / name, data)

    def names(self, suffix: str) -> list[str]:
        if not self.directory.is_dir():
            return []
        return sorted(p.name for p in self.directory.iterdir() if p.name.endswith(suffix))

    def delete(self, name: str) -> None:
        (self.directory / name).unlink(missing_ok=True)


@dataclass(frozen=True)
class S3Folder:
    """Objects under ``s3://bucket/prefix/`` (through `endpoint_url` when given)."""

    bucket: str
    prefix: str
    endpoint_url: str | None = None

    @property
    def location(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def _client(self) -> Any:
        import boto3

        return boto3.client("s3", endpoint_url=self.endpoint_url)

    def _key(self, name: str) -> str:
        return f"{self.prefix}/{name}" if self.prefix else name

    def read(self, name: str) -> bytes | None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            answer = self._client().get_object(Bucket=self.bucket, Key=self._key(name))
            data: bytes = answer["Body"].read()
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise DataError(f"market data at {self.location} cannot be read: {exc}") from None
        except BotoCoreError as exc:
            raise DataError(f"market data at {self.location} cannot be read: {exc}") from None
        return data

    def write(self, name: str, data: bytes) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self._client().put_object(Bucket=self.bucket, Key=self._key(name), Body=data)
        except (BotoCoreError, ClientError) as exc:
            raise DataError(f"market data at {self.location} cannot be written: {exc}") from None

    def names(self, suffix: str) -> list[str]:
        from botocore.exceptions import BotoCoreError, ClientError

        start = f"{self.prefix}/" if self.prefix else ""
        found: list[str] = []
        try:
            pages = (
                self._client()
                .get_paginator("list_objects_v2")
                .paginate(Bucket=self.bucket, Prefix=start)
            )
            for page in pages:
                found += [item["Key"][len(start) :] for item in page.get("Contents", [])]
        except (BotoCoreError, ClientError) as exc:
            raise DataError(f"market data at {self.location} cannot be listed: {exc}") from None
        return sorted(n for n in found if n.endswith(suffix) and "/" not in n)

    def delete(self, name: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self._client().delete_object(Bucket=self.bucket, Key=self._key(name))
        except (BotoCoreError, ClientError) as exc:
            raise DataError(f"market data at {self.location} cannot be deleted: {exc}") from None


def folder(location: str, s3_endpoint_url: str | None = None) -> Folder:
    """The folder at `location`: ``s3://bucket/prefix`` (through `s3_endpoint_url`) or a
    local directory."""
    if location.startswith("s3://"):
        bucket, _, prefix = location.removeprefix("s3://").partition("/")
        if not bucket:
            raise DataError(f"market data at {location}: an S3 location is s3://bucket/prefix")
        return S3Folder(bucket, prefix.strip("/"), s3_endpoint_url)
    return LocalFolder(Path(location).expanduser())
