// Investment ideas: the list (filtered by status, ticker and creation dates, a page at a time),
// a form for a new idea, and one idea's detail: its computed numbers with their definition,
// evidence, status history, the status moves it allows, and "Optimize" for an accepted idea.
// Routes: #/ideas and #/ideas/<id>.

import { api, errorText } from "./api.js";
import { clear, h, kvTable, showAlert, stackable } from "./dom.js";
import { count, days, inWords, isoTime, percent, signedPercent } from "./format.js";

const STATUSES = ["proposed", "under_review", "accepted", "deployed", "retired"];
const LABELS = {
  proposed: "Proposed",
  under_review: "Under review",
  accepted: "Accepted",
  deployed: "Deployed",
  retired: "Retired",
};

/** "AAPL, msft  JNJ" -> ["AAPL", "MSFT", "JNJ"]. */
export function parseTickers(text) {
  return text
    .split(/[\s,;]+/)
    .map((t) => t.trim().toUpperCase())
    .filter(Boolean);
}

function statusLabel(status) {
  return LABELS[status] || status;
}

/** An idea's numbers and their definition, as table rows. */
function metricRows(metrics) {
  const d = metrics.definition || {};
  return [
    ["Trailing return (annualised, not a forecast)", signedPercent(metrics.expected_return)],
    ["Volatility (annualised)", percent(metrics.volatility)],
    ["95% CVaR (daily, a loss)", percent(metrics.cvar_95)],
    ["Maximum drawdown", percent(metrics.max_drawdown)],
    [
      "Definition",
      `Last ${count(d.lookback_days)} daily returns, ${d.data_start} to ${d.data_end} (${d.source}). ${inWords(d.method || "")}`,
    ],
  ];
}

function evidenceItem(item) {
  if (item.kind === "document_passage") {
    const where = Object.entries(item.reference || {})
      .map(([k, v]) => `${k} ${v}`)
      .join(", ");
    return h("li", {}, `${item.document_name} (${item.document_id}), ${where}: “${item.quote}”`);
  }
  if (item.kind === "optimization_run") {
    return h("li", {}, "Optimization run ", h("a", { href: `#/jobs/${encodeURIComponent(item.run_id)}` }, item.run_id));
  }
  return h(
    "li",
    {},
    "Deployment ",
    h("a", { href: `#/deployments/${encodeURIComponent(item.deployment_id)}` }, item.name || item.deployment_id),
  );
}

