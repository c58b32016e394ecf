"""Grounding checks: every number an explanation cites must appear in the results it explains,
and every passage an answer cites must be one the research search returned, holding the numbers
quoted with it (`citation_problems`).

Numbers are read from the text as written ("12.5%", "0.91", "1,234", "-3.2 %"); a percentage
stands for its fraction too (12.5% matches 0.125). A cited number is grounded when some number in
the facts equals it after rounding the fact to the cited number's decimals (0.9134 grounds "0.91"
and "91.3%"). Small integers 0-10 used as counts or ordinals ("3 scenarios", "top 5") and years
are exempt, since they are words more than measurements.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.messages import BaseMessage, ToolMessage

_NUMBER = re.compile(
    r"(?<![\w.])(?P<sign>[-+−]?)(?P<int>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<frac>\d+))?"
    r"(?P<pct>\s?(?:%|percent\b))?"
)


@dataclass(frozen=True)
class CitedNumber:
    """A number as written in a text: its value, decimals shown, and whether it was a percent."""

    text: str
    value: float
    decimals: int
    percent: bool


def cited_numbers(text: str) -> list[CitedNumber]:
    """Every number written in `text`, in order."""
    found = []
    for match in _NUMBER.finditer(text):
        digits = match.group("int").replace(",", "")
        frac = match.group("frac") or ""
        value = float(f"{digits}.{frac}" if frac else digits)
        if match.group("sign") in ("-", "−"):
            value = -value
        found.append(
            CitedNumber(
                text=match.group(0).strip(),
                value=value,
                decimals=len(frac),
                percent=match.group("pct") is not None,
            )
        )
    return found


def fact_numbers(facts: Any) -> list[float]:
    """Every finite number found in a nested structure of dicts, lists and scalars."""
    out: list[float] = []

    def walk(value: Any) -> None:
        if isinstance(value, bool):
            return
        if isinstance(value, (int, float)):
            if math.isfinite(float(value)):
                out.append(float(value))
        elif isinstance(value, Mapping):
            for item in value.values():
                walk(item)
        elif isinstance(value, (list, tuple)):
            for item in value:
                walk(item)
        elif isinstance(value, str):
            out.extend(n.value for n in cited_numbers(value))

    walk(facts)
    return out


def _exempt(number: CitedNumber) -> bool:
    if number.percent or number.decimals:
        return False
    value = abs(number.value)
    return value <= 10 or 1900 <= value <= 2100


def _matches(number: CitedNumber, facts: Iterable[float]) -> bool:
    targets = [number.value / 100.0, number.value] if number.percent else [number.value]
    for target in targets:
        decimals = number.decimals + (2 if number.percent and target != number.value else 0)
        tolerance = 0.5 * 10.0 ** (-decimals) * (1 + 1e-9)
        for fact in facts:
            for candidate in (fact, abs(fact)) if target >= 0 else (fact,):
                if abs(candidate - target) <= tolerance:
                    return True
    return False


def ungrounded_numbers(text: str, facts: Any) -> list[str]:
    """The numbers cited in `text` that no number in `facts` supports (as written)."""
    values = fact_numbers(facts)
    return [n.text for n in cited_numbers(text) if not _exempt(n) and not _matches(n, values)]


_CITATION = re.compile(
    r"\((?P<name>[^()\n]+?\.(?:pdf|xlsx|csv|json|md|markdown|txt|text))(?:, (?P<where>[^()\n]+))?\)",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def _normalised(citation: str) -> str:
    """A citation as `research.citations.cite` writes it ("page 3" read as "p. 3")."""
    return re.sub(r"\bpages?\s+(?=\d)", "p. ", " ".join(citation.split()))


def citation_problems(text: str, passages: Sequence[Mapping[str, Any]]) -> list[str]:
    """What is wrong with the passages `text` cites, given the passages the research search
    returned (each with its `citation` and `text`): a citation of a passage that was not
    returned, and a number quoted before a citation (since the previous citation or sentence
    end) that the cited passage does not hold (`ungrounded_numbers`). Empty when all is well."""
    known = {_normalised(str(p["citation"])): str(p["text"]) for p in passages}
    problems: list[str] = []
    start = 0
    for match in _CITATION.finditer(text):
        sentence_start = max(
            (m.end() for m in _SENTENCE_END.finditer(text, start, match.start())), default=start
        )
        claim = text[sentence_start : match.start()]
        start = match.end()
        citation = _normalised(match.group(0))
        if citation not in known:
            problems.append(f"{match.group(0)} is not a passage the search returned")
            continue
        for number in ungrounded_numbers(claim, known[citation]):
            problems.append(f"{number} is not in {match.group(0)}")
    return problems


def research_passages(messages: Sequence[BaseMessage]) -> list[dict[str, Any]]:
    """Every passage the `search_research` tool returned in `messages`, in order."""
    passages: list[dict[str, Any]] = []
    for message in messages:
        if isinstance(message, ToolMessage) and message.name == "search_research":
            try:
                result = json.loads(message.text)
            except json.JSONDecodeError:
                continue  # an error message, not a result
            if isinstance(result, dict):
                passages += [p for p in result.get("passages") or [] if isinstance(p, dict)]
    return passages
