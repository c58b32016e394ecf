"""One number formatter and one vocabulary: how every page, report, command line and reply
writes a number, a strategy parameter, a metric and a risk limit.

Formats (`FORMATS`; the web UI reads the same rules from ``GET /v1/vocabulary``):

- `percent`: a fraction as a percentage with 2 decimals ("17.42%"); `signed=True` for returns
  ("+56.82%", "-3.10%");
- `ratio`: 2 decimals ("1.07"); `multiple`: 2 decimals and an "x" ("1.50x", leverage);
- `money`: dollars with thousands separators and cents ("$156,751.97", "-$112.66");
- `count`: an integer with thousands separators ("1,257");
- `days`: trading days ("63 trading days"); `bps`: basis points ("5.0 bps");
- `date`: ISO 8601 ("2022-12-28").

A missing or non-finite number is written "n/a".

The vocabulary names, in words, every `StrategyConfig` field (`PARAMETERS`, with the format of
its value and the words of its choices), every path metric (`METRICS`), statistic of the
simulated paths (`quant.limits.STATISTIC_WORDS`), scenario (`SCENARIOS`), benchmark
(`BENCHMARKS`) and agent (`AGENTS`). `describe_config` writes a configuration's parameters
that matter (the hedge's only when it holds one), `limit_sentence` a risk limit with its
statistic ("max drawdown ≤ 25.00% in 95% of bear paths: 23.10%").
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal

from prompts.roles import AGENT_ROLES
from quant.hedge_names import HEDGE_NAMES
from quant.limit_names import (
    DEFAULT_STATISTIC,
    LIMIT_METRICS,
    STATISTIC_WORDS,
    STATISTICS,
    statistic_words,
)
from quant.metrics import PATH_METRICS
from quant.regime_names import REGIME_NAMES

if TYPE_CHECKING:
    from quant.strategy import StrategyConfig

Format = Literal[
    "percent", "signed_percent", "ratio", "multiple", "money", "count", "days", "bps", "date",
    "choice", "text",
]  # fmt: skip
"""How a value is written (`format_value`)."""

MISSING = "n/a"
"""What a missing or non-finite number is written as."""


def finite(value: Any) -> float | None:
    """`value` as a float, or None when it is missing, not a number, NaN or infinite."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _unsigned_zero(text: str) -> str:
    """`text` without its sign when every digit it shows is zero: what rounds to zero reads
    "0.00%", never "-0.00%" or "+0.0%"."""
    shows_zero = not any(c in "123456789" for c in text)
    return text[1:] if shows_zero and text.startswith(("+", "-")) else text


def percent(fraction: Any, *, signed: bool = False, digits: int = 2) -> str:
    """A fraction as a percentage: 0.1742 -> "17.42%"; signed: 0.5682 -> "+56.82%"."""
    number = finite(fraction)
    if number is None:
        return MISSING
    return _unsigned_zero(f"{number * 100:{'+' if signed else ''},.{digits}f}%")


def ratio(value: Any, *, digits: int = 2) -> str:
    """A ratio (Sharpe, Sortino, an objective) with 2 decimals: "1.07"."""
    number = finite(value)
    return MISSING if number is None else _unsigned_zero(f"{number:,.{digits}f}")


def multiple(value: Any) -> str:
    """A multiple of wealth (leverage) with 2 decimals: "1.50x"."""
    number = finite(value)
    return MISSING if number is None else _unsigned_zero(f"{number:,.2f}x")


def money(amount: Any) -> str:
    """Dollars with thousands separators and cents: "$156,751.97", "-$112.66"."""
    number = finite(amount)
    if number is None:
        return MISSING
    text = f"${abs(number):,.2f}"
    return f"-{text}" if number < 0 and text != "$0.00" else text


def count(value: Any) -> str:
    """An integer with thousands separators: "1,257"."""
    number = finite(value)
    return MISSING if number is None else f"{round(number):,}"


def days(value: Any) -> str:
    """Trading days: "63 trading days" ("1 trading day")."""
    number = finite(value)
    if number is None:
        return MISSING
    n = round(number)
    return f"{n:,} trading day{'' if n == 1 else 's'}"


def bps(value: Any) -> str:
    """Basis points with one decimal: "5.0 bps"."""
    number = finite(value)
    return MISSING if number is None else _unsigned_zero(f"{number:,.1f} bps")


