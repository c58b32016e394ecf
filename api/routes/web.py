"""The web UI: `/` serves the single page, `/static/...` its assets; no build step, no CDN.

- `GET /` -> `api/web/index.html` (the page reads the API key from the `#key=` fragment that
  `stratigos serve` prints, or signs a user in: `api.routes.ui_config`), with its
  Content-Security-Policy (`api.page_policy`).
- `GET /static/<name>` -> a file of `api/web/` with its content type; only names of files in
  that directory (no subdirectories, no `..`) are served, anything else is 404. Each is
  revalidated on every load (`no-cache`) with its entity tag (its modification time and size):
  a browser whose copy is current gets 304 without the body.
- `GET /static/vendor/plotly.min.js` -> plotly.js read from the installed `plotly` Python
  package (`plotly/package_data/plotly.min.js`), never a copy in the repository. The page
  asks for it with `?v=<plotly version>`, so it is cached for a year.

None of these routes needs authentication (they carry no data) and none is in the OpenAPI
schema. This router comes last in `api.routes.ROUTERS` so every `/v1` route wins.
"""

from __future__ import annotations

import importlib.resources
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from fastapi import Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from api.context import Ctx
from api.errors import not_found
from api.page_policy import content_security_policy
from api.route_defaults import api_router
from api.routes.ui_config import cognito_origin

router = api_router(include_in_schema=False)

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
"""The UI's static files (package data of `api`)."""

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".json": "application/json",
}
"""Content type by suffix; other suffixes are not served."""

ASSET_CACHE = "no-cache"
"""The UI's own files: revalidated on every load (they change with the package)."""

VENDOR_CACHE = "public, max-age=31536000, immutable"
"""plotly.min.js: its URL carries the plotly version, so it can be cached for a year."""

SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY"}

PLOTLY_PLACEHOLDER = "__PLOTLY_VERSION__"


def plotly_version() -> str:
    """The installed plotly package's version ("unknown" if it has no metadata)."""
    try:
        return version("plotly")
    except PackageNotFoundError:
        return "unknown"


@lru_cache(maxsize=1)
def plotly_js_path() -> Path:
    """Path of `plotly.min.js` inside the installed plotly package (FileNotFoundError when the
    package ships none)."""
    resource = importlib.resources.files("plotly") / "package_data" / "plotly.min.js"
    path = Path(str(resource))
    if not path.is_file():
        raise FileNotFoundError(f"plotly.min.js not found in the plotly package at {path}")
    return path


def _index_html() -> str:
    text = (WEB_DIR / "index.html").read_text(encoding="utf-8")
    return text.replace(PLOTLY_PLACEHOLDER, plotly_version())


@router.get("/", response_class=HTMLResponse)
def index(context: Ctx) -> HTMLResponse:
    """The single-page UI, with its Content-Security-Policy."""
    headers = {
        "Cache-Control": ASSET_CACHE,
        "Content-Security-Policy": content_security_policy(cognito_origin(context.settings)),
        **SECURITY_HEADERS,
    }
    return HTMLResponse(_index_html(), headers=headers)


@router.get("/static/vendor/plotly.min.js")
def plotly_js() -> FileResponse:
    """plotly.js from the installed plotly package."""
    try:
        path = plotly_js_path()
    except FileNotFoundError:
        raise not_found("static file", "vendor/plotly.min.js") from None
    return FileResponse(
        path,
        media_type=CONTENT_TYPES[".js"],
        headers={"Cache-Control": VENDOR_CACHE, **SECURITY_HEADERS},
    )


@router.get("/static/{name}")
def static_file(name: str, request: Request) -> Response:
    """A file of `api/web/` (404 for anything else); 304 without its body when the request's
    `If-None-Match` names the file's current entity tag (the browser's copy is current)."""
    path = WEB_DIR / name
    suffix = path.suffix.lower()
    if (
        "/" in name
        or "\\" in name
        or name.startswith(".")
        or suffix not in CONTENT_TYPES
        or path.resolve().parent != WEB_DIR
        or not path.is_file()
    ):
        raise not_found("static file", name)
    status = path.stat()
    tag = f'"{status.st_mtime_ns:x}-{status.st_size:x}"'
    headers = {"Cache-Control": ASSET_CACHE, "ETag": tag, **SECURITY_HEADERS}
    named = entity_tags(request.headers.get("if-none-match", ""))
    if tag in named or "*" in named:
        return Response(status_code=304, headers=headers)
    return FileResponse(path, media_type=CONTENT_TYPES[suffix], headers=headers)


def entity_tags(header: str) -> set[str]:
    """The entity tags an `If-None-Match` header names, strong and weak alike (a weak `W/"x"` is
    `"x"`: a GET compares them weakly, RFC 9110 13.1.2); `*` names any current file."""
    tags = {part.strip().removeprefix("W/") for part in header.split(",")}
    return tags - {""}


__all__ = ["WEB_DIR", "plotly_js_path", "router"]
