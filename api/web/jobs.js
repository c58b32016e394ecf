// The jobs list: the caller's optimization jobs, newest first, filtered by status; refreshes
// itself while any job is pending or running.

import { api, errorText } from "./api.js";
import { clear, fmtTime, h, showAlert } from "./dom.js";

const STATUSES = ["pending", "running", "succeeded", "failed", "cancelled"];
const REFRESH_MS = 3000;

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
        { className: "table-scroll" },
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
              ["Job", "Status", "Progress", "Submitted", "Finished", ""].map((t) =>
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
          h("td", {}, h("span", { className: `status-badge status-${job.status}` }, job.status)),
          h(
            "td",
            {},
            p.total
              ? [h("progress", { max: p.total, value: p.done, "aria-label": `progress of ${job.id}` }), ` ${p.done}/${p.total}`]
              : "–",
          ),
          h("td", {}, fmtTime(job.created_at)),
          h("td", {}, fmtTime(job.finished_at)),
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
    status.textContent = jobs.length ? `${jobs.length} job(s)` : "No jobs yet: submit one from New optimization.";
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
