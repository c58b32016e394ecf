"""Browser fixtures: the API app under uvicorn on loopback, Debian's Chromium driven by
Playwright, and a directory for screenshots.

- `server` (module-scoped): the app for a test module, signed in as an owner of its own. A
  module without `SERVER_SETTINGS` gets `shared_server` (package-scoped: one app on the default
  settings for every such module) with a new API key of an owner named after the module, so
  that modules see only their own data (the isolation between owners is the product's); a
  module with a `SERVER_SETTINGS` dict (settings overrides) gets an app of its own, owner
  `local`. Each app is `create_app(settings)` (SQLite store, offline model, one job worker)
  served by `uvicorn.Server` in a thread on a free 127.0.0.1 port, ready once `/v1/health`
  answers.
- `browser_context` (session-scoped): one headless Chromium (`/usr/bin/chromium`, never a
  downloaded browser) with a fresh user-data dir, a 1280x800 viewport; tests open pages in it.
- `artifacts`: where screenshots go: `$STRATIGOS_TEST_ARTIFACTS` when set, else a directory
  under pytest's temporary directory (printed at the end of the run). The screenshots a test
  takes of what it checked (`screenshot`) are taken only when `$STRATIGOS_TEST_ARTIFACTS` is
  set (a full page costs Chromium 0.3-0.7 s, and a passed run's temporary directory is removed
  anyway); a failed test's page is always taken, as `<test>-failed.png`.

The tests skip with the reason when `/usr/bin/chromium` is missing (`make` installs it).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from settings import Settings, get_settings
from store import Store
from tests.api.conftest import make_settings
from tests.support.live_server import TLS, running_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT: Any = {"width": 1280, "height": 800}
TIMEOUT_MS = 90_000
"""Upper bound for any single wait in the browser (the runs themselves take seconds)."""

ARTIFACTS_VARIABLE = "STRATIGOS_TEST_ARTIFACTS"
_artifact_dirs: list[Path] = []
_failed = pytest.StashKey[bool]()


@dataclass
class Server:
    """A running API server: its base URL, an API key of `owner`, the settings it runs on and
    the app's store."""

    url: str
    key: str
    owner: str
    settings: Settings
    store: Store

    def signed_in_as(self, owner: str) -> Server:
        """The same server with a new API key of `owner`."""
        key, _ = self.store.create_api_key(owner, "browser-tests")
        return replace(self, key=key, owner=owner)

    def client(self) -> httpx.Client:
        """An HTTP client for the API with the key set."""
        return httpx.Client(
            base_url=self.url, headers={"x-api-key": self.key}, timeout=60, verify=TLS
        )


def _skip_without_chromium() -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (the Makefile does)")


@contextmanager
def serving(tmp_path_factory: pytest.TempPathFactory, **overrides: Any) -> Iterator[Server]:
    """The app on a fresh data dir with settings `overrides`, served on a free loopback port
    until the block ends."""
    _skip_without_chromium()
    from api.app import create_app

    data_dir = tmp_path_factory.mktemp("browser") / "data"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("STRATIGOS_DATA_DIR", str(data_dir))
        mp.setenv("STRATIGOS_MODEL_PROVIDER", "offline")
        get_settings.cache_clear()
        settings = make_settings(data_dir, **overrides)
        app = create_app(settings)
        store = app.state.context.store
        key, _ = store.create_api_key("local", "browser-tests")
        with running_server(app, timeout=60) as url:
            yield Server(url=url, key=key, owner="local", settings=settings, store=store)
    get_settings.cache_clear()


@pytest.fixture(scope="package")
def shared_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The app on the default settings and a fresh data dir, served until the package's tests
    end: one start (and one origin for the browser's cache) for every module that needs no
    settings of its own."""
    with serving(tmp_path_factory) as server:
        yield server


@pytest.fixture(scope="module")
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """The module's server: `shared_server` signed in as the module's own owner, or, with the
    module's `SERVER_SETTINGS`, an app of its own on a fresh data dir until the module ends."""
    overrides = getattr(request.module, "SERVER_SETTINGS", None)
    if overrides is None:
        shared: Server = request.getfixturevalue("shared_server")
        yield shared.signed_in_as(request.module.__name__.rsplit(".", 1)[-1])
        return
    with serving(tmp_path_factory, **overrides) as server:
        yield server


@pytest.fixture(scope="package")
def browser_context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One headless Debian Chromium (fresh profile) for the browser tests; closed after them, so
    later tests do not run inside the sync API's event loop."""
    _skip_without_chromium()
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport=VIEWPORT,
            accept_downloads=True,
        )
        context.set_default_timeout(TIMEOUT_MS)
        try:
            yield context
        finally:
            context.close()


def screenshot(target: Any, path: Path, **options: Any) -> None:
    """Save a screenshot of `target` (a page or a locator) at `path` (`options`: Playwright's),
    when `$STRATIGOS_TEST_ARTIFACTS` asks for them; else nothing."""
    if os.environ.get(ARTIFACTS_VARIABLE):
        target.screenshot(path=str(path), **options)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Remember a test whose call failed (its page is then taken at teardown)."""
    report = yield
    if report.when == "call" and report.failed:
        item.stash[_failed] = True
    return report


@pytest.fixture
def page(
    request: pytest.FixtureRequest, browser_context: Any, server: Server, artifacts: Path
) -> Iterator[Any]:
    """A new tab; its uncaught errors and console errors are collected in `page.problems`. When
    the test fails, its full page is saved in `artifacts` as `<test>-failed.png`."""
    tab = browser_context.new_page()
    problems: list[str] = []
    tab.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))

    def on_console(msg: Any) -> None:
        # failed requests (e.g. an expected 404 or 401) are logged by Chromium too: not bugs
        if msg.type == "error" and not msg.text.startswith("Failed to load resource"):
            problems.append(f"console error: {msg.text}")

    tab.on("console", on_console)
    tab.problems = problems
    try:
        yield tab
        if request.node.stash.get(_failed, False):
            name = re.sub(r"[^\w.-]+", "_", request.node.name)[:150]
            from playwright.sync_api import Error as PlaywrightError

            with suppress(PlaywrightError):  # a tab that crashed has no picture to give
                tab.screenshot(path=str(artifacts / f"{name}-failed.png"), full_page=True)
    finally:
        tab.close()


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The screenshot directory ($STRATIGOS_TEST_ARTIFACTS, or one under pytest's tmp dir)."""
    configured = os.environ.get(ARTIFACTS_VARIABLE)
    path = Path(configured) if configured else tmp_path_factory.mktemp("browser-artifacts")
    path.mkdir(parents=True, exist_ok=True)
    _artifact_dirs.append(path)
    return path


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say where the screenshots are."""
    for path in _artifact_dirs:
        terminalreporter.write_line(f"browser test screenshots: {path}")
