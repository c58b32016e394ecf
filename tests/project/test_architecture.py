"""The architecture's rules (docs/architecture.md), declared once in pyproject.toml's
`[tool.importlinter]` and checked here: every top-level package sits in exactly one layer,
imports point down the layers only, no package imports its siblings in a circle, the offline
model and the developer tools are reached only through their doors; modules and functions
stay short enough to read in one sitting."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
PACKAGES = sorted(
    path.parent.name for path in ROOT.glob("*/__init__.py") if path.parent.name != "tests"
)
"""Every top-level package of the project (a directory at the root with an `__init__.py`)."""

MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80
"""A module or a function longer than this is split (its docstring counts)."""
GENERATED = {"cdk.out"}
"""Directories of generated files (`make cdk-synth`'s cloud assembly copies the sources and
CDK's own handlers into `infra/cdk.out`), not the project's modules."""

DEVELOPER_COMMANDS = ROOT / "api" / "cli" / "developer.py"
"""The one production module that may import `devtools`, inside its developer commands only
(``record``, ``replay``, ``bedrock-local`` and the ``--record`` options), never at module level:
the CLI starts without loading the developer tools."""


def _contract(kind: str) -> dict[str, Any]:
    (contract,) = [c for c in CONFIG["contracts"] if c["type"] == kind]
    return contract


def test_every_package_is_declared_once_in_the_layers() -> None:
    assert sorted(CONFIG["root_packages"]) == PACKAGES
    layered = [name.strip() for layer in _contract("layers")["layers"] for name in layer.split("|")]
    assert sorted(layered) == PACKAGES  # each exactly once
    assert sorted(_contract("acyclic_siblings")["ancestors"]) == PACKAGES


def test_the_import_contracts_hold() -> None:
    # In a process of its own: lint-imports configures logging with `dictConfig`, which would
    # disable every logger already created in this one.
    checked = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},  # benchmarks is not installed
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_developer_commands_import_devtools_lazily() -> None:
    tree = ast.parse(DEVELOPER_COMMANDS.read_text())
    top_level = {
        node.module.split(".")[0]
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module
    } | {
        alias.name.split(".")[0]
        for node in tree.body
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    assert "devtools" not in top_level


def test_modules_and_functions_stay_short() -> None:
    long_modules: dict[str, int] = {}
    long_functions: dict[str, int] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if GENERATED & set(path.relative_to(ROOT).parts):
                continue
            name = str(path.relative_to(ROOT))
            source = path.read_text()
            if (lines := len(source.splitlines())) > MAX_MODULE_LINES:
                long_modules[name] = lines
            for node in ast.walk(ast.parse(source)):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    length = (node.end_lineno or node.lineno) - node.lineno + 1
                    if length > MAX_FUNCTION_LINES:
                        long_functions[f"{name}:{node.name}"] = length
    assert long_modules == {}
    assert long_functions == {}


def test_test_helpers_live_in_support() -> None:
    """Tests mirror the packages; what they share is a fixture in a `conftest.py` or a module of
    `tests/support/` (child processes load those by module name), never a module beside them."""
    tests = ROOT / "tests"
    strays = sorted(
        str(path.relative_to(ROOT))
        for path in tests.rglob("*.py")
        if not path.name.startswith("test_")
        and path.name not in {"conftest.py", "__init__.py"}
        and path.parent != tests / "support"
    )
    assert strays == []
