"""Bounded before trust (`api.contract`, `api.body_shape`): what is done to a request before its
caller is known (decoding its JSON, the text boundary, the schema, the problem list) costs time
linear in the body's size, names at most `MAX_PROBLEMS` places, and runs off the event loop for
a large body: 30,000 unknown fields are refused at once, and health checks keep answering while
such bodies arrive.

Linearity is measured as the CPU time of the checking thread (`time.thread_time`: the machine's
other work does not count), the least of a few runs, per byte of body: it may not grow by more
than `LINEAR_SLACK` between a body an eighth of the limit and one near the limit (a quadratic
check grows 8-fold there; the check this replaced took 81 s for 30,000 fields)."""

from __future__ import annotations

import functools
import gc
import json
import re
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.app import create_app
from api.contract import INLINE_CHECK_BYTES, MAX_PROBLEMS, Contract, body_problems, contract_of
from quant.problems import MAX_DEPTH, MAX_INTEGER_DIGITS
from tests.api.conftest import make_settings
from tests.api.test_serve_workers import STARTUP_SECONDS, start_serve
from tests.support.hostile import nested
from tests.support.live_server import TLS

BODY_LIMIT = 1_048_576
"""The default `STRATIGOS_API_MAX_BODY_BYTES`."""
LINEAR_SLACK = 3.0
"""How much more a byte of the largest body may cost than a byte of one 8 times smaller."""
OPERATIONS = [
    ("POST", "/v1/portfolios"),
    ("POST", "/v1/optimizations"),
    ("POST", "/v1/strategy-estimates"),
    ("POST", "/portfolios"),
    ("POST", "/agent/threads"),
]
"""Operations whose bodies differ in kind: closed objects, maps, free-form parts, the founding
API's and the Agent Protocol's."""
T = TypeVar("T")


@pytest.fixture(scope="module")
def contract(tmp_path_factory: pytest.TempPathFactory) -> Contract:
    """The contract of an app."""
    return contract_of(create_app(make_settings(tmp_path_factory.mktemp("bounded") / "data")))


def _fields(n: int) -> bytes:
    return json.dumps({f"field{i}": i for i in range(n)}).encode()


def _nested_fields(n: int) -> bytes:
    return json.dumps({"name": "x", "weights": {f"T{i}": 0.0 for i in range(n)}}).encode()