def day(value: date | datetime | str | None) -> str:
    """A date in ISO 8601: "2022-12-28" (a datetime's date; a string as given)."""
    if value is None:
        return MISSING
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)[:10]


def format_value(value: Any, fmt: Format, choices: Mapping[str, str] | None = None) -> str:
    """`value` written in format `fmt` (a choice by its words in `choices`)."""
    if fmt == "choice":
        return (choices or {}).get(str(value), str(value).replace("_", " "))
    writers = {
        "percent": percent,
        "signed_percent": lambda v: percent(v, signed=True),
        "ratio": ratio,
        "multiple": multiple,
        "money": money,
        "count": count,
        "days": days,
        "bps": bps,
        "date": day,
    }
    writer = writers.get(fmt)
    return str(value) if writer is None else writer(value)


@dataclass(frozen=True)
class Term:
    """A name in words: its `label`, the `format` of its values, what it means (`help`) and,
    for a choice, each choice's words."""

    label: str
    format: Format
    help: str = ""
    choices: Mapping[str, str] | None = None

    def write(self, value: Any) -> str:
        """The value in this term's format."""
        return format_value(value, self.format, self.choices)

    def phrase(self, value: Any) -> str:
        """Label and value: "volatility target 17.42%"."""
        return f"{self.label} {self.write(value)}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form (the vocabulary document's entries)."""
        out: dict[str, Any] = {"label": self.label, "format": self.format, "help": self.help}
        if self.choices is not None:
            out["choices"] = dict(self.choices)
        return out


WEIGHT_FUNCTIONS: dict[str, str] = {
    "inverse_vol": "inverse volatility",
    "sigmoid": "sigmoid volatility rule",
    "merton": "Merton rule",
}
"""The built-in weight functions in words (a user's own is written with spaces)."""

SLEEVES: dict[str, str] = {
    "single": "equal-weight portfolio",
    "hrp": "hierarchical risk parity",
    "risk_parity": "risk parity",
    "min_volatility": "minimum volatility",
    "max_sharpe": "maximum Sharpe ratio",
}
"""The risky sleeves in words."""

PARAMETERS: dict[str, Term] = {
    "weight_function": Term(
        "weight rule", "choice", "how the risky weight is set", WEIGHT_FUNCTIONS
    ),
    "target_vol": Term("volatility target", "percent", "annualised volatility the rule aims at"),
    "risk_aversion": Term("risk aversion", "ratio", "the Merton rule's risk aversion"),
    "steepness": Term("steepness", "ratio", "how sharply the sigmoid rule cuts exposure"),
    "lookback": Term("lookback", "days", "the window the volatility is estimated over"),
    "rebalance_every": Term("rebalancing every", "days", "days between rebalances"),
    "max_leverage": Term("leverage", "multiple", "the largest risky weight, in times wealth"),
    "cost_bps": Term("trading cost", "bps", "cost of each trade, in basis points of notional"),
    "sleeve": Term("risky sleeve", "choice", "how the stocks are weighted", SLEEVES),
    "overlay": Term(
        "hedge", "choice", "option protection on the sleeve", {"none": "no hedge", **HEDGE_NAMES}
    ),
    "overlay_strike": Term("put strike", "percent", "of the sleeve's level at purchase"),
    "overlay_lower_strike": Term("sold put strike", "percent", "of the sleeve's level"),
    "overlay_call_strike": Term("sold call strike", "percent", "of the sleeve's level"),
    "overlay_tenor_days": Term("option term", "days", "from purchase to expiry"),
    "overlay_roll": Term(
        "rolled",
        "choice",
        "when held options are replaced",
        {
            "expiry": "at expiry",
            "band": "early at a moneyness band",
            "delta": "early at a delta band",
        },
    ),
    "overlay_roll_band": Term("moneyness band", "percent", "half-width of the roll band"),
    "overlay_roll_delta_band": Term("delta band", "ratio", "half-width, in delta units"),
    "overlay_hedge_ratio": Term("hedge ratio", "percent", "share of the sleeve covered"),
    "overlay_budget": Term("premium budget", "percent", "largest premium a year, of wealth"),
}
"""Every `StrategyConfig` field in words."""

