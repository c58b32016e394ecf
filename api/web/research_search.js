// Searching the documents library (GET /v1/research/search): a query, the mode (hybrid, full
// text or vectors), and the passages found with their citation, snippet and a link to the
// document, plus the documents the index does not hold yet.

import { api, errorText } from "./api.js";
import { clear, h } from "./dom.js";

const MODES = [
  ["hybrid", "Hybrid (words and meaning)"],
  ["bm25", "Exact words (BM25)"],
  ["vector", "Similar text (vectors)"],
];

/** Mount the search form into `slot` (a section of the documents page) and show it. */
export function mountDocumentSearch(slot, { signal } = {}) {
  const query = h("input", {
    id: "documents-query",
    name: "q",
    type: "search",
    required: true,
    maxLength: 1000,
    placeholder: "e.g. energy stocks, OPEC, expected return",
  });
  const mode = h(
    "select",
    { id: "documents-mode", name: "mode" },
    ...MODES.map(([value, label]) => h("option", { value }, label)),
  );
  const status = h("p", { id: "documents-search-status", className: "hint", "aria-live": "polite" });
  const results = h("ol", { id: "documents-results", className: "search-results" });
  const form = h(
    "form",
    { className: "search-form", role: "search" },
    h("label", { for: "documents-query" }, "Search your documents"),
    query,
    h("label", { for: "documents-mode" }, "Match"),
    mode,
    h("button", { type: "submit" }, "Search"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const params = new URLSearchParams({ q: query.value, mode: mode.value, k: "10" });
    status.textContent = "Searching…";
    clear(results);
    try {
      const found = await api(`/v1/research/search?${params}`, { signal });
      showResults(found, results, status);
    } catch (err) {
      if (err.name !== "AbortError") status.textContent = errorText(err);
    }
  });
  slot.append(h("h2", {}, "Search"), form, status, results);
  slot.hidden = false;
}

function showResults(found, results, status) {
  const count = found.hits.length;
  status.textContent = count
    ? `${count} passage${count === 1 ? "" : "s"} for "${found.query}", best first.`
    : `No passage matches "${found.query}".`;
  if (found.unindexed.length) {
    status.textContent += ` Not searchable yet: ${found.unindexed.map((d) => d.name).join(", ")}.`;
  }
  for (const hit of found.hits) {
    results.append(
      h(
        "li",
        { className: "search-hit" },
        h(
          "p",
          { className: "citation" },
          h("a", { href: `#/documents/${encodeURIComponent(hit.document_id)}` }, hit.citation),
        ),
        h("blockquote", {}, hit.snippet),
      ),
    );
  }
}
