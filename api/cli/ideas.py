"""`stratigos ideas add|list|show|status|optimize|delete`: the local owner's investment ideas
(as in `api.cli.docs`); `--json` prints JSON instead of text. The numbers are computed by the
numeric core (`services.ideas`), never given on the command line."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from api.cli.arguments import print_result
from api.cli.errors import UsageError
from api.cli.local import LOCAL_OWNER, open_local_store


def ideas_command(args: argparse.Namespace) -> int:
    """Run one `ideas` action."""
    store = open_local_store()
    action = args.ideas_command
    if action == "add":
        idea = _add(store, args)
        print_result(args, idea_json(idea), "Added " + describe(idea))
    elif action == "list":
        _list(store, args)
    elif action == "show":
        idea = store.get_idea(LOCAL_OWNER, args.idea_id)
        print_result(args, idea_json(idea), describe(idea))
    elif action == "status":
        from services.ideas import change_status

        idea = change_status(
            store, LOCAL_OWNER, args.idea_id, args.status, by="cli", reason=args.reason
        )
        print_result(args, idea_json(idea), f"{idea.id} is now {idea.status}.")
    elif action == "optimize":
        _optimize(store, args)
    else:  # delete
        store.delete_idea(LOCAL_OWNER, args.idea_id)
        print_result(args, {"deleted": args.idea_id}, f"Deleted {args.idea_id}.")
    return 0


def _evidence(args: argparse.Namespace) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for passage in args.passage or []:
        document_id, _, rest = passage.partition(":")
        chunk, _, quote = rest.partition(":")
        if not chunk.isdigit() or not quote:
            raise UsageError(f"--passage {passage!r}: use DOCUMENT_ID:CHUNK:QUOTE")
        items.append(
            {
                "kind": "document_passage",
                "document_id": document_id,
                "chunk": int(chunk),
                "quote": quote,
            }
        )
    items += [{"kind": "optimization_run", "run_id": run} for run in args.run or []]
    items += [{"kind": "deployment", "deployment_id": d} for d in args.deployment or []]
    return items


def _weights(pairs: list[str] | None) -> dict[str, float] | None:
    if not pairs:
        return None
    weights: dict[str, float] = {}
    for pair in pairs:
        ticker, _, value = pair.partition("=")
        try:
            weights[ticker.strip().upper()] = float(value)
        except ValueError:
            raise UsageError(f"--weight {pair!r}: use TICKER=NUMBER") from None
    return weights


def _add(store: Any, args: argparse.Namespace) -> Any:
    from services.ideas import IdeaDraft, create_idea, horizon_from_date

    horizon = args.horizon_days
    if args.horizon_until is not None:
        if horizon is not None:
            raise UsageError("give --horizon-days or --horizon-until, not both")
        horizon = horizon_from_date(args.horizon_until, store.clock().date())
    draft = IdeaDraft(
        title=args.title,
        thesis=args.thesis,
        tickers=args.tickers,
        direction="short" if args.short else "long",
        horizon_days=horizon or 63,
        weights=_weights(args.weight),
        evidence=_evidence(args),
        lookback_days=args.lookback_days,
    )
    return create_idea(store, LOCAL_OWNER, draft, by="cli")


def _list(store: Any, args: argparse.Namespace) -> None:
    from store.ideas import IdeaFilter

    where = IdeaFilter(
        status=args.status,
        ticker=None if args.ticker is None else args.ticker.upper(),
        created_from=_midnight(args.since),
        created_before=_midnight(None if args.until is None else args.until + timedelta(days=1)),
    )
    page = store.list_ideas(LOCAL_OWNER, where, cursor=args.cursor, limit=args.limit)
    text = "\n".join(_line(i) for i in page.items) or "No ideas."
    if page.next_cursor:
        text += f"\nMore: --cursor {page.next_cursor}"
    rows = {"items": [idea_json(i) for i in page.items], "next_cursor": page.next_cursor}
    print_result(args, rows, text)


def _midnight(day: date | None) -> datetime | None:
    return None if day is None else datetime.combine(day, time(), UTC)


def _optimize(store: Any, args: argparse.Namespace) -> None:
    from graphs.job_handlers import run_job_here
    from graphs.request import DEFAULT_SPACE, OptimizationRequest
    from jobs.job_runner import JobRunner
    from services.ideas import optimize_idea
    from services.optimizations import submit_optimization
    from settings import get_settings

    def submit(fields: dict[str, Any]) -> str:
        request = OptimizationRequest.model_validate(fields)
        if args.run_here:
            learning = get_settings().cli_learning  # as `stratigos optimize` learns
            job_id, _result = run_job_here(store, LOCAL_OWNER, request, learning=learning)
            return job_id
        runner = JobRunner(store)
        return submit_optimization(runner, store, LOCAL_OWNER, request, apply_profile=False).job.id

    idea, job_id = optimize_idea(store, LOCAL_OWNER, args.idea_id, submit, DEFAULT_SPACE)
    job = store.get_job(LOCAL_OWNER, job_id)
    text = (
        f"Submitted {idea.id} as optimization job {job_id} ({job.status}); attached to the "
        f"idea as evidence. Follow it with `stratigos jobs show {job_id}`."
    )
    print_result(args, {"idea": idea_json(idea), "job_id": job_id, "job_status": job.status}, text)


def idea_json(idea: Any) -> dict[str, Any]:
    """An idea as JSON (times ISO 8601)."""
    fields = (
        "id", "title", "thesis", "tickers", "weights", "direction", "horizon_days", "metrics",
        "evidence", "status", "history", "version",
    )  # fmt: skip
    return {
        **{name: getattr(idea, name) for name in fields},
        "created_at": idea.created_at.isoformat(),
        "updated_at": idea.updated_at.isoformat(),
    }


def numbers(metrics: dict[str, Any]) -> str:
    """The metrics with their definition, in words."""
    if not metrics:
        return "no metrics"
    d = metrics.get("definition", {})
    return (
        f"trailing return {metrics['expected_return']:.1%} a year, volatility "
        f"{metrics['volatility']:.1%}, daily 95% CVaR {metrics['cvar_95']:.2%}, max drawdown "
        f"{metrics['max_drawdown']:.1%} (trailing statistics of the last "
        f"{d.get('lookback_days')} daily returns, {d.get('data_start')} to {d.get('data_end')}, "
        "not forecasts)"
    )


def _line(idea: Any) -> str:
    return (
        f"{idea.id}  {idea.status:<12}  {idea.direction:<5}  {', '.join(idea.tickers)}  "
        f"{idea.title}  ({idea.created_at:%Y-%m-%d})"
    )


def describe(idea: Any) -> str:
    """An idea in a few lines: what, numbers, evidence, history."""
    lines = [
        _line(idea),
        f"thesis: {idea.thesis}",
        f"horizon {idea.horizon_days} trading days; {numbers(idea.metrics)}",
    ]
    for item in idea.evidence:
        if item["kind"] == "document_passage":
            lines.append(
                f"evidence: {item['document_name']} ({item['document_id']}) "
                f'{json.dumps(item["reference"])}: "{item["quote"]}"'
            )
        else:
            lines.append(
                f"evidence: {item['kind']} {item.get('run_id') or item.get('deployment_id')}"
            )
    for change in idea.history:
        lines.append(
            f"{change['at'][:19]}  {change['from'] or '-'} -> {change['to']}  by {change['by']}: "
            f"{change['reason']}"
        )
    return "\n".join(lines)
