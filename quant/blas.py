"""BLAS threading for the numeric core.

The optimizers make many small factorisations and matrix products. Multi-threaded BLAS gains
little on them and loses ten times or more when the cores are busy with other work (a sweep,
another request), so each public optimizer runs its BLAS calls on one thread.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import ParamSpec, TypeVar, cast

from threadpoolctl import ThreadpoolController

_P = ParamSpec("_P")
_R = TypeVar("_R")
_controller: list[ThreadpoolController] = []


def one_blas_thread() -> AbstractContextManager[object]:
    """A context in which BLAS runs on one thread (restored on exit)."""
    if not _controller:
        _controller.append(ThreadpoolController())
    return cast(AbstractContextManager[object], _controller[0].limit(limits=1, user_api="blas"))


def single_threaded_blas(fn: Callable[_P, _R]) -> Callable[_P, _R]:
    """Decorate `fn` so that its BLAS calls run on one thread."""

    @functools.wraps(fn)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with one_blas_thread():
            return fn(*args, **kwargs)

    return wrapper
