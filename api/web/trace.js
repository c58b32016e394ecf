// Rendering a stream of trace events (docs/trace-events.md) as steps in sentences: which agent
// is working, its messages, its decisions and tool calls (their arguments and answers in
// words, folded), progress, warnings and errors. Each event's sentence is the API's (`text`,
// services' traces.sentences); an older event without one is said from its type.

import { agentName, h } from "./dom.js";
import { count, isoDate, percent, quantity, ratio } from "./format.js";

const PERCENT_KEYS = /(return|volatility|drawdown|var|cvar|cagr|weight|rate|vol|turnover|strike|budget|buffer)/i;

/** A value of a tool's arguments or answer in words: numbers by what their key says (a
 * return or a weight as a percentage, a count, a ratio), lists joined, dates as they are. */
function valueWords(key, value) {
  if (value === null || value === undefined) return "none";
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (typeof value === "number") {
    if (PERCENT_KEYS.test(key) && Math.abs(value) <= 10) return percent(value);
    return Number.isInteger(value) ? count(value) : ratio(value);
  }
  if (Array.isArray(value)) return value.map((v) => (typeof v === "object" ? valueWords(key, v) : String(v))).join(", ");
  if (typeof value === "object") {
    // the members of a percentage-like field (weights by asset) are percentages too
    return Object.entries(value)
      .map(([k, v]) => `${k.replace(/_/g, " ")} ${valueWords(PERCENT_KEYS.test(key) ? key : k, v)}`)
      .join("; ");
  }
  if (/^\d{4}-\d{2}-\d{2}/.test(value)) return isoDate(value);
  return String(value).replace(/_/g, " ");
}

/** A tool's arguments or structured answer as a list of "name: value" lines in words (text
 * that is not JSON, e.g. an error, as it is). */
export function dataWords(data) {
  let value = data;
  if (typeof data === "string") {
    try {
      value = JSON.parse(data);
    } catch {
      return h("p", { className: "data-text" }, data);
    }
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) return h("p", { className: "data-text" }, valueWords("", value));
  const entries = Object.entries(value);
  if (!entries.length) return h("p", { className: "data-text" }, "nothing");
  return h(
    "dl",
    { className: "data-list" },
    entries.flatMap(([k, v]) => [h("dt", {}, k.replace(/_/g, " ")), h("dd", {}, valueWords(k, v))]),
  );
}

/** Appends steps for trace events to a list element. `onStatus(text)` hears who is working. */
export class TraceView {
  constructor(list, { onStatus = () => {}, onProgress = () => {} } = {}) {
    this.list = list;
    this.onStatus = onStatus;
    this.onProgress = onProgress;
    this.messages = new Map(); // message_id -> text element
    this.calls = new Map(); // call_id -> details element
    this.progress = new Map(); // node|unit -> {bar, label}
    this.lastWorking = null;
    this.count = 0;
  }

  step(kind, agent, ...children) {
    const item = h(
      "li",
      { className: `step step-${kind}`, dataset: { kind, agent: agent || "" } },
      ...children,
    );
    this.list.append(item);
    this.count += 1;
    return item;
  }

  badge(agent) {
    return h("span", { className: `badge agent-${agent || "system"}` }, agentName(agent));
  }

