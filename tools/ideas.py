"""Investment-idea tools for the chat: `save_idea` and `propose_ideas`.

Both keep the ideas of the context's owner (`ToolContext.records`) through `services.ideas`, so
an idea's expected return and risk are always computed by the numeric core on the configured
market data, never taken from the model. `propose_ideas` builds baskets from the current
regime and per-asset statistics of `market_statistics` (e.g. the lowest-volatility stocks for a
defensive idea). Both take `evidence`: research passages, runs or deployments that support the
ideas, each checked against the owner's records before it is stored (the research search tool
supplies passages as `{"kind": "document_passage", "document_id", "chunk", "quote"}`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from langchain_core.tools import BaseTool
from pydantic import BaseModel, ConfigDict, Field

from services.ideas import IdeaDraft, create_idea
from store.ideas import MAX_TICKERS, Idea
from tools.context import OwnerRecords, ToolContext
from tools.market import REGIME_WINDOW, MarketStatisticsArgs, RangeArgs, market_statistics
from tools.summaries import sig
from tools.tool_factory import make_tool

MAX_PROPOSALS = 5
"""Most ideas one `propose_ideas` call proposes."""

Style = Literal["defensive", "growth", "balanced"]


class EvidenceArg(BaseModel):
    """A reference supporting an idea (checked against the owner's records)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["document_passage", "optimization_run", "deployment"] = Field(
        description="What the evidence is: a passage of a document, a run or a deployment."
    )
    document_id: str | None = Field(default=None, description="A document passage's document.")
    chunk: int | None = Field(default=None, ge=0, description="The passage's chunk ordinal.")
    quote: str | None = Field(
        default=None, max_length=2000, description="Words that appear in that chunk."
    )
    run_id: str | None = Field(default=None, description="An optimization run (job id).")
    deployment_id: str | None = Field(default=None, description="A deployment's id.")


