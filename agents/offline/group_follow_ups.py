"""A question asked of sectors, asked again changed ("vol of tech vs staples in 2022", then "and
in 2021?"; "how did energy do in 2022?", then "what about tech?"): each sector is measured at
equal weights in a call of its own again, over the new window or of the sectors now named, and
answered as the first was, each sector by its name; stocks named in their place ("and for
KO?") are measured alone, not as a portfolio of them. Before, only the last sector's call was
made again, its answer called it "the portfolio", and the other sectors were said unused."""

from __future__ import annotations

from dataclasses import replace

from langchain_core.messages import AIMessage

from agents.offline.analysis_answers import ANSWERS, group_name, groups_answer
from agents.offline.chat_intent import known_tickers
from agents.offline.intent import parse_intent
from agents.offline.intent.analysis import AnalysisAsk, read_analysis
from agents.offline.intent.targets import sector_tickers
from agents.offline.policies import PolicyInput, ToolResult, reply, tool_call
from agents.offline.portfolio_builds import equal_weights
from agents.offline.thread_edits import Edit
from services.formatting import listed

__all__ = ["change_head", "groups_chat", "groups_reply"]

_TOOL = "asset_statistics"


def change_head(edit: Edit) -> str:
    """What a follow-up changed, as its answer begins ("Changed from your previous request:
    2021-01-01 to 2021-12-31 instead of ..."); "" when it changed nothing."""
    if not edit.changes:  # the same request, answered on the measure asked
        return ""
    which = "previous" if edit.request.previous else "earlier"
    return f"Changed from your {which} request: " + "; ".join(edit.changes) + ". "


def groups_reply(ask: AnalysisAsk, done: list[ToolResult], head: str = "") -> AIMessage:
    """The answer to a question of `ask.groups` from `done`, each group's result in their
    order: the groups side by side, then each that failed with why."""
    named = [(name, r) for (name, _), r in zip(ask.groups, done, strict=False)]
    failures = [f"{group_name(name).capitalize()}: {f}" for name, r in named
                if (f := r.failure("answer that")) is not None]  # fmt: skip
    answered = [(name, r.data) for name, r in named if not r.is_error]
    return reply(
        head + "\n\n".join(([groups_answer(answered, ask)] if answered else []) + failures)
    )


def _asked_again(edit: Edit) -> tuple[AnalysisAsk, AnalysisAsk] | None:
    """The question of sectors `edit` changes, as first asked and with the sectors it now asks
    of (none when it names stocks instead: "and for KO?"); None when the request is no
    question of sectors each measured alone."""
    if edit.request.tool != _TOOL or edit.args is None:
        return None
    known = known_tickers()
    asked = read_analysis(parse_intent(edit.request.text, known), known)
    if asked is None or asked.kind != "statistics" or not asked.groups:
        return None
    if "correlation" in asked.measures:  # "how correlated is tech with energy?": one call
        return None
    if not edit.change.subject:
        return asked, asked
    groups = tuple((s, tuple(sector_tickers([s]))) for s in edit.change.intent.sectors)
    if not groups or set(edit.change.subject) != {t for _, members in groups for t in members}:
        return asked, replace(asked, groups=())  # "and for KO?": the stock's own statistics
    return asked, replace(asked, groups=groups)


def groups_chat(inp: PolicyInput, edit: Edit) -> AIMessage | None:
    """The specialist's calls and answer for a changed question of sectors (see the module
    docstring); None when `edit` changes no such question."""
    found = _asked_again(edit)
    if found is None or edit.args is None:
        return None
    before, ask = found
    if ask.groups:
        calls = [{**edit.args, "weights": equal_weights(members)} for _, members in ask.groups]
    else:  # stocks named in the sectors' place: each stock's own figures, no portfolio of them
        kept = {key: value for key, value in edit.args.items() if key != "weights"}
        calls = [{**kept, "universe": list(edit.change.subject)}]
    done = [r for r in inp.results_this_turn() if r.name == _TOOL]
    if not done:
        return reply("", *(tool_call(_TOOL, args) for args in calls))
    head = change_head(edit)
    if edit.change.subject:  # "the tech names instead of the energy names"
        old = listed([group_name(name) for name, _ in before.groups])
        said = f"{', '.join(edit.change.subject)} instead of "
        now = listed([group_name(n) for n, _ in ask.groups] or list(edit.change.subject))
        changes = [f"{now} instead of {old}" if c.startswith(said) else c for c in edit.changes]
        head = change_head(replace(edit, changes=changes))
    if not ask.groups:
        failed = done[-1].failure("answer that")
        return reply(head + (failed or ANSWERS["statistics"](done[-1].data, ask)))
    return groups_reply(ask, done[-len(ask.groups) :], head)
