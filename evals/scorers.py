"""Scorers: each turns a case's `Trace` into a pass, a fail or "not applicable", with a reason.

`SCORERS` holds their one-line definitions (shown in every report). Numbers are compared at the
precision the answer shows them: a number written with d decimals matches a value v when v, or
100 v for a number followed by "%", is within half a unit of its last digit (0.5 x 10^-d).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from agents.grounding import citation_problems, research_passages
from evals.case_run import ToolCall, Trace
from evals.cases import Case, CoreNumber

SIDE_EFFECT_TOOLS = frozenset({"save_idea", "remember_fact", "forget_memory"})
"""Tools that change the owner's data (a proposed run or deployment counts too)."""

SCORERS: dict[str, str] = {
    "tools": "every expected tool is called with arguments valid against its schema that match "
    "the expected subset; no forbidden tool is called; a question (no_action) runs no tool with "
    "side effects and proposes nothing",
    "numbers": "every number in the final answer is in a tool result or the user's messages, "
    "at the precision shown (a number with % may be a fraction x 100); n/a when no tool ran",
    "core": "each expected number, computed by the core at eval time, is quoted in the answer "
    "at the precision shown",
    "grounding": "agents.grounding.citation_problems finds nothing and every expected document "
    "is cited",
    "refusal": "the answer contains an expected refusal or clarification phrase and no tool "
    "with side effects ran and no run was proposed",
    "constraints": "each portfolio built for the last message is asked for and honours the "
    "expected max_weight, min_weight and group limits (its group's weights summed); the proposed "
    "search carries each expected risk limit and its winner honours it in every limited "
    "scenario; the proposed request matches the expected subset",
    "answer": "the final answer contains every expected phrase and none of the excluded ones",
    "turns": "the case took at most its max_turns model calls",
    "accounting": "every item of the last message (tickers, weights, limits, windows, groups, "
    "methods, frequencies, levels, capital; and what a follow-up carries from the thread) "
    "reaches a tool call or the proposed request, or the answer names it as not used "
    "(graphs.ask_accounting)",
    "completed": "the conversation ran without an error",
}
"""Each scorer's one-line definition."""


@dataclass(frozen=True)
class Score:
    """A scorer's verdict: `passed` None means not applicable to the case."""

    passed: bool | None
    detail: str = ""


_NUMBER = re.compile(r"(?<![\w.])[-−]?(\d+(?:,\d{3})*(?:\.\d+)?)(\s*%)?(?![\w])")
_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
_ID = re.compile(r"\b[a-z]+_[0-9a-f]{6,}\b|\[[^\]]*\]")
_ENUMERATOR = re.compile(r"(?:^|(?<=[:.;]\s))\d{1,2}\.\s(?=[A-Z])")
_INDEX_NAME = re.compile(r"\bS&P 500\b", re.IGNORECASE)
"""The index's name, not a number the answer quotes."""
"""A list item's number ("1. Defensive: ...", "...: 2. Growth"): a position, not a quantity."""


@dataclass(frozen=True)
class Quoted:
    """A number as written: its value, decimals shown and whether a % follows."""

    text: str
    value: float
    decimals: int
    percent: bool

    def matches(self, value: float) -> bool:
        """`value` (or 100 x `value` for a percentage) rounds to this number as shown."""
        tolerance = 0.5 * 10.0**-self.decimals + 1e-9
        candidates = [value, abs(value)] + ([100 * value, 100 * abs(value)] if self.percent else [])
        return any(abs(c - self.value) <= tolerance for c in candidates)


def quoted_numbers(text: str) -> list[Quoted]:
    """The numbers `text` quotes, leaving out ISO dates, ids (`pf_3a9c1e`), citations in
    square brackets, the numbers of list items ("1. Defensive: ...") and the index's name ("the
    S&P 500 index")."""
    text = _ENUMERATOR.sub(" ", _ID.sub(" ", _DATE.sub(" ", _INDEX_NAME.sub(" ", text))))
    found = []
    for match in _NUMBER.finditer(text):
        digits = match.group(1).replace(",", "")
        decimals = len(digits.split(".")[1]) if "." in digits else 0
        found.append(Quoted(match.group(0).strip(), float(digits), decimals, bool(match.group(2))))
    return found


