"""Why a forward test's account ends where it does against its deployed backtest: the gap
between them, decomposed into what deploying adds, one step at a time.

Starting from the deployed backtest (`trading.forward_tests.backtest`), each step simulates the
same decisions (the targets each fire decides) with one more thing the account does, and the
step's part of the gap is how much it moves the final value:

1. **fills one bar later**: trades fill at the first close after the fire, not at the close the
   decision was made on (`quant.engine.held_runs` with the fill rows);
2. **cash interest**: the account's cash earns its own rate (a forward test's paper account:
   the strategy's safe rate by default, and then this part is 0), the backtest's safe asset the
   strategy's safe rate;
3. **cash buffer and order sizing**: the order plan the runs make (`execution.rebalance`:
   `cash_buffer` left in cash, buys sized to stay payable with prices up `price_reserve`,
   trades below `min_trade_value` skipped, the turnover limit), replayed on a paper broker
   without costs;
4. **whole shares**: the same with the account's share rounding (none with fractional shares);
5. **slippage and fees**: the broker's slippage and commission instead of the backtest's
   `cost_bps` (the replay with the account's costs, and the backtest without its costs);
6. **other**: what is left between that replay and the account: runs that failed or paused
   (a drawdown limit), orders that did not fill.

Each part is a share of the capital (final value of the step minus that of the one before, over
the capital), so the parts add up to the whole gap. A deployment with an option hedge is not
decomposed (its backtest holds the engine's overlay, not the hedge the account trades).

The same decomposition serves a forward test's result and a deployment's performance
(`trading.performance`: its broker's costs, share rounding and cash rate), and its `words` say
it once for the CLI, the UI and the reports (`gap_in_words`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from execution.brokers.base import OrderRequest
from execution.brokers.paper import PaperBroker, PaperCosts
from execution.deployment import DeploymentLimits
from execution.rebalance import DeployedStrategy, rebalance_to
from execution.schedule import session_datetimes
from trading.deployments import safe_rate_of
from trading.forward_tests.backtest import (
    Fire,
    cost_bps_of,
    deployed_targets,
    deployment_fires,
    held_values,
)

FREE = PaperCosts(slippage_bps=0.0)


@dataclass(frozen=True)
class GapPart:
    """One part of the gap: what it is (`name`, `words`) and its share of the capital."""

    name: str
    words: str
    share: float


def decompose_gap(
    strategy: DeployedStrategy,
    closes: pd.DataFrame,
    sessions: pd.DataFrame,
    spec: Mapping[str, Any],
    capital: float,
    account: pd.Series,
    backtest: pd.Series,
    *,
    costs: PaperCosts,
    fractional: bool,
    decisions: tuple[list[Fire], list[np.ndarray]] | None = None,
    clean: bool = False,
    cash_rate: float = 0.0,
) -> dict[str, Any] | None:
    """The gap between `account` and `backtest` (values at `sessions`, the account's ending
    first when it stopped early) decomposed (see the module docstring): the total and the
    parts as shares of `capital`, and the tracking error; None for a hedged deployment. The
    account's cash earns `cash_rate` (annual).
    `decisions`: the fires and their targets when already known; `clean`: every run of the
    account filled all its orders or had nothing to trade and none paused it (the account then
    is the replay with its costs, which is not run again: "other" is 0)."""
    if "hedge" in spec or account.empty:
        return None
    if decisions is None:
        all_fires = deployment_fires(spec, sessions, closes)
        decisions = all_fires, deployed_targets(strategy, closes, spec, all_fires)
    sessions = sessions.iloc[: len(account)]
    last_close = sessions["close"].iloc[-1]
    kept = [i for i, f in enumerate(decisions[0]) if f.time <= last_close]
    fires = [decisions[0][i] for i in kept]
    targets = [decisions[1][i] for i in kept]
    filled = [
        (f.fill_row, w) for f, w in zip(fires, targets, strict=True) if f.fill_row is not None
    ]
    safe, cost = safe_rate_of(spec), cost_bps_of(strategy)
    lagged = held_values(closes, sessions, capital, filled, safe_rate=safe, cost_bps=cost)
    earning = held_values(closes, sessions, capital, filled, safe_rate=cash_rate, cost_bps=cost)
    no_costs = held_values(closes, sessions, capital, filled, safe_rate=cash_rate, cost_bps=0.0)
    limits = DeploymentLimits.model_validate(spec["limits"])

    def replay(costs: PaperCosts, fractional: bool) -> pd.Series:
        return _replay(
            closes, sessions, fires, targets, limits, capital, costs, fractional, cash_rate
        )

    sized = replay(FREE, True)
    whole = sized if fractional else replay(FREE, False)
    # every run filled as planned: the account is the replay with its costs (tested)
    charged = account if clean else replay(costs, fractional)

    def final(values: pd.Series) -> float:
        return float(values.iloc[-1])

    steps = [
        ("fill_lag", "fills one bar later", final(lagged) - final(backtest)),
        (
            "interest",
            f"cash earning {cash_rate:.2%} a year, not the safe rate's {safe:.2%}",
            final(earning) - final(lagged),
        ),
        ("sizing", "cash buffer and order sizing", final(sized) - final(no_costs)),
        ("whole_shares", "whole shares", final(whole) - final(sized)),
        (
            "costs",
            "slippage and fees (less the backtest's cost)",
            final(charged) - final(whole) + final(no_costs) - final(earning),
        ),
        ("other", "failed or paused runs, unfilled orders", final(account) - final(charged)),
    ]
    parts = [GapPart(name, words, value / capital) for name, words, value in steps]
    decomposition = {
        "gap": (final(account) - final(backtest)) / capital,
        "amount": final(account) - final(backtest),
        "final_gap": final(account) / final(backtest) - 1.0,
        "tracking_error": tracking_error(account, backtest),
        "parts": [part.__dict__ for part in parts],
    }
    return decomposition | {"words": gap_in_words(decomposition)}


def tracking_error(account: pd.Series, backtest: pd.Series) -> float | None:
    """The annualised standard deviation of the daily return differences (None under 3
    values)."""
    common = account.index.intersection(backtest.index)
    if len(common) < 3:
        return None
    a, b = account.loc[common].to_numpy(), backtest.loc[common].to_numpy()
    gaps = np.diff(a) / a[:-1] - np.diff(b) / b[:-1]
    return float(np.std(gaps, ddof=1) * np.sqrt(252))


SHOWN_SHARE = 5e-5
"""Parts of the gap under this share of the capital (0.005 %) are not named in its words."""
ROUNDING_SHARE = 1e-10
"""Parts under this share of the capital are the rounding of float sums (a hundredth of a cent on
a million): counted as zero."""


def share_text(share: float) -> str:
    """A share of the capital as a signed percentage with the digits it needs to show that it
    is not zero (+0.12%, +0.0018%)."""
    return f"{share:+.2%}" if share == 0 or abs(share) >= SHOWN_SHARE else f"{share:+.4%}"


def gap_in_words(decomposition: Mapping[str, Any]) -> str:
    """The decomposition in one line, each number saying what it is, e.g. "the account ends
    1,234.56 below its deployed backtest (-0.12% of the capital); in shares of the capital:
    fills one bar later -0.30%, ..." (parts under `SHOWN_SHARE` are counted, not named)."""
    gap, amount = decomposition["gap"], decomposition.get("amount")
    where = "above" if gap >= 0 else "below"
    money = "" if amount is None else f"{abs(amount):,.2f} "
    head = (
        f"the account ends {money}{where} its deployed backtest ({share_text(gap)} of the capital)"
    )
    shown = [p for p in decomposition["parts"] if abs(p["share"]) >= SHOWN_SHARE]
    smaller = sum(ROUNDING_SHARE <= abs(p["share"]) < SHOWN_SHARE for p in decomposition["parts"])
    if not shown:
        return f"{head}; " + (
            f"every part of it is under {SHOWN_SHARE:.3%} of the capital"
            if smaller
            else "every part of it is zero"
        )
    parts = ", ".join(f"{part['words']} {share_text(part['share'])}" for part in shown)
    rest = f" ({smaller} smaller, under {SHOWN_SHARE:.3%} each)" if smaller else ""
    return f"{head}; in shares of the capital: {parts}{rest}"


