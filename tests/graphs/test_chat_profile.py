"""The owner's profile in the chat (offline model): the portfolio tools leave excluded tickers out
and say why; a drafted search takes the profile's defaults and its run leaves exclusions out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from graphs.chat import ChatSession
from services.profiles import update_profile
from settings import Settings
from store import Store
from store.sqlite import SQLiteStore

SEARCH = (
    "find the target-vol setting that holds up in a bear market with 10 trials "
    "for AAPL, JNJ, KO and XOM since 2010"
)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return SQLiteStore(tmp_path / "store.sqlite")


def test_a_portfolio_leaves_out_what_the_profile_excludes(
    offline_data_dir: Path, store: Store
) -> None:
    update_profile(store, "alice", {"exclusions": ["AMD"]})
    session = ChatSession("profile-1", settings=Settings(), owner="alice", store=store)
    turn = session.send("build me a max sharpe portfolio of AAPL, AMD, JNJ and KO since 2018")
    built = next(
        json.loads(m.content)
        for m in session.history()
        if getattr(m, "name", None) == "optimize_portfolio"
    )
    assert set(built["weights"]) <= {"AAPL", "JNJ", "KO"}
    assert built["left_out"] == ["AMD left out: your profile excludes AMD"]
    assert "AMD left out: your profile excludes AMD." in turn.replies[-1]
    # a profile change holds in the same thread at once
    update_profile(store, "alice", {"exclusions": ["AMD", "KO"]})
    again = session.send("build me a min volatility portfolio of AAPL, AMD, JNJ and KO")
    assert "KO left out: your profile excludes KO." in again.replies[-1]


def test_a_drafted_search_takes_the_profile_and_its_run_leaves_exclusions_out(
    offline_data_dir: Path, store: Store
) -> None:
    update_profile(store, "bob", {"exclusions": ["energy"], "risk_limits": {"max_drawdown": 0.6}})
    session = ChatSession("profile-2", settings=Settings(), owner="bob", store=store)
    turn = session.send(SEARCH)
    assert turn.pending is not None
    assert turn.pending["request"]["risk_limits"]["max_drawdown"] == 0.6
    summary = turn.pending["summary"]
    assert "from your profile: risk_limits.max_drawdown." in summary
    assert "XOM left out: your profile excludes energy (Exxon Mobil, Energy)." in summary
    done = session.decide("edit", changes={"n_paths": 20, "horizon": 189})
    assert "XOM left out: your profile excludes energy (Exxon Mobil, Energy)." in done.replies[-1]
    [job] = store.list_jobs("bob")
    assert store.get_result("bob", job.id).payload["left_out"] == [
        "XOM left out: your profile excludes energy (Exxon Mobil, Energy)"
    ]
    (run_dir,) = list((session.settings.data_dir / "runs").iterdir())
    assert json.loads((run_dir / "request.json").read_text())["universe"] == ["AAPL", "JNJ", "KO"]


def test_a_search_the_exclusions_empty_is_explained_not_drafted(
    offline_data_dir: Path, store: Store
) -> None:
    update_profile(store, "carol", {"exclusions": ["AAPL", "JNJ", "KO", "XOM"]})
    session = ChatSession("profile-3", settings=Settings(), owner="carol", store=store)
    turn = session.send(SEARCH)
    assert turn.pending is None
    assert "universe: your profile's exclusions leave 0 of its 4 tickers" in turn.replies[-1]


def test_a_change_of_a_waiting_search_keeps_what_the_profile_filled_as_the_profile_s(
    offline_data_dir: Path, store: Store
) -> None:
    """What the profile filled in a waiting search (its universe, its limits) is filled again by
    the profile when the search is changed ("make it 8 trials"): still said to be the
    profile's, and a profile changed meanwhile applies; a change of it ("drop XOM") is the
    user's."""
    update_profile(
        store,
        "carol",
        {"universe": ["KO", "PG", "JNJ", "XOM"], "risk_limits": {"cvar_95": 0.03}},
    )
    session = ChatSession("profile-3", settings=Settings(), owner="carol", store=store)
    drafted = session.send("search strategies with 6 trials since 2015").pending
    assert drafted is not None
    said = "from your profile: universe, risk_limits.cvar_95."
    assert said in drafted["summary"], drafted["summary"]
    changed = session.send("make it 8 trials").pending
    assert changed["request"]["budget"]["max_trials"] == 8
    assert said in changed["summary"], changed["summary"]
    update_profile(store, "carol", {"risk_limits": {"cvar_95": 0.02}})
    again = session.send("make it 10 trials").pending
    assert again["request"]["risk_limits"]["cvar_95"] == 0.02  # the profile as it is now
    dropped = session.send("drop XOM").pending
    assert dropped["request"]["universe"] == ["KO", "PG", "JNJ"]
    assert "from your profile: risk_limits.cvar_95." in dropped["summary"], dropped["summary"]
    assert (
        dropped["request"]["budget"]["max_trials"] == 10
        and dropped["request"]["start"] == (drafted["request"]["start"])
    )
