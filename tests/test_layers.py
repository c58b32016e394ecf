"""The dependency rules of DESIGN.md: imports point down the layers only."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = {
    "api",
    "graphs",
    "agents",
    "tools",
    "quant",
    "jobs",
    "store",
    "prompts",
    "settings",
    "infra",
}

FORBIDDEN = {
    "quant": OURS - {"quant"},
    "tools": {"agents", "graphs", "api"},
    "prompts": OURS - {"prompts"},
    "agents": {"graphs", "api"},
    "graphs": {"api"},
    "jobs": {"graphs", "agents", "api"},
    "store": {"graphs", "agents", "api"},
    "settings": OURS - {"settings"},
}
"""Packages each package must not import (anything at module level or inside functions)."""


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_point_down_only(package: str) -> None:
    directory = ROOT / package
    if not directory.is_dir():
        pytest.skip(f"{package}/ does not exist yet")
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imports(path) & FORBIDDEN[package])
        for path in directory.rglob("*.py")
        if _imports(path) & FORBIDDEN[package]
    }
    assert offenders == {}
