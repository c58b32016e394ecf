"""The AWS store's botocore configuration, and the lock its stores make clients under."""

from __future__ import annotations

import threading

from botocore.config import Config

MAKING_CLIENTS = threading.Lock()
"""Held while a store makes a client: a botocore session makes one client at a time (a store's
S3 client is made at its first use, on whichever thread that is)."""


def boto_config(
    max_attempts: int = 3, connect_timeout: float = 5, read_timeout: float = 30
) -> Config:
    """botocore `Config` with bounded retries (`standard` mode) and timeouts in seconds."""
    return Config(
        retries={"max_attempts": max_attempts, "mode": "standard"},
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
    )
