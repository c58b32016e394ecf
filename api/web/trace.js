// Rendering a stream of trace events (docs/trace-events.md) as steps: which agent is working,
// its messages, tool calls with their results (collapsible), progress, warnings and errors.

import { agentName, h } from "./dom.js";

function shortArgs(args) {
  const text = JSON.stringify(args ?? {});
  return text.length > 80 ? text.slice(0, 79) + "…" : text;
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
    if (type !== "node_started" && type !== "node_finished") this.lastWorking = null;
    switch (type) {
      case "run_started":
        this.step("run", null, `Run started (${data.graph}${data.resumed ? ", resumed" : ""})`);
        break;
      case "node_started": {
        const key = `${agent}|${node}`;
        if (this.lastWorking === key) break;
        this.lastWorking = key;
        this.onStatus(`${agentName(agent)} is working (${node})…`);
        this.step("agent", agent, this.badge(agent), ` working (${node})`);
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
        const size = `${data.chars} characters${data.redacted ? ", redacted" : ""}`;
        const details = h(
          "details",
          { className: "thinking" },
          h("summary", {}, this.badge(agent), ` thinking (${size})`),
          h("pre", {}, data.text || ""),
        );
        this.step("thinking", agent, details);
        break;
      }
      case "tool_call": {
        const structured = /^[A-Z]/.test(data.tool || "");
        const verb = structured ? "decided" : "calls";
        const details = h(
          "details",
          { className: "tool" },
          h(
            "summary",
            {},
            this.badge(agent),
            ` ${verb} `,
            h("code", {}, data.tool),
            h("span", { className: "args" }, ` ${shortArgs(data.args)}`),
          ),
          h("pre", { className: "json" }, JSON.stringify(data.args ?? {}, null, 2)),
        );
        this.step(structured ? "decision" : "tool-call", agent, details);
        if (data.call_id) this.calls.set(data.call_id, details);
        this.onStatus(`${agentName(agent)} ${verb} ${data.tool}…`);
        break;
      }
      case "tool_result": {
        const result = h(
          "div",
          { className: data.is_error ? "tool-result error" : "tool-result" },
          h("strong", {}, data.is_error ? "error: " : "result: "),
          h("pre", {}, data.summary),
        );
        const details = data.call_id && this.calls.get(data.call_id);
        if (details) {
          details.append(result);
          const summary = details.querySelector("summary");
          summary.append(
            h("span", { className: data.is_error ? "status error" : "status ok" }, data.is_error ? " ✗ failed" : " ✓"),
          );
        } else {
          this.step(
            "tool-result",
            agent,
            h("details", { className: "tool" }, h("summary", {}, this.badge(agent), ` ${data.tool} answered`), result),
          );
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
          data.best === null || data.best === undefined
            ? ""
            : `, best ${data.metric || "objective"} ${Number(data.best).toFixed(4)}`;
        entry.label.textContent = `${data.done}${data.total ? "/" + data.total : ""} ${data.unit}${best}`;
        this.onProgress(data, event);
        break;
      }
      case "warning":
        this.step("warning", agent, this.badge(agent), ` warning: ${data.message}`);
        break;
      case "error":
        this.step("error", agent, this.badge(agent), ` error: ${data.message}`);
        break;
      case "run_finished": {
        const text =
          data.status === "interrupted"
            ? "Paused: waiting for your approval"
            : `Run finished: ${data.status}${data.reason ? ` (${data.reason})` : ""}`;
        this.step("run", null, text);
        break;
      }
      default:
        this.step("other", agent, `${type}`);
    }
  }
}
