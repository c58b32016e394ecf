"""`stratigos deploy ...`: put a portfolio or an optimization's winner to work on a paper
account (or the local owner's Alpaca account, `--broker alpaca`), move it through its lifecycle,
forward-test it over past data, read its orders, ledger, positions and events, and store exports
of its ledger. Deployments belong to the command line's owner (`local`)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict
from typing import Any

from api.cli.arguments import print_result
from api.cli.deploy_text import (
    account_forward_test_text,
    data_text,
    forward_test_text,
    performance_text,
)
from api.cli.errors import UsageError
from api.cli.local import LOCAL_OWNER, open_local_store
from services.errors import InputError
from services.formatting import money
from settings.files import write_atomic

LIFECYCLE = {"activate": "active", "pause": "paused", "resume": "active", "retire": "retired"}
CONFIRMATION_FLAGS = {"confirm_below_benchmarks": "--confirm-below-benchmarks"}
"""The flag that gives each confirmation a refusal asks for."""


def deploy_command(args: argparse.Namespace) -> int:
    """Run one `deploy` action."""
    store = open_local_store()
    action = args.deploy_command
    if action == "create":
        return _create(store, args)
    if action == "list":
        return _list(store, args)
    if action in LIFECYCLE:
        return _lifecycle(store, args)
    if action == "forward-test":
        return _forward_test(store, args)
    if action == "kill":
        return _kill(store, args)
    if action in ("hedge-kill", "hedge-release"):
        return _hedge_kill(store, args)
    if action == "events":
        return _events(store, args)
    deployment = store.get_deployment(LOCAL_OWNER, args.deployment_id)
    if action == "show":
        print_result(args, _view(deployment), _describe(deployment))
    elif action == "orders":
        from api.deployment_views import order_out
        from trading.deployment_orders import deployment_orders

        rows = [order_out(o).model_dump(mode="json") for o in deployment_orders(store, deployment)]
        print_result(args, rows, _orders_text(rows))
    elif action == "ledger":
        _ledger(store, deployment, args)
    elif action == "hedges":
        from services.market_data import market_closes
        from store import utc_now
        from trading.deployment_views import hedge_report

        report = hedge_report(store, deployment, utc_now(), market_closes())
        print_result(args, report, _hedges_text(report))
    elif action == "export":
        _export(store, deployment, args)
    elif action == "performance":
        from store import utc_now
        from trading.performance import performance

        report = performance(store, deployment, utc_now())
        print_result(args, report, performance_text(report))
    else:  # positions
        from store import utc_now
        from trading.deployment_views import positions

        report = positions(store, deployment, utc_now())
        print_result(args, report, _positions_text(report))
    return 0


def _create(store: Any, args: argparse.Namespace) -> int:
    from trading.deployments import change_status, create_deployment

    source, source_id = (
        ("portfolio", args.portfolio)
        if args.portfolio
        else (
            "optimization",
            _optimization_id(store, args.optimization),
        )
    )
    schedule: dict[str, Any] = {
        "every": None if args.cron else args.every,
        "interval": args.interval,
        "on": args.on,
        "at": args.at,
        "cron": args.cron,
        "calendar": args.calendar,
        "catch_up": args.catch_up,
    }
    limits = {
        name: getattr(args, name)
        for name in (
            "max_turnover",
            "min_trade_value",
            "cash_buffer",
            "price_reserve",
            "max_position",
            "max_drawdown",
        )
        if getattr(args, name) is not None
    }
    try:
        deployment = create_deployment(
            store,
            LOCAL_OWNER,
            name=args.name or f"{source} {source_id}",
            source=source,  # type: ignore[arg-type]
            source_id=source_id,
            trial=args.trial,
            capital=args.capital,
            schedule=schedule,
            limits=limits,
            cap_leverage=args.cap_leverage,
            confirm_below_benchmarks=args.confirm_below_benchmarks,
            notifications=_notifications(args),
            by="cli",
            broker=args.broker,
            hedge=None if args.hedge_underlying is None else {"underlying": args.hedge_underlying},
            account=args.account,
        )
    except InputError as exc:
        flag = CONFIRMATION_FLAGS.get(exc.field)
        if flag is None:
            raise
        raise UsageError(f"{exc.message.removesuffix(' to go on.')} with {flag}.") from None
    if args.activate:
        deployment = change_status(store, LOCAL_OWNER, deployment.id, "active", by="cli")
    print_result(args, _view(deployment), _describe(deployment))
    return 0


def _notifications(args: argparse.Namespace) -> dict[str, Any] | None:
    """The preferences the --notify-* options give (alerts to each address; fills, the daily
    summary and the tearsheets when asked); None without any (the profile's preferences
    apply)."""
    from notifications.preferences import Destination

    opt_ins = {
        "fills": args.notify_fills,
        "daily_summary": args.notify_daily,
        "tearsheets": args.notify_tearsheets,
    }
    destinations = [
        Destination.with_opt_ins("email", a, **opt_ins) for a in args.notify_email or []
    ] + [Destination.with_opt_ins("webhook", a, **opt_ins) for a in args.notify_webhook or []]
    if not destinations:
        return None
    return {"destinations": [d.model_dump(mode="json") for d in destinations]}


def _optimization_id(store: Any, given: str) -> str:
    """`given`, or for "last" the newest succeeded optimization of the local owner."""
    from store import OPTIMIZATION_KIND

    if given != "last":
        return given
    for job in store.list_jobs(
        LOCAL_OWNER, statuses=["succeeded"], kinds=[OPTIMIZATION_KIND], limit=1
    ):
        return str(job.id)
    raise UsageError("no succeeded optimization to deploy: run `stratigos optimize` first")


def _list(store: Any, args: argparse.Namespace) -> int:
    deployments = store.list_deployments(LOCAL_OWNER)
    rows = [_view(d) for d in deployments]
    lines = [f"{'id':36} {'status':8} {'mode':12} name"] + [
        f"{r['id']:36} {r['status']:8} {r['mode']:12} {r['name']}" for r in rows
    ]
    print_result(args, rows, "\n".join(lines) if rows else "No deployments yet.")
    return 0


def _lifecycle(store: Any, args: argparse.Namespace) -> int:
    from trading.lifecycle import move

    current = store.get_deployment(LOCAL_OWNER, args.deployment_id)
    if current.spec.get("mode") == "forward_test":
        raise UsageError(f"{current.id} is a forward test; it runs by itself")
    if args.deploy_command == "resume" and current.status != "paused":
        raise UsageError(f"only a paused deployment resumes; {current.id} is {current.status}")
    updated = move(
        store,
        LOCAL_OWNER,
        args.deployment_id,
        LIFECYCLE[args.deploy_command],  # type: ignore[arg-type]
        by="cli",
    )
    print_result(args, _view(updated), f"{updated.id} is now {updated.status}.")
    return 0


def _forward_test(store: Any, args: argparse.Namespace) -> int:
    """Forward-test one deployment, or with --account the deployments sharing that account
    (then its tearsheets are rendered too), in this process."""
    from datetime import date

    from api.tearsheet_jobs import HANDLERS as TEARSHEET_HANDLERS
    from jobs.job_runner import JobRunner
    from trading.execution_jobs import FORWARD_TEST_KIND, HANDLERS
    from trading.forward_tests.account import (
        AccountForwardTestRequest,
        check_account_forward_test,
    )
    from trading.forward_tests.paper import ForwardTestRequest

    if (args.deployment_id is None) == (args.account is None):
        raise UsageError("forward-test: give a deployment id or --account NAME (one of them)")
    try:
        start = date.fromisoformat(args.start)
        end = None if args.end is None else date.fromisoformat(args.end)
    except ValueError as exc:
        raise UsageError(f"--start/--end: {exc} (use YYYY-MM-DD)") from None
    request: ForwardTestRequest | AccountForwardTestRequest
    if args.account is not None:
        check_account_forward_test(store, LOCAL_OWNER, args.account, start)
        request = AccountForwardTestRequest(
            args.account, start, end, costs=_paper_costs(args), cash_rate=args.cash_rate,
            fire_price=args.fire_price,
        )  # fmt: skip
    else:
        from trading.deployment_views import check_forward_test

        deployment = store.get_deployment(LOCAL_OWNER, args.deployment_id)
        check_forward_test(deployment, start, end)
        request = ForwardTestRequest(
            deployment.id, start, end, costs=_paper_costs(args), cash_rate=args.cash_rate,
            fire_price=args.fire_price,
        )  # fmt: skip
    runner = JobRunner(store, handlers={**HANDLERS, **TEARSHEET_HANDLERS})
    job = runner.submit(LOCAL_OWNER, FORWARD_TEST_KIND, request.job_request())
    _run_here(store, runner, job.id)
    finished = store.get_job(LOCAL_OWNER, job.id)
    if finished.status != "succeeded":
        print(f"stratigos deploy: forward test {job.id} {finished.status}: {finished.error}")
        return 1
    result = dict(runner.results(LOCAL_OWNER, job.id))
    if args.account is None:
        print_result(args, result, forward_test_text(job.id, result))
        return 0
    sheets = result["tearsheets"]
    if sheets.get("job_id"):
        _run_here(store, runner, sheets["job_id"])
        rendered = store.get_job(LOCAL_OWNER, sheets["job_id"])
        sheets["status"], sheets["error"] = rendered.status, rendered.error
        sheets["reports"] = (
            runner.results(LOCAL_OWNER, rendered.id)["tearsheets"]
            if rendered.status == "succeeded"
            else []
        )
    print_result(args, result, account_forward_test_text(job.id, result))
    return 0


def _run_here(store: Any, runner: Any, job_id: str) -> None:
    """Run the job `job_id` with this process's worker (the command waits for it)."""
    worker = runner.worker
    worker.run_claimed(store.claim(LOCAL_OWNER, job_id, worker.worker_id, worker.lease_seconds))


