"""The building blocks of a self-contained report page (one HTML file, no network needed): the
page's head and CSS, HTML-escaped text, numbers and percentages, key-value rows, JSON data for
the charts and plotly.js itself.

plotly.js is inlined from the installed `plotly` package (never a CDN). Chart data is embedded
as JSON in `<script type="application/json">` elements (`<`, `>` and `&` written as `\\u003c`
etc., so no string can close the element); every string shown is HTML-escaped.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from services import formatting


@lru_cache(maxsize=1)
def plotly_js() -> str:
    """plotly.js from the installed package, safe to inline in a <script> element."""
    from plotly.offline import get_plotlyjs

    text: str = get_plotlyjs()
    # Defensive: nothing inside the inline script may close it.
    return text.replace("</script", "<\\/script")


def escape(value: Any) -> str:
    """`value` as HTML text (None: empty)."""
    return html.escape("" if value is None else str(value), quote=True)


def finite(value: Any) -> float | None:
    """A float, or None for missing / non-numeric / NaN / infinite values (JSON has no NaN):
    the one formatter's reading of a number (`services.formatting.finite`)."""
    return formatting.finite(value)


def json_script(element_id: str, data: Any) -> str:
    """`data` as a JSON <script> element with id `element_id`, safe to inline."""
    text = json.dumps(data, separators=(",", ":"), allow_nan=False, default=str)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return f'<script type="application/json" id="{escape(element_id)}">{text}</script>'


def page_head(title: str) -> str:
    """A report page's start: doctype, head (title, the reports' CSS) and the opened <main>."""
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{escape(title)}</title>",
            f"<style>{PAGE_CSS}</style></head><body><main>",
        ]
    )


def percent(value: Any, digits: int = 2) -> str:
    """A fraction as a percentage, the one formatter's (`services.formatting.percent`:
    "12.34%"; never "-0.00%"; its missing mark when missing or not finite)."""
    return formatting.percent(value, digits=digits)


def number(value: Any) -> str:
    """A number as text: an integer as a count ("1,257"), a real as a ratio ("1.07"), by the
    one formatter (`services.formatting`); its missing mark when missing, a non-number's own
    text HTML-escaped."""
    if finite(value) is None:
        return formatting.MISSING if value is None else escape(value)
    if isinstance(value, int):
        return formatting.count(value)
    return formatting.ratio(value)


def scroll_box(label: str, tall: bool = False) -> str:
    """The opening tag of a box that scrolls a wide table sideways (`tall`: down too): a
    labelled region a keyboard can focus, so its hidden columns can be scrolled to."""
    kind = "scroll tall" if tall else "scroll"
    return f'<div class="{kind}" tabindex="0" role="region" aria-label="{escape(label)}">'


def kv_rows(items: Mapping[str, Any], code: bool = False) -> str:
    """Table rows of `items`: the key as the row's header, the value (as code with `code`)."""

    def cell(value: Any) -> str:
        text = escape(value)
        return f"<code>{text}</code>" if code else text

    return "".join(
        f"<tr><th scope='row'>{escape(k)}</th><td>{cell(v)}</td></tr>" for k, v in items.items()
    )


PAGE_CSS = """
:root{--fg:#1d2330;--muted:#5b6475;--bg:#f5f6f8;--card:#fff;--line:#dde1e7;--accent:#1f5fbf}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);line-height:1.45;
 font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1280px;margin:0 auto;padding:16px}
header{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:16px;
 margin-bottom:16px}
h1{font-size:1.4rem;margin:0 0 6px;overflow-wrap:anywhere}h2{font-size:1.1rem;margin:0 0 8px}h3{font-size:1rem;
 margin:14px 0 4px}
.meta,.note,figcaption,caption{color:var(--muted);font-size:.9rem}
caption{text-align:left;padding:4px 0;font-weight:600}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;background:#e4e7ec;
 font-weight:600}
.status-succeeded{background:#d7f0dd;color:#145a26}.status-partial{background:#fff1c9;
 color:#6b4e00}.status-failed,.status-cancelled{background:#fadbd8;color:#7d1a12}
.chips{list-style:none;padding:0;margin:6px 0 0;display:flex;flex-wrap:wrap;gap:6px}
.chips li{background:#eef2f8;border-radius:6px;padding:2px 8px}.k{color:var(--muted)}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:16px;
 margin:0 0 16px}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(460px,100%),1fr));gap:16px}
.charts figure{margin:0;min-width:0}.chart{width:100%;height:360px}
.two{display:grid;grid-template-columns:minmax(220px,1fr) 2fr;gap:24px;align-items:start}
.two>*{min-width:0}.kv td{overflow-wrap:anywhere}.meta,.note,p,li{overflow-wrap:anywhere}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:16px;
 align-items:start}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{border-bottom:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
.num{text-align:right;font-variant-numeric:tabular-nums}
.scroll{overflow:auto}.tall{max-height:70vh}
thead th{position:sticky;top:0;background:var(--card)}
th button{font:inherit;font-weight:600;background:none;border:0;padding:0;cursor:pointer;
 color:var(--accent);text-align:inherit}
th button:focus-visible{outline:2px solid var(--accent);outline-offset:2px}
th[aria-sort=ascending] button::after{content:" \\25B2"}
th[aria-sort=descending] button::after{content:" \\25BC"}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.85em}
.hash{word-break:break-all}
.grid>*{min-width:0;overflow-x:auto}#manifest td{overflow-wrap:anywhere}
.explanation p{margin:0 0 8px}.reason{color:#7d1a12}
.verdict.warning{background:#fff1c9;color:#6b4e00;border-radius:6px;padding:8px 12px}
.limits{margin:8px 0 0;padding-left:20px}.limits .not-met{color:#7d1a12}
@media (max-width:980px){.two{grid-template-columns:1fr}.charts{grid-template-columns:1fr}
 main{padding:8px}.chart{height:300px}}
#chart-scenarios.chart{height:560px}
"""
"""The reports' CSS: the optimization and deployment pages share it."""