export function renderIdeas(main, params = []) {
  let cursor = null;
  const body = h("tbody");
  const listStatus = h("p", { id: "ideas-status", className: "hint", "aria-live": "polite" });
  const more = h("button", { type: "button", id: "ideas-more", className: "secondary", hidden: true }, "Load more");

  const fStatus = h(
    "select",
    { id: "filter-status", name: "status" },
    h("option", { value: "" }, "Any status"),
    STATUSES.map((s) => h("option", { value: s }, statusLabel(s))),
  );
  const fTicker = h("input", { id: "filter-ticker", name: "ticker", type: "text", maxlength: 20, spellcheck: "false" });
  const fFrom = h("input", { id: "filter-from", name: "from", type: "date" });
  const fTo = h("input", { id: "filter-to", name: "to", type: "date" });
  const filters = h(
    "form",
    { id: "ideas-filters", className: "form-row", "aria-label": "Filter ideas" },
    h("div", { className: "field" }, h("label", { for: "filter-status" }, "Status"), fStatus),
    h("div", { className: "field" }, h("label", { for: "filter-ticker" }, "Ticker"), fTicker),
    h("div", { className: "field" }, h("label", { for: "filter-from" }, "Created from"), fFrom),
    h("div", { className: "field" }, h("label", { for: "filter-to" }, "Created to"), fTo),
    h("div", { className: "actions" }, h("button", { type: "submit", id: "filter-apply" }, "Apply")),
  );

  const title = h("input", { id: "idea-title", name: "title", type: "text", required: true, maxlength: 200 });
  const thesis = h("textarea", { id: "idea-thesis", name: "thesis", rows: 3, required: true });
  const tickers = h("input", {
    id: "idea-tickers",
    name: "tickers",
    type: "text",
    required: true,
    spellcheck: "false",
    placeholder: "JNJ, KO, PG",
  });
  const direction = h(
    "select",
    { id: "idea-direction", name: "direction" },
    h("option", { value: "long" }, "Long"),
    h("option", { value: "short" }, "Short"),
  );
  const horizon = h("input", { id: "idea-horizon", name: "horizon_days", type: "number", min: 1, max: 2520, value: 63 });
  const lookback = h("input", { id: "idea-lookback", name: "lookback_days", type: "number", min: 21, max: 2520, value: 252 });
  const form = h(
    "form",
    { id: "idea-form", className: "card", "aria-labelledby": "idea-form-title" },
    h("h2", { id: "idea-form-title" }, "New idea"),
    h("label", { for: "idea-title" }, "Title"),
    title,
    h("label", { for: "idea-thesis" }, "Thesis"),
    thesis,
    h("label", { for: "idea-tickers" }, "Tickers"),
    tickers,
    h("div", { className: "form-row" },
      h("div", { className: "field" }, h("label", { for: "idea-direction" }, "Direction"), direction),
      h("div", { className: "field" }, h("label", { for: "idea-horizon" }, "Horizon (trading days)"), horizon),
      h("div", { className: "field" }, h("label", { for: "idea-lookback" }, "Lookback (days)"), lookback),
    ),
    h("small", { className: "hint" }, "Trailing return and risk are statistics of the market data over the lookback (equal weights), not forecasts."),
    h("div", { className: "actions" }, h("button", { type: "submit", id: "idea-save" }, "Create idea")),
  );

  const detail = h("section", { id: "idea-detail", className: "card", hidden: true, "aria-labelledby": "idea-detail-title" });

  main.append(
    h("h1", {}, "Investment ideas"),
    h(
      "section",
      { className: "card", "aria-labelledby": "ideas-title" },
      h("h2", { id: "ideas-title" }, "Ideas"),
      filters,
      h(
        "div",
        { className: "table-scroll", tabindex: "0" },
        h(
          "table",
          { id: "ideas-table", className: "data" },
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              ["Title", "Status", "Tickers", "Direction", "Trailing return", "Volatility", "Created"].map((t) =>
                h("th", { scope: "col" }, t),
              ),
            ),
          ),
          body,
        ),
      ),
      listStatus,
      more,
    ),
    detail,
    form,
  );
  stackable(main.querySelector("#ideas-table"));

  function query() {
    const q = new URLSearchParams({ limit: "20" });
    if (fStatus.value) q.set("status", fStatus.value);
    if (fTicker.value.trim()) q.set("ticker", fTicker.value.trim());
    if (fFrom.value) q.set("from", fFrom.value);
    if (fTo.value) q.set("to", fTo.value);
    if (cursor) q.set("cursor", cursor);
    return q;
  }

  function row(idea) {
    const open = h(
      "button",
      { type: "button", className: "link", "aria-label": `Open ${idea.title}`, onclick: () => (window.location.hash = `#/ideas/${encodeURIComponent(idea.id)}`) },
      idea.title,
    );
    return h(
      "tr",
      { dataset: { id: idea.id } },
      h("td", {}, open),
      h("td", {}, statusLabel(idea.status)),
      h("td", {}, idea.tickers.join(", ")),
      h("td", {}, idea.direction),
      h("td", {}, signedPercent(idea.metrics.expected_return)),
      h("td", {}, percent(idea.metrics.volatility)),
      h("td", {}, isoTime(idea.created_at)),
    );
  }

  async function load(append = false) {
    if (!append) cursor = null;
    try {
      const page = await api(`/v1/ideas?${query()}`);
      if (!append) clear(body);
      body.append(...page.items.map(row));
      cursor = page.next_cursor;
      more.hidden = !cursor;
      const filtered = fStatus.value || fTicker.value.trim() || fFrom.value || fTo.value;
      listStatus.textContent = body.children.length
        ? `${count(body.children.length)} idea${body.children.length === 1 ? "" : "s"} shown.`
        : filtered
          ? "No ideas match these filters: clear them to see all your ideas."
          : "No ideas yet: write one below (a title, a thesis and its tickers); Stratigos computes its trailing return and risk, and you can move it through review and optimize it once accepted.";
    } catch (err) {
      showAlert(errorText(err));
    }
  }

  function showDetail(idea) {
    const reason = h("input", { id: "idea-reason", name: "reason", type: "text", maxlength: 1000, placeholder: "why (recorded)", "aria-label": "Why you move it (recorded with the move)" });
    const moves = idea.allowed_transitions.map((to) =>
      h("button", { type: "button", className: to === "retired" ? "secondary" : "", onclick: () => move(idea, to, reason.value) }, `Move to ${statusLabel(to)}`),
    );
    const optimizeResult = h("p", { id: "idea-optimize-result", className: "hint", "aria-live": "polite" });
    const optimize =
      idea.status === "accepted"
        ? h("button", { type: "button", id: "idea-optimize", onclick: () => optimizeIdea(idea, optimizeResult) }, "Optimize")
        : null;
    const remove = h("button", { type: "button", id: "idea-delete", className: "secondary", onclick: () => removeIdea(idea) }, "Delete idea");
    clear(detail).append(
      h("h2", { id: "idea-detail-title" }, idea.title),
      h("p", { id: "idea-thesis-text" }, idea.thesis),
      kvTable(
        [
          ["Status", h("span", { id: "idea-status" }, statusLabel(idea.status))],
          ["Tickers", idea.tickers.join(", ")],
          ["Direction", idea.direction],
          ["Weights", idea.weights ? Object.entries(idea.weights).map(([t, w]) => `${t} ${percent(w)}`).join(", ") : "equal"],
          ["Horizon", days(idea.horizon_days)],
          ["Version", String(idea.version)],
        ],
        "Idea",
      ),
      h("div", { id: "idea-metrics" }, kvTable(metricRows(idea.metrics), "Computed from the market data")),
      h("h3", {}, "Evidence"),
      idea.evidence.length ? h("ul", { id: "idea-evidence" }, idea.evidence.map(evidenceItem)) : h("p", { id: "idea-evidence", className: "hint" }, "No evidence attached."),
      h("h3", {}, "History"),
      h(
        "ol",
        { id: "idea-history" },
        idea.history.map((c) => h("li", {}, `${isoTime(c.at)}: ${c.from ? statusLabel(c.from) : "–"} → ${statusLabel(c.to)} by ${c.by}${c.reason ? ` (${c.reason})` : ""}`)),
      ),
      h("div", { className: "actions", id: "idea-moves" }, moves.length ? reason : null, ...moves, optimize, remove),
      optimizeResult,
    );
    detail.hidden = false;
  }

  async function open(id) {
    try {
      showDetail(await api(`/v1/ideas/${encodeURIComponent(id)}`));
    } catch (err) {
      detail.hidden = true;
      showAlert(errorText(err));
    }
  }

  async function move(idea, to, why) {
    try {
      const moved = await api(`/v1/ideas/${encodeURIComponent(idea.id)}/status`, {
        method: "POST",
        body: { status: to, reason: why, version: idea.version },
      });
      showAlert(`${moved.title} is now ${statusLabel(moved.status)}.`, "info");
      showDetail(moved);
      await load();
    } catch (err) {
      showAlert(errorText(err));
    }
  }

  async function optimizeIdea(idea, out) {
    try {
      const answer = await api(`/v1/ideas/${encodeURIComponent(idea.id)}/optimization`, { method: "POST" });
      showDetail(answer.idea);
      const result = document.getElementById("idea-optimize-result");
      clear(result).append("Submitted as ", h("a", { href: `#/jobs/${encodeURIComponent(answer.job.id)}`, id: "idea-job-link" }, `optimization job ${answer.job.id}`), ` (${answer.job.status}).`);
    } catch (err) {
      out.textContent = "";
      showAlert(errorText(err));
    }
  }

  async function removeIdea(idea) {
    if (!window.confirm(`Delete the idea "${idea.title}"?`)) return;
    try {
      await api(`/v1/ideas/${encodeURIComponent(idea.id)}`, { method: "DELETE" });
      detail.hidden = true;
      window.location.hash = "#/ideas";
    } catch (err) {
      showAlert(errorText(err));
    }
  }

  filters.addEventListener("submit", (event) => {
    event.preventDefault();
    load();
  });
  more.addEventListener("click", () => load(true));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const payload = {
      title: title.value.trim(),
      thesis: thesis.value.trim(),
      tickers: parseTickers(tickers.value),
      direction: direction.value,
      horizon_days: Number(horizon.value),
      lookback_days: Number(lookback.value),
    };
    try {
      const created = await api("/v1/ideas", { method: "POST", body: payload });
      form.reset();
      showAlert(`Created "${created.title}".`, "info");
      window.location.hash = `#/ideas/${encodeURIComponent(created.id)}`;
    } catch (err) {
      showAlert(errorText(err));
    }
  });

  load();
  if (params[0]) open(params[0]);
  return null;
}
