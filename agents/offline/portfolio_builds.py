"""How the offline model builds a portfolio from a message: the `optimize_portfolio` arguments
(method, window, universe, weight limits; a revision keeps the latest build's window and limits)
and what the answer says about the limits. The optimizer's chat and a comparison both build
this way (`agents.offline.chat_policies`, `agents.offline.analysis_policies`)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from agents.offline.build_targets import (
    return_targeted,
    target_args,
    targeted_method,
    volatility_targeted,
)
from agents.offline.chat_intent import (
    known_tickers,
    rate_args,
    revises_portfolio,
    thread_subject,
    window_args,
)
from agents.offline.data_dates import data_end
from agents.offline.formats import money_text
from agents.offline.intent import Intent
from agents.offline.intent.amounts import capital_named
from agents.offline.intent.analysis import INDEX_NAMED
from agents.offline.intent.classify import BUILD_ASKED
from agents.offline.intent.holdings import holdings_named
from agents.offline.intent.sector_counts import sector_count, sized
from agents.offline.intent.typos import normalised
from agents.offline.method_names import method_name
from agents.offline.policies import PolicyInput
from agents.offline.statistic_words import pct
from quant.classification import classify, matching
from services.formatting import count, listed
from settings import get_settings, patterns

__all__ = [
    "build_against_index",
    "build_args",
    "build_attempt",
    "compared_with_index",
    "default_method",
    "describe_portfolio",
    "index_comparison",
    "limits_note",
    "weights_change",
]

AGAINST_INDEX = patterns.compile(
    r"\b(?:beats?|beating|outperform\w*|(?:do(?:es)?|did) better than|ahead of|than|compar\w*"
    r"(?: (?:it|that|this|(?:its|the) \w+))? (?:to|with|against)|versus|vs\.?|against|relative to)"
    rf" (?:the )?(?:benchmark\b|{INDEX_NAMED.pattern})"
)
"""The S&P 500 index as what a portfolio is measured against: "beats the S&P", "with less risk
than the market", "compare it to the S&P"."""


def build_against_index(text: str) -> bool:
    """Whether `text` asks for a new portfolio set against the S&P 500 index ("give me a
    portfolio that beats the S&P", "build me a max sharpe portfolio and compare it to the
    market"): built, then backtested over its window beside the index."""
    low = normalised(text)
    return bool(BUILD_ASKED.search(low) and AGAINST_INDEX.search(low))


SHOWN_WEIGHTS = 20
"""Weights a reply lists (every one of the embedded universe: the reply names what it used)."""


def equal_weights(tickers: Sequence[str]) -> dict[str, float]:
    """Equal weights of `tickers` (fractions, each 1/n: they sum to 1 as a tool checks it)."""
    return {t: 1.0 / len(tickers) for t in tickers}


def build_attempt(args: dict[str, Any]) -> str:
    """What an `optimize_portfolio` call tried to build, in words, for a reply saying it could
    not: "that HRP portfolio of AAPL, MSFT and KO" (the stocks it named; "of the default
    universe" when it named none)."""
    universe = [str(t) for t in args.get("universe") or []]
    names = listed(universe)
    method = method_name(str(args.get("method") or "")) or "the"
    return f"build that {method} portfolio of " + (names or "the default universe")


