"""An owner's data, whole (`services.owner_data`, docs/owner-data.md):

- `GET /v1/export`: everything the caller has as one zip archive with its manifest (a
  download, `stratigos-export-<date>.zip`);
- `POST /v1/import`: restore an archive (multipart field `archive`) into the caller, who must
  have no data: 409 at once otherwise, before the archive is read; 422 naming `archive` or the
  manifest's field for an archive that is not an intact export of this kind of store (too
  large: 413); 201 with what was imported;
- `DELETE /v1/owner-data?confirm=erase-everything`: erase everything the caller has: hidden at
  once, purged by the cleanup; 202 with the receipt (`status` `hidden`, or `purged` when the
  store purged at once);
- `GET /v1/owner-data/erasures`: the caller's erasure receipts, newest first.

Exports and imports read and write the whole of an owner: each runs in a worker thread, at most
`EXCLUSIVE` at a time per process (the excess: 503 with `Retry-After`).
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from fastapi import File, Query, UploadFile
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from api.context import AppContext, Caller, Ctx
from api.errors import ApiError, field_errors, validation_error
from api.route_defaults import api_router
from services.owner_data import (
    ArchiveLimits,
    check_importable,
    erase_owner_data,
    export_owner,
    import_owner,
    open_owner_stores,
)

router = api_router(prefix="/v1", tags=["owner data"])

EXCLUSIVE = 2
"""Exports and imports one process runs at once."""
CONFIRM = "erase-everything"
_CHUNK = 1 << 20
_running = threading.BoundedSemaphore(EXCLUSIVE)
T = TypeVar("T")


def _bounded(work: Callable[[], T]) -> T:
    """Run `work` if fewer than `EXCLUSIVE` exports or imports are running here, else 503."""
    if not _running.acquire(blocking=False):
        raise ApiError(
            503,
            "BUSY",
            "exports and imports are all under way on this server; retry in a minute",
            headers={"Retry-After": "60"},
        )
    try:
        return work()
    finally:
        _running.release()


def _stores(context: AppContext) -> Any:
    return open_owner_stores(context.settings, context.research_index)


@router.get(
    "/export",
    summary="Export everything you have as one archive",
    response_model=None,
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
            "description": "The archive, a download (`stratigos-export-<date>.zip`).",
        }
    },
)
async def export(context: Ctx, caller: Caller) -> StreamingResponse:
    """The caller's portfolios, runs and results, deployments, ledgers, documents and their
    files, ideas, profile, memories, threads and their conversations, strategy models,
    accounts, schedules... as a zip archive with a manifest (docs/owner-data.md)."""
    now = datetime.now(UTC)

    def build() -> Any:
        spool = tempfile.SpooledTemporaryFile(max_size=64 << 20)  # noqa: SIM115 (streamed, closed below)
        try:
            with _stores(context) as stores:
                export_owner(context.store, caller.owner, spool, stores, now=now)
        except BaseException:
            spool.close()
            raise
        spool.seek(0)
        return spool

    spool = await run_in_threadpool(_bounded, build)

    def chunks() -> Iterator[bytes]:
        with spool:
            while chunk := spool.read(_CHUNK):
                yield chunk

    name = f"stratigos-export-{now:%Y%m%d-%H%M%S}.zip"
    return StreamingResponse(
        chunks(),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.post("/import", status_code=201, summary="Import an archive into your empty account")
async def import_archive(
    context: Ctx,
    caller: Caller,
    archive: Annotated[UploadFile, File(description="A zip archive `GET /v1/export` wrote.")],
) -> dict[str, Any]:
    """Restore `archive` into the caller (see the module docstring for the refusals)."""
    await context.call(check_importable, context.store, caller.owner)
    limits = ArchiveLimits(max_archive_bytes=context.settings.api.max_upload_bytes)

    def restore() -> dict[str, Any]:
        with tempfile.TemporaryFile() as copy:
            shutil.copyfileobj(archive.file, copy, _CHUNK)
            if copy.tell() > limits.max_archive_bytes:
                raise ApiError(
                    413,
                    "PAYLOAD_TOO_LARGE",
                    f"the archive is larger than {limits.max_archive_bytes} bytes",
                    [("archive", f"at most {limits.max_archive_bytes} bytes")],
                )
            with field_errors(""), _stores(context) as stores:
                report = import_owner(context.store, caller.owner, copy, stores, limits)
        return report.to_json()

    return await run_in_threadpool(_bounded, restore)


@router.delete("/owner-data", status_code=202, summary="Erase everything you have")
async def erase(
    context: Ctx,
    caller: Caller,
    confirm: Annotated[str | None, Query(description=f"`{CONFIRM}`")] = None,
) -> dict[str, Any]:
    """Erase everything the caller has (see the module docstring); the receipt."""
    if confirm != CONFIRM:
        raise validation_error(
            "query.confirm", f"erasing everything you have cannot be undone: pass confirm={CONFIRM}"
        )

    def run() -> dict[str, Any]:
        with _stores(context) as stores:
            receipt = erase_owner_data(context.store, caller.owner, stores)
        context.authenticator.forget_keys()  # the owner's keys went with everything else
        return receipt.to_json()

    return await run_in_threadpool(run)


@router.get("/owner-data/erasures", summary="Your erasure receipts")
async def erasures(context: Ctx, caller: Caller) -> dict[str, Any]:
    """The receipts of the caller's erasures, newest first."""
    receipts = await context.call(context.store.erasure_receipts, caller.owner)
    return {"items": [r.to_json() for r in receipts]}
