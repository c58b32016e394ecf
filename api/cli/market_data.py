"""`stratigos market-data status | refresh`: what the configured market data holds (provider,
version, first and last session, how many sessions it is behind, the last refresh) and a
refresh of it now (Alpaca Market Data, ingested as a new version; a file, the embedded data or
ingested data without a refresh source is not refreshed). `--json`
prints JSON. A refresh that fails exits 1 with the reason; the last good version stays."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from api.cli.arguments import add_json_flag, command_group, print_result


def market_data_command(args: argparse.Namespace) -> int:
    """Run one `market-data` action."""
    from services.errors import DataError
    from services.market_data.refresh import market_data_status, refresh_now
    from settings import get_settings
    from store import utc_now

    settings = get_settings()
    if getattr(args, "market-data_command") == "status":
        status = market_data_status(settings, utc_now())
        print_result(args, status, _status_text(status))
        return 0
    from api.cli.local import open_local_store

    try:
        report = refresh_now(open_local_store(), settings, utc_now())
    except DataError as exc:
        print(f"stratigos market-data refresh: failed: {exc}", file=sys.stderr)
        return 1
    print_result(args, report, _refresh_text(report))
    return 0


def _status_text(status: dict[str, Any]) -> str:
    lines = [
        f"provider   {status['provider']} (version {status['version']})",
        f"sessions   {status['start']} to {status['end']}, {status['symbols']} symbols",
    ]
    behind = status["behind_sessions"]
    closed = status["last_closed_session"]
    lines.append(
        f"current    {'yes' if behind == 0 else f'no: {behind} session(s) behind {closed}'}"
    )
    last = status.get("last_refresh")
    if last:
        why = f": {last['reason']}" if last.get("reason") else ""
        lines.append(f"refreshed  {last['at']} ({last['status']}{why})")
    return "\n".join(lines)


def _refresh_text(report: dict[str, Any]) -> str:
    if "reason" in report:
        return f"Not refreshed: {report['reason']}."
    if report.get("submitted"):
        text = f"Closes to {report['end']} submitted for ingestion: {report['submitted']}."
    elif not report["updated"]:
        text = f"Up to date: version {report['version']} ends on {report['end']}."
    else:
        text = (
            f"Version {report['version']} ends on {report['end']}: {report['appended_sessions']} "
            f"session(s) appended"
        )
        for key, what in (("added", "added"), ("readjusted", "re-read after an adjustment")):
            if report[key]:
                text += f"; {what}: {', '.join(report[key])}"
        if report.get("markers"):
            text += f"; {report['markers']} bad-data marker(s) kept for review"
        text += "."
    if report["missing"]:
        text += f" Alpaca has no bars of {', '.join(report['missing'])} (left out)."
    return text


def add_market_data_parser(commands: Any) -> None:
    """The `market-data` command's parser."""
    sub = command_group(
        commands,
        "market-data",
        help="the configured market data: status, refresh",
        description="The market data optimizations, deployments and forward tests use "
        "(STRATIGOS_MARKET_DATA: the embedded S&P 500 data, a file, or Alpaca Market Data). "
        "See docs/market-data.md.",
    )
    sub.add_parser("status", help="provider, version, sessions held, how current, last refresh")
    sub.add_parser("refresh", help="bring Alpaca Market Data up to the last closed session now")
    add_json_flag(sub)
