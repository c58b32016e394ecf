"""The child process that reads dataset uploads for `services.market_data.uploads.read_upload`:
`python -m services.market_data.dataset_reader MEMORY_BYTES` (the protocol and the memory cap:
`research.child_process`).

`{"op": "read", "filename", "kind", "fill_gaps", "limits"}` (`limits`: the fields of
`UploadLimits`) with the file's bytes, answered `{"meta": {...}}` with the table's Parquet
bytes, or `{"refused": {"problem", "message", "too_large"}}` (an `InputError` on ``file``;
`too_large` for a `DatasetTooLargeError`).
"""

from __future__ import annotations

from typing import Any

from research.child_process import run_child
from services.errors import InputError
from services.market_data.uploads import DatasetTooLargeError, UploadLimits, parse_upload
from settings.process_exit import exit_process


def answer(header: dict[str, Any], data: bytes) -> tuple[dict[str, Any], bytes]:
    """Read the upload within the header's limits (see the module docstring)."""
    filename = header.get("filename")
    try:
        parsed = parse_upload(
            data,
            None if filename is None else str(filename),
            "returns" if header.get("kind") == "returns" else "prices",
            limits=UploadLimits(**header["limits"]),
            fill_gaps=bool(header.get("fill_gaps")),
        )
    except InputError as exc:
        too_large = isinstance(exc, DatasetTooLargeError)
        return {
            "refused": {"problem": exc.problem, "message": exc.message, "too_large": too_large}
        }, b""
    return {"meta": parsed.meta}, parsed.parquet


if __name__ == "__main__":
    exit_process(lambda: run_child(answer))
