// Deployments: strategies on a paper (or Alpaca) account on a schedule. #/deployments lists them
// and creates one (from a saved portfolio or a succeeded optimization; #/deployments/new/<job id> starts from
// that optimization's winner); #/deployments/<id> shows one: lifecycle buttons, forward tests
// (paper against backtest), positions, orders, the ledger (with a CSV download) and its events,
// streamed live from /v1/deployments/<id>/events (SSE).

import { api, errorText, openHtmlPage, streamEvents } from "./api.js";
import { benchmarkSeries, benchmarkTable } from "./benchmarks.js";
import { equityChart, purge } from "./charts.js";
import { clear, clearFieldErrors, download, fmt, fmtMoney, fmtPct, fmtTime, h, kvTable, markField, showAlert, table } from "./dom.js";
import { hedgeText } from "./results.js";

const POLL_MS = 500;
const HEDGE_HINT =
  "Needed when the winner holds an option hedge: the symbol standing in for the risky sleeve (e.g. SPY); the market data must have its prices.";
const ACTIONS = {
  draft: ["activate", "retire"],
  active: ["pause", "retire"],
  paused: ["resume", "retire"],
  retired: [],
};

/** The broker a deployment trades: paper, or Alpaca with its account and endpoint. */
function brokerText(spec) {
  return spec.broker === "alpaca" ? `Alpaca ${spec.account} (${spec.alpaca_endpoint})` : "paper";
}

