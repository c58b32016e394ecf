"""The capacity benchmark's wrk script (`benchmarks/capacity_mix.lua` through
`benchmarks.wrk_load.run_wrk`) against a small server that refuses the jobs listing with 503 and
`Retry-After: 1`: it sends the benchmark's mix with every owner's key, counts admitted and shed
answers as the server sent them, and clients that honour `Retry-After` wait it while flooding
ones do not."""

from __future__ import annotations

import asyncio
import json
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from benchmarks.bench_capacity import ANALYZE, MIX
from benchmarks.wrk_load import WrkResult, run_wrk, wrk_available

pytestmark = pytest.mark.skipif(
    not wrk_available(), reason="wrk is not installed (make bench-deps)"
)

KEYS = [f"key-{i}" for i in range(10)]
REFUSED_PATH = "/v1/optimizations?limit=20"
HONOURED_MOST = 2 * 4
"""Refusals two clients that wait 1 s after each can get in 3 s (one at the start, one a second
after each: one a round of the mix)."""


class Recorder(BaseHTTPRequestHandler):
    """Counts what arrives; the jobs listing is refused, the rest admitted."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # the headers and the body leave at once
    seen: Counter[tuple[str, str]]
    keys: set[str]
    bodies: list[object]
    answered: Counter[int]

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        if length:
            assert self.headers["Content-Type"] == "application/json"
            type(self).bodies.append(json.loads(self.rfile.read(length)))
        type(self).seen[(self.command, self.path)] += 1
        type(self).keys.add(self.headers.get("x-api-key", ""))
        status = 503 if self.path == REFUSED_PATH else 200
        type(self).answered[status] += 1
        self.send_response(status)
        if status == 503:
            self.send_header("Retry-After", "1")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    do_GET = do_POST = _answer

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def recorder() -> Iterator[tuple[str, type[Recorder]]]:
    handler = type("Recording", (Recorder,), {})
    handler.seen, handler.keys, handler.bodies, handler.answered = Counter(), set(), [], Counter()
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", handler
    server.shutdown()
    server.server_close()


def run(base: str, behaviour: str) -> WrkResult:
    return asyncio.run(run_wrk(base, KEYS, clients=2, seconds=3, behaviour=behaviour))


def test_flooding_clients_send_the_mix_and_their_answers_are_counted(
    recorder: tuple[str, type[Recorder]],
) -> None:
    base, handler = recorder
    result = run(base, "flood")
    assert {path for _, path in handler.seen} == {path for _, path, _ in MIX}
    methods = {path: method for method, path, _ in MIX}
    assert all(methods[path] == method for method, path in handler.seen)
    assert handler.keys == set(KEYS)
    assert handler.bodies and all(body == ANALYZE for body in handler.bodies)
    # wrk counts what it read back; the server may have answered a few more at the end
    assert 0 < result.admitted <= handler.answered[200]
    assert 0 < result.shed <= handler.answered[503]
    assert result.shed > 4 * HONOURED_MOST  # no waiting: a refused client asks again at once
    assert result.other == result.throttled == 0


def test_clients_that_honour_retry_after_wait_it(recorder: tuple[str, type[Recorder]]) -> None:
    base, _ = recorder
    result = run(base, "honour")
    # each client is refused once per round of the mix, then waits 1 s: at most a round a
    # second (and one more at the start) per client over the 3 s
    assert 1 <= result.shed <= HONOURED_MOST
    assert result.admitted <= 3 * result.shed + 6
