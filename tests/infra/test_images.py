"""The container images install the lock and nothing else, on a supported Python.

No Docker engine runs here, so the recipes are checked as text (every install is the runtime lock
with hashes, or Stratigos without dependencies, or the Web Adapter's locked crate; every base image
is the supported one, pulled by its recorded digest; the functions' entry point is AWS's runtime
interface client; every image compiles the numeric kernels in its build stage for the CPU target
it runs with, the step tests/quant/test_compiled.py runs), and what they install is installed the same way into fresh virtual
environments of the images' Python and of the oldest supported one, where the functions' handlers
are imported, a command runs, and the runtime interface client runs a handler for one invocation
of a loopback Lambda Runtime API.
The Lambda runtimes the synthesized templates name are checked with the stacks
(`test_stacks.py`), where the app is synthesized, so that this module needs no synthesis.
"""

from __future__ import annotations

import contextlib
import functools
import glob
import json
import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from infra import pins
from infra.images import (
    BASE_DIGESTS,
    BASE_IMAGES,
    FUNCTION_HANDLERS,
    IMAGE_PYTHON,
    LAMBDA_RUNTIME_DEPRECATION,
    OLDEST_PYTHON,
    RUNTIME_LOCK,
    WEB_ADAPTER_CRATE,
    WS_HANDLER,
    supported_runtime,
)
from quant.compiled import KERNEL_CACHE_SEED
from tests.support.cdk_synth import ROOT
from tests.support.image_recipes import (
    DOCKER,
    KERNEL_BUILD,
    RECIPES,
    final_environment,
    instructions,
    kernel_build_step,
)
from tests.support.scratch import disk_tempdir

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
    r"\b(apt-get|apt|yum|dnf|microdnf|apk|conda|uv|curl|wget|easy_install|cargo|rustup|npm)\b"
)
ADAPTER_INSTALL = (
    "cargo install --locked --root /opt/lambda-adapter "
    f"{WEB_ADAPTER_CRATE[0]} --version {WEB_ADAPTER_CRATE[1]}"
)
"""The one install outside the runtime lock: the Web Adapter's crate with its own Cargo.lock."""
RUNTIME_INTERFACE_CLIENT = 'ENTRYPOINT ["/opt/stratigos/bin/python", "-m", "awslambdaric"]'


def _commands(recipe: Path) -> list[str]:
    """Each shell command of the recipe's RUN instructions, environment prefixes removed."""
    commands = []
    for line in instructions(recipe):
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
        assert others == ([ADAPTER_INSTALL] if recipe.name == "api.Dockerfile" else []), recipe.name
        copies = [line for line in instructions(recipe) if line.startswith("COPY ")]
        assert f"COPY {RUNTIME_LOCK} /src/{RUNTIME_LOCK}" in copies, recipe.name


def test_the_recipe_check_refuses_an_install_outside_the_lock(tmp_path: Path) -> None:
    recipe = tmp_path / "api.Dockerfile"
    recipe.write_text(
        (DOCKER / "api.Dockerfile").read_text().replace("--no-deps --no-build-isolation", "")
    )
    installs = [c for c in _commands(recipe) if "pip install" in c]
    assert not PROJECT_INSTALL.search(installs[1])  # `pip install /src` would resolve again


def _stages(recipe: Path) -> list[tuple[str, str | None]]:
    """The recipe's `FROM` lines as (image, stage name or None)."""
    found = []
    for line in instructions(recipe):
        if line.startswith("FROM "):
            words = line.split()
            found.append((words[1], words[3] if len(words) == 4 and words[2] == "AS" else None))
    return found


