"""A deployment in the chat: "deploy that to paper, weekly" proposes one, the user approves it,
and it is created and activated for the thread's owner (`trading.deployments`).

The optimizer's draft (`agents.chat.DeploymentDraft`) names the source (the thread's last
search winner, or a saved portfolio by its store or chat id), the capital and the schedule;
what it leaves out keeps the defaults: `DEFAULT_CAPITAL`, and the strategy's own cadence at
15:45 New York time (a winner every `rebalance_every` sessions, as it was backtested; a
portfolio on the first session of each week: `trading.deployments.own_cadence`). A schedule the
message gives ("weekly") is kept instead. A winner whose leverage exceeds 1 is deployed with it
capped (a paper cash account cannot borrow).
"""

from __future__ import annotations

from typing import Any

from agents.chat import DeploymentDraft
from quant.strategy import StrategyConfig
from services.errors import InputError
from services.formatting import config_sentence, money, multiple
from store import NotFoundError, Store

DEFAULT_CAPITAL = 100_000.0
"""Capital of a deployment the chat proposes when the user names none (currency)."""


def deployment_refusal(
    last_run: dict[str, Any] | None, draft: DeploymentDraft, owner: tuple[str, Store] | None
) -> str | None:
    """Why the drafted deployment cannot be proposed (no owner, no winner to deploy, no
    portfolio named), or None."""
    if owner is None:
        return (
            "Deployments belong to a signed-in owner: ask in `stratigos chat` or the web UI, "
            "where your deployments are kept."
        )
    if draft.source == "last_run" and not (last_run or {}).get("best"):
        return (
            "There is no search winner in this conversation to deploy yet: run a strategy "
            "search first (e.g. 'find the target-vol setting that holds up in a bear market'), "
            "or name a saved portfolio to deploy."
        )
    if draft.source == "portfolio" and not draft.portfolio_id:
        return "Which portfolio should I deploy? Name it by its id (pf_...)."
    return None


def deployment_proposal(
    last_run: dict[str, Any] | None, draft: DeploymentDraft, owner: tuple[str, Store]
) -> dict[str, Any] | str:
    """The deployment to propose as JSON (source, capital, schedule, cap_leverage, and what
    the approval says), or why there is none."""
    name, store = owner
    capital = draft.capital or DEFAULT_CAPITAL
    schedule: dict[str, Any] = {"at": draft.at or "15:45"}
    if draft.every:
        schedule.update(every=draft.every, on=draft.on or "first")
    backtested = ""  # a winner's own cadence
    if draft.source == "portfolio":
        portfolio_id = _stored_portfolio_id(store, name, str(draft.portfolio_id))
        if portfolio_id is None:
            return f"I do not find portfolio {draft.portfolio_id} among your saved portfolios."
        source = {"kind": "portfolio", "id": portfolio_id}
        what, cap, below = f"portfolio {portfolio_id}", False, None
        when = "on the first session of each week"
    else:
        last = last_run or {}
        config = StrategyConfig.model_validate(last["best"]["config"])
        source = {"kind": "optimization", "id": last["run_id"]}
        cap = config.max_leverage > 1
        verdict = last.get("benchmark_verdict") or {}
        below = verdict.get("words") if verdict.get("beats") is False else None
        what = f"the winner of run {last['run_id']} ({config_sentence(config)}"
        what += (
            f"; its leverage {multiple(config.max_leverage)} capped at 1.00x: a paper cash "
            "account cannot borrow)"
            if cap
            else ")"
        )
        backtested = (
            f"every {config.rebalance_every} sessions"
            if config.rebalance_every > 1
            else "on each session"
        )
        when = f"{backtested} (its own cadence, as it was backtested)"
    if draft.every == "session":
        when = "on each session"
    elif draft.every:
        when = f"on the {schedule['on']} session of each {draft.every}"
    if backtested and draft.every and when != backtested:  # the user's, not the winner's
        when += (
            f" (not {backtested}, the cadence it was backtested with: its search results are not "
            "this schedule's)"
        )
    summary = (
        f"Deploy {what} to a paper account with {money(capital)} of capital, rebalanced "
        f"{when} at {schedule['at']} New York time. It starts active; forward-test it to see "
        "how it would have traded."
    )
    if below:
        summary = f"{below} Approving deploys it anyway. {summary}"
    return {
        "name": f"Chat: {what.split(' (')[0]}",
        "source": source,
        "capital": capital,
        "schedule": schedule,
        "cap_leverage": cap,
        "confirm_below_benchmarks": below is not None,
        "summary": summary,
    }


def _stored_portfolio_id(store: Store, owner: str, given: str) -> str | None:
    """A saved portfolio's store id from its store id or its chat id (pf_ + 6 hex digits)."""
    for portfolio in store.list_portfolios(owner):
        chat_id = (portfolio.data.get("source") or {}).get("chat_id")
        if given in (portfolio.id, chat_id):
            return str(portfolio.id)
    return None


def deploy(owner: tuple[str, Store], proposal: dict[str, Any]) -> str:
    """Create the approved deployment for `owner` and activate it; what the chat answers (how to
    forward-test it, or why nothing was deployed)."""
    from trading.deployments import change_status, create_deployment

    name, store = owner
    try:
        created = create_deployment(
            store,
            name,
            name=str(proposal["name"]),
            source=proposal["source"]["kind"],
            source_id=proposal["source"]["id"],
            capital=proposal["capital"],
            schedule=proposal["schedule"],
            cap_leverage=bool(proposal.get("cap_leverage")),
            confirm_below_benchmarks=bool(proposal.get("confirm_below_benchmarks")),
            by="chat",
        )
    except (InputError, NotFoundError, KeyError, TypeError) as exc:
        return f"Nothing was deployed: {exc}."
    active = change_status(
        store, name, created.id, "active", by="chat", reason="approved in the chat"
    )
    return (
        f"Deployed as {active.id} ({active.status}) on paper account paper-{active.id}. "
        f"Forward-test it with `stratigos deploy forward-test {active.id} --start 2022-01-03` "
        "or on its Deployments page."
    )
