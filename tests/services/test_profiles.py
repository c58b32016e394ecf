"""services.profiles: defaults, validated changes, exclusions and their enforcement."""

from __future__ import annotations

from pathlib import Path

import pytest

from quant.limits import Limit
from services.errors import InputError
from services.market_data.providers import default_universe
from services.profiles import (
    add_exclusion,
    delete_profile,
    fill_request_defaults,
    get_profile,
    remove_exclusion,
    replace_profile,
    screen,
    screen_request,
    update_profile,
)
from settings import get_settings
from store import ConflictError, NotFoundError, Store
from tests.support.classification import TOBACCO_CLASSIFICATION, write_classification

ALICE, BOB = "alice", "bob"


def test_an_owner_without_a_profile_gets_the_default(store: Store) -> None:
    profile = get_profile(store, ALICE)
    assert (profile.owner, profile.version, profile.updated_at) == (ALICE, 0, None)
    assert profile.risk_tolerance == "moderate" and profile.exclusions == []
    assert profile.universe is None and profile.risk_limits.limits() == {}
    assert profile.base_currency == "USD" and profile.notifications.destinations == ()


def test_update_merges_changes_and_reads_back(store: Store) -> None:
    first = update_profile(
        store,
        ALICE,
        {"risk_tolerance": "conservative", "risk_limits": {"max_drawdown": 0.2, "cvar_95": 0.03}},
        expected_version=0,
    )
    assert first.version == 1
    second = update_profile(
        store,
        ALICE,
        {"risk_limits": {"cvar_95": None, "var_95": 0.02}, "benchmark": "sp500"},
        expected_version=1,
    )
    assert second.version == 2 and second.risk_tolerance == "conservative"
    assert second.risk_limits.limits() == {
        "max_drawdown": Limit(limit=0.2),
        "var_95": Limit(limit=0.02),
    }
    assert second.risk_limits.model_dump(exclude_none=True) == {"max_drawdown": 0.2, "var_95": 0.02}
    assert second.benchmark == "SP500"
    assert get_profile(store, ALICE) == second
    assert get_profile(store, BOB).version == 0
    with pytest.raises(ConflictError):
        update_profile(store, ALICE, {"risk_tolerance": "aggressive"}, expected_version=1)
    assert get_profile(store, ALICE).risk_tolerance == "conservative"
    reset = update_profile(store, ALICE, {"risk_tolerance": None})
    assert reset.risk_tolerance == "moderate" and reset.benchmark == "SP500"


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"risk_limits": {"cvar_95": 1.5}}, "risk_limits.cvar_95", "must be at most 1"),
        ({"risk_limits": {"max_drawdown": -0.1}}, "risk_limits.max_drawdown", "greater than 0"),
        ({"risk_tolerance": "reckless"}, "risk_tolerance", "conservative"),
        ({"benchmark": "NOPE"}, "benchmark", "'NOPE' is not a ticker"),
        ({"universe": ["AAPL", "ZZZZ"]}, "universe", "ZZZZ"),
        ({"universe": ["AAPL", "aapl"]}, "universe", "twice"),
        ({"exclusions": ["crypto"]}, "exclusions", "'crypto' matches no known ticker"),
        ({"base_currency": "EURO"}, "base_currency", "ISO 4217"),
        ({"base_currency": "EUR"}, "base_currency", "USD only"),
        ({"colour": "blue"}, "colour", "not a profile field"),
        (
            {"notifications": {"destinations": [{"channel": "sms", "address": "x@y.z"}]}},
            "notifications.destinations.0.channel",
            "email",
        ),
    ],
)
def test_bad_changes_name_their_field_and_save_nothing(
    store: Store, changes: dict[str, object], field: str, words: str
) -> None:
    with pytest.raises(InputError) as caught:
        update_profile(store, ALICE, changes)
    assert caught.value.field == field and words in caught.value.problem
    with pytest.raises(NotFoundError):
        store.get_profile(ALICE)


@pytest.mark.usefixtures("classification_file")
def test_exclusions_resolve_tickers_and_industries(store: Store) -> None:
    profile = add_exclusion(store, ALICE, "amd")
    profile = add_exclusion(store, ALICE, " Tobacco ")
    profile = add_exclusion(store, ALICE, "AMD")
    assert profile.exclusions == ["AMD", "tobacco"] and profile.version == 3
    with pytest.raises(InputError) as unknown:
        add_exclusion(store, ALICE, "crypto")
    assert unknown.value.field == "exclusions" and "'crypto'" in unknown.value.problem
    after = remove_exclusion(store, ALICE, "amd")
    assert after.exclusions == ["tobacco"]
    with pytest.raises(InputError, match="does not exclude 'AMD'"):
        remove_exclusion(store, ALICE, "AMD")