def test_every_base_is_the_supported_one_pulled_by_its_recorded_digest() -> None:
    assert set(BASE_DIGESTS) == {base for bases in BASE_IMAGES.values() for base in bases}
    for base, digest in BASE_DIGESTS.items():
        assert re.fullmatch(r"sha256:[0-9a-f]{64}", digest), base
        assert "/" not in base  # Docker's official images, whose digests repo-info records
    for recipe in RECIPES:
        images = [image for image, _ in _stages(recipe)]
        assert images == [f"{base}@{BASE_DIGESTS[base]}" for base in BASE_IMAGES[recipe.name]]
        assert pins.unpinned_images(recipe.read_text()) == [], recipe.name
        # every other image a recipe copies from is one of its own stages
        stages = {name for _, name in _stages(recipe) if name}
        sources = [
            line.split()[1].removeprefix("--from=")
            for line in instructions(recipe)
            if line.startswith("COPY --from=")
        ]
        assert set(sources) <= stages, recipe.name
        text = recipe.read_text()
        for layout in ("LAMBDA_TASK_ROOT", "/var/task", "lambda-entrypoint", "public.ecr.aws/"):
            assert layout not in "\n".join(instructions(recipe)), (recipe.name, layout)
        assert "docker-library/repo-info" in text, recipe.name  # where the digests come from
    assert pins.check(ROOT) == []


def test_make_pins_refreshes_every_base_by_its_tag_and_nothing_else() -> None:
    fresh = "sha256:" + "0" * 64
    asked: list[str] = []

    def digest(image: str) -> str:
        asked.append(image)
        return fresh

    for recipe in RECIPES:
        asked.clear()
        text = recipe.read_text()
        refreshed = pins.refresh_images(text, digest)
        assert asked == list(BASE_IMAGES[recipe.name]), recipe.name  # Docker Hub tags, in order
        assert refreshed == re.sub(r"@sha256:[0-9a-f]{64}", f"@{fresh}", text)


def test_the_api_image_builds_the_web_adapter_from_its_locked_crate() -> None:
    api = instructions(DOCKER / "api.Dockerfile")
    assert f"FROM {BASE_IMAGES['api.Dockerfile'][1]}@" in " ".join(api)
    assert f"RUN {ADAPTER_INSTALL}" in api
    assert (
        "COPY --from=adapter /opt/lambda-adapter/bin/lambda-adapter /opt/extensions/lambda-adapter"
        in api
    )
    # built where it runs: the builder's Debian release is the Python base's (glibc alike)
    python_release = "trixie"  # python:3.13-slim's, per its repo-info record (infra/images.py)
    assert BASE_IMAGES["api.Dockerfile"][1].endswith(f"-slim-{python_release}")
    environment = " ".join(line for line in api if line.startswith("ENV "))
    for setting in (
        "AWS_LWA_INVOKE_MODE=response_stream",
        "AWS_LWA_READINESS_CHECK_PATH=/v1/health/live",
        "AWS_LWA_PORT=8080",
        # 0.9.1's readiness bound: a 2xx answer is ready (1.0's HEALTHY_STATUS is not read)
        "AWS_LWA_READINESS_CHECK_MIN_UNHEALTHY_STATUS=300",
    ):
        assert setting in environment
    assert "AWS_LWA_READINESS_CHECK_HEALTHY_STATUS" not in environment
    assert 'CMD ["uvicorn", "api.app:app", "--host", "0.0.0.0", "--port", "8080"' in " ".join(api)
    processing = instructions(DOCKER / "processing.Dockerfile")
    assert 'ENTRYPOINT ["python", "-m", "jobs.entrypoint"]' in processing


def test_the_functions_run_the_handler_cmd_names_through_the_runtime_interface_client() -> None:
    functions = instructions(DOCKER / "lambda.Dockerfile")
    assert RUNTIME_INTERFACE_CLIENT in functions
    commands = [line for line in functions if line.startswith("CMD ")]
    assert len(commands) == 1
    default = json.loads(commands[0].removeprefix("CMD "))
    assert default in [
        [handler] for handler in FUNCTION_HANDLERS
    ]  # the CDK app sets one per function
    assert "COPY --from=build /opt/stratigos /opt/stratigos" in functions
    environment = " ".join(line for line in functions if line.startswith("ENV "))
    for writable in ("STRATIGOS_DATA_DIR=/tmp/", "NUMBA_CACHE_DIR=/tmp/", "HOME=/tmp"):
        assert writable in environment  # Lambda's file system is read-only but for /tmp
    assert "WORKDIR /tmp" in functions