def _items(n: int) -> bytes:
    return json.dumps({"name": list(range(n)), "weights": [{"x": "y"}] * (n // 8)}).encode()


def _depth(n: int) -> bytes:
    chain = json.dumps(nested(MAX_DEPTH - 2))
    return ('{"items": [' + ",".join([chain] * max(1, n // MAX_DEPTH)) + "]}").encode()


def _too_deep(n: int) -> bytes:
    return ("[" * n + "]" * n).encode()


def _text(n: int) -> bytes:
    return json.dumps({"notes": [f"line {i}\u0007" for i in range(n)]}).encode()


def _repeated(n: int) -> bytes:
    return ("{" + ",".join(['"name": "x"'] * n) + "}").encode()


def _not_finite(n: int) -> bytes:
    return ('{"weights": {' + ",".join(f'"T{i}": NaN' for i in range(n)) + "}}").encode()


def _long_integers(n: int) -> bytes:
    number = "9" * (MAX_INTEGER_DIGITS + 1)
    return ("[" + ",".join([number] * max(1, n // 400)) + "]").encode()


SHAPES: dict[str, Callable[[int], bytes]] = {
    "unknown fields": _fields,
    "entries of a map": _nested_fields,
    "items": _items,
    "depth": _depth,
    "nesting past the limit": _too_deep,
    "refused text": _text,
    "repeated keys": _repeated,
    "numbers that are not finite": _not_finite,
    "whole numbers too long to read": _long_integers,
}
"""Bodies of about `n` units (fields, items, levels, ...) of each kind that grows a body."""
REFUSED_EVERYWHERE = frozenset(
    {"nesting past the limit", "repeated keys", "numbers that are not finite"}
    | {"whole numbers too long to read"}
)
"""Shapes no door takes (the others: where the schema refuses them; the Agent Protocol's
free-form parts take unknown fields and any Unicode text)."""


@functools.cache
def _sized(shape: Callable[[int], bytes], size: int) -> bytes:
    """The body of `shape` closest to `size` bytes without passing it (made once per shape and
    size: the examples of one shape share their bodies)."""
    n = max(1, size // max(1, len(shape(1000)) // 1000))
    while len(shape(n)) > size:
        n = int(n * 0.9)
    return shape(n)


def _cost(check: Callable[[], T], runs: int = 3) -> tuple[float, T]:
    """The least CPU time of this thread that `check` took, in seconds (the collector held
    back: the app freezes its long-lived objects at start-up, `api.app`), and what it
    answered."""
    best = float("inf")
    for _ in range(runs):
        gc.disable()
        try:
            start = time.thread_time()
            answer = check()
            best = min(best, time.thread_time() - start)
        finally:
            gc.enable()
    return best, answer


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shape=st.sampled_from(sorted(SHAPES)), operation=st.sampled_from(OPERATIONS))
def test_the_check_before_authentication_grows_linearly_up_to_the_body_limit(
    contract: Contract, shape: str, operation: tuple[str, str]
) -> None:
    small = _sized(SHAPES[shape], BODY_LIMIT // 8)
    large = _sized(SHAPES[shape], BODY_LIMIT - 1024)
    assert len(large) > 6 * len(small)
    free = operation[1].startswith("/agent/")
    large_cost, found = _cost(lambda: body_problems(contract, operation, large, free=free))
    assert len(found) <= MAX_PROBLEMS, found
    assert found or shape not in REFUSED_EVERYWHERE
    small_cost, _ = _cost(lambda: body_problems(contract, operation, small, free=free))
    per_byte_small = small_cost / len(small)
    per_byte_large = large_cost / len(large)
    assert per_byte_large <= LINEAR_SLACK * per_byte_small + 1e-9, (
        shape,
        per_byte_small * len(small),
        per_byte_large * len(large),
    )


def test_thirty_thousand_unknown_fields_are_refused_in_milliseconds(contract: Contract) -> None:
    """The issue's case: 30,000 unknown fields (about 480 KB), refused naming the first
    `MAX_PROBLEMS` of them, in a CPU time of milliseconds (here at most 400 ms on a busy
    machine; the check it replaced took a minute)."""
    body = _fields(30_000)
    cost, found = _cost(lambda: body_problems(contract, ("POST", "/v1/portfolios"), body))
    assert found == [(f"body.field{i}", "is not a field here") for i in range(MAX_PROBLEMS)]
    assert cost < 0.4


def test_a_large_body_is_checked_off_the_event_loop(tmp_path: Path) -> None:
    """A body above `INLINE_CHECK_BYTES` is checked in another thread than the event loop's;
    a small one where it arrives."""
    from fastapi.testclient import TestClient

    import api.contract

    threads: list[int] = []
    check = api.contract.body_problems

    def recorded(*args: object, **options: bool) -> object:
        threads.append(threading.get_ident())
        return check(*args, **options)  # type: ignore[arg-type]

    loop_threads: list[int] = []
    app = create_app(make_settings(tmp_path / "data"))

    @app.middleware("http")
    async def loop_thread(request: object, call_next: Callable[..., object]) -> object:
        loop_threads.append(threading.get_ident())
        return await call_next(request)  # type: ignore[misc]

    with pytest.MonkeyPatch.context() as patch, TestClient(app) as client:
        patch.setattr(api.contract, "body_problems", recorded)
        small = client.post("/v1/portfolios", content=_fields(10))
        large = client.post("/v1/portfolios", content=_sized(_fields, 4 * INLINE_CHECK_BYTES))
        client.get("/v1/portfolios", params={"x": 1})  # a request the contract refuses
    assert small.status_code == large.status_code == 422
    assert len(threads) == 2 and loop_threads
    assert threads[0] == loop_threads[0] and threads[1] != loop_threads[0]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real `stratigos serve` (one process, no job worker); its URL."""
    data_dir = tmp_path_factory.mktemp("served") / "data"
    data_dir.mkdir(parents=True)
    variables = {"STRATIGOS_API_PROCESSES": "1", "STRATIGOS_API_JOB_WORKERS": "0"}
    server = start_serve(data_dir, variables=variables)
    try:
        assert server.stdout is not None
        banner = server.stdout.readline()
        address = re.search(r"Stratigos API on (http://\S+)", banner)
        assert address is not None, banner
        yield address.group(1)
    finally:
        server.terminate()
        server.wait(STARTUP_SECONDS)


BODIES_PER_CLIENT = 3
"""Bodies of 30,000 unknown fields each flooding client sends, one after another."""


def _latencies(base: str, done: threading.Event, at_least: int = 1) -> list[float]:
    """Liveness checks one after another (20 ms apart) until `done` is set, at least
    `at_least` of them: their latencies."""
    found: list[float] = []
    with httpx.Client(base_url=base, timeout=30, verify=TLS) as client:
        while len(found) < at_least or not done.is_set():
            start = time.perf_counter()
            assert client.get("/v1/health/live").status_code == 200
            found.append(time.perf_counter() - start)
            done.wait(0.02)
    return found


def test_health_answers_while_bodies_of_thirty_thousand_unknown_fields_arrive(
    served: str,
) -> None:
    """Four clients send bodies of 30,000 unknown fields, one after another, while liveness is
    checked until the last is answered: the checks answer in 50 ms typically (median) and within
    a second at the 90th percentile (generous: on a shared machine of 2 busy cores it measured
    60-350 ms; a check on the event loop held each of them for seconds to a minute), and every
    body is refused with 422 naming at most `MAX_PROBLEMS` fields."""
    body = _fields(30_000)
    answers: list[tuple[int, int]] = []

    def flood(bodies: int) -> None:
        with httpx.Client(base_url=served, timeout=120, verify=TLS) as client:
            for _ in range(bodies):
                response = client.post(
                    "/v1/portfolios", content=body, headers={"content-type": "application/json"}
                )
                answers.append((response.status_code, len(response.json()["error"]["details"])))

    warm = threading.Event()
    warm.set()
    _latencies(served, warm, at_least=5)  # the connection and the routes warm
    flood(1)  # the first body builds the contract's checker
    clients = [threading.Thread(target=flood, args=(BODIES_PER_CLIENT,)) for _ in range(4)]
    done = threading.Event()

    def answered() -> None:
        for client in clients:
            client.join()
        done.set()

    for client in clients:
        client.start()
    watcher = threading.Thread(target=answered)
    watcher.start()
    try:
        latencies = sorted(_latencies(served, done))
    finally:
        watcher.join()
    assert len(answers) == 1 + 4 * BODIES_PER_CLIENT, answers
    assert all(answer == (422, MAX_PROBLEMS) for answer in answers), answers
    assert statistics.median(latencies) < 0.05, latencies
    assert latencies[int(0.9 * len(latencies))] < 1.0, latencies
