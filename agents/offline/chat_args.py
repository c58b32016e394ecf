"""The tool arguments of a chat message beyond its universe and window: the efficient
frontier's points and cap, the scenarios' names, paths and horizon; and whether a message
compares the conversation's portfolio with another method."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from agents.offline.chat_intent import rate_args, thread_subject, window_args
from agents.offline.intent import Intent
from agents.offline.intent.amounts import horizon_sessions
from agents.offline.policies import PolicyInput
from settings import patterns

_PATHS = patterns.compile(r"\b(\d[\d,]*)\s*(?:simulated\s+)?(?:paths|simulations|sims|draws)\b")


def scenario_args(intent: Intent, subject: Sequence[str]) -> dict[str, Any]:
    """`generate_market_scenarios` arguments: the window and universe, the scenarios named,
    the paths (200 unless stated) and the horizon the message states."""
    args: dict[str, Any] = {**window_args(intent, tuple(subject)), "n_paths": 200}
    if match := _PATHS.search(intent.text.lower()):
        args["n_paths"] = min(5000, max(1, int(match.group(1).replace(",", ""))))
    if intent.scenarios:
        args["names"] = list(intent.scenarios)
    if (horizon := horizon_sessions(intent.text.lower())) is not None:
        args["horizon"] = horizon
    return args


COMPARES_WITH = patterns.compile(
    r"\b(?:compar\w*|vs\.?|versus|against|side by side)\b.*\b(?:it|that|this|them|those)\b"
    r"|\b(?:it|that|this|them|those)\b.*\b(?:compar\w*|vs\.?|versus|against)\b",
    re.IGNORECASE,
)
"""A message comparing the conversation's portfolio with another method ("compare it with
HRP", "how does that stack up against risk parity")."""


_POINTS = patterns.compile(r"\b(\d{1,3})\s*(?:points|portfolios)\b")


def frontier_args(intent: Intent, inp: PolicyInput) -> dict[str, Any]:
    """`efficient_frontier` arguments: the window and universe, the points asked for (10 by
    default) and the cap on every weight the message states."""
    match = _POINTS.search(intent.text.lower())
    points = int(match.group(1)) if match and 2 <= int(match.group(1)) <= 100 else 10
    args: dict[str, Any] = {
        **window_args(intent, thread_subject(inp)),
        **rate_args(intent),
        "points": points,
    }
    if intent.limits.max_weight is not None:
        args["max_weight"] = intent.limits.max_weight
    return args
