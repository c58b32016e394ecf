"""Evaluation cases: what a user says and what the assistant must decide (TOML files).

A case file holds one case: `id`, `description`, `tags`, `turns` (the user's messages, sent in
order in one thread), optional `documents` (files, relative to the repository root, uploaded to the
case owner's research first), optional `exclusions` (tickers the owner's profile excludes) and an
`[expect]` table (see `Expect`). docs/evals.md describes the format.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CASES_DIR = Path(__file__).resolve().parent / "cases"
"""The shipped cases."""

REPO_ROOT = Path(__file__).resolve().parents[1]
"""Where `documents` paths are resolved."""


class CaseError(ValueError):
    """A case file that cannot be read, naming the file and the field."""


@dataclass(frozen=True)
class ToolExpectation:
    """A tool the assistant must call; `args` is a subset its arguments must match (numbers
    within 1e-6, lists and strings equal, nested tables compared the same way)."""

    name: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CoreNumber:
    """A number the answer must quote, computed by the core at eval time: the `metric` of the
    risk report (`services.portfolios.analyse_portfolio`) of `weights` on daily returns from
    `start` to `end` (inclusive; None: the data's edge) at confidence `level`."""

    metric: str
    weights: dict[str, float]
    start: str | None = None
    end: str | None = None
    level: float = 0.95


@dataclass(frozen=True)
class Expect:
    """What a case expects. Empty fields are not checked."""

    tools: tuple[ToolExpectation, ...] = ()
    """Tools that must be called (in any order), with argument subsets."""
    forbidden_tools: tuple[str, ...] = ()
    """Tools that must not be called."""
    no_action: bool = False
    """A question, not a request: no tool with side effects runs and nothing (no search, no
    deployment) is proposed."""
    numbers: tuple[CoreNumber, ...] = ()
    refusal: tuple[str, ...] = ()
    """The request must be refused or clarified: the answer contains one of these phrases
    (case-insensitive) and no tool with side effects runs."""
    citations: tuple[str, ...] = ()
    """Document names the answer must cite."""
    constraints: dict[str, float] = field(default_factory=dict)
    """Limits the portfolios built must be asked for and honour (`max_weight`, `min_weight`),
    and the proposed and approved search must carry and its winner honour (`max_drawdown`,
    `cvar_95`, `var_95`); fractions."""
    group_limits: dict[str, float] = field(default_factory=dict)
    """Upper limits on a sector or industry (a term: "tech", "banks") the portfolios built
    must be asked for as a group limit and whose members' weights must sum to at most it."""
    proposed: dict[str, Any] = field(default_factory=dict)
    """A subset the request the assistant proposed for approval (a strategy search or a
    deployment) must match, compared as tool arguments are (`ToolExpectation`)."""
    answer_contains: tuple[str, ...] = ()
    """Phrases the final answer must contain (case-insensitive)."""
    answer_excludes: tuple[str, ...] = ()
    """Phrases the final answer must not contain (case-insensitive): a tool's internal error,
    a claim that would be false."""
    max_turns: int | None = None
    """Most model calls the case may take."""


@dataclass(frozen=True)
class Case:
    """One evaluation case."""

    id: str
    description: str
    tags: tuple[str, ...]
    turns: tuple[str, ...]
    expect: Expect
    documents: tuple[str, ...] = ()
    exclusions: tuple[str, ...] = ()
    portfolios: dict[str, dict[str, float]] = field(default_factory=dict)
    """Portfolios the owner saved before the conversation: name -> weights by ticker."""
    approve: dict[str, Any] | None = None
    """Approve the search the last turn proposes with these request changes (None: no)."""
    path: Path | None = None


def _strings(data: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CaseError(f"{where}: {key} must be a list of strings")
    return tuple(value)


def _portfolios(value: Any, where: str) -> dict[str, dict[str, float]]:
    """The saved portfolios of a case: a table of name -> {ticker: weight}."""
    problem = f"{where}: portfolios must be a table of name -> {{ticker = weight}}"
    if not isinstance(value, dict):
        raise CaseError(problem)
    found = {}
    for name, weights in value.items():
        if not isinstance(weights, dict) or not weights:
            raise CaseError(problem)
        if not all(
            isinstance(w, int | float) and not isinstance(w, bool) for w in weights.values()
        ):
            raise CaseError(f"{where}: portfolios.{name}: every weight must be a number")
        found[str(name)] = {str(t): float(w) for t, w in weights.items()}
    return found


def parse_case(data: dict[str, Any], where: str) -> Case:
    """A `Case` from a TOML table; `CaseError` names `where` and the field that is wrong."""
    known = {
        "id", "description", "tags", "turns", "expect", "documents", "exclusions", "portfolios",
        "approve",
    }  # fmt: skip
    if unknown := sorted(set(data) - known):
        raise CaseError(f"{where}: unknown field(s) {', '.join(unknown)}")
    for key in ("id", "description"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise CaseError(f"{where}: {key} must be a non-empty string")
    turns = _strings(data, "turns", where)
    if not turns:
        raise CaseError(f"{where}: turns must hold at least one message")
    raw = data.get("expect", {})
    if not isinstance(raw, dict):
        raise CaseError(f"{where}: expect must be a table")
    expect_known = {
        "tools",
        "forbidden_tools",
        "no_action",
        "numbers",
        "refusal",
        "citations",
        "constraints",
        "proposed",
        "answer_contains",
        "answer_excludes",
        "group_limits",
        "max_turns",
    }
    if unknown := sorted(set(raw) - expect_known):
        raise CaseError(f"{where}: unknown expect field(s) {', '.join(unknown)}")
    try:
        tools = tuple(
            ToolExpectation(t["name"], dict(t.get("args", {}))) for t in raw.get("tools", [])
        )
        numbers = tuple(CoreNumber(**n) for n in raw.get("numbers", []))
    except (KeyError, TypeError) as exc:
        raise CaseError(f"{where}: expect.tools or expect.numbers is malformed ({exc})") from None
    approve = data.get("approve")
    if approve is not None and not isinstance(approve, dict):
        raise CaseError(f"{where}: approve must be a table of request changes")
    proposed = raw.get("proposed", {})
    if not isinstance(proposed, dict):
        raise CaseError(f"{where}: expect.proposed must be a table")
    no_action = raw.get("no_action", False)
    if not isinstance(no_action, bool):
        raise CaseError(f"{where}: expect.no_action must be true or false")
    max_turns = raw.get("max_turns")
    if max_turns is not None and (not isinstance(max_turns, int) or max_turns < 1):
        raise CaseError(f"{where}: expect.max_turns must be a positive integer")
    return Case(
        portfolios=_portfolios(data.get("portfolios", {}), where),
        id=data["id"],
        description=data["description"],
        tags=_strings(data, "tags", where),
        turns=turns,
        documents=_strings(data, "documents", where),
        exclusions=_strings(data, "exclusions", where),
        approve=approve,
        expect=Expect(
            tools=tools,
            forbidden_tools=_strings(raw, "forbidden_tools", where),
            no_action=no_action,
            numbers=numbers,
            refusal=_strings(raw, "refusal", where),
            citations=_strings(raw, "citations", where),
            constraints={str(k): float(v) for k, v in raw.get("constraints", {}).items()},
            group_limits={str(k): float(v) for k, v in raw.get("group_limits", {}).items()},
            proposed=dict(proposed),
            answer_contains=_strings(raw, "answer_contains", where),
            answer_excludes=_strings(raw, "answer_excludes", where),
            max_turns=max_turns,
        ),
    )


def load_cases(directory: Path = CASES_DIR) -> list[Case]:
    """Every case of `directory` (`*.toml`), sorted by id; ids are unique."""
    cases = []
    for path in sorted(directory.glob("*.toml")):
        try:
            data = tomllib.loads(path.read_text())
        except tomllib.TOMLDecodeError as exc:
            raise CaseError(f"{path.name}: not valid TOML ({exc})") from None
        cases.append(parse_case(data, path.name))
    seen: set[str] = set()
    for case in cases:
        if case.id in seen:
            raise CaseError(f"case id {case.id!r} is used twice")
        seen.add(case.id)
    return sorted(cases, key=lambda c: c.id)


def select(cases: Iterable[Case], ids: Sequence[str] = (), tags: Sequence[str] = ()) -> list[Case]:
    """The cases named in `ids` or carrying one of `tags` (all when both are empty); an id that
    names no case is a `CaseError`."""
    cases = list(cases)
    if unknown := sorted(set(ids) - {c.id for c in cases}):
        raise CaseError(f"no case {', '.join(unknown)}; known: {', '.join(c.id for c in cases)}")
    if not ids and not tags:
        return cases
    return [c for c in cases if c.id in ids or set(tags) & set(c.tags)]
