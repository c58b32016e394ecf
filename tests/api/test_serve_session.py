"""`stratigos serve`'s session key: expiry and renewal, revocation of a crashed server's key,
and a sign-in link that reaches only a terminal or a private file."""

from __future__ import annotations

import io
import stat
import time
from pathlib import Path

import pytest

from api.server import SESSION_TTL, SIGN_IN_FILE, SessionKey, sign_in_banner
from store import NotFoundError
from store.sqlite import SQLiteStore
from tests.store.conftest import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(tmp_path: Path, clock: FakeClock) -> SQLiteStore:
    return SQLiteStore(tmp_path / "store.sqlite", clock=clock)


def test_a_session_key_expires_unless_renewed(store: SQLiteStore, clock: FakeClock) -> None:
    session = SessionKey(store, clock=clock)
    assert session.key.expires_at == clock.now + SESSION_TTL
    clock.advance(SESSION_TTL.total_seconds() - 60)
    assert store.verify_api_key(session.raw).owner == "local"
    session.renew()
    clock.advance(SESSION_TTL.total_seconds() - 60)
    assert store.verify_api_key(session.raw).owner == "local"  # thanks to the renewal
    clock.advance(61)
    with pytest.raises(NotFoundError):
        store.verify_api_key(session.raw)


def test_a_new_server_revokes_the_session_keys_earlier_ones_left(
    store: SQLiteStore, clock: FakeClock
) -> None:
    crashed = SessionKey(store, clock=clock)  # never revoked: its server was killed
    mine, _ = store.create_api_key("local", "serve-not-a-session")  # `keys create`: no expiry
    clock.advance(1)
    restarted = SessionKey(store, clock=clock)
    assert restarted.revoked_previous == [crashed.key.id]
    with pytest.raises(NotFoundError):
        store.verify_api_key(crashed.raw)
    assert store.verify_api_key(mine).owner == "local"
    assert store.verify_api_key(restarted.raw).owner == "local"
    listed = {k.id: k for k in store.list_api_keys("local")}
    assert listed[crashed.key.id].revoked_at is not None
    assert listed[restarted.key.id].revoked_at is None
    restarted.revoke()
    restarted.renew()  # a revoked session is not renewed (and does not fail)
    with pytest.raises(NotFoundError):
        store.verify_api_key(restarted.raw)


def test_the_renewal_thread_renews_until_revoked(store: SQLiteStore, clock: FakeClock) -> None:
    session = SessionKey(store, clock=clock)
    first = session.key.expires_at
    clock.advance(600)
    thread = session.keep_renewed(every=0.01)
    deadline = time.monotonic() + 10
    while session.key.expires_at == first and time.monotonic() < deadline:
        thread.join(0.01)
    assert session.key.expires_at == clock.now + SESSION_TTL
    session.revoke()
    thread.join(10)
    assert not thread.is_alive()


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_sign_in_link_goes_to_a_terminal_or_a_private_file(tmp_path: Path) -> None:
    base, key = "http://127.0.0.1:8000", "stg_secret"
    terminal = _Terminal()
    assert sign_in_banner(base, key, terminal, tmp_path) == (
        f"Stratigos API on {base} (docs /v1/docs); web UI: {base}/#key={key}\n"
    )
    assert not (tmp_path / SIGN_IN_FILE).exists()
    (tmp_path / SIGN_IN_FILE).write_text("old")
    (tmp_path / SIGN_IN_FILE).chmod(0o644)
    banner = sign_in_banner(base, key, io.StringIO(), tmp_path)
    assert key not in banner and str(tmp_path / SIGN_IN_FILE) in banner
    assert (tmp_path / SIGN_IN_FILE).read_text() == f"{base}/#key={key}\n"
    assert stat.S_IMODE((tmp_path / SIGN_IN_FILE).stat().st_mode) == 0o600
