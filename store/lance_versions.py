"""The old versions of LanceDB tables (the research index's) and who deletes their files.

Every write to a LanceDB table (an add, a delete, a full-text index build, a compaction) makes a
new version; the files only older versions use stay until a cleanup deletes them. A table in a
local directory is cleaned by its writers as they compact (LanceDB's default: versions older
than `KEPT_VERSIONS`). A table in an object store is written without deleting anything (its
writers compact with `research.index_terms.WRITERS_KEEP`), so the API's role needs no delete
there: the cleanup function, the one role that deletes, runs `remove_old_versions` over every
table of the index.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

KEPT_VERSIONS = timedelta(days=7)
"""How long a version's files outlive it (LanceDB's default): a search that opened it meanwhile
still reads them. The latest version is never removed, whatever its age."""


def remove_old_versions(
    uri: str, storage_options: Mapping[str, str], older_than: timedelta = KEPT_VERSIONS
) -> int:
    """Compact every table at `uri` (a LanceDB database: a directory or ``s3://bucket/prefix``)
    and delete the files of its versions older than `older_than` (never the latest version);
    returns how many tables it went through. LanceDB's errors (OSError, RuntimeError,
    ValueError) pass through."""
    import lancedb  # imported lazily: a second of Arrow and Lance setup

    db = lancedb.connect(uri, storage_options=dict(storage_options))
    names: list[str] = []
    page_token: str | None = None
    while True:
        page = db.list_tables(page_token=page_token)
        names.extend(page.tables)
        page_token = page.page_token
        if not page_token:
            break
    for name in names:
        db.open_table(name).optimize(cleanup_older_than=older_than)
    return len(names)
