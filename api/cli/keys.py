"""`stratigos keys`: API keys for the HTTP API."""

from __future__ import annotations

import argparse
import json
from typing import Any

from api.cli.errors import UsageError
from api.cli.jobs import iso_time
from api.cli.local import open_local_store


def _key_json(key: Any) -> dict[str, Any]:
    def iso(value: Any) -> str | None:
        return None if value is None else value.isoformat().replace("+00:00", "Z")

    return {
        "id": key.id,
        "owner": key.owner,
        "name": key.name,
        "created_at": iso(key.created_at),
        "revoked_at": iso(key.revoked_at),
    }


KEY_WARNING = (
    "This is the only time the key is shown: store it now (the store keeps only a hash of it). "
    "Send it as the x-api-key header."
)


def keys_command(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from store import NotFoundError

    store = open_local_store()
    try:
        if args.keys_command == "create":
            name = args.name or f"cli-{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
            raw, key = store.create_api_key(args.owner, name)
            if args.json:
                print(json.dumps({**_key_json(key), "key": raw, "warning": KEY_WARNING}, indent=2))
            else:
                print(f"Created API key {key.id} ({key.name}) for owner {key.owner}:")
                print(f"  {raw}")
                print(KEY_WARNING)
            return 0
        if args.keys_command == "list":
            keys = store.list_api_keys(args.owner)
            if args.json:
                print(json.dumps([_key_json(k) for k in keys], indent=2))
            elif not keys:
                print(f"No API keys for owner {args.owner}.")
            else:
                print(f"{'ID':33s} {'NAME':28s} {'CREATED (UTC)':19s}  REVOKED (UTC)")
                for k in keys:
                    revoked = iso_time(k.revoked_at) if k.revoked_at else "-"
                    print(f"{k.id:33s} {k.name:28s} {iso_time(k.created_at):19s}  {revoked}")
            return 0
        try:
            key = store.revoke_api_key(args.owner, args.key_id)
        except NotFoundError:
            raise UsageError(
                f"no API key {args.key_id} for owner {args.owner}; list keys with "
                f"`stratigos keys list --owner {args.owner}`"
            ) from None
        if args.json:
            print(json.dumps(_key_json(key), indent=2))
        else:
            print(f"Revoked API key {key.id} ({key.name}) of owner {key.owner}.")
        return 0
    finally:
        store.close()