def describe_portfolio(data: dict[str, Any]) -> str:
    """An `optimize_portfolio` result as a sentence (it opens with a capital): its weights (the
    largest first), its in-sample return, volatility and Sharpe ratio (with the risk-free rate it
    is against) and the window it was estimated on, with where the market data ends."""
    weights = sorted(data["weights"].items(), key=lambda kv: -kv[1])
    shown = ", ".join(f"{t} {w:.1%}" for t, w in weights[:SHOWN_WEIGHTS])
    if len(weights) > SHOWN_WEIGHTS:
        shown += f" and {len(weights) - SHOWN_WEIGHTS} more"
    rate = f"risk-free rate {100 * (data.get('risk_free_rate') or 0.0):.4g}%"
    sharpe = (
        f"Sharpe ratio {data['sharpe']:.2f} ({rate})"
        if data.get("sharpe") is not None
        else "Sharpe ratio undefined (zero volatility)"
    )
    span = data.get("date_range") or {}
    window = (
        f"; estimated from {span['start']} to {span['end']} ({count(span['days'])} sessions; the market "
        f"data ends on {data_end()})"
        if span.get("start") and span.get("end") and span.get("days")
        else ""
    )
    money = ""
    if data.get("capital") and isinstance(data.get("amounts"), dict):
        held = sorted(data["amounts"].items(), key=lambda kv: -kv[1])[:SHOWN_WEIGHTS]
        money = f". On {money_text(data['capital'])}: " + ", ".join(
            f"{t} {money_text(v)}" for t, v in held
        )
    method = method_name(data["method"])
    return (
        f"{method[:1].upper()}{method[1:]} portfolio ({data['portfolio_id']}): {shown}{money}. "
        f"{_holdings_note(data.get('holdings'), method)}Expected return "
        f"{data['expected_return']:.1%}, volatility {data['volatility']:.1%}, {sharpe}{window}"
    )


def weights_change(given: dict[str, float], built: dict[str, float]) -> str:
    """The change from weights the message gave to those built on the same stocks ("Against
    your weights: AAPL from 60.0% to 29.4% (-30.6 points), KO from 40.0% to 70.6% (+30.6
    points)."); "" when none were given or the build holds other stocks."""
    if not given or set(given) != set(built):
        return ""
    moves = [
        f"{t} from {given[t]:.1%} to {built[t]:.1%} ({100 * (built[t] - given[t]):+.1f} points)"
        for t in sorted(given, key=lambda t: -abs(built[t] - given[t]))
    ]
    return f" Against your weights: {', '.join(moves)}."


def _holdings_note(holdings: dict[str, Any] | None, method: str) -> str:
    """What a build asked to hold a number of stocks says of them: how many it holds, of how
    many, chosen how; and why, when it holds fewer than asked."""
    if not holdings:
        return ""
    asked, held, among = holdings["asked"], holdings["held"], holdings["chosen_from"]
    if held >= asked:
        return (
            f"It holds {held} stocks as asked, chosen from {among}: the {method} portfolio of "
            f"all {among} was built, then built again without the stocks of smallest weight "
            f"until {held} remained. "
        )
    if holdings["builds"] <= 2:  # no stock dropped: the method holds fewer of them all
        why = f"the {method} portfolio of all {among} gives weight to {held} only"
    else:
        why = (
            f"after the stocks of smallest weight were dropped, the {method} portfolio of "
            f"those left gives weight to {held} only"
        )
    return (
        f"It holds {held} stocks, not the {asked} asked: {why} (a build adds no stock its "
        "method gives no weight). "
    )


def build_args(inp: PolicyInput, intent: Intent, method: str) -> dict[str, Any]:
    """`optimize_portfolio` arguments for `method` with the message's window, universe (the
    conversation's when it names none; less what it leaves out) and weight limits; a change to
    the conversation's latest portfolio keeps that portfolio's window and limits unless the
    message changes them, and a build on the conversation's stocks (the message names none)
    keeps the window of its latest build unless the message names one."""
    kept = _previous_build(inp) if revises_portfolio(inp, intent) else {}
    named = intent.tickers or intent.sectors or intent.all_tickers
    if not kept and not named and thread_subject(inp):  # "compare it with min vol": its window
        kept = {k: v for k, v in _previous_build(inp).items() if k in ("start", "end")}
        if intent.start or intent.last_sessions:  # "compare it with min vol since 2020"
            kept = {}
    args: dict[str, Any] = {
        **kept,
        **window_args(intent, thread_subject(inp)),
        **rate_args(intent),
        "method": method,
    }
    args.update(target_args(method, intent))
    if (capital := stated_capital(intent)) is not None:
        args["capital"] = capital
    holdings = holdings_named(normalised(intent.text))
    if (counted := sector_count(intent)) is not None:  # "of the 10 largest tech stocks"
        holdings = counted if counted < len(intent.tickers) else None  # all, when no more
    if holdings is not None and holdings != len(intent.tickers):  # not "these 4 stocks: ..."
        args["holdings"] = holdings
    ask = intent.limits
    if ask.max_weight is not None:
        args["max_weight"] = ask.max_weight
    if ask.min_weight is not None:
        args["min_weight"] = ask.min_weight
    for name, limits in (("asset_limits", ask.asset_limits), ("sector_limits", ask.sector_limits)):
        if limits:
            args[name] = {key: {"min": low, "max": high} for key, (low, high) in limits.items()}
    if ask.sector_cap is not None:
        stocks = intent.tickers or _previous_build(inp, with_universe=True).get("universe", [])
        own = {c.sector for t in ask.sector_limits for c in matching(t, _classification_file())}
        capped = {s: {"min": 0.0, "max": ask.sector_cap} for s in _sectors(stocks) if s not in own}
        args["sector_limits"] = {**capped, **args.get("sector_limits", {})}
    return args


