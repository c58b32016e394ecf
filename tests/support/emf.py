"""Reading CloudWatch Embedded Metric Format lines the way CloudWatch Logs does, for tests.

`emf_metrics(text)` checks every JSON line that has an ``_aws`` member against the EMF
specification's structure (a root object; ``_aws.Timestamp`` an integer of milliseconds;
``CloudWatchMetrics`` a list of directives, each with a ``Namespace`` string, ``Dimensions`` a
list of lists of member names, ``Metrics`` a list of ``{"Name", "Unit"}``; every metric and
dimension named is a member of the root: metrics numbers, dimensions strings) and returns the
metrics it defines: (namespace, metric name, dimensions as a dict, value, unit), one per
dimension set. Lines that are not JSON objects are other output and skipped.
"""

from __future__ import annotations

import json
from typing import Any

UNITS = {
    "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes",
    "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count",
    "Bytes/Second", "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second",
    "Terabytes/Second", "Bits/Second", "Kilobits/Second", "Megabits/Second", "Gigabits/Second",
    "Terabits/Second", "Count/Second", "None",
}  # fmt: skip
"""CloudWatch's standard units (a metric's Unit must be one)."""

Metric = tuple[str, str, dict[str, str], float, str]


def emf_metrics(text: str) -> list[Metric]:
    """The metrics of every EMF line of `text` (see the module docstring); AssertionError
    naming the problem when a line breaks the structure."""
    found: list[Metric] = []
    for line in text.splitlines():
        try:
            root = json.loads(line)
        except ValueError:
            continue
        if isinstance(root, dict) and "_aws" in root:
            found += _metrics_of(root)
    return found


def _metrics_of(root: dict[str, Any]) -> list[Metric]:
    meta = root["_aws"]
    assert isinstance(meta["Timestamp"], int) and meta["Timestamp"] > 1_500_000_000_000
    found: list[Metric] = []
    for directive in meta["CloudWatchMetrics"]:
        namespace = directive["Namespace"]
        assert isinstance(namespace, str) and 0 < len(namespace) <= 1024
        assert set(directive) == {"Namespace", "Dimensions", "Metrics"}
        for definition in directive["Metrics"]:
            name, unit = definition["Name"], definition.get("Unit", "None")
            assert unit in UNITS, unit
            value = root[name]
            assert isinstance(value, int | float) and not isinstance(value, bool), (name, value)
            for dimension_set in directive["Dimensions"]:
                assert len(dimension_set) <= 30
                dimensions = {key: root[key] for key in dimension_set}
                assert all(isinstance(v, str) for v in dimensions.values())
                found.append((namespace, name, dimensions, float(value), unit))
    return found


def emf_values(text: str, namespace: str) -> dict[str, float]:
    """The value of each metric of `namespace` published without dimensions in `text` (summed
    when a metric comes more than once, as CloudWatch's Sum statistic would)."""
    values: dict[str, float] = {}
    for space, name, dimensions, value, _unit in emf_metrics(text):
        if space == namespace and not dimensions:
            values[name] = values.get(name, 0.0) + value
    return values
