"""Known vulnerabilities of every locked package, from PyPI's vulnerability data (`make test`
runs it: tests/infra/test_dependency_audit.py; `python -m infra.dependency_audit` prints it).

Each lock (`LOCKS`) is read pin by pin, every version it names (a universal lock forks some
packages by Python version), and audited two ways:

1. pip-audit (PyPA's tool, from the scanners' venv `.venv-scan`) with its PyPI service, which asks
   PyPI's per-release JSON API (`/pypi/<name>/<version>/json`) for the release's vulnerabilities.
   It is given the locks' requirements, hashes and markers as they are written, each distinct one
   once (`pip_audit_inputs`: most pins are in several locks, and pip-audit asks PyPI one release
   at a time), spread over `PIP_AUDIT_RUNS` requirement files run side by side;
2. what pip-audit could not audit (a release PyPI's per-release API did not answer, as on a
   machine whose PyPI serves only the project API; a pin of another Python than pip-audit's,
   whose markers it skips) is looked up in PyPI's project JSON (`/pypi/<name>/json`), whose
   `vulnerabilities` are those of the newest release: exact for a pin at the newest release.
   These are a few hundred questions to one host, asked over kept connections (`ProjectApi`).

A pin neither way could audit (an older release where only the project API answers) is
reported as unaudited, never as clean. A vulnerability found is a failure unless
`EXCEPTIONS` (infra/vulnerability-exceptions.toml) records it for that package with a reason; an
exception that matches nothing found is reported as stale.
"""

from __future__ import annotations

import http.client
import json
import re
import subprocess
import sys
import threading
import tomllib
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from tempfile import TemporaryDirectory
from types import TracebackType
from typing import Any
from urllib.parse import urljoin, urlsplit

ROOT = Path(__file__).resolve().parents[1]
LOCKS = (
    "requirements.lock",
    "requirements-runtime.lock",
    "requirements-langgraph-dev.lock",
    "requirements-scan.lock",
)
"""The locks audited: the project's, the images', the LangGraph dev server's, the scanners'."""
EXCEPTIONS = ROOT / "infra" / "vulnerability-exceptions.toml"
PIP_AUDIT = ROOT / ".venv-scan" / "bin" / "pip-audit"
PYPI = "https://pypi.org/pypi"
MIN_REASON = 20
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", re.MULTILINE)
PIP_AUDIT_RUNS = 4
"""How many pip-audit processes audit the locks' distinct requirements side by side (each asks
PyPI one release at a time; a process costs ~2 CPU-s to start)."""


def canonical(name: str) -> str:
    """A package name as PyPI compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


Pin = tuple[str, str]
"""(canonical name, version)."""


@dataclass(frozen=True)
class Vulnerability:
    """A known vulnerability of one pinned release."""

    package: str
    version: str
    id: str
    aliases: tuple[str, ...] = ()
    fixed_in: tuple[str, ...] = ()

    def names(self) -> set[str]:
        """Its id and its aliases (CVE, GHSA, PYSEC)."""
        return {self.id, *self.aliases}

    def __str__(self) -> str:
        fixed = f" (fixed in {', '.join(self.fixed_in)})" if self.fixed_in else ""
        return f"{self.package} {self.version}: {self.id}{fixed}"


@dataclass(frozen=True)
class Accepted:
    """A vulnerability accepted for a package, with the reason."""

    package: str
    id: str
    reason: str


BEHIND_NEWEST = "not PyPI's newest release"
"""Why a pin pip-audit could not audit is not audited from PyPI's project data either: that data
speaks of the project's newest release only (the rest of the reason says which it is)."""