def _leaves(data: Any) -> Iterator[Any]:
    if isinstance(data, dict):
        for key, value in data.items():
            yield key
            yield from _leaves(value)
    elif isinstance(data, list):
        for value in data:
            yield from _leaves(value)
    else:
        yield data


def known_values(trace: Trace) -> list[float]:
    """Every number in the tool results (JSON leaves, numbers inside their strings, plain-text
    results) and the user's messages."""
    values: list[float] = []
    texts = [trace.user_text]
    for call in trace.tool_calls:
        if call.data is None:
            texts.append(call.result)
            continue
        for leaf in _leaves(call.data):
            if isinstance(leaf, bool):
                continue
            if isinstance(leaf, int | float):
                values.append(float(leaf))
            elif isinstance(leaf, str):
                texts.append(leaf)
    for text in texts:
        values += [q.value for q in quoted_numbers(text)]
        values += [float(y) for y in re.findall(r"\b(\d{4})-\d{2}-\d{2}\b", text)]
    return values


def _subset(expected: Any, actual: Any) -> bool:
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return False
        upper = {str(k).upper(): v for k, v in actual.items()}
        return all(
            _subset(v, actual[k] if k in actual else upper.get(str(k).upper()))
            for k, v in expected.items()
        )
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected == actual
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return math.isclose(float(expected), float(actual), abs_tol=1e-6)
    if isinstance(expected, list) and isinstance(actual, list):
        return len(expected) == len(actual) and all(map(_subset, expected, actual))
    return bool(expected == actual)


SchemaCheck = Callable[[str, dict[str, Any]], str | None]
"""Validates a tool call's arguments: None when valid, else why not."""


def tool_schema_check() -> SchemaCheck:
    """Validation against the product's tool schemas (`tools.build_tools`, memory tools)."""
    from pydantic import BaseModel, ValidationError

    from tools import build_tools
    from tools.memory import ForgetArgs, RecallArgs, RememberArgs

    schemas: dict[str, Any] = {t.name: t.args_schema for t in build_tools()}
    schemas |= {
        "remember_fact": RememberArgs,
        "recall_memories": RecallArgs,
        "forget_memory": ForgetArgs,
    }

    def check(name: str, args: dict[str, Any]) -> str | None:
        schema = schemas.get(name)
        if schema is None:
            return f"{name} is not a tool"
        if not (isinstance(schema, type) and issubclass(schema, BaseModel)):
            return None
        try:
            schema.model_validate(args)
        except ValidationError as exc:
            return f"{name} arguments invalid: {exc.errors()[0]['msg']}"
        return None

    return check


def score_tools(case: Case, trace: Trace, check: SchemaCheck) -> Score:
    expected, forbidden = case.expect.tools, case.expect.forbidden_tools
    if not expected and not forbidden and not case.expect.no_action:
        return Score(None)
    problems = []
    for want in expected:
        calls = [c for c in trace.tool_calls if c.name == want.name]
        if not calls:
            problems.append(f"{want.name} not called")
            continue
        valid = [c for c in calls if check(c.name, c.args) is None]
        if not valid:
            problems.append(check(calls[0].name, calls[0].args) or "")
        elif not any(_subset(want.args, c.args) for c in valid):
            problems.append(f"{want.name} called with {valid[0].args}, expected {want.args}")
    problems += [f"{c.name} must not be called" for c in trace.tool_calls if c.name in forbidden]
    if case.expect.no_action:
        problems += [f"{c.name} acted" for c in trace.tool_calls if c.name in SIDE_EFFECT_TOOLS]
        problems += ["something was proposed for approval"] if trace.proposed is not None else []
    called = ", ".join(c.name for c in trace.tool_calls) or "no tool"
    return Score(not problems, "; ".join(problems) or called)


