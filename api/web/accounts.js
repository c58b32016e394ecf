// Accounts: the broker accounts the caller's deployments trade, and the trading day's records of
// each. #/accounts lists them (broker, deployments, last snapshot); #/accounts/<account> is the
// account's dashboard: its equity at each snapshot (the snapshots taken every six hours,
// GET /v1/accounts/<account>/snapshots), the last snapshot (cash, buying power, positions) and
// the post-market reports of each session: the tearsheets (opened from a local blob: they need
// the API key) and each strategy's analytics (a Parquet download). An account several
// deployments share also shows its netted runs (GET /v1/accounts/<account>/runs): each decision
// time's orders with each strategy's part (named as GET /v1/accounts names the account's
// deployments), and its conflicts (one strategy bought what another sold: crossed inside the
// account, only the rest sent to the broker).

import { api, apiRaw, errorText, openHtmlPage } from "./api.js";
import { equityChart, purge } from "./charts.js";
import { clear, download, h, kvTable, showAlert, table } from "./dom.js";
import { count, isoTime, money, quantity } from "./format.js";

const path = (account) => `/v1/accounts/${encodeURIComponent(account)}`;

export function renderAccounts(main, params) {
  if (params[0]) return renderAccount(main, params[0]);
  const box = h("section", { className: "card" }, h("h1", {}, "Accounts"), h("p", { className: "hint" }, "Loading…"));
  main.append(box);
  api("/v1/accounts")
    .then((answer) => {
      const rows = answer.items.map((a) => [
        h("a", { href: `#/accounts/${encodeURIComponent(a.account)}` }, a.account),
        a.broker,
        a.deployments.map((d) => `${d.name} (${d.status})`).join(", "),
        a.last_snapshot ? money(a.last_snapshot.equity) : "–",
        a.last_snapshot ? isoTime(a.last_snapshot.taken_at) : a.opened ? "–" : "not opened yet",
      ]);
      clear(box).append(
        h("h1", {}, "Accounts"),
        rows.length
          ? table("accounts-table", "Each account your deployments trade", ["Account", "Broker", "Deployments", "Equity", "Last snapshot"], rows, { stack: true })
          : h(
              "p",
              { id: "accounts-empty", className: "hint" },
              "No account yet: an account opens when a deployment first trades. ",
              h("a", { href: "#/deployments" }, "Deploy a portfolio or an optimization's winner"),
              " and activate it (or forward-test it on past data).",
            ),
      );
    })
    .catch((err) => showAlert(errorText(err)));
  return null;
}