export function renderDeployments(main, params) {
  if (params[0] && params[0] !== "new") return renderDeployment(main, params[0]);
  const fromJob = params[0] === "new" ? params[1] || null : null;
  const listBox = h("section", { className: "card" });
  const status = h("p", { id: "deployments-status", className: "hint", "aria-live": "polite" });
  const sourceKind = h(
    "select",
    { id: "deployment-source-kind" },
    h("option", { value: "optimization" }, "an optimization's winner"),
    h("option", { value: "portfolio" }, "a saved portfolio"),
  );
  const source = h("select", { id: "deployment-source", required: true });
  const name = h("input", { id: "deployment-name", type: "text", maxlength: 200, placeholder: "e.g. Defensive weekly" });
  const capital = h("input", { id: "deployment-capital", type: "number", min: "1", step: "any", value: "100000", required: true });
  const every = h(
    "select",
    { id: "deployment-every" },
    [["", "the strategy's own cadence"], ["session", "session"], ["week", "week"], ["month", "month"], ["quarter", "quarter"]].map(([v, text]) => h("option", { value: v, selected: v === "" }, text)),
  );
  const on = h("select", { id: "deployment-on" }, ["first", "last"].map((v) => h("option", { value: v }, v)));
  const at = h("input", { id: "deployment-at", type: "time", value: "15:45", required: true });
  const cashBuffer = h("input", { id: "deployment-cash-buffer", type: "number", min: "0", max: "0.99", step: "any", value: "0" });
  const maxDrawdown = h("input", { id: "deployment-max-drawdown", type: "number", min: "0", max: "0.99", step: "any", placeholder: "none" });
  const capLeverage = h("input", { id: "deployment-cap-leverage", type: "checkbox" });
  const broker = h(
    "select",
    { id: "deployment-broker" },
    h("option", { value: "paper" }, "paper (its own simulated account)"),
    h("option", { value: "alpaca" }, "Alpaca (your account, configured on the server)"),
  );
  const hedgeUnderlying = h("input", { id: "deployment-hedge-underlying", type: "text", maxlength: 6, placeholder: "e.g. SPY", autocomplete: "off" });
  const hedgeHint = h(
    "small",
    { id: "deployment-hedge-hint", className: "hint" },
    HEDGE_HINT,
  );
  const hedgeLabel = h("label", { for: "deployment-hedge-underlying" }, "Hedge underlying (optional)");
  const hedgeField = h("div", { id: "deployment-hedge", className: "field" }, hedgeLabel, hedgeUnderlying, hedgeHint);
  const create = h("button", { type: "submit", id: "deployment-create" }, "Create deployment");
  const form = h(
    "form",
    { id: "deployment-form", className: "card", "aria-labelledby": "deployment-form-title" },
    h("h2", { id: "deployment-form-title" }, "Deploy"),
    h("label", { for: "deployment-source-kind" }, "Deploy"),
    sourceKind,
    h("label", { for: "deployment-source" }, "Source"),
    source,
    h("label", { for: "deployment-name" }, "Name"),
    name,
    h("label", { for: "deployment-capital" }, "Capital"),
    capital,
    h("label", { for: "deployment-broker" }, "Broker"),
    broker,
    hedgeField,
    h("label", { for: "deployment-every" }, "Rebalance every"),
    every,
    h("label", { for: "deployment-on" }, "On the period's"),
    on,
    h("label", { for: "deployment-at" }, "At (exchange time, New York)"),
    at,
    h("label", { for: "deployment-cash-buffer" }, "Cash buffer (fraction of equity)"),
    cashBuffer,
    h("label", { for: "deployment-max-drawdown" }, "Pause at a drawdown of (fraction, optional)"),
    maxDrawdown,
    h("label", { className: "check" }, capLeverage, " Cap a levered winner's leverage at 1 (a cash account cannot borrow)"),
    h("div", { className: "actions" }, create),
  );
  const kill = h("button", { type: "button", id: "kill-switch", className: "danger" }, "Kill switch: stop everything");
  const killStatus = h("p", { id: "kill-status", className: "hint", "aria-live": "polite" });
  kill.addEventListener("click", async () => {
    if (!window.confirm("Pause every deployment and cancel their runs and open orders?")) return;
    try {
      const report = await api("/v1/kill-switch", { method: "POST", body: {} });
      killStatus.textContent = `Paused ${report.paused.length} deployment(s), cancelled ${report.cancelled_jobs.length} run(s) and ${report.canceled_orders.length} order(s).${report.failures.length ? " Not stopped (pull it again): " + report.failures.join("; ") : ""}`;
      await loadList();
    } catch (err) {
      showAlert(errorText(err));
    }
  });
  const hedgeButtons = hedgeSwitch({}, "hedge-kill-status", loadList);
  main.append(
    h("h1", {}, "Deployments"),
    h("div", { className: "toolbar" }, kill, hedgeButtons.kill, hedgeButtons.release),
    killStatus,
    hedgeButtons.status,
    form,
    listBox,
    status,
  );

  // the API's field names -> the control each problem is shown beside
  const FIELD_INPUTS = {
    "source.id": "deployment-source",
    source: "deployment-source",
    name: "deployment-name",
    capital: "deployment-capital",
    broker: "deployment-broker",
    hedge: "deployment-hedge-underlying",
    schedule: "deployment-at",
    "limits.cash_buffer": "deployment-cash-buffer",
    "limits.max_drawdown": "deployment-max-drawdown",
    cap_leverage: "deployment-cap-leverage",
  };
  function inputOfField(field) {
    const parts = String(field || "").replace(/^body\./, "").split(".");
    for (let n = parts.length; n > 0; n -= 1) {
      const id = FIELD_INPUTS[parts.slice(0, n).join(".")];
      if (id) return id;
    }
    return null;
  }

  // the chosen optimization's winner: with a hedge its underlying is required
  let describing = 0;
  async function describeHedge() {
    const asked = (describing += 1);
    const set = (label, hint, required, hidden = false) => {
      hedgeLabel.textContent = label;
      hedgeHint.textContent = hint;
      // required as the API checks it (its answer is shown beside the field), not by the browser
      if (required) hedgeUnderlying.setAttribute("aria-required", "true");
      else hedgeUnderlying.removeAttribute("aria-required");
      hedgeField.hidden = hidden;
    };
    if (sourceKind.value === "portfolio") return set("Hedge underlying", "", false, true);
    const generic = () => set(
      "Hedge underlying (optional)",
      HEDGE_HINT,
      false,
    );
    if (!source.value) return generic();
    let config = null;
    try {
      const data = await api(`/v1/optimizations/${encodeURIComponent(source.value)}/results?limit=1`);
      config = data.best && data.best.config;
    } catch {
      config = null; // an unknown job: the API says so when the form is sent
    }
    if (asked !== describing) return undefined;
    const hedge = hedgeText(config);
    if (!hedge) {
      if (config) return set("Hedge underlying", "The winner holds no option hedge: nothing to hedge.", false, true);
      return generic();
    }
    return set(
      "Hedge underlying (required)",
      `The winner holds an option hedge (${hedge}): name the symbol its options are on, standing in for the risky sleeve (e.g. SPY); the market data must have its prices.`,
      true,
    );
  }

  async function loadSources() {
    clear(source);
    if (sourceKind.value === "portfolio") {
      const { items } = await api("/v1/portfolios");
      for (const p of items) source.append(h("option", { value: p.id }, `${p.name} (${p.id})`));
    } else {
      const jobs = await api("/v1/optimizations?status=succeeded&limit=100");
      for (const j of jobs) source.append(h("option", { value: j.id, selected: j.id === fromJob }, `${j.id} (${fmtTime(j.finished_at)})`));
      if (fromJob && !jobs.some((j) => j.id === fromJob)) source.append(h("option", { value: fromJob, selected: true }, fromJob));
    }
    if (!source.options.length) source.append(h("option", { value: "" }, `no ${sourceKind.value === "portfolio" ? "saved portfolios" : "succeeded optimizations"} yet`));
    await describeHedge();
  }

  async function loadList() {
    const { items } = await api("/v1/deployments");
    clear(listBox);
    listBox.append(
      table(
        "deployments-table",
        "Your deployments, oldest first",
        ["Name", "Status", "Mode", "Capital", "Schedule", ""],
        items.map((d) => [
          h("a", { href: `#/deployments/${encodeURIComponent(d.id)}` }, d.name),
          d.status,
          d.mode === "forward_test" ? "forward test" : brokerText(d.spec),
          fmtMoney(d.spec.capital),
          scheduleText(d.spec),
          h("a", { href: `#/deployments/${encodeURIComponent(d.id)}`, "aria-label": `Open ${d.name}` }, "Open"),
        ]),
      ),
    );
    status.textContent = items.length ? "" : "No deployments yet.";
  }

  sourceKind.addEventListener("change", () => loadSources().catch((err) => showAlert(errorText(err))));
  source.addEventListener("change", () => describeHedge().catch((err) => showAlert(errorText(err))));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showAlert(null);
    clearFieldErrors(form);
    create.disabled = true;
    try {
      const limits = { cash_buffer: Number(cashBuffer.value || 0) };
      if (maxDrawdown.value) limits.max_drawdown = Number(maxDrawdown.value);
      const created = await api("/v1/deployments", {
        method: "POST",
        body: {
          name: name.value.trim() || `${sourceKind.value} ${source.value}`,
          source: { kind: sourceKind.value, id: source.value },
          capital: Number(capital.value),
          schedule: every.value ? { every: every.value, on: on.value, at: at.value } : { at: at.value },
          limits,
          cap_leverage: capLeverage.checked,
          broker: broker.value,
          ...(hedgeUnderlying.value.trim() && !hedgeField.hidden ? { hedge: { underlying: hedgeUnderlying.value.trim().toUpperCase() } } : {}),
        },
      });
      showAlert(`Created ${created.name} as a draft: activate it or forward-test it.`, "info");
      window.location.hash = `#/deployments/${encodeURIComponent(created.id)}`;
    } catch (err) {
      // each problem beside the field it names (the first one focused), the rest as a message
      const marked = (err.details || [])
        .map((d) => d && inputOfField(d.field) && markField(form, inputOfField(d.field), d.problem))
        .filter(Boolean);
      showAlert(errorText(err));
      if (marked.length) marked[0].focus();
    } finally {
      create.disabled = false;
    }
  });
  Promise.all([loadSources(), loadList()]).catch((err) => showAlert(errorText(err)));
  return null;
}