def score_numbers(case: Case, trace: Trace) -> Score:
    if not trace.tool_calls:
        return Score(None, "no tool was called")
    values = known_values(trace)
    stray = [q.text for q in quoted_numbers(trace.answer) if not any(map(q.matches, values))]
    if stray:
        return Score(False, f"not in any tool result: {', '.join(stray)}")
    return Score(True, f"{len(quoted_numbers(trace.answer))} numbers traced")


CoreCompute = Callable[[CoreNumber], float]
"""The core's value of an expected number."""


def core_value(number: CoreNumber) -> float:
    """`number` computed by the core: `services.portfolios.analyse_portfolio` on the configured
    market data's daily simple returns."""
    import pandas as pd

    from services.market_data import market_closes
    from services.portfolios import analyse_portfolio, estimates

    tickers = list(number.weights)
    closes = market_closes()[tickers]
    returns = closes.pct_change().iloc[1:].loc[number.start : number.end]
    mu, cov = estimates(returns)
    weights = pd.Series(number.weights, dtype=float)
    report = analyse_portfolio(weights, returns, mu=mu, cov=cov, level=number.level).risk_report
    value = report[number.metric]
    if value is None:
        raise ValueError(f"the core has no {number.metric} for {number.weights}")
    return float(value)


def score_core(case: Case, trace: Trace, compute: CoreCompute = core_value) -> Score:
    if not case.expect.numbers:
        return Score(None)
    quoted = quoted_numbers(trace.answer)
    problems, shown = [], []
    for number in case.expect.numbers:
        value = compute(number)
        if any(q.matches(value) for q in quoted):
            shown.append(f"{number.metric} {value:.6g}")
        else:
            problems.append(f"{number.metric} {value:.6g} not quoted")
    return Score(not problems, "; ".join(problems or shown))


def score_grounding(case: Case, trace: Trace) -> Score:
    passages = [
        p
        for c in trace.tool_calls
        if c.name == "search_research"
        for p in research_passages_of(c.result)
    ]
    if not case.expect.citations and not passages:
        return Score(None)
    problems = citation_problems(trace.answer, passages)
    problems += [f"{name} not cited" for name in case.expect.citations if name not in trace.answer]
    return Score(not problems, "; ".join(problems) or f"{len(passages)} passages, citations check")


def research_passages_of(result: str) -> list[dict[str, Any]]:
    """The passages of one `search_research` result."""
    from langchain_core.messages import ToolMessage

    return research_passages([ToolMessage(result, tool_call_id="x", name="search_research")])


def score_refusal(case: Case, trace: Trace) -> Score:
    if not case.expect.refusal:
        return Score(None)
    low = trace.answer.lower()
    problems = []
    if not any(phrase.lower() in low for phrase in case.expect.refusal):
        problems.append("no refusal or clarification in the answer")
    if acted := [c.name for c in trace.tool_calls if c.name in SIDE_EFFECT_TOOLS]:
        problems.append(f"side effects: {', '.join(acted)}")
    if trace.proposed is not None:
        problems.append("a run was proposed")
    return Score(not problems, "; ".join(problems) or "refused or clarified")


PORTFOLIO_LIMITS = ("max_weight", "min_weight")
"""Constraints of the portfolios built in the chat (`optimize_portfolio`); the other constraint
keys are risk limits of a strategy search (`max_drawdown`, `cvar_95`, `var_95`)."""