def _replay(
    closes: pd.DataFrame,
    sessions: pd.DataFrame,
    fires: list[Fire],
    targets: list[np.ndarray],
    limits: DeploymentLimits,
    capital: float,
    costs: PaperCosts,
    fractional: bool,
    cash_rate: float,
) -> pd.Series:
    """The account's value at each session's close when each fire's `targets` are planned as a
    run plans them (on the prices the fire decides on) and sent to a paper broker with `costs`
    whose cash earns `cash_rate`, filling at the next close; a plan that breaks a limit stops
    the trading, as it pauses a deployment."""
    broker = PaperBroker(
        closes, fill_at="close", costs=costs, fractional=fractional, cash_rate=cash_rate
    )
    first_open = sessions["open"].iloc[0].to_pydatetime()
    broker.advance(first_open)
    broker.deposit(capital, first_open)
    columns = [str(c) for c in closes.columns]
    position = {c: i for i, c in enumerate(columns)}
    matrix = closes.to_numpy(dtype=float)
    rows = closes.index.get_indexer(sessions.index)
    close_times = session_datetimes(sessions["close"])
    values, fire_index, paused = [], 0, False
    for day, close_time in enumerate(close_times):
        while fire_index < len(fires) and fires[fire_index].time <= close_time:
            fire, weights = fires[fire_index], targets[fire_index]
            fire_index += 1
            if paused:
                continue
            broker.advance(fire.time)
            state = broker.account()
            decision = rebalance_to(
                {c: float(w) for c, w in zip(columns, weights, strict=True) if w > 0},
                dict(zip(columns, matrix[fire.decision_row].tolist(), strict=True)),
                state.positions,
                state.cash,
                limits,
                fractional=fractional,
            )
            if decision.breaches:
                paused = True
                continue
            for number, order in enumerate(decision.plan.orders):
                broker.submit(
                    OrderRequest(
                        f"{fire.time:%Y%m%d%H%M}-{number}", order.symbol, order.side, order.quantity
                    )
                )
        broker.advance(close_time)
        state = broker.account()
        row = matrix[rows[day]]
        values.append(state.cash + sum(q * row[position[s]] for s, q in state.positions.items()))
    return pd.Series(values, index=sessions.index)