def _paper_costs(args: argparse.Namespace) -> Any:
    """The paper broker's costs of a forward test: the settings' (`STRATIGOS_EXECUTION_PAPER_*`)
    with what the options give instead."""
    from dataclasses import replace

    from settings import get_settings
    from trading.accounts.paper import paper_costs

    given = {
        name: getattr(args, name)
        for name in (
            "slippage_bps",
            "commission_per_share",
            "commission_per_order",
            "commission_bps",
        )
        if getattr(args, name) is not None
    }
    return replace(paper_costs(get_settings()), **given)


def _kill(store: Any, args: argparse.Namespace) -> int:
    from trading.kill_switch import kill_switch

    report = kill_switch(store, LOCAL_OWNER, account=args.account)
    text = (
        f"Paused {len(report.paused)} deployment(s), cancelled {len(report.cancelled_jobs)} "
        f"run(s) and {len(report.canceled_orders)} order(s)."
    )
    if report.failures:
        text += " Not stopped (pull it again): " + "; ".join(report.failures)
    print_result(args, report.__dict__, text)
    return 1 if report.failures else 0


def _hedge_kill(store: Any, args: argparse.Namespace) -> int:
    """Pull (hedge-kill) or release (hedge-release) the hedging kill switch."""
    from trading.kill_switch import hedge_kill_switch, release_hedges

    if args.deploy_command == "hedge-release":
        report = release_hedges(store, LOCAL_OWNER, deployment_id=args.deployment, by="cli")
        text = f"Released the hedges of {len(report.released)} deployment(s)."
    else:
        report = hedge_kill_switch(store, LOCAL_OWNER, deployment_id=args.deployment, by="cli")
        text = (
            f"Halted the hedges of {len(report.halted)} deployment(s), canceled "
            f"{len(report.canceled_orders)} hedge order(s), sent {len(report.closed)} closing "
            f"order(s): {sum(row['status'] == 'filled' for row in report.closed)} filled."
        )
        for row in report.closed:
            text += (
                f"\n  {row['deployment_id']} {row['side']} {row['contracts']:g} {row['symbol']}: "
                f"{row['status']}"
            )
    if report.failures:
        text += "\nNot done (pull it again): " + "; ".join(report.failures)
    print_result(args, report.to_json(), text)
    return 1 if report.failures else 0


