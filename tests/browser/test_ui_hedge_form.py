"""The optimization form's Hedge section in Chromium: an overlay search submitted with a
bear-scenario drawdown limit runs to the end and the results show the winner's overlay and the
hedged-vs-unhedged tables with the API's numbers; an unhedged winner and a search without
overlays say so instead of showing empty tables; bad hedge settings are caught beside their
field before anything is sent, and the API's errors are shown beside the field they name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from quant.options.vol_model import ImpliedVolModel
from tests.browser.conftest import screenshot
from tests.support.browser import Server, sign_in, succeeded_job, wait_for_job

COMPARISON = [
    ("hedged", "hedge_premium", 2),
    ("hedged", "hedge_payoff", 2),
    ("hedged", "hedge_carry", 2),
    ("unhedged", "max_drawdown", 2),
    ("hedged", "max_drawdown", 2),
    ("unhedged", "cvar_95", 2),
    ("hedged", "cvar_95", 2),
]
"""The comparison table's columns after the scenario: (side, metric, decimals of the percent)."""
TRADEOFF = [("hedge_premium", 2), ("hedge_carry", 2), ("max_drawdown", 2), ("cvar_95", 2)]
"""The trade-off table's percent columns after trial and overlay."""


def _cells(page: Any, selector: str) -> tuple[list[str], list[str | None]]:
    """The texts and `data-value`s of the cells matched by `selector`."""
    cells = page.locator(selector)
    return cells.all_inner_texts(), cells.evaluate_all("els => els.map(e => e.dataset.value)")


def _assert_hedging_tables_match(page: Any, results: dict[str, Any]) -> None:
    """Every number of the Hedge card's tables is the API's, formatted as the reports do."""
    hedging = results["hedging"]
    for scenario, sides in (hedging["comparison"] or {}).items():
        texts, values = _cells(page, f"#hedge-comparison tr[data-scenario='{scenario}'] td")
        expected = [sides[side][metric] for side, metric, _ in COMPARISON]
        assert [float(v) for v in values if v is not None] == expected
        assert texts == [f"{v:.{d}%}" for v, (_, _, d) in zip(expected, COMPARISON, strict=True)]
    rows = page.locator("#hedge-tradeoff tbody tr")
    assert rows.count() == len(hedging["tradeoff"]) > 0
    for i, row in enumerate(hedging["tradeoff"]):
        texts, values = _cells(page, f"#hedge-tradeoff tbody tr:nth-child({i + 1}) td")
        expected = [row[m] for m, _ in TRADEOFF]
        assert [float(v) for v in values[1:5] if v is not None] == expected
        assert texts[1:5] == [f"{v:.{d}%}" for v, (_, d) in zip(expected, TRADEOFF, strict=True)]
        assert texts[5] == ("yes" if row["feasible"] else "no")
        assert float(values[6] or "nan") == row["objective"]
        head = page.inner_text(f"#hedge-tradeoff tbody tr:nth-child({i + 1}) th")
        winner = row["trial"] == results["best"]["trial"]
        assert head == f"{row['trial']}{' (winner)' if winner else ''}"
    definitions = page.inner_text("#hedge-definitions")
    assert "% of wealth per year" in definitions and "positive loss" in definitions


def _small_run(page: Any) -> None:
    page.fill("#max-trials", "12")
    page.fill("#batch-size", "6")
    page.fill("#n-paths", "20")
    page.fill("#universe", "AAPL, KO, XOM")
    page.fill("#start", "2010-01-01")
    for scenario in ("bull", "high_vol", "low_vol"):
        page.uncheck(f"#scenario-{scenario}")


