// The profile page: view and edit the caller's profile (GET/PUT/DELETE /v1/profile). Saving
// sends the version the page shows: a profile changed elsewhere meanwhile is refused (409) and
// the page says so instead of overwriting it.

import { api, ApiError, errorText } from "./api.js";
import { clear, h, showAlert } from "./dom.js";
import { isoTime } from "./format.js";
import { limitFields, limitsFromFields } from "./limits.js";

const TOLERANCES = [
  ["conservative", "Conservative"],
  ["moderate", "Moderate"],
  ["aggressive", "Aggressive"],
];

const KINDS = [
  ["run_failed", "failed runs"],
  ["run_dead_lettered", "dead-lettered runs"],
  ["reconciliation_mismatch", "reconciliation mismatches"],
  ["limit_breach", "limit breaches"],
  ["fill", "fills"],
  ["daily_summary", "daily summary"],
  ["tearsheets", "tearsheets after the close"],
];

const ALERTS = ["run_failed", "run_dead_lettered", "reconciliation_mismatch", "limit_breach"];

/** Tickers from "AAPL, ko msft" -> ["AAPL", "KO", "MSFT"]. */
function tickers(text) {
  return text
    .split(/[\s,;]+/)
    .map((t) => t.trim().toUpperCase())
    .filter(Boolean);
}

function field(id, label, input, hint = null) {
  return h(
    "div",
    { className: "field" },
    h("label", { for: id }, label),
    input,
    hint ? h("small", { className: "hint" }, hint) : null,
  );
}

function destinationRow(destination, index) {
  const kinds = destination.kinds || ALERTS;
  return h(
    "fieldset",
    { className: "group destination", dataset: { index: String(index) } },
    h("legend", {}, `Destination ${index + 1}`),
    h(
      "div",
      { className: "range" },
      field(
        `dest-channel-${index}`,
        "Channel",
        h(
          "select",
          { id: `dest-channel-${index}`, className: "dest-channel" },
          ["email", "webhook"].map((c) => h("option", { value: c, selected: c === destination.channel }, c)),
        ),
      ),
      field(
        `dest-address-${index}`,
        "Address (email, or webhook URL)",
        h("input", {
          id: `dest-address-${index}`,
          className: "dest-address",
          type: "text",
          value: destination.address || "",
          autocomplete: "off",
        }),
      ),
    ),
    h(
      "div",
      { className: "checks" },
      KINDS.map(([kind, text]) =>
        h(
          "label",
          { className: "check" },
          h("input", { type: "checkbox", className: "dest-kind", value: kind, checked: kinds.includes(kind) }),
          ` ${text}`,
        ),
      ),
    ),
    h(
      "button",
      { type: "button", className: "secondary dest-remove", "aria-label": `Remove destination ${index + 1}` },
      "Remove",
    ),
  );
}

/** The profile fields the form describes (what PUT /v1/profile takes, without the version). */
function fieldsFromForm(form, exclusions) {
  const limits = limitsFromFields(form, "profile");
  const universe = tickers(form.querySelector("#profile-universe").value);
  const destinations = [...form.querySelectorAll(".destination")].map((row) => ({
    channel: row.querySelector(".dest-channel").value,
    address: row.querySelector(".dest-address").value.trim(),
    kinds: [...row.querySelectorAll(".dest-kind:checked")].map((i) => i.value),
  }));
  return {
    risk_tolerance: form.querySelector("#profile-tolerance").value,
    risk_limits: limits,
    benchmark: form.querySelector("#profile-benchmark").value.trim() || null,
    universe: universe.length ? universe : null,
    exclusions,
    base_currency: form.querySelector("#profile-currency").value.trim() || "USD",
    notifications: { destinations },
  };
}