class SaveIdeaArgs(BaseModel):
    """Arguments of `save_idea`."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200, description="A short name for the idea.")
    thesis: str = Field(min_length=1, max_length=4000, description="Why, in a few sentences.")
    tickers: list[str] = Field(
        min_length=1, max_length=MAX_TICKERS, description="Tickers of the market data."
    )
    direction: Literal["long", "short"] = Field(
        default="long", description="long holds the basket, short holds it negated."
    )
    horizon_days: int = Field(default=63, ge=1, le=2520, description="Trading days.")
    weights: dict[str, float] | None = Field(
        default=None, description="{ticker: positive weight}; default equal weights."
    )
    evidence: list[EvidenceArg] = Field(
        default_factory=list,
        max_length=20,
        description="References that support the idea (checked before saving).",
    )


class ProposeIdeasArgs(RangeArgs):
    """Arguments of `propose_ideas` (universe and range as `market_statistics`)."""

    count: int = Field(default=3, ge=1, le=MAX_PROPOSALS, description="How many ideas.")
    style: Style = Field(
        default="defensive",
        description="defensive: low volatility and drawdown; growth: high return; balanced: "
        "Sharpe ratio and a mix.",
    )
    basket_size: int = Field(default=4, ge=2, le=10, description="Stocks per idea.")
    horizon_days: int = Field(default=63, ge=1, le=2520, description="Trading days.")
    evidence: list[EvidenceArg] = Field(
        default_factory=list,
        max_length=20,
        description="Research passages (or runs) supporting the ideas; attached to each.",
    )


def _records(context: ToolContext) -> OwnerRecords:
    if context.records is None:
        raise ValueError(
            "ideas are kept for a signed-in owner: use `stratigos chat` or the web UI's chat"
        )
    return context.records


def idea_summary(idea: Idea) -> dict[str, Any]:
    """An idea as the model sees it: what, its computed numbers and their definition."""
    m, d = idea.metrics, idea.metrics.get("definition", {})
    return {
        "idea_id": idea.id,
        "title": idea.title,
        "status": idea.status,
        "tickers": idea.tickers,
        "direction": idea.direction,
        "horizon_days": idea.horizon_days,
        "trailing_return": sig(m["expected_return"]),
        "volatility": sig(m["volatility"]),
        "cvar_95": sig(m["cvar_95"]),
        "max_drawdown": sig(m["max_drawdown"]),
        "definition": {
            "method": (
                "trailing statistics of the market data, not forecasts: the basket rebalanced "
                "daily over the lookback; annualised mean return and volatility; cvar_95 the daily "
                "historical CVaR at 95% confidence (the research's own views and forecasts are in "
                "the quoted evidence)"
            ),
            "lookback_days": d.get("lookback_days"),
            "data_start": d.get("data_start"),
            "data_end": d.get("data_end"),
        },
        "evidence": len(idea.evidence),
    }


def _save(records: OwnerRecords, draft: IdeaDraft, reason: str) -> Idea:
    return create_idea(
        records.store, records.owner, draft, by="chat", reason=reason, settings=records.settings
    )


def save_idea(context: ToolContext, args: SaveIdeaArgs) -> dict[str, Any]:
    """Save an idea from the conversation (status proposed) with its computed numbers."""
    records = _records(context)
    draft = IdeaDraft(
        title=args.title,
        thesis=args.thesis,
        tickers=args.tickers,
        direction=args.direction,
        horizon_days=args.horizon_days,
        weights=args.weights,
        evidence=[e.model_dump(exclude_none=True) for e in args.evidence],
    )
    return idea_summary(_save(records, draft, "saved from the chat"))


Ranker = tuple[str, Callable[[dict[str, float]], float], Callable[[dict[str, float], float], bool]]
"""(what the basket has, the sort key (ascending), which assets qualify given the median vol)."""

_ANY: Callable[[dict[str, float], float], bool] = lambda s, median: True  # noqa: E731
_CALM: Callable[[dict[str, float], float], bool] = lambda s, median: s["vol"] <= median  # noqa: E731

RANKERS: dict[Style, list[Ranker]] = {
    "defensive": [
        ("lowest volatility", lambda s: s["vol"], _ANY),
        ("smallest maximum drawdown", lambda s: s["mdd"], _ANY),
        ("best Sharpe ratio among the calmer half", lambda s: -s["sharpe"], _CALM),
        ("lowest volatility with a positive return", lambda s: s["vol"], lambda s, m: s["ret"] > 0),
        ("highest return among the calmer half", lambda s: -s["ret"], _CALM),
    ],
    "growth": [
        ("highest return", lambda s: -s["ret"], _ANY),
        ("best Sharpe ratio", lambda s: -s["sharpe"], _ANY),
        ("highest return among the calmer half", lambda s: -s["ret"], _CALM),
        ("highest return per unit of drawdown", lambda s: -s["ret"] / max(s["mdd"], 1e-9), _ANY),
        ("best Sharpe ratio among the calmer half", lambda s: -s["sharpe"], _CALM),
    ],
    "balanced": [
        ("best Sharpe ratio", lambda s: -s["sharpe"], _ANY),
        ("lowest volatility", lambda s: s["vol"], _ANY),
        ("highest return per unit of drawdown", lambda s: -s["ret"] / max(s["mdd"], 1e-9), _ANY),
        ("smallest maximum drawdown", lambda s: s["mdd"], _ANY),
        ("highest return", lambda s: -s["ret"], _ANY),
    ],
}
"""How each style picks its baskets, in the order ideas are proposed."""


def propose_ideas(context: ToolContext, args: ProposeIdeasArgs) -> dict[str, Any]:
    """Propose and save up to `count` ideas of `style` from the regime and per-asset
    statistics of the universe, each priced by the numeric core."""
    records = _records(context)
    stats = market_statistics(
        context, MarketStatisticsArgs(universe=args.universe, start=args.start, end=args.end)
    )
    assets = {t: s for t, s in stats["per_asset"].items() if None not in s.values()}
    if len(assets) < args.basket_size:
        raise ValueError(
            f"the universe has {len(assets)} stocks; a basket needs {args.basket_size}"
        )
    vols = sorted(s["vol"] for s in assets.values())
    median = vols[(len(vols) - 1) // 2]
    regime, span = stats["regime"], stats["date_range"]
    setting = (
        f"a {regime['return_regime']} market with {regime['volatility_regime']} volatility "
        f"(index volatility {regime['market_volatility']:.1%} over the last {REGIME_WINDOW} "
        f"trading days to {span['end']})"
    )
    baskets: list[tuple[str, list[str]]] = []
    for label, key, qualifies in RANKERS[args.style]:
        pool = [t for t, s in assets.items() if qualifies(s, median)]
        if len(pool) < args.basket_size:
            continue
        chosen = sorted(pool, key=lambda t: (key(assets[t]), t))[: args.basket_size]
        if all(set(chosen) != set(b) for _, b in baskets):
            baskets.append((label, chosen))
        if len(baskets) == args.count:
            break
    evidence = [e.model_dump(exclude_none=True) for e in args.evidence]
    ideas = []
    for label, tickers in baskets:
        shown = ", ".join(
            f"{t} (vol {assets[t]['vol']:.1%}, return {assets[t]['ret']:.1%})" for t in tickers
        )
        draft = IdeaDraft(
            title=f"{args.style.capitalize()}: {label} ({', '.join(tickers)})",
            thesis=(
                f"A {args.style} idea for {setting}: the {len(tickers)} stocks with the {label} "
                f"from {span['start']} to {span['end']}: {shown}."
            ),
            tickers=tickers,
            horizon_days=args.horizon_days,
            evidence=evidence,
        )
        ideas.append(idea_summary(_save(records, draft, f"proposed by the assistant ({label})")))
    out: dict[str, Any] = {
        "regime": {
            k: regime[k] for k in ("return_regime", "volatility_regime", "market_volatility")
        },
        "date_range": span,
        "ideas": ideas,
    }
    if len(ideas) < args.count:
        out["note"] = f"only {len(ideas)} distinct baskets of {args.basket_size} stocks"
    return out


def idea_tools(context: ToolContext) -> list[BaseTool]:
    """The idea tools bound to `context`."""
    return [
        make_tool(
            name="save_idea",
            description=(
                "Save an investment idea for the user (status proposed): title, thesis, "
                "tickers, direction (long/short), horizon in trading days, optional weights and "
                "evidence (document passages, runs, deployments). Its expected return, "
                "volatility, 95% CVaR and maximum drawdown are computed from the market data "
                "and returned with their definition; never state other numbers for it."
            ),
            args_schema=SaveIdeaArgs,
            run=lambda args: save_idea(context, args),
        ),
        make_tool(
            name="propose_ideas",
            description=(
                "Propose and save `count` investment ideas of a style (defensive, growth, "
                "balanced) from the market's current regime and each stock's statistics (e.g. "
                "the lowest-volatility stocks for a defensive idea), each with its computed "
                "expected return and risk. Pass research passages as evidence to attach them."
            ),
            args_schema=ProposeIdeasArgs,
            run=lambda args: propose_ideas(context, args),
        ),
    ]
