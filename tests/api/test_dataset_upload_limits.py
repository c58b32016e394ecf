"""Dataset uploads cannot stall the server: a table is read in a child process, so health checks
and another owner's requests are answered while a maximal one is read; bombs are refused from
their header or footer with 413 naming the limit, before any table is built, and nothing is
stored.

"Before any table is built": the reader has the least memory the settings give it, which the
Parquet row bomb's table (800 MB) does not fit in. Read, it would be refused by the reader's
memory, naming `datasets_read_memory_bytes`; it is refused by its declared rows instead.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from benchmarks.bench_uploads import maximal_dataset
from settings import DatasetSettings
from tests.api.conftest import assert_error, make_settings

SMALLEST_READER = 536_870_912
"""The least memory the settings give a reader (`datasets_read_memory_bytes`), bytes."""


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """An app with the default dataset limits and the smallest reader, and its caller."""
    settings = make_settings(
        tmp_path_factory.mktemp("datasets") / "data",
        datasets={"read_memory_bytes": SMALLEST_READER},
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        key, _ = test_client.app.state.context.store.create_api_key("dora", "tests")  # type: ignore[attr-defined]
        yield test_client, {"x-api-key": key}


def upload(client: tuple[TestClient, dict[str, str]], name: str, data: bytes) -> Any:
    test_client, headers = client
    files = {"file": (name, data, "application/octet-stream")}
    return test_client.post(
        "/v1/market-data/datasets", files=files, data={"kind": "prices"}, headers=headers
    )


def refused(client: tuple[TestClient, dict[str, str]], name: str, data: bytes, setting: str) -> str:
    """The 413 of an upload, naming `setting`; nothing stored."""
    store = client[0].app.state.context.store  # type: ignore[attr-defined]
    error = assert_error(upload(client, name, data), 413, "PAYLOAD_TOO_LARGE", "file")
    assert setting in error["message"], error
    assert "datasets_read_memory_bytes" not in error["message"]
    assert store.list_datasets("dora") == []
    return str(error["message"])


def parquet(table: pa.Table, **options: Any) -> bytes:
    out = io.BytesIO()
    pq.write_table(table, out, **options)
    return out.getvalue()


ROW_GROUP = 1_048_576
"""pyarrow's default largest row group (rows): `parquet` writes a table in groups of this many."""


def constant_parquet(columns: dict[str, pa.Scalar], rows: int, **options: Any) -> bytes:
    """`parquet` of a table of `rows` rows, each column one constant, written a row group at a
    time: the same file (the same row groups, pages and footer) without building the whole
    table in this process (hundreds of MB: seconds of a test's CPU, most of them the kernel's)."""
    group = pa.table(
        {name: pa.repeat(value, min(rows, ROW_GROUP)) for name, value in columns.items()}
    )
    out = io.BytesIO()
    with pq.ParquetWriter(out, group.schema, **options) as writer:
        for start in range(0, rows, ROW_GROUP):
            writer.write_table(group.slice(0, min(ROW_GROUP, rows - start)))
    return out.getvalue()


def test_a_parquet_row_bomb_is_refused_from_its_footer(
    client: tuple[TestClient, dict[str, str]],
) -> None:
    """50 million rows of one constant (a few hundred KB): 800 MB as a table, more than the
    reader has; refused by its declared rows."""
    rows = 50_000_000
    columns = {"date": pa.scalar(0, pa.int64()), "AAA": pa.scalar(1.0)}
    data = constant_parquet(columns, rows, compression="zstd")
    assert len(data) < 2_000_000
    message = refused(client, "bomb.parquet", data, "datasets_max_rows")
    assert f"{rows:,} rows" in message


def test_a_parquet_cell_bomb_is_refused_from_its_footer(
    client: tuple[TestClient, dict[str, str]],
) -> None:
    """Within the rows, too many columns: rows times columns past `datasets_max_cells`."""
    rows = DatasetSettings().max_rows
    columns = {"date": pa.array(np.arange(rows))}
    columns |= {f"A{i}": pa.repeat(pa.scalar(1.0), rows) for i in range(150)}
    message = refused(client, "wide.parquet", parquet(pa.table(columns)), "datasets_max_cells")
    assert f"{rows * 151:,} values" in message