/** What the hedging kill switch (or its release) did, in one paragraph. */
function hedgeSwitchText(report, released) {
  if (released) return `Released the hedges of ${report.released.length} deployment(s): their next hedge run buys the hedge afresh.`;
  const closing = report.closed.map((o) => `${o.side} ${fmt(o.contracts)} ${o.symbol} (${o.status})`).join(", ");
  return [
    `Halted the hedges of ${report.halted.length} deployment(s), canceled ${report.canceled_orders.length} hedge order(s), sent ${report.closed.length} closing order(s)${closing ? `: ${closing}` : ""}.`,
    report.failures.length ? `Not closed (pull it again): ${report.failures.join("; ")}` : "",
  ].filter(Boolean).join(" ");
}

/** The hedging kill switch's buttons ("Close every option hedge", "Release hedges") for the
 * caller's deployments, or one (`body.deployment_id`), with a status line for their report;
 * `after` runs once either answered. */
function hedgeSwitch(body, statusId, after) {
  const one = Boolean(body.deployment_id);
  const status = h("p", { id: statusId, className: "hint", "aria-live": "polite" });
  async function pull(released) {
    const question = released
      ? `Let ${one ? "this deployment's" : "your deployments'"} option hedges trade again?`
      : `Halt ${one ? "this deployment's option hedge" : "every option hedge"}, cancel its open hedge orders and close every option held?`;
    if (!window.confirm(question)) return;
    try {
      const path = released ? "/v1/hedge-kill-switch/release" : "/v1/hedge-kill-switch";
      const report = await api(path, { method: "POST", body });
      status.textContent = hedgeSwitchText(report, released);
      await after();
    } catch (err) {
      showAlert(errorText(err));
    }
  }
  return {
    status,
    kill: h(
      "button",
      { type: "button", id: one ? "hedge-kill" : "hedge-kill-switch", className: "danger", onclick: () => pull(false) },
      one ? "Close this option hedge" : "Close every option hedge",
    ),
    release: h(
      "button",
      { type: "button", id: one ? "hedge-release" : "hedge-kill-release", className: "secondary", onclick: () => pull(true) },
      "Release hedges",
    ),
  };
}

/** A deployment's orders (the last 200): on a shared account each with the strategy's part
 * and, beside it, the account's whole order (the API lists them the same way). */