def _classification_file() -> Path | None:
    """The configured classification file (None: the embedded classification alone)."""
    return get_settings().classification_file


def _sectors(tickers: Sequence[str]) -> list[str]:
    """The sectors of `tickers` (of the data's default universe when none), each once, in the
    order of their first stock (the configured classification)."""
    from services.market_data.providers import DEFAULT_UNIVERSE_SIZE  # pandas: for this alone

    names = list(tickers) or list(known_tickers()[:DEFAULT_UNIVERSE_SIZE])
    found = (classify(t, _classification_file()) for t in names)
    return list(dict.fromkeys(c.sector for c in found if c is not None))


def stated_capital(intent: Intent) -> float | None:
    """The capital the message states ("on $1m", "with 250k"), in currency, if any."""
    return capital_named(normalised(intent.text))


def _previous_build(inp: PolicyInput, with_universe: bool = False) -> dict[str, Any]:
    """The window and limits of the conversation's latest `optimize_portfolio` call before
    this turn (not its method; its universe too when `with_universe`)."""
    earlier = {call["id"] for call in inp.calls_this_turn()}
    left_out = ("method",) if with_universe else ("universe", "method")
    for call in reversed(inp.tool_calls_made()):
        if call["name"] == "optimize_portfolio" and call["id"] not in earlier:
            return {key: value for key, value in call["args"].items() if key not in left_out}
    return {}


def default_method(intent: Intent) -> str:
    """The method named, else HRP; efficient-risk (the highest return at that volatility or
    less) when a volatility is targeted or capped ("targeting 15% volatility", "with volatility
    of at most 20%"), efficient-return (the lowest volatility reaching it) when a return is
    ("with at least 15% return", "the lowest-risk portfolio returning 18%"); min-volatility when a sector limit is asked (HRP keeps limits
    on single weights only)."""
    if intent.method:
        return targeted_method(intent.method, intent)
    if volatility_targeted(intent) is not None:
        return "efficient_risk"
    if return_targeted(intent) is not None:
        return "efficient_return"
    grouped = intent.limits.sector_limits or intent.limits.sector_cap is not None
    return "min_volatility" if grouped else "hrp"


def limits_note(intent: Intent) -> str:
    """What the answer says about the asks beside the weight limits: what was left out, what
    was asked that every build keeps ("long-only", "no leverage"), and what was asked that a
    portfolio build cannot keep, with why. The weight limits kept and broken are stated once,
    checked on the weights returned, by the chat graph for every model
    (`graphs.limit_claims`)."""
    notes = []
    ask = intent.limits
    dropped = [*ask.excluded, *ask.excluded_sectors]
    if dropped:
        notes.append("Left out as asked: " + ", ".join(dropped) + ".")
    if ask.kept:
        notes.append(
            f"Kept as asked: {' and '.join(ask.kept)} (every portfolio built here is long-only, "
            "fully invested and unlevered)."
        )
    notes += [f"Not applied: {item}." for item in ask.unsupported]
    if (counted := sector_count(intent)) is not None and (
        said := _sector_count_note(intent, counted)
    ):
        notes.append(said)
    return (" " + " ".join(notes)) if notes else ""