METRICS: dict[str, Term] = {
    "cagr": Term("annual return", "signed_percent", "compound annual growth rate"),
    "volatility": Term("volatility", "percent", "annualised standard deviation"),
    "sharpe": Term("Sharpe ratio", "ratio", "excess return per unit of volatility, annualised"),
    "sortino": Term("Sortino ratio", "ratio", "excess return per unit of downside deviation"),
    "max_drawdown": Term("max drawdown", "percent", "largest fall from a peak of wealth"),
    "var_95": Term("daily 95% VaR", "percent", "loss not exceeded on 95% of days"),
    "cvar_95": Term("daily 95% CVaR", "percent", "average loss on the worst 5% of days"),
    "turnover": Term("turnover", "percent", "weight traded a year"),
    "average_weight": Term("average risky weight", "percent", "mean share of wealth at risk"),
    "hedge_premium": Term("hedge premium", "percent", "paid for options, of wealth a year"),
    "hedge_payoff": Term("hedge payoff", "percent", "received from options, of wealth a year"),
    "hedge_carry": Term("hedge carry", "signed_percent", "premium less payoff, a year"),
}
"""Every path metric in words (`quant.metrics.PATH_METRICS`)."""

SCENARIOS: dict[str, str] = {
    "bull": "bull",
    "bear": "bear",
    "high_vol": "high-volatility",
    "low_vol": "low-volatility",
    "base": "base",
}
"""The scenarios (market regimes) in words."""

BENCHMARKS: dict[str, str] = {
    "risky_sleeve": "100% in the risky sleeve",
    "buy_and_hold": "equal-weight buy-and-hold",
    "equal_weight": "equal weights, rebalanced daily",
    "market": "the market index",
}
"""The benchmark strategies in words (`quant.benchmark_strategies` keys)."""

AGENTS: dict[str, str] = {
    "supervisor": "the supervisor",
    "market_analysis": "the market analyst",
    "optimizer": "the optimizer",
    "risk_manager": "the risk manager",
    "explanation": "the explanation agent",
}
"""The agent roles in words (`prompts.roles.AGENT_ROLES`)."""

LIMIT_SYMBOL = "≤"
"""How a limit's bound is written."""


def parameter(name: str, value: Any) -> str:
    """One parameter in words: ("target_vol", 0.1742) -> "volatility target 17.42%"."""
    term = PARAMETERS.get(name)
    return f"{name.replace('_', ' ')} {value}" if term is None else term.phrase(value)


def parameter_label(name: str) -> str:
    """One parameter's name in words ("target_vol" -> "volatility target")."""
    term = PARAMETERS.get(name)
    return name.replace("_", " ") if term is None else term.label


def metric(name: str, value: Any) -> str:
    """One metric's value in its format: ("sharpe", 1.0731) -> "1.07"."""
    term = METRICS.get(name)
    return str(value) if term is None else term.write(value)


def metric_label(name: str) -> str:
    """One metric's name in words ("max_drawdown" -> "max drawdown")."""
    term = METRICS.get(name)
    return name.replace("_", " ") if term is None else term.label


def scenario(name: str) -> str:
    """A scenario's name in words ("high_vol" -> "high-volatility")."""
    return SCENARIOS.get(name, name.replace("_", " "))