KERNEL_TARGET = ("NUMBA_CPU_NAME", "NUMBA_CPU_FEATURES")
"""numba's CPU target: part of the key of every entry of its cache (docs/engine.md)."""


def test_every_image_runs_with_the_kernels_its_build_stage_compiled() -> None:
    """Each image compiles the numeric kernels in its build stage, after installing the project,
    into a directory under /opt/stratigos (which the final stage copies), for a named CPU
    baseline rather than the build machine's CPU; its processes run with that same target and
    seed their cache, under /tmp (Lambda writes nowhere else), from that directory. Every image
    does it alike: tests/quant/test_compiled.py runs this step and then a process with this
    environment, which compiles no kernel."""
    builds = {recipe.name: kernel_build_step(recipe) for recipe in RECIPES}
    for recipe in RECIPES:
        build, runtime = builds[recipe.name], final_environment(recipe)
        assert set(build) == {"NUMBA_CACHE_DIR", *KERNEL_TARGET}, recipe.name
        assert re.fullmatch(r"generic|x86-64(-v[234])?", build["NUMBA_CPU_NAME"]), recipe.name
        assert {name: runtime.get(name) for name in KERNEL_TARGET} == {
            name: build[name] for name in KERNEL_TARGET
        }, recipe.name
        assert runtime[KERNEL_CACHE_SEED] == build["NUMBA_CACHE_DIR"], recipe.name
        assert build["NUMBA_CACHE_DIR"].startswith("/opt/stratigos/"), recipe.name
        assert runtime["NUMBA_CACHE_DIR"].startswith("/tmp/"), recipe.name
        lines = instructions(recipe)
        stages = [i for i, line in enumerate(lines) if line.startswith("FROM ")]
        kernels = lines.index(next(line for line in lines if line.endswith(" ".join(KERNEL_BUILD))))
        project = next(i for i, line in enumerate(lines) if PROJECT_INSTALL.search(line))
        # in the stage that installed the project, after it
        assert project < kernels and not any(project < i < kernels for i in stages), recipe.name
        assert "COPY --from=build /opt/stratigos /opt/stratigos" in lines[stages[-1] :]
    assert len({json.dumps(build, sort_keys=True) for build in builds.values()}) == 1


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
    # the functions' runtime interface client, from the `lambda` extra, hashed like the rest
    ric = [hashes for (name, _, _), hashes in runtime.items() if name == "awslambdaric"]
    assert len(ric) == 1 and ric[0]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert any(r.startswith("awslambdaric") for r in project["optional-dependencies"]["lambda"])
    assert not any(r.startswith("awslambdaric") for r in project["dependencies"])
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"--extra lambda .*\n.*-o \$\(RUNTIME_LOCK\)", makefile)
    assert not names & {"pytest", "moto", "schemathesis", "aws-cdk-lib", "quantlib", "ray"}


@functools.cache
def _python(version: str) -> str | None:
    """An interpreter of `version` on this machine (on PATH or installed by pyenv), as the
    Makefile finds it: the executable it runs (not a pyenv shim, which starts pyenv's shell
    scripts, about a second, at every use), found once per session."""
    candidates = [f"python{version}"]
    candidates += sorted(
        glob.glob(os.path.expanduser(f"~/.pyenv/versions/{version}*/bin/python{version}"))
    )
    for candidate in candidates:
        found = shutil.which(candidate) or candidate
        run = (
            subprocess.run(
                [found, "-c", "import sys; print(sys.executable)"],
                capture_output=True,
                text=True,
                check=False,
            )
            if Path(found).exists()
            else None
        )
        if run is not None and run.returncode == 0:
            return run.stdout.strip() or found
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
from api.contract import operations_of
from api.openapi_cache import kept_document
def built() -> str:
    raise AssertionError("the OpenAPI document api.warm_openapi kept was not read")
