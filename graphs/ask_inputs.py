"""What the tool calls of a chat turn took, for the ask accounting (`graphs.ask_accounting`):
each call's arguments and result (`ToolUse`), and what they amount to (`Inputs`): the tickers
computed on, the windows, the weights given, the portfolios referred to by id resolved to the
build that made them (`portfolio_book`).

A strategy search the turn drafted and a deployment it proposed count as uses too, named
`SEARCH` and `DEPLOYMENT`, with the request or the proposal as their arguments.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, ToolMessage

from settings import patterns

SEARCH = "strategy_search"
"""The name of the use a drafted strategy search stands for (arguments: the request)."""
DEPLOYMENT = "deployment"
"""The name of the use a proposed deployment stands for (arguments: the proposal)."""

ANALYSIS_TOOLS = frozenset(
    {
        "optimize_portfolio", "efficient_frontier", "portfolio_risk_report", "backtest_strategy",
        "backtest_weights", "compare_portfolios", "market_statistics", "asset_statistics",
        "stress_test", "loss_probability", "generate_market_scenarios", "propose_ideas",
    }
)  # fmt: skip
"""Tools that compute on market data (a turn that called one "computed something")."""
DEFAULT_UNIVERSE_TOOLS = frozenset(
    {"optimize_portfolio", "efficient_frontier", "market_statistics", "compare_portfolios",
     "generate_market_scenarios", "propose_ideas", SEARCH}
)  # fmt: skip
"""Tools that run on the whole universe when given none."""


@dataclass(frozen=True)
class ToolUse:
    """One tool call: its name, arguments, parsed result (None when it failed or returned
    text) and whether it failed."""

    name: str
    args: Mapping[str, Any]
    data: Any = None
    is_error: bool = False


def tool_uses(messages: Sequence[BaseMessage]) -> list[ToolUse]:
    """The tool calls of `messages` with their results, in order."""
    results = {m.tool_call_id: m for m in messages if isinstance(m, ToolMessage)}
    uses = []
    for message in messages:
        if not isinstance(message, AIMessage):
            continue
        for call in message.tool_calls:
            result = results.get(call["id"] or "")
            failed = result is None or getattr(result, "status", "success") == "error"
            data = None
            if result is not None and not failed:
                try:
                    data = json.loads(result.text)
                except json.JSONDecodeError:
                    data = None
                failed = data is None and result.text.lstrip().lower().startswith(
                    f"{call['name']} failed"
                )
            uses.append(ToolUse(call["name"], dict(call["args"]), data, failed))
    return uses


@dataclass(frozen=True)
class BuiltPortfolio:
    """A portfolio the thread built: its weights, method and the arguments of its build."""

    weights: Mapping[str, float]
    method: str | None
    args: Mapping[str, Any]
    window: tuple[str | None, str | None]


def portfolio_book(uses: Iterable[ToolUse]) -> dict[str, BuiltPortfolio]:
    """The portfolios the calls built, by id (`optimize_portfolio` results and the portfolios a
    comparison built)."""
    book: dict[str, BuiltPortfolio] = {}
    for use in uses:
        data = use.data if isinstance(use.data, dict) else {}
        if use.name == "optimize_portfolio" and data.get("portfolio_id"):
            window = _window_of(data)
            book[str(data["portfolio_id"])] = BuiltPortfolio(
                dict(data.get("weights") or {}), data.get("method"), dict(use.args), window
            )
        for row in data.get("rows") or [] if use.name == "compare_portfolios" else []:
            if isinstance(row, dict) and row.get("portfolio_id"):
                book.setdefault(
                    str(row["portfolio_id"]),
                    BuiltPortfolio(
                        dict(row.get("largest_weights") or {}), row.get("portfolio"),
                        dict(use.args), _window_of(data),
                    ),
                )  # fmt: skip
    return book


def _window_of(data: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """The (start, end) a result reports it used, from its `date_range`, `window` or
    `history`."""
    for key in ("date_range", "window", "history"):
        found = data.get(key)
        if isinstance(found, dict) and (found.get("start") or found.get("end")):
            return found.get("start"), found.get("end")
    return None, None


@dataclass
class Inputs:
    """What one use amounts to: the tickers it computed on, its windows (start, end; either may
    be None), the last-sessions count it asked for, the weights it was given, the portfolios it
    referred to, and its arguments flattened (`flat`, dotted keys: "risk_limits.max_drawdown")."""

    tickers: set[str] = field(default_factory=set)
    windows: list[tuple[str | None, str | None]] = field(default_factory=list)
    last_sessions: int | None = None
    weights: list[dict[str, float]] = field(default_factory=list)
    portfolios: list[BuiltPortfolio] = field(default_factory=list)
    flat: dict[str, Any] = field(default_factory=dict)
    texts: list[str] = field(default_factory=list)
    """The arguments' free text (a research query), in lower case."""
    default_universe: bool = False
    """Whether its tickers are the whole universe a tool runs on when given none."""


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out |= _flatten(item, f"{prefix}{key}.")
        return out
    return {prefix.rstrip("."): value}


