"""Faults the local Bedrock endpoint injects, to test how agents and runs cope with them.

A `FaultPlan` says what happens to the N-th model call the endpoint receives (counted from 1
over its lifetime): ``throttle`` (HTTP 429 ``ThrottlingException``, which botocore retries),
``unavailable`` (HTTP 503 ``ServiceUnavailableException``, retried), ``denied`` (HTTP 403
``AccessDeniedException``, as for a model the account may not invoke), ``stream_error`` (a
ConverseStream answer that breaks after a few events with a ``modelStreamErrorException``
frame; a plain Converse call answers 424 ``ModelErrorException``), and a ``latency`` added to
every call (for manual tries and benchmarks; tests leave it at 0).

Written as text in ``STRATIGOS_LOCAL_BEDROCK_FAULTS`` (or given to `LocalBedrock(faults=...)`):
``throttle@1,2;unavailable@4;stream_error@3:2;latency_ms=50`` throttles calls 1 and 2, answers
call 4 with 503, breaks call 3's stream after 2 events and delays every call by 50 ms.
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass, field

FAULTS_VARIABLE = "STRATIGOS_LOCAL_BEDROCK_FAULTS"
"""Environment variable holding a fault plan as text."""

KINDS = ("throttle", "unavailable", "stream_error", "denied")


@dataclass(frozen=True)
class Fault:
    """What happens to one call: its kind, and for ``stream_error`` the events sent first."""

    kind: str
    after_events: int = 1


@dataclass
class FaultPlan:
    """Faults by call number (1-based) and a latency added to every call, in milliseconds."""

    faults: dict[int, Fault] = field(default_factory=dict)
    latency_ms: int = 0
    _calls: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def parse(cls, text: str) -> FaultPlan:
        """A plan from its text form (see the module docstring); ValueError naming the part."""
        plan = cls()
        for part in filter(None, (p.strip() for p in text.split(";"))):
            if match := re.fullmatch(r"latency_ms=(\d+)", part):
                plan.latency_ms = int(match.group(1))
                continue
            match = re.fullmatch(r"(\w+)@([\d,:\s]+)", part)
            if match is None or match.group(1) not in KINDS:
                raise ValueError(
                    f"fault {part!r}: write KIND@N[,N...] with KIND one of {', '.join(KINDS)}, "
                    "stream_error@N:EVENTS, or latency_ms=MS"
                )
            for item in match.group(2).split(","):
                number, _, events = item.strip().partition(":")
                plan.faults[int(number)] = Fault(match.group(1), int(events or 1))
        return plan

    @classmethod
    def from_environment(cls, variable: str = FAULTS_VARIABLE) -> FaultPlan:
        """The plan in the environment `variable` (default `FAULTS_VARIABLE`; empty when unset)."""
        return cls.parse(os.environ.get(variable, ""))

    def next_call(self) -> tuple[int, Fault | None]:
        """Count a call; its number and its fault, if any."""
        with self._lock:
            self._calls += 1
            return self._calls, self.faults.get(self._calls)

    @property
    def calls(self) -> int:
        """Model calls received so far (including those answered with a fault)."""
        return self._calls


__all__ = ["FAULTS_VARIABLE", "KINDS", "Fault", "FaultPlan"]
