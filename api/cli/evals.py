"""`stratigos eval`: run the evaluation cases on one or more model providers and score them."""

from __future__ import annotations

import argparse
import json
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
        "latency. Exit code 1 when any case fails, or with --baseline when any case or scorer "
        "does worse than the baseline. See docs/evals.md.",
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
        help="offline (default), bedrock:<model-id>, bedrock:current, bedrock:previous (a Claude "
        "generation's strong and fast models) or openai:<model>; repeat to compare",
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
        help='read model prices from FILE (TOML: date, source, [models."<id>"] input, output, '
        "cache_read, cache_write) instead of the model catalog's",
    )
    evals.add_argument(
        "--repeat",
        type=int,
        default=1,
        metavar="N",
        help="run each case N times and report pass rates (for providers that are not "
        "deterministic)",
    )
    evals.add_argument(
        "--baseline",
        type=Path,
        metavar="FILE",
        help="compare with this baseline (evals/baseline.json: the offline model's) and exit 1 on "
        "any regression of a case or a scorer",
    )
    evals.add_argument(
        "--write-baseline",
        type=Path,
        metavar="FILE",
        help="write this run's pass rates as a baseline",
    )
    evals.add_argument("--json", type=Path, metavar="PATH", help="also write the results as JSON")
    evals.add_argument("--html", type=Path, metavar="PATH", help="also write an HTML comparison")
    evals.add_argument("--list", action="store_true", help="list the cases and exit")


def eval_command(args: argparse.Namespace) -> int:
    """Run the selected cases on each provider; print the table; 1 when any case failed."""
    from evals.baseline import baseline_of, load_baseline, regressions
    from evals.case_run import parse_provider
    from evals.cases import CASES_DIR, load_cases, select
    from evals.prices import catalog_prices, load_prices
    from evals.report import table, to_html, write_json
    from evals.suite import evaluate
    from settings import get_settings
    from settings.files import write_atomic

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
    baseline = load_baseline(args.baseline) if args.baseline is not None else None
    check_providers(providers)

    def progress(result: Any) -> None:
        verdict = "pass" if result.passed else "FAIL"
        print(f"{result.trace.provider} {result.case.id}: {verdict}", file=sys.stderr)

    prices = load_prices(args.prices) if args.prices is not None else catalog_prices()
    report = evaluate(
        cases, providers, get_settings(), prices=prices, progress=progress, repeat=args.repeat
    )
    print(table(report))
    if args.json is not None:
        write_atomic(args.json, write_json(report) + "\n", mode=None)
    if args.html is not None:
        write_atomic(args.html, to_html(report), mode=None)
    if args.write_baseline is not None:
        baseline_text = json.dumps(baseline_of(report), indent=2) + "\n"
        write_atomic(args.write_baseline, baseline_text, mode=None)
    if baseline is None:
        return 0 if report.passed else 1
    worse = regressions(report, baseline, subset=bool(args.case or args.tag))
    if worse:
        print(f"\nRegressions against {args.baseline}:", *(f"  {w}" for w in worse), sep="\n")
        return 1
    print(f"\nNo regression against {args.baseline}.")
    return 0


def check_providers(providers: list[Any]) -> None:
    """Refuse, before any case runs, a Bedrock provider whose models the model catalog says
    cannot work (`agents.model_checks`, as every model command does)."""
    from agents.model_checks import check_model_settings
    from evals.case_run import provider_settings
    from settings import get_settings

    base = get_settings()
    for provider in providers:
        if provider.kind == "bedrock":
            check_model_settings(provider_settings(base, provider, base.data_dir))
