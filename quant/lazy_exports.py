"""Package names imported on first use (PEP 562), the numeric core's copy of
`settings.lazy_exports` (quant imports nothing of ours): a package lists which of its modules
defines each name it exports, and a name is imported from there when it is first read, then kept
in the package's namespace. `quant` and `quant.options` export their names this way, so
`import quant` loads none of its modules and a caller of the option model's parameters
(`quant.options.ImpliedVolModel`) loads no compiled kernel."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any


def lazy_exports(
    package: str, exports: Mapping[str, Sequence[str]], namespace: dict[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The module-level `__getattr__` and `__dir__` of `package` (whose globals are
    `namespace`) exporting `exports` (module -> names it defines) on first use."""
    module_of = {name: module for module, names in exports.items() for name in names}

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
