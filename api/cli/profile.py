"""`stratigos profile show | set | exclude TERM... | include TERM...`: the command line's owner's
profile (the local owner's, as in `api.cli.deploy`; `services.profiles`). `--json` prints the
profile as JSON instead of text; `--version N` guards a change against a concurrent one (exit 2,
nothing written, when the profile is no longer at version N)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from api.cli.arguments import add_json_flag, command_group
from api.cli.local import LOCAL_OWNER, open_local_store

RESET = "none"
"""The value that resets a field to its default (`--benchmark none`)."""


def add_profile_parser(commands: Any) -> None:
    """The `profile` command and its actions."""
    sub = command_group(
        commands,
        "profile",
        help="your profile: risk tolerance, default risk limits, benchmark, universe, exclusions",
        description="The local owner's profile. Optimization requests take its universe and "
        "risk limits where they leave them unset, and a ticker it excludes never enters a "
        "portfolio. See docs/profiles.md.",
    )
    sub.add_parser("show", help="the profile (defaults when none was saved)")
    change = sub.add_parser("set", help="change fields ('none' resets one to its default)")
    change.add_argument(
        "--risk-tolerance", choices=["conservative", "moderate", "aggressive", RESET]
    )
    for name in ("max-drawdown", "cvar-95", "var-95"):
        change.add_argument(
            f"--{name}",
            type=_fraction_or_reset,
            default=argparse.SUPPRESS,  # absent unless given ('none' gives None: a reset)
            metavar="FRACTION",
            help=f"default {name.replace('-', '_')} limit, a fraction in (0, 1], e.g. 0.25",
        )
    change.add_argument("--benchmark", metavar="TICKER", help="a market data ticker, or SP500")
    change.add_argument(
        "--universe", metavar="TICKERS", help="preferred tickers, comma-separated, e.g. AAPL,KO"
    )
    change.add_argument("--base-currency", metavar="CODE", help="ISO 4217 (USD only today)")
    exclude = sub.add_parser("exclude", help="never hold these tickers or industries")
    include = sub.add_parser("include", help="remove exclusions")
    for command in (exclude, include):
        command.add_argument("terms", nargs="+", metavar="TERM", help="e.g. AMD or banks")
    add_json_flag(sub)
    for name, command in sub.choices.items():
        if name != "show":
            command.add_argument(
                "--version",
                type=int,
                metavar="N",
                dest="expected_version",
                help="change only a profile still at version N (0: none saved yet)",
            )


def _fraction_or_reset(text: str) -> float | None:
    if text.strip().lower() == RESET:
        return None
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number (or 'none')") from None


def profile_command(args: argparse.Namespace) -> int:
    """Run one `profile` action and print the profile it leaves."""
    from services.profiles import add_exclusion, get_profile, remove_exclusion, update_profile

    store = open_local_store()
    action = args.profile_command
    if action == "show":
        profile = get_profile(store, LOCAL_OWNER)
    elif action == "set":
        profile = update_profile(store, LOCAL_OWNER, _changes(args), args.expected_version)
    else:
        change = add_exclusion if action == "exclude" else remove_exclusion
        expected = args.expected_version
        for term in args.terms:
            profile = change(store, LOCAL_OWNER, term, expected)
            expected = None if expected is None else profile.version
    data = profile.model_dump(mode="json")
    print(json.dumps(data, indent=2) if args.json else describe(data))
    return 0


def _changes(args: argparse.Namespace) -> dict[str, Any]:
    """The fields `set` changes (a JSON merge patch for `services.profiles.update_profile`)."""
    changes: dict[str, Any] = {}
    if args.risk_tolerance is not None:
        changes["risk_tolerance"] = None if args.risk_tolerance == RESET else args.risk_tolerance
    given = vars(args)
    limits = {m: given[m] for m in ("max_drawdown", "cvar_95", "var_95") if m in given}
    if limits:
        changes["risk_limits"] = limits
    for name in ("benchmark", "base_currency"):
        value = getattr(args, name)
        if value is not None:
            changes[name] = None if value.strip().lower() == RESET else value
    if args.universe is not None:
        tickers = [t.strip() for t in args.universe.split(",") if t.strip()]
        changes["universe"] = None if args.universe.strip().lower() == RESET else tickers
    if not changes:
        raise ValueError("profile set: give at least one field to change (see --help)")
    return changes


def describe(data: dict[str, Any]) -> str:
    """The profile (as JSON) in a few lines of text."""
    # loaded here, not with the parser every command builds (`stratigos mcp` answers sooner)
    from services.formatting import limit_sentence
    from services.profiles import LimitValues

    limits = LimitValues.model_validate(data["risk_limits"]).limits()
    destinations = data["notifications"]["destinations"]
    saved = (
        f"version {data['version']}, updated {data['updated_at']}"
        if data["version"]
        else "not saved yet: defaults"
    )
    lines = [
        f"Profile of {data['owner']} ({saved})",
        f"  risk tolerance   {data['risk_tolerance']}",
        "  risk limits      "
        + (
            ", ".join(limit_sentence(k, v.limit, v.statistic) for k, v in limits.items())
            or "none (request defaults)"
        ),
        f"  benchmark        {data['benchmark'] or 'none'}",
        f"  universe         {', '.join(data['universe'] or []) or 'none (request defaults)'}",
        f"  exclusions       {', '.join(data['exclusions']) or 'none'}",
        f"  base currency    {data['base_currency']}",
        "  notifications    "
        + (", ".join(f"{d['channel']} {d['address']}" for d in destinations) or "none"),
    ]
    return "\n".join(lines)