@dataclass
class Report:
    """What the audit found over the locks."""

    pins: dict[Pin, set[str]] = field(default_factory=dict)
    """Every pin, with the locks naming it."""
    audited: dict[Pin, str] = field(default_factory=dict)
    """Pin -> how it was audited (`pip-audit` or `newest release`)."""
    unaudited: dict[Pin, str] = field(default_factory=dict)
    """Pin -> why neither way could audit it."""
    vulnerabilities: list[Vulnerability] = field(default_factory=list)
    excepted: list[tuple[Vulnerability, Accepted]] = field(default_factory=list)
    stale: list[Accepted] = field(default_factory=list)

    @property
    def failures(self) -> list[Vulnerability]:
        """The vulnerabilities no exception accepts."""
        excepted = [v for v, _ in self.excepted]
        return [v for v in self.vulnerabilities if v not in excepted]


Requirement = tuple[str, str, str]
"""(canonical name, version, the requirement's line up to its hashes, e.g.
`numpy==2.5.5 ; python_full_version >= '3.12'`)."""


def requirements(lock: Path) -> dict[Requirement, str]:
    """A lock file's requirements -> each as written (its line and the indented hash and comment
    lines under it); `ValueError` naming a line that is neither a `name==version` pin nor under
    one."""
    found: dict[Requirement, str] = {}
    key: Requirement | None = None
    for line in lock.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if line[0].isspace():
            if key is None:
                raise ValueError(f"{lock.name}: {line.strip()!r} is under no requirement")
            found[key] += "\n" + line
            continue
        pin = _PIN.match(line)
        if pin is None:
            raise ValueError(f"{lock.name}: {line!r} is not a pinned requirement (name==version)")
        key = (canonical(pin.group(1)), pin.group(2), line.removesuffix("\\").strip())
        found[key] = line
    return found


def pins(lock: Path) -> set[Pin]:
    """Every (name, version) a lock file pins, whatever its markers."""
    return {(name, version) for name, version, _ in requirements(lock)}


