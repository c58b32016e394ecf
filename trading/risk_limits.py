"""A deployed strategy's risk limits as its search stated them, and what its account realised
against them.

When an optimization's strategy is deployed (`trading.deployments`), its spec keeps the
search's risk limits as statements (`search_limits`): each metric's limit, the statistic of the
simulated paths it was checked on ("in 95% of paths"), the scenarios and the values the search
found there, whether the strategy met it, and the paths' length. A forward test (or a live
deployment's performance) reports the account's realised value of each metric beside that
statement (`realised_against_limits`): the maximum drawdown of the account's value, and its
daily 95% VaR and CVaR (historical, as the engine computes them on a path).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from quant.limits import LIMIT_METRICS, QUANTILES, LimitValues
from quant.risk import conditional_value_at_risk, max_drawdown, value_at_risk
from services.formatting import limit_sentence, metric_label, percent, scenario


def search_limits(
    request: Mapping[str, Any], result: Mapping[str, Any], trial: Mapping[str, Any] | None
) -> list[dict[str, Any]]:
    """The optimization's risk limits as statements about the deployed strategy: the winner's
    checks (`result["best"]["limits"]`), or for another trial (`trial`, its row) the same
    limits read from its columns; [] without limits."""
    given = request.get("risk_limits") or {}
    limits = LimitValues.model_validate(
        {k: v for k, v in given.items() if k in LIMIT_METRICS}
    ).limits()
    checks = {c["metric"]: c for c in (result.get("best") or {}).get("limits") or []}
    out = []
    for metric, limit in limits.items():
        where = list((checks.get(metric) or {}).get("values") or request.get("scenarios") or [])
        if trial is None:
            values = dict((checks.get(metric) or {}).get("values") or {})
        else:
            values = {s: trial.get(f"{s}.{limit.key(metric)}") for s in where}
        out.append(
            {
                "metric": metric,
                "limit": limit.limit,
                "statistic": limit.statistic,
                "scenarios": where,
                "searched": values,
                "met": all(
                    isinstance(v, int | float) and v <= limit.limit for v in values.values()
                ),
                "horizon": int(request.get("horizon") or 252),
            }
        )
    return out


MIN_RETURNS = 2
"""The fewest daily returns (sessions less one) the realised values are computed on; with fewer,
the account's drawdown and tail are not measured yet and its limits say so."""


def _realised(values: pd.Series) -> dict[str, float]:
    returns = values.pct_change().dropna()
    if len(returns) < MIN_RETURNS:
        return {}
    return {
        "max_drawdown": float(np.asarray(max_drawdown(returns))),
        "var_95": float(np.asarray(value_at_risk(returns))),
        "cvar_95": float(np.asarray(conditional_value_at_risk(returns))),
    }


def realised_against_limits(
    values: pd.Series, stated: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Each stated limit (`search_limits`) beside the account's realised value of its metric
    over its `values` (its value at each session's close): the statement in words, the realised
    value, whether it is within the limit, and a sentence saying how to read it (a quantile
    statement leaves a share of paths beyond it; a mean says nothing of one path)."""
    realised = _realised(values)
    sessions = len(values)
    out = []
    for item in stated:
        metric = str(item["metric"])
        value = realised.get(metric)
        where = ", ".join(scenario(s) for s in item.get("scenarios") or [])
        statement = limit_sentence(metric, item["limit"], item["statistic"])
        within = value is not None and value <= item["limit"]
        share = QUANTILES.get(str(item["statistic"]))
        if item["statistic"] == "mean":
            reading = (
                "the limit held on the mean of the paths, so a single path often goes beyond it"
            )
        elif share is not None and share < 1:
            reading = (
                f"the statement leaves {percent(1 - share)} of the simulated paths beyond the "
                "limit, so one account may be among them"
            )
        else:
            reading = "no simulated path went beyond the limit"
        met = "met" if item.get("met") else "did NOT meet"
        realised_words = (
            f"Realised {metric_label(metric)} {percent(value)} over {sessions:,} sessions, "
            f"{'within' if within else 'beyond'}"
            if value is not None
            else f"{metric_label(metric)} not measured yet: {sessions:,} sessions (it needs at "
            f"least {MIN_RETURNS + 1}) for"
        )
        words = (
            f"{realised_words} the limit its search {met}: {statement} "
            f"({where}; {int(item.get('horizon') or 252):,}-session paths); {reading}."
        )
        out.append(
            {
                **item,
                "statement": statement,
                "realised": value,
                "within": within,
                "sessions": sessions,
                "words": words,
            }
        )
    return out
