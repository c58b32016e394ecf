"""Terminal rendering of trace events: one concise line per meaningful event.

`render_event` turns one `TraceEvent` into a line (or None for events not worth a line:
node_finished, message deltas). `TerminalRenderer` is what the CLI uses: it buffers message
deltas into whole lines prefixed with the speaking agent and prints everything else through
`render_event`. On a terminal (a TTY) progress events with a known total are drawn as one
bar that updates in place (`[optimizer] [#####-----] 120/200 trials: best objective 0.94`);
elsewhere (pipes, files, logs) each progress event is a plain line.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TextIO

from traces.schema import TraceEvent

ARGS_MAX_CHARS = 100
RESULT_MAX_CHARS = 100

_COLLECTION_NOUNS = {"universe": "tickers", "tickers": "tickers", "names": "names"}


def label(event: TraceEvent) -> str:
    """Who is working: the agent ("market analysis") or else the node name."""
    if event.agent is not None:
        return event.agent.replace("_", " ")
    return event.node or "run"


def format_number(value: float) -> str:
    """Four significant digits, no exponent for everyday magnitudes (0.9123, 12.35, 1234)."""
    if value == 0 or not (1e-4 <= abs(value) < 1e6):
        return f"{value:.4g}"
    text = f"{value:.4g}"
    return text if "e" not in text else str(round(value))


def format_value(key: str, value: Any) -> str:
    """A tool argument, short: lists of more than 3 items are counted ("20 tickers")."""
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, float):
        return format_number(value)
    if isinstance(value, int | str):
        return str(value)
    if isinstance(value, list | tuple):
        if len(value) > 3 or key in _COLLECTION_NOUNS:
            noun = _COLLECTION_NOUNS.get(key, "items")
            if len(value) == 1:
                noun = noun.removesuffix("s")
            return f"{len(value)} {noun}"
        return "[" + ", ".join(format_value("", v) for v in value) + "]"
    if isinstance(value, Mapping):
        text = json.dumps(value, separators=(",", ":"), default=str)
        return text if len(text) <= 40 else f"{{{len(value)} keys}}"
    return str(value)


def format_args(args: Mapping[str, Any], limit: int = ARGS_MAX_CHARS) -> str:
    """`k=v, k=v` for a tool call, cut to `limit` characters."""
    text = ", ".join(f"{k}={format_value(k, v)}" for k, v in args.items())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _one_line(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def is_decision(tool: str) -> bool:
    """Structured outputs are tool calls named after their schema (`MarketView`, capitalised);
    real tools have snake_case names."""
    return tool[:1].isupper()


PROGRESS_BAR_WIDTH = 20


def progress_bar(done: int, total: int, width: int = PROGRESS_BAR_WIDTH) -> str:
    """`[#####-----] 120/200`: `done` of `total` as a bar of `width` cells (clamped to 0..total)."""
    if total <= 0:
        return f"[{'-' * width}] {done}/{total}"
    filled = round(width * min(max(done, 0), total) / total)
    return f"[{'#' * filled}{'-' * (width - filled)}] {done}/{total}"


def render_progress_bar(event: TraceEvent, width: int = PROGRESS_BAR_WIDTH) -> str | None:
    """A progress event with a known total as a bar line, or None for any other event.

    Example: "[optimizer] [############--------] 120/200 trials: best objective 0.94".
    """
    data = event.data
    if event.type != "progress" or data.get("total") is None:
        return None
    line = f"[{label(event)}] {progress_bar(int(data['done']), int(data['total']), width)}"
    line += f" {data['unit']}"
    if data.get("best") is not None:
        metric = f"{data['metric']} " if data.get("metric") else ""
        line += f": best {metric}{format_number(data['best'])}"
    return line


def render_event(event: TraceEvent) -> str | None:
    """One terminal line for an event, or None when the event doesn't deserve its own line.

    Node starts inside subgraphs and node ends get no line, nor does an agent's thinking (kept
    in the trace, never shown as an answer); a structured output (a tool call named after its
    schema, e.g. `MarketView`) is said in words (`TraceEvent.text`: "The market analyst read
    the market: bull returns and normal volatility.").

    Examples: "[market analysis] calling market_statistics(universe=20 tickers)",
    "[optimizer] batch 3/4: best Sharpe 0.91", "warning: universe trimmed (universe_trimmed)".
    """
    data = event.data
    who = f"[{label(event)}]"
    match event.type:
        case "run_started":
            resumed = " (resumed)" if data.get("resumed") else ""
            return f"run {event.run_id}: {data['graph']} started{resumed}"
        case "node_started":
            if data.get("parents"):
                return None  # a subgraph's inner node: its parent's line said who works
            if event.agent is not None and event.node is not None and event.node != event.agent:
                return f"{who} working ({event.node})"
            return f"{who} working"
        case "node_finished" | "message_delta" | "reasoning":
            return None  # text is printed as it streams (`TerminalRenderer`); thinking never
        case "tool_call":
            if is_decision(data["tool"]):
                return event.text  # the decision in words ("The supervisor sent ...")
            return f"{who} calling {data['tool']}({format_args(data['args'])})"
        case "tool_result":
            tool = data.get("tool") or "tool"
            summary = _one_line(data["summary"], RESULT_MAX_CHARS)
            if data["is_error"]:
                return f"{who} {tool} failed: {summary}"
            return f"{who} {tool} -> {summary}"
        case "progress":
            total = data.get("total")
            count = f"{data['done']}/{total}" if total is not None else f"{data['done']}"
            line = f"{who} {data['unit']} {count}"
            if data.get("best") is not None:
                metric = f"{data['metric']} " if data.get("metric") else ""
                line += f": best {metric}{format_number(data['best'])}"
            return line
        case "warning" | "error":
            where = f" [{label(event)}]" if event.agent or event.node else ""
            code = f" ({data['code']})" if data.get("code") else ""
            return f"{event.type}{where}: {data['message']}{code}"
        case "run_finished":
            line = f"run {event.run_id}: {data['status']}"
            if data.get("result_id"):
                line += f" (result {data['result_id']})"
            if data.get("reason"):
                line += f" - {data['reason']}"
            return line
    return None


class TerminalRenderer:
    """Prints a run's trace to a terminal: message deltas buffered into whole lines.

    Text of one message is printed line by line as each newline arrives, prefixed with the
    agent ("[explanation] The winner ..."); the rest of a message is printed when another event
    arrives, another message starts, or on `close()`. With `quiet=True` only progress,
    warnings, errors and the run's start and end are printed (no agent text, tool calls or
    node lines).

    `progress_bar` (default: whether `out` is a TTY) draws progress events with a known total
    as a bar rewritten in place (carriage return, no newline) instead of one line each; the bar
    line is ended before any other line, before another agent's or unit's bar, and on
    `close()`.

    `summary_follows`: the command prints the run's summary, its reason included, once the
    trace ends (`stratigos optimize`, `resume`): the run's last line then gives its status
    alone, so that a failure is told once. `warnings_told` holds the messages of the warnings
    printed, which that summary leaves out: a warning is told once too.
    """

    QUIET_TYPES = frozenset({"run_started", "progress", "warning", "error", "run_finished"})

    def __init__(
        self,
        out: TextIO | Callable[[str], Any] | None = None,
        *,
        quiet: bool = False,
        progress_bar: bool | None = None,
        summary_follows: bool = False,
    ) -> None:
        if out is None:
            out = sys.stdout
        self._write: Callable[[str], Any]
        self._stream: TextIO | None = None
        if callable(out):
            self._write = out
        else:
            stream = out
            self._stream = stream

            def write(line: str) -> None:
                stream.write(line + "\n")
                stream.flush()

            self._write = write
        self.quiet = quiet
        self.summary_follows = summary_follows
        if progress_bar is None:
            progress_bar = self._stream is not None and _is_tty(self._stream)
        self.progress_bar = progress_bar and self._stream is not None
        self._bar_open = False
        self._bar_key: tuple[str, str] | None = None
        self._buffer = ""
        self._buffer_key: tuple[str | None, str | None] | None = None
        self._buffer_prefix = ""
        self.warnings_told: set[str] = set()

    def _emit(self, line: str) -> None:
        self._end_bar()
        self._write(line)

    def _end_bar(self) -> None:
        if self._bar_open and self._stream is not None:
            self._stream.write("\n")
            self._stream.flush()
        self._bar_open = False
        self._bar_key = None

    def _draw_bar(self, line: str) -> None:
        assert self._stream is not None
        self._stream.write("\r" + line + "\x1b[K")
        self._stream.flush()
        self._bar_open = True

    def _flush_text(self) -> list[str]:
        lines: list[str] = []
        if self._buffer.strip():
            lines.append(self._buffer_prefix + self._buffer.strip())
        self._buffer = ""
        self._buffer_key = None
        return lines

    def handle(self, event: TraceEvent) -> list[str]:
        """Print what the event calls for; returns the lines printed."""
        lines: list[str] = []
        if event.type == "message_delta":
            if self.quiet:
                return lines
            key = (event.data.get("message_id"), event.node)
            if key != self._buffer_key:
                lines += self._flush_text()
                self._buffer_key = key
                self._buffer_prefix = f"[{label(event)}] "
            self._buffer += event.data["text"]
            *complete, self._buffer = self._buffer.split("\n")
            lines += [self._buffer_prefix + line.strip() for line in complete if line.strip()]
        else:
            lines += self._flush_text()
            bar = render_progress_bar(event) if self.progress_bar else None
            if bar is not None:
                for text in lines:
                    self._emit(text)
                key = (label(event), str(event.data.get("unit")))
                if key != self._bar_key:
                    self._end_bar()  # another agent's or unit's bar: keep the finished one
                self._bar_key = key
                self._draw_bar(bar)
                return [*lines, bar]
            if not self.quiet or event.type in self.QUIET_TYPES:
                if self.summary_follows and event.type == "run_finished":
                    event = event.model_copy(update={"data": {**event.data, "reason": None}})
                line = render_event(event)
                if line is not None:
                    lines.append(line)
                    if event.type == "warning":
                        self.warnings_told.add(str(event.data.get("message")))
        for line in lines:
            self._emit(line)
        return lines

    def handle_all(self, events: Iterable[TraceEvent]) -> list[str]:
        """Handle several events, then print any buffered text; returns the lines printed."""
        lines: list[str] = []
        for event in events:
            lines += self.handle(event)
        lines += self.close()
        return lines

    def close(self) -> list[str]:
        """Print the rest of a buffered message (and end a progress bar's line)."""
        lines = self._flush_text()
        for line in lines:
            self._emit(line)
        self._end_bar()
        return lines


def _is_tty(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty()) if callable(isatty) else False
    except (ValueError, OSError):  # a closed stream
        return False


__all__ = [
    "TerminalRenderer",
    "format_args",
    "format_number",
    "format_value",
    "is_decision",
    "label",
    "progress_bar",
    "render_event",
    "render_progress_bar",
]
