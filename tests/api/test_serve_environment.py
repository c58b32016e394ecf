"""Local development is the loopback's: a server other machines can reach is production unless
`STRATIGOS_ENVIRONMENT=development` says otherwise. `stratigos serve --host 0.0.0.0` with the
built-in API key pepper refuses to start, naming the setting, and with a pepper set it refuses
webhooks to loopback over http (the issue's own `http://127.0.0.1:8000/v1/kill-switch`), which
a server on loopback, the default, accepts for a local receiver."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from settings import Settings
from tests.api.conftest import assert_error, make_settings

KILL_SWITCH = "http://127.0.0.1:8000/v1/kill-switch"
PEPPER = "a-long-random-pepper-for-this-test-only"


def test_serving_beyond_loopback_with_the_built_in_pepper_is_refused_at_start(
    tmp_path: Path,
) -> None:
    environment = {
        name: value for name, value in os.environ.items() if not name.startswith("STRATIGOS_")
    }
    environment |= {"STRATIGOS_DATA_DIR": str(tmp_path / "data"), "STRATIGOS_MODEL_PROVIDER": "offline"}  # fmt: skip
    stratigos = str(Path(sys.executable).with_name("stratigos"))
    serve = [stratigos, "serve", "--host", "0.0.0.0", "--port", "0"]
    started = subprocess.run(serve, env=environment, capture_output=True, text=True, timeout=120)
    assert started.returncode == 2, started.stderr
    assert "STRATIGOS_STORE_API_KEY_PEPPER" in started.stderr
    assert "Stratigos API on" not in started.stdout  # it never served


@pytest.mark.parametrize(
    ("address", "development"),
    [("127.0.0.1", True), ("::1", True), ("0.0.0.0", False), ("::", False), ("192.0.2.7", False)],
)
def test_development_is_a_server_on_loopback(address: str, development: bool) -> None:
    settings = Settings(store={"api_key_pepper": PEPPER})
    assert settings.is_development()  # no server: the command line's own work
    assert settings.listening_on(address).is_development() is development
    said = Settings(environment="development", store={"api_key_pepper": PEPPER})
    assert said.listening_on(address).is_development()  # only when said explicitly
    if not development:
        with pytest.raises(ValueError, match="STRATIGOS_STORE_API_KEY_PEPPER"):
            Settings().listening_on(address)


def profile_webhook(settings: Settings, address: str) -> int:
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        key, _ = client.app.state.context.store.create_api_key("alice", "tests")  # type: ignore[attr-defined]
        destinations = [{"channel": "webhook", "address": address}]
        response = client.patch(
            "/v1/profile",
            json={"notifications": {"destinations": destinations}},
            headers={"x-api-key": key},
        )
        if response.status_code != 200:
            assert_error(
                response, 422, "VALIDATION_ERROR", "body.notifications.destinations.0.address"
            )
        return response.status_code


def test_a_public_server_refuses_http_webhooks_to_loopback(tmp_path: Path) -> None:
    base = make_settings(tmp_path / "data", store={"api_key_pepper": PEPPER})
    assert profile_webhook(base.listening_on("0.0.0.0"), KILL_SWITCH) == 422
    assert profile_webhook(base.listening_on("127.0.0.1"), KILL_SWITCH) == 200
