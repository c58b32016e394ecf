// Deployments: strategies on a paper (or Alpaca) account on a schedule. #/deployments lists them
// and creates one (from a saved portfolio or a succeeded optimization; #/deployments/new/<job id> starts from
// that optimization's winner); #/deployments/<id> shows one: lifecycle buttons, forward tests
// (paper against backtest), positions, orders, the ledger (with a CSV download) and its events,
// streamed live from /v1/deployments/<id>/events (SSE).

import { api, errorText, openHtmlPage } from "./api.js";
import { benchmarkSeries, benchmarkTable } from "./benchmarks.js";
import { equityChart, purge } from "./charts.js";
import { clear, clearFieldErrors, download, h, kvTable, markField, showAlert, table } from "./dom.js";
import { configSentence, count, inWords, isoTime, limitSentence, money, multiple, percent, quantity, signedPercent } from "./format.js";
import { requestText } from "./jobs.js";
import { followEvents } from "./live.js";
import { benchmarksNotBeaten, hedgeText } from "./results.js";

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
  const confirmedOnResults = params[0] === "new" && params[2] === "confirmed";
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
  const cashBuffer = h("input", { id: "deployment-cash-buffer", type: "number", min: "0", max: "99", step: "any", value: "0" });
  const maxDrawdown = h("input", { id: "deployment-max-drawdown", type: "number", min: "0", max: "99", step: "any", placeholder: "none" });
  const capLeverage = h("input", { id: "deployment-cap-leverage", type: "checkbox" });
  const leverageNote = h("small", { id: "deployment-leverage-note", className: "hint" });
  const account = h("input", { id: "deployment-account", type: "text", maxlength: 40, placeholder: "its own account", autocomplete: "off", list: "deployment-accounts", pattern: "[a-z0-9][a-z0-9\\-]*" });
  const accountList = h("datalist", { id: "deployment-accounts" });
  const belowBox = h("div", { id: "deployment-below", className: "verdict verdict-warn", hidden: true });
  const confirmBelow = h("input", { id: "deployment-confirm-below", type: "checkbox" });
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
    h("label", { for: "deployment-cash-buffer" }, "Cash buffer, % of equity"),
    cashBuffer,
    h("label", { for: "deployment-max-drawdown" }, "Pause at a drawdown of, % (optional)"),
    maxDrawdown,
    h("label", { className: "check" }, capLeverage, " Cap a levered winner's leverage at 1.00x (a cash account cannot borrow)"),
    leverageNote,
    h("label", { for: "deployment-account" }, "Shared account (optional)"),
    account,
    accountList,
    h("small", { className: "hint" }, "Name an account to net this deployment's orders with the other deployments trading it (lower-case letters, digits and dashes); empty: its own paper account."),
    belowBox,
    h("div", { className: "actions" }, create),
  );
  const kill = h("button", { type: "button", id: "kill-switch", className: "danger" }, "Kill switch: stop everything");
  const toolbar = h("div", { className: "toolbar", hidden: true });
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
  toolbar.append(kill, hedgeButtons.kill, hedgeButtons.release);
  main.append(
    h("h1", {}, "Deployments"),
    h("p", { className: "lead" }, "A deployment trades a saved portfolio or an optimization's winner on a paper account, on a schedule; forward-test it on past data before you activate it."),
    toolbar,
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
    account: "deployment-account",
    confirm_below_benchmarks: "deployment-confirm-below",
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
  /** What the form knows of the chosen winner: a levered one is capped at 1.00x (said with
   * its leverage); one below its benchmarks needs the confirmation box ticked. */
  function describeWinner(config, data) {
    const levered = config && config.max_leverage > 1;
    capLeverage.checked = Boolean(levered);
    leverageNote.textContent = levered
      ? `The winner's leverage is ${multiple(config.max_leverage)}; a cash account cannot borrow, so it is deployed capped at 1.00x (its backtest is then the capped rule's).`
      : config
        ? `The winner's leverage is ${multiple(config.max_leverage)}: nothing to cap.`
        : "";
    const below = data ? benchmarksNotBeaten(data) : [];
    clear(belowBox);
    belowBox.hidden = !below.length;
    if (below.length) {
      confirmBelow.checked = confirmedOnResults && source.value === fromJob;
      belowBox.append(
        h("p", {}, h("strong", {}, "This winner does not beat its benchmarks: "), `its objective is below ${below.map((b) => b.words).join(" and ")} on the same simulated paths.`),
        h("label", { className: "check" }, confirmBelow, " I understand, deploy it anyway"),
      );
    }
  }

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
    const winner = (config, data) => describeWinner(config, data);
    if (sourceKind.value === "portfolio") {
      winner(null, null);
      return set("Hedge underlying", "", false, true);
    }
    const generic = () => set(
      "Hedge underlying (optional)",
      HEDGE_HINT,
      false,
    );
    if (!source.value) return generic();
    let config = null;
    let data = null;
    try {
      data = await api(`/v1/optimizations/${encodeURIComponent(source.value)}/results?limit=1`);
      config = data.best && data.best.config;
    } catch {
      config = null; // an unknown job: the API says so when the form is sent
    }
    if (asked !== describing) return undefined;
    winner(config, data);
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
      for (const j of jobs) source.append(h("option", { value: j.id, selected: j.id === fromJob }, `The search of ${requestText(j.request)}, finished ${isoTime(j.finished_at)}`));
      if (fromJob && !jobs.some((j) => j.id === fromJob)) source.append(h("option", { value: fromJob, selected: true }, fromJob));
    }
    if (!source.options.length) source.append(h("option", { value: "" }, `no ${sourceKind.value === "portfolio" ? "saved portfolios" : "succeeded optimizations"} yet`));
    await describeHedge();
  }

  async function loadAccounts() {
    const { items } = await api("/v1/accounts");
    clear(accountList).append(...items.filter((a) => a.shared).map((a) => h("option", { value: a.account.replace(/^paper-shared-[^-]+-/, "") })));
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
          money(d.spec.capital),
          scheduleText(d.spec),
          h("a", { href: `#/deployments/${encodeURIComponent(d.id)}`, "aria-label": `Open ${d.name}` }, "Open"),
        ]),
        { stack: true },
      ),
    );
    // the kill switches stop something only when something is deployed
    toolbar.hidden = !items.length;
    hedgeButtons.kill.hidden = hedgeButtons.release.hidden = !items.some((d) => d.spec.hedge);
    listBox.hidden = !items.length;
    status.textContent = items.length
      ? ""
      : "No deployments yet. Choose above what to deploy: an optimization's winner (run one from New optimization, or ask the assistant) or a saved portfolio (from Portfolios); it is created as a draft that you can forward-test on past data, then activate.";
  }

  sourceKind.addEventListener("change", () => loadSources().catch((err) => showAlert(errorText(err))));
  source.addEventListener("change", () => describeHedge().catch((err) => showAlert(errorText(err))));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showAlert(null);
    clearFieldErrors(form);
    if (!belowBox.hidden && !confirmBelow.checked) {
      markField(form, "deployment-confirm-below", "Tick this to deploy a winner that does not beat its benchmarks.");
      showAlert("Confirm below that you deploy a winner that does not beat its benchmarks.");
      confirmBelow.focus();
      return;
    }
    create.disabled = true;
    try {
      const limits = { cash_buffer: Number(cashBuffer.value || 0) / 100 };
      if (maxDrawdown.value) limits.max_drawdown = Number(maxDrawdown.value) / 100;
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
          ...(account.value.trim() ? { account: account.value.trim() } : {}),
          ...(!belowBox.hidden && confirmBelow.checked ? { confirm_below_benchmarks: true } : {}),
        },
      });
      showAlert(`Created ${created.name} as a draft: activate it or forward-test it.`, "info");
      window.location.hash = `#/deployments/${encodeURIComponent(created.id)}`;
    } catch (err) {
      // each problem once: beside the field it names (the first one focused), the others and
      // the message in the banner
      const details = (err.details || []).filter(Boolean);
      const placed = details.filter((d) => inputOfField(d.field) && markField(form, inputOfField(d.field), pageWords(d.problem)));
      const rest = details.filter((d) => !placed.includes(d)).map((d) => pageWords(d.problem));
      const message = pageWords(err.message || errorText(err));
      const covered = placed.some((d) => message.includes(pageWords(d.problem)) || pageWords(d.problem).includes(message));
      showAlert(
        placed.length
          ? `The deployment was not created: ${covered ? "see the field marked below" : message}${rest.length ? `; ${rest.join("; ")}` : ""}.`
          : `The deployment was not created: ${[message, ...rest.filter((r) => !message.includes(r))].join("; ")}`,
      );
      const first = form.querySelector("[aria-invalid=true]");
      if (first) first.focus();
    } finally {
      create.disabled = false;
    }
  });
  Promise.all([loadSources(), loadList(), loadAccounts()]).catch((err) => showAlert(errorText(err)));
  return null;
}