def _sector_count_note(intent: Intent, counted: int) -> str:
    """What a build of a count of a sector's stocks holds ("the 10 largest tech stocks": the 3
    the data has), and that no company sizes pick them."""
    names = ", ".join(intent.tickers)
    sector = " and ".join(intent.sectors)
    if counted >= len(intent.tickers):
        fewer = f", fewer than the {counted} asked" if counted > len(intent.tickers) else ""
        return (
            f"The data holds {len(intent.tickers)} {sector} stocks ({names}){fewer}: all of them "
            "were used" + (", with no company sizes to rank them by." if sized(intent) else ".")
        )
    if sized(intent):
        return (
            f"The data has no company sizes: the optimizer chose {counted} of the "
            f"{len(intent.tickers)} {sector} stocks ({names}), not the largest."
        )
    return ""


def _verdict(ours: dict[str, Any], index: dict[str, Any]) -> str:
    """Whether the portfolio beat the index's total return, and with less risk (volatility)."""
    beat = ours["total_return"] > index["total_return"]
    calmer = ours["volatility"] < index["volatility"]
    if beat:
        return "It beat the index's return " + (
            "with less risk (lower volatility)."
            if calmer
            else "with more risk (higher volatility)."
        )
    if calmer:
        return "It did not beat the index's return; it had less risk (lower volatility)."
    return "It neither beat the index's return nor had less risk (lower volatility)."


def index_comparison(backtest: dict[str, Any]) -> str:
    """A `backtest_weights` result of a portfolio just built, over the window it was estimated on,
    set against the S&P 500 index over that window: total return, volatility (annualised) and
    maximum drawdown of each, whether it beat the index's return with less risk, and that this
    is in-sample (the weights were chosen on this window)."""
    index = backtest.get("index")
    window = backtest.get("window") or {}
    if not index:
        return "The S&P 500 index has no returns over the whole window, so it is not compared."
    drawdown = (backtest.get("max_drawdown") or {}).get("depth")
    return (
        f"Held at these weights (rebalanced {backtest['rebalance']}) from {window.get('start')} "
        f"to {window.get('end')}, against the S&P 500 index over the same days: total return "
        f"{pct(backtest['total_return'])} against {pct(index['total_return'])}, volatility "
        f"{pct(backtest['volatility'])} against {pct(index['volatility'])}, maximum drawdown "
        f"{pct(drawdown)} against {pct(index['max_drawdown'])}. {_verdict(backtest, index)} "
        "In-sample: the weights were estimated on this window, so this is how they would have "
        "done with hindsight, not a test of how they do."
    )


def compared_with_index(compared: dict[str, Any], index: dict[str, Any]) -> str:
    """The S&P 500 index's line beside a `compare_portfolios` result (`index`: its statistics over
    the same sessions, `asset_statistics`' "index"): its return a year, volatility, Sharpe ratio
    (at the comparison's risk-free rate of 0 only) and maximum drawdown, then which portfolios
    did better than it on each (a higher return, a lower volatility, a shallower drawdown)."""
    rows = compared.get("rows") or []
    depth = (index.get("max_drawdown") or {}).get("depth")
    sharpe = index.get("sharpe_ratio")
    said_sharpe = (
        f", Sharpe ratio {sharpe:.2f} (risk-free rate 0%)"
        if sharpe is not None and not compared.get("risk_free_rate")
        else ""
    )
    line = (
        f"The S&P 500 index over the same days: return {pct(index['annualised_return'])} a year, "
        f"volatility {pct(index['volatility'])}{said_sharpe}, maximum drawdown {pct(depth)}."
    )
    sides = (
        ("a higher return than the index", "annualised_return", index["annualised_return"], 1),
        ("a lower volatility", "volatility", index["volatility"], -1),
        ("a shallower maximum drawdown", "max_drawdown", depth, -1),
    )
    better = []
    for words, key, theirs, sign in sides:
        if theirs is None:
            continue
        names = [method_name(r["portfolio"]) for r in rows
                 if r.get(key) is not None and sign * (r[key] - theirs) > 0]  # fmt: skip
        better.append(f"{words}: {listed(names) if names else 'none'}")
    said = "; ".join(better)
    return f"{line} {said[:1].upper()}{said[1:]}." if better else line
