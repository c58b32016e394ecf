"""`api.probe_thread.ProbeThread`: readiness's checks run in a thread of their own; a recent
result answers at once (a stale one is checked again in the background), an old one is waited
for, and a check that hangs costs its callers at most the timeout."""

from __future__ import annotations

import asyncio
import threading

from api.probe_thread import ProbeThread


def test_recent_results_answer_at_once_and_old_ones_are_checked_again() -> None:
    now = [100.0]
    probes = ProbeThread("test", clock=lambda: now[0])
    calls: list[str] = []

    def check() -> int:
        calls.append(threading.current_thread().name)
        return len(calls)

    async def scenario() -> None:
        ask = lambda: probes.run(  # noqa: E731
            "store", check, refresh_after=0.5, max_age=5.0, timeout=5.0
        )
        assert await ask() == 1  # none yet: waited for
        assert calls[0].startswith("test")  # in the probe thread, not the caller's
        now[0] += 0.4
        assert await ask() == 1 and len(calls) == 1  # recent: no new check
        now[0] += 0.2
        assert await ask() == 1  # stale: answered at once, checked again meanwhile
        while len(calls) < 2:
            await asyncio.sleep(0.001)
        now[0] += 0.1
        assert await ask() == 2
        now[0] += 10.0
        assert await ask() == 3  # too old to answer: waited for

    asyncio.run(scenario())
    probes.close()


def test_a_hanging_check_times_out_and_is_shared() -> None:
    probes = ProbeThread("test")
    release = threading.Event()
    calls = [0]

    def hangs() -> str:
        calls[0] += 1
        release.wait(10)
        return "late"

    async def scenario() -> None:
        for _ in range(3):
            try:
                await probes.run("store", hangs, refresh_after=0.5, max_age=5.0, timeout=0.05)
            except TimeoutError:
                pass
            else:
                raise AssertionError("a hanging check answered")
        assert calls[0] == 1  # one run, shared
        release.set()

    asyncio.run(scenario())
    probes.close()