function ordersTable(orders) {
  const netted = orders.some((o) => Object.keys(o.allocations || {}).length);
  const headers = ["#", "Symbol", "Side", "Quantity", ...(netted ? ["Account order"] : []), "Status", "Average price", "Reason"];
  return table(
    "orders-table",
    `Orders (${orders.length}), in queue order${netted ? ": this strategy's part of the shared account's orders" : ""}`,
    headers,
    orders.slice(-200).map((o) => [
      String(o.sequence), o.symbol, o.side, fmt(o.quantity),
      ...(netted ? [fmt(o.order_quantity)] : []),
      o.status, fmtMoney(o.average_price), o.reason || "",
    ]),
  );
}

/** A hedge plan in words: its action, its orders and their net premium. */
function planText(plan) {
  if (!plan) return "no plan";
  const orders = (plan.orders || []).map((o) => `${o.side} ${fmt(o.contracts)} ${o.symbol}`).join(", ");
  const premium = plan.net_premium === undefined || plan.net_premium === null ? "" : `, net premium ${fmtMoney(plan.net_premium)}`;
  return `${plan.action}${orders ? `: ${orders}` : ""}${premium}`;
}

/** Option orders in words: side, contracts, symbol, status (and why, when not filled). */
function ordersText(orders) {
  return (orders || [])
    .map((o) => `${o.side} ${fmt(o.contracts)} ${o.symbol} ${o.status}${o.reason && o.status !== "filled" ? ` (${o.reason})` : ""}`)
    .join(", ");
}

