"""The errors of the execution layer (all `ExecutionError`).

- `LedgerError`: an entry the ledger cannot take (a sell of more shares than are held, a
  non-positive price or quantity, a negative fee) or a question it cannot answer (no price for a
  held symbol).
- `OrderPlanError`: targets or account state no order plan can come from (weights that are not
  finite, negative or sum above one, a symbol without a price).
- `ScheduleError`: a schedule that cannot be read (the field and the problem).
- `DeploymentStateError`: a lifecycle move a deployment cannot make.
- `BrokerError`: a broker call that failed: `BrokerRejectedError` (the broker's reason; trying
  again will not help) or `BrokerUnavailableError` (unreachable or a server error; retryable);
  `BrokerConfigurationError`: a broker that cannot be set up from the settings (missing keys).
"""

from __future__ import annotations


class ExecutionError(Exception):
    """Base class of the execution layer's errors."""


class LedgerError(ExecutionError, ValueError):
    """The ledger cannot take an entry or answer a question; the message says which and why."""


class OrderPlanError(ExecutionError, ValueError):
    """No order plan can come from these targets or this account state; the message names the
    symbol or input."""


class ScheduleError(ExecutionError, ValueError):
    """A schedule that cannot be read: `field` names the setting (cron, every, at, calendar,
    ...) and `problem` says what is wrong with it."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class BrokerError(ExecutionError):
    """A broker call that did not do what was asked; `retryable` says whether trying again may
    help."""

    retryable = False


class BrokerRejectedError(BrokerError, ValueError):
    """The broker refused the request; the message is the broker's reason."""


class BrokerUnavailableError(BrokerError):
    """The broker could not be reached or answered with a server error."""

    retryable = True


class DeploymentStateError(ExecutionError, ValueError):
    """A lifecycle move the deployment cannot make (e.g. a retired deployment resumed)."""


class BrokerConfigurationError(BrokerError, ValueError):
    """A broker that cannot be set up from the settings; the message names the missing or
    unreadable setting (never a secret's value)."""