def _hedges_text(report: dict[str, Any]) -> str:
    halted = " (halted by the hedging kill switch)" if report["halted"] else ""
    lines = [
        f"Hedge of {report['deployment_id']} on {report['hedge']['underlying']}{halted}",
        f"  premiums paid {money(report['premiums_paid'])}, received "
        f"{money(report['premiums_received'])}, settlements {money(report['settlements'])}, "
        f"fees {money(report['fees'])}, net cash {money(report['cash'])}",
    ]
    for mark in report["marks"]:
        if mark["settlement"] is not None:
            lines.append(
                f"  holds {mark['contracts']:+d} {mark['symbol']}, {mark['settlement']['words']}: "
                f"worth {money(mark['market_value'])} (not yet booked in the ledger)"
            )
            continue
        lines.append(
            f"  holds {mark['contracts']:+d} {mark['symbol']}, worth {money(mark['market_value'])} "
            f"at {mark['price']:.4f} (model, {report['priced_on']})"
        )
    if report["pnl"] is not None:
        lines.append(f"  hedge P&L so far {money(report['pnl'])} (net cash plus market value)")
    lines.append(f"  volatility: {report['volatility']['words']}")
    for row in report["dead_letters"]:
        lines.append(
            f"  DEAD {row['side']} {row['contracts']:g} {row['symbol']} after "
            f"{row['attempts']} attempt(s): {row['reason']}"
        )
    return "\n".join(lines)


