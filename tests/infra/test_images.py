"""The container images install the lock and nothing else, on a supported Python.

No Docker engine runs here, so the recipes are checked as text (every install is the runtime lock
with hashes, or Stratigos without dependencies; every base image is the supported one), and what
they install is installed the same way into fresh virtual environments of the images' Python and
of the oldest supported one, where the functions' handlers are imported and a command runs.
The Lambda runtimes the synthesized templates name are checked with the stacks
(`test_stacks.py`), where the app is synthesized, so that this module needs no synthesis.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import sys
import tomllib
from datetime import date
from pathlib import Path

import pytest

from infra.images import (
    BASE_IMAGES,
    IMAGE_PYTHON,
    LAMBDA_RUNTIME_DEPRECATION,
    OLDEST_PYTHON,
    RUNTIME_LOCK,
    WEB_ADAPTER,
    supported_runtime,
)
from tests.support.cdk_synth import ROOT

DOCKER = ROOT / "infra" / "docker"
RECIPES = sorted(DOCKER.glob("*.Dockerfile"))
LOCK_ENTRY = re.compile(
    r"^(?P<name>[A-Za-z0-9_.-]+)==(?P<version>\S+)(?: ; (?P<marker>[^\\]+?))? \\$"
)
LOCKED_INSTALL = re.compile(
    r"pip install --no-cache-dir --require-hashes --no-deps (?:--target /opt/stratigos )?"
    rf"-r /src/{re.escape(RUNTIME_LOCK)}$"
)
PROJECT_INSTALL = re.compile(
    r"pip install --no-cache-dir --no-deps --no-build-isolation (?:--target /opt/stratigos )?/src$"
)
OTHER_INSTALLERS = re.compile(
    r"\b(apt-get|apt|yum|dnf|microdnf|apk|conda|uv|curl|wget|easy_install)\b"
)


def _instructions(recipe: Path) -> list[str]:
    """The recipe's instructions, continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n\s*", " ", recipe.read_text())
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def _commands(recipe: Path) -> list[str]:
    """Each shell command of the recipe's RUN instructions, environment prefixes removed."""
    commands = []
    for line in _instructions(recipe):
        if line.startswith("RUN "):
            for command in line.removeprefix("RUN ").split("&&"):
                words = command.split()
                while words and re.fullmatch(r"[A-Z_]+=\S*", words[0]):
                    words.pop(0)
                commands.append(re.sub(r"^/opt/stratigos/bin/", "", " ".join(words)))
    return commands


def _lock(path: Path) -> dict[tuple[str, str, str], set[str]]:
    """(name, version, marker) -> hashes of a hashed requirements file."""
    entries: dict[tuple[str, str, str], set[str]] = {}
    current: set[str] | None = None
    for line in path.read_text().splitlines():
        if match := LOCK_ENTRY.match(line):
            key = (match["name"].lower(), match["version"], match["marker"] or "")
            current = entries.setdefault(key, set())
        elif line.strip().startswith("--hash=") and current is not None:
            current.add(line.strip().removeprefix("--hash=").rstrip(" \\"))
    return entries


def test_every_recipe_installs_the_runtime_lock_then_the_project_without_resolving() -> None:
    assert {recipe.name for recipe in RECIPES} == set(BASE_IMAGES)
    for recipe in RECIPES:
        installs = [c for c in _commands(recipe) if "pip install" in c]
        assert [bool(LOCKED_INSTALL.search(c)) for c in installs] == [True, False], recipe.name
        assert PROJECT_INSTALL.search(installs[1]), (recipe.name, installs[1])
        others = [c for c in _commands(recipe) if OTHER_INSTALLERS.search(c)]
        assert others == [], recipe.name
        copies = [line for line in _instructions(recipe) if line.startswith("COPY ")]
        assert f"COPY {RUNTIME_LOCK} /src/{RUNTIME_LOCK}" in copies, recipe.name


def test_the_recipe_check_refuses_an_install_outside_the_lock(tmp_path: Path) -> None:
    recipe = tmp_path / "api.Dockerfile"
    recipe.write_text(
        (DOCKER / "api.Dockerfile").read_text().replace("--no-deps --no-build-isolation", "")
    )
    installs = [c for c in _commands(recipe) if "pip install" in c]
    assert not PROJECT_INSTALL.search(installs[1])  # `pip install /src` would resolve again