function renderDeployment(main, id) {
  const base = `/v1/deployments/${encodeURIComponent(id)}`;
  const summary = h("section", { id: "deployment-summary", className: "card" });
  const testBox = h("section", { id: "forward-test", className: "card", "aria-labelledby": "forward-test-title" });
  const books = h("section", { id: "deployment-books", className: "card" });
  const hedgeBox = h("section", { id: "deployment-hedge-card", className: "card", "aria-labelledby": "hedge-card-title", hidden: true });
  const hedgeButtons = hedgeSwitch({ deployment_id: id }, "hedge-switch-status", () => load());
  const eventRows = h("tbody", {});
  const eventsBox = h(
    "section",
    { id: "deployment-events", className: "card", "aria-labelledby": "deployment-events-title" },
    h("h2", { id: "deployment-events-title" }, "Events"),
    h("p", { className: "hint" }, "Everything that happened to it, newest first, as it happens."),
    h(
      "table",
      { id: "events-table" },
      h("thead", {}, h("tr", {}, ...["#", "Time", "Event", "What"].map((t) => h("th", { scope: "col" }, t)))),
      eventRows,
    ),
  );
  main.append(
    h("p", {}, h("a", { href: "#/deployments" }, "← Deployments")),
    h("h1", { id: "deployment-title" }, "Deployment"),
    summary,
    hedgeBox,
    testBox,
    books,
    eventsBox,
  );
  let stopped = false;
  let timer = null;
  const events = new AbortController();
  let reloading = null;

  function eventWhat(event) {
    const d = event.data || {};
    if (event.type === "status_changed") {
      return `${d.from} → ${d.to} (by ${d.by}${d.reason ? `: ${d.reason}` : ""})`;
    }
    if (event.type === "run_finished") {
      const fills = d.orders ? `, ${d.filled} of ${d.orders} orders filled` : "";
      return `run at ${fmtTime(d.fire)}: ${d.outcome}${fills}${d.reason ? ` (${d.reason})` : ""}${d.paused ? "; paused" : ""}`;
    }
    if (event.type === "created") return `${d.status}, by ${d.by}, capital ${fmtMoney(d.capital)}`;
    if (event.type === "hedge_planned") return `hedge plan of ${d.run_id}: ${planText(d.plan)}`;
    if (event.type === "hedge_run") {
      const orders = ordersText(d.orders);
      return `hedge run at ${fmtTime(d.fire)}: ${d.outcome}${d.plan ? ` (plan: ${d.plan.action})` : ""}${orders ? `; ${orders}` : ""}${d.reason ? `; ${d.reason}` : ""}`;
    }
    if (event.type === "hedges_closed") {
      const orders = ordersText(d.orders);
      return `option hedge closed by ${d.by}: ${orders || "nothing held to close"}`;
    }
    const changed = (d.changed || []).join(", ");
    return [d.reason, changed && `changed: ${changed}`].filter(Boolean).join("; ");
  }

  async function followEvents() {
    await streamEvents(`${base}/events`, {
      signal: events.signal,
      onEvent: (message) => {
        if (message.event === "end" || !message.data || !message.data.seq) return;
        const e = message.data;
        eventRows.prepend(
          h("tr", { "data-type": e.type }, h("td", {}, String(e.seq)), h("td", {}, fmtTime(e.time)), h("td", {}, e.type.replace("_", " ")), h("td", {}, eventWhat(e))),
        );
        // a change made elsewhere (the scheduler, the kill switch, another tab) shows at once
        if (e.type !== "created" && !reloading) {
          reloading = setTimeout(() => {
            reloading = null;
            if (!stopped) load().catch((err) => showAlert(errorText(err)));
          }, 300);
        }
      },
    });
  }

  async function act(action) {
    try {
      await api(`${base}/${action}`, { method: "POST" });
      showAlert(null);
      await load();
    } catch (err) {
      showAlert(errorText(err));
    }
  }

  async function openReport() {
    try {
      await openHtmlPage(`${base}/report`);
    } catch (err) {
      showAlert(errorText(err));
    }
  }

  function renderSummary(d) {
    document.getElementById("deployment-title").textContent = d.name;
    const spec = d.spec;
    const strategy =
      spec.strategy.kind === "weights"
        ? Object.entries(spec.strategy.weights).map(([s, w]) => `${s} ${fmtPct(w)}`).join(", ")
        : Object.entries(spec.strategy.config).map(([k, v]) => `${k} ${fmt(v)}`).join(", ");
    const schedule = scheduleText(spec);
    clear(summary).append(
      kvTable(
        [
          ["Status", h("span", { id: "deployment-status" }, d.status)],
          ["Mode", d.mode === "forward_test" ? `forward test of ${spec.forward_test_of}` : brokerText(spec)],
          ["Strategy", strategy],
          ["Universe", spec.universe.join(", ")],
          ["Capital", fmtMoney(spec.capital)],
          ["Schedule", schedule],
          ["Market data", h("span", { id: "deployment-data" }, dataText(d.data))],
          ["Limits", Object.entries(spec.limits).filter(([, v]) => v !== null).map(([k, v]) => `${k.replace(/_/g, " ")} ${fmt(v)}`).join("; ")],
          ...(spec.strategy.notes || []).map((n) => ["Note", n]),
        ],
        "What is deployed",
      ),
      h(
        "div",
        { className: "actions" },
        d.mode === "forward_test"
          ? null
          : ACTIONS[d.status].map((action) =>
              h("button", { type: "button", id: `deployment-${action}`, className: action === "retire" ? "secondary" : "", onclick: () => act(action) }, action[0].toUpperCase() + action.slice(1)),
            ),
        h("button", { type: "button", id: "deployment-report", className: "secondary", onclick: openReport }, "Open HTML report"),
      ),
    );
  }

  function renderTestForm(d) {
    clear(testBox);
    if (d.mode === "forward_test") return;
    const start = h("input", { id: "forward-test-start", type: "date", value: "2022-01-03", required: true });
    const end = h("input", { id: "forward-test-end", type: "date" });
    const firePrice = h(
      "select",
      { id: "forward-test-fire-price" },
      [["session_close", "the session's close as the price at the fire (as a live run's latest trade)"], ["previous_close", "only the closes before the fire (fills a session later)"]].map(([v, text]) => h("option", { value: v }, text)),
    );
    const cashRate = h("input", { id: "forward-test-cash-rate", type: "number", min: "0", max: "1", step: "0.001", placeholder: "the strategy's safe rate" });
    const run = h("button", { type: "submit", id: "forward-test-run" }, "Run forward test");
    const progress = h("p", { id: "forward-test-status", className: "hint", "aria-live": "polite" });
    const result = h("div", { id: "forward-test-result" });
    const form = h(
      "form",
      {},
      h("label", { for: "forward-test-start" }, "From"),
      start,
      h("label", { for: "forward-test-end" }, "To (default: the end of the market data)"),
      end,
      h("label", { for: "forward-test-fire-price" }, "Fires decide on"),
      firePrice,
      h("label", { for: "forward-test-cash-rate" }, "Cash earns (a year, e.g. 0.02)"),
      cashRate,
      h("div", { className: "actions" }, run),
    );
    testBox.append(
      h("h2", { id: "forward-test-title" }, "Forward test"),
      h("p", { className: "hint" }, "Paper-trade this deployment over past market data through the same schedule, execution queue, paper broker and ledger, and compare it with the backtest of the same strategy."),
      form,
      progress,
      result,
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      run.disabled = true;
      try {
        const job = await api(`${base}/forward-tests`, {
          method: "POST",
          body: { start: start.value, end: end.value || null, fire_price: firePrice.value, cash_rate: cashRate.value === "" ? null : Number(cashRate.value) },
        });
        progress.textContent = "Running…";
        const done = await waitFor(job.links.self, progress);
        if (done.job.status !== "succeeded") {
          progress.textContent = `The forward test ${done.job.status}: ${done.job.error || ""}`;
          return;
        }
        progress.textContent = "";
        showForwardTest(result, done.result);
      } catch (err) {
        showAlert(errorText(err));
      } finally {
        run.disabled = false;
      }
    });
  }

  async function waitFor(path, progress) {
    for (;;) {
      if (stopped) throw new Error("stopped");
      const found = await api(path);
      if (["succeeded", "failed", "cancelled"].includes(found.job.status)) return found;
      const { done, total } = found.job.progress;
      progress.textContent = total ? `Running: ${done} of ${total} sessions` : "Running…";
      await new Promise((resolve) => {
        timer = setTimeout(resolve, POLL_MS);
      });
    }
  }

  async function loadBooks() {
    const [positions, orders, ledger, performance] = await Promise.all([
      api(`${base}/positions`),
      api(`${base}/orders`),
      api(`${base}/ledger`),
      api(`${base}/performance`),
    ]);
    if (!ledger.entries.length) {
      clear(books).append(
        h("h2", {}, "Positions, orders and ledger"),
        h("p", { id: "books-empty", className: "hint" }, "Nothing traded yet: the paper account is funded with the capital at the first rebalance. A forward test shows how it would have traded."),
      );
      return;
    }
    const held = positions.positions.filter((p) => p.quantity > 0);
    const csvButton = h("button", { type: "button", id: "ledger-csv", className: "secondary" }, "Download ledger CSV");
    csvButton.addEventListener("click", async () => {
      try {
        download(`${id}-ledger.csv`, await api(`${base}/ledger?format=csv`), "text/csv");
      } catch (err) {
        showAlert(errorText(err));
      }
    });
    const chart = performance.sessions
      ? h("div", { id: "chart-performance", className: "chart", role: "img", "aria-label": "The account against its backtest" })
      : null;
    const c = performance.comparison || {};
    const searched = performance.sessions ? searchedReturn(performance) : null;
    clear(books).append(
      h("h2", {}, "Against the backtest"),
      chart || h("p", { className: "hint" }, "No session closed since the first trade yet."),
      !chart ? "" : kvTable(
        [
          ["Sessions", `${performance.start} to ${performance.end} (${performance.sessions})`],
          ["Market data", h("span", { id: "performance-data" }, dataText(performance.data))],
          ["Paper", `${fmtPct(c.live_return)} from the first close`],
          ["Backtest", `${fmtPct(c.backtest_return)}: the strategy as deployed (its fires, the basket drifting between them)`],
          ...(searched === null ? [] : [["Searched backtest", `${fmtPct(searched)}: the strategy as it was searched, on its own cadence`]]),
          ["Paper return against the backtest's", returnGapText(c)],
          ...(performance.decomposition ? [["Why (share of capital)", h("span", { id: "performance-gap" }, performance.decomposition.words)]] : []),
          ["Tracking error (a year)", fmtPct(c.tracking_error)],
          ["Time-weighted return", fmtPct(performance.time_weighted_return)],
          ["Drawdown", `${fmtPct(c.drawdown)}${performance.max_drawdown_limit === null ? "" : ` (pauses beyond ${fmtPct(performance.max_drawdown_limit)})`}`],
          ["Weight drift from the targets", fmtPct(performance.weight_drift)],
          ...(performance.hedge
            ? [
                ["Option hedge (in the paper values)", `${fmtMoney(performance.hedge.value)} on ${performance.hedge.priced_on} (cash ${fmtMoney(performance.hedge.cash)}, options ${fmtMoney(performance.hedge.market_value)})`],
                ["Hedge volatility", performance.hedge.volatility.words],
              ]
            : []),
        ],
        "Performance",
      ),
      !chart ? "" : benchmarkTable("performance-benchmarks", performance.benchmarks),
      h("h2", {}, "Positions, orders and ledger"),
      kvTable(
        [
          ["Valued at the closes of", positions.priced_on || "–"],
          ["Cash", fmtMoney(positions.cash)],
          ["Equity", fmtMoney(positions.equity)],
          ["Realised P&L", fmtMoney(positions.realised_pnl)],
          ["Unrealised P&L", fmtMoney(positions.unrealised_pnl)],
          ["Commissions", fmtMoney(positions.fees)],
        ],
        "Account",
      ),
      table(
        "positions-table",
        "Positions held",
        ["Symbol", "Shares", "Price", "Value", "Cost basis", "Unrealised P&L", "Realised P&L"],
        held.map((p) => [p.symbol, fmt(p.quantity), fmtMoney(p.price), fmtMoney(p.market_value), fmtMoney(p.cost_basis), fmtMoney(p.unrealised_pnl), fmtMoney(p.realised_pnl)]),
      ),
      ordersTable(orders),
      h("div", { className: "actions" }, csvButton),
      table(
        "ledger-table",
        `Ledger (${ledger.entries.length} entries; the last 200 shown)`,
        ["Time", "Kind", "Symbol", "Side", "Quantity", "Price", "Fee", "Amount"],
        ledger.entries.slice(-200).map((e) => [fmtTime(e.time), e.kind.replace("_", " "), e.symbol || "", e.side || "", fmt(e.quantity), fmtMoney(e.price), fmtMoney(e.fee), fmtMoney(e.amount)]),
      ),
    );
    if (chart) {
      const v = performance.values;
      const lines = { paper: v.paper, backtest: v.backtest };
      if (searched !== null) lines["searched backtest"] = v.searched;
      equityChart(chart, v.dates, { ...lines, ...benchmarkSeries(performance.benchmarks, v) });
    }
  }

  async function loadHedge(d) {
    if (!d.spec.hedge) return;
    const hedge = await api(`${base}/hedges`);
    hedgeBox.hidden = false;
    clear(hedgeBox).append(
      h("h2", { id: "hedge-card-title" }, "Option hedge"),
      hedgeCard(hedge),
      d.mode === "forward_test" ? null : h("div", { className: "actions" }, hedgeButtons.kill, hedgeButtons.release),
      hedgeButtons.status,
    );
  }

  async function load() {
    const d = await api(base);
    renderSummary(d);
    await loadHedge(d);
    if (!testBox.childElementCount) renderTestForm(d);
    await loadBooks();
  }

  load().catch((err) => showAlert(errorText(err)));
  followEvents().catch((err) => {
    if (!stopped) showAlert(errorText(err));
  });
  return () => {
    stopped = true;
    events.abort();
    if (reloading) clearTimeout(reloading);
    if (timer) clearTimeout(timer);
    for (const id of ["chart-forward-test", "chart-performance"]) {
      const chart = document.getElementById(id);
      if (chart) purge(chart);
    }
  };
}

