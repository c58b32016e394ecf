"""The `quant` package exposes its public API at the top level."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

import quant


@pytest.mark.parametrize("name", quant.__all__)
def test_every_exported_name_resolves_to_its_module_object(name: str) -> None:
    value = getattr(quant, name)
    (module_name,) = [module for module, names in quant._EXPORTS.items() if name in names]
    assert value is getattr(importlib.import_module(module_name), name)


def test_no_exported_name_is_also_a_submodule() -> None:
    # `quant.search` (a function) would be replaced by a subpackage of that name once imported
    submodules = {
        path.stem
        for path in Path(quant.__file__).parent.iterdir()
        if path.is_dir() or path.suffix == ".py"
    }
    assert not set(quant.__all__) & submodules


def test_unknown_names_raise_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        _ = quant.nonexistent  # type: ignore[attr-defined]


def test_quant_imports_nothing_else_of_stratigos() -> None:
    import ast
    from pathlib import Path

    ours = {"agents", "api", "graphs", "infra", "jobs", "prompts", "settings", "store", "tools"}
    for path in Path(quant.__file__).parent.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                roots = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                roots = {node.module.split(".")[0]}
            else:
                continue
            assert not roots & ours, f"{path} imports {roots & ours}"
