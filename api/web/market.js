// The market data's freshness in words: a notice when the prices end sessions before the last
// closed session, saying what that affects and what to do about it.

import { h } from "./dom.js";
import { count, isoDate } from "./format.js";

/** A notice for market data that is behind (GET /v1/market-data's `behind_sessions`), or null
 * when it is current. */
export function staleDataNotice(data) {
  if (!data || !data.behind_sessions) return null;
  const n = data.behind_sessions;
  return h(
    "div",
    { className: "notice", id: "stale-data", role: "note" },
    h(
      "p",
      {},
      h("strong", {}, `The market data ends on ${isoDate(data.end)}, ${count(n)} session${n === 1 ? "" : "s"} before the last closed session (${isoDate(data.last_closed_session)}). `),
      "Searches, backtests and forward tests on dates up to then are not affected; a deployment activated now trades on those old prices until they are brought up to date.",
    ),
    h(
      "p",
      {},
      "What to do: search and forward-test on the dates the data covers (the forms use its last date), ",
      h("a", { href: "#/portfolios" }, "upload your own prices"),
      " (CSV or Parquet) to work on current ones, or ask whoever runs this Stratigos server to refresh the market data (a daily refresh from Alpaca is one setting).",
    ),
  );
}
