// The first page: what Stratigos does and where to start (the assistant, the example search,
// a structured search), with what the caller already has (their latest results, deployments).

import { api, errorText } from "./api.js";
import { clear, h, showAlert } from "./dom.js";
import { count, isoDate } from "./format.js";
import { startOptimization } from "./job.js";
import { staleDataNotice } from "./market.js";

/** The example search: four large stocks over twelve years, a drawdown limit met in 95% of
 * the simulated paths, 60 trials (about a minute on a laptop). */
const EXAMPLE_SEARCH = {
  universe: ["AAPL", "MSFT", "JNJ", "KO"],
  start: "2010-01-04",
  end: "2021-12-31",
  n_paths: 50,
  scenarios: ["bull", "bear", "high_vol", "base"],
  risk_limits: { max_drawdown: { limit: 0.25, statistic: "p95" } },
  budget: { max_trials: 60, batch_size: 20 },
};

function startCard(id, title, text, action) {
  return h("section", { className: "card start-card", id, "aria-labelledby": `${id}-title` }, h("h2", { id: `${id}-title` }, title), h("p", {}, text), action);
}

export function renderHome(main) {
  const controller = new AbortController();
  const example = h("button", { type: "button", id: "run-example" }, "Run the example search");
  const exampleStatus = h("p", { id: "example-status", className: "hint", "aria-live": "polite" });
  const yours = h("section", { className: "card", id: "home-yours", "aria-labelledby": "home-yours-title", hidden: true });
  const notice = h("div", { id: "home-notice" });
  main.append(
    h("h1", {}, "Stratigos: strategy search and paper trading for portfolio managers"),
    h(
      "p",
      { className: "lead" },
      "Stratigos searches volatility-targeting allocation strategies for your stocks across simulated bull, bear and volatile markets, checks the winner against your risk limits and against simply holding the stocks, explains it, and trades it on a paper account so you can see how it would have done before you commit money.",
    ),
    notice,
    h(
      "div",
      { className: "start-grid" },
      startCard(
        "start-assistant",
        "Ask the assistant",
        "Say what you want in your own words: a portfolio of given stocks, its risk, a comparison with equal weights, or a strategy search with a drawdown limit. It answers with numbers and asks before it runs or deploys anything.",
        h("a", { href: "#/chat", className: "button", id: "start-chat" }, "Open the assistant"),
      ),
      startCard(
        "start-example",
        "Try the example",
        `A search over ${EXAMPLE_SEARCH.universe.join(", ")} from ${EXAMPLE_SEARCH.start} to ${EXAMPLE_SEARCH.end} with a 25.00% drawdown limit met in 95% of the simulated paths, ${count(EXAMPLE_SEARCH.budget.max_trials)} trials: you follow its progress and read its results.`,
        h("div", {}, example, exampleStatus),
      ),
      startCard(
        "start-search",
        "Set up a search yourself",
        "Choose the stocks, the dates, your risk limits and the number of trials; the other settings have sensible defaults you can open and change.",
        h("a", { href: "#/optimize", className: "button secondary", id: "start-optimize" }, "New optimization"),
      ),
    ),
    yours,
  );
  example.addEventListener("click", async () => {
    example.disabled = true;
    exampleStatus.textContent = "Submitting…";
    try {
      await startOptimization(EXAMPLE_SEARCH);
    } catch (err) {
      exampleStatus.textContent = "";
      showAlert(`The example was not started: ${errorText(err)}`);
    } finally {
      example.disabled = false;
    }
  });

  async function load() {
    const [jobs, deployments, market] = await Promise.all([
      // (the limit counts the caller's other jobs too, e.g. forward tests: ask for a page)
      api("/v1/optimizations?status=succeeded&limit=50", { signal: controller.signal }),
      api("/v1/deployments", { signal: controller.signal }),
      api("/v1/market-data", { signal: controller.signal, signInOn401: false }).catch(() => null),
    ]);
    const stale = staleDataNotice(market);
    if (stale) notice.append(stale);
    const items = [];
    if (jobs.length) {
      items.push(h("li", {}, "Your latest search finished on ", isoDate(jobs[0].finished_at), ": ", h("a", { href: `#/jobs/${encodeURIComponent(jobs[0].id)}`, id: "home-latest-job" }, "read its results"), "."));
    }
    const live = deployments.items.filter((d) => d.mode !== "forward_test");
    if (live.length) {
      items.push(h("li", {}, `${count(live.length)} deployment${live.length === 1 ? "" : "s"} (${live.filter((d) => d.status === "active").length} active): `, h("a", { href: "#/deployments" }, "see them"), "."));
    }
    if (!items.length) return;
    clear(yours).append(h("h2", { id: "home-yours-title" }, "Where you left off"), h("ul", {}, items));
    yours.hidden = false;
  }
  load().catch((err) => {
    if (!controller.signal.aborted) showAlert(errorText(err));
  });
  return () => controller.abort();
}