  add(event) {
    const { type, agent, node, data = {} } = event;
    const said = event.text || null;
    const tool = String(data.tool || "").replace(/_/g, " ");
    if (type !== "node_started" && type !== "node_finished") this.lastWorking = null;
    switch (type) {
      case "run_started":
        this.step("run", null, said || `The run started${data.resumed ? " again" : ""}.`);
        break;
      case "node_started": {
        const key = `${agent}|${node}`;
        if (this.lastWorking === key) break;
        this.lastWorking = key;
        const text = said || `${agentName(agent)} is working (${String(node || "").replace(/_/g, " ")}).`;
        this.onStatus(text.replace(/\.$/, "…"));
        this.step("agent", agent, this.badge(agent), " ", text);
        break;
      }
      case "node_finished":
        break;
      case "message_delta": {
        let text = this.messages.get(data.message_id);
        if (!text) {
          text = h("span", { className: "text" });
          this.step("message", agent, this.badge(agent), " ", text);
          this.messages.set(data.message_id, text);
        }
        text.textContent += data.text;
        break;
      }
      case "reasoning": {
        // an agent's thinking: kept apart from its answer, folded away
        const size = `${count(data.chars)} characters${data.redacted ? ", redacted" : ""}`;
        const details = h(
          "details",
          { className: "thinking" },
          h("summary", {}, this.badge(agent), ` thought it over (${size})`),
          h("pre", {}, data.text || ""),
        );
        this.step("thinking", agent, details);
        break;
      }
      case "tool_call": {
        const structured = /^[A-Z]/.test(data.tool || "");
        const text = said || (structured ? `${agentName(agent)} decided (${tool}).` : `${agentName(agent)} used the tool ${tool}.`);
        const details = h(
          "details",
          { className: "tool" },
          h("summary", {}, this.badge(agent), " ", h("span", { className: "sentence" }, text)),
          h("div", { className: "tool-args" }, h("strong", {}, structured ? "What it decided" : "What it asked"), dataWords(data.args ?? {})),
        );
        this.step(structured ? "decision" : "tool-call", agent, details);
        if (data.call_id) this.calls.set(data.call_id, details);
        this.onStatus(text.replace(/\.$/, "…"));
        break;
      }
      case "tool_result": {
        const result = h(
          "div",
          { className: data.is_error ? "tool-result error" : "tool-result" },
          h("strong", {}, data.is_error ? "It failed" : "Its answer"),
          dataWords(data.summary ?? ""),
        );
        const details = data.call_id && this.calls.get(data.call_id);
        if (details) {
          details.append(result);
          const summary = details.querySelector("summary");
          summary.append(
            h("span", { className: data.is_error ? "status error" : "status ok" }, data.is_error ? " (failed)" : " (answered)"),
          );
        } else {
          const text = said || `The tool ${tool} ${data.is_error ? "failed" : "answered"}.`;
          this.step("tool-result", agent, h("details", { className: "tool" }, h("summary", {}, this.badge(agent), ` ${text}`), result));
        }
        break;
      }
      case "progress": {
        const key = `${node}|${data.unit}`;
        let entry = this.progress.get(key);
        if (!entry) {
          const label = h("span", { className: "progress-label" });
          const bar = h("progress", { max: 1, value: 0, "aria-label": `${data.unit} progress` });
          this.step("progress", agent, this.badge(agent), " ", bar, " ", label);
          entry = { bar, label };
          this.progress.set(key, entry);
        }
        if (data.total) {
          entry.bar.max = data.total;
          entry.bar.value = data.done;
        } else {
          entry.bar.removeAttribute("value");
        }
        const best =
          data.best === null || data.best === undefined ? "" : `; best ${data.metric || "objective"} so far ${ratio(data.best)}`;
        entry.label.textContent =
          said || `${quantity(data.done)}${data.total ? ` of ${quantity(data.total)}` : ""} ${data.unit} done${best}.`;
        this.onProgress(data, event);
        break;
      }
      case "warning":
        this.step("warning", agent, this.badge(agent), ` ${said || `Warning: ${data.message}`}`);
        break;
      case "error":
        this.step("error", agent, this.badge(agent), ` ${said || `Error: ${data.message}`}`);
        break;
      case "run_finished": {
        const text =
          data.status === "interrupted"
            ? "Paused: waiting for your approval."
            : said || `The run ${data.status}${data.reason ? `: ${data.reason}` : ""}.`;
        this.step("run", null, text);
        break;
      }
      default:
        this.step("other", agent, said || `${String(type).replace(/_/g, " ")}.`);
    }
  }
}
