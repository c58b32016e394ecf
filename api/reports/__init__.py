"""What people read about a run: the live terminal trace (`api.reports.terminal`), the Markdown
report (`api.reports.markdown`) and the self-contained HTML report (`api.reports.html`).

`write_reports(directory)` writes `report.md` and `report.html` next to a finished run's
`result.json` and `request.json` (the CLI does it after `optimize` and `resume`; the API renders
the HTML report from the stored result instead). The renderers are imported by
`write_reports`, so the terminal trace (`api.reports.terminal`) loads none of them.
"""

from __future__ import annotations

import json
from pathlib import Path

from settings.files import write_private

REPORTED_STATUSES = ("succeeded", "partial")
"""Results that carry findings (a best configuration, trials) worth a report."""


def write_reports(directory: Path) -> list[Path]:
    """Write `report.md` and `report.html` for the run in `directory` (which holds its
    `result.json` and `request.json`); returns the files written: none when the run left no
    request or no result with findings to report (a run that failed before its result wrote
    only `{"status": "failed", "reason": ...}`: the CLI prints the reason instead)."""
    from api.reports.html import render_html_report
    from api.reports.markdown import markdown_report
    from graphs.request import OptimizationRequest

    result_file, request_file = directory / "result.json", directory / "request.json"
    if not (result_file.is_file() and request_file.is_file()):
        return []
    result = json.loads(result_file.read_text())
    if result.get("status") not in REPORTED_STATUSES:
        return []
    request = OptimizationRequest.model_validate_json(request_file.read_text())
    markdown = directory / "report.md"
    write_private(markdown, markdown_report(directory.name, request, result))
    page = write_private(directory / "report.html", render_html_report(result))
    return [markdown, page]
