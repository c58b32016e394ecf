"""Every locked package checked against PyPI's vulnerability data (`infra.dependency_audit`):
pip-audit over each lock, PyPI's project data for what it could not audit, and no known
vulnerability without an exception recorded with its reason."""

from __future__ import annotations

import warnings
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from infra.dependency_audit import (
    BEHIND_NEWEST,
    EXCEPTIONS,
    LOCKS,
    ROOT,
    Accepted,
    Vulnerability,
    audit,
    describe,
    load_exceptions,
    pins,
    pip_audit_inputs,
    requirements,
    run_pip_audit,
)
from tests.support.checkov import scanner


@pytest.mark.slow
def test_no_locked_package_has_a_known_vulnerability_without_an_exception() -> None:
    pip_audit = scanner("pip-audit")
    report = audit(
        [ROOT / lock for lock in LOCKS],
        exceptions=load_exceptions(),
        pip_audit=partial(run_pip_audit, pip_audit=pip_audit),
    )
    text = describe(report)
    assert report.failures == [], text
    assert report.stale == [], text
    # PyPI answered for every project, so a pin left unaudited is only a release behind its
    # project's newest where PyPI's per-release API does not answer pip-audit (a share that
    # grows as projects release: 80% of the pins were audited a session before 79.8% were);
    # it is named, never taken for clean
    assert report.audited, text
    unreached = [pin for pin, why in report.unaudited.items() if not why.startswith(BEHIND_NEWEST)]
    assert unreached == [], text
    if any(how == "pip-audit" for how in report.audited.values()):
        assert report.unaudited == {}, text
    elif report.unaudited:
        warnings.warn(
            f"not auditable here (PyPI's per-release API did not answer):\n{text}", stacklevel=1
        )


def lock_file(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "requirements.lock"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_every_pinned_version_is_audited_or_named(tmp_path: Path) -> None:
    """Both forks of a pin are read; pip-audit's findings count; a pin it skipped is looked up
    as PyPI's newest release; an older one nobody could audit is named, not passed."""
    lock = lock_file(
        tmp_path,
        "numpy==2.4.6 ; python_full_version < '3.12' \\",
        "    --hash=sha256:00",
        "numpy==2.5.5 ; python_full_version >= '3.12' \\",
        "Jinja2==3.1.6 \\",
        "ecdsa==0.19.2 \\",
        "    # via checkov",
    )
    assert pins(lock) == {
        ("numpy", "2.4.6"),
        ("numpy", "2.5.5"),
        ("jinja2", "3.1.6"),
        ("ecdsa", "0.19.2"),
    }
    flaw = Vulnerability("jinja2", "3.1.6", "GHSA-x", ("CVE-1",), ("3.1.7",))
    newest: dict[str, tuple[str, list[dict[str, Any]]]] = {
        "numpy": ("2.5.5", []),
        "ecdsa": (
            "0.19.2",
            [
                {"id": "PYSEC-1", "aliases": ["CVE-2"], "fixed_in": []},
                {"id": "OLD", "withdrawn": "2020-01-01T00:00:00"},
            ],
        ),
    }
    report = audit(
        [lock],
        exceptions=[
            Accepted("ecdsa", "CVE-2", "out of scope for how we use it, recorded"),
            Accepted("numpy", "CVE-9", "an exception that matches nothing at all"),
        ],
        pip_audit=lambda _: {("jinja2", "3.1.6"): [flaw]},
        project=lambda name: newest[name],
    )
    assert report.audited == {
        ("jinja2", "3.1.6"): "pip-audit",
        ("numpy", "2.5.5"): "newest release",
        ("ecdsa", "0.19.2"): "newest release",
    }
    assert list(report.unaudited) == [("numpy", "2.4.6")]
    assert report.failures == [flaw]
    assert [(v.id, e.package) for v, e in report.excepted] == [("PYSEC-1", "ecdsa")]
    assert [e.id for e in report.stale] == ["CVE-9"]
    assert "VULNERABLE jinja2 3.1.6: GHSA-x (fixed in 3.1.7)" in describe(report)


def test_pip_audit_reads_each_distinct_requirement_of_the_locks_once(tmp_path: Path) -> None:
    """Every requirement of every lock, as written (hashes, markers), is in exactly one of
    pip-audit's files, a requirement several locks share once, and no file names a package
    twice (pip-audit refuses that); a line that is not a pin is refused."""
    locks = [ROOT / lock for lock in LOCKS]
    inputs = pip_audit_inputs(locks, tmp_path)
    written = [requirements(path) for path in inputs]
    everything = {key: text for lock in locks for key, text in requirements(lock).items()}
    assert sum(len(held) for held in written) == len(everything)
    assert set().union(*written) == set(everything)
    for held in written:
        assert len({name for name, _, _ in held}) == len(held)
        for key, text in held.items():
            assert text.splitlines()[0] == everything[key].splitlines()[0]
            assert "--hash=sha256:" in text
    assert {pin for lock in locks for pin in pins(lock)} == {
        (name, version) for held in written for name, version, _ in held
    }
    forked = lock_file(
        tmp_path,
        "numpy==2.4.6 ; python_full_version < '3.12' \\",
        "    --hash=sha256:00",
        "numpy==2.5.5 ; python_full_version >= '3.12' \\",
        "    --hash=sha256:01",
    )
    (tmp_path / "forked").mkdir()
    split = pip_audit_inputs([forked], tmp_path / "forked", runs=1)
    assert [set(pins(path)) for path in split] == [{("numpy", "2.4.6")}, {("numpy", "2.5.5")}]
    broken = lock_file(tmp_path, "-e .", "six==1.17.0 \\", "    --hash=sha256:00")
    with pytest.raises(ValueError, match="not a pinned requirement"):
        requirements(broken)


def test_a_pin_pypi_does_not_answer_for_is_unaudited(tmp_path: Path) -> None:
    lock = lock_file(tmp_path, "left-pad==1.0 \\")

    def unreachable(name: str) -> tuple[str, list[dict[str, Any]]]:
        raise OSError("no route to host")

    report = audit([lock], pip_audit=lambda _: {}, project=unreachable)
    assert report.audited == {} and "did not answer" in report.unaudited[("left-pad", "1.0")]


def test_an_exception_needs_a_reason(tmp_path: Path) -> None:
    recorded = load_exceptions()
    assert all(len(e.reason) >= 20 for e in recorded) and EXCEPTIONS.exists()
    path = tmp_path / "exceptions.toml"
    path.write_text('[[exception]]\npackage = "ecdsa"\nid = "CVE-2024-23342"\nreason = "ok"\n')
    with pytest.raises(ValueError, match="needs package, id and a reason"):
        load_exceptions(path)