function showForwardTest(el, result) {
  const c = result.comparison;
  const chart = h("div", { id: "chart-forward-test", className: "chart", role: "img", "aria-label": "Paper account against backtest" });
  const statuses = Object.entries(result.run_statuses).map(([s, n]) => `${n} ${s}`).join(", ");
  clear(el).append(
    h("h3", {}, `${result.start} to ${result.end}: paper against backtest`),
    chart,
    kvTable(
      [
        ["Rebalances", `${result.runs} (${statuses})`],
        ["Fills", String(result.fills)],
        ["Paper", `${fmtMoney(result.capital)} → ${fmtMoney(result.final_value)} (${fmtPct(c.live_return)} from the first close)`],
        ["Fires decided on", result.fire_price === "previous_close" ? "the closes before each fire (orders filled a session later)" : "the session's close as the price at the fire"],
        ["Cash earned", `${fmtPct(result.cash_rate)} a year`],
        ["Backtest", `${fmtPct(c.backtest_return)} over the same sessions: the strategy as deployed (its fires, the basket drifting between them)`],
        ...(searchedReturn(result) === null ? [] : [["Searched backtest", `${fmtPct(searchedReturn(result))}: the strategy as it was searched`]]),
        ["Paper return against the backtest's", returnGapText(c)],
        ...(result.decomposition && result.decomposition.words ? [["Why (share of capital)", h("span", { id: "forward-test-gap" }, result.decomposition.words)]] : []),
        ["Tracking error (a year)", fmtPct(c.tracking_error)],
        ["Drawdown at the end", fmtPct(c.drawdown)],
        ["Paused", result.paused ? `${fmtTime(result.paused.fire)}: ${result.paused.reason}` : "no"],
        ["Its own deployment", h("a", { id: "forward-test-deployment", href: `#/deployments/${encodeURIComponent(result.forward_test_deployment_id)}` }, "positions, orders and ledger")],
      ],
      "Forward test",
    ),
    benchmarkTable("forward-test-benchmarks", result.benchmarks),
    ...[
      result.hedge ? hedgeSummary(result.hedge) : null,
      result.runs_detail.length
        ? table(
            "forward-test-runs",
            "Runs that did not end filled or with nothing to trade",
            ["Run", "Fire", "Status", "Orders", "Reason"],
            result.runs_detail.map((r) => [r.kind, fmtTime(r.fire), r.status, String(r.orders), r.reason || ""]),
          )
        : null,
    ].filter(Boolean),
  );
  const n = result.values.backtest.length;
  const lines = { paper: result.values.paper.slice(0, n), backtest: result.values.backtest };
  if (result.values.searched && result.values.searched.length === n) lines["searched backtest"] = result.values.searched;
  equityChart(chart, result.values.dates.slice(0, n), { ...lines, ...benchmarkSeries(result.benchmarks, result.values) });
}

