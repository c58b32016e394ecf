"""Stocks of a stress test set side by side ("would AAPL or KO hold up better in a 2008
crash?"): each stock's own return in an episode replayed, or through its beta in a market move,
best first, and which held up best (`agents.offline.intent.stress_reading.stocks_compared`
says when a question asks for it); and a scenario case beside the S&P 500 index on the same
paths (`index_on_the_paths`); one stock held alone is named, not called "the portfolio"
(`holder`, `through_betas`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from agents.offline.statistic_words import pct
from services.formatting import count, listed

__all__ = [
    "each_on_its_own",
    "holder",
    "index_on_the_paths",
    "loss_words",
    "ranked_returns",
    "scenario_case",
    "through_betas",
]


def ranked_returns(
    returns: Mapping[str, float],
    *,
    would: bool = False,
    rise: bool = False,
    capital: float | None = None,
    money: Callable[[float], str] = str,
) -> str:
    """ "KO -30.7%, AAPL -55.2%; KO held up better" (`would`: "would hold up"; on a market `rise`,
    "would gain more"), best first, with each return as an amount of `capital` written by `money`
    when one is given; a tie at the best names every stock tied."""
    order = sorted(returns.items(), key=lambda kv: (-kv[1], kv[0]))
    listed = ", ".join(
        f"{ticker} {pct(value)}" + ("" if capital is None else f" ({money(value * capital)})")
        for ticker, value in order
    )
    best = order[0][1]
    leaders = [ticker for ticker, value in order if f"{value:.1%}" == f"{best:.1%}"]
    verb = ("would gain" if rise else "would hold up") if would else "held up"
    if len(leaders) == len(order):
        return f"{listed}; they {verb} alike"
    degree = ("more" if rise else "better") if len(order) == 2 else ("most" if rise else "best")
    if len(leaders) > 1:
        return f"{listed}; {' and '.join(leaders)} {verb} {degree}, alike"
    return f"{listed}; {leaders[0]} {verb} {degree}"


def each_on_its_own(names: Sequence[str], capital: str | None = None) -> str:
    """The opening of a stress test of stocks side by side: "Stress test of AAPL and KO, each
    on its own." (with `capital` written, ", 1,000,000 in each": amounts are of it all)."""
    in_each = "" if capital is None else f", {capital} in each"
    return f"Stress test of {listed(names)}, each on its own{in_each}."


def index_on_the_paths(row: Mapping[str, Any]) -> str:
    """ "; the S&P 500 index's median on the same paths -24.1%" for a scenario's row of the
    stress tool that gives it (`index_median_return`), else "": a defensive stock's bear case
    may gain while the market falls, and says so beside the market's own fall."""
    index = row.get("index_median_return")
    return "" if index is None else f"; the S&P 500 index's median on the same paths {pct(index)}"


def holder(weights: Mapping[str, float]) -> tuple[str, str]:
    """Whose losses a stress test gives and what an episode buys: the one stock held alone
    ("KO", "KO"), else ("the portfolio", "the weights")."""
    if len(weights) == 1:
        return next(iter(weights)), next(iter(weights))
    return "the portfolio", "the weights"


def through_betas(
    per_asset: Mapping[str, Mapping[str, float]], against: str = "the S&P 500 index"
) -> str:
    """What a market (or sector) move goes through, up to the window its betas are estimated
    on: "KO's beta to the S&P 500 index (0.64" for one stock, "each stock's beta to the S&P 500
    index (betas KO 0.64, PEP 0.55" for several; `against` names what the betas are to."""
    if len(per_asset) == 1:
        ((ticker, row),) = per_asset.items()
        return f"{ticker}'s beta to {against} ({row['beta']:.2f}"
    betas = ", ".join(f"{t} {v['beta']:.2f}" for t, v in per_asset.items())
    return f"each stock's beta to {against} (betas {betas}"


def loss_words(row: Mapping[str, Any], money: Callable[[float], str] = str) -> str:
    """ "loses 12.9%" or "gains 3.1%" for the `portfolio_return` of a stress tool's `row` (a
    market move or an episode), with its `amount` in currency written by `money` when it has
    one ("loses 12.9% (-129,000)")."""
    value, amount = row["portfolio_return"], row.get("amount")
    verb = "loses" if value < 0 else "gains"
    said = "" if amount is None else f" ({money(amount)})"
    return f"{verb} {pct(abs(value))}{said}"


def scenario_case(
    case: str,
    row: Mapping[str, Any],
    horizon: int,
    n_paths: int,
    *,
    each: bool,
    money: Callable[[float], str] = str,
    who: str = "the portfolio",
) -> str:
    """A scenario case of the stress tool (`row`): of stocks set side by side (`each`) that
    give it, each one held alone (`_each_in_a_scenario`); else the median and 5th percentile
    return of `who` (the stock or the portfolio; and amounts of its capital, written by `money`)
    and probability of a loss, the S&P 500 index's median beside."""
    if each and "per_asset" in row:
        return _each_in_a_scenario(case, row, horizon, n_paths)
    amounts = (
        f" ({money(row['median_amount'])} and {money(row['p05_amount'])})"
        if "median_amount" in row
        else ""
    )
    return (
        f"The scenario engine's {case} case over {horizon} sessions ({count(n_paths)} paths): "
        f"median return {pct(row['median_return'])}, 5th percentile {pct(row['p05_return'])}"
        f"{amounts}, probability of a loss {pct(row['prob_loss'])}{index_on_the_paths(row)}."
        f"{_gain_while_the_index_falls(case, {who: row['median_return']}, row)}"
    )


def _gain_while_the_index_falls(
    case: str, medians: Mapping[str, float], row: Mapping[str, Any]
) -> str:
    """Why a median gain in a falling scenario (the bear or high-volatility case) is no error,
    when the index's median on the same paths is a fall: the case replays the history's days of
    that market regime, on which those holdings held up; "" otherwise."""
    index = row.get("index_median_return")
    gained = [name for name, median in medians.items() if median > 0]
    if case not in ("bear", "high-volatility") or index is None or index >= 0 or not gained:
        return ""
    who = listed(gained)
    they, rise = (who, "rises") if len(gained) == 1 else ("they", "rise")
    return (
        f" A median gain for {who} while the index's median falls is no error: the {case} "
        f"case replays days of the history used when the market was in that regime, and "
        f"{they} held up on those days; it is not a forecast that {they} {rise} while the "
        "market falls."
    )


def _each_in_a_scenario(case: str, row: Mapping[str, Any], horizon: int, n_paths: int) -> str:
    """A scenario case of stocks set side by side, each held alone on the same paths (the stress
    tool's `per_asset`): their median returns best first and which would hold up better by
    them, then their 5th percentiles, least loss first, and which would lose least in the worst
    paths; the S&P 500 index's median beside."""
    each = row["per_asset"]
    medians = {ticker: float(its["median_return"]) for ticker, its in each.items()}
    tails = sorted(each.items(), key=lambda kv: (-float(kv[1]["p05_return"]), kv[0]))
    least = "loses least" if len(tails) > 2 else "loses less"
    return (
        f"The scenario engine's {case} case over {horizon} sessions ({count(n_paths)} paths), "
        f"each stock held alone on the same paths: median return "
        f"{ranked_returns(medians, would=True)} by the median; 5th percentile "
        + ", ".join(f"{ticker} {pct(its['p05_return'])}" for ticker, its in tails)
        + f" ({tails[0][0]} {least} in the worst 5% of paths){index_on_the_paths(row)}."
        + _gain_while_the_index_falls(case, medians, row)
    )
