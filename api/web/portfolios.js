// Portfolios: list, create, edit (versioned replace), delete, and optimise a portfolio's assets
// with HRP, risk parity, inverse volatility or the efficient frontier (/v1/optimization/*).

import { api, errorText } from "./api.js";
import { frontierChart, weightsChart } from "./charts.js";
import { clear, h, kvTable, showAlert, stackable } from "./dom.js";
import { confidence, count, isoTime, percent, ratio, signedPercent } from "./format.js";

/** The optimisation methods in words (as the API names them in its answer). */
const METHOD_WORDS = {
  hrp: "hierarchical risk parity",
  risk_parity: "risk parity",
  "risk-parity": "risk parity",
  inverse_volatility: "inverse volatility",
  "inverse-volatility": "inverse volatility",
  efficient_frontier: "efficient frontier",
  "efficient-frontier": "efficient frontier",
};

const METHODS = [
  ["hrp", "Hierarchical risk parity"],
  ["risk-parity", "Risk parity (equal risk contributions)"],
  ["inverse-volatility", "Inverse volatility (weights ∝ 1 / vol)"],
  ["efficient-frontier", "Efficient frontier (maximum Sharpe)"],
];

/** "AAPL 0.25" / "AAPL, 25%" lines -> [{asset, weight}] (throws naming the bad line). */
export function parseWeights(text) {
  const items = [];
  text.split(/\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    const match = line.match(/^([A-Za-z0-9._\-^]+)[\s,;:=]+(-?[0-9]*\.?[0-9]+(?:e-?[0-9]+)?)\s*(%?)$/i);
    if (!match) throw new Error(`line ${i + 1} ("${line}") is not "ASSET weight"`);
    const weight = Number(match[2]) / (match[3] ? 100 : 1);
    items.push({ asset: match[1].toUpperCase(), weight });
  });
  if (!items.length) throw new Error("give at least one asset and its weight");
  return items;
}

function weightsText(weights) {
  return weights.map((w) => `${w.asset} ${w.weight}`).join("\n");
}