def test_an_overlay_search_with_a_bear_drawdown_limit_shows_the_winner_s_overlay(
    page: Any, server: Server, artifacts: Path
) -> None:
    sign_in(page, server)
    _small_run(page)
    page.uncheck("#overlay-kind-none")
    page.check("#overlay-kind-put")
    page.check("#overlay-kind-collar")
    page.fill("#overlay-strike-low", "85")
    page.fill("#overlay-strike-high", "95")
    page.fill("#overlay-call-strike", "112")
    page.check("#overlay-tenor-21")  # with 63, checked by default
    page.fill("#overlay-budget-low", "2")
    page.fill("#overlay-budget-high", "2")
    page.fill("#limit-max-drawdown", "50")
    page.check("#limit-scenario-bear")
    page.fill("#vol-premium", "0.02")  # implied vol further above realised, a steeper skew
    page.fill("#vol-skew", "2")
    page.fill("#vol-window", "42")
    page.locator("#overlay-kind-none").scroll_into_view_if_needed()
    screenshot(page, artifacts / "hedge-form.png")
    page.click("#submit-optimization")

    page.wait_for_function("() => location.hash.startsWith('#/jobs/job_')")
    job_id = page.evaluate("location.hash").split("/")[-1]
    page.wait_for_selector(f"body[data-results-ready='{job_id}']", timeout=120_000)
    with server.client() as client:
        job = client.get(f"/v1/optimizations/{job_id}").json()
        results = client.get(f"/v1/optimizations/{job_id}/results").json()
    space = job["request"]["search_space"]
    assert space["overlay"] == {"choices": ["put", "collar"]}
    assert space["overlay_strike"] == {"low": 0.85, "high": 0.95}
    assert space["overlay_call_strike"] == 1.12
    assert space["overlay_tenor_days"] == {"choices": [21, 63]}
    assert space["overlay_roll"] == "expiry" and space["overlay_hedge_ratio"] == 1
    assert space["overlay_budget"] == 0.02
    limits = job["request"]["risk_limits"]
    assert limits["max_drawdown"] == 0.5 and limits["scenarios"] == ["bear"]
    assert job["request"]["vol_model"] == {
        "variance_risk_premium": 0.02,
        "skew": 2,
        "realised_window": 42,
        "min_volatility": 0.05,
        "max_volatility": 3.0,
    }

    config = results["config_summary"]["config"]
    assert config["overlay"] in ("put", "collar") and config["overlay_budget"] == 0.02
    shown = page.inner_text("#hedge-winner")  # in the vocabulary's words and formats
    name = {"put": "protective put", "collar": "collar"}[config["overlay"]]
    assert f"Hedge\t{name}" in shown
    assert f"Put strike\t{config['overlay_strike'] * 100:.2f}%" in shown
    assert f"Option term\t{config['overlay_tenor_days']} trading days" in shown
    assert "Premium budget\t2.00%" in shown
    assert ("Sold call strike\t112.00%" in shown) == (config["overlay"] == "collar")
    assert "band" not in shown  # the winner rolls at expiry: the band is not used
    assert "max drawdown ≤ 50.00% in 95% of bear paths" in page.inner_text("#results-limits")
    _assert_hedging_tables_match(page, results)
    assert page.locator("#hedge-unhedged").count() == 0
    page.locator("#hedge").scroll_into_view_if_needed()
    screenshot(page, artifacts / "hedge-results.png")
    # the trials table has the overlay's columns
    header = page.inner_text("#trials-table thead")
    assert "hedge" in header and "put strike" in header and "overlay" not in header
    assert page.problems == []