def pip_audit_inputs(
    locks: Iterable[Path], directory: Path, runs: int = PIP_AUDIT_RUNS
) -> list[Path]:
    """The distinct requirements of `locks` (`requirements`: the same pin with the same markers
    in several locks once), written as requirement files into `directory` for pip-audit: `runs`
    files of about the same length (more where a package is pinned at more versions: pip-audit
    refuses two requirements of one package in a file), no file holding one package twice; a
    requirement ends at its last line (no `\\` joins it to the next one)."""
    distinct: dict[Requirement, str] = {}
    for lock in locks:
        for key, text in requirements(lock).items():
            distinct.setdefault(key, text)
    files: list[list[Requirement]] = [[] for _ in range(runs)]
    for requirement in sorted(distinct):
        free = [f for f in files if all(held[0] != requirement[0] for held in f)]
        if not free:
            free = [[]]
            files.append(free[0])
        min(free, key=len).append(requirement)
    paths = []
    for index, held in enumerate(f for f in files if f):
        path = directory / f"requirements-{index}.txt"
        text = "\n".join(distinct[key].rstrip().removesuffix("\\") for key in held)
        path.write_text(text + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def load_exceptions(path: Path = EXCEPTIONS) -> list[Accepted]:
    """The recorded exceptions (`[[exception]]` tables with `package`, `id`, `reason`);
    `ValueError` naming one without a real reason."""
    if not path.exists():
        return []
    found = []
    for entry in tomllib.loads(path.read_text(encoding="utf-8")).get("exception", []):
        reason = str(entry.get("reason", "")).strip()
        if len(reason) < MIN_REASON or not entry.get("package") or not entry.get("id"):
            raise ValueError(f"{path.name}: {entry!r} needs package, id and a reason")
        found.append(Accepted(canonical(entry["package"]), entry["id"], reason))
    return found


def run_pip_audit(
    requirement_file: Path, pip_audit: Path = PIP_AUDIT
) -> dict[Pin, list[Vulnerability]]:
    """pip-audit's findings on `requirement_file` (hashed pins) through PyPI's per-release API:
    pin -> its vulnerabilities, for the pins it audited (those it skipped are absent)."""
    command = [str(pip_audit), "--requirement", str(requirement_file), "--disable-pip"]
    command += ["--require-hashes"]
    command += ["--vulnerability-service", "pypi", "--format", "json", "--progress-spinner", "off"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=1800)
    if done.returncode not in (0, 1):  # 1: vulnerabilities found (the report says which)
        raise RuntimeError(
            f"pip-audit on {requirement_file.name} exited {done.returncode}: {done.stderr[-2000:]}"
        )
    found: dict[Pin, list[Vulnerability]] = {}
    for dependency in json.loads(done.stdout)["dependencies"]:
        if "version" not in dependency or "skip_reason" in dependency:
            continue
        name, version = canonical(dependency["name"]), dependency["version"]
        found[(name, version)] = [
            Vulnerability(
                name,
                version,
                vuln["id"],
                tuple(vuln.get("aliases", ())),
                tuple(vuln.get("fix_versions", ())),
            )
            for vuln in dependency.get("vulns", [])
        ]
    return found


class ProjectApi:
    """PyPI's project JSON API (`PYPI`): `api(name)` is the newest release of `name` and its
    vulnerabilities. Its HTTPS connections are kept for the next question (the audit asks a few
    hundred, several threads at once; a new connection each, its TLS handshake included, was most
    of the audit's wait) until `close`; where a proxy is configured for HTTPS, each question goes
    through `urllib`'s opener, which honours it."""

    def __init__(self, base: str = PYPI, timeout: float = 60.0) -> None:
        self.base = base
        self.timeout = timeout
        self._host = urlsplit(base).netloc
        self._proxied = bool(urllib.request.getproxies().get("https")) and not bool(
            urllib.request.proxy_bypass(urlsplit(base).hostname or "")
        )
        self._idle: list[http.client.HTTPSConnection] = []
        self._lock = threading.Lock()

    def __call__(self, name: str) -> tuple[str, list[dict[str, Any]]]:
        project = json.loads(self._get(f"{self.base}/{name}/json"))
        return project["info"]["version"], list(project.get("vulnerabilities") or [])

    def _get(self, url: str) -> bytes:
        """The body of the answer to GET `url` (on `base`'s host), redirects followed;
        `urllib.error.HTTPError` for an answer other than 200, `OSError` when none came."""
        if self._proxied:
            return _opened(url, self.timeout)
        with self._lock:
            reused = bool(self._idle)
            connection = (
                self._idle.pop()
                if reused
                else http.client.HTTPSConnection(self._host, timeout=self.timeout)
            )
        try:
            connection.request("GET", urlsplit(url).path, headers={"Accept": "application/json"})
            answer = connection.getresponse()
            body = answer.read()
        except (OSError, http.client.HTTPException) as exc:
            connection.close()
            if reused:  # the server closed it while it was kept: ask again
                return self._get(url)
            raise OSError(f"{url}: {exc!r}") from exc
        if answer.will_close:
            connection.close()
        else:
            with self._lock:
                self._idle.append(connection)
        if answer.status in (301, 302, 303, 307, 308) and answer.getheader("Location"):
            return _opened(urljoin(url, answer.getheader("Location", "")), self.timeout)
        if answer.status != 200:
            raise urllib.error.HTTPError(url, answer.status, answer.reason, answer.headers, None)
        return body

    def close(self) -> None:
        """Close the kept connections."""
        with self._lock:
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()

    def __enter__(self) -> ProjectApi:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _opened(url: str, timeout: float) -> bytes:
    """The body of `url` through `urllib`'s opener (proxies and redirects as it handles them)."""
    with urllib.request.urlopen(url, timeout=timeout) as answer:
        body: bytes = answer.read()
    return body


def audit(
    locks: Iterable[Path],
    *,
    exceptions: Iterable[Accepted] = (),
    pip_audit: Callable[[Path], Mapping[Pin, list[Vulnerability]]] = run_pip_audit,
    project: Callable[[str], tuple[str, list[dict[str, Any]]]] | None = None,
) -> Report:
    """Audit every pin of `locks` (see the module docstring), matching `exceptions`; `project`
    answers for PyPI's project JSON API (default: a `ProjectApi`)."""
    report = Report()
    found: dict[Pin, list[Vulnerability]] = {}
    locks = list(locks)
    for lock in locks:
        for pin in pins(lock):
            report.pins.setdefault(pin, set()).add(lock.name)
    with (
        TemporaryDirectory(prefix="stratigos-audit-") as directory,
        ProjectApi() if project is None else nullcontext(project) as ask,
    ):
        inputs = pip_audit_inputs(locks, Path(directory))
        with ThreadPoolExecutor(8) as pool:
            for audited in pool.map(pip_audit, inputs):
                for pin, vulns in audited.items():
                    if pin in report.pins:
                        found[pin] = vulns
                        report.audited[pin] = "pip-audit"
            rest = sorted(set(report.pins) - set(found))
            names = sorted({name for name, _ in rest})  # a package forked by Python: asked once
            by_name = dict(zip(names, pool.map(partial(_project, ask), names), strict=True))
    for name, version in rest:
        answer = by_name[name]
        if isinstance(answer, str):
            report.unaudited[(name, version)] = answer
        elif answer[0] != version:
            report.unaudited[(name, version)] = (
                f"{BEHIND_NEWEST} ({answer[0]}), and PyPI's per-release API did not answer for it"
            )
        else:
            report.audited[(name, version)] = "newest release"
            found[(name, version)] = [
                Vulnerability(
                    name,
                    version,
                    vuln["id"],
                    tuple(vuln.get("aliases") or ()),
                    tuple(vuln.get("fixed_in") or ()),
                )
                for vuln in answer[1]
                if not vuln.get("withdrawn")
            ]
    report.vulnerabilities = sorted(
        (v for vulns in found.values() for v in vulns), key=lambda v: (v.package, v.version, v.id)
    )
    accepted = list(exceptions)
    used: set[int] = set()
    for vulnerability in report.vulnerabilities:
        match = next(
            (
                index
                for index, exception in enumerate(accepted)
                if exception.package == vulnerability.package
                and exception.id in vulnerability.names()
            ),
            None,
        )
        if match is not None:
            report.excepted.append((vulnerability, accepted[match]))
            used.add(match)
    report.stale = [e for i, e in enumerate(accepted) if i not in used]
    return report


def _project(
    project: Callable[[str], tuple[str, list[dict[str, Any]]]], name: str
) -> tuple[str, list[dict[str, Any]]] | str:
    """`project(name)`, or why PyPI did not answer."""
    try:
        return project(name)
    except (OSError, urllib.error.URLError, ValueError, KeyError) as exc:
        return f"PyPI's project API did not answer: {exc}"


def describe(report: Report) -> str:
    """The report as text: counts, failures, exceptions, stale exceptions, unaudited pins."""
    lines = [
        f"{len(report.pins)} pins: {len(report.audited)} audited "
        f"({sum(how == 'pip-audit' for how in report.audited.values())} by pip-audit), "
        f"{len(report.unaudited)} not auditable here, {len(report.vulnerabilities)} known "
        f"vulnerabilities ({len(report.excepted)} excepted)"
    ]
    lines += [f"VULNERABLE {v}" for v in report.failures]
    lines += [f"excepted {v}: {e.reason}" for v, e in report.excepted]
    lines += [f"stale exception {e.package} {e.id}" for e in report.stale]
    lines += [f"unaudited {n} {v}: {why}" for (n, v), why in sorted(report.unaudited.items())]
    return "\n".join(lines)


def main() -> int:
    """Audit `LOCKS` and print the report; 1 when a vulnerability is not excepted."""
    report = audit([ROOT / lock for lock in LOCKS], exceptions=load_exceptions())
    print(describe(report))
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
