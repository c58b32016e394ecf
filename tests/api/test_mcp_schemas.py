"""What an MCP client reads before it calls a tool: input schemas an inspector can build a form
from (no nullable union at the top of an argument: leaving it out gives its default, as null
did), valid JSON Schema; and annotations on every tool that are true of it: a read-only tool
leaves the owner's records as they were, an additive one adds and removes nothing, the
destructive one deletes, and an idempotent one called twice changes nothing more."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from mcp import ClientSession, types
from pydantic import BaseModel, ValidationError

from api.mcp.annotations import TOOL_ANNOTATIONS, UNDECLARED, annotations_of
from api.mcp.drafts import DRAFT_TOOLS
from api.mcp.server import build_server
from api.mcp.tools import without_null_arguments
from graphs.thread_bindings import bind_owner, tool_context
from services.memories import list_memories
from services.profiles import get_profile
from settings import LOCAL_OWNER, Settings, get_settings
from store import Store
from store.factory import open_store
from store.memories import memory_store
from tests.api.test_mcp_tools import EXAMPLES
from tests.support.mcp_client import in_memory
from tools.memory import memory_tools

NULL = {"type": "null"}


@pytest.fixture
def local(offline_data_dir: Path) -> Iterator[tuple[Settings, Store]]:
    settings = get_settings()
    settings.ensure_data_dir()
    store = open_store(settings)
    yield settings, store
    store.close()


def listed(local: tuple[Settings, Store]) -> dict[str, types.Tool]:
    settings, store = local
    server = build_server(settings, lambda: store, local_owner=LOCAL_OWNER)
    tools = in_memory(server, lambda session: session.list_tools()).tools
    return {tool.name: tool for tool in tools}


def argument_models(store: Store) -> dict[str, type[BaseModel]]:
    """Each served tool's pydantic arguments (what validates a call)."""
    bind_owner("chat:schemas", "someone", store)
    _, chat_tools = tool_context({"configurable": {"thread_id": "chat:schemas"}}, {})
    models: dict[str, type[BaseModel]] = {}
    for tool in [*chat_tools, *memory_tools("someone", store)]:
        assert isinstance(tool.args_schema, type) and issubclass(tool.args_schema, BaseModel)
        models[tool.name] = tool.args_schema
    models.update({draft.name: draft.schema for draft in DRAFT_TOOLS})
    return models


def test_no_argument_is_a_nullable_union_and_leaving_one_out_means_what_null_meant(
    local: tuple[Settings, Store],
) -> None:
    tools = listed(local)
    models = argument_models(local[1])
    rewritten = 0
    for name, tool in tools.items():
        schema = tool.inputSchema
        Draft202012Validator.check_schema(schema)
        agents = models[name].model_json_schema()
        assert schema == without_null_arguments(agents), name
        assert schema.get("required", []) == agents.get("required", []), name
        for argument, spec in schema.get("properties", {}).items():
            assert spec.get("type") != "null" and NULL not in spec.get("anyOf", []), (
                name,
                argument,
            )
            assert "default" not in spec or spec["default"] is not None, (name, argument)
            given = agents["properties"][argument]
            if NULL not in given.get("anyOf", []):
                assert spec == given, (name, argument)  # only nullable unions are rewritten
                continue
            rewritten += 1
            # the null branch is all that went: what remains is the rest of the union
            kept = [branch for branch in given["anyOf"] if branch != NULL]
            if len(kept) > 1:
                assert spec["anyOf"] == kept, (name, argument)
            else:
                assert {k: spec.get(k) for k in kept[0]} == kept[0], (name, argument)
            assert spec.get("description") == given.get("description"), (name, argument)
            if name in EXAMPLES or name in CALLS_OF_DRAFTS:
                base = {**EXAMPLES, **CALLS_OF_DRAFTS}[name]
                without = {k: v for k, v in base.items() if k != argument}
                explicit = {**without, argument: None}
                assert outcome(models[name], without) == outcome(models[name], explicit), (
                    name,
                    argument,
                )
    assert rewritten >= 60  # the optional lists, objects, dates and ids of twenty-two tools


def outcome(model: type[BaseModel], arguments: dict[str, Any]) -> Any:
    """The arguments `model` makes of `arguments`, or what it refuses (field and message)."""
    try:
        return model.model_validate(arguments)
    except ValidationError as refused:
        return [(e["loc"], e["msg"]) for e in refused.errors()]


