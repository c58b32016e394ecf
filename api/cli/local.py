"""What the command line acts as: the local owner (the one `stratigos serve` signs in), its
store, and running an optimization job in this process."""

from __future__ import annotations

from typing import Any

from settings import LOCAL_OWNER

__all__ = ["LOCAL_OWNER", "open_local_store", "run_job"]


def open_local_store() -> Any:
    """The configured store (the data directory created for SQLite)."""
    from settings import get_settings
    from store.factory import open_store

    settings = get_settings()
    if settings.store.backend == "sqlite":
        settings.ensure_data_dir()
    return open_store(settings)


def run_job(request: Any, key: str | None, sink: Any) -> tuple[str, dict[str, Any]]:
    """Submit the request as an optimization job and run it here; (job id, result). The
    owner's strategy model learns the run afterwards where `settings.cli_learning` says: in a
    process of its own, which outlives this one (`graphs.learn_job`), or on a thread of this
    one, which waits for it before it exits."""
    from graphs.job_handlers import run_job_here
    from settings import get_settings
    from store.factory import open_store

    learning = get_settings().cli_learning
    return run_job_here(
        open_store(), LOCAL_OWNER, request, sink=sink, idempotency_key=key, learning=learning
    )