export function renderPortfolios(main) {
  let editing = null; // the portfolio being edited, or null when creating
  let portfolios = [];

  const body = h("tbody");
  const listStatus = h("p", { id: "portfolios-status", className: "hint", "aria-live": "polite" });
  const name = h("input", { id: "portfolio-name", name: "name", type: "text", required: true, maxlength: 200, placeholder: "e.g. Defensive staples" });
  const weights = h("textarea", {
    id: "portfolio-weights",
    name: "weights",
    rows: 6,
    required: true,
    spellcheck: "false",
    "aria-describedby": "portfolio-weights-hint",
    placeholder: "JNJ 0.3\nKO 0.3\nPG 0.2\nXOM 0.2",
  });
  const notes = h("textarea", { id: "portfolio-notes", name: "notes", rows: 2, maxlength: 10000 });
  const dataset = h("select", { id: "portfolio-dataset", name: "dataset_id" });
  let datasets = [];
  const allowShort = h("input", { id: "portfolio-short", name: "allow_short", type: "checkbox" });
  const formTitle = h("h2", { id: "portfolio-form-title" }, "New portfolio");
  const save = h("button", { type: "submit", id: "portfolio-save" }, "Create portfolio");
  const cancelEdit = h("button", { type: "button", id: "portfolio-cancel", className: "secondary", hidden: true }, "Cancel editing");
  const form = h(
    "form",
    { id: "portfolio-form", className: "card", "aria-labelledby": "portfolio-form-title" },
    formTitle,
    h("label", { for: "portfolio-name" }, "Name"),
    name,
    h("label", { for: "portfolio-dataset" }, "Market data"),
    dataset,
    h("label", { for: "portfolio-weights" }, "Weights"),
    weights,
    h(
      "small",
      { id: "portfolio-weights-hint", className: "hint" },
      "One asset per line: ticker and weight (0.25 or 25%); weights must sum to 1. Assets of the chosen market data.",
    ),
    h("label", { for: "portfolio-notes" }, "Notes"),
    notes,
    h("label", { className: "check" }, allowShort, " Allow short positions (negative weights)"),
    h("div", { className: "actions" }, save, cancelEdit),
  );

  const optimiseBox = h("section", { id: "portfolio-optimise", className: "card", hidden: true, "aria-labelledby": "optimise-title" });

  const uploadFile = h("input", { id: "dataset-file", name: "file", type: "file", accept: ".csv,.parquet,text/csv", required: true });
  const uploadKind = h(
    "select",
    { id: "dataset-kind", name: "kind" },
    h("option", { value: "prices" }, "Prices"),
    h("option", { value: "returns" }, "Daily returns"),
  );
  const uploadName = h("input", { id: "dataset-name", name: "name", type: "text", maxlength: 200, placeholder: "the file name" });
  const uploadButton = h("button", { type: "submit", id: "dataset-upload" }, "Upload");
  const uploadStatus = h("p", { id: "dataset-status", className: "hint", "aria-live": "polite" });
  const uploadForm = h(
    "form",
    { id: "dataset-form", className: "card", "aria-labelledby": "dataset-title" },
    h("h2", { id: "dataset-title" }, "Upload market data"),
    h("p", { className: "hint" }, "CSV or Parquet: dates in the first column, one column per asset."),
    h("div", { className: "form-row" },
      h("div", { className: "field" }, h("label", { for: "dataset-file" }, "File"), uploadFile),
      h("div", { className: "field" }, h("label", { for: "dataset-kind" }, "Contents"), uploadKind),
      h("div", { className: "field" }, h("label", { for: "dataset-name" }, "Name"), uploadName),
      h("div", { className: "actions" }, uploadButton),
    ),
    uploadStatus,
  );

  main.append(
    h("h1", {}, "Portfolios"),
    h(
      "div",
      { className: "portfolio-layout" },
      h(
        "section",
        { className: "card", "aria-labelledby": "portfolios-title" },
        h("h2", { id: "portfolios-title" }, "Saved portfolios"),
        h(
          "div",
          { className: "table-scroll", tabindex: "0" },
          stackable(
            h(
              "table",
              { id: "portfolios-table", className: "data" },
              h(
                "thead",
                {},
                h("tr", {}, ["Name", "Assets", "Version", "Updated", "Actions"].map((t) => h("th", { scope: "col" }, t))),
              ),
              body,
            ),
          ),
        ),
        listStatus,
      ),
      form,
    ),
    uploadForm,
    optimiseBox,
  );

  function datasetLabel(d) {
    return `${d.name} (${d.n_columns} assets, ${d.start} to ${d.end})`;
  }

  // Only the latest call fills the list: an earlier one answering later (the page's first load
  // against an upload's) would drop the new dataset and its selection.
  let datasetLoads = 0;
  async function loadDatasets(select = null) {
    const call = ++datasetLoads;
    let items;
    try {
      items = (await api("/v1/market-data/datasets")).items;
    } catch (err) {
      if (call === datasetLoads) showAlert(errorText(err));
      return;
    }
    if (call !== datasetLoads) return;
    datasets = items;
    const current = select ?? dataset.value;
    clear(dataset).append(
      h("option", { value: "" }, "Embedded S&P 500 (20 stocks)"),
      ...datasets.map((d) => h("option", { value: d.id }, datasetLabel(d))),
    );
    dataset.value = datasets.some((d) => d.id === current) ? current : "";
  }

  uploadForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    showAlert(null);
    const file = uploadFile.files && uploadFile.files[0];
    if (!file) {
      showAlert("Choose a CSV or Parquet file to upload.");
      uploadFile.focus();
      return;
    }
    const form = new FormData();
    form.append("file", file);
    form.append("kind", uploadKind.value);
    if (uploadName.value.trim()) form.append("name", uploadName.value.trim());
    uploadButton.disabled = true;
    uploadStatus.textContent = "Uploading…";
    try {
      const created = await api("/v1/market-data/datasets", { method: "POST", body: form });
      uploadForm.reset();
      await loadDatasets(created.id); // listed and selected before the status says so
      uploadStatus.textContent = `Uploaded ${datasetLabel(created)}.`;
    } catch (err) {
      uploadStatus.textContent = "";
      showAlert(errorText(err));
    } finally {
      uploadButton.disabled = false;
    }
  });

  function startEdit(portfolio) {
    editing = portfolio;
    formTitle.textContent = `Edit ${portfolio.name}`;
    save.textContent = "Save changes";
    cancelEdit.hidden = false;
    name.value = portfolio.name;
    weights.value = weightsText(portfolio.weights);
    notes.value = portfolio.notes || "";
    allowShort.checked = portfolio.allow_short;
    dataset.value = portfolio.dataset_id || "";
    name.focus();
  }

  function resetForm() {
    editing = null;
    form.reset();
    formTitle.textContent = "New portfolio";
    save.textContent = "Create portfolio";
    cancelEdit.hidden = true;
  }

  async function remove(portfolio) {
    if (!window.confirm(`Delete the portfolio "${portfolio.name}"?`)) return;
    try {
      await api(`/v1/portfolios/${encodeURIComponent(portfolio.id)}`, { method: "DELETE" });
      if (editing && editing.id === portfolio.id) resetForm();
      listStatus.textContent = `Deleted ${portfolio.name}.`;
      await load(false);
    } catch (err) {
      showAlert(errorText(err));
    }
  }

  async function load(announce = true) {
    try {
      const data = await api("/v1/portfolios");
      portfolios = data.items;
    } catch (err) {
      showAlert(errorText(err));
      return;
    }
    clear(body).append(
      ...portfolios.map((p) =>
        h(
          "tr",
          { dataset: { portfolio: p.id } },
          h("th", { scope: "row", className: "wrap" }, p.name),
          h(
            "td",
            { className: "wrap" },
            p.weights
              .slice(0, 6)
              .map((w) => `${w.asset} ${percent(w.weight)}`)
              .join(", ") + (p.weights.length > 6 ? ` … (${p.weights.length})` : ""),
          ),
          h("td", {}, count(p.version)),
          h("td", {}, isoTime(p.updated_at)),
          h(
            "td",
            { className: "row-actions" },
            h("button", { type: "button", className: "secondary small", "aria-label": `Edit ${p.name}`, onclick: () => startEdit(p) }, "Edit"),
            h("button", { type: "button", className: "small", "aria-label": `Optimise ${p.name}`, onclick: () => showOptimise(p) }, "Optimise"),
            h("button", { type: "button", className: "danger small", "aria-label": `Delete ${p.name}`, onclick: () => remove(p) }, "Delete"),
          ),
        ),
      ),
    );
    if (announce || !portfolios.length) {
      listStatus.textContent = portfolios.length
        ? `${count(portfolios.length)} portfolio${portfolios.length === 1 ? "" : "s"}`
        : "No portfolios yet: write one in the form (one ticker and its weight a line), or ask the assistant to build one; then optimise it or deploy it to paper.";
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showAlert(null);
    let items;
    try {
      items = parseWeights(weights.value);
    } catch (err) {
      showAlert(`Weights: ${err.message}`);
      weights.focus();
      return;
    }
    const payload = {
      name: name.value.trim(),
      weights: items,
      notes: notes.value.trim() || null,
      allow_short: allowShort.checked,
      dataset_id: dataset.value || null,
    };
    save.disabled = true;
    try {
      if (editing) {
        await api(`/v1/portfolios/${encodeURIComponent(editing.id)}`, {
          method: "PUT",
          body: { ...payload, version: editing.version },
        });
        listStatus.textContent = `Saved ${payload.name}.`;
      } else {
        await api("/v1/portfolios", { method: "POST", body: payload });
        listStatus.textContent = `Created ${payload.name}.`;
      }
      resetForm();
      await load(false);
    } catch (err) {
      showAlert(errorText(err));
    } finally {
      save.disabled = false;
    }
  });
  cancelEdit.addEventListener("click", resetForm);

  function showOptimise(portfolio) {
    const method = h(
      "select",
      { id: "optimise-method" },
      METHODS.map(([v, t]) => h("option", { value: v }, t)),
    );
    const covariance = h(
      "select",
      { id: "optimise-covariance" },
      h("option", { value: "sample" }, "Sample"),
      h("option", { value: "ledoit_wolf" }, "Ledoit-Wolf shrinkage"),
      h("option", { value: "ewma" }, "EWMA"),
    );
    // the embedded data goes back to 1990: default to recent years; uploaded data: all of it
    const start = h("input", { id: "optimise-start", type: "date", value: portfolio.dataset_id ? "" : "2015-01-01" });
    const end = h("input", { id: "optimise-end", type: "date" });
    const saveAs = h("input", { id: "optimise-save-as", type: "text", maxlength: 200, placeholder: "not saved" });
    const run = h("button", { type: "submit", id: "optimise-run" }, "Optimise");
    const output = h("div", { id: "optimise-result", "aria-live": "polite" });
    const optimiseForm = h(
      "form",
      { className: "form-row" },
      h("div", { className: "field" }, h("label", { for: "optimise-method" }, "Method"), method),
      h("div", { className: "field" }, h("label", { for: "optimise-covariance" }, "Covariance"), covariance),
      h("div", { className: "field" }, h("label", { for: "optimise-start" }, "From"), start),
      h("div", { className: "field" }, h("label", { for: "optimise-end" }, "To (empty: latest)"), end),
      h("div", { className: "field" }, h("label", { for: "optimise-save-as" }, "Save result as"), saveAs),
      h("div", { className: "actions" }, run),
    );
    clear(optimiseBox).append(
      h("h2", { id: "optimise-title" }, `Optimise ${portfolio.name}`),
      h("p", { className: "hint" }, `Re-weights the assets ${portfolio.weights.map((w) => w.asset).join(", ")} on their daily returns.`),
      optimiseForm,
      output,
    );
    optimiseBox.hidden = false;
    method.focus();
    optimiseForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      showAlert(null);
      const body = { portfolio_id: portfolio.id, covariance: { method: covariance.value } };
      if (start.value) body.start = start.value;
      if (end.value) body.end = end.value;
      if (saveAs.value.trim()) body.save_as = saveAs.value.trim();
      run.disabled = true;
      clear(output).append(h("p", { className: "hint" }, "Optimising…"));
      try {
        const result = await api(`/v1/optimization/${method.value}`, { method: "POST", body });
        renderOptimisation(output, portfolio, result);
        if (result.portfolio_id) {
          listStatus.textContent = `Saved the result as ${body.save_as}.`;
          await load(false);
        }
      } catch (err) {
        clear(output);
        showAlert(errorText(err));
      } finally {
        run.disabled = false;
      }
    });
  }

  function renderOptimisation(output, portfolio, result) {
    const current = Object.fromEntries(portfolio.weights.map((w) => [w.asset, w.weight]));
    const report = result.risk_report || {};
    const rows = [
      ["Method", (METHOD_WORDS[result.method] || result.method.replace(/[-_]/g, " ")) + (result.selected ? ` (${result.selected.replace(/_/g, " ")})` : "")],
      ["Expected return, annual", signedPercent(result.expected_return)],
      ["Volatility, annual", percent(result.volatility)],
      [`Sharpe ratio (against a ${percent((result.options || {}).risk_free_rate || 0)} risk-free rate)`, h("span", { id: "optimised-sharpe" }, ratio(result.sharpe_ratio))],
      ["Max drawdown", percent(report.max_drawdown)],
      [`Daily VaR (${confidence(report.level)} confidence)`, percent(report.var_historical)],
      [`Daily CVaR (${confidence(report.level)} confidence)`, percent(report.cvar_historical)],
      ["Data", h("span", { id: "optimised-data" }, `${(result.data && result.data.start) || ""} to ${(result.data && result.data.end) || ""}${result.data && result.data.data_end ? `; the market data ends on ${result.data.data_end}` : ""}`)],
    ];
    const weightsBox = h("div", { id: "chart-weights", className: "chart", role: "figure", "aria-label": "Current and optimised weights per asset" });
    clear(output).append(
      h("div", { className: "two-col" }, kvTable(rows, "Optimised portfolio"), weightsBox),
    );
    weightsChart(weightsBox, { current, optimised: result.weights });
    if (result.frontier && result.frontier.length) {
      const frontierBox = h("div", { id: "chart-frontier", className: "chart", role: "figure", "aria-label": "Efficient frontier" });
      output.append(h("h3", {}, "Efficient frontier"), frontierBox);
      frontierChart(frontierBox, result.frontier, { volatility: result.volatility, expected_return: result.expected_return });
    }
  }

  loadDatasets();
  load();
  return null;
}
