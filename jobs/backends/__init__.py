"""Compute backends for sweep batches: `local` (default), `ray` and `sagemaker`.

`backend_from_settings()` builds the backend named by `STRATIGOS_COMPUTE_BACKEND` from the
compute settings group (`Settings.compute`, a `settings.ComputeSettings`: `STRATIGOS_COMPUTE_*`
variables; `RAY_ADDRESS` is read as well).
Backends are imported lazily, so `ray` and the AWS clients load only when chosen. See
docs/compute.md.
"""

from __future__ import annotations

from typing import Any

from jobs.backends.base import ComputeBackend
from jobs.compute_errors import (
    BackendUnavailableError,
    ComputeError,
    ComputeTimeoutError,
    RemoteJobError,
    ShardError,
    WorkerCrashedError,
)
from settings import ComputeSettings, Settings, get_settings

__all__ = [
    "BackendUnavailableError",
    "ComputeBackend",
    "ComputeError",
    "ComputeTimeoutError",
    "RemoteJobError",
    "ShardError",
    "WorkerCrashedError",
    "backend_for_search",
    "backend_from_settings",
]


def backend_from_settings(
    config: ComputeSettings | None = None, *, settings: Settings | None = None, **overrides: Any
) -> ComputeBackend:
    """The backend `config.backend` (default: the compute group of `settings`, else of the
    process's settings), with `overrides` replacing fields of that group (`workers=0`; a nested
    group is replaced whole: `ray=config.ray.model_copy(update=...)`). Raises
    `BackendUnavailableError` when the backend's package or required settings are missing."""
    base = config or (settings or get_settings()).compute
    if overrides:
        base = base.model_copy(update=overrides)
    if base.backend == "local":
        from jobs.backends.local import LocalBackend

        return LocalBackend.from_config(base)
    if base.backend == "ray":
        from jobs.backends.ray_backend import RayBackend

        return RayBackend.from_config(base)
    if base.backend == "sagemaker":
        from jobs.backends.sagemaker import SageMakerBackend

        return SageMakerBackend.from_config(base)
    raise BackendUnavailableError(f"unknown compute backend {base.backend!r}")


def backend_for_search(config: ComputeSettings) -> ComputeBackend | None:
    """Where a search sends its batches: the backend `config` names, or None to evaluate them
    in the searching process when it is `local` without `workers` (its threads already evaluate
    a batch's scenarios in parallel: the engine releases the GIL)."""
    if config.backend == "local" and not config.workers:
        return None
    return backend_from_settings(config)