def test_recipes_start_from_the_supported_bases_and_the_current_web_adapter() -> None:
    for recipe in RECIPES:  # by tag, and by digest once `make pins` has pinned them
        bases = [
            line.split()[1].split("@")[0]
            for line in _instructions(recipe)
            if line.startswith("FROM ")
        ]
        assert bases == [BASE_IMAGES[recipe.name]] * 2, recipe.name
    api = _instructions(DOCKER / "api.Dockerfile")
    adapter = re.compile(
        rf"COPY --from={re.escape(WEB_ADAPTER)}(@sha256:[0-9a-f]{{64}})? /lambda-adapter "
        "/opt/extensions/lambda-adapter"
    )
    assert any(adapter.fullmatch(line) for line in api)
    environment = " ".join(line for line in api if line.startswith("ENV "))
    for setting in (
        "AWS_LWA_INVOKE_MODE=response_stream",
        "AWS_LWA_READINESS_CHECK_PATH=/v1/health/live",
        "AWS_LWA_PORT=8080",
    ):
        assert setting in environment
    assert 'CMD ["uvicorn", "api.app:app", "--host", "0.0.0.0", "--port", "8080"' in " ".join(api)
    processing = _instructions(DOCKER / "processing.Dockerfile")
    assert 'ENTRYPOINT ["python", "-m", "jobs.entrypoint"]' in processing


def test_the_images_python_is_a_lambda_runtime_not_yet_deprecated() -> None:
    assert supported_runtime(f"python{IMAGE_PYTHON}", date.today())
    assert not supported_runtime("python3.11", date.today())
    assert not supported_runtime("python3.13", LAMBDA_RUNTIME_DEPRECATION["python3.13"])
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(rf"^IMAGE_PYTHON := {re.escape(IMAGE_PYTHON)}$", makefile, re.M)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["requires-python"] == f">={OLDEST_PYTHON}"


def test_the_runtime_lock_is_the_main_lock_s_pins_and_hashes() -> None:
    main = _lock(ROOT / "requirements.lock")
    runtime = _lock(ROOT / RUNTIME_LOCK)
    assert len(runtime) > 100
    assert {key for key in runtime if key not in main} == set()
    assert {key for key, hashes in runtime.items() if not hashes <= main[key]} == set()
    names = {name for name, _, _ in runtime}
    assert {"numpy", "pandas", "langgraph", "fastapi", "setuptools"} <= names
    assert not names & {"pytest", "moto", "schemathesis", "aws-cdk-lib", "quantlib", "ray"}


def _python(version: str) -> str | None:
    """An interpreter of `version` on this machine (on PATH or installed by pyenv), as the
    Makefile finds it."""
    candidates = [f"python{version}"]
    candidates += sorted(
        glob.glob(os.path.expanduser(f"~/.pyenv/versions/{version}*/bin/python{version}"))
    )
    for candidate in candidates:
        found = shutil.which(candidate) or candidate
        run = (
            subprocess.run([found, "-c", ""], capture_output=True, check=False)
            if Path(found).exists()
            else None
        )
        if run is not None and run.returncode == 0:
            return found
    return None


def test_the_suite_runs_on_the_images_python_where_the_machine_has_it() -> None:
    if _python(IMAGE_PYTHON) is None:
        pytest.skip(
            f"this machine has no Python {IMAGE_PYTHON}; the suite runs on {sys.version_info[:2]}"
        )
    assert f"{sys.version_info.major}.{sys.version_info.minor}" == IMAGE_PYTHON


SMOKE = """
import importlib, json, os, subprocess, sys
handlers = json.loads(sys.argv[1])
for handler in handlers:
    module, _, name = handler.rpartition(".")
    assert callable(getattr(importlib.import_module(module), name)), handler
import api.app, jobs.entrypoint
from settings.model_catalog import model_catalog
assert model_catalog()
from services.market_data import market_closes
prices = market_closes()
assert prices.shape[0] > 4000 and {"AAPL", "KO"} <= set(prices.columns)
from evals.cases import load_cases
assert len(load_cases()) >= 150
from prompts import load_prompts
assert {"explanation", "supervisor"} <= set(load_prompts())
from services.guide import BUNDLED_DOCS, search_guide
assert (BUNDLED_DOCS / "deployments.md").is_file() and search_guide("share a paper account")
web = os.path.join(os.path.dirname(api.app.__file__), "web", "index.html")
assert os.path.isfile(web), web
cli = os.path.join(os.path.dirname(sys.executable), "stratigos")
assert subprocess.run([cli, "--help"], capture_output=True).returncode == 0
print(json.dumps({"python": sys.version_info[:2], "handlers": len(handlers)}))
"""
"""Run in the installed environment: every function handler the CDK app names imports and is
callable, the package data the images need is there (model catalog, embedded prices, evaluation
cases, prompts, the guide's documentation pages, the web UI) and the command line starts."""


