"""Making a LangChain tool of a function and its pydantic argument schema (`make_tool`): its
arguments validated, its errors (bad arguments, numeric errors, unknown artifacts) given back
to the model as readable tool errors (`format_validation_error`). Apart from `tools.context` so
that what the tools share (`ToolContext`: market data, scenarios, seeds) loads no LangChain: the
search pipeline's steps build a run's context and no tool.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from langchain_core.tools import BaseTool, ToolException
from langchain_core.tools.base import (
    FILTERED_ARGS,
    _is_injected_arg_type,
    get_all_basemodel_annotations,
)
from pydantic import BaseModel, Field, ValidationError

from quant.errors import QuantError
from quant.problems import field_of, problem_of
from services.problems import INVALID_ARGUMENTS, TOOL_RETRY
from tools.artifacts import ArtifactNotFoundError

ArgsT = TypeVar("ArgsT", bound=BaseModel)


def format_validation_error(exc: ValidationError | Exception) -> str:
    """A pydantic validation error as one line per bad argument: field, problem, value given."""
    if not isinstance(exc, ValidationError):
        return f"{INVALID_ARGUMENTS}{exc}"
    parts = []
    for err in exc.errors():
        where = field_of(err) or "arguments"
        given = err.get("input")
        shown = repr(given)
        if len(shown) > 80:
            shown = shown[:77] + "..."
        parts.append(f"{where}: {problem_of(err)} (got {shown})")
    return f"{INVALID_ARGUMENTS}{'; '.join(parts)}. {TOOL_RETRY}"


@functools.cache
def hidden_arguments(schema: type[BaseModel]) -> frozenset[str]:
    """The arguments of a tool with argument schema `schema` that its run's callbacks are not
    shown (LangChain's `FILTERED_ARGS` and the schema's injected fields), found once per schema
    (LangChain's `BaseTool` reads the schema's annotations again on every call)."""
    injected = {
        name
        for name, annotation in get_all_basemodel_annotations(schema).items()
        if _is_injected_arg_type(annotation)
    }
    return frozenset(FILTERED_ARGS) | injected


class QuantTool(BaseTool):
    """A tool whose arguments are validated by `args_schema` and passed to `call` as keywords.

    (`StructuredTool` cannot be used: it reserves the keyword `config` for LangChain's
    RunnableConfig, and `backtest_strategy` takes a strategy `config`.)
    """

    call: Callable[..., dict[str, Any]] = Field(exclude=True)

    @property
    def _injected_args_keys(self) -> frozenset[str]:
        # `_run(*args, **kwargs)` takes no injected argument: LangChain's default inspects the
        # signatures of `_run` and `_arun` once per tool object (a chat thread's tools are new)
        return frozenset()

    def _filter_injected_args(self, tool_input: dict[str, Any]) -> dict[str, Any]:
        schema = self.args_schema
        if not isinstance(schema, type) or not issubclass(schema, BaseModel):
            return super()._filter_injected_args(tool_input)
        hidden = hidden_arguments(schema)
        return {key: value for key, value in tool_input.items() if key not in hidden}

    def _run(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        if args:
            raise ToolException(f"{self.name}: pass the arguments as a JSON object")
        return self.call(**kwargs)


def make_tool(
    *,
    name: str,
    description: str,
    args_schema: type[ArgsT],
    run: Callable[[ArgsT], dict[str, Any]],
) -> BaseTool:
    """A LangChain tool named `name` that validates its arguments with `args_schema` (a pydantic
    model) and calls `run(args)`.

    Errors never escape to the caller: invalid arguments come back as a tool error listing each
    bad field (`handle_validation_error`), and `QuantError`, `ValueError` (including pydantic
    errors raised inside the tool) and unknown artifact ids as a tool error with the message
    (`ToolException`, `handle_tool_error=True`). In a LangGraph `ToolNode` both give a
    `ToolMessage` with status "error" that the model can read and recover from.
    """

    def call(**kwargs: Any) -> dict[str, Any]:
        try:
            args = args_schema.model_validate(kwargs)
        except ValidationError as exc:
            raise ToolException(f"{name}: {format_validation_error(exc)}") from exc
        try:
            return run(args)
        except ToolException:
            raise
        except ValidationError as exc:
            raise ToolException(f"{name}: {format_validation_error(exc)}") from exc
        except (QuantError, ValueError, ArtifactNotFoundError) as exc:
            raise ToolException(f"{name} failed: {exc}") from exc
        except MemoryError as exc:
            raise ToolException(
                f"{name} failed: out of memory; ask for fewer paths, days or assets"
            ) from exc

    return QuantTool(
        name=name,
        description=description,
        args_schema=args_schema,
        call=call,
        handle_tool_error=True,
        handle_validation_error=lambda exc: f"{name}: {format_validation_error(exc)}",
    )
