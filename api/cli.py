"""The `stratigos` command line."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from importlib.metadata import version

from quant.errors import QuantError


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the `stratigos` command."""
    parser = argparse.ArgumentParser(
        prog="stratigos",
        description="Stratigos: a multi-agent strategy assistant for dynamic asset allocation.",
    )
    parser.add_argument("--version", action="version", version=f"stratigos {version('stratigos')}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = commands.add_parser(
        "demo",
        help="HRP, risk parity, min-volatility and max-Sharpe portfolios on the embedded S&P 500 data",
        description="Estimate classic portfolios on a training window of the embedded S&P 500 data "
        "and report their risk over the following test window.",
    )
    demo.add_argument(
        "--train-start", default="2015-01-01", help="first day of the training window"
    )
    demo.add_argument("--split", default="2020-01-01", help="first day of the test window")
    demo.add_argument(
        "--end", default=None, help="last day of the test window (default: last day of data)"
    )
    demo.add_argument(
        "--risk-free-rate",
        type=float,
        default=0.02,
        help="annual risk-free rate, e.g. 0.02 for 2%%",
    )
    demo.add_argument("--json", action="store_true", help="print machine-readable JSON")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        if args.command == "demo":
            return _demo(args)
    except QuantError as exc:
        print(f"stratigos {args.command}: error: {exc}", file=sys.stderr)
        return 1
    parser.error(f"unknown command {args.command}")
    return 2


def _demo(args: argparse.Namespace) -> int:
    from api.demo import format_demo, run_demo

    result = run_demo(
        train_start=args.train_start,
        split=args.split,
        end=args.end,
        risk_free_rate=args.risk_free_rate,
    )
    if args.json:
        payload = {
            "train": result.train,
            "test": result.test,
            "risk_free_rate": result.risk_free_rate,
            "weights": result.weights.to_dict(),
            "risk": result.risk.T.to_dict(),
        }
        print(json.dumps(payload, indent=2))
    else:
        print(format_demo(result))
    return 0
