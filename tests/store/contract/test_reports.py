"""The post-market reports contract on both backends: the bytes round-trip exactly with their
SHA-256, in the store's object storage (the data directory on SQLite, S3 on AWS); a report
written again replaces the one before under the same id; owner isolation; listing per account
and day; ids that name no report; argument checks; and no report without its bytes when a
write fails."""

from __future__ import annotations

import hashlib
import os
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from store import NotFoundError, Report, StoreUnavailableError
from store.aws import AWSStore
from store.base import Store
from store.owner_data import reset_gate, ungated
from store.reports import parse_report_id, report_id
from store.sqlite import SQLiteStore
from tests.store.conftest import FakeClock, make_aws_store, s3_keys
from tests.support.store_contract import ALICE, BOB

ACCOUNT = "paper-dep_0123456789ab"
DEP = "dep_0123456789ab"
DAY = date(2026, 11, 20)


def test_a_report_s_bytes_round_trip_in_object_storage(store: Store, clock: FakeClock) -> None:
    data = b"PAR1" + os.urandom(300_000) + b"PAR1"
    report = store.put_report(ALICE, ACCOUNT, DAY, "analytics", DEP, data)
    assert isinstance(report, Report) and report.id == report_id(ACCOUNT, DAY, "analytics", DEP)
    assert (report.account, report.day, report.kind, report.deployment_id, report.format) == (
        ACCOUNT, DAY, "analytics", DEP, "parquet",
    )  # fmt: skip
    assert report.size_bytes == len(data) and report.sha256 == hashlib.sha256(data).hexdigest()
    assert report.created_at == clock.now
    assert store.get_report(ALICE, report.id) == report
    assert store.report_bytes(ALICE, report.id) == data
    if isinstance(store, SQLiteStore):  # a file in the data directory, owner-only
        [path] = [p for p in store.objects_directory().rglob("*") if p.is_file()]
        assert path.read_bytes() == data and path.stat().st_mode & 0o077 == 0
        assert path.parent.stat().st_mode & 0o077 == 0
    else:
        assert isinstance(store, AWSStore)
        assert s3_keys(store) == [f"reports/{ALICE}/{ACCOUNT}/{DAY}/{report.id}.parquet"]


def test_a_report_written_again_replaces_the_one_before(store: Store, clock: FakeClock) -> None:
    first = store.put_report(ALICE, ACCOUNT, DAY, "tearsheet", None, b"<html>1</html>")
    clock.advance(60)
    second = store.put_report(ALICE, ACCOUNT, DAY, "tearsheet", None, b"<html>two</html>")
    assert second.id == first.id and second.created_at == clock.now
    assert store.report_bytes(ALICE, first.id) == b"<html>two</html>"
    assert store.list_reports(ALICE, ACCOUNT) == [second]


def test_another_owner_s_report_is_not_found(store: Store) -> None:
    report = store.put_report(ALICE, ACCOUNT, DAY, "analytics", DEP, b"PAR1")
    for read in (store.get_report, store.report_bytes):
        with pytest.raises(NotFoundError):
            read(BOB, report.id)
    assert store.list_reports(BOB, ACCOUNT) == []
    for unknown in ("rpt_", "rpt_!!", "rpt_" + "A" * 20, "exp_123", report.id + "x"):
        with pytest.raises(NotFoundError):
            store.get_report(ALICE, unknown)


def test_reports_are_listed_per_account_and_day(store: Store) -> None:
    later = date(2026, 11, 23)
    put = [
        store.put_report(ALICE, ACCOUNT, later, "analytics", DEP, b"3"),
        store.put_report(ALICE, ACCOUNT, DAY, "tearsheet", DEP, b"2"),
        store.put_report(ALICE, ACCOUNT, DAY, "tearsheet", None, b"1"),
        store.put_report(ALICE, ACCOUNT, DAY, "analytics", DEP, b"0"),
        store.put_report(ALICE, "paper-other", DAY, "analytics", "dep_other", b"x"),
    ]
    assert [r.id for r in store.list_reports(ALICE, ACCOUNT)] == [
        put[3].id, put[2].id, put[1].id, put[0].id,
    ]  # fmt: skip
    assert [r.id for r in store.list_reports(ALICE, ACCOUNT, day=later)] == [put[0].id]
    assert store.list_reports(ALICE, ACCOUNT, day=date(2026, 11, 21)) == []


def test_report_ids_name_their_report() -> None:
    assert parse_report_id(report_id(ACCOUNT, DAY, "analytics", DEP)) == (
        ACCOUNT, DAY, "analytics", DEP,
    )  # fmt: skip
    assert parse_report_id(report_id(ACCOUNT, DAY, "tearsheet", None)) == (
        ACCOUNT, DAY, "tearsheet", None,
    )  # fmt: skip
    assert parse_report_id("rpt_" + "cGFwZXJ8MjAyNi0xMS0yMHxvdGhlcnxhY2NvdW50") is None


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"account": "a#b"}, "account"),
        ({"account": ""}, "account"),
        ({"kind": "summary"}, "kind"),
        ({"deployment_id": "account"}, "names the account"),
        ({"deployment_id": "d|e"}, "account"),
        ({"data": b""}, "non-empty"),
    ],
)
def test_invalid_arguments_are_refused_and_nothing_is_stored(
    store: Store, arguments: dict[str, Any], message: str
) -> None:
    values = {
        "account": ACCOUNT, "day": DAY, "kind": "analytics", "deployment_id": DEP, "data": b"x",
        **arguments,
    }  # fmt: skip
    with pytest.raises(ValueError, match=message):
        store.put_report(ALICE, **values)
    assert store.list_reports(ALICE, ACCOUNT) == []


def test_a_file_that_cannot_be_written_stores_no_report_sqlite(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "store.sqlite")
    store.objects_directory().write_text("a file where the directory should be")
    with pytest.raises(StoreUnavailableError, match="cannot write the report file"):
        store.put_report(ALICE, ACCOUNT, DAY, "analytics", DEP, b"PAR1")
    assert store.list_reports(ALICE, ACCOUNT) == []
    store.close()


def test_a_failed_item_write_lists_no_report_aws(
    moto_endpoint: str, aws_names: dict[str, str], clock: FakeClock
) -> None:
    store = make_aws_store(moto_endpoint, {**aws_names, "table": "no-such-table"}, clock)
    token = ungated(ALICE)  # past the owner lock's read: the item write is what fails
    try:
        with pytest.raises(StoreUnavailableError, match="put_report"):
            store.put_report(ALICE, ACCOUNT, DAY, "analytics", DEP, b"PAR1")
    finally:
        reset_gate(token)
    [orphan] = s3_keys(store)  # an object nothing lists, never an item without its object
    assert orphan.startswith(f"reports/{ALICE}/{ACCOUNT}/")
