"""The errors every compute backend raises, and how a shard's failure is described.

Errors (all `ComputeError`):

- `ShardError`: a shard's evaluation raised (a bad config, bad inputs); names the shard and the
  reason (the original exception's type and message).
- `WorkerCrashedError`: the process evaluating a shard died (killed, out of memory, `os._exit`);
  names the shard. The backend stays usable: the next `map` starts fresh workers.
- `RemoteJobError`: a remote job (SageMaker Processing) ended Failed or Stopped; carries the
  job name, status and the service's failure reason.
- `ComputeTimeoutError`: the shards did not finish within the backend's timeout.
- `BackendUnavailableError`: the backend cannot start (optional package missing, settings
  incomplete, cluster unreachable).
"""

from __future__ import annotations

from typing import Any


class ComputeError(RuntimeError):
    """Base class of the compute backends' errors."""


class ShardFailure(ComputeError):
    """A failure of shard `shard_id` for `reason`; subclasses word the message (`template`,
    formatted with both)."""

    template = "shard {shard_id!r} failed: {reason}"

    def __init__(self, shard_id: str, reason: str) -> None:
        super().__init__(self.template.format(shard_id=shard_id, reason=reason))
        self.shard_id = shard_id
        self.reason = reason

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.shard_id, self.reason))


class ShardError(ShardFailure):
    """Evaluating shard `shard_id` raised; `reason` is "<ExceptionType>: <message>"."""


class WorkerCrashedError(ShardFailure):
    """The worker process evaluating shard `shard_id` died before returning a result."""

    template = "the worker evaluating shard {shard_id!r} died: {reason}"


class RemoteJobError(ComputeError):
    """A remote job ended in `status` (Failed, Stopped) with the service's `failure_reason`."""

    def __init__(self, job_name: str, status: str, failure_reason: str | None) -> None:
        reason = failure_reason or "no failure reason given"
        super().__init__(f"job {job_name!r} ended {status}: {reason}")
        self.job_name = job_name
        self.status = status
        self.failure_reason = failure_reason

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.job_name, self.status, self.failure_reason))


class ComputeTimeoutError(ComputeError):
    """The shards did not finish in time."""


class BackendUnavailableError(ComputeError):
    """The backend cannot be used here (missing package, incomplete settings, no cluster)."""


def describe_exception(exc: BaseException) -> str:
    """ "<ExceptionType>: <message>" (the reason carried by `ShardError`)."""
    message = str(exc).strip()
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__
