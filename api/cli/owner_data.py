"""`stratigos export | import | erase`: an owner's data, whole (docs/owner-data.md), on the local
store; the command line's owner unless `--owner` names another of the store's owners.

- `stratigos export [-o FILE]`: everything the owner has as one zip archive (default
  `stratigos-export-<date>.zip`), and what its manifest counts;
- `stratigos import FILE`: restore an archive into the owner, who must have no data;
- `stratigos erase --yes`: erase everything the owner has (hidden at once, purged by the
  cleanup; on the local store at once), and print the receipt.

`--json` prints JSON instead of text.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from api.cli.arguments import print_result
from api.cli.errors import UsageError
from api.cli.local import LOCAL_OWNER, open_local_store


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {what}" for what, n in sorted(counts.items())) or "nothing"


def owner_data_command(args: argparse.Namespace) -> int:
    """Run `export`, `import` or `erase`."""
    from services.owner_data import (
        erase_owner_data,
        export_owner,
        import_owner,
        open_owner_stores,
    )
    from services.research import research_index
    from settings import get_settings

    settings = get_settings()
    store = open_local_store()
    owner = args.owner
    with open_owner_stores(settings, research_index(settings)) as stores:
        if args.command == "export":
            now = datetime.now(UTC)
            path = Path(args.output or f"stratigos-export-{now:%Y%m%d-%H%M%S}.zip")
            with path.open("wb") as out:
                manifest = export_owner(store, owner, out, stores, now=now)
            data: dict[str, Any] = {"path": str(path), **manifest.to_json()}
            data.pop("entries")
            print_result(args, data, f"Exported {_counts(manifest.counts)} of {owner} to {path}")
            return 0
        if args.command == "import":
            with Path(args.archive).open("rb") as source:
                report = import_owner(store, owner, source, stores)
            text = f"Imported {_counts(report.counts)} of {report.source_owner} into {owner}"
            print_result(args, report.to_json(), text)
            return 0
        if not args.yes:
            raise UsageError("erase: this erases everything the owner has; add --yes to do it")
        receipt = erase_owner_data(store, owner, stores)
    text = (
        f"Erased everything of {owner} ({_counts(receipt.counts)}): {receipt.status} "
        f"(receipt {receipt.id})"
    )
    print_result(args, receipt.to_json(), text)
    return 0


def add_owner_data_parsers(commands: Any) -> None:
    """The `export`, `import` and `erase` commands' parsers."""
    export = commands.add_parser(
        "export", help="export everything the owner has as one zip archive"
    )
    export.add_argument("-o", "--output", help="the archive's path (default: a dated name)")
    restore = commands.add_parser("import", help="restore an archive into an owner with no data")
    restore.add_argument("archive", help="a zip archive `stratigos export` wrote")
    erase = commands.add_parser("erase", help="erase everything the owner has (cannot be undone)")
    erase.add_argument("--yes", action="store_true", help="yes, erase everything")
    for parser in (export, restore, erase):
        parser.add_argument("--owner", default=LOCAL_OWNER, help="the owner (default: local)")
        parser.add_argument("--json", action="store_true", help="print JSON")