assert kept_document(operations_of(api.app.create_app()), built)
web = os.path.join(os.path.dirname(api.app.__file__), "web", "index.html")
assert os.path.isfile(web), web
cli = os.path.join(os.path.dirname(sys.executable), "stratigos")
assert subprocess.run([cli, "--help"], capture_output=True).returncode == 0
print(json.dumps({"python": sys.version_info[:2], "handlers": len(handlers)}))
"""
"""Run in the installed environment: every function handler the CDK app names imports and is
callable, the package data the images need is there (model catalog, embedded prices, evaluation
cases, prompts, the guide's documentation pages, the web UI), the API's app reads the OpenAPI
document `api.warm_openapi` kept, and the command line starts."""


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


@functools.cache
def _uv_cache(uv: str) -> str:
    """The uv cache `make` installs the project's venv through (uv's own default, or what
    `UV_CACHE_DIR` or `XDG_CACHE_HOME` name), asked before the tests' `HOME` replaces the user's:
    the runtime lock's wheels are already there (the same pins and hashes as requirements.lock's),
    and uv links them into the fresh venv instead of downloading and unpacking them again; the
    oldest Python's own wheels are downloaded once and kept there for the next run."""
    found = subprocess.run([uv, "cache", "dir"], capture_output=True, text=True, check=True)
    return found.stdout.strip()


@pytest.fixture
def venv_root(tmp_path: Path) -> Iterator[Path]:
    """A new directory for a test's venv on the file system of the uv cache, removed at the
    test's end: uv hard-links the cache's files into a venv on the same file system and copies
    them into any other (1.3 GB for the runtime lock, ~8 s, and into memory when `tmp_path` is on
    tmpfs). The disk's temporary directory first (tests/support/scratch.py), then the cache's
    parent; `tmp_path` when neither shares the cache's file system."""
    cache = Path(_uv_cache(str(Path(sys.executable).parent / "uv")))
    for root in (disk_tempdir(), cache.parent):
        with contextlib.suppress(OSError):
            if root.stat().st_dev == cache.stat().st_dev and os.access(root, os.W_OK):
                directory = Path(tempfile.mkdtemp(prefix="stratigos-venv-", dir=root))
                try:
                    yield directory
                finally:
                    shutil.rmtree(directory, ignore_errors=True)
                return
    yield tmp_path