def _upper_keys(value: Any) -> set[str]:
    return {str(k).strip().upper() for k in value} if isinstance(value, Mapping) else set()


def inputs_of(use: ToolUse, book: Mapping[str, BuiltPortfolio], universe: Iterable[str]) -> Inputs:
    """The `Inputs` of `use`; `book` resolves portfolio ids, `universe` is what a tool given no
    universe runs on."""
    args, data = use.args, use.data if isinstance(use.data, dict) else {}
    found = Inputs(flat=_flatten(args))
    tickers = found.tickers
    for key in ("universe", "tickers"):
        if isinstance(args.get(key), list):
            tickers |= {str(t).strip().upper() for t in args[key]}
    for key in ("beta_to", "underlying"):  # a beta's other stock, an option's underlying
        if isinstance(args.get(key), str):
            tickers.add(args[key].strip().upper())
    for key in ("weights", "asset_limits"):
        tickers |= _upper_keys(args.get(key))
    if isinstance(args.get("weights"), Mapping):
        found.weights.append({str(k).upper(): float(v) for k, v in args["weights"].items()})
    for weights in (args.get("portfolios") or {}).values() if isinstance(args.get("portfolios"), Mapping) else []:  # fmt: skip
        if isinstance(weights, Mapping):
            found.weights.append({str(k).upper(): float(v) for k, v in weights.items()})
            tickers |= _upper_keys(weights)
    ids = [args.get("portfolio_id"), *(args.get("portfolio_ids") or [])]
    if isinstance(args.get("source"), Mapping):
        ids.append(args["source"].get("id"))
    for pid in ids:
        if isinstance(pid, str) and pid in book:
            found.portfolios.append(book[pid])
            tickers |= _upper_keys(book[pid].weights)
    tickers |= _result_tickers(data)
    tickers -= _left_out(data)
    if not tickers and use.name in DEFAULT_UNIVERSE_TOOLS and not args.get("universe"):
        tickers |= set(universe)
        found.default_universe = True
    found.windows = [(args.get("start"), args.get("end")), _window_of(data)]
    if use.name == "price_option" and isinstance(args.get("date"), str):
        found.windows.append((args["date"], args["date"]))  # priced at one close
    found.windows += [p.window for p in found.portfolios]
    if isinstance(args.get("last_sessions"), int):
        found.last_sessions = int(args["last_sessions"])
    found.texts = [str(v).lower() for v in found.flat.values() if isinstance(v, str)]
    return found


_LEFT_OUT = patterns.compile(r"([A-Z][A-Z.]{0,9}) left out")


def _left_out(data: Mapping[str, Any]) -> set[str]:
    """The tickers a result says it left out ("AMD left out: your profile excludes AMD")."""
    found = set()
    for reason in data.get("left_out") or []:
        match = _LEFT_OUT.match(str(reason))
        if match:
            found.add(match.group(1))
    return found


def _result_tickers(data: Mapping[str, Any]) -> set[str]:
    """The tickers a result says it computed on."""
    tickers: set[str] = set()
    for key in ("weights", "assets", "per_asset", "risk_contributions"):
        tickers |= _upper_keys(data.get(key))
    for key in ("universe", "tickers"):
        if isinstance(data.get(key), list):
            tickers |= {str(t).upper() for t in data[key]}
    for key in ("portfolio", "history"):
        part = data.get(key)
        if isinstance(part, Mapping):
            tickers |= _upper_keys(part.get("weights"))
            if isinstance(part.get("universe"), list):
                tickers |= {str(t).upper() for t in part["universe"]}
    for row in data.get("rows") or []:
        if isinstance(row, Mapping):
            tickers |= _upper_keys(row.get("largest_weights"))
    return tickers


__all__ = [
    "ANALYSIS_TOOLS", "DEPLOYMENT", "SEARCH", "BuiltPortfolio", "Inputs", "ToolUse",
    "inputs_of", "portfolio_book", "tool_uses",
]  # fmt: skip
