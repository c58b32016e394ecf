"""The request `stratigos optimize` runs: `--request FILE`, `--trials`, `--paths` and the flags
that set request fields (the data: universe and dates; the strategy's leverage; the option
overlay's search space, `graphs.hedge_search`; the option pricing; the risk limits).

Each flag changes the request built from `--request FILE` (or the defaults): `--universe`,
`--start` and `--end` set the request's universe (any symbols of the configured market data)
and dates, `--max-leverage` the search space's `max_leverage`, the overlay flags set
`search_space.overlay*` entries, the pricing flags `vol_model`, the limit flags set
`risk_limits`. A request that sets no `end` ends on the configured market data's last session. A malformed value is an
argparse error naming the flag (exit 2); a well-formed value the request refuses is reported
with its field and the flag that set it (`search_space.overlay_strike (--overlay-strike): ...`).
"""

from __future__ import annotations

import argparse
from datetime import date
from typing import TYPE_CHECKING, Any

from api.cli.errors import UsageError, read_json_object
from quant.limits import STATISTICS

if TYPE_CHECKING:
    from graphs.request import OptimizationRequest

OVERLAY_FLAGS = {
    "overlay": "--overlay",
    "overlay_strike": "--overlay-strike",
    "overlay_lower_strike": "--overlay-lower-strike",
    "overlay_call_strike": "--overlay-call-strike",
    "overlay_tenor_days": "--overlay-tenor",
    "overlay_roll": "--overlay-roll",
    "overlay_roll_band": "--overlay-roll-band",
    "overlay_roll_delta_band": "--overlay-roll-delta-band",
    "overlay_hedge_ratio": "--overlay-hedge-ratio",
    "overlay_budget": "--overlay-budget",
}
"""The search-space field each overlay flag sets."""

VOL_MODEL_FLAGS = {
    "variance_risk_premium": "--vol-premium",
    "skew": "--vol-skew",
    "realised_window": "--vol-window",
}
"""The `vol_model` field (`quant.options.vol_model.ImpliedVolModel`) each pricing flag sets."""

LIMIT_FLAGS = {"max_drawdown": "--max-drawdown", "cvar_95": "--cvar-95", "var_95": "--var-95"}
_LIMIT_EXAMPLES = {"max_drawdown": "0.15", "cvar_95": "0.03", "var_95": "0.02"}
"""The risk limit each limit flag sets."""


def _kinds(text: str) -> list[str]:
    from graphs.hedge_search import HEDGE_KINDS as known  # imported when the flag is used

    kinds = [part.strip().replace("-", "_") for part in text.split(",") if part.strip()]
    unknown = [kind for kind in kinds if kind not in known]
    if not kinds or unknown:
        raise argparse.ArgumentTypeError(
            f"overlay kinds are a comma-separated list of {', '.join(known)}; got {text!r}"
        )
    return kinds


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None


def _value_or_range(text: str) -> float | tuple[float, float]:
    """ "0.9" (fixed) or "0.85:0.98" (a range to search)."""
    if ":" not in text:
        return _float(text)
    low, _, high = text.partition(":")
    return (_float(low), _float(high))


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def _tenors(text: str) -> list[int]:
    try:
        tenors = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"tenors are trading days, comma-separated (e.g. 21,63); got {text!r}"
        ) from None
    if not tenors:
        raise argparse.ArgumentTypeError("give at least one tenor in trading days")
    return tenors


def _tickers(text: str) -> list[str]:
    tickers = [part.strip().upper() for part in text.split(",") if part.strip()]
    if not tickers:
        raise argparse.ArgumentTypeError("give tickers, comma-separated, e.g. AAPL,KO")
    return tickers


def _date(text: str) -> str:
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from None


def add_request_flags(command: argparse.ArgumentParser) -> None:
    """Add the data's and the strategy's, the option overlay's, the option pricing's and the
    risk limits' flags to `command`."""
    _add_data_flags(command)
    _add_hedge_flags(command)
    _add_pricing_flags(command)
    _add_limit_flags(command)


def _add_data_flags(command: argparse.ArgumentParser) -> None:
    """The flags of the data the search runs on and of the strategy's leverage."""
    data = command.add_argument_group(
        "data and leverage",
        "Any symbols of the configured market data (`stratigos market-data status`); the dates "
        "bound the returns the scenarios are drawn from.",
    )
    data.add_argument(
        "--universe",
        type=_tickers,
        metavar="TICKERS",
        help="the risky sleeve's tickers, comma-separated; default: the profile's universe, "
        "else the market data's first 50",
    )
    data.add_argument("--start", type=_date, metavar="DATE", help="first day of the returns")
    data.add_argument(
        "--end", type=_date, metavar="DATE", help="last day (default: the data's last session)"
    )
    data.add_argument(
        "--max-leverage",
        type=_value_or_range,
        metavar="L",
        help="the strategy's maximum leverage, fixed (1 for a cash account) or searched, "
        "e.g. 1 or 1:2",
    )


