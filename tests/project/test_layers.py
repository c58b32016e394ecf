"""The dependency rules of DESIGN.md: imports point down the layers only."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OURS = {
    "api",
    "graphs",
    "agents",
    "tools",
    "services",
    "trading",
    "execution",
    "traces",
    "quant",
    "jobs",
    "notifications",
    "research",
    "store",
    "prompts",
    "settings",
    "infra",
    "devtools",
    "evals",
}

FORBIDDEN = {
    "quant": OURS - {"quant"},
    "tools": {"agents", "graphs", "api", "devtools", "notifications", "evals"},
    "services": {"trading", "tools", "agents", "graphs", "api", "devtools", "evals"},
    "trading": {"tools", "agents", "graphs", "api", "devtools", "evals"},
    "execution": {
        "services",
        "trading",
        "tools",
        "agents",
        "graphs",
        "api",
        "devtools",
        "notifications",
        "evals",
    },
    "prompts": OURS - {"prompts"},
    "traces": OURS - {"traces", "prompts"},
    "agents": {"tools", "graphs", "api", "devtools", "notifications", "evals"},
    "graphs": {"api", "devtools", "evals"},
    "jobs": {"graphs", "agents", "tools", "services", "trading", "api", "devtools", "evals"},
    "store": {
        "graphs",
        "agents",
        "tools",
        "services",
        "trading",
        "execution",
        "api",
        "devtools",
        "notifications",
        "evals",
    },
    "settings": OURS - {"settings"},
    "notifications": OURS - {"notifications", "settings"},
    "research": OURS - {"research", "settings", "quant"},
    "api": {"devtools", "quant"},
    "evals": {"api", "devtools", "quant"},
    "infra": {"devtools", "evals"},
}
"""Packages each package must not import (anything at module level or inside functions).

`notifications` is infrastructure beside `jobs` and `store`: it imports `settings` only, and only
the layers that act on events (services, graphs, jobs, api) send notifications. `research`
(parsing, chunking) is domain code like `quant`: it imports nothing of ours but `settings` and
`quant`. `evals` (the evaluation harness) sits at the interfaces level beside `api`: it may
import graphs, services, agents, tools, store and settings; nothing below imports it, and it does
not import `api` (the CLI imports it)."""

DEVELOPER_COMMANDS = {"api/cli/developer.py"}
"""The one production module that may import `devtools`, inside its developer commands only
(``record``, ``replay``, ``bedrock-local`` and the ``--record`` options), never at module level."""


OFFLINE_MODEL = "agents.offline"
OFFLINE_MODEL_IMPORTERS = {"agents/models.py"}
"""The one production module that may import the offline model: the model factory."""
PRODUCTION = OURS - {"devtools", "infra"}


def _modules(path: Path) -> set[str]:
    """Every module `path` imports (dotted names, at module level or inside functions)."""
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _imports(path: Path) -> set[str]:
    return {name.split(".")[0] for name in _modules(path)}


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_point_down_only(package: str) -> None:
    directory = ROOT / package
    assert directory.is_dir(), f"{package}/ is gone: update FORBIDDEN"
    offenders: dict[str, list[str]] = {}
    for path in directory.rglob("*.py"):
        name = str(path.relative_to(ROOT))
        forbidden = FORBIDDEN[package] - ({"devtools"} if name in DEVELOPER_COMMANDS else set())
        if found := _imports(path) & forbidden:
            offenders[name] = sorted(found)
    assert offenders == {}


def test_developer_commands_import_devtools_lazily() -> None:
    for name in DEVELOPER_COMMANDS:
        tree = ast.parse((ROOT / name).read_text())
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
        assert "devtools" not in top_level, name


def test_production_code_reaches_the_offline_model_only_through_the_model_factory() -> None:
    offenders = {}
    for package in sorted(PRODUCTION):
        for path in (ROOT / package).rglob("*.py"):
            name = str(path.relative_to(ROOT))
            if name.startswith("agents/offline/") or name in OFFLINE_MODEL_IMPORTERS:
                continue
            found = {
                m for m in _modules(path) if m == OFFLINE_MODEL or m.startswith(OFFLINE_MODEL + ".")
            }
            if found:
                offenders[name] = sorted(found)
    assert offenders == {}