@pytest.mark.usefixtures("classification_file")
def test_screen_leaves_out_excluded_tickers_with_reasons(store: Store) -> None:
    profile = replace_profile(store, ALICE, {"exclusions": ["AMD", "tobacco", "banks"]})
    checked = screen(profile, ["aapl", "AMD", "MO", "JPM", "KO"])
    assert checked.allowed == ["AAPL", "KO"]
    assert checked.reasons == [
        "AMD left out: your profile excludes AMD",
        "MO left out: your profile excludes tobacco (Altria Group, Tobacco)",
        "JPM left out: your profile excludes banks (JPMorgan Chase, Diversified Banks)",
    ]
    energy = replace_profile(store, ALICE, {"exclusions": ["energy"]})
    assert [x.ticker for x in screen(energy, default_universe()).left_out] == [
        "CVX",
        "RRC",
        "XOM",
    ]


def test_fill_request_defaults_says_what_came_from_the_profile(store: Store) -> None:
    profile = replace_profile(
        store,
        ALICE,
        {
            "universe": ["AAPL", "AMD", "KO"],
            "risk_limits": {"max_drawdown": 0.25, "cvar_95": 0.04},
            "exclusions": ["AMD"],
        },
    )
    filled = fill_request_defaults(profile, {"risk_limits": {"cvar_95": 0.05}, "n_paths": 50})
    assert filled.request == {
        "universe": ["AAPL", "KO"],
        "risk_limits": {"cvar_95": 0.05, "max_drawdown": 0.25},
        "n_paths": 50,
    }
    assert filled.from_profile == ["universe", "risk_limits.max_drawdown"]
    assert [x.reason for x in filled.left_out] == ["AMD left out: your profile excludes AMD"]
    own = fill_request_defaults(profile, {"universe": ["MSFT"]})
    assert own.request["universe"] == ["MSFT"] and "universe" not in own.from_profile
    unset = fill_request_defaults(replace_profile(store, BOB, {"exclusions": ["XOM"]}), {})
    assert unset.request["universe"] == [t for t in default_universe() if t != "XOM"]


def test_a_universe_left_empty_is_refused_naming_the_exclusion(store: Store) -> None:
    profile = replace_profile(store, ALICE, {"exclusions": ["AMD", "semiconductors"]})
    with pytest.raises(InputError) as caught:
        fill_request_defaults(profile, {"universe": ["AMD"]})
    assert caught.value.field == "universe"
    assert "AMD left out: your profile excludes AMD" in caught.value.problem


def test_delete_forgets_the_profile(store: Store) -> None:
    add_exclusion(store, ALICE, "AMD")
    delete_profile(store, ALICE)
    assert get_profile(store, ALICE).exclusions == []
    with pytest.raises(NotFoundError):
        delete_profile(store, ALICE)


def test_fill_without_screening_keeps_the_universe_for_the_worker(store: Store) -> None:
    profile = replace_profile(store, ALICE, {"exclusions": ["AMD"], "universe": ["AMD", "KO"]})
    filled = fill_request_defaults(profile, {}, screen=False)
    assert filled.request == {"universe": ["AMD", "KO"]} and filled.left_out == []
    screened = screen_request(profile, filled.request)
    assert screened.request["universe"] == ["KO"] and screened.from_profile == []
    assert screened.left_out[0].reason == "AMD left out: your profile excludes AMD"


def _configure_classification(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    monkeypatch.setenv("STRATIGOS_CLASSIFICATION_FILE", str(path))
    get_settings.cache_clear()


def test_the_configured_classification_adds_and_overrides_rows(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_classification(
        tmp_path,
        TOBACCO_CLASSIFICATION + "XOM,Exxon Mobil (vendor),Energy,Oil & Gas Refining & Marketing\n",
    )
    with pytest.raises(InputError, match="'refining' matches no known ticker"):
        add_exclusion(store, ALICE, "refining")  # not configured yet: the shipped rows alone
    _configure_classification(monkeypatch, path)
    try:
        profile = replace_profile(store, ALICE, {"exclusions": ["tobacco", "refining", "pm"]})
        assert profile.exclusions == ["tobacco", "refining", "PM"]
        checked = screen(profile, ["MO", "XOM", "CVX", "KO"])
        assert checked.allowed == ["CVX", "KO"]
        assert checked.reasons == [
            "MO left out: your profile excludes tobacco (Altria Group, Tobacco)",
            "XOM left out: your profile excludes refining "
            "(Exxon Mobil (vendor), Oil & Gas Refining & Marketing)",
        ]
    finally:
        get_settings.cache_clear()


def test_a_malformed_configured_classification_is_refused_naming_the_file(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_classification(tmp_path, "ticker,name,sector,industry\nMO,Altria,,Tobacco\n")
    _configure_classification(monkeypatch, path)
    try:
        with pytest.raises(InputError) as err:
            add_exclusion(store, ALICE, "tobacco")
        assert f"classification file {path}: line 2: empty sector" in str(err.value)
        assert get_profile(store, ALICE).version == 0  # nothing saved
    finally:
        get_settings.cache_clear()