def _add_hedge_flags(command: argparse.ArgumentParser) -> None:
    """The flags of the option hedges searched (`search_space.overlay*`)."""
    hedge = command.add_argument_group(
        "option hedge (search space)",
        "Options held against the risky sleeve (the request's overlay fields), searched like "
        "every other parameter (docs/engine.md). Numbers are one value (fixed) or LOW:HIGH "
        "(searched).",
    )
    hedge.add_argument(
        "--overlay",
        type=_kinds,
        metavar="KINDS",
        help="hedge kinds to search, comma-separated: none, put, put_spread, collar "
        "(include none to compare with unhedged strategies)",
    )
    hedge.add_argument(
        "--overlay-strike",
        type=_value_or_range,
        metavar="K",
        help="bought put's strike as moneyness, e.g. 0.9 or 0.85:0.98",
    )
    hedge.add_argument(
        "--overlay-lower-strike",
        type=_value_or_range,
        metavar="K",
        help="put spread: the sold put's strike (below --overlay-strike)",
    )
    hedge.add_argument(
        "--overlay-call-strike",
        type=_value_or_range,
        metavar="K",
        help="collar: the sold call's strike (above --overlay-strike)",
    )
    hedge.add_argument(
        "--overlay-tenor",
        type=_tenors,
        metavar="DAYS",
        help="trading days to expiry, comma-separated choices, e.g. 21,63,126",
    )
    hedge.add_argument(
        "--overlay-roll",
        choices=["expiry", "band", "delta"],
        help="roll at expiry, or also early at a moneyness band or at a delta band",
    )
    hedge.add_argument(
        "--overlay-roll-band",
        type=_value_or_range,
        metavar="M",
        help="with --overlay-roll band: the band's half-width in moneyness, e.g. 0.1 or 0.05:0.2",
    )
    hedge.add_argument(
        "--overlay-roll-delta-band",
        type=_value_or_range,
        metavar="D",
        help="with --overlay-roll delta: the band's half-width in delta units (0 to 0.5), "
        "e.g. 0.1 or 0.05:0.2",
    )
    hedge.add_argument(
        "--overlay-hedge-ratio",
        type=_value_or_range,
        metavar="R",
        help="options per unit of risky sleeve, e.g. 1 or 0.5:1",
    )
    hedge.add_argument(
        "--overlay-budget",
        type=_value_or_range,
        metavar="B",
        help="largest premium per year as a fraction of wealth, e.g. 0.02 or 0.005:0.05",
    )


def _add_pricing_flags(command: argparse.ArgumentParser) -> None:
    """The flags of the implied-volatility model that prices the overlays (`vol_model`)."""
    pricing = command.add_argument_group(
        "option pricing (vol_model)",
        "The implied-volatility model that prices the overlay on every path: "
        "sqrt(realised vol^2 + premium) x (strike/spot)^-skew (docs/engine.md); "
        "unset flags keep the request's values or the model's defaults.",
    )
    pricing.add_argument(
        "--vol-premium",
        type=_float,
        metavar="VAR",
        help="variance risk premium added to the realised variance, annual variance units, "
        "0 to 1 (default 0.01: 15%% realised gives 18%% implied at the money)",
    )
    pricing.add_argument(
        "--vol-skew",
        type=_float,
        metavar="SKEW",
        help="exponent of the moneyness factor, 0 to 20 (default 1.5; 0 = flat smile)",
    )
    pricing.add_argument(
        "--vol-window",
        type=_int,
        metavar="DAYS",
        help="trading days of returns behind the realised volatility, 2 to 756 (default 21)",
    )


def _add_limit_flags(command: argparse.ArgumentParser) -> None:
    """The flags of the risk limits (`risk_limits`) and the scenarios they apply in."""
    limits = command.add_argument_group(
        "risk limits",
        "Upper limits per scenario (fractions; VaR and CVaR daily), each checked on a statistic "
        "of the simulated paths: by default the 95th percentile (drawdown at most 15%% in 95%% "
        "of paths).",
    )
    for name, flag in LIMIT_FLAGS.items():
        limits.add_argument(
            flag,
            type=_float,
            metavar="FRACTION",
            help=f"risk_limits.{name}, e.g. {_LIMIT_EXAMPLES[name]}",
        )
    limits.add_argument(
        "--limit-statistic",
        choices=STATISTICS,
        help="what the limit flags are checked on: mean (of the paths), median, p90, p95 "
        "(default), p99 or worst (path)",
    )
    limits.add_argument(
        "--limit-scenario",
        action="append",
        metavar="SCENARIO",
        help="a scenario the limits apply to (repeatable; default: every scenario)",
    )