def _events(store: Any, args: argparse.Namespace, poll_seconds: float = 1.0) -> int:
    """Print the deployment's events after `--after` (--json: a JSON list); with --follow,
    keep printing new ones, one a line (--json: JSON lines), until it is retired."""
    events = store.deployment_events(LOCAL_OWNER, args.deployment_id, after_seq=args.after)
    if not args.follow:
        rows = [event.to_json() for event in events]
        print_result(args, rows, "\n".join(_event_text(event) for event in events) or "(no events)")
        return 0
    after = args.after
    while True:
        for event in events:
            print(json.dumps(event.to_json()) if args.json else _event_text(event), flush=True)
            after = event.seq
        if not events:
            if store.get_deployment(LOCAL_OWNER, args.deployment_id).status == "retired":
                return 0
            time.sleep(poll_seconds)
        events = store.deployment_events(LOCAL_OWNER, args.deployment_id, after_seq=after)


def _event_text(event: Any) -> str:
    data = dict(event.data)
    if event.type == "status_changed":
        what = f"{data.pop('from')} -> {data.pop('to')}"
    elif event.type == "created":
        source = data.pop("source", None) or {}
        trial = f" trial {source['trial']}" if "trial" in source else ""
        capital = data.pop("capital", None)
        what = ", ".join(
            part
            for part in (
                f"{source['kind']} {source['id']}{trial}" if source else "",
                "" if capital is None else f"capital {money(capital)}",
                f"on {data.pop('broker')}" if "broker" in data else "",
                str(data.pop("status", "")),
            )
            if part
        )
        data.pop("name", None)
    elif event.type == "run_finished":
        what = f"run {data.pop('run_id')} at {data.pop('fire')}: {data.pop('outcome')}"
    else:
        what = ""
    rest = ", ".join(f"{key} {_short(value)}" for key, value in data.items() if value is not None)
    return f"{event.seq:>4}  {event.time:%Y-%m-%d %H:%M:%S}  {event.type:<15} {what}" + (
        f" ({rest})" if rest else ""
    )


def _ledger(store: Any, deployment: Any, args: argparse.Namespace) -> None:
    """Print the ledger (a listing, or JSON with --json or --format json), or write it to
    --output as JSON, CSV or Parquet; Parquet is binary and is only written to a file. A
    deployment with an option hedge lists its hedge's entries after its account's."""
    from trading.ledger_exports import deployment_ledger, ledger_file, ledger_rows

    if args.format == "parquet" and args.output is None:
        raise UsageError("--format parquet is binary and is not printed: give --output FILE")
    deployment_id = deployment.id
    entries = deployment_ledger(store, deployment)
    if args.format in ("csv", "parquet"):
        content = ledger_file(entries, args.format)
    else:
        rows = ledger_rows(entries)
        as_json = args.format == "json" or args.json
        text = json.dumps(rows, indent=2, default=str) if as_json else _ledger_text(rows)
        content = f"{text}\n".encode()
    if args.output is None:
        sys.stdout.write(content.decode())
        return
    write_atomic(args.output, content, mode=None)
    print(f"Wrote the ledger of {deployment_id} ({len(entries)} entries) to {args.output}.")


def _export(store: Any, deployment: Any, args: argparse.Namespace) -> None:
    """Store the ledger as an export (`trading.ledger_exports`), then write the stored file to
    --output: what the file holds is what the store kept."""
    from trading.ledger_exports import create_ledger_export

    export = create_ledger_export(store, deployment, args.format)
    write_atomic(args.output, store.export_bytes(LOCAL_OWNER, export.id), mode=None)
    view = {
        **asdict(export),
        "created_at": export.created_at.isoformat(),
        "output": str(args.output),
    }
    text = (
        f"Stored export {export.id} of {deployment.id}: {export.format}, {export.rows} entries, "
        f"{export.size_bytes:,} bytes, sha256 {export.sha256}; written to {args.output}."
    )
    print_result(args, view, text)


def _view(deployment: Any) -> dict[str, Any]:
    from trading.deployment_views import market_data_of

    mode = "forward_test" if deployment.spec.get("mode") == "forward_test" else "paper"
    return {
        "id": deployment.id,
        "name": deployment.name,
        "status": deployment.status,
        "mode": mode,
        "version": deployment.version,
        "spec": deployment.spec,
        "created_at": deployment.created_at.isoformat(),
        "updated_at": deployment.updated_at.isoformat(),
        "data": market_data_of(deployment),
    }


