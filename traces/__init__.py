"""Trace events: one versioned, sequence-numbered schema for everything a run reports.

A run's trace is a list of `TraceEvent`s with `seq` 1, 2, 3, ... (gap-free, strictly increasing).
The CLI prints them (`api.reports.terminal`), the API streams them and the store keeps them as
JSON lines. `docs/trace-events.md` documents the schema; `traces.schema` is its reference
implementation.

Events come from three places:

* `TraceRecorder.events_from_chunk` converts the items of
  `graph.astream(input, config, stream_mode=["updates", "messages", "custom"], subgraphs=True)`
  (also `stream`, without `subgraphs`, and LangGraph's `version="v2"` dict parts);
* graph nodes (and tools running inside them) write dicts with LangGraph's stream writer —
  `graphs.emit` (`emit_node_started`, `emit_progress`, `emit_warning`, `emit_error`) does it for
  nodes, code below `graphs/` writes the same dicts itself (see `docs/trace-events.md`);
* the code driving the run calls `run_started`, `run_finished`, `warning` and `error`.

Modules: `traces.schema` (the event and its data shapes), `traces.jsonl` (JSON lines I/O),
`traces.text` (message text and summaries), `traces.recorder` (`TraceRecorder`),
`traces.running_nodes` (the node executions under way, which the recorder reports) and
`traces.tracelog` (a run's trace file and event sink).
"""