def test_an_unhedged_winner_says_so_and_shows_the_trade_off(
    page: Any, server: Server, artifacts: Path
) -> None:
    request = {
        "universe": ["AAPL", "KO", "XOM"],
        "start": "2010-01-01",
        "n_paths": 20,
        "scenarios": ["bear", "base"],
        "search_space": {
            "overlay": {"choices": ["none", "put"]},
            "overlay_strike": {"low": 0.85, "high": 0.95},
        },
        "objective": {"hedge_premium": -1.0},
        "budget": {"max_trials": 12, "batch_size": 6},
        "method": "random",
    }
    with server.client() as client:
        job = client.post("/v1/optimizations", json=request).json()
        assert wait_for_job(client, job["id"])["status"] == "succeeded"
        results = client.get(f"/v1/optimizations/{job['id']}/results").json()
    # minimising the premium, a strategy without options (premium 0) wins
    assert results["config_summary"]["config"]["overlay"] == "none"
    assert results["hedging"]["comparison"] is None
    sign_in(page, server, f"#/jobs/{job['id']}")
    page.wait_for_selector(f"body[data-results-ready='{job['id']}']")
    assert "The winner holds no option hedge" in page.inner_text("#hedge-unhedged")
    assert "protective put" in page.inner_text("#hedge-unhedged")
    assert page.locator("#hedge-comparison").count() == 0  # no empty table
    assert page.locator("#hedge-winner").count() == 0
    _assert_hedging_tables_match(page, results)
    first = results["hedging"]["tradeoff"][0]
    assert first["hedged"] is False  # the unhedged trial closest to the limits comes first
    assert page.inner_text("#hedge-tradeoff tbody tr:first-child td") == "none"
    page.locator("#hedge").scroll_into_view_if_needed()
    screenshot(page, artifacts / "hedge-unhedged.png")
    assert page.problems == []


def test_a_required_hedge_that_none_meets_is_said_with_its_reason(
    page: Any, server: Server
) -> None:
    request = {
        "universe": ["AAPL", "JNJ", "KO", "XOM", "JPM"],
        "start": "2008-01-01",
        "end": "2022-12-28",
        "n_paths": 40,
        "horizon": 189,
        "scenarios": ["bear", "high_vol"],
        "search_space": {
            "target_vol": {"low": 0.18, "high": 0.30},
            "weight_function": "inverse_vol",
            "lookback": 63,
            "rebalance_every": 21,
            "max_leverage": 1.5,
            "overlay": {"choices": ["none", "put"]},
            "overlay_strike": {"low": 0.6, "high": 0.7},  # far out of the money: no help
            "overlay_tenor_days": 63,
        },
        "objective": {"hedge_premium": -1.0},
        "risk_limits": {"max_drawdown": {"limit": 0.15, "statistic": "p95"}, "scenarios": ["bear"]},
        "budget": {"max_trials": 40, "batch_size": 20},
        "method": "random",
    }
    with server.client() as client:
        job = client.post("/v1/optimizations", json=request).json()
        final = wait_for_job(client, job["id"])
        results = client.get(f"/v1/optimizations/{job['id']}/results").json()
    hedging = results["hedging"]
    assert final["status"] == "succeeded" and results["status"] == "partial", final
    assert hedging["required"] is not None
    assert hedging["n_hedged_trials"] > 0 and hedging["n_hedged_feasible"] == 0
    sign_in(page, server, f"#/jobs/{job['id']}")
    page.wait_for_selector(f"body[data-results-ready='{job['id']}']")
    required = page.inner_text("#hedge-required")
    assert f"from round {hedging['required']['round'] + 1}" in required
    assert hedging["required"]["constraint"] in required
    none_met = page.inner_text("#hedge-none-feasible")
    assert (
        none_met == f"None of the {hedging['n_hedged_trials']} hedged trials met the risk limits."
    )
    _assert_hedging_tables_match(page, results)
    assert page.problems == []


