"""SageMaker Processing container entry point: `python -m jobs.entrypoint [--root /]`.

Inside the container (paths relative to `--root`, default `/`):

- input: `opt/ml/processing/input/` holds shard documents (`*.json`, `BatchShard.to_json()`),
  searched recursively. With `S3DataDistributionType=ShardedByS3Key`, SageMaker itself splits
  the input prefix's objects across the job's instances before the container starts, so each
  instance sees only its own shards and evaluates everything in its input directory. With
  `FullyReplicated` inputs, `--split-by-host` makes each instance take every n-th shard file
  (sorted by path) by its position in `hosts`.
- `opt/ml/config/resourceconfig.json`: `{"current_host": "algo-1", "hosts": ["algo-1", ...]}`
  (absent outside SageMaker: one host, "algo-1").
- output: `opt/ml/processing/output/`, uploaded by SageMaker at the end of the job. For an input
  `<name>.json` it writes `<name>.result.json` (`ShardResult.to_json()`) or, when the shard
  failed, `<name>.error.json` (`{"shard_id", "file", "host", "reason"}`), and
  `_hosts/<current_host>.json` listing the files this host processed.

`python -m jobs.entrypoint serve` (how SageMaker starts a serving container: the image's entry
point with the argument `serve`) hands over to the module `SERVE_MODULE` names, the instant
estimates' serving entry point (its `main`), found by name: `jobs/` never imports `api/`.

A failing shard does not stop the others: its error file reports it and the backend raises
`ShardError` when collecting. The exit status is 0 once every shard file was processed, 1 when
the input directory is missing or the output cannot be written, 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jobs.batches import SCHEMA_VERSION, BatchShard, run_shard
from jobs.compute_errors import ShardError, describe_exception
from jobs.privileges import drop_root
from settings.files import write_atomic
from settings.process_exit import exit_process

INPUT_DIR = "opt/ml/processing/input"
OUTPUT_DIR = "opt/ml/processing/output"
RESOURCE_CONFIG = "opt/ml/config/resourceconfig.json"
SERVE = "serve"
SERVE_MODULE = "api.estimates_endpoint"
"""The serving entry point `serve` starts (its `main()`)."""
RESULT_SUFFIX = ".result.json"
ERROR_SUFFIX = ".error.json"
HOSTS_DIR = "_hosts"


@dataclass(frozen=True)
class HostInfo:
    """This instance's name and every instance's name (from resourceconfig.json)."""

    current_host: str = "algo-1"
    hosts: tuple[str, ...] = ("algo-1",)

    @property
    def index(self) -> int:
        """Position of `current_host` in `hosts`."""
        return self.hosts.index(self.current_host)


def read_host_info(root: Path) -> HostInfo:
    """`HostInfo` from `<root>/opt/ml/config/resourceconfig.json` (defaults when absent)."""
    path = root / RESOURCE_CONFIG
    if not path.exists():
        return HostInfo()
    doc = json.loads(path.read_text())
    current = str(doc.get("current_host", "algo-1"))
    hosts = tuple(str(h) for h in doc.get("hosts", [current])) or (current,)
    if current not in hosts:
        raise ValueError(f"{path}: current_host {current!r} is not among hosts {list(hosts)}")
    return HostInfo(current, hosts)


def shard_files(input_dir: Path, host: HostInfo | None = None) -> list[Path]:
    """The shard documents under `input_dir`, sorted by path; with `host`, only every
    len(hosts)-th one starting at the host's index (`--split-by-host`)."""
    files = sorted(p for p in input_dir.rglob("*.json") if p.is_file())
    if host is not None:
        files = files[host.index :: len(host.hosts)]
    return files


@dataclass(frozen=True)
class Summary:
    """What one run of the entry point did."""

    host: str
    processed: tuple[str, ...]
    failed: tuple[str, ...]
    elapsed_s: float


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, text, mode=None)


def process(
    root: Path | str = "/",
    *,
    input_dir: Path | str | None = None,
    output_dir: Path | str | None = None,
    split_by_host: bool = False,
) -> Summary:
    """Evaluate every shard file of this host and write its result or error file."""
    started = time.perf_counter()
    base = Path(root)
    source = Path(input_dir) if input_dir is not None else base / INPUT_DIR
    target = Path(output_dir) if output_dir is not None else base / OUTPUT_DIR
    host = read_host_info(base)
    if not source.is_dir():
        raise FileNotFoundError(f"input directory {source} does not exist")
    files = shard_files(source, host if split_by_host else None)
    target.mkdir(parents=True, exist_ok=True)
    processed: list[str] = []
    failed: list[str] = []
    for path in files:
        stem = path.relative_to(source).as_posix()[: -len(".json")].replace("/", "__")
        shard_id: str | None = None
        try:
            doc = json.loads(path.read_text())
            shard_id = str(doc.get("shard_id")) if isinstance(doc, dict) else None
            shard = BatchShard.from_dict(doc)
            result = run_shard(shard, host=host.current_host)
            _write(target / f"{stem}{RESULT_SUFFIX}", result.to_json())
        except Exception as exc:
            reason = exc.reason if isinstance(exc, ShardError) else describe_exception(exc)
            error = {
                "schema": SCHEMA_VERSION,
                "shard_id": shard_id,
                "file": path.name,
                "host": host.current_host,
                "reason": reason,
            }
            _write(target / f"{stem}{ERROR_SUFFIX}", json.dumps(error))
            print(f"shard {shard_id or path.name!r} failed: {reason}", file=sys.stderr)
            failed.append(path.name)
        processed.append(path.name)
    elapsed = time.perf_counter() - started
    manifest: dict[str, Any] = {
        "host": host.current_host,
        "hosts": list(host.hosts),
        "files": processed,
        "failed": failed,
        "elapsed_s": elapsed,
    }
    _write(target / HOSTS_DIR / f"{host.current_host}.json", json.dumps(manifest))
    return Summary(host.current_host, tuple(processed), tuple(failed), elapsed)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point; returns the exit status."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == [SERVE]:
        import importlib

        drop_root([])  # SageMaker starts it as root (jobs.privileges); it writes only /tmp
        serve: Any = importlib.import_module(SERVE_MODULE)
        return int(serve.main(arguments[1:]))
    parser = argparse.ArgumentParser(
        prog="python -m jobs.entrypoint",
        description="Evaluate the sweep-batch shards of this SageMaker Processing instance.",
    )
    parser.add_argument("--root", default="/", help="filesystem root of the container layout")
    parser.add_argument(
        "--input", default=None, help=f"shard directory (default <root>/{INPUT_DIR})"
    )
    parser.add_argument(
        "--output", default=None, help=f"output directory (default <root>/{OUTPUT_DIR})"
    )
    parser.add_argument(
        "--split-by-host",
        action="store_true",
        help="take every n-th shard by host position (for FullyReplicated inputs)",
    )
    args = parser.parse_args(arguments)
    output = Path(args.output) if args.output else Path(args.root) / OUTPUT_DIR
    drop_root([output])  # SageMaker starts it as root (jobs.privileges)
    try:
        summary = process(
            args.root,
            input_dir=args.input,
            output_dir=args.output,
            split_by_host=args.split_by_host,
        )
    except (OSError, ValueError) as exc:
        print(f"jobs.entrypoint: {describe_exception(exc)}", file=sys.stderr)
        return 1
    print(
        f"{summary.host}: {len(summary.processed)} shards, {len(summary.failed)} failed, "
        f"{summary.elapsed_s:.1f} s"
    )
    return 0


if __name__ == "__main__":
    exit_process(main)
