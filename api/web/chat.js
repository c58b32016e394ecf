// Chat with the strategy assistant: threads, messages whose agent trace streams in (who is
// working, tool calls and results as collapsible steps), and the approval prompt when the
// assistant proposes an optimization run.

import { api, errorText, streamEvents } from "./api.js";
import { purge, weightsChart } from "./charts.js";
import { clear, h, showAlert, table } from "./dom.js";
import { count, isoDate, isoTime, limitSentences, money, percent, ratio, scenario } from "./format.js";
import { dataWords, TraceView } from "./trace.js";

const isWeights = (w) => w && typeof w === "object" && !Array.isArray(w) && Object.keys(w).length && Object.values(w).every((v) => typeof v === "number");

/** The weights a tool's structured answer carries, as named series {name: {asset: fraction}}:
 * a portfolio's `weights`, or a comparison's `rows` (each portfolio's `largest_weights`);
 * null when it carries none. */
function weightSeries(tool, answer) {
  if (!answer || typeof answer !== "object") return null;
  if (isWeights(answer.weights)) return { [String(answer.method || tool).replace(/_/g, " ")]: answer.weights };
  if (Array.isArray(answer.rows)) {
    const rows = answer.rows.filter((r) => r && isWeights(r.largest_weights));
    if (rows.length) return Object.fromEntries(rows.map((r) => [String(r.portfolio).replace(/_/g, " "), r.largest_weights]));
  }
  return null;
}

/** The weights of a turn's tool messages: [{tool, answer, series}] in order (a tool message
 * whose content is not JSON, or carries no weights, gives none). */
function weightAnswers(messages) {
  const found = [];
  for (const m of messages) {
    if (m.role !== "tool") continue;
    let answer = null;
    try {
      answer = JSON.parse(m.content);
    } catch {
      continue;
    }
    const series = weightSeries(m.name || "tool", answer);
    if (series) found.push({ tool: m.name || "tool", answer, series });
  }
  return found;
}

let weightCards = 0;

/** Weights as a table (assets by the first series' weight, largest first; one column per
 * series; amounts when the answer states a capital) and a bar chart, with the answer's
 * expected return, volatility and Sharpe ratio when it gives them. */
function weightsCard({ answer, series }) {
  weightCards += 1;
  const id = `chat-weights-${weightCards}`;
  const names = Object.keys(series);
  const first = series[names[0]];
  const assets = [...new Set(names.flatMap((n) => Object.keys(series[n])))].sort((a, b) => (first[b] ?? -1) - (first[a] ?? -1));
  const capital = typeof answer.capital === "number" && names.length === 1 ? answer.capital : null;
  const headers = ["Asset", ...(names.length === 1 ? ["Weight"] : names), ...(capital ? ["Amount"] : [])];
  const cell = (name, asset) => (asset in series[name] ? percent(series[name][asset]) : "");
  const chart = h("div", { id: `${id}-chart`, className: "chart chart-small", role: "figure", "aria-label": `Weights per asset of ${names.join(", ")}` });
  const facts = [
    typeof answer.expected_return === "number" ? `expected return ${percent(answer.expected_return, { signed: true })}` : null,
    typeof answer.volatility === "number" ? `volatility ${percent(answer.volatility)}` : null,
    typeof answer.sharpe === "number" ? `Sharpe ratio ${ratio(answer.sharpe)}` : null,
    answer.date_range ? `estimated from ${isoDate(answer.date_range.start)} to ${isoDate(answer.date_range.end)}` : null,
    answer.start && answer.end ? `from ${isoDate(answer.start)} to ${isoDate(answer.end)}` : null,
  ].filter(Boolean);
  const title = names.length === 1 ? `Weights (${names[0]})` : `Largest weights of ${names.join(", ")}`;
  const box = h(
    "figure",
    { className: "weights-card", id },
    h("figcaption", {}, h("strong", {}, title), facts.length ? `: ${facts.join(", ")}` : ""),
    h(
      "div",
      { className: "two-col" },
      table(
        `${id}-table`,
        `${count(assets.length)} assets`,
        headers,
        assets.map((asset) => [asset, ...names.map((n) => cell(n, asset)), ...(capital ? [money(first[asset] * capital)] : [])]),
      ),
      chart,
    ),
  );
  return { box, draw: () => weightsChart(chart, names.length === 1 ? { weight: first } : series) };
}

/** Show the answers' weights at the end of `where`: a comparison's alone when the turn made
 * one (it holds the portfolios built for it), else each portfolio's. */
function showWeights(where, answers) {
  const compared = answers.filter((a) => Object.keys(a.series).length > 1);
  for (const answer of compared.length ? compared : answers) {
    const { box, draw } = weightsCard(answer);
    where.append(box);
    draw();
  }
}

