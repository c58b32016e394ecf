"""The agents in the strategy-assistant chat: routing, answering with tools, drafting a run.

- `route_message`: the supervisor picks who handles the latest message (`Route`).
- `answer`: a specialist works through its tools on the conversation and answers in text.
- `draft_request`: the optimizer turns the conversation into a `RequestDraft` for a strategy
  search, which the chat graph validates and puts to the user for approval.

The conversation (with earlier tool calls and results) is the agents' memory within a thread: a
follow-up such as "what's the CVaR of that?" finds the portfolio an earlier answer built. Across
threads, a signed-in user's long-term memory (`Memory`) joins the system prompts of every call.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool
from pydantic import BaseModel, ConfigDict, Field, field_validator

from agents.agent_loop import (
    AgentOutcome,
    run_agent,
    run_tool_loop,
    system_prompt,
    tokens_of,
)
from agents.conversation_texts import EARLIER_RUN_MARKER, RUN_DONE
from agents.decisions import FixedSetting, ScenarioName, SearchedParameter
from agents.model_routes import RoutedModel
from agents.models import chat_model, routes_for
from prompts import load_guide
from prompts.roles import AgentRole
from quant.strategy import MAX_TARGET_VOL
from settings import Settings

CHAT_MODE = (
    "You are now answering the portfolio manager directly in the chat. Use your tools when the "
    "question needs data, then answer in a few sentences, quoting only numbers from the tool "
    "results."
)
HISTORY = 40
"""Most recent messages of the conversation an agent sees."""

T = TypeVar("T", bound=BaseModel)


@dataclass(frozen=True)
class Memory:
    """The long-term memory of a signed-in user's chat turn: its presence adds the memory
    guide (`prompts/memory.md`) to the agents' system prompts, and `known` (what is known
    about the user, bounded; None when nothing is) follows it, then `library` (their research
    library: the documents they have and the tickers those name; None when they have none),
    then `portfolios` (the portfolios they saved outside this conversation, by name and id, so
    "my Staples portfolio" can be looked up; None when they have none)."""

    known: str | None = None
    library: str | None = None
    portfolios: str | None = None


class Route(BaseModel):
    """Who handles the latest message; `run_search` marks a request for a strategy search."""

    model_config = ConfigDict(extra="forbid")

    agent: Literal["market_analysis", "optimizer", "risk_manager", "explanation", "supervisor"]
    run_search: bool = Field(
        default=False, description="True when the user asks for a strategy search (a long run)."
    )
    propose_deployment: bool = Field(
        default=False,
        description="True when the user asks to deploy (put to work on a paper account, on a "
        "schedule) the last search's winner, a portfolio built in this conversation or a saved "
        "portfolio.",
    )
    reason: str = Field(default="", max_length=300)


class RiskLimitsDraft(BaseModel):
    """Risk limits as fractions: drawdown, and daily 95% CVaR / VaR."""

    model_config = ConfigDict(extra="forbid")

    max_drawdown: float | None = Field(default=None, gt=0, le=1)
    cvar_95: float | None = Field(default=None, gt=0, le=1)
    var_95: float | None = Field(default=None, gt=0, le=1)
    scenarios: list[ScenarioName] | None = None


class VolModelDraft(BaseModel):
    """How the options are priced (the request's `vol_model`, docs/engine.md): implied vol =
    sqrt(realised vol^2 + variance_risk_premium) x (strike/spot)^-skew. Unset fields keep the
    model's defaults (0.01, 1.5, 21 days); set only what the user states in these terms."""

    model_config = ConfigDict(extra="forbid")

    variance_risk_premium: float | None = Field(
        default=None,
        description="Added to the realised variance, annual variance units (0.01 turns 15% "
        "realised into 18% implied at the money).",
    )
    skew: float | None = Field(
        default=None, description="Exponent of the moneyness factor (0 is a flat smile)."
    )
    realised_window: int | None = Field(
        default=None, description="Trading days of returns behind the realised volatility."
    )


class ProtectionDraft(BaseModel):
    """Option protection on the risky sleeve to search (overlays, docs/engine.md): unset fields
    keep the strategy's defaults (strike 0.95, 63-day tenor, roll at expiry, hedge ratio 1, no
    budget cap)."""

    model_config = ConfigDict(extra="forbid")

    kinds: list[Literal["none", "put", "put_spread", "collar"]] = Field(
        min_length=1,
        description="Overlay kinds to compare; include 'none' to keep unhedged strategies in "
        "the search (e.g. when the user asks whether and how much to spend).",
    )
    strike_range: list[float] | None = Field(
        default=None,
        min_length=2,
        max_length=2,
        description="[low, high] strike of the bought put as a fraction of the price (0.9 is "
        "10% out of the money); equal ends fix it.",
    )
    lower_strike: float | None = Field(
        default=None,
        description="Put spread: the sold put's strike (default 0.8), below the lowest bought "
        "strike.",
    )
    call_strike: float | None = Field(
        default=None,
        description="Collar: the sold call's strike (default 1.1), above the highest bought "
        "strike.",
    )
    tenor_days: list[int] | None = Field(
        default=None, description="Tenors to compare, in trading days (21 a month, 63, 126, 252)."
    )
    roll: Literal["expiry", "band", "delta"] | None = Field(
        default=None,
        description="Roll at expiry; or also early: 'band' when the strike / price leaves a "
        "moneyness band, 'delta' when the bought put's delta leaves a band around a new put's.",
    )
    roll_delta_band: float | None = Field(
        default=None,
        description="With roll 'delta': the band's half-width in delta units (default 0.1).",
    )
    hedge_ratio_range: list[float] | None = Field(
        default=None, min_length=2, max_length=2, description="[low, high] options per unit."
    )
    budget_range: list[float] | None = Field(
        default=None,
        min_length=2,
        max_length=2,
        description="[low, high] annual premium cap as a fraction of wealth: [0.02, 0.02] for "
        "'a 2% budget', a range such as [0.005, 0.05] to search how much to spend.",
    )
    vol_model: VolModelDraft | None = Field(
        default=None, description="How the options are priced, when the user says so."
    )


class RequestDraft(BaseModel):
    """The optimizer's draft of an optimization request (unset fields keep the defaults)."""

    model_config = ConfigDict(extra="forbid")

    universe: list[str] | None = Field(default=None, max_length=50)
    start: str | None = Field(default=None, description="ISO date")
    end: str | None = Field(default=None, description="ISO date")
    target_vol_range: list[float] | None = Field(
        default=None,
        min_length=2,
        max_length=2,
        description="[low, high] annualised volatility targets to search: [0.1, 0.1] for "
        "'a 10% vol target' (the target kept, not searched), [0.08, 0.14] for 'target vols "
        "between 8% and 14%', a range around it for 'target vol around 12%'.",
    )
    weight_functions: list[Literal["inverse_vol", "sigmoid", "merton"]] | None = None
    fixed: dict[FixedSetting, float] | None = Field(
        default=None,
        description="Strategy settings the user states, kept in every trial instead of "
        "searched: rebalance_every in trading days ({'rebalance_every': 21} for 'rebalanced "
        "monthly'; 5 weekly, 63 quarterly), lookback in trading days ({'lookback': 63} for 'a "
        "63-day lookback'), max_leverage in times wealth ({'max_leverage': 1.5} for '1.5x "
        "leverage').",
    )
    scenarios: list[ScenarioName] | None = None
    scenario_weights: dict[ScenarioName, float] | None = None
    risk_limits: RiskLimitsDraft | None = None
    max_trials: int | None = Field(default=None, ge=1, le=20_000)
    protection: ProtectionDraft | None = Field(
        default=None, description="Option protection to search, when the user asks for it."
    )
    focus: list[SearchedParameter] | None = Field(
        default=None,
        description="Strategy parameters the user asked about (e.g. 'the target-vol setting' "
        "-> target_vol); the answer names the winner's value of each.",
    )
    summary: str = Field(default="", max_length=600)

    @field_validator("target_vol_range")
    @classmethod
    def _targets_a_strategy_takes(cls, targets: list[float] | None) -> list[float] | None:
        """Volatility targets are annualised fractions above 0 and at most `MAX_TARGET_VOL`
        ("target vol 500%" is refused in words, not run at the leverage cap)."""
        if targets is not None and not all(0.0 < t <= MAX_TARGET_VOL for t in targets):
            asked = " to ".join(f"{t * 100:,.6g}%" for t in dict.fromkeys(targets))
            raise ValueError(
                f"{asked} a year asked, but a volatility target must be above 0% and at most "
                f"{MAX_TARGET_VOL:.0%} a year"
            )
        return targets


class DeploymentDraft(BaseModel):
    """The optimizer's draft of a deployment to paper (unset fields keep the defaults: the last
    search's winner, 100,000 of capital, the first session of each week at 15:45)."""

    model_config = ConfigDict(extra="forbid")

    source: Literal["last_run", "portfolio"] = Field(
        default="last_run",
        description="Deploy the winner of the thread's last search, or a portfolio (built in this "
        "conversation or saved).",
    )
    portfolio_id: str | None = Field(
        default=None,
        description="The portfolio to deploy (source 'portfolio'): the id of one built in this "
        "conversation (pf_ and 6 hex digits) or of a saved portfolio.",
    )
    capital: float | None = Field(default=None, gt=0, description="Currency.")
    every: Literal["session", "week", "month", "quarter"] | None = None
    on: Literal["first", "last"] | None = None
    at: str | None = Field(default=None, description="Exchange time HH:MM.")
    summary: str = Field(default="", max_length=600)


def chat_conversation(
    role: AgentRole,
    messages: Sequence[BaseMessage],
    context: str | None = None,
    settings: Settings | None = None,
    memory: Memory | None = None,
) -> list[BaseMessage]:
    """What `role` is sent on the chat's `messages`: its system prompt, the chat-mode text, the
    user's long-term `memory` and `context` (extra facts), then the latest `HISTORY` messages
    (never starting mid tool exchange)."""
    recent = list(messages)[-HISTORY:]
    while recent and not isinstance(recent[0], HumanMessage):
        recent = recent[1:]  # never start mid tool exchange
    earlier = list(messages)[: len(messages) - len(recent)]
    prompt = system_prompt(role, settings)
    texts = [CHAT_MODE]
    if memory is not None:
        texts.append(load_guide("memory").text)
        texts += [t for t in (memory.known, memory.library, memory.portfolios) if t]
    if (run := _run_out_of_view(earlier, recent)) is not None:
        texts.append(EARLIER_RUN_MARKER + json.dumps(run, sort_keys=True))
    if context is not None:
        texts.append(context)
    # after a prompt with a cache point (a list of blocks), each text is a block of its own:
    # merged into one system message on the way to Bedrock, they stay separate blocks rather
    # than one glued text
    blocks = isinstance(prompt.content, list)
    extra = [SystemMessage([{"type": "text", "text": t}] if blocks else t) for t in texts]
    return [prompt, *extra, *recent]


def _run_out_of_view(
    earlier: Sequence[BaseMessage], recent: Sequence[BaseMessage]
) -> dict[str, Any] | None:
    """The conversation's latest finished strategy search when its answer is among the
    `earlier` messages the window leaves out and none is among the `recent` ones: its
    `answer`, and whether tools were called after it among the `earlier` ones
    (`followed_by_other_work`: then it is not the conversation's latest subject); else None."""
    if any(isinstance(m, AIMessage) and RUN_DONE.search(m.text) for m in recent):
        return None
    done = [
        i for i, m in enumerate(earlier) if isinstance(m, AIMessage) and RUN_DONE.search(m.text)
    ]
    if not done:
        return None
    later = any(isinstance(m, AIMessage) and m.tool_calls for m in earlier[done[-1] :])
    return {"answer": earlier[done[-1]].text, "followed_by_other_work": later}


def _decision(
    role: AgentRole,
    schema: type[T],
    messages: Sequence[BaseMessage],
    config: RunnableConfig | None,
    settings: Settings | None,
    memory: Memory | None,
    context: str | None = None,
) -> AgentOutcome[T]:
    """`role`'s structured decision (`schema`) on the chat's conversation (with `context`,
    extra facts, as in `answer`)."""
    conversation = chat_conversation(role, messages, context, settings, memory)
    return run_agent(role, None, schema, config=config, messages=conversation, settings=settings)


def route_message(
    messages: Sequence[BaseMessage],
    config: RunnableConfig | None = None,
    settings: Settings | None = None,
    memory: Memory | None = None,
    context: str | None = None,
) -> AgentOutcome[Route]:
    """The supervisor's routing decision for the latest message (`context`: extra facts, such
    as the proposal waiting for approval while the user asked something else)."""
    return _decision("supervisor", Route, messages, config, settings, memory, context)


def answer(
    role: AgentRole,
    messages: Sequence[BaseMessage],
    tools: Sequence[BaseTool],
    config: RunnableConfig | None = None,
    *,
    context: str | None = None,
    settings: Settings | None = None,
    memory: Memory | None = None,
) -> tuple[list[BaseMessage], int]:
    """`role` answers the latest message, using `tools` (and `context`, extra facts such as the
    last run's result; `memory`, the user's long-term memory): the new messages (tool calls,
    tool results and the final answer) and the tokens spent."""
    conversation = chat_conversation(role, messages, context, settings, memory)
    model = chat_model(role, settings)
    routes = routes_for(role, settings)
    if tools:
        new = run_tool_loop(model, tools, role, conversation, config, settings, routes)
        new = new[len(conversation) :]
    else:
        new = [
            RoutedModel(role, model, lambda m: m, routes=routes, settings=settings).invoke(
                conversation, config
            )
        ]
    if not new or not isinstance(new[-1], AIMessage) or new[-1].tool_calls:
        new.append(AIMessage("I could not finish that within the allowed number of steps."))
    return new, tokens_of(new)


def draft_request(
    messages: Sequence[BaseMessage],
    config: RunnableConfig | None = None,
    settings: Settings | None = None,
    memory: Memory | None = None,
    context: str | None = None,
) -> AgentOutcome[RequestDraft]:
    """The optimizer's draft request for a strategy search from the conversation (`context`:
    extra facts, such as the proposal waiting for approval that the message changes)."""
    return _decision("optimizer", RequestDraft, messages, config, settings, memory, context)


def draft_deployment(
    messages: Sequence[BaseMessage],
    config: RunnableConfig | None = None,
    settings: Settings | None = None,
    memory: Memory | None = None,
    context: str | None = None,
) -> AgentOutcome[DeploymentDraft]:
    """The optimizer's draft of the deployment the user asked for, from the conversation
    (`context`: extra facts, such as the deployment waiting for approval that the message
    changes)."""
    return _decision("optimizer", DeploymentDraft, messages, config, settings, memory, context)