/** A deployment's schedule in words (execution.schedule.Schedule.describe). */
function scheduleText(spec) {
  const s = spec.schedule;
  if (s.cron) return `cron ${s.cron}`;
  const own = spec.schedule_source === "strategy" ? " (the strategy's own cadence)" : "";
  if (s.every === "session" && (s.interval || 1) > 1) return `every ${s.interval} ${s.calendar} sessions from ${s.anchor} at ${s.at}${own}`;
  if (s.every === "session") return `each ${s.calendar} session at ${s.at}${own}`;
  return `${s.on} ${s.calendar} session of each ${s.every} at ${s.at}${own}`;
}

/** The searched backtest's return over the same sessions (null when it is not shown). */
function searchedReturn(result) {
  const s = result.values.searched;
  return s && s.length ? s[s.length - 1] / s[0] - 1 : null;
}

/** The paper return against the backtest's, both from the first close, in points. */
function returnGapText(c) {
  const gap = c.return_gap;
  return `${(Math.abs(gap) * 100).toFixed(2)} points ${gap >= 0 ? "above" : "below"} (both from the first close)`;
}

/** The market data a deployment trades on (GET /v1/deployments/<id>, its performance's `data`):
 * provider, version and where it ends, or why it cannot be read. */
function dataText(data) {
  if (!data) return "–";
  if (data.problem) return `${data.provider}: ${data.problem}`;
  return `${data.provider} version ${data.version}; the data ends on ${data.data_end}`;
}

