"""Whether a strategy found by a search beats the benchmarks the search scored on the same
simulated paths (equal-weight buy-and-hold, equal weights rebalanced, the risky sleeve, the
market index: `graphs.optimization_edge`), on the search's own objective: the result's
`benchmark_verdict`, what results, reports, the command line and the chat say first when it
does not, and what a deployment of such a strategy must confirm
(`trading.deployments`: `confirm_below_benchmarks`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.formatting import BENCHMARKS, ratio


def benchmark_verdict(edge: Mapping[str, Any], subject: str = "The winner") -> dict[str, Any]:
    """Whether the winner (`edge["winner"]`: its objective; `subject` names it in the words)
    beats every benchmark the result computed (`edge["scores"]`: the same objective on the
    same paths), the result's `benchmark_verdict`: `beats` (None when no benchmark could be
    scored), the `objective`, the `winner`'s score, each benchmark's score
    and its `gap` (winner minus benchmark; negative: the benchmark scores higher), those the
    winner does not beat (`below`, highest first) and the verdict in words (`words`), which
    results, reports, the command line and the chat say first when the winner does not beat
    them, and which a deployment of the winner must confirm (`confirm_below_benchmarks`)."""
    scores: Mapping[str, float] = edge.get("scores") or {}
    winner = float(edge["winner"])
    rows: list[dict[str, Any]] = [
        {"name": name, "label": BENCHMARKS.get(name, name), "score": score, "gap": winner - score}
        for name, score in sorted(scores.items(), key=lambda kv: -kv[1])
    ]
    below = [row for row in rows if not row["gap"] > 0]
    if not rows:
        words = (
            f"No benchmark could be scored on these paths, so {subject.lower()} is not compared."
        )
        beats: bool | None = None
    elif below:
        beats = False
        worst = below[0]
        others = "".join(f"; {r['label']} {ratio(r['score'])}" for r in below[1:])
        words = (
            f"{subject} does not beat {worst['label']} on the objective: "
            f"{ratio(winner)} against {ratio(worst['score'])} (a gap of "
            f"{ratio(-worst['gap'])}{others}) on the same simulated paths. Holding the stocks "
            "did as well; deploy it only if you have another reason to."
        )
    else:
        beats = True
        words = (
            f"{subject} beats every benchmark on the objective: {ratio(winner)} against "
            + ", ".join(f"{r['label']} {ratio(r['score'])}" for r in rows)
            + "."
        )
    return {
        "beats": beats,
        "objective": edge.get("objective"),
        "winner": winner,
        "benchmarks": rows,
        "below": [row["name"] for row in below],
        "words": words,
    }