def apply_request_flags(
    data: dict[str, Any], args: argparse.Namespace
) -> tuple[dict[str, Any], dict[str, str]]:
    """`data` (a request as JSON) with the flags given applied, and the flag that set each
    changed field ("search_space.overlay_strike" -> "--overlay-strike")."""
    from graphs.hedge_search import hedge_space
    from graphs.request import DEFAULT_SPACE

    overlay = hedge_space(
        kinds=args.overlay,
        strike=args.overlay_strike,
        lower_strike=args.overlay_lower_strike,
        call_strike=args.overlay_call_strike,
        tenor_days=args.overlay_tenor,
        roll=args.overlay_roll,
        roll_band=args.overlay_roll_band,
        roll_delta_band=args.overlay_roll_delta_band,
        hedge_ratio=args.overlay_hedge_ratio,
        budget=args.overlay_budget,
    )
    set_by = {f"search_space.{name}": OVERLAY_FLAGS[name] for name in overlay}
    if args.max_leverage is not None:
        low_high = args.max_leverage
        leverage = (
            {"low": low_high[0], "high": low_high[1]} if isinstance(low_high, tuple) else low_high
        )
        overlay = {**overlay, "max_leverage": leverage}
        set_by["search_space.max_leverage"] = "--max-leverage"
    if overlay:
        space = data.get("search_space")
        base = dict(space) if isinstance(space, dict) else dict(DEFAULT_SPACE)
        data["search_space"] = {**base, **overlay}
    for name in ("universe", "start", "end"):
        if getattr(args, name) is not None:
            data[name] = getattr(args, name)
            set_by[name] = f"--{name}"
    pricing = {
        name: getattr(args, flag[2:].replace("-", "_"))
        for name, flag in VOL_MODEL_FLAGS.items()
        if getattr(args, flag[2:].replace("-", "_")) is not None
    }
    set_by.update({f"vol_model.{name}": VOL_MODEL_FLAGS[name] for name in pricing})
    if pricing:
        given = data.get("vol_model")
        data["vol_model"] = {**(given if isinstance(given, dict) else {}), **pricing}
    statistic = getattr(args, "limit_statistic", None)
    limits: dict[str, Any] = {
        name: getattr(args, name)
        if statistic is None
        else {"limit": getattr(args, name), "statistic": statistic}
        for name in LIMIT_FLAGS
        if getattr(args, name) is not None
    }
    if args.limit_scenario:
        limits["scenarios"] = args.limit_scenario
    set_by.update(
        {f"risk_limits.{name}": LIMIT_FLAGS.get(name, "--limit-scenario") for name in limits}
    )
    if limits:
        given = data.get("risk_limits")
        data["risk_limits"] = {**(given if isinstance(given, dict) else {}), **limits}
    return data, set_by


def flagged_problems(problems: list[tuple[str, str]], set_by: dict[str, str]) -> str:
    """Request problems as one line, each field followed by the flag that set it, if any."""

    def flag(field: str) -> str:
        for prefix, name in set_by.items():
            if field == prefix or field.startswith(prefix + "."):
                return f" ({name})"
        return ""

    return "; ".join(
        f"{field}{flag(field)}: {problem.removeprefix('Value error, ')}"
        for field, problem in problems
    )


def _data_end() -> str:
    """The configured market data's last session (ISO date)."""
    from services.market_data import market_closes

    return market_closes().index[-1].date().isoformat()


def request_from_args(args: argparse.Namespace) -> OptimizationRequest:
    """The optimization request of `stratigos optimize`'s arguments: `--request FILE` (else the
    defaults), then `--trials`, `--paths`, `--cold`, `--pipeline` and the request flags; a `UsageError`
    naming each problem's field, the flag that set it and the file."""
    from pydantic import ValidationError

    from graphs.request import OptimizationRequest
    from services.problems import validation_problems

    data: dict[str, Any] = {}
    source = ""
    if args.request is not None:
        data = read_json_object(args.request, "request file")
        source = f" in {args.request}"
    if args.trials is not None:
        data.setdefault("budget", {})["max_trials"] = args.trials
    if args.paths is not None:
        data["n_paths"] = args.paths
    if getattr(args, "cold", False):
        data["warm_start"] = False
    if getattr(args, "pipeline", False):
        data["pipeline"] = True
    data, set_by = apply_request_flags(data, args)
    if "end" not in data:
        data["end"] = _data_end()
    try:
        return OptimizationRequest.model_validate(data)
    except ValidationError as exc:
        problems = flagged_problems(validation_problems(exc.errors()), set_by)
        raise UsageError(f"invalid request{source}: {problems}") from None
