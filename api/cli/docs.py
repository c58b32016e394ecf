"""`stratigos docs add FILE... | list | show ID | delete ID`: the command line's documents
library (the local owner's, as in `api.cli.deploy`); `--json` prints JSON instead of text."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from api.cli.errors import UsageError
from api.cli.local import LOCAL_OWNER, open_local_store


def docs_command(args: argparse.Namespace) -> int:
    """Run one `docs` action. `add` adds each file in turn: a refused file is reported on
    stderr (nothing of it is stored) and the others are still added; exit code 2 if any was
    refused."""
    store = open_local_store()
    action = args.docs_command
    if action == "add":
        return _add(store, args)
    if action == "list":
        documents = store.list_documents(LOCAL_OWNER)
        rows = [_view(d) for d in documents]
        _print(args, rows, "\n".join(_line(d) for d in documents) or "No documents.")
    elif action == "show":
        from services.documents import document_summary

        document, first = document_summary(store, LOCAL_OWNER, args.document_id)
        references = [{"ordinal": c.ordinal, "reference": c.reference} for c in first]
        text = "\n".join(
            [_line(document), f"sha256 {document.sha256}", "first chunks:"]
            + [f"  {c.ordinal}: {json.dumps(c.reference)}" for c in first]
        )
        _print(args, {**_view(document), "first_chunks": references}, text)
    else:  # delete
        store.delete_document(LOCAL_OWNER, args.document_id)
        _print(args, {"deleted": args.document_id}, f"Deleted {args.document_id}.")
    return 0


def _add(store: Any, args: argparse.Namespace) -> int:
    from research.parsing import DocumentError
    from services.documents import add_document
    from settings import get_settings

    settings = get_settings()
    added: list[dict[str, Any]] = []
    refused = 0
    for path in args.files:
        try:
            with path.open("rb") as handle:  # one byte past the limit is enough to refuse it
                data = handle.read(settings.documents_max_bytes + 1)
        except FileNotFoundError:
            raise UsageError(f"{path} does not exist") from None
        try:
            document = add_document(store, settings, LOCAL_OWNER, path.name, data)
        except DocumentError as exc:
            print(f"stratigos docs add: {path}: {exc}", file=sys.stderr)
            refused += 1
            continue
        added.append(_view(document))
        if not args.json:
            print(f"Added {_line(document)}")
    if args.json:
        print(json.dumps(added, indent=2))
    return 2 if refused else 0


def _view(document: Any) -> dict[str, Any]:
    return {
        "id": document.id,
        "name": document.name,
        "media_type": document.media_type,
        "size_bytes": document.size_bytes,
        "sha256": document.sha256,
        "pages": document.pages,
        "chunk_count": document.chunk_count,
        "created_at": document.created_at.isoformat(),
    }


def _line(document: Any) -> str:
    pages = f", {document.pages} pages" if document.pages else ""
    return (
        f"{document.id}  {document.name}  ({document.media_type}, {document.size_bytes} bytes"
        f"{pages}, {document.chunk_count} chunks, {document.created_at:%Y-%m-%d %H:%M} UTC)"
    )


def _print(args: argparse.Namespace, data: Any, text: str) -> None:
    print(json.dumps(data, indent=2) if args.json else text)
