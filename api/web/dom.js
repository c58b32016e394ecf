// Small DOM helpers: elements are built with textContent (never HTML from the API).

import { agent } from "./format.js";

/** `h("button", {type: "button", onclick}, "text", child)` -> element. Attributes starting with
 * "on" become listeners; `dataset`, `className` and boolean attributes are handled. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      el.addEventListener(name.slice(2), value);
    } else if (name === "className") {
      el.className = value;
    } else if (name === "dataset") {
      Object.assign(el.dataset, value);
    } else if (value === true) {
      el.setAttribute(name, "");
    } else {
      el.setAttribute(name, String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

/** Save `text` (or a Blob) as a file download named `name`. */
export function download(name, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = h("a", { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A data table with its `id`, a caption, column headers and rows of cells (text or nodes),
 * in a horizontally scrolling box; `{stack: true}` for a list that stacks on a phone. */
export function table(id, caption, headers, rows, { stack = false } = {}) {
  const el = h(
    "table",
    { id, className: "data" },
    h("caption", {}, caption),
    h("thead", {}, h("tr", {}, headers.map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, rows.map((cells) => h("tr", {}, cells.map((c) => h("td", {}, c))))),
  );
  return h("div", { className: "table-scroll", tabindex: "0" }, stack ? stackable(el) : el);
}

/** Make a list table stack on a phone (class "stack": each row a block, each cell after its
 * column's name): every cell of its body, now and as rows come, gets its header as `data-label`.
 * Returns the table. */
export function stackable(tableEl) {
  tableEl.classList.add("stack");
  const label = () => {
    const names = [...tableEl.querySelectorAll("thead th")].map((th) => th.textContent.trim());
    for (const row of tableEl.querySelectorAll("tbody tr")) {
      [...row.children].forEach((cell, i) => {
        if (names[i] && cell.dataset.label !== names[i]) cell.dataset.label = names[i];
      });
    }
  };
  new MutationObserver(label).observe(tableEl, { childList: true, subtree: true });
  label();
  return tableEl;
}

/** A labelled key/value table. */
export function kvTable(rows, caption) {
  return h(
    "table",
    { className: "kv" },
    caption ? h("caption", {}, caption) : null,
    h(
      "tbody",
      {},
      rows.map(([key, value]) => h("tr", {}, h("th", { scope: "row" }, key), h("td", {}, value))),
    ),
  );
}

/** Display name of an agent role, capitalised ("Risk manager"; the vocabulary's words). */
export function agentName(role) {
  if (!role) return "Stratigos";
  const words = agent(role).replace(/^the /, "");
  return words[0].toUpperCase() + words.slice(1);
}

/** Show a message in the page's alert region (errors by default); null hides it. */
export function showAlert(text, kind = "error") {
  const box = document.getElementById("alert");
  if (!box) return;
  if (!text) {
    box.hidden = true;
    return;
  }
  box.className = `alert alert-${kind}`;
  box.setAttribute("role", kind === "error" ? "alert" : "status");
  document.getElementById("alert-text").textContent = text;
  box.hidden = false;
  // the banner sits at the top: bring it into view when the form that failed is further down
  const top = box.getBoundingClientRect().top;
  if (top < 0 || top > window.innerHeight) box.scrollIntoView({ block: "start" });
}

/** Remove the field errors `markField` put in `form`. */
export function clearFieldErrors(form) {
  for (const el of form.querySelectorAll(".field-error")) el.remove();
  for (const el of form.querySelectorAll("[aria-invalid]")) {
    el.removeAttribute("aria-invalid");
    el.removeAttribute("aria-describedby");
  }
}

/** Show `message` beside the control `id` (marked invalid, described by the message). */
export function markField(form, id, message) {
  const input = form.querySelector(`#${CSS.escape(id)}`);
  if (!input) return null;
  const where = (input.type === "checkbox" && input.closest("fieldset")) || input.closest(".field") || input.parentElement;
  let note = where.querySelector(":scope > .field-error");
  if (!note) {
    note = h("small", { className: "field-error", id: `${id}-error` });
    where.append(note);
  }
  note.textContent = note.textContent ? `${note.textContent} ${message}` : message;
  input.setAttribute("aria-invalid", "true");
  input.setAttribute("aria-describedby", note.id);
  // a field in a collapsed group of the form: open it, so the problem can be seen and fixed
  for (let group = input.closest("details"); group; group = group.parentElement.closest("details")) group.open = true;
  return input;
}
