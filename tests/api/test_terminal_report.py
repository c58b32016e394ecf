"""Terminal lines produced from trace events."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

import pytest

from api.reports.terminal import TerminalRenderer, format_args, format_number, render_event
from traces.recorder import TraceRecorder
from traces.schema import TraceEvent

TS = datetime(2026, 1, 2, tzinfo=UTC)
_seq = iter(range(1, 10_000))


def ev(
    type_: str, data: dict[str, Any], agent: str | None = None, node: str | None = None
) -> TraceEvent:
    return TraceEvent.model_validate(
        {"run_id": "run-7", "seq": next(_seq), "ts": TS, "type": type_, "agent": agent}
        | {"node": node, "data": data}
    )


TICKERS = [f"T{i}" for i in range(20)]


def test_tool_call_line() -> None:
    e = ev(
        "tool_call",
        {"tool": "market_statistics", "args": {"universe": TICKERS}, "call_id": "c"},
        agent="market_analysis",
        node="market_analysis",
    )
    assert render_event(e) == "[market analysis] calling market_statistics(universe=20 tickers)"


def test_tool_call_args_are_short() -> None:
    args = {
        "method": "hrp",
        "max_weight": 0.25,
        "risk_free_rate": 0.0,
        "names": ["bull", "bear"],
        "space": {"a": {"low": 1, "high": 2}, "b": {"low": 0.1, "high": 0.9}, "c": [1, 2, 3]},
        "universe": ["AAPL"],
        "flag": True,
    }
    text = format_args(args, limit=1000)
    assert text == (
        "method=hrp, max_weight=0.25, risk_free_rate=0, names=2 names, "
        "space={3 keys}, universe=1 ticker, flag=True"
    )
    assert len(format_args({"x": "y" * 500})) == 100
    assert format_args({"x": "y" * 500}).endswith("…")
    assert format_args({"pair": [1, 2.5]}) == "pair=[1, 2.5]"


def test_progress_lines() -> None:
    e = ev(
        "progress",
        {"done": 3, "total": 4, "unit": "batch", "best": 0.9132, "metric": "Sharpe"},
        agent="optimizer",
    )
    assert render_event(e) == "[optimizer] batch 3/4: best Sharpe 0.9132"
    e = ev("progress", {"done": 150, "total": 200}, agent="optimizer")
    assert render_event(e) == "[optimizer] trials 150/200"
    e = ev("progress", {"done": 7, "best": 1.25}, node="search")
    assert render_event(e) == "[search] trials 7: best 1.25"


def test_tool_result_lines() -> None:
    ok = ev(
        "tool_result",
        {
            "tool": "optimize_portfolio",
            "call_id": "c",
            "summary": '{"portfolio_id":\n "pf_1"}',
            "is_error": False,
        },
        agent="risk_manager",
    )
    assert render_event(ok) == '[risk manager] optimize_portfolio -> {"portfolio_id": "pf_1"}'
    bad = ev(
        "tool_result",
        {
            "tool": "backtest_strategy",
            "call_id": "c",
            "summary": "Error: " + "z" * 300,
            "is_error": True,
        },
        agent="optimizer",
    )
    line = render_event(bad)
    assert line is not None and line.startswith("[optimizer] backtest_strategy failed: Error: zz")
    assert line.endswith("…") and len(line) == len("[optimizer] backtest_strategy failed: ") + 100


def test_warning_error_and_run_lines() -> None:
    assert render_event(
        ev("warning", {"message": "numbers not grounded", "code": "grounding"})
    ) == ("warning: numbers not grounded (grounding)")
    assert render_event(ev("warning", {"message": "slow"}, agent="explanation")) == (
        "warning [explanation]: slow"
    )
    assert render_event(ev("error", {"message": "boom", "code": "SolverError"}, node="batch")) == (
        "error [batch]: boom (SolverError)"
    )
    assert render_event(ev("run_started", {"graph": "optimization"})) == (
        "run run-7: optimization started"
    )
    assert render_event(ev("run_started", {"graph": "optimization", "resumed": True})) == (
        "run run-7: optimization started (resumed)"
    )
    assert (
        render_event(
            ev(
                "run_finished",
                {"status": "partial", "result_id": "res_9", "reason": "budget spent"},
            )
        )
        == "run run-7: partial (result res_9) - budget spent"
    )


def test_node_lines() -> None:
    assert render_event(ev("node_started", {}, agent="optimizer", node="run_batch")) == (
        "[optimizer] working (run_batch)"
    )
    assert render_event(ev("node_started", {}, agent="optimizer", node="optimizer")) == (
        "[optimizer] working"
    )
    assert render_event(ev("node_started", {}, node="validate")) == "[validate] working"
    assert render_event(ev("node_finished", {"keys": []}, node="validate")) is None
    assert render_event(ev("message_delta", {"text": "hi"}, agent="optimizer")) is None


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.91, "0.91"),
        (0.912345, "0.9123"),
        (12.3456, "12.35"),
        (1234.5, "1234"),
        (0.0, "0"),
        (123456.0, "123456"),
        (-0.05, "-0.05"),
    ],
)
def test_format_number(value: float, text: str) -> None:
    assert format_number(value) == text


def _deltas(
    recorder: TraceRecorder, message_id: str, node: str, pieces: list[str]
) -> list[TraceEvent]:
    from langchain_core.messages import AIMessageChunk

    out: list[TraceEvent] = []
    for piece in pieces:
        chunk = AIMessageChunk(content=piece, id=message_id)
        out += recorder.events_from_chunk(((), "messages", (chunk, {"langgraph_node": node})))
    return out


def test_terminal_renderer_buffers_deltas_into_lines() -> None:
    recorder = TraceRecorder("run-r")
    events = [recorder.run_started("optimization")]
    events += _deltas(
        recorder, "m1", "explanation", ["The win", "ner had ", "Sharpe 0.91.\nIt", " was robust."]
    )
    events += [recorder.warning("fallback used", "grounding")]
    events += _deltas(recorder, "m2", "supervisor", ["Routing to ", "the optimizer"])
    events += _deltas(recorder, "m3", "supervisor", ["Done."])
    buf = io.StringIO()
    renderer = TerminalRenderer(buf)
    lines = renderer.handle_all(events)
    assert lines == [
        "run run-r: optimization started",
        "[explanation] working",
        "[explanation] The winner had Sharpe 0.91.",
        "[explanation] It was robust.",
        "warning: fallback used (grounding)",
        "[supervisor] working",
        "[supervisor] Routing to the optimizer",
        "[supervisor] Done.",
    ]
    assert buf.getvalue() == "\n".join(lines) + "\n"


def test_terminal_renderer_prints_complete_lines_immediately() -> None:
    recorder = TraceRecorder("run-r")
    printed: list[str] = []
    renderer = TerminalRenderer(printed.append)
    for e in _deltas(recorder, "m1", "explanation", ["line one\nline", " two"]):
        renderer.handle(e)
    assert printed == ["[explanation] working", "[explanation] line one"]
    renderer.close()
    assert printed[-1] == "[explanation] line two"


def test_quiet_renderer() -> None:
    recorder = TraceRecorder("run-q")
    events = [recorder.run_started("optimization")]
    events += _deltas(recorder, "m1", "optimizer", ["thinking about it"])
    events += recorder.events_from_chunk(
        (
            (),
            "custom",
            {"type": "progress", "done": 1, "total": 2, "unit": "batch", "node": "optimizer"},
        )
    )
    events += recorder.events_from_chunk(
        ((), "custom", {"type": "warning", "message": "w", "node": "optimizer"})
    )
    events += recorder.run_finished("succeeded", result_id="res_1")
    printed: list[str] = []
    TerminalRenderer(printed.append, quiet=True).handle_all(events)
    assert printed == [
        "run run-q: optimization started",
        "[optimizer] batch 1/2",
        "warning [optimizer]: w",
        "run run-q: succeeded (result res_1)",
    ]


def test_nested_node_and_decision_lines() -> None:
    inner = ev("node_started", {"parents": ["analyse"]}, agent="market_analysis", node="model")
    assert render_event(inner) is None
    decision = ev(
        "tool_call",
        {"tool": "MarketView", "args": {"horizon": 252, "return_regime": "bull"}, "call_id": "c"},
        agent="market_analysis",
    )
    assert render_event(decision) == (
        "The market analyst read the market: bull returns and unclear volatility."
    )


def test_docs_example_parses_and_renders_as_documented() -> None:
    """docs/trace-events.md: the JSON-lines example is a valid trace and the terminal block is
    what TerminalRenderer prints for it."""
    import re
    from pathlib import Path

    from traces.jsonl import check_sequence, read_jsonl

    doc = (Path(__file__).resolve().parents[2] / "docs" / "trace-events.md").read_text("utf-8")
    json_block = re.search(r"```json\n(.*?)```", doc, re.S)
    text_block = re.search(r"prints this as:\n\n```\n(.*?)```", doc, re.S)
    assert json_block is not None and text_block is not None
    events = read_jsonl(json_block.group(1).splitlines())
    check_sequence(events)
    printed: list[str] = []
    TerminalRenderer(printed.append).handle_all(events)
    assert printed == text_block.group(1).strip().splitlines()
