// The jobs list: the caller's optimization jobs, newest first, filtered by status; refreshes
// itself while any job is pending or running.

import { api, errorText } from "./api.js";
import { clear, h, showAlert, stackable } from "./dom.js";
import { count, isoTime } from "./format.js";

const STATUSES = ["pending", "running", "succeeded", "failed", "cancelled"];
const REFRESH_MS = 3000;

/** What a job searches, in a few words: "8 assets, 2010-01-04 to 2021-12-31, 30 trials". */
export function requestText(request) {
  if (!request) return "";
  const assets = request.universe && request.universe.length ? `${count(request.universe.length)} assets` : "the default universe";
  const trials = request.budget && request.budget.max_trials ? `, ${count(request.budget.max_trials)} trials` : "";
  const span = request.start && request.end ? `, ${request.start} to ${request.end}` : "";
  return `${assets}${span}${trials}`;
}

export function renderJobs(main) {
  const filter = h(
    "select",
    { id: "jobs-filter" },
    h("option", { value: "" }, "all"),
    STATUSES.map((s) => h("option", { value: s }, s)),
  );
  const refresh = h("button", { type: "button", id: "jobs-refresh", className: "secondary" }, "Refresh");
  const body = h("tbody");
  const status = h("p", { id: "jobs-status", className: "hint", "aria-live": "polite" });
  main.append(
    h("h1", {}, "Jobs"),
    h(
      "div",
      { className: "toolbar" },
      h("label", { for: "jobs-filter" }, "Status"),
      filter,
      refresh,
      h("a", { href: "#/optimize", className: "button" }, "New optimization"),
    ),
    h(
      "section",
      { className: "card" },
      h(
        "div",
        { className: "table-scroll", tabindex: "0" },
        h(
          "table",
          { id: "jobs-table", className: "data" },
          h("caption", {}, "Optimization jobs, newest first"),
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              ["Job", "What", "Status", "Progress", "Submitted", "Finished", ""].map((t) =>
                h("th", { scope: "col" }, t),
              ),
            ),
          ),
          body,
        ),
      ),
      status,
    ),
  );
  stackable(main.querySelector("#jobs-table"));
  let timer = null;
  let stopped = false;

  async function cancel(job) {
    try {
      await api(`/v1/optimizations/${encodeURIComponent(job.id)}`, { method: "DELETE" });
      await load();
    } catch (err) {
      showAlert(errorText(err));
    }
  }

  async function load() {
    clearTimeout(timer);
    const params = new URLSearchParams({ limit: "100" });
    if (filter.value) params.set("status", filter.value);
    let jobs;
    try {
      jobs = await api(`/v1/optimizations?${params}`);
    } catch (err) {
      status.textContent = "";
      showAlert(errorText(err));
      return;
    }
    if (stopped) return;
    clear(body).append(
      ...jobs.map((job) => {
        const p = job.progress || {};
        const active = job.status === "pending" || job.status === "running";
        return h(
          "tr",
          { dataset: { job: job.id } },
          h("td", {}, h("a", { href: `#/jobs/${encodeURIComponent(job.id)}` }, h("code", {}, job.id))),
          h("td", { className: "text" }, requestText(job.request)),
          h("td", {}, h("span", { className: `status-badge status-${job.status}` }, job.status)),
          h(
            "td",
            {},
            p.total
              ? [h("progress", { max: p.total, value: p.done, "aria-label": `progress of ${job.id}` }), ` ${count(p.done)} of ${count(p.total)}`]
              : "–",
          ),
          h("td", {}, isoTime(job.created_at)),
          h("td", {}, isoTime(job.finished_at)),
          h(
            "td",
            {},
            active
              ? h(
                  "button",
                  { type: "button", className: "danger small", onclick: () => cancel(job), "aria-label": `Cancel ${job.id}` },
                  "Cancel",
                )
              : null,
          ),
        );
      }),
    );
    status.textContent = jobs.length
      ? `${count(jobs.length)} job${jobs.length === 1 ? "" : "s"}`
      : filter.value
        ? `No ${filter.value} jobs.`
        : "No optimization yet: start one from New optimization (a structured search), or ask the assistant to search for you.";
    if (jobs.some((j) => j.status === "pending" || j.status === "running")) {
      timer = setTimeout(load, REFRESH_MS);
    }
  }

  filter.addEventListener("change", load);
  refresh.addEventListener("click", load);
  load();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
