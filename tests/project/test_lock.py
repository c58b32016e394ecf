"""The environment the tests run in is the locked one: every package of `requirements.lock`
that applies to this platform is installed at exactly the locked version."""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

from packaging.markers import Marker
from packaging.utils import canonicalize_name

LOCK = Path(__file__).resolve().parents[2] / "requirements.lock"
PIN = re.compile(r"^([A-Za-z0-9_.\-]+(?:\[[^\]]*\])?)==([^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$")


def locked_pins() -> dict[str, str]:
    """{package: version} of the lock's pins whose markers hold here."""
    pins: dict[str, str] = {}
    for line in LOCK.read_text().splitlines():
        match = PIN.match(line)
        if not match:
            continue
        name, version, marker = match.groups()
        if marker and not Marker(marker).evaluate():
            continue
        pins[canonicalize_name(name.split("[")[0])] = version
    return pins


def test_the_lock_pins_every_dependency_with_hashes() -> None:
    text = LOCK.read_text()
    pins = re.findall(r"^\S+==\S+", text, flags=re.MULTILINE)
    assert len(pins) > 150
    assert text.count("--hash=sha256:") >= len(pins)
    assert "://" not in text  # names and hashes only, never an index address


def test_installed_versions_are_the_locked_ones() -> None:
    pins = locked_pins()
    for must in ("numpy", "langgraph", "langchain-aws", "botocore", "vcrpy", "pyportfolioopt"):
        assert must in pins
    installed = {canonicalize_name(d.metadata["Name"]): d.version for d in metadata.distributions()}
    wrong = {
        name: (version, installed.get(name))
        for name, version in pins.items()
        if installed.get(name) != version
    }
    assert wrong == {}, "installed versions differ from requirements.lock: run make test again"
