"""The `deploy` command's arguments: create a deployment, its lifecycle and kill switches, and
the actions on one deployment (see `api.cli.deploy` for what each does)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from api.cli.arguments import add_json_flag, command_group


def add_deploy_parser(commands: Any) -> None:
    """The `deploy` command and its actions."""
    sub = command_group(
        commands,
        "deploy",
        help="put a portfolio or an optimization's winner to work on a paper account",
        description="Deployments of the command line's owner (local): create one (a draft, or "
        "--activate), move it through its lifecycle, forward-test it over past market data, "
        "read its orders, ledger and positions, export its ledger.",
    )
    _create_arguments(
        sub.add_parser("create", help="deploy a portfolio or an optimization's winner")
    )
    _switches(sub)
    _actions_on_one(sub)
    add_json_flag(sub)


def _create_arguments(create: Any) -> None:
    """`deploy create`: the source, capital, schedule, limits, notifications and broker."""
    _source_arguments(create)
    _schedule_arguments(create)
    _limit_arguments(create)
    _notification_arguments(create)
    _broker_arguments(create)
    create.add_argument("--activate", action="store_true", help="activate it at once")


def _source_arguments(create: Any) -> None:
    """`deploy create`: what is deployed (a portfolio, an optimization's winner or trial), with
    how much capital and under which name."""
    source = create.add_mutually_exclusive_group(required=True)
    source.add_argument("--portfolio", metavar="PF_ID", help="a saved portfolio's weights")
    source.add_argument(
        "--optimization",
        metavar="JOB_ID",
        help="a succeeded optimization's winner ('last': the newest)",
    )
    create.add_argument("--trial", type=int, metavar="N",
                        help="with --optimization: its trial N instead of its winner")  # fmt: skip
    create.add_argument("--capital", type=float, required=True, help="currency, e.g. 100000")
    create.add_argument("--name", help="a display name (default: the source)")


def _schedule_arguments(create: Any) -> None:
    """`deploy create`: when it rebalances (a cadence or a cron expression, on a calendar)."""
    create.add_argument(
        "--every", choices=("session", "week", "month", "quarter"),
        help="rebalance each session (or every --interval sessions) or once a "
        "week/month/quarter (default: the strategy's own cadence, every rebalance_every "
        "sessions of an optimization's rule; each week for a portfolio)",
    )  # fmt: skip
    create.add_argument("--interval", type=int, metavar="N",
                        help="with --every session: sessions between fires")  # fmt: skip
    create.add_argument("--on", choices=("first", "last"), default="first",
                        help="the period's first or last session (default first)")  # fmt: skip
    create.add_argument("--at", default="15:45", help="local exchange time HH:MM (default 15:45)")
    create.add_argument("--cron", help="a cron expression instead of --every/--on/--at")
    create.add_argument("--calendar", default="XNYS", help="exchange calendar (default XNYS)")
    create.add_argument("--catch-up", choices=("latest", "all", "none"), default="latest",
                        help="what happens to fires missed while nothing ran")  # fmt: skip


def _limit_arguments(create: Any) -> None:
    """`deploy create`: the limits each rebalance keeps (turnover, trade size, cash, position,
    drawdown)."""
    for name, text in (
        ("--max-turnover", "traded value / equity allowed per run (default 1)"),
        ("--min-trade-value", "smallest trade worth making, currency (default 1)"),
        (
            "--cash-buffer",
            "fraction of equity kept in cash (default 0: the price reserve keeps buys payable)",
        ),
        (
            "--price-reserve",
            "buys stay payable if prices rise this fraction before they fill (default 0.03)",
        ),
        ("--max-position", "largest weight of one symbol (default 1)"),
        ("--max-drawdown", "pause when the account falls this far from its peak"),
    ):
        create.add_argument(name, type=float, help=text)


def _notification_arguments(create: Any) -> None:
    """`deploy create`: where its alerts go and which events besides the alerts are sent."""
    create.add_argument("--notify-email", action="append", metavar="ADDRESS",
                        help="send its alerts to this address (repeatable)")  # fmt: skip
    create.add_argument("--notify-webhook", action="append", metavar="URL",
                        help="post its alerts to this Slack-compatible webhook (repeatable)")  # fmt: skip
    create.add_argument("--notify-fills", action="store_true", help="also notify every fill")
    create.add_argument("--notify-daily", action="store_true", help="also the daily summary")
    create.add_argument(
        "--notify-tearsheets",
        action="store_true",
        help="also the links to each session's tearsheets, after the close",
    )


def _broker_arguments(create: Any) -> None:
    """`deploy create`: the broker and account it trades on, its hedge's underlying, and what a
    levered or below-benchmark winner needs to be deployed."""
    create.add_argument(
        "--cap-leverage", dest="cap_leverage", action="store_true", default=None,
        help="cap a levered winner's max_leverage at 1 (what happens by default)",
    )  # fmt: skip
    create.add_argument(
        "--no-cap-leverage", dest="cap_leverage", action="store_false", default=None,
        help="refuse a winner whose max_leverage exceeds 1 instead of capping it at 1 (the "
        "default: a cash account cannot borrow, so its leverage is capped and the spec says so)",
    )  # fmt: skip
    create.add_argument(
        "--confirm-below-benchmarks", action="store_true",
        help="deploy an optimization's winner that does not beat its benchmarks on the "
        "objective (refused without it, naming the gap)",
    )  # fmt: skip
    create.add_argument(
        "--broker", choices=("paper", "alpaca"), default="paper",
        help="paper (default): its own simulated account; alpaca: the local owner's Alpaca "
        "account (STRATIGOS_ALPACA_* settings; see docs/brokers.md)",
    )  # fmt: skip
    create.add_argument(
        "--hedge-underlying", metavar="SYMBOL",
        help="the option hedge's underlying (e.g. SPY) of a strategy with an overlay",
    )  # fmt: skip
    create.add_argument(
        "--account", metavar="NAME",
        help="share the account of this name with your other deployments on it (lowercase "
        "letters, digits and dashes): their orders are netted at each decision time "
        "(default: an account of its own)",
    )  # fmt: skip


def _switches(sub: Any) -> None:
    """`deploy list`, `kill` and the option hedges' kill switch (`hedge-kill`, `hedge-release`)."""
    sub.add_parser("list", help="the deployments, oldest first")
    kill = sub.add_parser(
        "kill", help="pause every deployment, cancel their runs and open orders at once"
    )
    kill.add_argument("--account", help="only the deployments trading this broker account")
    for action, text in (
        ("hedge-kill", "halt every option hedge and close the options they hold"),
        ("hedge-release", "let halted option hedges trade again"),
    ):
        switch = sub.add_parser(action, help=text)
        switch.add_argument("--deployment", metavar="ID", help="only this deployment's hedge")


def _actions_on_one(sub: Any) -> None:
    """The actions on one deployment (`deploy ACTION DEPLOYMENT_ID`) and their own options."""
    for action, text in (
        ("show", "what is deployed, capital, schedule and limits"),
        ("activate", "start firing the schedule"),
        ("pause", "stop firing the schedule (positions are kept)"),
        ("resume", "fire the schedule again"),
        ("retire", "end the deployment for good"),
        ("orders", "the execution queue's orders and what became of them"),
        ("hedges", "its option hedge: positions, premiums, hedge orders and dead letters"),
        ("ledger", "every fill and cash flow"),
        ("positions", "cash, positions and P&L at the last close"),
        ("performance", "the account against its backtest, drawdown, weight drift"),
        ("events", "what happened to it: lifecycle, who and why, fires, runs' outcomes"),
        ("forward-test", "paper-trade it over past market data and compare with its backtest"),
        ("export", "store the ledger as a CSV or Parquet export and write it to a file"),
    ):
        command = sub.add_parser(action, help=text)
        if action == "forward-test":
            _forward_test_arguments(command)
            continue
        command.add_argument("deployment_id")
        if action == "events":
            command.add_argument("--after", type=int, default=0, metavar="SEQ",
                                 help="only the events after this one")  # fmt: skip
            command.add_argument("--follow", action="store_true",
                                 help="keep printing new events until it is retired")  # fmt: skip
        if action == "ledger":
            command.add_argument(
                "--format", choices=("json", "csv", "parquet"),
                help="JSON rows, CSV or Parquet (default: a readable listing)",
            )  # fmt: skip
            command.add_argument(
                "--csv", dest="format", action="store_const", const="csv",
                help="the same as --format csv",
            )  # fmt: skip
            command.add_argument(
                "--output", type=Path, metavar="FILE",
                help="write to FILE instead of printing (required for parquet)",
            )  # fmt: skip
        if action == "export":
            command.add_argument("--format", choices=("csv", "parquet"), required=True,
                                 help="the file's format")  # fmt: skip
            command.add_argument("--output", type=Path, metavar="FILE", required=True,
                                 help="where to write the stored file")  # fmt: skip


def _forward_test_arguments(command: Any) -> None:
    """`deploy forward-test (DEPLOYMENT_ID | --account NAME)`: the window, what fires decide on,
    the cash's rate and the paper broker's costs."""
    command.add_argument("deployment_id", nargs="?", help="the deployment to test alone")
    command.add_argument(
        "--account", metavar="NAME",
        help="instead: test together the deployments sharing the account NAME (drafts "
        "included), on one paper account, their orders netted",
    )  # fmt: skip
    command.add_argument("--start", required=True, help="first session, YYYY-MM-DD")
    command.add_argument("--end", help="last session (default: the end of the data)")
    command.add_argument(
        "--fire-price", choices=("session_close", "previous_close"),
        default="session_close",
        help="what a fire during a session decides on: the session's close standing in "
        "for the price at the fire (default; a live run takes the latest trade), or only "
        "the closes before it (its orders then fill a session later)",
    )  # fmt: skip
    command.add_argument(
        "--cash-rate", type=float, metavar="RATE",
        help="yearly rate the paper cash earns (default: each strategy's safe rate)",
    )  # fmt: skip
    for name, text in (
        ("--slippage-bps", "basis points fills move against the order"),
        ("--commission-per-share", "commission per share filled, currency"),
        ("--commission-per-order", "commission per order, currency (on its first fill)"),
        ("--commission-bps", "commission in basis points of the value filled"),
    ):
        command.add_argument(
            name, type=float, help=f"{text} (default: STRATIGOS_EXECUTION_PAPER_*)"
        )
