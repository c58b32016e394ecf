"""Which of several names or portfolios was the riskier, in a sentence, judged on volatility and
maximum drawdown together (a side riskier on one and safer on the other is said so): the
answers to "which is riskier, AAPL or KO?", "is AMD riskier than the market?" and "is it
riskier than KO and PG?"."""

from __future__ import annotations

from typing import Any, Literal

from services.formatting import listed

__all__ = [
    "RISK_MEASURES",
    "beside_verdict",
    "entries_risk_verdict",
    "index_verdict",
    "risk_verdict",
]

RISK_MEASURES = ("volatility", "drawdown_dates")
"""The measures a question of which is riskier is answered on."""

Risks = tuple[float, float]
"""A side's annualised volatility and its maximum drawdown's depth (fractions)."""


def _capitalised(said: str) -> str:
    return said[:1].upper() + said[1:]


def risk_verdict(named: dict[str, Risks], safer_first: bool = False) -> str:
    """Which of `named` was the riskiest on both measures, or the safest when `safer_first`
    ("which was the calmest?"), in a sentence ("of the two" for two); "" for fewer than two."""
    if len(named) < 2:
        return ""
    pick = min if safer_first else max
    by_vol = pick(named, key=lambda n: named[n][0])
    by_depth = pick(named, key=lambda n: named[n][1])
    two = len(named) == 2
    side, other, most = (
        ("safer", "riskier", "safest") if safer_first else ("riskier", "safer", "riskiest")
    )
    if by_vol == by_depth and two:
        rest = next(n for n in named if n != by_vol)
        said = f"{by_vol} was the {side} of the two on both measures, {rest} the {other}."
    elif by_vol == by_depth:
        said = f"{by_vol} was the {most} on both measures."
    else:  # the end of each measure, of two or of more
        ends = {True: ("lower", "shallower", "lowest", "shallowest"),
                False: ("higher", "deeper", "highest", "deepest")}[safer_first]  # fmt: skip
        vol_end, depth_end = ends[:2] if two else ends[2:]
        said = (
            f"{f'neither was the {side}' if two else f'none was the {most}'} on both measures: "
            f"{by_vol} had the {vol_end} volatility, {by_depth} the {depth_end} maximum drawdown."
        )
    return _capitalised(said)


def _standing(side: Risks, against: Risks) -> Literal["riskier", "safer", "mixed"]:
    """`side` against another on both measures: riskier on both, safer on both, or mixed."""
    if side[0] > against[0] and side[1] > against[1]:
        return "riskier"
    if side[0] < against[0] and side[1] < against[1]:
        return "safer"
    return "mixed"


def beside_verdict(subject: str, risks: Risks, others: dict[str, Risks]) -> str:
    """How `subject` stands against each of `others`: "Your portfolio was riskier than PG on
    both measures and safer than XOM on both." ("" when there are no others)."""
    groups: dict[str, list[str]] = {"riskier": [], "safer": [], "mixed": []}
    for name, theirs in others.items():
        groups[_standing(risks, theirs)].append(name)
    parts = [f"{k} than {listed(groups[k])}" for k in ("riskier", "safer") if groups[k]]
    parts = [f"{p} on both{' measures' if not i else ''}" for i, p in enumerate(parts)]
    if groups["mixed"]:
        parts.append(
            f"riskier than {listed(groups['mixed'])} on one measure and safer on the other"
        )
    return _capitalised(f"{subject} was {listed(parts)}.") if parts else ""


def index_verdict(named: dict[str, Risks], index: str, safer_first: bool = False) -> str:
    """The names of `named` grouped by how each stands against `index` (one of them: the index,
    or a stock they are ranked beside): "Riskier than the S&P 500 index on both measures: AAPL,
    MSFT; safer on both: KO; riskier on one measure and safer on the other: PG". The side asked
    comes first, the safer when `safer_first` ("which stocks were safer than KO?"), and is said
    to hold none when none was ("None was safer than KO on both measures; ...", "Neither" of
    two). For two sides, `risk_verdict`."""
    if len(named) <= 2:
        return risk_verdict(named)
    groups: dict[str, list[str]] = {"riskier": [], "safer": [], "mixed": []}
    for name, risks in named.items():
        if name != index:
            groups[_standing(risks, named[index])].append(name)
    order = ("safer", "riskier", "mixed") if safer_first else ("riskier", "safer", "mixed")
    asked = order[0]
    none = "neither" if len(named) == 3 else "none"  # two names beside the index or stock
    parts = [] if groups[asked] else [f"{none} was {asked} than {index} on both measures"]
    for side in (s for s in order if groups[s]):
        parts.append(f"{_group_words(side, None if parts else index)}: {', '.join(groups[side])}")
    return _capitalised("; ".join(parts) + ".")


def _group_words(side: str, index: str | None) -> str:
    """The words of a group of `index_verdict`, naming the `index` for the first group only."""
    than = f" than {index}" if index else ""
    if side == "mixed":
        return f"riskier{than} on one measure and safer on the other"
    return f"{side}{than} on both{' measures' if index else ''}"


def entries_risk_verdict(
    named: dict[str, dict[str, Any]], index: str | None = None, safer_first: bool = False
) -> str:
    """The verdict of result entries (name -> statistics with `volatility` and `max_drawdown`):
    grouped against `index` when it is one of them (the safer first when `safer_first`), else
    `risk_verdict`."""
    risks = {n: (s["volatility"], s["max_drawdown"]["depth"]) for n, s in named.items()}
    if index in risks:
        return index_verdict(risks, index, safer_first)
    return risk_verdict(risks, safer_first)
