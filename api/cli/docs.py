"""`stratigos docs add FILE... | list | show ID | delete ID | search QUERY | reindex`: the
command line's documents library (the local owner's, as in `api.cli.deploy`); `--json` prints
JSON instead of text."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from api.cli.arguments import print_result
from api.cli.errors import UsageError
from api.cli.local import LOCAL_OWNER, open_local_store


def docs_command(args: argparse.Namespace) -> int:
    """Run one `docs` action. `add` adds each file in turn: a refused file is reported on
    stderr (nothing of it is stored) and the others are still added; exit code 2 if any was
    refused."""
    from services.research import research_index
    from settings import get_settings

    store = open_local_store()
    index = research_index(get_settings())
    action = args.docs_command
    if action == "add":
        return _add(store, index, args)
    if action == "search":
        return _search(store, index, args)
    if action == "reindex":
        from services.research import reindex

        report = reindex(store, index, LOCAL_OWNER)
        view = {"documents": report.documents, "chunks": report.chunks, "removed": report.removed}
        text = (
            f"Indexed {report.documents} documents ({report.chunks} chunks); "
            f"removed {report.removed} deleted ones."
        )
        print_result(args, view, text)
        return 0
    if action == "list":
        documents = store.list_documents(LOCAL_OWNER)
        rows = [_view(d) for d in documents]
        print_result(args, rows, "\n".join(_line(d) for d in documents) or "No documents.")
    elif action == "show":
        from services.documents import document_summary

        document, first = document_summary(store, LOCAL_OWNER, args.document_id)
        references = [{"ordinal": c.ordinal, "reference": c.reference} for c in first]
        text = "\n".join(
            [_line(document), f"sha256 {document.sha256}", "first chunks:"]
            + [f"  {c.ordinal}: {json.dumps(c.reference)}" for c in first]
        )
        print_result(args, {**_view(document), "first_chunks": references}, text)
    else:  # delete
        from services.documents import delete_document

        delete_document(store, index, LOCAL_OWNER, args.document_id)
        print_result(args, {"deleted": args.document_id}, f"Deleted {args.document_id}.")
    return 0


def _search(store: Any, index: Any, args: argparse.Namespace) -> int:
    from research.citations import cite
    from services.research import search_documents

    try:
        results = search_documents(
            store,
            index,
            LOCAL_OWNER,
            args.query,
            k=args.k,
            mode=args.mode,
            document_ids=args.document_ids,
            uploaded_from=args.uploaded_from,
            uploaded_to=args.uploaded_to,
            fusion=args.fusion,
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    hits = [
        {
            "document_id": hit.document_id,
            "document_name": hit.document_name,
            "ordinal": hit.ordinal,
            "reference": hit.reference,
            "citation": cite(hit.document_name, hit.reference),
            "snippet": hit.snippet,
            "score": hit.score,
            "bm25_rank": hit.bm25_rank,
            "vector_rank": hit.vector_rank,
        }
        for hit in results.hits
    ]
    lines = [
        f"{rank}. {hit['citation']}  [{hit['document_id']} #{hit['ordinal']}]\n   {hit['snippet']}"
        for rank, hit in enumerate(hits, start=1)
    ] or [f"No passage matches {args.query!r}."]
    lines += [
        f"Not searchable until `stratigos docs reindex`: {d.name} ({d.id})"
        for d in results.unindexed
    ]
    unindexed = [{"id": d.id, "name": d.name} for d in results.unindexed]
    print_result(args, {"query": args.query, "mode": args.mode, "hits": hits, "unindexed": unindexed},
           "\n".join(lines))  # fmt: skip
    return 0


def _add(store: Any, index: Any, args: argparse.Namespace) -> int:
    from research.parsing import DocumentError
    from services.documents import add_document
    from settings import get_settings

    settings = get_settings()
    added: list[dict[str, Any]] = []
    refused = 0
    for path in args.files:
        try:
            with path.open("rb") as handle:  # one byte past the limit is enough to refuse it
                data = handle.read(settings.documents.max_bytes + 1)
        except FileNotFoundError:
            raise UsageError(f"{path} does not exist") from None
        try:
            document = add_document(store, index, settings, LOCAL_OWNER, path.name, data)
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