function renderAccount(main, account) {
  const chart = h("div", { id: "chart-account-equity", className: "chart", role: "figure", "aria-label": "The account's equity at each snapshot" });
  const summary = h("div", { id: "account-summary" });
  const reports = h("div", { id: "account-reports" });
  const runs = h("div", { id: "account-runs" });
  main.append(
    h(
      "section",
      { className: "card" },
      h("h1", { id: "account-title" }, `Account ${account}`),
      h("p", { className: "hint" }, "Snapshots every six hours; after each session's close, each strategy's analytics and the tearsheets."),
      h("h2", {}, "Equity"),
      chart,
      summary,
    ),
    h("section", { className: "card" }, h("h2", {}, "Post-market reports"), reports),
    h("section", { className: "card" }, h("h2", {}, "Netted runs"), runs),
  );

  async function load() {
    const [snapshots, listed, netted, accounts] = await Promise.all([
      api(`${path(account)}/snapshots`),
      api(`${path(account)}/reports`),
      api(`${path(account)}/runs`),
      api("/v1/accounts"),
    ]);
    const mine = accounts.items.find((a) => a.account === account);
    const names = Object.fromEntries((mine ? mine.deployments : []).map((d) => [d.id, d.name]));
    const items = snapshots.items;
    if (items.length) {
      equityChart(chart, items.map((s) => s.taken_at), { equity: items.map((s) => s.equity) });
      const last = items[items.length - 1];
      clear(summary).append(
        kvTable(
          [
            ["Last snapshot", isoTime(last.taken_at)],
            ["Equity", money(last.equity)],
            ["Cash", money(last.cash)],
            ["Buying power", money(last.buying_power)],
            ["Positions valued at the closes of", last.priced_on || "–"],
          ],
          `${count(items.length)} snapshot${items.length === 1 ? "" : "s"}`,
        ),
        table(
          "account-positions",
          "Positions at the last snapshot",
          ["Symbol", "Shares", "Price", "Value"],
          last.positions.map((p) => [p.symbol, quantity(p.quantity), money(p.price), money(p.market_value)]),
        ),
      );
    } else {
      chart.hidden = true;
      clear(summary).append(h("p", { id: "account-no-snapshots", className: "hint" }, "No snapshot yet: the first is taken at the next six-hourly time once the account opened."));
    }
    renderReports(listed.items, names);
    renderRuns(netted.items, names);
  }

  // Each strategy's part of an order or a conflict, by the deployment's name (its id when the
  // account's listing does not name it).
  function renderRuns(items, names) {
    if (!items.length) {
      clear(runs).append(h("p", { className: "hint" }, "No netted run: the account's deployments trade alone, or have not traded yet."));
      return;
    }
    const part = (allocations) =>
      Object.entries(allocations)
        .map(([id, q]) => `${names[id] || id} ${quantity(q)}`)
        .join(", ");
    const rows = items
      .slice()
      .reverse()
      .flatMap((run) =>
        run.orders.map((o) => [
          isoTime(run.created_at),
          o.symbol,
          o.side,
          quantity(o.quantity),
          o.crossed ? "crossed inside the account" : o.status,
          part(o.allocations),
        ]),
      );
    const conflicts = items
      .slice()
      .reverse()
      .flatMap((run) =>
        run.conflicts.map((c) => [
          isoTime(run.created_at),
          c.symbol,
          part(c.buyers),
          part(c.sellers),
          quantity(c.crossed),
          c.net_side ? `${c.net_side} ${quantity(c.net_quantity)}` : "nothing",
        ]),
      );
    clear(runs).append(
      table("account-conflicts", "Conflicts, newest first", ["Decided", "Symbol", "Bought by", "Sold by", "Crossed", "Sent"], conflicts),
      table("account-runs-table", "Orders by decision time, newest first", ["Decided", "Symbol", "Side", "Shares", "Status", "Each strategy's part"], rows),
    );
  }

  function renderReports(items, names) {
    if (!items.length) {
      clear(reports).append(h("p", { className: "hint" }, "No report yet: they are written after each session's close."));
      return;
    }
    const rows = items
      .slice()
      .reverse()
      .map((r) => [
        r.day,
        r.kind,
        (r.deployment_id && names[r.deployment_id]) || r.deployment_id || "the account",
        r.kind === "tearsheet"
          ? h("button", { type: "button", className: "link tearsheet-open", dataset: { report: r.id }, onclick: () => openTearsheet(r.id) }, "Open")
          : h("button", { type: "button", className: "link analytics-download", onclick: () => downloadFile(r) }, "Download Parquet"),
      ]);
    clear(reports).append(table("account-reports-table", "By session, newest first", ["Session", "Kind", "Of", ""], rows));
  }

  async function openTearsheet(id) {
    try {
      await openHtmlPage(`/v1/reports/${id}`);
    } catch (err) {
      showAlert(errorText(err));
    }
  }

  async function downloadFile(report) {
    try {
      const blob = await (await apiRaw(`/v1/reports/${report.id}`)).blob();
      download(`${account}-${report.day}-${report.deployment_id}-analytics.parquet`, blob, blob.type);
    } catch (err) {
      showAlert(errorText(err));
    }
  }

  load().catch((err) => showAlert(errorText(err)));
  return () => purge(chart);
}
