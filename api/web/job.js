// One optimization job: live progress from its event stream (progress bar, convergence chart
// growing batch by batch, the agents' trace), then the results page.

import { api, errorText } from "./api.js";
import { chartsDrawn, convergenceChart, extendConvergence, purge } from "./charts.js";
import { clear, h, showAlert } from "./dom.js";
import { count, isoTime, percent, ratio } from "./format.js";
import { followEvents } from "./live.js";
import { renderResults } from "./results.js";
import { TraceView } from "./trace.js";

const TERMINAL = new Set(["succeeded", "failed", "cancelled"]);

/** Submit an optimization request and open its job's page (throws ApiError when refused). */
export async function startOptimization(request) {
  const job = await api("/v1/optimizations", { method: "POST", body: request });
  window.location.hash = `#/jobs/${encodeURIComponent(job.id)}`;
  return job;
}

/** What the convergence chart shows, in words: how much the best objective improved, and
 * that it is flat when the later batches found nothing better; a last batch that improved it
 * says by how much, relative to the best before it (as a warm search's stopping rule measures
 * it: "In short" may say it stopped because that was small). */
export function convergenceWords(points, summary) {
  if (!points.length) return "No batch finished: there is nothing to chart.";
  const first = points[0].best_objective;
  const last = points[points.length - 1].best_objective;
  const n = points.length;
  const stopped = summary.max_trials && summary.n_trials < summary.max_trials ? ` The run stopped at ${count(summary.n_trials)} of ${count(summary.max_trials)} trials (why: see "In short").` : "";
  if (n === 1) return `One batch: its best objective is ${ratio(last)}.${stopped}`;
  const improvedAt = points.findIndex((p) => p.best_objective > first);
  if (improvedAt < 0 || Math.abs(last - first) < 1e-9) {
    return `Flat: the first batch's best objective (${ratio(first)}) was never beaten by the ${count(n - 1)} later batch${n - 1 === 1 ? "" : "es"}, so more trials of the same search are unlikely to help.${stopped}`;
  }
  let lastGain = 0;
  points.forEach((p, i) => {
    if (i && p.best_objective > points[i - 1].best_objective) lastGain = i;
  });
  const before = points[n - 2].best_objective;
  const tail =
    lastGain < n - 1
      ? ` It has not improved since batch ${count(lastGain + 1)}.`
      : ` Its last batch raised it by ${percent((last - before) / Math.max(Math.abs(before), 1e-9))}.`;
  if (ratio(first) === ratio(last)) {
    return `Nearly flat: the best objective moved by less than 0.01 over ${count(n)} batches (${ratio(last)}), so more trials of the same search are unlikely to help much.${stopped}`;
  }
  return `The best objective rose from ${ratio(first)} after the first batch to ${ratio(last)} after ${count(n)} batches.${tail}${stopped}`;
}

