"""A run's manifest in the reports: what ran (models, prompt hashes, seed, dataset fingerprint,
code and package versions) and what it used (trials, model calls, tokens, time, budgets), as
terminal lines and as the HTML report's section."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from api.reports.page import escape, finite, kv_rows


def text_lines(manifest: Mapping[str, Any]) -> list[str]:
    """A few lines describing a run manifest: models, hashes, seed, versions, usage."""

    def short(value: Any) -> str:
        return str(value)[:12] if value else "-"

    ids = manifest.get("model_ids") or {}
    models = ", ".join(f"{role} {model}" for role, model in ids.items()) or "-"
    prompts = manifest.get("prompt_hashes") or {}
    prompt_text = ", ".join(f"{role} {short(h)}" for role, h in prompts.items()) or "-"
    dataset = manifest.get("dataset") or {}
    versions = manifest.get("package_versions") or {}
    usage = manifest.get("usage") or {}
    fallback = usage.get("fallback_calls")
    answered = f", {fallback} answered by a fallback model route" if fallback else ""
    return [
        f"Manifest: provider {manifest.get('model_provider')}; models: {models}",
        f"  request {short(manifest.get('request_hash'))}, seed {manifest.get('seed')}, "
        f"data {short(dataset.get('sha256'))} ({dataset.get('n_rows', '-')} rows x "
        f"{dataset.get('n_columns', '-')} assets), tools {short(manifest.get('tool_schema_hash'))}",
        f"  prompts: {prompt_text}",
        f"  code: commit {short(manifest.get('git_commit'))}, stratigos "
        f"{versions.get('stratigos') or '-'}, python {manifest.get('python_version') or '-'}",
        f"  used: {usage.get('trials', 0)} trials, {usage.get('llm_calls', 0)} model calls, "
        f"{usage.get('input_tokens', 0)} input + {usage.get('cache_read_tokens', 0)} read from "
        f"and {usage.get('cache_write_tokens', 0)} written to the prompt cache + "
        f"{usage.get('output_tokens', 0)} output tokens{answered}, "
        f"{usage.get('wall_time_s', 0.0):.1f} s (budgets: "
        + ", ".join(f"{k} {v}" for k, v in (manifest.get("budgets") or {}).items())
        + ")",
    ]


def html_section(result: Mapping[str, Any]) -> str:
    """The manifest of `result` as the HTML report's section (id ``manifest``)."""
    manifest = result.get("manifest")
    parts = ['<section class="card" id="manifest"><h2>Run manifest</h2>']
    if not isinstance(manifest, Mapping):
        parts.append("<p>No manifest was recorded.</p></section>")
        return "".join(parts)
    dataset = manifest.get("dataset") or {}
    general = {
        "run id": manifest.get("run_id"),
        "graph": manifest.get("graph"),
        "created": manifest.get("created_at"),
        "finished": manifest.get("finished_at"),
        "model provider": manifest.get("model_provider"),
        "seed": manifest.get("seed"),
        "request hash": manifest.get("request_hash"),
        "dataset sha256": dataset.get("sha256"),
        "dataset": f"{dataset.get('n_rows', '–')} rows × {dataset.get('n_columns', '–')} assets, "
        f"{dataset.get('start', '–')} to {dataset.get('end', '–')}",
        "tool schema hash": manifest.get("tool_schema_hash"),
        "git commit": manifest.get("git_commit"),
        "python": manifest.get("python_version"),
        "platform": manifest.get("platform"),
    }
    parts.append(
        '<div class="grid">'
        f"<table class='kv'><caption>Run</caption><tbody>{kv_rows(general)}</tbody></table>"
    )
    models = manifest.get("model_ids") or {}
    prompts = manifest.get("prompt_hashes") or {}
    versions = manifest.get("prompt_versions") or {}
    roles = list(dict.fromkeys([*models, *prompts]))
    if roles:
        rows = "".join(
            f"<tr><th scope='row'>{escape(r)}</th><td>{escape(models.get(r, '–'))}</td>"
            f"<td>{escape(versions.get(r, '–'))}</td>"
            f"<td><code class='hash'>{escape(prompts.get(r, '–'))}</code></td></tr>"
            for r in roles
        )
        parts.append(
            "<table><caption>Models and prompts</caption><thead><tr><th scope='col'>Role</th>"
            "<th scope='col'>Model</th><th scope='col'>Prompt version</th>"
            f"<th scope='col'>Prompt sha256</th></tr></thead><tbody>{rows}</tbody></table>"
        )
    usage = dict(manifest.get("usage") or {})
    usage_timings = usage.pop("timings", None)
    if usage:
        parts.append(
            f"<table class='kv'><caption>Usage</caption><tbody>{kv_rows(usage)}</tbody></table>"
        )
    budgets = manifest.get("budgets") or {}
    if budgets:
        parts.append(
            f"<table class='kv'><caption>Budgets</caption><tbody>{kv_rows(budgets)}</tbody></table>"
        )
    timings = result.get("timings") or usage_timings or {}
    if timings:
        seconds = {k: f"{finite(v) or 0.0:.2f} s" for k, v in timings.items()}
        parts.append(
            f"<table class='kv'><caption>Time</caption><tbody>{kv_rows(seconds)}</tbody></table>"
        )
    packages = manifest.get("package_versions") or {}
    if packages:
        parts.append(
            "<table class='kv'><caption>Package versions</caption>"
            f"<tbody>{kv_rows(packages)}</tbody></table>"
        )
    parts.append("</div></section>")
    return "".join(parts)