def _account_text(deployment: Any) -> str:
    """The account it trades, in words."""
    from trading.deployments import account_of, broker_of, is_shared

    shared = (
        f", shared as {deployment.spec.get('account_name') or 'named'} with your other "
        "deployments on it"
        if is_shared(deployment)
        else ""
    )
    return f"{broker_of(deployment)} account {account_of(deployment)}{shared}"


def _describe(deployment: Any) -> str:
    from trading.deployment_views import market_data_of
    from trading.deployments import schedule_of

    spec = deployment.spec
    schedule = schedule_of(spec)
    strategy = spec["strategy"]
    what = (
        "fixed weights " + ", ".join(f"{s} {w:.1%}" for s, w in strategy["weights"].items())
        if strategy["kind"] == "weights"
        else "rule "
        + ", ".join(
            f"{k}={_short(v)}"
            for k, v in strategy["config"].items()
            if not (k.startswith("overlay_") and strategy["config"].get("overlay") == "none")
        )
    )
    limits = ", ".join(f"{k} {v}" for k, v in spec["limits"].items() if v is not None)
    notes = [f"  note:     {note}" for note in strategy.get("notes", [])]
    return "\n".join(
        [
            f"Deployment {deployment.id} ({deployment.status}): {deployment.name}",
            f"  strategy: {what}",
            f"  capital:  {money(spec['capital'])} on {_account_text(deployment)}",
            f"  schedule: {schedule.describe()} (catch-up: {schedule.catch_up})"
            + (", the strategy's own cadence" if spec.get("schedule_source") == "strategy" else ""),
            f"  limits:   {limits}",
            f"  data:     {data_text(market_data_of(deployment))}",
            *notes,
        ]
    )


def _short(value: Any) -> str:
    if not isinstance(value, float):
        return str(value)
    return f"{value:,.2f}" if abs(value) >= 1000 else f"{value:.4g}"


def _orders_text(rows: list[dict[str, Any]]) -> str:
    """The orders one a line; on a shared account each with the deployment's part and the
    account's whole order beside it."""
    if not rows:
        return "No orders yet."
    netted = any(r["allocations"] for r in rows)
    whole = f" {'account order':>14}" if netted else ""
    lines = [f"{'#':>6} {'symbol':6} {'side':4} {'quantity':>14}{whole} {'status':16} price"]
    for r in rows:
        price = "-" if r["average_price"] is None else f"{r['average_price']:.4f}"
        of = f" {r['order_quantity']:>14.6f}" if netted else ""
        lines.append(
            f"{r['sequence']:>6} {r['symbol']:6} {r['side']:4} {r['quantity']:>14.6f}{of} "
            f"{r['status']:16} {price}" + (f"  ({r['reason']})" if r["reason"] else "")
        )
    return "\n".join(lines)


def _ledger_text(rows: list[dict[str, Any]]) -> str:
    """The ledger as a table: one line per entry, trades in shares at a price in dollars,
    cash flows in dollars (signed: money out of the account is negative)."""
    if not rows:
        return "The ledger is empty."
    lines = [
        f"{'Time (UTC)':19}  {'Entry':5} {'Symbol':6} {'Shares':>15} {'Price':>12} "
        f"{'Fee':>9} {'Cash flow':>15}  Note"
    ]
    for r in rows:
        when = r["time"][:19].replace("T", " ")
        if r["kind"] == "cash_flow":
            lines.append(
                f"{when}  {'cash':5} {'':6} {'':>15} {'':>12} {'':>9} "
                f"{money(r['amount']):>15}  {r['note']}"
            )
        else:
            lines.append(
                f"{when}  {r['side']:5} {r['symbol']:6} {r['quantity']:>15,.6f} "
                f"{money(r['price']):>12} {money(r['fee']):>9}"
            )
    return "\n".join(lines)


def _positions_text(report: dict[str, Any]) -> str:
    """The positions held, valued at the closes of `priced_on`, then cash, equity and P&L."""
    lines = [
        f"Valued at the closes of {report['priced_on']}",
        f"  {'Symbol':6} {'Shares':>15} {'Value':>15} {'Unrealised P&L':>15}",
    ]
    for p in report["positions"]:
        if p["quantity"] <= 0:
            continue
        lines.append(
            f"  {p['symbol']:6} {p['quantity']:>15,.6f} {money(p['market_value']):>15} "
            f"{money(p['unrealised_pnl']):>15}"
        )
    lines.append(f"  cash {money(report['cash'])}; equity {money(report['equity'])}")
    lines.append(f"  realised P&L {money(report['realised_pnl'])}; fees {money(report['fees'])}")
    return "\n".join(lines)
