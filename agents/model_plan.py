"""How an agent role calls its Bedrock model: what the model catalog says the model accepts.

`bedrock_plan(role, settings)` reads the role's model in the catalog (`settings.model_catalog`)
and decides each request setting the model takes, never one it refuses:

- **Sampling.** ``temperature 0`` only where the model accepts sampling parameters (Claude 4.5,
  Nova); the Claude 5.5 models refuse them (HTTP 400), so none is sent.
- **Thinking and effort per role** (`agents.roles.ROLE_DEPTH`, `ROLE_EFFORT`,
  ``bedrock_effort_by_role``). Shallow roles (the router, the market read) turn thinking off where
  the model allows it (``disabled`` on Haiku 5.5; ``between_tools``, the lowest setting, on Sonnet
  5.5, which refuses ``disabled``) at a low effort; deep roles (risk manager, optimizer,
  explanation) think adaptively at a higher effort. A thinking type equal to the model's default
  is not sent; an effort beyond what the model takes in that thinking mode is lowered to the
  highest it takes. Models without effort or adaptive thinking (Claude 4.5, Nova) get neither.
- **Tool choice** (`tool_choices`): the ``toolChoice`` types the role's requests may carry, given
  to langchain-aws as ``supports_tool_choice_values`` (`agents.bedrock_chat`), so no request
  forces a tool where the catalog does not say the model takes it in the role's thinking mode
  (no Claude model takes it while it thinks; a model whose documentation is silent is not sent
  one).
- **Structured decisions** (`structured_method`): a forced tool call where the model accepts
  forced tool choice in the role's thinking mode; else Bedrock's native structured output (``outputConfig.textFormat``)
  where the catalog says the model has it, the schema is closed (every object lists its
  properties; native structured output cannot express open maps) and the conversation holds no
  tool calls; else the schema as a tool under ``auto`` tool choice, validated, with one
  corrective retry (`agents.agent_loop`).
- **Prompt caching** (``bedrock_prompt_caching``, on by default): cache points after the system
  prompt and after the tool definitions, where the model caches those fields.

A model id the catalog cannot resolve (an application inference profile's ARN) gets the
previous behaviour: temperature 0, forced tool choice, no thinking or effort fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from agents.roles import ROLE_DEPTH, ROLE_EFFORT
from prompts.roles import AgentRole
from settings import Settings
from settings.model_catalog import CatalogModel, model_catalog

StructuredMethod = Literal["forced_tool", "native", "auto_tool"]
"""How a structured decision is asked for (see the module docstring)."""

EFFORT_ORDER = ("low", "medium", "high", "xhigh", "max")


@dataclass(frozen=True)
class BedrockPlan:
    """The request settings of one role's Bedrock calls (see the module docstring)."""

    role: AgentRole
    model_id: str
    model: CatalogModel | None
    temperature: float | None
    thinking: str | None
    """The thinking type to send (None: send none, the model's default applies)."""
    effort: str | None
    cache_system: bool
    cache_tools: bool

    def additional_fields(self) -> dict[str, Any] | None:
        """``additionalModelRequestFields`` (the thinking type), or None."""
        return {"thinking": {"type": self.thinking}} if self.thinking else None

    def output_config(self) -> dict[str, Any] | None:
        """``outputConfig`` (the effort level), or None."""
        return {"effort": self.effort} if self.effort else None

    def forced_tool_choice(self) -> bool:
        """Whether this role's requests may force a tool (``any`` or a named tool): where the
        catalog says the model takes it in the role's thinking mode, and for a model the catalog
        cannot resolve (the previous behaviour)."""
        accepts = self.model.accepts if self.model is not None else None
        return accepts is None or accepts.forced_tool_choice_in(self.thinking)

    def tool_choices(self) -> tuple[str, ...] | None:
        """The ``toolChoice`` types this role's requests may carry (langchain-aws's
        ``supports_tool_choice_values``, which decides what it sends): ``auto``, ``any`` and
        ``tool`` where forced tool choice is accepted (`forced_tool_choice`), else ``auto``
        only; None for a model the catalog cannot resolve (langchain-aws infers them)."""
        if self.model is None:
            return None
        return ("auto", "any", "tool") if self.forced_tool_choice() else ("auto",)

    def structured_method(
        self, schema: dict[str, Any], *, tools_in_history: bool = False
    ) -> StructuredMethod:
        """How to ask this model for a decision of JSON schema `schema`. A conversation that
        already holds tool calls keeps a tool configuration (Bedrock requires one with toolUse
        and toolResult blocks), so it is asked with the schema as a tool, not natively."""
        if self.forced_tool_choice():
            return "forced_tool"
        accepts = self.model.accepts if self.model is not None else None
        native = accepts is not None and accepts.native_structured_output
        if native and closed_schema(schema) and not tools_in_history:
            return "native"
        return "auto_tool"


def _thinking(model: CatalogModel, role: AgentRole) -> str | None:
    accepts = model.accepts
    if ROLE_DEPTH[role] == "deep":
        wanted = "adaptive" if "adaptive" in accepts.thinking else None
    else:
        wanted = next((t for t in ("disabled", "between_tools") if t in accepts.thinking), None)
    if wanted is None or wanted == accepts.thinking_default:
        return None
    return wanted


def _effort(model: CatalogModel, wanted: str, thinking: str | None) -> str | None:
    accepts = model.accepts
    if not accepts.effort:
        return None
    allowed = accepts.effort
    mode = thinking or accepts.thinking_default
    if mode == "disabled" and accepts.effort_without_thinking is not None:
        allowed = accepts.effort_without_thinking
    if mode == "between_tools" and accepts.effort_with_between_tools is not None:
        allowed = accepts.effort_with_between_tools
    if wanted in allowed:
        return wanted
    lower = [e for e in allowed if EFFORT_ORDER.index(e) <= EFFORT_ORDER.index(wanted)]
    return lower[-1] if lower else allowed[0]


def bedrock_plan(role: AgentRole, model_id: str, settings: Settings) -> BedrockPlan:
    """The request settings of `role` calling Bedrock model `model_id` (see the module
    docstring)."""
    resolved = model_catalog().resolve(model_id)
    caching = settings.bedrock.prompt_caching
    if resolved is None:
        return BedrockPlan(role, model_id, None, 0.0, None, None, caching, False)
    model = resolved.model
    thinking = _thinking(model, role)
    wanted = settings.bedrock.effort_by_role.get(role) or ROLE_EFFORT[role]
    cache = model.cache
    return BedrockPlan(
        role=role,
        model_id=model_id,
        model=model,
        temperature=0.0 if model.accepts.sampling else None,
        thinking=thinking,
        effort=_effort(model, wanted, thinking),
        cache_system=caching and cache.supported and "system" in cache.fields,
        cache_tools=caching and cache.supported and "tools" in cache.fields,
    )


def closed_schema(schema: dict[str, Any]) -> bool:
    """True when every object in the JSON schema `schema` (``$defs`` included) lists its
    properties and allows no others: what native structured output can express."""
    stack: list[Any] = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
            continue
        if not isinstance(node, dict):
            continue
        if node.get("type") == "object" or "properties" in node:
            extra = node.get("additionalProperties", False)
            if not node.get("properties") or extra not in (False, None):
                return False
        stack.extend(v for k, v in node.items() if k != "additionalProperties")
    return True


__all__ = ["EFFORT_ORDER", "BedrockPlan", "StructuredMethod", "bedrock_plan", "closed_schema"]