export function renderProfile(main) {
  const status = h("p", { id: "profile-status", className: "hint", role: "status" }, "Loading…");
  const body = h("div", { id: "profile-body" });
  main.append(
    h("h1", {}, "Profile"),
    h(
      "p",
      { className: "lead" },
      "Your mandate: new optimizations take its universe and risk limits where you leave them " +
        "empty, and a ticker or industry it excludes never enters a portfolio.",
    ),
    status,
    body,
  );
  let version = 0;
  let exclusions = [];
  let destinations = [];

  function exclusionList(form) {
    const list = form.querySelector("#profile-exclusions");
    clear(list);
    if (!exclusions.length) list.append(h("li", { className: "hint" }, "Nothing excluded."));
    for (const term of exclusions) {
      list.append(
        h(
          "li",
          {},
          `${term} `,
          h(
            "button",
            {
              type: "button",
              className: "link",
              "aria-label": `Include ${term} again`,
              onclick: () => {
                exclusions = exclusions.filter((e) => e !== term);
                exclusionList(form);
              },
            },
            "remove",
          ),
        ),
      );
    }
  }

  function destinationList(form) {
    const box = form.querySelector("#profile-destinations");
    clear(box);
    destinations.forEach((d, i) => box.append(destinationRow(d, i)));
    for (const button of box.querySelectorAll(".dest-remove")) {
      button.addEventListener("click", () => {
        const rows = [...box.querySelectorAll(".destination")];
        destinations = fieldsFromForm(form, exclusions).notifications.destinations;
        destinations.splice(rows.indexOf(button.closest(".destination")), 1);
        destinationList(form);
      });
    }
  }

  function show(profile) {
    version = profile.version;
    exclusions = [...profile.exclusions];
    destinations = profile.notifications.destinations.map((d) => ({ ...d }));
    status.textContent = profile.version
      ? `Version ${profile.version}, saved ${isoTime(profile.updated_at)}.`
      : "No profile saved yet: these are the defaults.";
    const form = h(
      "form",
      { id: "profile-form", className: "form-grid" },
      h(
        "fieldset",
        { className: "group" },
        h("legend", {}, "Risk"),
        field(
          "profile-tolerance",
          "Risk tolerance",
          h(
            "select",
            { id: "profile-tolerance" },
            TOLERANCES.map(([v, t]) => h("option", { value: v, selected: v === profile.risk_tolerance }, t)),
          ),
        ),
        h("p", { className: "hint" }, "Default risk limits of new optimizations (empty: no limit), each checked on the statistic of the simulated paths you choose."),
        limitFields("profile", profile.risk_limits),
      ),
      h(
        "fieldset",
        { className: "group" },
        h("legend", {}, "Universe and benchmark"),
        field(
          "profile-universe",
          "Preferred universe (tickers, comma-separated)",
          h("input", {
            id: "profile-universe",
            type: "text",
            value: (profile.universe || []).join(", "),
            placeholder: "none: each request's own",
            autocomplete: "off",
          }),
        ),
        field(
          "profile-benchmark",
          "Benchmark",
          h("input", {
            id: "profile-benchmark",
            type: "text",
            value: profile.benchmark || "",
            placeholder: "e.g. SP500",
            autocomplete: "off",
          }),
          "A ticker of the market data, or SP500 (the index). Shown with your profile; runs do not use it yet.",
        ),
        field(
          "profile-currency",
          "Base currency",
          h("input", { id: "profile-currency", type: "text", value: profile.base_currency, maxlength: 3 }),
          "Prices, results and deployments are in USD: only USD is accepted today.",
        ),
      ),
      h(
        "fieldset",
        { className: "group" },
        h("legend", {}, "Exclusions"),
        h("ul", { id: "profile-exclusions", className: "exclusions" }),
        h(
          "div",
          { className: "range" },
          field(
            "profile-exclude",
            "Exclude a ticker or an industry",
            h("input", { id: "profile-exclude", type: "text", placeholder: "e.g. AMD or banks", autocomplete: "off" }),
          ),
          h("button", { type: "button", id: "profile-exclude-add", className: "secondary" }, "Add"),
        ),
        h("small", { className: "hint" }, "Checked when you save: a term that matches no known ticker, sector or industry is refused."),
      ),
      h(
        "fieldset",
        { className: "group" },
        h("legend", {}, "Notifications (for new deployments that name none)"),
        h("div", { id: "profile-destinations" }),
        h("button", { type: "button", id: "profile-destination-add", className: "secondary" }, "Add a destination"),
      ),
      h(
        "div",
        { className: "actions" },
        h("button", { type: "submit", id: "profile-save" }, "Save profile"),
        h("button", { type: "button", id: "profile-reset", className: "secondary" }, "Forget profile"),
      ),
    );
    clear(body).append(form);
    exclusionList(form);
    destinationList(form);
    form.querySelector("#profile-exclude-add").addEventListener("click", () => {
      const input = form.querySelector("#profile-exclude");
      const term = input.value.trim();
      if (term && !exclusions.some((e) => e.toLowerCase() === term.toLowerCase())) exclusions.push(term);
      input.value = "";
      exclusionList(form);
    });
    form.querySelector("#profile-destination-add").addEventListener("click", () => {
      destinations = fieldsFromForm(form, exclusions).notifications.destinations;
      destinations.push({ channel: "email", address: "", kinds: ALERTS });
      destinationList(form);
    });
    form.querySelector("#profile-reset").addEventListener("click", async () => {
      showAlert(null);
      try {
        if (version) await api("/v1/profile", { method: "DELETE" });
        await load("Profile forgotten: the defaults apply.");
      } catch (err) {
        showAlert(errorText(err));
      }
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      showAlert(null);
      let fields;
      try {
        fields = fieldsFromForm(form, exclusions);
      } catch (err) {
        showAlert(err.message);
        return;
      }
      const button = form.querySelector("#profile-save");
      button.disabled = true;
      try {
        const saved = await api("/v1/profile", { method: "PUT", body: { ...fields, version } });
        show(saved);
        showAlert(`Profile saved (version ${saved.version}).`, "info");
      } catch (err) {
        if (err instanceof ApiError && err.status === 409) {
          showAlert("Your profile was changed elsewhere since this page loaded: reload to see it, then edit again.");
        } else {
          showAlert(`The profile was not saved: ${errorText(err)}`);
        }
      } finally {
        button.disabled = false;
      }
    });
  }

  async function load(message = null) {
    try {
      show(await api("/v1/profile"));
      if (message) showAlert(message, "info");
    } catch (err) {
      status.textContent = "";
      showAlert(errorText(err));
    }
  }

  load();
  return null;
}