def _handlers() -> list[str]:
    from infra.stacks.api import WS_HANDLER
    from infra.stacks.compute import WORKER_HANDLER
    from infra.stacks.data import INGEST_HANDLER
    from infra.stacks.operations import CLEANUP_HANDLER

    return [WS_HANDLER, WORKER_HANDLER, INGEST_HANDLER, CLEANUP_HANDLER]


def _build_context(destination: Path) -> Path:
    """What the images' build context holds of the project (the packages, pyproject.toml,
    README.md, the runtime lock, the wheel's build step `build_docs.py` and the documentation
    pages it ships: `.dockerignore` keeps `docs/*.md`), copied without caches."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = {p.rstrip("*") for p in project["tool"]["setuptools"]["packages"]["find"]["include"]}
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "cdk.out")
    for package in sorted(packages):
        shutil.copytree(ROOT / package, destination / package, ignore=ignore)
    for name in ("pyproject.toml", "README.md", RUNTIME_LOCK, "build_docs.py"):
        shutil.copy2(ROOT / name, destination / name)
    (destination / "docs").mkdir()
    for page in (ROOT / "docs").glob("*.md"):
        shutil.copy2(page, destination / "docs" / page.name)
    return destination


def _uv_cache(uv: str) -> str:
    """The uv cache `make` installs the project's venv through (uv's own default, or what
    `UV_CACHE_DIR` or `XDG_CACHE_HOME` name), asked before the tests' `HOME` replaces the user's:
    the runtime lock's wheels are already there (the same pins and hashes as requirements.lock's),
    and uv links them into the fresh venv instead of downloading and unpacking them again; the
    oldest Python's own wheels are downloaded once and kept there for the next run."""
    found = subprocess.run([uv, "cache", "dir"], capture_output=True, text=True, check=True)
    return found.stdout.strip()


@pytest.mark.slow
@pytest.mark.parametrize("version", [OLDEST_PYTHON, IMAGE_PYTHON])
def test_the_runtime_lock_installs_and_runs_on_each_supported_python(
    version: str, tmp_path: Path
) -> None:
    python = _python(version)
    if python is None:
        pytest.skip(f"this machine has no Python {version}")
    uv = str(Path(sys.executable).parent / "uv")
    context = _build_context(tmp_path / "src")
    venv = tmp_path / "venv"
    steps = [
        [uv, "venv", "--quiet", "--python", python, str(venv)],
        [
            uv,
            "pip",
            "sync",
            "--quiet",
            "--python",
            str(venv / "bin/python"),
            "--require-hashes",
            str(context / RUNTIME_LOCK),
        ],
        [
            uv,
            "pip",
            "install",
            "--quiet",
            "--python",
            str(venv / "bin/python"),
            "--no-deps",
            "--no-build-isolation",
            str(context),
        ],
        [uv, "pip", "check", "--quiet", "--python", str(venv / "bin/python")],
    ]
    environment = {
        **os.environ,
        "STRATIGOS_DATA_DIR": str(tmp_path / "data"),
        "HOME": str(tmp_path),
        "UV_CACHE_DIR": _uv_cache(uv),
    }
    environment.pop("VIRTUAL_ENV", None)
    for step in steps:
        run = subprocess.run(step, capture_output=True, text=True, env=environment, check=False)
        assert run.returncode == 0, (step[:3], run.stderr[-2000:])
    import json

    smoke = subprocess.run(
        [str(venv / "bin/python"), "-c", SMOKE, json.dumps(_handlers())],
        capture_output=True,
        text=True,
        env=environment,
        cwd=tmp_path,
        check=False,
        timeout=600,
    )
    assert smoke.returncode == 0, smoke.stderr[-3000:]
    result = json.loads(smoke.stdout.strip().splitlines()[-1])
    assert result == {"python": [int(part) for part in version.split(".")], "handlers": 4}