def config_items(config: StrategyConfig | Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """The parameters of a configuration that change its results, as (field, label, value in
    its format): the weight rule, its own parameters, lookback, rebalancing, leverage, trading
    cost, sleeve, and the hedge's settings only when it holds one
    (`StrategyConfig.unused_parameters` left out; no premium budget when uncapped)."""
    from quant.strategy import StrategyConfig  # the numerics, only when a config is described

    cfg = config if isinstance(config, StrategyConfig) else StrategyConfig.model_validate(config)
    unused = cfg.unused_parameters()
    values = cfg.model_dump()
    return [
        (name, term.label, term.write(values[name]))
        for name, term in PARAMETERS.items()
        if name not in unused
        and not (name == "overlay" and values[name] == "none")
        and not (name == "overlay_budget" and values[name] is None)
    ]


def describe_config(config: StrategyConfig | Mapping[str, Any]) -> list[str]:
    """`config_items` as phrases: "volatility target 17.42%", "lookback 63 trading days"."""
    return [f"{label} {value}" for _, label, value in config_items(config)]


def config_sentence(config: StrategyConfig | Mapping[str, Any]) -> str:
    """`describe_config` as one phrase: "inverse volatility, volatility target 17.42%, ..."."""
    parts = describe_config(config)
    if parts and parts[0].startswith("weight rule "):
        parts[0] = parts[0].removeprefix("weight rule ")
    return ", ".join(parts)


def limit_sentence(
    metric_name: str,
    limit: float,
    statistic: str = DEFAULT_STATISTIC,
    scenario_name: str | None = None,
    value: float | None = None,
) -> str:
    """A risk limit in words with its statistic, and the value found when given:
    "max drawdown ≤ 25.00% in 95% of bear paths: 23.10%"."""
    where = statistic_words(statistic, None if scenario_name is None else scenario(scenario_name))
    text = f"{metric_label(metric_name)} {LIMIT_SYMBOL} {metric(metric_name, limit)} {where}"
    return text if value is None else f"{text}: {metric(metric_name, value)}"


SEARCH_METHODS: dict[str, str] = {
    "tpe": "Bayesian search (TPE)",
    "random": "random search",
    "grid": "grid search",
}
"""The search methods in words (`graphs.request.OptimizationRequest.method`)."""


def search_method(name: Any) -> str:
    """A search method in words ("tpe" -> "Bayesian search (TPE)")."""
    return SEARCH_METHODS.get(str(name), str(name).replace("_", " "))


def _setting(name: str, value: Any) -> str:
    """One setting a space fixes or leaves at its default, in words ("trading cost 5.0 bps";
    a choice by its words: "no hedge", "equal-weight portfolio")."""
    term = PARAMETERS.get(name)
    if term is None:
        return f"{name.replace('_', ' ')} {value}"
    if term.format == "choice":
        return term.write(value) if name == "overlay" else term.phrase(value)
    return "no premium budget" if value is None else term.phrase(value)


def _span(name: str, dimension: Any) -> str:
    """What a searched setting ranges over, in words: "volatility target 5.00% to 25.00%",
    "weight rule: inverse volatility or Merton rule"."""
    from quant.tuning.space import Choices

    term = PARAMETERS.get(name)
    label = name.replace("_", " ") if term is None else term.label
    if isinstance(dimension, Choices):
        shown = [
            term.write(c) if term is not None else format_value(c, "choice")
            for c in dimension.choices
        ]
        return f"{label}: {listed(shown, 'or')}"
    return f"{label} {range_words(name, dimension.low, dimension.high)}"


def listed(items: Sequence[str], conjunction: str = "and") -> str:
    """Items as a sentence lists them: "a", "a and b", "a, b and c" ("" for none)."""
    if len(items) < 2:
        return "".join(items)
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def range_words(name: str, low: Any, high: Any) -> str:
    """A setting's range in its format: "5.00% to 25.00%", "21 to 126 trading days"."""
    term = PARAMETERS.get(name)
    if term is not None and term.format == "days":
        return f"{count(low)} to {days(high)}"
    write = term.write if term is not None else str
    return f"{write(low)} to {write(high)}"


def space_words(space: Mapping[str, Any]) -> str:
    """A search space in words: what it searches (each setting's range), what it fixes and the
    value every setting it does not name keeps ("searches volatility target 5.00% to 25.00%;
    lookback 21 to 126 trading days; it fixes trading cost 5.0 bps; it leaves every other
    setting at its default: rebalancing every 21 trading days, ..."). Raises
    `SearchSpaceError` for an invalid space."""
    from quant.tuning.space import SearchSpace

    parsed = SearchSpace(dict(space))
    spans = [_span(n, d) for n, d in parsed.searched.items()]
    searched = "nothing" if not spans else "; ".join(spans)
    parts = [f"searches {searched}"]
    if parsed.fixed:
        parts.append("fixes " + ", ".join(_setting(n, v) for n, v in parsed.fixed.items()))
    if parsed.defaults:
        shown = ", ".join(_setting(n, v) for n, v in parsed.defaults.items())
        parts.append(f"leaves every other setting at its default: {shown}")
    return "; it ".join(parts)


def plausibility_words(warning: Mapping[str, Any]) -> str:
    """A plausibility warning on a search winner in words (`quant.plausibility`): "the winner
    holds on average 193% of wealth in the risky sleeve in the bull scenario (above 100%: its
    results rely on leverage)", "the winner's volatility target 24.87% is at the high end of
    its search range, 5.00% to 25.00%: ...", "86% of the objective comes from ..."."""
    code = warning["code"]
    if code == "leverage":
        return (
            f"the winner holds on average {percent(warning['average_weight'], digits=0)} of "
            f"wealth in the risky sleeve in the {scenario(warning['scenario'])} scenario "
            f"(above {percent(warning['level'], digits=0)}: its results rely on leverage)"
        )
    if code == "search_edge":
        name = warning["parameter"]
        return (
            f"the winner's {parameter(name, warning['value'])} is at the {warning['end']} end "
            f"of its search range, {range_words(name, warning['low'], warning['high'])}: the "
            "best value may lie outside the range searched"
        )
    if code == "one_scenario":
        return (
            f"{percent(warning['share'], digits=0)} of the objective comes from the "
            f"{scenario(warning['scenario'])} scenario (above "
            f"{percent(warning['level'], digits=0)}): the ranking reflects that scenario more "
            "than the mix"
        )
    raise ValueError(f"unknown plausibility warning {code!r}")


def trading_limits_words(limits: Mapping[str, Any]) -> str:
    """A deployment's trading limits in words ("keeps 2.00% in cash; pauses at a 20.00%
    drawdown; at most 25.00% in one stock; ..."; "none"): each limit that binds, in its format
    (`execution.deployment.DeploymentLimits`)."""

    def given(name: str) -> float | None:
        return finite(limits.get(name))

    parts = []
    if given("cash_buffer"):
        parts.append(f"keeps {percent(limits['cash_buffer'])} in cash")
    if given("max_drawdown") is not None:
        parts.append(f"pauses at a {percent(limits['max_drawdown'])} drawdown")
    if (given("max_position") or 1.0) < 1:
        parts.append(f"at most {percent(limits['max_position'])} in one stock")
    if (given("max_turnover") or 1.0) < 1:
        parts.append(f"trades at most {percent(limits['max_turnover'])} of equity a rebalance")
    if given("min_trade_value"):
        parts.append(f"skips trades under {money(limits['min_trade_value'])}")
    if given("price_reserve"):
        parts.append(f"keeps {percent(limits['price_reserve'])} aside for price moves")
    return "; ".join(parts) or "none"


FORMATS: dict[str, dict[str, Any]] = {
    "percent": {"multiply": 100, "decimals": 2, "suffix": "%", "example": percent(0.1742)},
    "signed_percent": {
        "multiply": 100,
        "decimals": 2,
        "suffix": "%",
        "sign": True,
        "example": percent(0.5682, signed=True),
    },
    "ratio": {"decimals": 2, "example": ratio(1.0731)},
    "multiple": {"decimals": 2, "suffix": "x", "example": multiple(1.5)},
    "money": {"decimals": 2, "prefix": "$", "thousands": ",", "example": money(-112.66)},
    "count": {"decimals": 0, "thousands": ",", "example": count(1257)},
    "days": {"decimals": 0, "suffix": " trading days", "example": days(63)},
    "bps": {"decimals": 1, "suffix": " bps", "example": bps(5)},
    "date": {"iso": True, "example": day(date(2022, 12, 28))},
}
"""The rules of each format, for a client that writes numbers itself (missing: `MISSING`)."""


def vocabulary() -> dict[str, Any]:
    """The vocabulary and the format rules as one JSON-friendly document (``GET
    /v1/vocabulary``; docs/api.md "Vocabulary")."""
    return {
        "missing": MISSING,
        "limit_symbol": LIMIT_SYMBOL,
        "formats": FORMATS,
        "parameters": {name: term.to_dict() for name, term in PARAMETERS.items()},
        "metrics": {name: METRICS[name].to_dict() for name in PATH_METRICS},
        "limit_metrics": list(LIMIT_METRICS),
        "statistics": dict(STATISTIC_WORDS),
        "default_statistic": DEFAULT_STATISTIC,
        "scenarios": {name: SCENARIOS[name] for name in REGIME_NAMES},
        "benchmarks": dict(BENCHMARKS),
        "agents": {role: AGENTS[role] for role in AGENT_ROLES},
    }


__all__ = [
    "AGENTS",
    "BENCHMARKS",
    "FORMATS",
    "METRICS",
    "MISSING",
    "PARAMETERS",
    "SCENARIOS",
    "SEARCH_METHODS",
    "STATISTICS",
    "Term",
    "bps",
    "config_items",
    "config_sentence",
    "count",
    "day",
    "days",
    "describe_config",
    "finite",
    "format_value",
    "limit_sentence",
    "metric",
    "metric_label",
    "money",
    "multiple",
    "parameter",
    "percent",
    "plausibility_words",
    "range_words",
    "ratio",
    "scenario",
    "search_method",
    "space_words",
    "trading_limits_words",
    "vocabulary",
]
