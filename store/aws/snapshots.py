"""Account snapshots in the AWS store: partition `SNAP#<owner>#<account>`, one item per time
taken (sort key: microseconds, 20 digits), with `ttl` (epoch seconds) so that DynamoDB's TTL
deletes it once expired; reads leave out what expired but is not deleted yet."""

from __future__ import annotations

from datetime import datetime

from store.aws.table import AwsTable
from store.common import to_micros
from store.snapshots import (
    MAX_SNAPSHOTS_LISTED,
    AccountSnapshot,
    snapshot_data,
    snapshot_from_row,
)

_FIRST, _LAST = "0" * 20, "9" * 20


def _pk(owner: str, account: str) -> str:
    return f"SNAP#{owner}#{account}"


def _sk(when: datetime) -> str:
    return f"{to_micros(when):020d}"


class AwsSnapshots(AwsTable):
    """The snapshots repository on DynamoDB."""

    def _insert_snapshot(self, snapshot: AccountSnapshot) -> bool:
        expires = to_micros(snapshot.expires_at)
        record = {
            "pk": _pk(snapshot.owner, snapshot.account),
            "sk": _sk(snapshot.taken_at),
            "owner": snapshot.owner,
            "account": snapshot.account,
            "taken_at": to_micros(snapshot.taken_at),
            "data": snapshot_data(snapshot),
            "expires_at": expires,
            "ttl": -(-expires // 1_000_000),
        }
        self._register_partition("put_snapshot", snapshot.owner, str(record["pk"]))
        return self._put_if_absent("put_snapshot", record)

    def list_snapshots(
        self,
        owner: str,
        account: str,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[AccountSnapshot]:
        low = _sk(since) if since is not None and to_micros(since) > 0 else _FIRST
        high = _sk(until) if until is not None else _LAST
        now = self._now()
        items = self._query(
            "list_snapshots", _pk(owner, account), sk_between=(low, high), forward=False
        )
        kept: list[AccountSnapshot] = []
        for item in items:
            if int(item["expires_at"]) > now:
                kept.append(snapshot_from_row(item))
                if len(kept) == MAX_SNAPSHOTS_LISTED:
                    break
        return kept[::-1]

    def _drop_expired_snapshots(self, now: datetime) -> int:
        expired = list(
            self._scan(
                "cleanup",
                "begins_with(pk, :snap) AND expires_at <= :now",
                {":snap": {"S": "SNAP#"}, ":now": {"N": str(to_micros(now))}},
                {},
            )
        )
        self._batch_delete("cleanup", [(d["pk"], d["sk"]) for d in expired])
        return len(expired)
