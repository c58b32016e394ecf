// One optimization job: live progress from its event stream (progress bar, convergence chart
// growing batch by batch, the agents' trace), then the results page.

import { api, errorText, streamEvents } from "./api.js";
import { convergenceChart, extendConvergence, purge } from "./charts.js";
import { clear, fmt, fmtTime, h, showAlert } from "./dom.js";
import { renderResults } from "./results.js";
import { TraceView } from "./trace.js";

const TERMINAL = new Set(["succeeded", "failed", "cancelled"]);
const MAX_RECONNECTS = 5;

export function renderJob(main, jobId) {
  const controller = new AbortController();
  const title = h("h1", {}, "Optimization ", h("code", {}, jobId));
  const badge = h("span", { id: "job-status", className: "status-badge" }, "loading");
  const bar = h("progress", { id: "job-progress", max: 1, value: 0, "aria-labelledby": "job-progress-label" });
  const progressText = h("span", { id: "job-progress-text" }, "waiting for the first batch…");
  const cancel = h("button", { type: "button", id: "cancel-job", className: "danger", hidden: true }, "Cancel job");
  const working = h("p", { id: "job-working", className: "hint", "aria-live": "polite" });
  const chart = h("div", { id: "chart-convergence", className: "chart", role: "img", "aria-label": "Convergence: best objective after each batch" });
  const traceList = h("ol", { id: "job-trace", className: "trace" });
  const traceCount = h("span", {}, "0 events");
  const results = h("div", { id: "results" });
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
    h(
      "section",
      { className: "card", "aria-labelledby": "convergence-title" },
      h("h2", { id: "convergence-title" }, "Convergence"),
      h("p", { className: "hint" }, "Best objective after each batch of trials."),
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
  let lastSeq = 0;
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
      const best = data.best === null || data.best === undefined ? "" : ` · best ${metric} ${fmt(data.best)}`;
      progressText.textContent = `${data.done} / ${data.total ?? "?"} trials${best}`;
      if (data.best !== null && data.best !== undefined) {
        extendConvergence(chart, data.done, data.best);
        live += 1;
        chart.dataset.livePoints = String(live);
      }
    },
  });

  function setStatus(job) {
    badge.textContent = job.status;
    badge.className = `status-badge status-${job.status}`;
    cancel.hidden = TERMINAL.has(job.status);
    const meta = document.getElementById("job-meta");
    if (meta) {
      meta.textContent = `Submitted ${fmtTime(job.created_at)}` +
        (job.finished_at ? ` · finished ${fmtTime(job.finished_at)}` : "") +
        (job.attempts > 1 ? ` · attempt ${job.attempts}` : "");
    }
    if (job.progress && job.progress.total) {
      bar.max = job.progress.total;
      bar.value = job.progress.done;
      if (!progressText.textContent.includes("best")) {
        progressText.textContent = `${job.progress.done} / ${job.progress.total} trials`;
      }
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
    let ended = null;
    for (let attempt = 0; attempt <= MAX_RECONNECTS && !ended; attempt += 1) {
      try {
        await streamEvents(`/v1/optimizations/${encodeURIComponent(jobId)}/events?after=${lastSeq}`, {
          signal: controller.signal,
          onEvent: ({ event, data }) => {
            if (event === "end") {
              ended = data;
              return;
            }
            if (!data || typeof data !== "object" || !data.seq) return;
            if (data.seq <= lastSeq) return;
            lastSeq = data.seq;
            trace.add(data);
            traceCount.textContent = `${trace.count} steps`;
          },
        });
      } catch (err) {
        if (controller.signal.aborted) return;
        if (err && err.status) throw err; // an API error: not worth retrying
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
    const final = await api(`/v1/optimizations/${encodeURIComponent(jobId)}`, { signal: controller.signal });
    setStatus(final);
    working.textContent = "";
    if (final.status === "succeeded") {
      const data = await api(`/v1/optimizations/${encodeURIComponent(jobId)}/results?limit=20`, {
        signal: controller.signal,
      });
      if (controller.signal.aborted) return;
      convergenceChart(chart, data.charts.convergence, metric);
      chart.dataset.resultPoints = String(data.charts.convergence.length);
      renderResults(results, jobId, data);
      document.body.dataset.resultsReady = jobId;
    } else if (final.status === "failed" || final.status === "cancelled") {
      clear(results).append(
        h(
          "section",
          { className: "card error-card", role: "alert" },
          h("h2", {}, `The job ${final.status}`),
          h("p", {}, final.error || "No reason was recorded."),
        ),
      );
    } else {
      working.textContent = `The event stream closed while the job is ${final.status}; reload to follow it.`;
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
