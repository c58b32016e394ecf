"""The instant estimates' serving entry point: SageMaker's container contract for real-time
(and serverless) inference, answered by `services.estimates.estimate_strategy`.

`python -m api.estimates_endpoint [--host 0.0.0.0] [--port 8080]`; in the processing image
SageMaker starts it as `python -m jobs.entrypoint serve`, which hands over to `main`. The store
is the process's (`STRATIGOS_STORE_*`: on AWS the owners' models in the model-artifacts bucket).

- `GET /ping`: 200 `{"status": "ready"}` once the store is open; 503 otherwise.
- `POST /invocations`: a JSON object `{"owner", "config", "run_id"?, "scenarios"?}` (the
  arguments of `estimate_strategy`); 200 with its answer as JSON.

Errors are the project's format `{"error": {"code", "message", "details": [{"field",
"problem"}]}}`, fields named as in the invocation's body (`config.target_vol`): 400
`BAD_REQUEST` (not a JSON object), 422 `VALIDATION_ERROR` (a bad field), 404 `NOT_FOUND` (no
model yet, or no such search of the owner's), 503 `UNAVAILABLE` (the store cannot be read),
500 `INTERNAL` (logged, never detailed). The body's owner is trusted: only the API may invoke
the endpoint (IAM), and it sends the owner it authenticated (`services.estimate_endpoint`).
"""

from __future__ import annotations

import argparse
import json
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from api.errors import ApiError, error_json, field_errors
from services.estimates import estimate_strategy
from settings import Settings, get_settings
from settings.process_exit import exit_process
from store import Store, StoreUnavailableError
from store.factory import open_store

PORT = 8080
"""The port SageMaker sends `/ping` and `/invocations` to."""
FIELDS = {"owner", "config", "run_id", "scenarios"}
MAX_OWNER_CHARS = 256
log = logging.getLogger("stratigos.estimates_endpoint")


def _error(exc: ApiError) -> JSONResponse:
    return error_json(exc.status, exc.code, exc.message, exc.details)


def _refuse(status: int, code: str, field: str, problem: str) -> JSONResponse:
    return error_json(status, code, f"{field}: {problem}", [{"field": field, "problem": problem}])


def invocation_problem(body: Any) -> tuple[str, str] | None:
    """What is wrong with an invocation's body, as (field, problem), or None: a JSON object of
    `FIELDS` only, `owner` a non-empty string, `run_id` a string or null, `scenarios` a list of
    strings or null (`config` is checked by `estimate_strategy`, which names its field)."""
    if not isinstance(body, Mapping):
        return "body", "must be a JSON object"
    unknown = sorted(set(body) - FIELDS)
    if unknown:
        name = unknown[0]
        problem = f"is not a field of an invocation ({', '.join(sorted(FIELDS))} are)"
        return (name, problem) if name.strip() else ("body", f"the field {name!r} {problem}")
    owner = body.get("owner")
    if not isinstance(owner, str) or not owner.strip() or len(owner) > MAX_OWNER_CHARS:
        return "owner", f"must be a non-empty string of at most {MAX_OWNER_CHARS} characters"
    if "config" not in body:
        return "config", "is required"
    run_id = body.get("run_id")
    if run_id is not None and not isinstance(run_id, str):
        return "run_id", "must be a string or null"
    scenarios = body.get("scenarios")
    if scenarios is not None and not (
        isinstance(scenarios, list) and all(isinstance(s, str) for s in scenarios)
    ):
        return "scenarios", "must be a list of scenario names or null"
    return None


def create_endpoint_app(settings: Settings | None = None) -> Starlette:
    """The serving app over the store `settings` (default: the process's) configure."""
    state: dict[str, Store] = {}

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            state["store"] = open_store(settings or get_settings())
        except StoreUnavailableError:
            log.exception("the store cannot be opened: /ping answers 503")
        yield
        if "store" in state:
            state.pop("store").close()

    def ping(request: Request) -> JSONResponse:
        if "store" not in state:
            return error_json(503, "UNAVAILABLE", "the store could not be opened")
        return JSONResponse({"status": "ready"})

    async def invocations(request: Request) -> JSONResponse:
        raw = await request.body()
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            return _refuse(400, "BAD_REQUEST", "body", "is not JSON")
        problem = invocation_problem(body)
        if problem is not None:
            if not isinstance(body, Mapping):
                return _refuse(400, "BAD_REQUEST", *problem)
            return _refuse(422, "VALIDATION_ERROR", *problem)
        if "store" not in state:
            return error_json(503, "UNAVAILABLE", "the store could not be opened")
        from starlette.concurrency import run_in_threadpool

        try:
            answer = await run_in_threadpool(_estimate, state["store"], body)
        except ApiError as exc:
            return _error(exc)
        except StoreUnavailableError as exc:
            return error_json(503, "UNAVAILABLE", f"the store cannot be read: {exc}")
        except Exception:
            log.exception("an estimate failed")
            return error_json(500, "INTERNAL", "the estimate failed (logged)")
        return JSONResponse(answer)

    return Starlette(
        routes=[
            Route("/ping", ping, methods=["GET"]),
            Route("/invocations", invocations, methods=["POST"]),
        ],
        lifespan=lifespan,
    )


def _estimate(store: Store, body: Mapping[str, Any]) -> dict[str, Any]:
    """`estimate_strategy` of a checked invocation; its `InputError`s as `ApiError`s naming the
    body's field (404 for what the owner does not have)."""
    scenarios: Sequence[str] | None = body.get("scenarios")
    with field_errors(""):
        return estimate_strategy(
            store,
            str(body["owner"]),
            body["config"],
            run_id=body.get("run_id"),
            scenarios=scenarios,
        )


def main(argv: Sequence[str] | None = None) -> int:
    """Serve on `--host`:`--port` (default 0.0.0.0:8080) until stopped; the exit status."""
    import uvicorn

    parser = argparse.ArgumentParser(
        prog="python -m api.estimates_endpoint",
        description="Serve instant estimates on SageMaker's container contract.",
    )
    parser.add_argument("--host", default="0.0.0.0")  # inside the container: SageMaker's calls
    parser.add_argument("--port", type=int, default=PORT)
    args = parser.parse_args(argv)
    uvicorn.run(create_endpoint_app(), host=args.host, port=args.port, log_level="warning")
    return 0


if __name__ == "__main__":
    exit_process(main)
