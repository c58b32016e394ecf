"""`stratigos eval`: run the evaluation cases on one or more model providers and score them."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def add_eval_parser(commands: Any) -> None:
    """The `eval` command's arguments."""
    evals = commands.add_parser(
        "eval",
        help="score what models decide on the evaluation cases (evals/cases)",
        description="Run the evaluation cases (each in a temporary data directory) on each "
        "--provider and score tool calls, numbers, grounding, refusals, turns, tokens, cost and "
        "latency. Exit code 1 when any case fails. See docs/evals.md.",
    )
    evals.add_argument(
        "--case", action="append", default=[], metavar="ID", help="run this case (repeatable)"
    )
    evals.add_argument(
        "--tag", action="append", default=[], metavar="TAG", help="run cases with this tag"
    )
    evals.add_argument(
        "--provider",
        action="append",
        default=[],
        metavar="PROVIDER",
        help="offline (default), bedrock:<model-id> or openai:<model>; repeat to compare",
    )
    evals.add_argument(
        "--cases",
        type=Path,
        metavar="DIR",
        help="read the cases from DIR (*.toml) instead of the shipped evals/cases",
    )
    evals.add_argument(
        "--prices",
        type=Path,
        metavar="FILE",
        help="read model prices from FILE (the format of evals/prices.toml) instead of the "
        "shipped table",
    )
    evals.add_argument("--json", type=Path, metavar="PATH", help="also write the results as JSON")
    evals.add_argument("--html", type=Path, metavar="PATH", help="also write an HTML comparison")
    evals.add_argument("--list", action="store_true", help="list the cases and exit")


def eval_command(args: argparse.Namespace) -> int:
    """Run the selected cases on each provider; print the table; 1 when any case failed."""
    from evals.case_run import parse_provider
    from evals.cases import CASES_DIR, load_cases, select
    from evals.prices import PRICES_FILE, load_prices
    from evals.report import table, to_html, write_json
    from evals.suite import evaluate
    from settings import get_settings

    directory = args.cases or CASES_DIR
    if not directory.is_dir():
        raise ValueError(f"--cases: {directory} is not a directory")
    cases = select(load_cases(directory), ids=args.case, tags=args.tag)
    if args.list:
        for case in cases:
            print(f"{case.id}  [{', '.join(case.tags)}]  {case.description}")
        return 0
    if not cases:
        raise ValueError(f"no case has the tag(s) {', '.join(args.tag)}")
    providers = [parse_provider(text) for text in args.provider or ["offline"]]

    def progress(result: Any) -> None:
        verdict = "pass" if result.passed else "FAIL"
        print(f"{result.trace.provider} {result.case.id}: {verdict}", file=sys.stderr)

    prices = load_prices(args.prices or PRICES_FILE)
    report = evaluate(cases, providers, get_settings(), prices=prices, progress=progress)
    print(table(report))
    if args.json is not None:
        args.json.write_text(write_json(report) + "\n")
    if args.html is not None:
        args.html.write_text(to_html(report))
    return 0 if report.passed else 1
