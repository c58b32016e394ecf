"""boto3 sessions that share one loader of botocore's data files per process.

A new `boto3.Session` parses botocore's service descriptions and endpoint rules from disk again
(about 0.15 s of the 0.19 s a session and two clients take); sessions made here share one loader,
which parses each file once per process. Each call still gives a session of its own, so threads
never make clients from one session at once (which botocore does not support).
"""

from __future__ import annotations

import functools
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import boto3


def aws_session(**options: Any) -> boto3.Session:
    """A new boto3 session on this process's shared loader; `options` are `boto3.Session`'s
    (`region_name`, access keys, `profile_name`)."""
    import boto3
    import botocore.session

    core = botocore.session.get_session()
    loader = _loader(core.get_config_variable("data_path"))
    core.register_component("data_loader", loader)
    with _lock:  # boto3 adds its data folder to the loader's paths once a session: once in all
        known = len(loader.search_paths)
        session = boto3.Session(botocore_session=core, **options)
        paths = loader.search_paths
        if known and all(path in paths[:known] for path in paths[known:]):
            del paths[known:]
    return session


_lock = threading.Lock()


@functools.cache
def _loader(data_path: str | None) -> Any:
    """botocore's loader of its data files on `data_path` (its own cache of what it parsed),
    one per process: the files are botocore's and do not change while it runs."""
    from botocore.loaders import create_loader

    return create_loader(data_path)


__all__ = ["aws_session"]
