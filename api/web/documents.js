// Documents: upload research files (drag and drop or a file picker; several at once, each with
// its upload progress and the server's answer), the caller's documents, a document's chunks with
// their references, downloading the original, and deleting (/v1/documents).
//
// Routes: #/documents (upload and list), #/documents/<id> (one document).

import { ApiError, api, apiRaw, errorText, uploadWithProgress } from "./api.js";
import { clear, h, kvTable, showAlert, stackable } from "./dom.js";
import { fileSize, isoTime } from "./format.js";
import { mountDocumentSearch } from "./research_search.js";

const KINDS = {
  "application/pdf": "PDF",
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel",
  "text/csv": "CSV",
  "application/json": "JSON",
  "text/markdown": "Markdown",
  "text/plain": "Text",
};

const ACCEPT = ".pdf,.xlsx,.csv,.json,.md,.markdown,.txt,.text";
const CHUNKS_PER_PAGE = 50;

/** A document's kind ("PDF", "Excel", ...) from its media type. */
export function kindOf(mediaType) {
  return KINDS[mediaType] || mediaType;
}

/** A chunk's reference as text: "page 3", "sheet Q1, rows 2-14", "section Risks", "lines 1-9",
 * "rows 2-14", "key limits" (other keys as "name value"). */
export function fmtReference(reference) {
  const parts = [];
  for (const [name, value] of Object.entries(reference || {})) {
    if (name === "section" && value === "") parts.push("before the first heading");
    else parts.push(`${name} ${value}`);
  }
  return parts.join(", ") || "the whole document";
}

/** Why a file was refused: the API's problem with the field `file` (413, 415, 422), else the
 * error's text (e.g. a 413 on the whole request body, or a network error). */
export function uploadErrorText(err) {
  if (err instanceof ApiError) {
    const problem = (err.details || []).find((d) => d && d.field && d.field.split(".").includes("file"));
    if (problem && problem.problem) return problem.problem;
  }
  return errorText(err);
}

/** "3 pages, 5 chunks" or "5 chunks". */
function extent(d) {
  const chunks = `${d.chunk_count} chunk${d.chunk_count === 1 ? "" : "s"}`;
  return d.pages ? `${d.pages} page${d.pages === 1 ? "" : "s"}, ${chunks}` : chunks;
}

async function confirmDelete(d) {
  if (!window.confirm(`Delete the document "${d.name}" with its chunks and original?`)) return false;
  await api(`/v1/documents/${encodeURIComponent(d.id)}`, { method: "DELETE" });
  return true;
}