export function renderJob(main, jobId) {
  const controller = new AbortController();
  const title = h("h1", {}, "Optimization ", h("span", { className: "id" }, jobId));
  const badge = h("span", { id: "job-status", className: "status-badge" }, "loading");
  const bar = h("progress", { id: "job-progress", max: 1, value: 0, "aria-labelledby": "job-progress-label" });
  const progressText = h("span", { id: "job-progress-text" }, "Starting…");
  const cancel = h("button", { type: "button", id: "cancel-job", className: "danger", hidden: true }, "Cancel job");
  const working = h("p", { id: "job-working", className: "hint", "aria-live": "polite" });
  const chart = h("div", { id: "chart-convergence", className: "chart", role: "figure", "aria-label": "Convergence: best objective after each batch", hidden: true });
  const chartNote = h(
    "p",
    { id: "convergence-note", className: "chart-placeholder", "aria-live": "polite" },
    "The search first reads the market data and simulates the scenarios; this chart gains a point after each batch of trials.",
  );
  const traceList = h("ol", { id: "job-trace", className: "trace" });
  const traceCount = h("span", {}, "0 steps");
  const results = h("div", { id: "results" });
  const verdictSlot = h("div", { id: "results-first" });
  main.append(
    title,
    h(
      "section",
      { className: "card", "aria-labelledby": "job-progress-label" },
      h(
        "div",
        { className: "progress-row" },
        h("span", { id: "job-progress-label", className: "label" }, "Progress"),
        badge,
        bar,
        progressText,
        cancel,
      ),
      working,
      h("p", { id: "job-meta", className: "hint" }),
    ),
    verdictSlot,
    h(
      "section",
      { className: "card", "aria-labelledby": "convergence-title" },
      h("h2", { id: "convergence-title" }, "Convergence"),
      h("p", { className: "hint" }, "Best objective after each batch of trials."),
      chartNote,
      chart,
    ),
    results,
    h(
      "section",
      { className: "card" },
      h("details", { id: "job-trace-details" }, h("summary", {}, "Agent trace (", traceCount, ")"), traceList),
    ),
  );

  let live = 0;
  let metric = "objective";
  const trace = new TraceView(traceList, {
    onStatus: (text) => {
      working.textContent = text;
    },
    onProgress: (data) => {
      if (data.unit !== "trials") return;
      if (data.total) {
        bar.max = data.total;
        bar.value = data.done;
      }
      if (data.metric) metric = data.metric;
      const best = data.best === null || data.best === undefined ? "" : `; best ${metric} so far ${ratio(data.best)}`;
      progressText.textContent = `${count(data.done)} of ${data.total ? count(data.total) : "?"} trials${best}`;
      if (data.best !== null && data.best !== undefined) {
        chart.hidden = false;
        extendConvergence(chart, data.done, data.best, metric);
        live += 1;
        chart.dataset.livePoints = String(live);
        chartNote.textContent = `${count(data.done)} trials evaluated so far.`;
      }
    },
  });

  function setStatus(job) {
    badge.textContent = job.status;
    badge.className = `status-badge status-${job.status}`;
    cancel.hidden = TERMINAL.has(job.status);
    const meta = document.getElementById("job-meta");
    if (meta) {
      meta.textContent = `Submitted ${isoTime(job.created_at)}` +
        (job.finished_at ? `; finished ${isoTime(job.finished_at)}` : "") +
        (job.attempts > 1 ? `; attempt ${count(job.attempts)}` : "");
    }
    if (job.progress && job.progress.total) {
      bar.max = job.progress.total;
      bar.value = job.progress.done;
      if (!progressText.textContent.includes("best")) {
        progressText.textContent = `${count(job.progress.done)} of ${count(job.progress.total)} trials`;
      }
    } else if (!TERMINAL.has(job.status)) {
      progressText.textContent = job.status === "pending" ? "Waiting for a worker to start it…" : "Preparing the search…";
    }
  }

  cancel.addEventListener("click", async () => {
    cancel.disabled = true;
    try {
      setStatus(await api(`/v1/optimizations/${encodeURIComponent(jobId)}`, { method: "DELETE" }));
    } catch (err) {
      showAlert(errorText(err));
    } finally {
      cancel.disabled = false;
    }
  });

  async function follow() {
    const job = await api(`/v1/optimizations/${encodeURIComponent(jobId)}`, { signal: controller.signal });
    setStatus(job);
    // SSE, else a WebSocket, else long polling, each resuming after the last event shown
    await followEvents(`/v1/optimizations/${encodeURIComponent(jobId)}`, {
      signal: controller.signal,
      onTransport: (name) => {
        bar.dataset.transport = name;
      },
      onEvent: (data) => {
        trace.add(data);
        traceCount.textContent = `${trace.count} steps`;
      },
    });
    if (controller.signal.aborted) return;
    const final = await api(`/v1/optimizations/${encodeURIComponent(jobId)}`, { signal: controller.signal });
    setStatus(final);
    working.textContent = "";
    if (final.status === "succeeded") {
      const data = await api(`/v1/optimizations/${encodeURIComponent(jobId)}/results?limit=20`, {
        signal: controller.signal,
      });
      if (controller.signal.aborted) return;
      chart.hidden = false;
      convergenceChart(chart, data.charts.convergence, metric);
      chart.dataset.resultPoints = String(data.charts.convergence.length);
      chartNote.textContent = convergenceWords(data.charts.convergence, data.config_summary || {});
      renderResults(results, jobId, data, verdictSlot);
      const summary = data.config_summary || {};
      if (summary.max_trials && summary.n_trials < summary.max_trials) {
        progressText.textContent = `${count(summary.n_trials)} of ${count(summary.max_trials)} trials: it stopped early (why: see "In short" below)`;
      }
      await chartsDrawn();
      if (controller.signal.aborted) return;
      document.body.dataset.resultsReady = jobId;
    } else if (final.status === "failed" || final.status === "cancelled") {
      clear(results).append(
        h(
          "section",
          { className: "card error-card", role: "alert" },
          h("h2", {}, final.status === "cancelled" ? "The search was cancelled" : "The search failed"),
          h(
            "p",
            { id: "job-stopped" },
            final.status === "cancelled"
              ? `It was cancelled${final.progress && final.progress.total ? ` after ${count(final.progress.done)} of ${count(final.progress.total)} trials` : ""}${final.error ? `: ${final.error}` : "."} `
              : `${final.error || "No reason was recorded."} `,
            h("a", { href: "#/optimize" }, "Start a new optimization"),
            " or ",
            h("a", { href: "#/chat" }, "ask the assistant"),
            ".",
          ),
        ),
      );
    } else {
      working.textContent = `The event stream closed while the job is ${final.status}: reload the page to follow it.`;
    }
  }

  follow().catch((err) => {
    if (!controller.signal.aborted) showAlert(errorText(err));
  });
  return () => {
    controller.abort();
    delete document.body.dataset.resultsReady;
    for (const el of main.querySelectorAll(".js-plotly-plot")) purge(el);
  };
}