/** An optimization request (or a drafted deployment) in words, for the approval card. */
function requestWords(request, deploying) {
  if (deploying) {
    const rows = [
      ["Name", request.name || "n/a"],
      ["Capital", money(request.capital)],
      ...(request.source ? [["Deploys", `${String(request.source.kind || "").replace(/_/g, " ")} ${request.source.id || ""}`]] : []),
    ];
    return h("dl", { className: "data-list" }, rows.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
  }
  const budget = request.budget || {};
  const rows = [
    ["Universe", (request.universe || []).join(", ") || "the default universe"],
    ["Dates", `${isoDate(request.start)} to ${isoDate(request.end)}`],
    ["Scenarios", (request.scenarios || []).map(scenario).join(", ") || "n/a"],
    ["Paths per scenario", count(request.n_paths)],
    ["Trials", `${count(budget.max_trials)} in batches of ${count(budget.batch_size)}`],
    ["Risk limits", limitSentences(request.risk_limits).join("; ") || "none"],
  ];
  return h("dl", { className: "data-list" }, rows.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
}

const EXAMPLES = [
  "Build me a max Sharpe portfolio of AAPL, MSFT, JNJ and KO since 2018",
  "What's the 99% CVaR of that?",
  "Find the target-vol setting that holds up in a bear market with 20 trials for AAPL, JNJ, KO and XOM since 2010",
  "What can you do?",
];

export function renderChat(main, threadId) {
  const controller = new AbortController();
  let thread = threadId;
  let busy = false;

  const threadList = h("ul", { id: "thread-list", className: "thread-list" });
  const newThread = h("button", { type: "button", id: "new-thread", className: "secondary" }, "New conversation");
  const log = h("div", { id: "chat-log", className: "chat-log", role: "log", "aria-label": "Conversation" });
  const status = h("p", { id: "chat-status", className: "hint", "aria-live": "polite" });
  const input = h("textarea", {
    id: "chat-input",
    name: "message",
    rows: 3,
    maxlength: 8000,
    required: true,
    "aria-describedby": "chat-input-hint",
  });
  const send = h("button", { type: "submit", id: "chat-send" }, "Send");
  const form = h(
    "form",
    { id: "chat-form", className: "chat-form" },
    h("label", { for: "chat-input" }, "Message"),
    input,
    h("small", { id: "chat-input-hint", className: "hint" }, "Enter sends; Shift+Enter starts a new line."),
    h("div", { className: "actions" }, send),
  );
  const examples = h(
    "div",
    { className: "examples" },
    h("span", { className: "hint" }, "Try: "),
    EXAMPLES.map((text) =>
      h(
        "button",
        {
          type: "button",
          className: "link example",
          onclick: () => {
            input.value = text;
            input.focus();
          },
        },
        text,
      ),
    ),
  );

  main.append(
    h("h1", {}, "Strategy assistant"),
    h(
      "div",
      { className: "chat-layout" },
      h("aside", { className: "card threads", "aria-label": "Conversations" }, newThread, threadList),
      h("section", { className: "card chat", "aria-label": "Chat" }, log, status, examples, form),
    ),
  );

  function setBusy(value) {
    busy = value;
    send.disabled = value;
    input.setAttribute("aria-busy", String(value));
    for (const b of log.querySelectorAll(".approval button")) if (value) b.disabled = true;
    if (!value) status.textContent = "";
  }

  async function loadThreads() {
    try {
      const threads = await api("/v1/threads", { signal: controller.signal });
      clear(threadList).append(
        ...threads.map((t) =>
          h(
            "li",
            {},
            h(
              "a",
              {
                href: `#/chat/${encodeURIComponent(t.id)}`,
                "aria-current": t.id === thread ? "page" : false,
                title: `last active ${isoTime(t.updated_at)}`,
              },
              t.title,
            ),
          ),
        ),
      );
      if (!threads.length) threadList.append(h("li", { className: "hint" }, "No conversations yet: your first message starts one."));
    } catch (err) {
      if (!controller.signal.aborted) showAlert(errorText(err));
    }
  }

  function savedNote(saved) {
    return h(
      "p",
      { className: "saved-portfolio" },
      `${saved.chat_id} is saved to your portfolios as “${saved.name}” (${saved.portfolio_id}): `,
      h("a", { href: "#/portfolios" }, "open Portfolios"),
    );
  }

  // "Run job_... succeeded." links to the job's page (its results, report and trace)
  function linkJobs(text) {
    return text
      .split(/\b(job_[0-9a-f]+)\b/)
      .map((part, i) => (i % 2 ? h("a", { href: `#/jobs/${part}`, className: "job-link" }, part) : part));
  }

  function bubble(role, text, extra = null) {
    const el = h(
      "div",
      { className: `msg msg-${role}` },
      h("span", { className: "who" }, role === "user" ? "You" : "Assistant"),
      h("div", { className: "body" }, ...(role === "assistant" ? linkJobs(text) : [text])),
      extra,
    );
    log.append(el);
    el.scrollIntoView({ block: "end" });
    return el;
  }

  /** Close an approval card for good (its buttons off, its ids free for the next card), with
   * `note` saying what answered it. */
  function settleCard(card, note) {
    card.querySelectorAll("button").forEach((b) => (b.disabled = true));
    card.querySelectorAll("[id]").forEach((el) => el.removeAttribute("id"));
    card.removeAttribute("aria-labelledby");
    card.classList.add("decided");
    card.append(h("p", { className: "decision" }, note));
  }

  function approvalCard(pending, where) {
    const request = pending.request || {};
    const deploying = pending.kind === "deployment";
    const changes = h("textarea", { id: "approval-changes", rows: 6, spellcheck: "false" });
    changes.value = JSON.stringify(
      deploying
        ? { capital: request.capital, schedule: request.schedule }
        : { n_paths: request.n_paths, horizon: request.horizon, budget: request.budget },
      null,
      2,
    );
    const editForm = h(
      "form",
      { className: "edit-form", hidden: true },
      h(
        "label",
        { for: "approval-changes" },
        deploying
          ? "Changes to the deployment (JSON: name, capital, schedule)"
          : "Changes to the request (JSON, fields of the optimization request)",
      ),
      changes,
      h("button", { type: "submit", id: "approval-run-edited" }, deploying ? "Deploy with these changes" : "Run with these changes"),
    );
    const approve = h("button", { type: "button", id: "approval-approve" }, deploying ? "Approve and deploy" : "Approve and run");
    const edit = h("button", { type: "button", id: "approval-edit", className: "secondary", "aria-expanded": "false" }, "Edit…");
    const reject = h("button", { type: "button", id: "approval-reject", className: "danger" }, "Reject");
    const card = h(
      "section",
      { className: "approval", "aria-labelledby": "approval-title" },
      h("h3", { id: "approval-title" }, "Approval needed"),
      h("p", {}, pending.summary || "The assistant proposes an optimization run."),
      h("details", {}, h("summary", {}, deploying ? "The drafted deployment" : "The drafted request"), requestWords(request, deploying)),
      h("div", { className: "actions" }, approve, edit, reject),
      editForm,
    );
    const decide = (action, body = {}) => {
      settleCard(card, `You chose: ${action}`);
      return turn(`/v1/threads/${encodeURIComponent(thread)}/approve`, { action, ...body });
    };
    approve.addEventListener("click", () => decide("approve"));
    reject.addEventListener("click", () => decide("reject"));
    edit.addEventListener("click", () => {
      editForm.hidden = !editForm.hidden;
      edit.setAttribute("aria-expanded", String(!editForm.hidden));
      if (!editForm.hidden) changes.focus();
    });
    editForm.addEventListener("submit", (event) => {
      event.preventDefault();
      let parsed;
      try {
        parsed = JSON.parse(changes.value);
        if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("not an object");
      } catch (err) {
        showAlert(`The changes must be a JSON object: ${err.message}`);
        changes.focus();
        return;
      }
      decide("edit", { changes: parsed });
    });
    where.append(card);
    return card;
  }

  /** After a turn that failed: the thread's waiting proposal, if any, as a card in `block`. */
  async function pendingAgain(block) {
    try {
      const detail = await api(`/v1/threads/${encodeURIComponent(thread)}`, { signal: controller.signal });
      if (detail.pending) approvalCard(detail.pending, block);
    } catch (err) {
      // the turn's own failure is already shown; nothing more to say
    }
  }

  /** One turn: POST to `path`, stream its trace into a new turn block. */
  async function turn(path, body) {
    setBusy(true);
    // a message typed while a proposal waits answers it in words or asks about it: the card is
    // closed, and the proposal, if it still waits after the reply, comes back in a new card
    for (const open of log.querySelectorAll(".approval:not(.decided)")) {
      settleCard(open, "You replied in the chat; if the proposal still waits, it is shown again below.");
    }
    showAlert(null);
    const steps = h("ol", { className: "trace" });
    const summary = h("summary", {}, "Agent trace");
    const box = h("details", { className: "trace-box", open: true }, summary, steps);
    const block = h("div", { className: "turn" }, box);
    log.querySelector(".intro")?.remove();
    log.append(block);
    const trace = new TraceView(steps, {
      onStatus: (text) => {
        status.textContent = text;
      },
    });
    status.textContent = "Sending…";
    let answered = false; // a turn event came: it carries the pending proposal, if any
    try {
      await streamEvents(path, {
        method: "POST",
        body,
        signal: controller.signal,
        onEvent: ({ event, data }) => {
          if (event === "turn") {
            answered = true;
            for (const reply of data.replies || []) block.append(bubble("assistant", reply));
            for (const saved of data.saved_portfolios || []) block.append(savedNote(saved));
            if (data.pending) approvalCard(data.pending, block);
          } else if (event === "error") {
            const message = (data && data.error && data.error.message) || String(data);
            block.append(h("p", { className: "error-text", role: "alert" }, `The assistant failed: ${message}`));
          } else if (event === "end") {
            block.dataset.status = (data && data.status) || "";
          } else if (data && typeof data === "object" && data.type) {
            trace.add(data);
            steps.lastElementChild?.scrollIntoView({ block: "nearest" });
          }
        },
      });
    } catch (err) {
      if (controller.signal.aborted) return;
      block.append(h("p", { className: "error-text", role: "alert" }, errorText(err)));
    } finally {
      if (!controller.signal.aborted) {
        if (!answered) await pendingAgain(block); // a failed turn: a proposal may still wait
        await turnWeights(block);
        setBusy(false);
        summary.textContent = `Agent trace (${trace.count} steps)`;
        box.open = false; // the replies follow; the steps stay one click away
        block.dataset.done = "true";
        const approve = block.querySelector(".approval:not(.decided) #approval-approve");
        (approve || input).focus();
      }
    }
  }

  /** The weights the turn's tools answered with (the thread's messages since the last user
   * message), as a table and a chart under the turn's replies. */
  async function turnWeights(block) {
    if (!thread) return;
    try {
      const detail = await api(`/v1/threads/${encodeURIComponent(thread)}`, { signal: controller.signal, signInOn401: false });
      const lastUser = detail.messages.map((m) => m.role).lastIndexOf("user");
      showWeights(block, weightAnswers(detail.messages.slice(lastUser + 1)));
    } catch (err) {
      if (!controller.signal.aborted) console.warn(`the turn's weights did not load: ${errorText(err)}`);
    }
  }

  async function ensureThread(firstMessage) {
    if (thread) return thread;
    const title = firstMessage.length > 60 ? firstMessage.slice(0, 59) + "…" : firstMessage;
    const created = await api("/v1/threads", { method: "POST", body: { title }, signal: controller.signal });
    thread = created.id;
    history.replaceState(null, "", `#/chat/${encodeURIComponent(thread)}`);
    loadThreads();
    return thread;
  }

  async function submit() {
    const text = input.value.trim();
    if (!text || busy) return;
    try {
      await ensureThread(text);
    } catch (err) {
      showAlert(errorText(err));
      return;
    }
    input.value = "";
    bubble("user", text);
    await turn(`/v1/threads/${encodeURIComponent(thread)}/messages`, { content: text });
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit();
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submit();
    }
  });
  newThread.addEventListener("click", () => {
    window.location.hash = "#/chat";
    if (!threadId) {
      // already on #/chat: start afresh in place
      thread = null;
      clear(log);
      input.focus();
    }
  });

  async function loadHistory() {
    if (!thread) {
      log.append(
        h(
          "div",
          { className: "hint intro" },
          h("p", {}, "Ask in your own words for a portfolio, a risk report, a comparison with equal weights or a strategy search: the assistant answers with numbers from the market data, saves the portfolios it builds, and asks before it runs a search or deploys anything."),
          h("p", {}, "Pick an example below to start, or write your own."),
        ),
      );
      return;
    }
    try {
      const detail = await api(`/v1/threads/${encodeURIComponent(thread)}`, { signal: controller.signal });
      let waiting = []; // weights answered since the last reply: shown under the next one
      const flush = () => {
        showWeights(log, waiting);
        waiting = [];
      };
      for (const m of detail.messages) {
        if (m.role === "user") {
          flush();
          bubble("user", m.content);
        } else if (m.role === "assistant") {
          const calls = (m.tool_calls || []).map((c) =>
            h("details", { className: "tool" }, h("summary", {}, `Used the tool ${String(c.name).replace(/_/g, " ")}`), dataWords(c.args || {})),
          );
          if (m.content || calls.length) bubble("assistant", m.content, calls.length ? h("div", {}, calls) : null);
          if (m.content) flush();
        } else {
          waiting.push(...weightAnswers([m]));
          log.append(
            h("details", { className: "tool msg-tool" }, h("summary", {}, `The tool ${String(m.name || "tool").replace(/_/g, " ")} answered`), dataWords(m.content)),
          );
        }
      }
      flush();
      if (detail.pending) approvalCard(detail.pending, log);
    } catch (err) {
      if (!controller.signal.aborted) showAlert(errorText(err));
    }
  }

  loadThreads();
  loadHistory();
  input.focus();
  return () => {
    controller.abort();
    for (const el of main.querySelectorAll(".js-plotly-plot")) purge(el);
  };
}
