"""What the forkserver of `stratigos serve`'s server processes loads once (`api.server`), so
that every server process it forks starts with it instead of doing it again (issue 63: a
spawned server process spent about 1.2 s of CPU importing the app and 1.1 s building its OpenAPI
document before it read its first request body):

- the modules a server process runs: uvicorn, the app (FastAPI, the routes and their schemas),
  the loading server (`api.startup`), the store;
- the app's OpenAPI document (`api.contract.contract_openapi`: kept per process by the app's
  operations, so each forked process's app finds it; it depends on the code, not the settings).

Nothing here starts a thread (the forkserver forks this process; a thread's locks would be
copied in whatever state they were) or opens a file or a connection: the numeric libraries,
the market data and the store's connections load in each server process, as before. Nothing here
may stop the forkserver either: a document that cannot be built here is built by each process
(logged at debug level).
"""

from __future__ import annotations

import logging

from settings.process_start import defer_package_indexes

defer_package_indexes()  # before LangChain's and LangGraph's packages load, as a server's does

import uvicorn  # noqa: E402

import api.connections  # noqa: E402
import api.log_output  # noqa: E402
import api.startup  # noqa: E402
import store.factory  # noqa: E402
from api.app import create_app  # noqa: E402
from api.contract import contract_openapi  # noqa: E402

LOADED = (uvicorn, api.connections, api.log_output, api.startup, store.factory)
"""The modules a server process needs besides the app's (imported for the processes forked)."""

log = logging.getLogger("stratigos.api.serve_preload")


def build_document() -> bool:
    """Build the app's OpenAPI document into this process's cache; False (logged) when it
    cannot be built here (each server process then builds it)."""
    try:
        contract_openapi(create_app())
    except Exception:  # an optimization only: never the forkserver's end
        log.debug("the OpenAPI document was not built ahead of the server processes", exc_info=True)
        return False
    return True


build_document()
