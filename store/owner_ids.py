"""The ids Stratigos derives from an owner id, in one place: what makes the names an owner chooses
the owner's (DESIGN: "ids derived from names include the owner"), and what an import rewrites
when it gives one owner's data to another (`store.owner_data.OwnerRewrite`).

- `account_tag(owner)`: 8 hex digits in the paper account of a name the owner chose
  (`paper-shared-<tag>-<name>`, `trading.account_names`);
- `owner_digest(owner)`: 32 hex digits in a thread id the owner chose
  (`<uuid>.<digest>`, `api.agent_protocol.thread_ids`) and in the SQLite store's directory of
  the owner's files (`<database>-objects/<kind>/<digest>/...`).

Neither spells the owner id; only a guess of it can be checked against them.
"""

from __future__ import annotations

import hashlib

ACCOUNT_TAG_LENGTH = 8
"""Hex digits of an owner's account tag."""
OWNER_DIGEST_LENGTH = 32
"""Hex digits of an owner's digest (128 bits)."""


def account_tag(owner: str) -> str:
    """The owner's part of the paper accounts named by the owner: the first
    `ACCOUNT_TAG_LENGTH` hex digits of a SHA-256 digest of the owner id (the same in every
    process)."""
    return hashlib.sha256(f"stratigos owner tag\0{owner}".encode()).hexdigest()[:ACCOUNT_TAG_LENGTH]


def owner_digest(owner: str) -> str:
    """The owner's part of the thread ids the owner chose and of the SQLite store's file
    directories: the first `OWNER_DIGEST_LENGTH` hex digits of the SHA-256 of the owner id."""
    data = owner.encode("utf-8", "surrogatepass")
    return hashlib.sha256(data).hexdigest()[:OWNER_DIGEST_LENGTH]