def test_a_delta_band_roll_is_sent_checked_and_shown_for_the_winner(
    page: Any, server: Server
) -> None:
    sign_in(page, server)
    _small_run(page)
    page.uncheck("#overlay-kind-none")
    page.check("#overlay-kind-put")
    page.fill("#overlay-strike-low", "90")
    page.fill("#overlay-strike-high", "95")
    page.select_option("#overlay-roll", "delta")
    page.fill("#overlay-roll-delta-band", "0.7")  # above the largest band: the browser refuses
    page.click("#submit-optimization")
    assert page.evaluate(
        "document.getElementById('overlay-roll-delta-band').validity.rangeOverflow"
    )
    assert page.url.endswith("#/optimize")
    # and the form's own check (the one the request is built through) names the field
    checked = page.evaluate(
        """async () => {
            const { hedgeSpace } = await import('./static/optimize.js');
            const form = document.getElementById('optimize-form');
            const out = [];
            for (const bad of ['0.7', '0']) {
              document.getElementById('overlay-roll-delta-band').value = bad;
              try { hedgeSpace(form); out.push('accepted'); }
              catch (err) { out.push([err.id, err.message]); }
            }
            document.getElementById('overlay-roll').value = 'band';
            const band = hedgeSpace(form);
            return [out, band.overlay_roll, 'overlay_roll_band' in band,
                    'overlay_roll_delta_band' in band];
        }"""
    )
    message = "Delta band must be above 0 and at most 0.5"
    assert checked[0] == [["overlay-roll-delta-band", message]] * 2
    assert checked[1:] == ["band", True, False]  # a band roll sends the band, not the delta's
    page.select_option("#overlay-roll", "delta")
    page.fill("#overlay-roll-delta-band", "0.05")
    page.click("#submit-optimization")
    page.wait_for_function("() => location.hash.startsWith('#/jobs/job_')")
    job_id = page.evaluate("location.hash").split("/")[-1]
    page.wait_for_selector(f"body[data-results-ready='{job_id}']", timeout=120_000)
    with server.client() as client:
        space = client.get(f"/v1/optimizations/{job_id}").json()["request"]["search_space"]
        config = client.get(f"/v1/optimizations/{job_id}/results").json()["config_summary"][
            "config"
        ]
    assert space["overlay_roll"] == "delta" and space["overlay_roll_delta_band"] == 0.05
    assert "overlay_roll_band" not in space  # the moneyness band is not read: not sent
    assert (config["overlay_roll"], config["overlay_roll_delta_band"]) == ("delta", 0.05)
    shown = page.inner_text("#hedge-winner")
    assert "Rolled\tearly at a delta band" in shown
    assert "Delta band\t0.05" in shown and "Moneyness band" not in shown
    assert page.problems == []


def test_a_search_without_overlays_has_no_hedge_card(page: Any, server: Server) -> None:
    job_id = succeeded_job(server)
    with server.client() as client:
        assert client.get(f"/v1/optimizations/{job_id}/results").json()["hedging"] is None
    sign_in(page, server, f"#/jobs/{job_id}")
    page.wait_for_selector(f"body[data-results-ready='{job_id}']")
    assert page.locator("#config-summary").count() == 1
    assert page.locator("#hedge").count() == 0
    assert page.problems == []


def test_hedge_settings_are_checked_beside_their_field_before_sending(
    page: Any, server: Server
) -> None:
    sign_in(page, server)
    page.check("#overlay-kind-collar")
    page.fill("#overlay-strike-high", "98")
    page.fill("#overlay-call-strike", "95")  # a collar sells its call above the put's strike
    page.click("#submit-optimization")
    error = page.locator("#overlay-call-strike-error")
    error.wait_for(state="visible")
    assert "sold call strike must be above the bought put's highest strike" in error.inner_text()
    assert page.get_attribute("#overlay-call-strike", "aria-invalid") == "true"
    assert page.evaluate("document.activeElement.id") == "overlay-call-strike"
    assert page.url.endswith("#/optimize")  # nothing was sent

    page.fill("#overlay-call-strike", "110")
    page.fill("#overlay-budget-low", "1")  # one end of the budget range only
    page.click("#submit-optimization")
    page.locator("#overlay-budget-high-error").wait_for(state="visible")
    assert page.locator("#overlay-call-strike-error").count() == 0  # earlier marks are cleared
    assert page.url.endswith("#/optimize")

    page.fill("#overlay-budget-low", "")
    page.fill("#vol-skew", "-1")  # the vol model's bounds: the browser refuses to send it
    page.click("#submit-optimization")
    assert page.evaluate("document.getElementById('vol-skew').validity.rangeUnderflow")
    assert page.url.endswith("#/optimize")
    page.fill("#vol-skew", "1.5")
    # and the form's own check (the one the request is built through) names the field
    errors = page.evaluate(
        """async () => {
            const { volModelFromForm } = await import('./static/optimize.js');
            const form = document.getElementById('optimize-form');
            const out = [];
            for (const [id, bad] of [['vol-skew', '-1'], ['vol-window', '10.5'],
                                     ['vol-premium', '1.5']]) {
              const input = document.getElementById(id);
              const before = input.value;
              input.value = bad;
              try { volModelFromForm(form); out.push([id, 'accepted']); }
              catch (err) { out.push([err.id, err.message]); }
              input.value = before;
            }
            return out;
        }"""
    )
    assert errors == [
        ["vol-skew", "Skew must be at least 0 and at most 20"],
        ["vol-window", "Realised volatility window must be a whole number of trading days"],
        ["vol-premium", "Variance risk premium must be at least 0 and at most 1"],
    ]

    page.uncheck("#overlay-kind-none")
    page.uncheck("#overlay-kind-collar")
    page.click("#submit-optimization")
    assert "Choose at least one hedge kind" in page.inner_text("#overlay-kind-none-error")
    assert page.problems == []