def last_turn_builds(trace: Trace) -> list[ToolCall]:
    """The `optimize_portfolio` calls that answer the case's last message: the builds its
    expected limits are about (an earlier turn's build answered an earlier ask, which a
    follow-up such as "same w/ 25% cap" then changes). A last message that builds nothing is
    about the portfolios its tools name by id ("cvar 99?" of the thread's portfolio): the
    latest earlier build of each."""
    from langchain_core.messages import AIMessage, HumanMessage

    asked = [i for i, m in enumerate(trace.messages) if isinstance(m, HumanMessage)]
    before = trace.messages[: asked[-1]] if asked else []
    earlier = sum(len(m.tool_calls) for m in before if isinstance(m, AIMessage))
    last = trace.tool_calls[earlier:]
    built = [c for c in last if c.name == "optimize_portfolio"]
    if built:
        return built
    named = {c.args.get("portfolio_id") for c in last} - {None}
    latest: dict[str, ToolCall] = {}
    for c in trace.tool_calls[:earlier]:
        data = c.data if isinstance(c.data, dict) else {}
        if c.name == "optimize_portfolio" and data.get("portfolio_id") in named:
            latest[str(data["portfolio_id"])] = c
    return list(latest.values())


def _portfolio_problems(key: str, limit: float, trace: Trace) -> list[str]:
    built = last_turn_builds(trace)
    if not built:
        return ["no portfolio was built"]
    problems = []
    for c in built:
        if not math.isclose(float(c.args.get(key) or -1), limit):
            problems.append(f"optimize_portfolio called without {key} {limit}")
        weights = (c.data or {}).get("weights") if isinstance(c.data, dict) else None
        if c.is_error or not isinstance(weights, dict):
            problems.append("optimize_portfolio returned no weights")
            continue
        if key == "max_weight":
            broken = {a: w for a, w in weights.items() if abs(float(w)) > limit + 1e-6}
        else:
            broken = {a: w for a, w in weights.items() if float(w) < limit - 1e-6}
        sign = ">" if key == "max_weight" else "<"
        problems += [f"{a} holds {w:.4f} {sign} {limit}" for a, w in broken.items()]
    return problems


def _group_problems(term: str, limit: float, trace: Trace) -> list[str]:
    """Each portfolio built for the last message is asked for a group limit on `term`'s members (a sector term
    naming the same tickers) and holds at most `limit` in them, summed."""
    from graphs.ask_vocabulary import vocabulary

    vocab = vocabulary()
    members = set(vocab.members(term))
    built = last_turn_builds(trace)
    if not built:
        return ["no portfolio was built"]
    problems = []
    for c in built:
        asked = c.args.get("sector_limits") or {}
        if not any(
            set(vocab.members(str(k))) == members
            and math.isclose(float((v or {}).get("max", 1.0)), limit)
            for k, v in asked.items()
        ):
            problems.append(f"optimize_portfolio called without a {term} group limit of {limit}")
        weights = (c.data or {}).get("weights") if isinstance(c.data, dict) else None
        if c.is_error or not isinstance(weights, dict):
            problems.append("optimize_portfolio returned no weights")
            continue
        held = sum(float(w) for a, w in weights.items() if a in members)
        if held > limit + 5e-4:  # weights are rounded to 4 decimals
            problems.append(f"{term} holds {held:.4f} > {limit}")
    return problems


def _search_problems(limits: dict[str, float], trace: Trace) -> list[str]:
    proposed = (trace.proposed or {}).get("risk_limits") or {}
    problems = [
        f"{k} {v} not in the proposed request"
        for k, v in limits.items()
        if not math.isclose(float(proposed.get(k) or -1), v)
    ]
    best = (trace.last_run or {}).get("best") or {}
    scenarios = best.get("scenarios") or {}
    if not scenarios:
        problems.append("no finished run with a winner")
    limited = proposed.get("scenarios") or list(scenarios)
    for key, limit in limits.items():
        for name in limited:
            value = (scenarios.get(name) or {}).get(key)
            if value is None or value > limit + 1e-12:
                problems.append(f"{key} {value} in {name} exceeds {limit}")
    return problems


def _proposal_problems(expected: dict[str, Any], trace: Trace) -> list[str]:
    if trace.proposed is None:
        return ["nothing was proposed for approval"]
    if _subset(expected, trace.proposed):
        return []
    shown = {k: trace.proposed.get(k) for k in expected}
    return [f"proposed {shown}, expected {expected}"]


