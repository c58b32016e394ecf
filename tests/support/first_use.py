"""A process that opens lazily set-up stores with many threads at once, for the concurrent
first-use tests (`tests/store/test_concurrent_first_use.py`).

`python -m tests.support.first_use THREADS` serves every test of the module, one after the
other, reading commands from stdin (one a line):

- ``prepare KIND`` imports what KIND needs and prints ``ready``: the parent sends it to every
  process and waits for them all, so that no process is still importing when the race starts.
- ``open DATA_DIR`` (sent to every process at once, once they are all ready) starts THREADS
  threads that wait for one another (`threading.Barrier`) and then each open the prepared KIND
  in DATA_DIR and write one record of their own; the process prints a JSON list of the errors
  (``"<ExceptionType>: <message>"``; empty when every thread succeeded).

KIND is one of `OPENERS`. One set of processes serves every KIND, each importing a KIND's
modules once, rather than a new set of interpreters per test.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import threading
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from settings import ModelSettings, Settings, get_settings

OWNER = "alice"


def _settings(data_dir: Path) -> Settings:
    return Settings(data_dir=data_dir, models=ModelSettings(provider="offline"))


def _store(data_dir: Path, name: str) -> None:
    """The SQLite store (its schema created or upgraded on open), and a job submitted."""
    from store.sqlite import SQLiteStore

    store = SQLiteStore(data_dir / "store.sqlite")
    try:
        store.submit_job(OWNER, "first-use", {}, idempotency_key=name)
    finally:
        store.close()


def _memories(data_dir: Path, name: str) -> None:
    """The long-term memory store (LangGraph's `SqliteStore`), and one memory put."""
    from store.memories import memory_namespace, memory_store

    with memory_store(_settings(data_dir)) as memories:
        memories.put(memory_namespace(OWNER), name, {"text": name})


def _checkpoints(data_dir: Path, name: str) -> None:
    """The checkpointer (LangGraph's `SqliteSaver`), and one checkpoint put."""
    from langgraph.checkpoint.base import empty_checkpoint

    from store.checkpoints import checkpointer

    with checkpointer(_settings(data_dir)) as saver:
        config = {"configurable": {"thread_id": name, "checkpoint_ns": ""}}
        saver.put(config, empty_checkpoint(), {}, {})  # type: ignore[arg-type]


def _platform(data_dir: Path, name: str) -> None:
    """The `langgraph dev` memory store and checkpointer (async, `store.platform`), one memory
    put through the store."""
    import asyncio

    from store.memories import memory_namespace
    from store.platform import checkpoints, memories

    async def both() -> None:
        async with memories() as store, checkpoints():
            await store.aput(memory_namespace(OWNER), name, {"text": name})

    asyncio.run(both())


def _research(data_dir: Path, name: str) -> None:
    """The research index (LanceDB): the owner's table created, one chunk added and indexed."""
    from research.embeddings import HashingEmbedder
    from research.index import IndexedChunk, ResearchIndex

    index = ResearchIndex(str(data_dir / "research-index"), HashingEmbedder())
    chunk = IndexedChunk(name, f"{name}.md", 0, {"page": 1}, f"bonds {name}", datetime.now(UTC))
    index.add(OWNER, [chunk])


OPENERS: dict[str, Callable[[Path, str], None]] = {
    "store": _store,
    "memories": _memories,
    "checkpoints": _checkpoints,
    "platform": _platform,
    "research": _research,
}
"""What a thread opens, by KIND; each writes one record named after the process and thread."""

PRELOAD = {
    "store": ("store.sqlite",),
    "memories": ("store.memories", "langgraph.store.sqlite"),
    "checkpoints": ("store.checkpoints", "langgraph.checkpoint.sqlite"),
    "platform": ("store.platform",),
    "research": ("research.index", "lancedb"),
}
"""The modules each KIND imports before ``ready`` (so that the threads start together)."""


def _round(kind: str, threads: int, data_dir: Path) -> list[str]:
    """Open KIND in `data_dir` from `threads` threads released together; their errors."""
    if kind == "platform":  # `store.platform` reads the process's settings
        os.environ["STRATIGOS_DATA_DIR"] = str(data_dir)
        get_settings.cache_clear()
    barrier = threading.Barrier(threads)
    errors: list[str] = []

    def one(number: int) -> None:
        barrier.wait()
        try:
            OPENERS[kind](data_dir, f"p{os.getpid()}-t{number}")
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}")

    started = [threading.Thread(target=one, args=(n,)) for n in range(threads)]
    for thread in started:
        thread.start()
    for thread in started:
        thread.join()
    return errors


def main(argv: list[str]) -> int:
    threads = int(argv[0])
    kind = None
    for line in sys.stdin:
        command, _, argument = line.strip().partition(" ")
        if command == "prepare":
            kind = argument
            for module in PRELOAD[kind]:
                importlib.import_module(module)
            print("ready", flush=True)
        elif command == "open" and kind is not None:
            print(json.dumps(_round(kind, threads, Path(argument))), flush=True)
        else:
            raise SystemExit(f"first_use: unexpected command {line!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