async function downloadOriginal(d, button) {
  button.disabled = true;
  showAlert(null);
  try {
    const response = await apiRaw(`/v1/documents/${encodeURIComponent(d.id)}/original`);
    const url = URL.createObjectURL(await response.blob());
    const link = h("a", { href: url, download: d.name, hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  } catch (err) {
    showAlert(errorText(err));
  } finally {
    button.disabled = false;
  }
}

export function renderDocuments(main, [documentId] = []) {
  return documentId ? renderDocument(main, documentId) : renderLibrary(main);
}

function renderLibrary(main) {
  const controller = new AbortController();
  const body = h("tbody");
  const listStatus = h("p", { id: "documents-status", className: "hint", "aria-live": "polite" });
  const uploads = h("ul", { id: "upload-list", className: "upload-list", "aria-live": "polite" });
  const picker = h("input", {
    id: "documents-file",
    name: "file",
    type: "file",
    multiple: true,
    accept: ACCEPT,
    "aria-describedby": "documents-drop-hint",
  });
  const zone = h(
    "div",
    { id: "documents-drop", className: "drop-zone" },
    h("p", { id: "documents-drop-hint" }, "Drop files here, or choose them: PDF, Excel (.xlsx), CSV, JSON, Markdown (.md) or text (.txt). Several at once are fine."),
    h("label", { for: "documents-file" }, "Files to add"),
    picker,
  );

  const searchSlot = h("section", { id: "documents-search", className: "card", "aria-label": "Search documents", hidden: true });
  mountDocumentSearch(searchSlot, { signal: controller.signal });
  main.append(
    h("h1", {}, "Documents"),
    h("p", { className: "lead" }, "Research the assistant can read: each file is split into passages that keep their page, sheet or section."),
    searchSlot,
    h(
      "section",
      { className: "card", "aria-labelledby": "documents-upload-title" },
      h("h2", { id: "documents-upload-title" }, "Add documents"),
      zone,
      uploads,
    ),
    h(
      "section",
      { className: "card", "aria-labelledby": "documents-title" },
      h("h2", { id: "documents-title" }, "Your documents"),
      h(
        "div",
        { className: "table-scroll", tabindex: "0" },
        h(
          "table",
          { id: "documents-table", className: "data" },
          h("thead", {}, h("tr", {}, ["Name", "Kind", "Pages / chunks", "Size", "Uploaded", "Actions"].map((t) => h("th", { scope: "col" }, t)))),
          body,
        ),
      ),
      listStatus,
    ),
  );
  stackable(main.querySelector("#documents-table"));

  /** Show the caller's documents; the status line says how many, after `announce` if given. */
  async function load(announce = "") {
    let items;
    try {
      items = (await api("/v1/documents", { signal: controller.signal })).items;
    } catch (err) {
      if (err.name !== "AbortError") showAlert(errorText(err));
      return;
    }
    clear(body).append(
      ...items.map((d) =>
        h(
          "tr",
          { dataset: { document: d.id } },
          h("th", { scope: "row" }, h("a", { href: `#/documents/${encodeURIComponent(d.id)}` }, d.name)),
          h("td", {}, kindOf(d.media_type)),
          h("td", {}, extent(d)),
          h("td", {}, fileSize(d.size_bytes)),
          h("td", {}, isoTime(d.created_at)),
          h(
            "td",
            { className: "row-actions" },
            h("button", { type: "button", className: "danger small", "aria-label": `Delete ${d.name}`, onclick: () => remove(d) }, "Delete"),
          ),
        ),
      ),
    );
    const count = items.length
      ? `${items.length} document${items.length === 1 ? "" : "s"}.`
      : "No documents yet. Add your research (broker notes, filings, spreadsheets): the assistant quotes their passages, with the page or section, when it answers, and ideas can cite them as evidence.";
    listStatus.textContent = announce ? `${announce} ${count}`.trim() : count;
  }

  async function remove(d) {
    showAlert(null);
    try {
      if (!(await confirmDelete(d))) return;
      await load(`Deleted ${d.name}.`);
    } catch (err) {
      showAlert(errorText(err));
    }
  }

  /** One line of the upload list: the file's name, a progress bar and its outcome. */
  function uploadRow(file) {
    const bar = h("progress", { max: 100, value: 0, "aria-label": `Upload of ${file.name}` });
    const status = h("span", { className: "upload-status" }, "Waiting…");
    const row = h("li", { className: "upload", dataset: { name: file.name, progressEvents: "0" } }, h("span", { className: "upload-name" }, file.name), bar, status);
    uploads.prepend(row);
    return { row, bar, status };
  }

  let queue = Promise.resolve();

  function uploadAll(files) {
    showAlert(null);
    for (const file of files) {
      const line = uploadRow(file);
      // one upload at a time, in the order given; each line shows its own outcome
      queue = queue.then(() => uploadOne(file, line));
    }
    queue = queue.then(() => load());
  }

  // uploads are not cancelled by leaving the page: they finish in the background
  async function uploadOne(file, { row, bar, status }) {
    const form = new FormData();
    form.append("file", file, file.name);
    status.textContent = "Uploading…";
    let events = 0;
    try {
      const created = await uploadWithProgress("/v1/documents", form, {
        onProgress: (loaded, total) => {
          events += 1;
          row.dataset.progressEvents = String(events);
          bar.setAttribute("value", String(Math.round((100 * loaded) / Math.max(total, 1))));
          status.textContent = `Uploading… ${fileSize(loaded)} of ${fileSize(total)}`;
        },
        onSent: () => {
          bar.setAttribute("value", "100");
          status.textContent = "Reading and splitting…";
        },
      });
      bar.setAttribute("value", "100");
      row.classList.add("done");
      row.dataset.document = created.id;
      clear(status).append("Added: ", h("a", { href: `#/documents/${encodeURIComponent(created.id)}` }, extent(created)));
    } catch (err) {
      row.classList.add("failed");
      status.className = "upload-status error-text";
      status.setAttribute("role", "alert");
      status.textContent = uploadErrorText(err);
    }
  }

  picker.addEventListener("change", () => {
    if (picker.files && picker.files.length) uploadAll([...picker.files]);
    picker.value = "";
  });
  for (const type of ["dragenter", "dragover"]) {
    zone.addEventListener(type, (event) => {
      event.preventDefault();
      if (event.dataTransfer) event.dataTransfer.dropEffect = "copy";
      zone.classList.add("dragging");
    });
  }
  zone.addEventListener("dragleave", (event) => {
    if (!zone.contains(event.relatedTarget)) zone.classList.remove("dragging");
  });
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("dragging");
    const files = event.dataTransfer ? [...event.dataTransfer.files] : [];
    if (files.length) uploadAll(files);
  });

  load();
  return () => controller.abort();
}