def test_a_parquet_file_that_expands_past_the_limit_is_refused_from_its_footer(
    client: tuple[TestClient, dict[str, str]],
) -> None:
    """Few rows of long repeated text, stored without a dictionary and compressed: a small file
    whose columns take more than `datasets_max_expanded_bytes` uncompressed."""
    rows, width = 60, 2 * 2**20
    text = pa.repeat(pa.scalar("x" * width), rows)
    table = pa.table({"date": pa.array(np.arange(rows)), "AAA": text})
    data = parquet(table, compression="zstd", use_dictionary=False)
    assert len(data) < 1_000_000
    message = refused(client, "wide.parquet", data, "datasets_max_expanded_bytes")
    assert "uncompressed" in message


def test_a_table_larger_than_the_readers_memory_is_refused_naming_it(tmp_path: Path) -> None:
    """Within raised row and cell limits, 10 million rows of 7 columns (560 MB as a table) do
    not fit in the smallest reader: 413 naming `datasets_read_memory_bytes`, not a broken
    file, and the next upload is read by a new reader."""
    settings = make_settings(
        tmp_path / "data",
        datasets={
            "read_memory_bytes": SMALLEST_READER,
            "max_rows": 10_000_000,
            "max_cells": 100_000_000,
            "max_expanded_bytes": 2**30,
        },
    )
    rows = 10_000_000
    columns = {"date": pa.scalar(0, pa.int64())} | {f"A{i}": pa.scalar(1.0) for i in range(6)}
    data = constant_parquet(columns, rows, compression="zstd")
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        key, _ = test_client.app.state.context.store.create_api_key("erin", "tests")  # type: ignore[attr-defined]
        caller = (test_client, {"x-api-key": key})
        error = assert_error(upload(caller, "big.parquet", data), 413, "PAYLOAD_TOO_LARGE", "file")
        assert "datasets_read_memory_bytes" in error["message"], error
        small = b"date,AAA\n2020-01-02,10\n2020-01-03,10.5\n"
        assert upload(caller, "small.csv", small).status_code == 201


def test_a_csv_row_bomb_is_refused_by_its_lines(
    client: tuple[TestClient, dict[str, str]],
) -> None:
    rows = DatasetSettings().max_rows + 1
    data = b"date,AAA\n" + b"2020-01-02,1\n" * rows
    message = refused(client, "rows.csv", data, "datasets_max_rows")
    assert f"{rows:,} rows" in message


def test_other_requests_are_answered_while_a_maximal_dataset_is_read(tmp_path: Path) -> None:
    """While the table of the most values the default limits take is read (seconds of pandas
    on a file of about 1 MB), health checks and another owner's list are answered before it
    ends. (Read on the event loop, as
    before, the upload would end first: nothing else runs until it does.)"""
    data = maximal_dataset()
    app = create_app(make_settings(tmp_path / "data"))
    store = app.state.context.store
    alice, _ = store.create_api_key("alice", "tests")
    bob, _ = store.create_api_key("bob", "tests")
    finished: list[str] = []

    async def scenario() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:

            async def send() -> httpx.Response:
                response = await http.post(
                    "/v1/market-data/datasets",
                    files={"file": ("closes.parquet", data, "application/octet-stream")},
                    headers={"x-api-key": alice},
                )
                finished.append("upload")
                return response

            async def others() -> None:
                await asyncio.sleep(0)  # the upload starts first
                for _ in range(3):
                    assert (await http.get("/v1/health/live")).status_code == 200
                    answer = await http.get("/v1/market-data/datasets", headers={"x-api-key": bob})
                    assert answer.status_code == 200 and answer.json()["items"] == []
                    finished.append("other")

            uploaded, _ = await asyncio.gather(send(), others())
            return uploaded

    uploaded = asyncio.run(scenario())
    app.state.context.close()
    assert uploaded.status_code == 201, uploaded.text
    assert uploaded.json()["n_rows"] == DatasetSettings().max_rows
    assert finished == ["other", "other", "other", "upload"]
