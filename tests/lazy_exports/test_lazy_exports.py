"""`lazy_exports`: a package's names imported on first use, on packages written here, and the
packages of the project that export so (each name is what its module defines, never a module,
whatever was imported before)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from lazy_exports import lazy_exports

PACKAGE = """
from lazy_exports import lazy_exports
EXPORTS = {EXPORTS}
__getattr__, __dir__ = lazy_exports("{name}", EXPORTS, globals())
"""


def _package(root: Path, name: str, exports: dict[str, tuple[str, ...]]) -> None:
    (root / name).mkdir()
    (root / name / "__init__.py").write_text(PACKAGE.format(EXPORTS=exports, name=name))
    (root / name / "shapes.py").write_text("def area(side):\n    return side * side\n")


def test_a_name_is_imported_when_first_read_and_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _package(tmp_path, "lazypkg", {"lazypkg.shapes": ("area",)})
    monkeypatch.syspath_prepend(str(tmp_path))
    import lazypkg  # type: ignore[import-not-found]

    assert "lazypkg.shapes" not in sys.modules
    assert lazypkg.area(3) == 9
    assert "lazypkg.shapes" in sys.modules and "area" in vars(lazypkg)
    assert "area" in dir(lazypkg)
    with pytest.raises(AttributeError, match="'lazypkg' has no attribute 'volume'"):
        _ = lazypkg.volume


def test_a_name_that_is_its_own_submodules_is_refused() -> None:
    # once `pkg.area` is imported anywhere, the package's attribute `area` is that module
    with pytest.raises(ValueError, match=r"pkg\.area is a submodule"):
        lazy_exports("pkg", {"pkg.area": ("area",)}, {})


PACKAGES = ("settings", "store", "tools", "services.market_data", "quant", "quant.options")
PACKAGES += ("quant.optimizers",)
CHECK = """
import importlib, json, pkgutil, sys, types
found = []
for name in json.loads(sys.argv[1]):
    package = importlib.import_module(name)
    for module in pkgutil.iter_modules(package.__path__, name + "."):
        importlib.import_module(module.name)  # every module first, as another caller might
    found += [f"{name}.{n}" for n in package.__all__ if isinstance(getattr(package, n), types.ModuleType)]
print(json.dumps(found))
"""


def test_every_lazily_exported_name_is_what_its_module_defines() -> None:
    done = subprocess.run(
        [sys.executable, "-c", CHECK, json.dumps(PACKAGES)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