/** A deployment's option hedge (GET /v1/deployments/<id>/hedges): underlying, halted or not,
 * its options at the model price of the last close (an expired one at what it settles for),
 * what priced them (implied or realised volatility, and why), cash, premiums, settlements,
 * fees and P&L (currency), and its hedge orders (dead letters flagged). */
function hedgeCard(hedge) {
  const held = hedge.marks.length ? hedge.marks : Object.entries(hedge.positions).map(([symbol, contracts]) => ({ symbol, contracts }));
  const dead = hedge.dead_letters.length;
  return h(
    "div",
    { id: "hedge-card" },
    kvTable(
      [
        ["Options on", hedge.hedge.underlying],
        ["Hedging", h("span", { id: "hedge-halted", className: hedge.halted ? "danger-text" : "" }, hedge.halted ? "halted by the hedging kill switch: no hedge run trades until released" : "trading")],
        ["Priced on", hedge.priced_on ? `${hedge.priced_on} (model price of that close)` : "– (no close of the underlying yet)"],
        ["Volatility", h("span", { id: "hedge-volatility" }, hedge.volatility.words)],
        ["Options value", fmtMoney(hedge.market_value)],
        ["Cash (premiums, settlements, fees)", fmtMoney(hedge.cash)],
        ["Premiums paid", fmtMoney(hedge.premiums_paid)],
        ["Premiums received", fmtMoney(hedge.premiums_received)],
        ["Settlements", fmtMoney(hedge.settlements)],
        ["Option fees", fmtMoney(hedge.fees)],
        ["P&L (cash + options value)", fmtMoney(hedge.pnl)],
        ["Dead letters", h("span", { id: "hedge-dead-count", className: dead ? "danger-text" : "" }, dead ? `${dead}: the hedge queue gave up on them (see the orders below)` : "none")],
      ],
      "The hedge",
    ),
    table(
      "hedge-positions-table",
      held.length ? "Options held" : "Options held: none",
      ["Symbol", "Contracts", "Expiry", "Price (per share)", "Market value", "Settlement"],
      held.map((m) => [m.symbol, fmt(m.contracts), m.expiry || "–", fmtMoney(m.price), fmtMoney(m.market_value), m.settlement ? `${m.settlement.words} (not yet booked in the ledger)` : "open"]),
    ),
    table(
      "hedge-orders-table",
      `Hedge orders (${hedge.orders.length})`,
      ["Run", "Symbol", "Side", "Contracts", "Filled", "Status", "Average price", "Reason"],
      hedge.orders.map((o) => [
        o.run_id,
        o.symbol,
        o.side,
        fmt(o.contracts),
        fmt(o.filled_contracts),
        o.status === "dead" ? h("strong", { className: "danger-text" }, "dead letter") : o.status,
        fmtMoney(o.average_price),
        o.reason || "",
      ]),
    ),
  );
}

/** A forward test's option hedge: its runs, premiums, settlements, fees, what it held at the
 * end and its value then (cash + options at the model price), with why it tracks less closely. */
function hedgeSummary(hedge) {
  const statuses = Object.entries(hedge.run_statuses).map(([s, n]) => `${n} ${s}`).join(", ");
  const held = Object.entries(hedge.positions).map(([symbol, n]) => `${n} ${symbol}`).join(", ");
  return h(
    "div",
    { id: "forward-test-hedge" },
    kvTable(
      [
        ["Options on", hedge.underlying],
        ["Hedge runs", `${hedge.runs} (${statuses || "none"})`],
        ["Option trades", String(hedge.trades)],
        ["Premiums paid", fmtMoney(hedge.premiums_paid)],
        ["Premiums received", fmtMoney(hedge.premiums_received)],
        ["Settlements", fmtMoney(hedge.settlements)],
        ["Option fees", fmtMoney(hedge.fees)],
        ["Held at the end", held || "none"],
        ["Hedge value at the end", `${fmtMoney(hedge.value)} (cash ${fmtMoney(hedge.cash)}, options ${fmtMoney(hedge.market_value)} on ${hedge.priced_on})`],
        ["Volatility", hedge.volatility.words],
      ],
      "Option hedge (in the paper values)",
    ),
    h("p", { className: "hint" }, `Tracking: ${hedge.note}.`),
  );
}
