"""The option hedge of a forward test's deployment (one with a `hedge`), traded as a live paper
deployment's hedge is: at every fire, after the rebalance, `trading.runs.hedge.run_hedge` runs on
the test deployment's own paper options account (`hedge-<test id>`, over the hedge underlying's
closes up to the test's last session), with the stock account's state after the rebalance and
the closes known at the fire; its orders fill at the next close at the model price, its options
settle at the close of their expiry. At every close the account's new trades and settlements go
to the hedge ledger (with the orders' statuses, `trading.queue.sync`) and the hedge is valued:
its net cash plus the options held marked at that close's model price.

A hedge run that raises a domain error (`ExecutionError`: e.g. a plan that cannot be priced)
is recorded as `failed` with the error as its reason, as the live hedge job would fail with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pandas as pd

from execution.brokers.base import AccountState
from execution.brokers.paper_options import PaperOptionsSettings
from execution.errors import ExecutionError
from services.errors import InputError
from store import Deployment, Store
from trading.accounts.paper import StoredPaperOptionsAccount
from trading.deployments import calendar_of, safe_rate_of
from trading.hedge_values import hedge_summary, marked_value
from trading.hedges import hedge_account
from trading.ledger import OPTION_NOTE, Ledger
from trading.queue import RetryPolicy, sync
from trading.runs.hedge import run_hedge
from trading.runs.outcome import RunOutcome


@dataclass
class ForwardHedge:
    """The hedge of the forward test's deployment `test` on its paper options `account`, under
    the forward test's job id `run_id`; `outcomes`: its runs so far."""

    store: Store
    test: Deployment
    account: StoredPaperOptionsAccount
    run_id: str
    outcomes: list[RunOutcome] = field(default_factory=list)

    @classmethod
    def open(
        cls,
        store: Store,
        test: Deployment,
        prices: pd.DataFrame,
        last_session: date,
        run_id: str,
        *,
        fee_per_contract: float = 0.0,
        level: int = 3,
    ) -> ForwardHedge | None:
        """The hedge of `test` over the market data `prices` up to `last_session` (None when the
        deployment has no hedge), its account's terms: `fee_per_contract` (currency) and the
        approved options `level`."""
        if "hedge" not in test.spec:
            return None
        underlying = test.spec["hedge"]["underlying"]
        if underlying not in prices.columns:
            raise InputError(
                "deployment_id", f"the market data has no prices for the hedge's {underlying}"
            )
        closes = prices[[underlying]].dropna().loc[: pd.Timestamp(last_session)]
        settings = PaperOptionsSettings(
            level=level,
            safe_rate=safe_rate_of(test.spec),
            fee_per_contract=fee_per_contract,
            calendar=calendar_of(test.spec),
        )
        account = StoredPaperOptionsAccount(store, test, closes, settings)
        return cls(store, test, account, run_id)

    def run(self, fire: datetime, stock: AccountState, known: pd.DataFrame) -> RunOutcome:
        """The hedge run at `fire` after the rebalance (`stock`: the stock account then, `known`:
        the universe's closes known at the fire)."""
        deployment = self.store.get_deployment(self.test.owner, self.test.id)
        run_id = f"{self.run_id}:hedge:{fire.strftime('%Y%m%dT%H%M')}"
        try:
            outcome = run_hedge(
                self.store,
                deployment,
                fire,
                run_id,
                account=self.account,
                stock=stock,
                closes=known,
                retry=RetryPolicy(max_attempts=1),
                sleep=lambda _: None,
            )
        except ExecutionError as exc:
            outcome = RunOutcome("hedge", deployment.id, run_id, fire, "failed", reason=str(exc))
        self.outcomes.append(outcome)
        return outcome

    def value_at(self, close_time: datetime) -> float:
        """Move the account to `close_time`, record what traded and settled since (a run records
        its own), and value the hedge there (currency: net cash plus the options held at the
        close's model price)."""
        if self.account.advance(close_time):
            sync(
                self.store, self.test.owner, hedge_account(self.test), self.account, self._ledger()
            )
        return self.account.simulator.cash + self._marks(
            self.account.option_positions(), close_time
        )

    def _ledger(self) -> Ledger:
        return Ledger(self.store, self.test.owner, hedge_account(self.test))

    def _marks(self, contracts: Mapping[str, int], close_time: datetime) -> float:
        return marked_value(contracts, lambda symbol: self.account.mark(symbol, close_time))

    def summary(self, priced_on: date) -> dict[str, Any]:
        """The hedge at the last close it was valued at (that of session `priced_on`): its
        ledger's totals, positions and marks (`trading.hedge_values.hedge_summary`), its
        runs' statuses and the trades recorded."""
        assert self.account.now is not None
        book = self._ledger().book
        marks = self._marks(book.contracts, self.account.now)
        statuses: dict[str, int] = {}
        for outcome in self.outcomes:
            statuses[outcome.status] = statuses.get(outcome.status, 0) + 1
        entries = self.store.ledger(self.test.owner, hedge_account(self.test))
        trades = sum(1 for e in entries if e.note == f"{OPTION_NOTE}trade")
        return {
            **hedge_summary(
                self.test.spec,
                hedge_account(self.test),
                book,
                marks,
                priced_on,
                self.account.pricing(self.test.spec["hedge"]["underlying"], self.account.now),
            ),
            "runs": len(self.outcomes),
            "run_statuses": statuses,
            "trades": trades,
            "fee_per_contract": self.account.simulator.settings.fee_per_contract,
        }
