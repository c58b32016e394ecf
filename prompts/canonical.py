"""One canonical serialisation for everything sent to a model (tasks, tool results, context).

Tasks, tool results and context reach a model as text. Full-precision floats in that text make a
run machine-specific: the last digits of a matrix product move with the numpy/BLAS build and the
CPU's kernel, so the same run would send different bytes on another machine and a recorded
cassette would not replay there. Everything a model reads therefore goes through `model_json`:

- keys sorted, compact separators, non-ASCII kept as is;
- floats rounded to `MODEL_SIGNIFICANT_DIGITS` (6) significant digits: a relative precision of
  5e-7, finer than anything a model reasons about (a basis point of a weight of 1 is 1e-4) and
  enough for a configuration echoed back in a tool call to land within 5e-7 of the original;
  integers stay exact; ``-0.0`` becomes ``0.0``;
- NaN and infinities become ``null`` (JSON has no such numbers);
- numpy scalars and arrays, pandas objects, dates, tuples and sets become plain JSON data.

Numbers that code decides with (feasibility, ranking, limits) are never taken from this text:
they stay full precision in the graph state.

`perturbed(relative)` is a test hook: inside it every float is first multiplied by
``1 + relative`` (alternating sign), as a different BLAS kernel would move it, before rounding.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import math
from collections.abc import Iterator, Mapping
from typing import Any

MODEL_SIGNIFICANT_DIGITS = 6
"""Significant digits of every float a model reads."""
TOOL_SIGNIFICANT_DIGITS = 4
"""Significant digits of every float in a tool's result (`tools.summaries.sig`): what an answer
read from one can say without inventing digits."""

_perturbation = 0.0
_flip = False


def round_significant(number: float, digits: int = MODEL_SIGNIFICANT_DIGITS) -> float | None:
    """`number` rounded to `digits` significant digits; None when it is NaN or infinite."""
    global _flip
    if not math.isfinite(number):
        return None
    if _perturbation:
        _flip = not _flip
        number *= 1.0 + (_perturbation if _flip else -_perturbation)
    if number == 0.0:
        return 0.0
    return float(f"{number:.{digits}g}") + 0.0


def canonical(value: Any, digits: int = MODEL_SIGNIFICANT_DIGITS) -> Any:
    """`value` as plain JSON data with every float rounded (see the module docstring)."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return round_significant(value, digits)
    if isinstance(value, Mapping):
        return {str(k): canonical(v, digits) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [canonical(v, digits) for v in value]
    if isinstance(value, set | frozenset):
        return [canonical(v, digits) for v in sorted(value, key=repr)]
    if isinstance(value, _dt.datetime | _dt.date):
        return value.isoformat()
    return _canonical_foreign(value, digits)


def _canonical_foreign(value: Any, digits: int) -> Any:
    """numpy and pandas values (imported lazily: most callers pass plain data)."""
    import numpy as np
    import pandas as pd

    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return round_significant(float(value), digits)
    if isinstance(value, np.ndarray):
        return [canonical(v, digits) for v in value.tolist()]
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, pd.Series):
        return {str(k): canonical(v, digits) for k, v in value.items()}
    if isinstance(value, pd.DataFrame):
        return [canonical(row, digits) for row in value.to_dict(orient="records")]
    return str(value)


def model_json(value: Any) -> str:
    """`value` as the canonical JSON text a model reads (sorted keys, rounded floats)."""
    return json.dumps(
        canonical(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def canonical_text(text: str) -> str:
    """A tool result or context string in canonical form: JSON objects and arrays are
    re-serialised with `model_json`; any other text is returned unchanged."""
    stripped = text.lstrip()
    if not stripped.startswith(("{", "[")):
        return text
    try:
        data = json.loads(text)
    except ValueError:
        return text
    return model_json(data)


@contextlib.contextmanager
def perturbed(relative: float) -> Iterator[None]:
    """Test hook: move every float by a relative `relative` before it is rounded."""
    global _perturbation
    saved, _perturbation = _perturbation, float(relative)
    try:
        yield
    finally:
        _perturbation = saved


__all__ = [
    "MODEL_SIGNIFICANT_DIGITS",
    "canonical",
    "canonical_text",
    "model_json",
    "perturbed",
    "round_significant",
]
