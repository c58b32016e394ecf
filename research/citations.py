"""How a passage of a document is cited: ``(energy-outlook.pdf, p. 3)``.

A reference names where a chunk is (`research.chunking`): a PDF page, a sheet and its rows, a
CSV's rows, a Markdown section, a JSON key or a text's lines. `cite` writes it the way answers
and market views quote it.
"""

from __future__ import annotations

from collections.abc import Mapping


def locator(reference: Mapping[str, str | int]) -> str:
    """Where in the document: ``p. 3``, ``sheet Q1, rows 2-14``, ``rows 2-14`` (``row 2`` for
    one), ``section "Risks"``, ``key limits``, ``lines 1-9`` (``line 4``); empty when the
    reference is empty."""
    parts: list[str] = []
    if "page" in reference:
        parts.append(f"p. {reference['page']}")
    if "sheet" in reference:
        parts.append(f"sheet {reference['sheet']}")
    if "section" in reference:
        parts.append(f'section "{reference["section"]}"' if reference["section"] else "preamble")
    if "key" in reference:
        parts.append(f"key {reference['key']}")
    for key, one in (("rows", "row"), ("lines", "line")):
        if key in reference:
            first, _, last = str(reference[key]).partition("-")
            parts.append(f"{one} {first}" if last in ("", first) else f"{key} {reference[key]}")
    return ", ".join(parts)


def cite(document_name: str, reference: Mapping[str, str | int]) -> str:
    """The citation of a passage: ``(name, locator)``, or ``(name)`` without a reference."""
    where = locator(reference)
    return f"({document_name}, {where})" if where else f"({document_name})"