/** An API refusal in the page's words: the command-line flag and the request's field names
 * of its text as the form names them. */
function pageWords(text) {
  return inWords(
    String(text || "")
      .replace(/\s*\(cap_leverage, or --cap-leverage on the command line\)/g, " (tick “Cap a levered winner's leverage at 1.00x”)")
      .replace(/--[a-z-]+/g, (flag) => `“${flag.slice(2).replace(/-/g, " ")}”`),
  );
}

/** What the hedging kill switch (or its release) did, in one paragraph. */
function hedgeSwitchText(report, released) {
  if (released) return `Released the hedges of ${report.released.length} deployment(s): their next hedge run buys the hedge afresh.`;
  const closing = report.closed.map((o) => `${o.side} ${quantity(o.contracts)} ${o.symbol} (${o.status})`).join(", ");
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
      String(o.sequence), o.symbol, o.side, quantity(o.quantity),
      ...(netted ? [quantity(o.order_quantity)] : []),
      o.status, money(o.average_price), o.reason || "",
    ]),
  );
}

/** A hedge plan in words: its action, its orders and their net premium. */
function planText(plan) {
  if (!plan) return "no plan";
  const orders = (plan.orders || []).map((o) => `${o.side} ${quantity(o.contracts)} ${o.symbol}`).join(", ");
  const premium = plan.net_premium === undefined || plan.net_premium === null ? "" : `, net premium ${money(plan.net_premium)}`;
  return `${plan.action}${orders ? `: ${orders}` : ""}${premium}`;
}