CALLS_OF_DRAFTS = {
    "draft_strategy_search": {"universe": ["AAPL", "KO"], "max_trials": 4},
    "draft_deployment": {"source": "portfolio", "portfolio_id": "pf_1"},
    "draft_status": {"draft_id": "th_1"},
}


def test_every_tool_states_every_hint_and_none_is_left_to_the_defaults(
    local: tuple[Settings, Store],
) -> None:
    tools = listed(local)
    assert set(tools) == set(TOOL_ANNOTATIONS)  # a tool added without annotations fails here
    for name, tool in tools.items():
        hints = tool.annotations
        assert hints is not None and hints == annotations_of(name) != UNDECLARED, name
        stated = (hints.readOnlyHint, hints.destructiveHint, hints.idempotentHint)
        assert None not in (*stated, hints.openWorldHint), name
        assert not (hints.readOnlyHint and hints.destructiveHint), name
    assert tools["forget_memory"].annotations == types.ToolAnnotations(
        readOnlyHint=False, destructiveHint=True, idempotentHint=True, openWorldHint=False
    )
    assert annotations_of("a_tool_added_later") == UNDECLARED


def records(local: tuple[Settings, Store]) -> dict[str, Any]:
    """What the local owner has: ideas, threads (drafts), saved portfolios, jobs, deployments,
    memories and profile."""
    settings, store = local
    with memory_store(settings) as memories:
        remembered = sorted(m.key for m in list_memories(memories, LOCAL_OWNER))
    return {
        "ideas": sorted(i.id for i in store.list_ideas(LOCAL_OWNER).items),
        "threads": sorted(t.id for t in store.list_threads(LOCAL_OWNER)),
        "portfolios": sorted(p.id for p in store.list_portfolios(LOCAL_OWNER)),
        "jobs": sorted(j.id for j in store.list_jobs(LOCAL_OWNER)),
        "deployments": sorted(d.id for d in store.list_deployments(LOCAL_OWNER)),
        "memories": remembered,
        "profile": get_profile(store, LOCAL_OWNER).model_dump(mode="json"),
    }


def test_the_hints_are_true_of_what_each_tool_does_to_the_owner_s_records(
    local: tuple[Settings, Store],
) -> None:
    settings, store = local
    saved = store.create_portfolio(LOCAL_OWNER, "Staples", {"weights": {"KO": 0.5, "PG": 0.5}})
    calls = {**EXAMPLES, **CALLS_OF_DRAFTS}
    calls["draft_deployment"] = {"source": "portfolio", "portfolio_id": saved.id}
    calls["remember_fact"] = {"fact": "I never hold energy stocks", "exclusions": ["energy"]}
    server = build_server(settings, lambda: store, local_owner=LOCAL_OWNER)

    async def call(session: ClientSession, name: str) -> types.CallToolResult:
        return await session.call_tool(name, calls[name])

    order = [n for n in calls if n not in ("forget_memory", "draft_status")]
    order += ["draft_status", "forget_memory"]  # after the draft and the memory they read
    for name in order:
        hints = annotations_of(name)
        before = records(local)
        if name == "draft_status":
            calls[name] = {"draft_id": before["threads"][0]}
        if name == "forget_memory":
            assert before["memories"] and calls[name] == {"key": "all"}
        result = in_memory(server, lambda session, name=name: call(session, name))
        assert not result.isError, (name, result.content)
        after = records(local)
        changed = {kind for kind in before if before[kind] != after[kind]}
        if hints.readOnlyHint:
            assert not changed, (name, changed)
            continue
        removed = [
            k for k in before if isinstance(before[k], list) and set(before[k]) - set(after[k])
        ]
        assert changed, name  # a tool that writes wrote something
        if not hints.destructiveHint:
            assert not removed, (name, removed)  # additive: nothing taken away
        else:
            assert removed == ["memories"] and after["memories"] == []
            # the exclusion the memories added leaves the profile with them
            assert "energy" not in str(after["profile"]) and "energy" in str(before["profile"])
        again = in_memory(server, lambda session, name=name: call(session, name))
        if hints.idempotentHint:
            assert records(local) == after, name  # the same call again changes nothing more
        else:
            assert not again.isError and records(local) != after, name  # each call adds