def test_the_pricing_fields_show_the_vol_model_s_defaults_and_send_nothing_unchanged(
    page: Any, server: Server, artifacts: Path
) -> None:
    sign_in(page, server)
    page.locator("#vol-model").scroll_into_view_if_needed()
    screenshot(page.locator("#vol-model"), artifacts / "hedge-vol-model.png")
    defaults = ImpliedVolModel()
    assert float(page.input_value("#vol-premium")) == defaults.variance_risk_premium
    assert float(page.input_value("#vol-skew")) == defaults.skew
    assert int(page.input_value("#vol-window")) == defaults.realised_window
    hint = page.inner_text("#vol-model-hint")
    assert f"premium {defaults.variance_risk_premium}, skew {defaults.skew}" in hint
    sent = page.evaluate(
        """async () => {
            const { requestFromForm } = await import('./static/optimize.js');
            const form = document.getElementById('optimize-form');
            const unhedged = requestFromForm(form);
            document.getElementById('overlay-kind-put').checked = true;
            const defaults = requestFromForm(form);
            document.getElementById('vol-window').value = '63';
            const changed = requestFromForm(form);
            return [unhedged.vol_model, defaults.vol_model, changed.vol_model];
        }"""
    )
    # left out without overlays and at the defaults (the request's hash is unchanged then)
    assert sent[0] is None and sent[1] is None
    assert sent[2] == {
        **defaults.model_dump(exclude={"min_volatility", "max_volatility"}),
        "realised_window": 63,
    }
    assert page.problems == []


def test_the_api_s_errors_are_shown_beside_the_field_they_name(page: Any, server: Server) -> None:
    sign_in(page, server)
    page.fill("#horizon", "63")  # lookback up to 126 days leaves too little of the horizon
    page.click("#submit-optimization")
    error = page.locator("#lookback-low-error")
    error.wait_for(state="visible")
    assert "lookback up to 126 days leaves too few of the 63-day horizon" in error.inner_text()
    assert "body.search_space.lookback" in page.inner_text("#alert")
    assert page.get_attribute("#lookback-low", "aria-invalid") == "true"
    # every overlay field the API can name has its control
    ids = page.evaluate(
        """async () => {
            const { inputOfField } = await import('./static/optimize.js');
            const names = ['overlay', 'overlay_strike', 'overlay_lower_strike',
              'overlay_call_strike', 'overlay_tenor_days', 'overlay_roll', 'overlay_roll_band',
              'overlay_roll_delta_band', 'overlay_hedge_ratio', 'overlay_budget'];
            const fields = [...names.map((n) => `body.search_space.${n}`), 'body.vol_model',
              'body.vol_model.variance_risk_premium', 'body.vol_model.skew',
              'body.vol_model.realised_window'];
            return fields.map((f) => {
              const id = inputOfField(f);
              return id && document.getElementById(id) ? id : `missing ${f}`;
            });
        }"""
    )
    assert not [i for i in ids if i.startswith("missing")], ids
    assert page.problems == []
