"""The default per-caller rate limit is sized for the web UI's own polling (issue 42).

Every tab of the web UI signs in with the same session key (one caller), so the limit must let
a few tabs poll at once while a runaway client is still throttled within seconds. The tabs'
polling periods are read from the UI's own modules, so a faster poll there shows up here. Time
is a fake clock: ten simulated minutes run in milliseconds."""

from __future__ import annotations

import re
from pathlib import Path

import api
from api.limits import RateLimiter
from settings.groups.api import ApiSettings

WEB = Path(api.__file__).parent / "web"
TABS = 6
"""Tabs open at once under one session key ("a few", with room to spare)."""
PAGE_LOAD = 12
"""Requests a tab sends at once when it (re)loads a page: a deployment's books, orders, ledger,
performance and the lists around them (counted generously)."""
RELOAD_SECONDS = 60.0
"""Each tab reloads its page this often (a generous guess at how often someone clicks)."""
MINUTES = 10


def poll_seconds(module: str, constant: str) -> float:
    """A polling period (seconds) from a web UI module: `const NAME = <milliseconds>;`."""
    text = (WEB / module).read_text()
    found = re.search(rf"const {constant} = ([\d_]+);", text)
    assert found is not None, f"{constant} not found in {module}"
    return int(found.group(1).replace("_", "")) / 1000


def tab_schedule(offset: float) -> list[tuple[float, int]]:
    """(time, requests) one tab sends over `MINUTES`: page loads, the deployment page's status
    poll and the jobs list's refresh both at once (a worst case: a tab shows one page)."""
    status = poll_seconds("deployments.js", "POLL_MS")
    jobs = poll_seconds("jobs.js", "REFRESH_MS")
    end = MINUTES * 60.0
    sends: list[tuple[float, int]] = []
    for period, count in ((RELOAD_SECONDS, PAGE_LOAD), (status, 1), (jobs, 1)):
        at = offset
        while at < end:
            sends.append((at, count))
            at += period
    return sends


def test_a_few_ui_tabs_polling_under_one_key_are_never_throttled() -> None:
    settings = ApiSettings()
    now = [0.0]
    limiter = RateLimiter(
        settings.rate_limit_per_minute, settings.rate_limit_burst, clock=lambda: now[0]
    )
    sends = sorted(send for tab in range(TABS) for send in tab_schedule(offset=tab * 0.01))
    per_minute = sum(count for _, count in sends) / MINUTES
    assert per_minute > 600  # more than the old default (600 a minute) allowed
    refused = 0
    for at, count in sends:
        now[0] = at
        refused += sum(limiter.take("session-key") is not None for _ in range(count))
    assert refused == 0, f"{refused} of the UI's {per_minute:.0f} requests a minute throttled"


def test_a_runaway_client_is_throttled_within_seconds() -> None:
    settings = ApiSettings()
    now = [0.0]
    limiter = RateLimiter(
        settings.rate_limit_per_minute, settings.rate_limit_burst, clock=lambda: now[0]
    )
    first_refusal = None
    for request in range(10_000):  # 100 requests a second, no pause
        now[0] = request / 100
        if limiter.take("runaway") is not None:
            first_refusal = now[0]
            break
    assert first_refusal is not None and first_refusal < 5.0
