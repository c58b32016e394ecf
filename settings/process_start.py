"""How a process of ours starts: `defer_package_indexes()` keeps the package indexes in
`DEFERRED_PACKAGES` from loading until a name is read from them.

Two packages' `__init__` import far more than what LangGraph reads of them, in every process that
loads LangGraph (issue 63: a chat turn in its own process, `stratigos optimize`):

- LangChain's tracers import LangSmith's run trees, which import one module of `langsmith.types`,
  whose `__init__` imports all of its 160-odd modules of generated API types (0.2 s of CPU);
- LangGraph's runtime imports `langgraph_sdk.auth.types`, and `langgraph_sdk`'s `__init__`
  imports the LangGraph Platform client with httpx, websockets and rich (0.2 s).

None of our processes reads those names. Deferred, importing a module of the package
(`langsmith.types.run_select_field`) loads that module only; the first name read from the package
itself (`from langsmith.types import Run`, `langgraph_sdk.get_client`) runs its `__init__` as it
would have run, so every reader still gets every name.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
from typing import Any

DEFERRED_PACKAGES = ("langsmith.types", "langgraph_sdk")
"""Packages whose `__init__` runs on the first name read from them rather than on import."""


def defer_package_indexes() -> None:
    """Defer every package of `DEFERRED_PACKAGES` that is installed and not yet imported."""
    for name in DEFERRED_PACKAGES:
        defer_package_index(name)


def defer_package_index(name: str) -> bool:
    """Register package `name` (top-level or in a package) in `sys.modules` with its `__init__`
    not yet run: its submodules import as usual, and the first attribute read that the module
    lacks runs the `__init__` (once, under a lock) and answers from it.

    True when deferred; False when the package is already imported or not installed."""
    if name in sys.modules:
        return False
    parent_name, _, child = name.rpartition(".")
    try:
        parent = importlib.import_module(parent_name) if parent_name else None
    except ModuleNotFoundError:
        return False
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        return False
    module = importlib.util.module_from_spec(spec)
    loader = spec.loader
    lock = threading.RLock()
    ran: list[bool] = []

    def run_init(attribute: str) -> Any:
        with lock:  # another thread reading meanwhile waits for the whole `__init__`
            if not ran:
                ran.append(True)
                try:
                    loader.exec_module(module)
                except BaseException:
                    ran.clear()  # as a failed import: the next read tries again
                    raise
                if module.__dict__.get("__getattr__") is run_init:
                    del module.__dict__["__getattr__"]
        if attribute in module.__dict__:
            return module.__dict__[attribute]
        raise AttributeError(f"module {name!r} has no attribute {attribute!r}")

    module.__getattr__ = run_init  # type: ignore[method-assign]
    sys.modules[name] = module
    if parent is not None:
        setattr(parent, child, module)
    return True
