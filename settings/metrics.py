"""Business metrics as CloudWatch Embedded Metric Format (EMF) lines, from one place.

The application calls one function here at each event it counts. With `Settings.metrics` at
``emf`` (what the CDK app sets on every function), each call writes one JSON object on a line of
its own to standard output; CloudWatch Logs extracts the metrics from a Lambda function's log
(the EMF specification: a root member ``_aws`` with ``Timestamp``, milliseconds since the epoch,
and ``CloudWatchMetrics``, one directive naming the namespace, the dimension sets and each
metric's name and unit; the values are members of the root). With ``off`` (the default) nothing
is written. Logging goes to standard error, so the lines never mix.

Namespace `Settings.metrics_namespace` (``Stratigos/<stage>`` on AWS). Metrics, with no
dimensions unless said:

| call | metrics (unit) |
| --- | --- |
| `optimization_finished` | ``OptimizationsRun`` (Count), ``TrialsEvaluated`` (Count), ``BestObjective`` (None: the search's objective, e.g. a Sharpe ratio) |
| `deployments_active` | ``DeploymentsActive`` (Count) |
| `orders_finished` | ``OrdersFilled``, ``OrdersRejected`` (Count) |
| `tracking_error` | ``ForwardTestTrackingError`` (None: annualised, a fraction) |
| `cleanup_finished` | ``ArchivedJobs``, ``ExpiredCacheEntries``, ``ReannouncedJobs``, ``StuckRuns`` (Count) |
| `market_data_ingested` | ``MarketDataIngested``, ``MarketDataRefused``, ``BadDataMarkers`` (Count) |
| `model_call` | ``InputTokens``, ``OutputTokens``, ``CacheReadTokens``, ``CacheWriteTokens`` (Count), ``ModelCost`` (None: US dollars at the model catalog's list prices), by ``Model`` and in total |
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Mapping
from typing import IO, Literal

from settings.config import Settings, get_settings
from settings.model_catalog import model_catalog

Unit = Literal["Count", "None", "Seconds"]
Values = Mapping[str, tuple[float, Unit]]

_stream: Callable[[], IO[str]] = lambda: sys.stdout  # noqa: E731 (tests point it elsewhere)


def emf_document(
    namespace: str,
    values: Values,
    dimensions: Mapping[str, str] | None = None,
    *,
    timestamp_ms: int,
) -> dict[str, object]:
    """The EMF document of `values` (name -> (value, unit)) in `namespace`: with `dimensions`,
    each metric is published both with them and without (two dimension sets)."""
    names = list(dimensions or {})
    dimension_sets = [names, []] if names else [[]]
    return {
        "_aws": {
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [
                {
                    "Namespace": namespace,
                    "Dimensions": dimension_sets,
                    "Metrics": [{"Name": name, "Unit": unit} for name, (_, unit) in values.items()],
                }
            ],
        },
        **dict(dimensions or {}),
        **{name: value for name, (value, _) in values.items()},
    }


def emit(
    values: Values,
    dimensions: Mapping[str, str] | None = None,
    *,
    settings: Settings | None = None,
) -> str | None:
    """Write `values` as one EMF line when metrics are on; the line (None when off or empty).
    Values that are not finite numbers are left out (EMF takes numbers only)."""
    settings = settings or get_settings()
    kept = {k: (float(v), u) for k, (v, u) in values.items() if _finite(v)}
    if settings.metrics != "emf" or not kept:
        return None
    document = emf_document(
        settings.metrics_namespace, kept, dimensions, timestamp_ms=int(time.time() * 1000)
    )
    line = json.dumps(document, separators=(",", ":"))
    stream = _stream()
    stream.write(line + "\n")
    stream.flush()
    return line


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and value == value and abs(value) != float("inf")


def optimization_finished(trials: int, best_objective: float | None) -> str | None:
    """An optimization run finished after evaluating `trials` trials, its best objective."""
    values: dict[str, tuple[float, Unit]] = {
        "OptimizationsRun": (1, "Count"),
        "TrialsEvaluated": (trials, "Count"),
    }
    if best_objective is not None:
        values["BestObjective"] = (best_objective, "None")
    return emit(values)


def deployments_active(count: int) -> str | None:
    """How many deployments are active now."""
    return emit({"DeploymentsActive": (count, "Count")})


def orders_finished(filled: int, rejected: int) -> str | None:
    """Orders that reached a broker's answer: `filled` (wholly or partly) and `rejected`."""
    return emit({"OrdersFilled": (filled, "Count"), "OrdersRejected": (rejected, "Count")})


def tracking_error(value: float | None) -> str | None:
    """A forward test's annualised tracking error against its backtest (a fraction)."""
    return None if value is None else emit({"ForwardTestTrackingError": (value, "None")})


def cleanup_finished(archived: int, expired: int, reannounced: int, stuck: int) -> str | None:
    """What a cleanup did: jobs archived, cache entries deleted, pending jobs announced again,
    and the runs found stuck (pending or running past their time)."""
    return emit(
        {
            "ArchivedJobs": (archived, "Count"),
            "ExpiredCacheEntries": (expired, "Count"),
            "ReannouncedJobs": (reannounced, "Count"),
            "StuckRuns": (stuck, "Count"),
        }
    )


def market_data_ingested(accepted: bool, markers: int) -> str | None:
    """A price file was ingested (`accepted`) or refused, with its bad-data markers."""
    return emit(
        {
            "MarketDataIngested": (int(accepted), "Count"),
            "MarketDataRefused": (int(not accepted), "Count"),
            "BadDataMarkers": (markers, "Count"),
        }
    )


def model_call(model_id: str, usage: Mapping[str, int]) -> str | None:
    """One model reply's tokens (`agents.agent_loop.call_usage`: input not cached, cache reads
    and writes, output) and their cost at the catalog's list prices, by model and in total.
    A model the catalog does not price gets no cost."""
    read, write = usage.get("cache_read_tokens", 0), usage.get("cache_write_tokens", 0)
    values: dict[str, tuple[float, Unit]] = {
        "InputTokens": (usage.get("input_tokens", 0), "Count"),
        "OutputTokens": (usage.get("output_tokens", 0), "Count"),
        "CacheReadTokens": (read, "Count"),
        "CacheWriteTokens": (write, "Count"),
    }
    resolved = model_catalog().resolve(model_id)
    price = resolved.model.price if resolved is not None else None
    if price is not None:
        cost = price.cost(usage.get("input_tokens", 0), usage.get("output_tokens", 0), read, write)
        if cost is not None:
            values["ModelCost"] = (cost, "None")
    return emit(values, {"Model": model_id})


__all__ = [
    "cleanup_finished",
    "deployments_active",
    "emf_document",
    "emit",
    "market_data_ingested",
    "model_call",
    "optimization_finished",
    "orders_finished",
    "tracking_error",
]
