"""What a turn that computed something says it used (the ask accounting's "Used: ..."
sentence): the universe, the window, the weights (given, equal, or a portfolio by id), the
method, the weight limits and the rebalancing, read from the tool calls' arguments and the
windows their results report. Numbers are shown only as the calls took them (weights given) or
as the results state them (limits as the optimiser applied them), so each is in a tool's
input or output.
"""

from __future__ import annotations

from collections.abc import Sequence

from graphs.ask_inputs import ANALYSIS_TOOLS, Inputs, ToolUse
from services.formatting import listed

SUBJECT_TOOLS = frozenset(
    {"portfolio_risk_report", "stress_test", "loss_probability", "backtest_weights"}
)  # fmt: skip
"""Tools that compute on a portfolio (given weights, a portfolio id, or equal weights of a
universe); `asset_statistics` given a universe describes each asset on its own."""


def _window(inputs: Inputs) -> str | None:
    """The window a call's result reports (else its arguments')."""
    for start, end in [*inputs.windows[1:], inputs.windows[0]]:
        if start and end:
            return f"{start} to {end}"
    return None


def _weights(use: ToolUse) -> str | None:
    args = use.args
    weights = args.get("weights")
    if isinstance(weights, dict) and len(weights) > 1 and len(set(weights.values())) == 1:
        return "equal weights"
    if isinstance(weights, dict):
        return "weights " + ", ".join(f"{t} {float(w):.1%}" for t, w in weights.items())
    if args.get("portfolio_id"):
        return f"portfolio {args['portfolio_id']}"
    if args.get("portfolio_ids"):
        held = "portfolios " + ", ".join(str(p) for p in args["portfolio_ids"])
        return held + (" and equal weights" if args.get("equal_weight") else "")
    if use.name in SUBJECT_TOOLS and isinstance(args.get("universe"), list):
        return "equal weights" if len(args["universe"]) > 1 else None  # one stock: held alone
    return None


def _method(use: ToolUse) -> str | None:
    args = use.args
    if isinstance(args.get("method"), str) and use.name != "generate_market_scenarios":
        return str(args["method"]).replace("_", " ")
    if isinstance(args.get("methods"), list):
        methods = [str(m).replace("_", " ") for m in args["methods"]]
        methods += ["equal weight"] if args.get("equal_weight") else []
        return "methods " + " and ".join(methods)
    config = (use.data or {}).get("config") if isinstance(use.data, dict) else None
    if isinstance(config, dict) and config.get("weight_function"):
        rule = f"{str(config['weight_function']).replace('_', ' ')} weights"
        target = config.get("target_vol")
        return (
            f"{rule}, target vol {float(target):.1%}" if isinstance(target, int | float) else rule
        )
    return None


def _limits(use: ToolUse) -> list[str]:
    data = use.data if isinstance(use.data, dict) else {}
    if isinstance(data.get("limits"), list):
        return [str(limit) for limit in data["limits"]]
    found = []
    if use.name == "compare_portfolios":
        if isinstance(use.args.get("max_weight"), int | float) and use.args["max_weight"] < 1:
            found.append(f"at most {float(use.args['max_weight']):.1%} in any asset")
        if isinstance(use.args.get("min_weight"), int | float) and use.args["min_weight"] > 0:
            found.append(f"at least {float(use.args['min_weight']):.1%} in every asset")
    return found


def _frequency(use: ToolUse) -> str | None:
    args, data = use.args, use.data if isinstance(use.data, dict) else {}
    rebalance = args.get("rebalance") or data.get("rebalance")
    if rebalance == "never":
        return "bought once and held"
    if isinstance(rebalance, str):
        return f"rebalanced {rebalance}"
    config = data.get("config") or args.get("config")
    if isinstance(config, dict) and isinstance(config.get("rebalance_every"), int):
        return f"rebalanced every {config['rebalance_every']} sessions"
    return None


def used_sentence(
    uses: Sequence[ToolUse], inputs: Sequence[Inputs], *, with_limits: bool = True
) -> str:
    """ "Used: ..." for the turn's successful analysis calls ("" when none): each part once, in
    the calls' order; the weight limits only `with_limits` (left out when the limits are said,
    checked, in sentences of their own: `graphs.limit_claims`)."""
    parts: dict[str, list[str]] = {}

    def add(key: str, value: str | None) -> None:
        if value and value not in parts.setdefault(key, []):
            parts[key].append(value)

    for use, found in zip(uses, inputs, strict=True):
        if use.name not in ANALYSIS_TOOLS or use.is_error or use.name == "propose_ideas":
            continue
        add("universe", ", ".join(sorted(found.tickers)) if found.tickers else None)
        add("window", _window(found))
        add("weights", _weights(use))
        add("method", _method(use))
        for limit in _limits(use) if with_limits else []:
            add("limits", limit)
        add("frequency", _frequency(use))
    if not parts.get("universe"):
        return ""
    order = ("universe", "window", "weights", "method", "limits", "frequency")
    text = "; ".join(_joined(parts[k]) for k in order if parts.get(k))
    return f"Used: {text}."


def _joined(values: list[str]) -> str:
    """One kind's values in a sentence: "a, b and c"; values that hold commas themselves (two
    universes) joined by semicolons and a last "and", so each keeps its own list."""
    if any(", " in value for value in values):
        return " and ".join(["; ".join(values[:-1]), values[-1]] if len(values) > 1 else values)
    return listed(values)


__all__ = ["used_sentence"]
