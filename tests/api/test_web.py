"""The web UI's routes (no browser): the page, its assets and plotly.js from the plotly package;
nothing loaded from other hosts; /v1 routes unaffected."""

from __future__ import annotations

import re
from importlib.metadata import version
from pathlib import Path

import plotly
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.routes.web import WEB_DIR, plotly_js_path
from tests.api.conftest import Api

EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)


def test_the_page_is_served_at_the_root_without_a_key(api: Api) -> None:
    response = api.client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["x-content-type-options"] == "nosniff"
    html = response.text
    assert "<title>Stratigos</title>" in html
    # relative paths: the UI also works under a path prefix (an API Gateway stage)
    # plotly.js is named, not loaded: the first chart drawn loads it (api/web/charts.js)
    assert (
        f'<meta name="plotly-src" content="static/vendor/plotly.min.js?v={version("plotly")}"'
        in html
    )
    assert "<script" not in html.replace('<script type="module" src="static/app.js">', "")
    assert '<script type="module" src="static/app.js">' in html


def test_no_asset_comes_from_another_host(api: Api) -> None:
    html = api.client.get("/").text
    assert not EXTERNAL.search(html), EXTERNAL.findall(html)
    for path in WEB_DIR.iterdir():
        text = path.read_text(encoding="utf-8")
        assert "cdn." not in text.lower(), path
        assert not re.search(r"""(?:import|from)\s*\(?\s*["']https?://""", text), path
        assert not EXTERNAL.search(text), (path, EXTERNAL.findall(text))


def test_plotly_js_is_served_from_the_installed_package(api: Api) -> None:
    package_file = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    assert plotly_js_path() == package_file.resolve() or plotly_js_path() == package_file
    response = api.client.get(f"/static/vendor/plotly.min.js?v={version('plotly')}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert "max-age=31536000" in response.headers["cache-control"]
    assert response.content == package_file.read_bytes()
    assert not (WEB_DIR / "plotly.min.js").exists()  # never copied into the repository
    assert not any(p.stat().st_size > 500_000 for p in WEB_DIR.iterdir())


def test_assets_have_their_content_types(api: Api) -> None:
    expected = {
        "app.js": "text/javascript",
        "api.js": "text/javascript",
        "styles.css": "text/css",
        "index.html": "text/html",
    }
    for name, content_type in expected.items():
        response = api.client.get(f"/static/{name}")
        assert response.status_code == 200, name
        assert response.headers["content-type"].startswith(content_type), name
        assert response.content == (WEB_DIR / name).read_bytes()


def test_only_files_of_the_web_directory_are_served(api: Api) -> None:
    for name in ["../app.py", "..%2Fapp.py", "%2e%2e%2fapp.py", "missing.js", ".hidden.js"]:
        response = api.client.get(f"/static/{name}")
        assert response.status_code == 404, name
        assert response.json()["error"]["code"] == "NOT_FOUND"
        assert "import" not in response.text


def test_api_routes_still_need_their_key_and_are_not_shadowed(api: Api) -> None:
    assert api.client.get("/v1/optimizations").status_code == 401
    assert api.client.get("/v1/health").json()["status"] == "ok"
    schema = api.client.get("/v1/openapi.json").json()
    assert "/" not in schema["paths"]
    assert not any(p.startswith("/static") for p in schema["paths"])


def test_every_module_the_page_imports_exists(api: Api) -> None:
    """The ES modules import each other by relative path: each must be served."""
    for path in WEB_DIR.glob("*.js"):
        for target in re.findall(r"""from\s+["']\./([\w.-]+)["']""", path.read_text()):
            assert api.client.get(f"/static/{target}").status_code == 200, (path.name, target)


ASSETS = sorted(p.name for p in WEB_DIR.iterdir() if p.suffix != ".html")


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    name=st.sampled_from(ASSETS),
    others=st.lists(
        st.from_regex(r'"[0-9a-f]{1,12}-[0-9a-f]{1,6}"', fullmatch=True)
        | st.text(
            st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters=",*"),
            max_size=40,
        ),
        max_size=3,
    ),
    current=st.sampled_from(["strong", "weak", "absent", "any"]),
    spaces=st.sampled_from(["", " ", "  "]),
)
def test_an_asset_the_browser_holds_is_not_sent_again(
    api: Api, name: str, others: list[str], current: str, spaces: str
) -> None:
    """A UI file is revalidated on every load: a request whose If-None-Match names the file's
    current entity tag (strong or weak, among others, or `*`) gets 304 and no body; one that
    names only other tags, or any other text a header may hold, gets the whole file with its tag
    (it got the whole file each time)."""
    first = api.client.get(f"/static/{name}")
    tag = first.headers["etag"]
    assert first.status_code == 200 and first.content == (WEB_DIR / name).read_bytes()
    assert first.headers["cache-control"] == "no-cache"
    named = [t for t in others if t != tag]
    if current != "absent":
        named.insert(len(named) // 2, {"strong": tag, "weak": f"W/{tag}", "any": "*"}[current])
    header = f",{spaces}".join(named).encode("latin-1")  # a header's bytes, as a client sends
    again = api.client.get(f"/static/{name}", headers={"If-None-Match": header})
    if current == "absent":
        assert again.status_code == 200 and again.content == first.content
    else:
        assert again.status_code == 304 and again.content == b""
        assert again.headers["etag"] == tag
        assert again.headers["x-content-type-options"] == "nosniff"