def _first_answer(
    posted: queue.Queue[tuple[str, bytes]], client: subprocess.Popen[bytes], timeout: float
) -> tuple[str, bytes]:
    """The first (path, body) the client posted, or ("", b"") once it has exited without
    posting or `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            return posted.get(timeout=0.5)
        except queue.Empty:
            if client.poll() is not None:
                break
    try:
        return posted.get_nowait()
    except queue.Empty:
        return "", b""


RUNTIME_API = "/2018-06-01/runtime"
"""The Lambda Runtime API's paths (Lambda serves a function's runtime at `AWS_LAMBDA_RUNTIME_API`)."""


def _invoke_through_the_runtime_interface_client(
    python: str, handler: str, event: dict[str, Any], environment: dict[str, str], cwd: Path
) -> tuple[str, Any]:
    """Start the functions' entry point, `python -m awslambdaric <handler>`, against a loopback
    Runtime API that hands it `event` as one invocation; return the path the client posted its
    answer to (`/invocation/<id>/response`, or `/init/error` when the handler did not load) and
    the answer."""
    posted: queue.Queue[tuple[str, bytes]] = queue.Queue()
    served = threading.Event()
    finished = threading.Event()

    class RuntimeApi(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _reply(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for name, value in {**headers, "Content-Length": str(len(body))}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path != f"{RUNTIME_API}/invocation/next":
                self._reply(404, b"{}", {})
                return
            if served.is_set():  # the next invocation: none comes before the client is stopped
                finished.wait(timeout=60)
                self._reply(500, b"{}", {})
                return
            served.set()
            self._reply(
                200,
                json.dumps(event).encode(),
                {
                    "Content-Type": "application/json",
                    "Lambda-Runtime-Aws-Request-Id": "request-1",
                    "Lambda-Runtime-Deadline-Ms": str(int(time.time() * 1000) + 60_000),
                    "Lambda-Runtime-Invoked-Function-Arn": (
                        "arn:aws:lambda:us-east-1:123456789012:function:probe"
                    ),
                    "Lambda-Runtime-Trace-Id": "Root=1-5759e988-bd862e3fe1be46a994272793",
                },
            )

        def do_POST(self) -> None:
            posted.put((self.path, self.rfile.read(int(self.headers["Content-Length"]))))
            self._reply(202, b'{"status": "OK"}', {"Content-Type": "application/json"})

        def log_message(self, format: str, *args: Any) -> None:
            pass

    class Server(ThreadingHTTPServer):
        def handle_error(self, request: Any, client_address: Any) -> None:
            pass  # the client's connection is cut when it is stopped

    server = Server(("127.0.0.1", 0), RuntimeApi)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    log = cwd / "runtime-interface-client.log"
    with log.open("wb") as output:
        client = subprocess.Popen(
            [python, "-m", "awslambdaric", handler],
            env={**environment, "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{server.server_port}"},
            cwd=cwd,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            path, body = _first_answer(posted, client, timeout=300.0)
        finally:
            client.kill()
            client.wait()
            finished.set()
            server.shutdown()
            server.server_close()
    assert path, f"the client answered nothing: {log.read_text()[-3000:]}"
    return path.removeprefix(RUNTIME_API), json.loads(body)


@pytest.mark.slow
@pytest.mark.parametrize("version", [OLDEST_PYTHON, IMAGE_PYTHON])
def test_the_runtime_lock_installs_and_runs_on_each_supported_python(
    version: str, tmp_path: Path, venv_root: Path
) -> None:
    python = _python(version)
    if python is None:
        pytest.skip(f"this machine has no Python {version}")
    uv = str(Path(sys.executable).parent / "uv")
    context = _build_context(tmp_path / "src")
    cache = _uv_cache(uv)
    venv = venv_root / "venv"
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
    warm = [str(venv / "bin/python"), "-P", "-m", "api.warm_openapi"]  # as api.Dockerfile does
    environment = {
        **os.environ,
        "STRATIGOS_DATA_DIR": str(tmp_path / "data"),
        "HOME": str(tmp_path),
        "UV_CACHE_DIR": cache,
    }
    environment.pop("VIRTUAL_ENV", None)
    environment.pop("PYTHONPATH", None)  # the installed package, not a checkout on the path
    for step in steps:
        run = subprocess.run(  # not in the checkout: `python -m` would import from it first
            step, capture_output=True, text=True, env=environment, cwd=tmp_path, check=False
        )
        assert run.returncode == 0, (step[:3], run.stderr[-2000:])
    # a source installed as the step starts (an install that ends then) looks modified after the
    # step's process started: its document is kept all the same, by a new process
    installed = next((venv / "lib").glob("python*/site-packages/api/app.py"))
    source = installed.read_bytes()
    installed.unlink()  # a file of its own, not a link to uv's cache, is dated
    installed.write_bytes(source)
    os.utime(installed, ns=(time.time_ns(), time.time_ns() + 300_000_000))
    run = subprocess.run(
        warm, capture_output=True, text=True, env=environment, cwd=tmp_path, check=False
    )
    assert run.returncode == 0, run.stderr[-2000:]
    smoke = subprocess.run(
        [str(venv / "bin/python"), "-c", SMOKE, json.dumps(FUNCTION_HANDLERS)],
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
    # the functions' entry point runs a handler the CDK app names: the WebSocket function refuses
    # a connection without credentials, its answer posted back to the Runtime API
    path, answer = _invoke_through_the_runtime_interface_client(
        str(venv / "bin/python"),
        WS_HANDLER,
        {"requestContext": {"routeKey": "$connect", "connectionId": "c-1"}, "headers": {}},
        environment,
        tmp_path,
    )
    assert path == "/invocation/request-1/response", answer
    assert answer["statusCode"] == 401 and "missing credentials" in answer["body"]
