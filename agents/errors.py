"""Typed errors of model calls: what a run's trace and failed result name.

- `ModelCallError`: the model service refused or failed a call that retries did not fix
  (botocore's ``ClientError`` with Bedrock's error code, a broken response stream, retries
  exhausted). Its message names the agent role and the service's code and message.
- `ModelOutputError`: the model answered, but not with something usable: its output was cut at
  the token limit (``stopReason: max_tokens``), or a guardrail or content filter intervened.
"""

from __future__ import annotations


class ModelCallError(RuntimeError):
    """A model call failed at the service (after the retries botocore makes)."""

    def __init__(self, role: str, code: str, message: str) -> None:
        super().__init__(f"the {role} agent's model call failed: {code}: {message}")
        self.role = role
        self.code = code


class ModelOutputError(RuntimeError):
    """A model reply that cannot be used (truncated, or blocked by a guardrail or filter)."""

    def __init__(self, role: str, stop_reason: str, detail: str) -> None:
        super().__init__(f"the {role} agent's reply stopped with {stop_reason}: {detail}")
        self.role = role
        self.stop_reason = stop_reason


__all__ = ["ModelCallError", "ModelOutputError"]