function renderDocument(main, documentId) {
  const controller = new AbortController();
  const base = `/v1/documents/${encodeURIComponent(documentId)}`;
  const title = h("h1", { id: "document-title" }, "Document");
  const summary = h("div", { id: "document-summary" });
  const chunkList = h("ol", { id: "chunk-list", className: "chunk-list" });
  const chunkStatus = h("p", { id: "chunk-status", className: "hint", "aria-live": "polite" });
  const more = h("button", { type: "button", id: "chunks-more", className: "secondary", hidden: true }, "Show more passages");
  let cursor = null;
  let shown = 0;
  let total = 0;

  main.append(
    h("p", {}, h("a", { href: "#/documents", id: "documents-back" }, "← All documents")),
    title,
    h("section", { className: "card", "aria-labelledby": "document-title" }, summary),
    h(
      "section",
      { className: "card", "aria-labelledby": "chunks-title" },
      h("h2", { id: "chunks-title" }, "Passages and their references"),
      chunkList,
      chunkStatus,
      h("div", { className: "actions" }, more),
    ),
  );

  function showSummary(d) {
    title.textContent = d.name;
    total = d.chunk_count;
    const download = h("button", { type: "button", id: "document-download" }, "Download original");
    download.addEventListener("click", () => downloadOriginal(d, download));
    const del = h("button", { type: "button", id: "document-delete", className: "danger" }, "Delete");
    del.addEventListener("click", async () => {
      showAlert(null);
      try {
        if (await confirmDelete(d)) window.location.hash = "#/documents";
      } catch (err) {
        showAlert(errorText(err));
      }
    });
    clear(summary).append(
      kvTable(
        [
          ["Kind", `${kindOf(d.media_type)} (${d.media_type})`],
          ["Pages", d.pages === null ? "–" : String(d.pages)],
          ["Passages (chunks)", String(d.chunk_count)],
          ["Size", fileSize(d.size_bytes)],
          ["Uploaded", isoTime(d.created_at)],
          ["SHA-256", h("code", {}, d.sha256)],
        ],
        "Document",
      ),
      h("div", { className: "actions" }, download, del),
    );
  }

  async function loadChunks() {
    more.disabled = true;
    const query = new URLSearchParams({ limit: String(CHUNKS_PER_PAGE) });
    if (cursor) query.set("cursor", cursor);
    const page = await api(`${base}/chunks?${query}`, { signal: controller.signal });
    chunkList.append(
      ...page.items.map((c) =>
        h(
          "li",
          { className: "chunk", dataset: { ordinal: String(c.ordinal) } },
          h("div", { className: "chunk-ref" }, h("span", { className: "badge" }, `#${c.ordinal}`), " ", fmtReference(c.reference)),
          h("p", { className: "chunk-text" }, c.text),
        ),
      ),
    );
    shown += page.items.length;
    cursor = page.next_cursor;
    more.hidden = !cursor;
    more.disabled = false;
    chunkStatus.textContent = `${shown} of ${total} passage(s) shown.`;
  }

  more.addEventListener("click", () => loadChunks().catch((err) => err.name !== "AbortError" && showAlert(errorText(err))));

  (async () => {
    try {
      showSummary(await api(base, { signal: controller.signal }));
      await loadChunks();
    } catch (err) {
      if (err.name !== "AbortError") showAlert(errorText(err));
    }
  })();
  return () => controller.abort();
}
