"""Package names imported on first use (PEP 562): a package lists which of its modules defines
each name it exports, and a name is imported from there when it is first read, then kept in the
package's namespace. `settings`, `store`, `tools`, `services.market_data`, `quant`,
`quant.options` and `quant.optimizers` export their names this way, so importing the package
loads none of their modules (the command line starts light).

The lowest layer of the project: it imports nothing of ours and holds nothing of Stratigos'
domain, so the numeric core and the settings, which import nothing else of ours, may use it."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any


def exported_names(exports: Mapping[str, Sequence[str]]) -> list[str]:
    """Every name of `exports` (module -> names it defines), sorted: a package's `__all__`."""
    return sorted(name for names in exports.values() for name in names)


def lazy_exports(
    package: str, exports: Mapping[str, Sequence[str]], namespace: dict[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The module-level `__getattr__` and `__dir__` of `package` (whose globals are
    `namespace`) exporting `exports` (module -> names it defines) on first use.

    `ValueError` when a name is also the name of the package's submodule defining it (a
    function `f` of `package.f`): importing that submodule anywhere sets the package's attribute
    to the module, so the name would be the module for every later reader; such a name is
    imported by the package itself instead."""
    module_of = {name: module for module, names in exports.items() for name in names}
    for name, module in module_of.items():
        if module == f"{package}.{name}":
            raise ValueError(
                f"{package}.{name} is a submodule: export its {name!r} from {package} itself, "
                "not on first use"
            )

    def getattr_(name: str) -> Any:
        module = module_of.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def dir_() -> list[str]:
        return sorted(set(namespace) | set(module_of))

    return getattr_, dir_
