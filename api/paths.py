"""The path templates of the app's OpenAPI document: which operation a request path is and which
methods the document gives it (the `Allow` of a 405, and which body schema applies)."""

from __future__ import annotations

import re
from typing import Any, cast

from fastapi import FastAPI

HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


class Paths:
    """The path templates of an OpenAPI document, most specific first (fewer parameters, then
    longer literal text): which template a request path is, and the methods it has."""

    def __init__(self, document: dict[str, Any]) -> None:
        entries = []
        for template, operations in document.get("paths", {}).items():
            literal = re.sub(r"\{[^}]+\}", "", template)
            pattern = "".join(
                "[^/]+" if part.startswith("{") else re.escape(part)
                for part in re.split(r"(\{[^}]+\})", template)
            )
            methods = [m.upper() for m in operations if m.upper() in HTTP_METHODS]
            specificity = (template.count("{"), -len(literal))
            entries.append((specificity, re.compile(f"^{pattern}$"), template, methods))
        entries.sort(key=lambda entry: entry[0])
        self._entries = [(pattern, template, methods) for _, pattern, template, methods in entries]

    def match(self, path: str) -> tuple[str, list[str]] | None:
        """(template, its methods) of the most specific template `path` is, None if none."""
        for pattern, template, methods in self._entries:
            if pattern.match(path):
                return template, methods
        return None


def paths_of(app: FastAPI) -> Paths:
    """The app's `Paths` (built once from its OpenAPI document)."""
    found = getattr(app.state, "contract_paths", None)
    if found is None:
        found = app.state.contract_paths = Paths(app.openapi())
    return cast(Paths, found)
