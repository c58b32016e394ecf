"""The offline model's words for correlations of daily returns: each pair of an
`asset_statistics` result's matrix, their mean and extremes for three names or more, two groups'
stocks across and within, and each asset's correlation with the index."""

from __future__ import annotations

from typing import Any

__all__ = ["correlations_said", "groups_correlated", "market_correlations_said", "matrix_pairs"]

MOST_PAIRS_LISTED = 10
"""How many pairs an answer lists (their mean and extremes are said for all of them)."""


def matrix_pairs(data: Any) -> dict[tuple[str, str], float]:
    """Each pair of names of an `asset_statistics` result's correlation matrix (in the matrix's
    order) and its correlation; {} when the result has none."""
    matrix = data.get("correlation") if isinstance(data, dict) else None
    if not isinstance(matrix, dict) or not matrix.get("assets"):
        return {}
    names, rows = matrix["assets"], matrix["matrix"]
    return {
        (names[i], names[j]): float(rows[i][j])
        for i in range(len(names))
        for j in range(i + 1, len(names))
        if rows[i][j] is not None
    }


def correlations_said(data: dict[str, Any]) -> str:
    """Each pair's correlation (the first `MOST_PAIRS_LISTED`), and for three pairs or more
    their mean, lowest and highest ("Mean of the 6 pairs 0.47: lowest AAPL and XOM 0.35,
    highest XOM and JPM 0.61."); "" when the result has no matrix."""
    pairs = {f"{a} and {b}": value for (a, b), value in matrix_pairs(data).items()}
    if not pairs:
        return ""
    listed = [f"{pair} {value:.2f}" for pair, value in pairs.items()]
    more = "; ..." if len(listed) > MOST_PAIRS_LISTED else ""
    said = f"Correlation of daily returns: {'; '.join(listed[:MOST_PAIRS_LISTED])}{more}."
    if len(pairs) < 3:
        return said
    low, high = min(pairs, key=pairs.__getitem__), max(pairs, key=pairs.__getitem__)
    mean = data["correlation"].get("mean_pairwise")
    ends = f"{low} {pairs[low]:.2f}, highest {high} {pairs[high]:.2f}."
    if mean is None:
        return f"{said} Lowest {ends}"
    return f"{said} Mean of the {len(pairs)} pairs {float(mean):.2f}: lowest {ends}"


def market_correlations_said(data: dict[str, Any]) -> str:
    """Each asset's correlation of daily returns with the index (or the `beta_to` stock)."""
    against = data.get("beta_to") or "the S&P 500 index"
    known = {
        name: stats["market_correlation"]
        for name, stats in data["assets"].items()
        if stats.get("market_correlation") is not None
    }
    if not known:
        return f"No correlation with {against} could be measured over this window."
    shown = ", ".join(f"{name} {value:.2f}" for name, value in known.items())
    return f"Correlation of daily returns with {against}: {shown}."


def _mean_and_ends(pairs: dict[tuple[str, str], float]) -> str:
    """The mean of `pairs` and the lowest and highest ("0.33 (9 pairs; lowest AMD and RRC 0.21,
    highest MSFT and CVX 0.42)"); one pair: its value."""
    mean = sum(pairs.values()) / len(pairs)
    if len(pairs) == 1:
        (((a, b), value),) = pairs.items()
        return f"{value:.2f} ({a} and {b})"
    low, high = min(pairs, key=pairs.__getitem__), max(pairs, key=pairs.__getitem__)
    return (
        f"{mean:.2f} ({len(pairs)} pairs; lowest {' and '.join(low)} {pairs[low]:.2f}, highest "
        f"{' and '.join(high)} {pairs[high]:.2f})"
    )


def groups_correlated(data: dict[str, Any], groups: tuple[tuple[str, tuple[str, ...]], ...]) -> str:
    """How two groups' stocks are correlated ("how correlated are tech stocks with energy?"):
    the mean correlation of the pairs of one stock of each, with the lowest and highest pair,
    then within each group for contrast; "" when the result has no matrix or a side has no
    stock measured."""
    pairs = matrix_pairs(data)
    (first, ones), (second, others) = groups
    across = {
        p: v for p, v in pairs.items()
        if (p[0] in ones and p[1] in others) or (p[0] in others and p[1] in ones)
    }  # fmt: skip
    if not across:
        return ""
    said = (
        f"Correlation of daily returns between {first} and {second}, each of "
        f"{', '.join(ones)} with each of {', '.join(others)}: mean {_mean_and_ends(across)}."
    )
    within = []
    for name, members in groups:
        inside = {p: v for p, v in pairs.items() if p[0] in members and p[1] in members}
        if inside:
            within.append(f"{name} {_mean_and_ends(inside)}")
    if within:
        said += f" Within each group, for comparison: {'; '.join(within)}."
    return said