def score_constraints(case: Case, trace: Trace) -> Score:
    limits = case.expect.constraints
    if not limits and not case.expect.proposed and not case.expect.group_limits:
        return Score(None)
    problems = _proposal_problems(case.expect.proposed, trace) if case.expect.proposed else []
    for key in PORTFOLIO_LIMITS:
        if key in limits:
            problems += _portfolio_problems(key, limits[key], trace)
    for term, limit in case.expect.group_limits.items():
        problems += _group_problems(term, limit, trace)
    search = {k: v for k, v in limits.items() if k not in PORTFOLIO_LIMITS}
    if search:
        problems += _search_problems(search, trace)
    return Score(not problems, "; ".join(problems) or "limits carried and honoured")


def score_answer(case: Case, trace: Trace) -> Score:
    if not case.expect.answer_contains and not case.expect.answer_excludes:
        return Score(None)
    answer = trace.answer.lower()
    missing = [p for p in case.expect.answer_contains if p.lower() not in answer]
    present = [p for p in case.expect.answer_excludes if p.lower() in answer]
    problems = [f"missing: {', '.join(missing)}"] if missing else []
    problems += [f"must not say: {', '.join(present)}"] if present else []
    return Score(not problems, "; ".join(problems) or "phrases present")


def score_turns(case: Case, trace: Trace) -> Score:
    if case.expect.max_turns is None:
        return Score(None, f"{trace.model_calls} model calls")
    ok = trace.model_calls <= case.expect.max_turns
    return Score(ok, f"{trace.model_calls} model calls (at most {case.expect.max_turns})")


def score_accounting(case: Case, trace: Trace) -> Score:
    """The ask accounting of the last message on the trace's conversation: fails naming each
    item that no tool call (or proposed request) took and the answer does not name as not
    used; passes saying which items the answer names as not used (what the model missed, said
    by the model or by the check in the graph)."""
    from langchain_core.messages import HumanMessage

    from graphs.ask_check import account
    from graphs.ask_inputs import DEPLOYMENT, SEARCH, ToolUse, tool_uses
    from graphs.ask_notes import describe
    from graphs.ask_vocabulary import vocabulary

    if trace.error is not None or not trace.messages:
        return Score(None, "no conversation")
    last = max(i for i, m in enumerate(trace.messages) if isinstance(m, HumanMessage))
    history, new = trace.messages[: last + 1], trace.messages[last + 1 :]
    uses = tool_uses(new)
    if trace.proposed is not None:
        kind = DEPLOYMENT if "schedule" in trace.proposed else SEARCH
        uses.append(ToolUse(kind, trace.proposed))
    reply = "\n\n".join(t for t in (trace.answer, trace.summary) if t)
    vocab = vocabulary()
    result = account(history, uses, reply, vocab, tool_uses(history))
    if result.missing:
        shown = "; ".join(f"{describe(u.item)} ({u.reason})" for u in result.missing)
        return Score(False, f"neither used nor named: {shown}")
    unused = account(history, uses, "", vocab, tool_uses(history)).missing
    if unused:
        named = dict.fromkeys(describe(u.item) for u in unused)
        return Score(True, "named as not used: " + "; ".join(named))
    return Score(True, "every item used")


def score(
    case: Case, trace: Trace, check: SchemaCheck, compute: CoreCompute = core_value
) -> dict[str, Score]:
    """Every scorer's verdict on `trace` (a run that stopped with an error fails `completed`)."""
    return {
        "completed": Score(trace.error is None, trace.error or "ok"),
        "tools": score_tools(case, trace, check),
        "numbers": score_numbers(case, trace),
        "core": score_core(case, trace, compute),
        "grounding": score_grounding(case, trace),
        "refusal": score_refusal(case, trace),
        "constraints": score_constraints(case, trace),
        "answer": score_answer(case, trace),
        "turns": score_turns(case, trace),
        "accounting": score_accounting(case, trace),
    }