/** Option orders in words: side, contracts, symbol, status (and why, when not filled). */
function ordersText(orders) {
  return (orders || [])
    .map((o) => `${o.side} ${quantity(o.contracts)} ${o.symbol} ${o.status}${o.reason && o.status !== "filled" ? ` (${o.reason})` : ""}`)
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
      "div",
      { className: "table-scroll", tabindex: "0" },
      h(
        "table",
        { id: "events-table", className: "data events" },
        h("thead", {}, h("tr", {}, ...["#", "Time", "Event", "What"].map((t) => h("th", { scope: "col" }, t)))),
        eventRows,
      ),
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
  let forwardTests = 0;
  const events = new AbortController();
  let reloading = null;

  function eventWhat(event) {
    const d = event.data || {};
    if (event.type === "status_changed") {
      return `${d.from} → ${d.to} (by ${d.by}${d.reason ? `: ${d.reason}` : ""})`;
    }
    if (event.type === "run_finished") {
      const fills = d.orders ? `, ${d.filled} of ${d.orders} orders filled` : "";
      return `run at ${isoTime(d.fire)}: ${d.outcome}${fills}${d.reason ? ` (${d.reason})` : ""}${d.paused ? "; paused" : ""}`;
    }
    if (event.type === "created") return `${d.status}, by ${d.by}, capital ${money(d.capital)}`;
    if (event.type === "hedge_planned") return `hedge plan of ${d.run_id}: ${planText(d.plan)}`;
    if (event.type === "hedge_run") {
      const orders = ordersText(d.orders);
      return `hedge run at ${isoTime(d.fire)}: ${d.outcome}${d.plan ? ` (plan: ${d.plan.action})` : ""}${orders ? `; ${orders}` : ""}${d.reason ? `; ${d.reason}` : ""}`;
    }
    if (event.type === "hedges_closed") {
      const orders = ordersText(d.orders);
      return `option hedge closed by ${d.by}: ${orders || "nothing held to close"}`;
    }
    const changed = (d.changed || []).join(", ");
    return [d.reason, changed && `changed: ${changed}`].filter(Boolean).join("; ");
  }

  async function followDeployment() {
    // SSE, else long polling (no WebSocket route here), each resuming after the last event
    await followEvents(base, {
      signal: events.signal,
      websocket: false,
      onEvent: (e) => {
        eventRows.prepend(
          h("tr", { "data-type": e.type }, h("td", {}, count(e.seq)), h("td", {}, isoTime(e.time)), h("td", { className: "text" }, e.type.replace(/_/g, " ")), h("td", { className: "wrap" }, inWords(eventWhat(e)))),
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
        ? Object.entries(spec.strategy.weights).map(([s, w]) => `${s} ${percent(w)}`).join(", ")
        : configSentence(spec.strategy.config);
    const schedule = scheduleText(spec);
    clear(summary).append(
      kvTable(
        [
          ["Status", h("span", { id: "deployment-status" }, d.status)],
          ["Mode", d.mode === "forward_test" ? h("span", {}, "forward test of ", h("a", { href: `#/deployments/${encodeURIComponent(spec.forward_test_of)}` }, "its deployment")) : brokerText(spec)],
          ["Strategy", strategy],
          ["Universe", spec.universe.join(", ")],
          ["Capital", money(spec.capital)],
          ["Schedule", schedule],
          ["Market data", h("span", { id: "deployment-data" }, dataText(d.data))],
          ["Limits", limitsText(spec.limits)],
          ...((spec.strategy.risk_limits || []).length
            ? [["Its search's risk limits", h("span", { id: "deployment-search-limits" }, spec.strategy.risk_limits.map((l) => `${limitSentence(l.metric, l.limit, l.statistic)} (${l.met ? "met" : "not met"} in its search)`).join("; "))]]
            : []),
          ...(spec.strategy.notes || []).map((n) => ["Note", inWords(n)]),
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
        h("button", { type: "button", id: "deployment-report", className: "secondary", onclick: openReport }, "Open tearsheet (HTML report)"),
        d.mode === "forward_test" ? null : h("a", { href: `#/accounts/${encodeURIComponent(accountOf(d))}`, id: "deployment-account-link" }, "Its account"),
      ),
    );
  }

  function renderTestForm(d, tests) {
    clear(testBox);
    if (d.mode === "forward_test") return;
    const start = h("input", { id: "forward-test-start", type: "date", value: "2022-01-03", required: true });
    const end = h("input", { id: "forward-test-end", type: "date" });
    const firePrice = h(
      "select",
      { id: "forward-test-fire-price" },
      [["session_close", "the session's close as the price at the fire (as a live run's latest trade)"], ["previous_close", "only the closes before the fire (fills a session later)"]].map(([v, text]) => h("option", { value: v }, text)),
    );
    const cashRate = h("input", { id: "forward-test-cash-rate", type: "number", min: "0", max: "100", step: "any", placeholder: "the strategy's safe rate" });
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
      h("label", { for: "forward-test-cash-rate" }, "Cash earns, % a year (e.g. 2)"),
      cashRate,
      h("div", { className: "actions" }, run),
    );
    showLatestForwardTest(result, progress, tests).catch((err) => showAlert(errorText(err)));
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
          body: { start: start.value, end: end.value || null, fire_price: firePrice.value, cash_rate: cashRate.value === "" ? null : Number(cashRate.value) / 100 },
        });
        progress.textContent = "Running…";
        const done = await waitFor(job.links.self, progress);
        if (done.job.status !== "succeeded") {
          progress.textContent = `The forward test ${done.job.status}: ${done.job.error || ""}`;
          return;
        }
        progress.textContent = "";
        forwardTests += 1;
        showForwardTest(result, done.result);
      } catch (err) {
        showAlert(errorText(err));
      } finally {
        run.disabled = false;
      }
    });
  }

  /** The newest forward test of this deployment, shown as it was run (it stays on reload); a
   * running one is followed. */
  async function showLatestForwardTest(result, progress, tests) {
    const latest = tests.find((t) => t.status === "succeeded") || tests.find((t) => !["failed", "cancelled"].includes(t.status));
    if (!latest) return;
    if (latest.status !== "succeeded") progress.textContent = "A forward test is running…";
    const done = latest.status === "succeeded" ? await api(latest.links.self) : await waitFor(latest.links.self, progress);
    if (stopped || done.job.status !== "succeeded") return;
    progress.textContent = tests.length > 1 ? `The newest of ${count(tests.length)} forward tests, run ${isoTime(done.job.finished_at)}.` : `Run ${isoTime(done.job.finished_at)}.`;
    showForwardTest(result, done.result);
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
        h(
          "p",
          { id: "books-empty", className: "hint" },
          forwardTests
            ? "This deployment has not traded on its own account yet: it trades once you activate it (its account is funded with the capital at the first rebalance). Its forward test above shows how it would have traded; "
            : "Nothing traded yet: the paper account is funded with the capital at the first rebalance once you activate it. Run a forward test above to see how it would have traded first.",
          forwardTests ? h("a", { href: "#forward-test", onclick: (event) => { event.preventDefault(); testBox.scrollIntoView(); } }, "see the forward test") : null,
          forwardTests ? "." : null,
        ),
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
      ? h("div", { id: "chart-performance", className: "chart", role: "figure", "aria-label": "The account against its backtest" })
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
          ["Paper", `${signedPercent(c.live_return)} from the first close`],
          ["Backtest", `${signedPercent(c.backtest_return)}: the strategy as deployed (its fires, the basket drifting between them)`],
          ...(searched === null ? [] : [["Searched backtest", `${signedPercent(searched)}: the strategy as it was searched, on its own cadence`]]),
          ["Paper return against the backtest's", returnGapText(c)],
          ...(performance.decomposition ? [["Why (share of capital)", h("span", { id: "performance-gap", className: "server-words" }, performance.decomposition.words)]] : []),
          ["Tracking error (a year)", percent(c.tracking_error)],
          ["Time-weighted return", signedPercent(performance.time_weighted_return)],
          ["Drawdown", `${percent(c.drawdown)}${performance.max_drawdown_limit === null ? "" : ` (pauses beyond ${percent(performance.max_drawdown_limit)})`}`],
          ["Weight drift from the targets", percent(performance.weight_drift)],
          ...(performance.hedge
            ? [
                ["Option hedge (in the paper values)", `${money(performance.hedge.value)} on ${performance.hedge.priced_on} (cash ${money(performance.hedge.cash)}, options ${money(performance.hedge.market_value)})`],
                ["Hedge volatility", h("span", { className: "server-words" }, performance.hedge.volatility.words)],
              ]
            : []),
        ],
        "Performance",
      ),
      (chart && limitsAgainst("performance-limits", performance.risk_limits)) || "",
      !chart ? "" : benchmarkTable("performance-benchmarks", performance.benchmarks),
      h("h2", {}, "Positions, orders and ledger"),
      kvTable(
        [
          ["Valued at the closes of", positions.priced_on || "–"],
          ["Cash", money(positions.cash)],
          ["Equity", money(positions.equity)],
          ["Realised P&L", money(positions.realised_pnl)],
          ["Unrealised P&L", money(positions.unrealised_pnl)],
          ["Commissions", money(positions.fees)],
        ],
        "Account",
      ),
      table(
        "positions-table",
        "Positions held",
        ["Symbol", "Shares", "Price", "Value", "Cost basis", "Unrealised P&L", "Realised P&L"],
        held.map((p) => [p.symbol, quantity(p.quantity), money(p.price), money(p.market_value), money(p.cost_basis), money(p.unrealised_pnl), money(p.realised_pnl)]),
      ),
      ordersTable(orders),
      h("div", { className: "actions" }, csvButton),
      table(
        "ledger-table",
        `Ledger (${ledger.entries.length} entries; the last 200 shown)`,
        ["Time", "Kind", "Symbol", "Side", "Quantity", "Price", "Fee", "Amount"],
        ledger.entries.slice(-200).map((e) => [isoTime(e.time), e.kind.replace("_", " "), e.symbol || "", e.side || "", quantity(e.quantity), money(e.price), money(e.fee), money(e.amount)]),
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
    if (!testBox.childElementCount) {
      const tests = d.mode === "forward_test" ? [] : await api(`${base}/forward-tests`);
      forwardTests = tests.length;
      renderTestForm(d, tests);
    }
    await loadBooks();
  }

  load().catch((err) => showAlert(errorText(err)));
  followDeployment().catch((err) => {
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
  const chart = h("div", { id: "chart-forward-test", className: "chart", role: "figure", "aria-label": "Paper account against backtest" });
  const statuses = Object.entries(result.run_statuses).map(([s, n]) => `${n} ${s}`).join(", ");
  clear(el).append(
    h("h3", {}, `${result.start} to ${result.end}: paper against backtest`),
    chart,
    kvTable(
      [
        ["Rebalances", `${result.runs} (${statuses})`],
        ["Fills", String(result.fills)],
        ["Paper", `${money(result.capital)} → ${money(result.final_value)} (${signedPercent(c.live_return)} from the first close)`],
        ["Fires decided on", result.fire_price === "previous_close" ? "the closes before each fire (orders filled a session later)" : "the session's close as the price at the fire"],
        ["Cash earned", `${percent(result.cash_rate)} a year`],
        ["Backtest", `${signedPercent(c.backtest_return)} over the same sessions: the strategy as deployed (its fires, the basket drifting between them)`],
        ...(searchedReturn(result) === null ? [] : [["Searched backtest", `${signedPercent(searchedReturn(result))}: the strategy as it was searched`]]),
        ["Paper return against the backtest's", returnGapText(c)],
        ...(result.decomposition && result.decomposition.words ? [["Why (share of capital)", h("span", { id: "forward-test-gap", className: "server-words" }, result.decomposition.words)]] : []),
        ["Tracking error (a year)", percent(c.tracking_error)],
        ["Drawdown at the end", percent(c.drawdown)],
        ["Paused", result.paused ? `${isoTime(result.paused.fire)}: ${result.paused.reason}` : "no"],
        ["Its own deployment", h("a", { id: "forward-test-deployment", href: `#/deployments/${encodeURIComponent(result.forward_test_deployment_id)}` }, "positions, orders and ledger")],
      ],
      "Forward test",
    ),
    limitsAgainst("forward-test-limits", result.risk_limits) || "",
    benchmarkTable("forward-test-benchmarks", result.benchmarks),
    ...[
      result.hedge ? hedgeSummary(result.hedge) : null,
      result.runs_detail.length
        ? table(
            "forward-test-runs",
            "Runs that did not end filled or with nothing to trade",
            ["Run", "Fire", "Status", "Orders", "Reason"],
            result.runs_detail.map((r) => [r.kind, isoTime(r.fire), r.status, String(r.orders), r.reason || ""]),
          )
        : null,
    ].filter(Boolean),
  );
  const n = result.values.backtest.length;
  const lines = { paper: result.values.paper.slice(0, n), backtest: result.values.backtest };
  if (result.values.searched && result.values.searched.length === n) lines["searched backtest"] = result.values.searched;
  equityChart(chart, result.values.dates.slice(0, n), { ...lines, ...benchmarkSeries(result.benchmarks, result.values) });
}

/** The account's realised drawdown, VaR and CVaR beside each risk limit its search stated (a
 * forward test's or a performance's `risk_limits`, in the API's words), or null without any. */
function limitsAgainst(id, rows) {
  if (!rows || !rows.length) return null;
  return h(
    "div",
    { id },
    h("h3", {}, "Against the risk limits its search stated"),
    h(
      "ul",
      { className: "limits-against" },
      rows.map((r) => h("li", { className: `server-words ${r.within ? "" : "danger-text"}`.trim(), dataset: { within: r.within ? "yes" : "no" } }, r.words)),
    ),
  );
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

/** The account a deployment trades (its own paper account unless it names a shared one). */
function accountOf(d) {
  return d.account || (d.spec && d.spec.account) || `paper-${d.id}`;
}

/** A deployment's trading limits in words ("cash buffer 2.00%, pauses at a 20.00% drawdown,
 * ..."). */
function limitsText(limits) {
  const parts = [];
  if (limits.cash_buffer) parts.push(`keeps ${percent(limits.cash_buffer)} in cash`);
  if (limits.max_drawdown !== null && limits.max_drawdown !== undefined) parts.push(`pauses at a ${percent(limits.max_drawdown)} drawdown`);
  if (limits.max_position !== null && limits.max_position !== undefined && limits.max_position < 1) parts.push(`at most ${percent(limits.max_position)} in one stock`);
  if (limits.max_turnover !== null && limits.max_turnover !== undefined && limits.max_turnover < 1) parts.push(`trades at most ${percent(limits.max_turnover)} of equity a rebalance`);
  if (limits.min_trade_value) parts.push(`skips trades under ${money(limits.min_trade_value)}`);
  if (limits.price_reserve) parts.push(`keeps ${percent(limits.price_reserve)} aside for price moves`);
  return parts.join("; ") || "none";
}

/** The searched backtest's return over the same sessions (null when it is not shown). */
function searchedReturn(result) {
  const s = result.values.searched;
  return s && s.length ? s[s.length - 1] / s[0] - 1 : null;
}

/** The paper return against the backtest's, both from the first close, in points. */
function returnGapText(c) {
  const gap = c.return_gap;
  return `${percent(Math.abs(gap))} ${gap >= 0 ? "above" : "below"} (both from the first close)`;
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
        ["Volatility", h("span", { id: "hedge-volatility", className: "server-words" }, hedge.volatility.words)],
        ["Options value", money(hedge.market_value)],
        ["Cash (premiums, settlements, fees)", money(hedge.cash)],
        ["Premiums paid", money(hedge.premiums_paid)],
        ["Premiums received", money(hedge.premiums_received)],
        ["Settlements", money(hedge.settlements)],
        ["Option fees", money(hedge.fees)],
        ["P&L (cash + options value)", money(hedge.pnl)],
        ["Dead letters", h("span", { id: "hedge-dead-count", className: dead ? "danger-text" : "" }, dead ? `${dead}: the hedge queue gave up on them (see the orders below)` : "none")],
      ],
      "The hedge",
    ),
    table(
      "hedge-positions-table",
      held.length ? "Options held" : "Options held: none",
      ["Symbol", "Contracts", "Expiry", "Price (per share)", "Market value", "Settlement"],
      held.map((m) => [m.symbol, quantity(m.contracts), m.expiry || "–", money(m.price), money(m.market_value), m.settlement ? `${m.settlement.words} (not yet booked in the ledger)` : "open"]),
    ),
    table(
      "hedge-orders-table",
      `Hedge orders (${hedge.orders.length})`,
      ["Run", "Symbol", "Side", "Contracts", "Filled", "Status", "Average price", "Reason"],
      hedge.orders.map((o) => [
        o.run_id,
        o.symbol,
        o.side,
        quantity(o.contracts),
        quantity(o.filled_contracts),
        o.status === "dead" ? h("strong", { className: "danger-text" }, "dead letter") : o.status,
        money(o.average_price),
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
        ["Premiums paid", money(hedge.premiums_paid)],
        ["Premiums received", money(hedge.premiums_received)],
        ["Settlements", money(hedge.settlements)],
        ["Option fees", money(hedge.fees)],
        ["Held at the end", held || "none"],
        ["Hedge value at the end", `${money(hedge.value)} (cash ${money(hedge.cash)}, options ${money(hedge.market_value)} on ${hedge.priced_on})`],
        ["Volatility", h("span", { className: "server-words" }, hedge.volatility.words)],
      ],
      "Option hedge (in the paper values)",
    ),
    h("p", { className: "hint" }, `Tracking: ${hedge.note}.`),
  );
}
