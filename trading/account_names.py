"""The names owners give the accounts their deployments share, and the paper accounts those
names stand for.

A name is the owner's: two owners who both name an account `main` trade two accounts, which
share nothing (orders, client order ids, run ids, ledgers, snapshots, reports, jobs). The
paper account of an owner's name is `paper-shared-<owner tag>-<name>`: `owner_tag` (`store.owner_ids.account_tag`) is a
short digest of the owner id, so every id derived from the account (its orders' client order ids,
its runs' ids, its reports' ids) is the owner's too, and none of them spells the owner id.
Accounts named before names were the owner's are `paper-shared-<name>`: an owner who has one
keeps trading it under that name (`shared_paper_account`).
"""

from __future__ import annotations

import re

from services.errors import InputError
from store import Store
from store.owner_ids import account_tag as owner_tag

SHARED_ACCOUNT_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
"""A shared paper account's name: lowercase letters, digits and dashes, at most 40."""
ACCOUNT_NAME_FIELD = "account_name"
"""The spec field holding the name of the shared account a deployment trades (set since names
are the owner's; an earlier deployment's `paper-shared-<name>` has none)."""


def check_account_name(name: object) -> None:
    """Refuse a shared account's name that is not `SHARED_ACCOUNT_NAME` (`InputError`; None:
    the deployment's own account, nothing to check)."""
    if name is not None and not (isinstance(name, str) and SHARED_ACCOUNT_NAME.fullmatch(name)):
        raise InputError(
            "account", "must be 1 to 40 lowercase letters, digits and dashes, e.g. main-book"
        )


def shared_paper_account(store: Store, owner: str, name: str) -> str:
    """The paper account the owner's deployments named `name` share: the account of that name
    the owner trades from before names were the owner's (`paper-shared-<name>`, on a deployment
    of theirs without `ACCOUNT_NAME_FIELD`), else `paper-shared-<owner tag>-<name>`."""
    check_account_name(name)
    earlier = f"paper-shared-{name}"
    for deployment in store.list_deployments(owner):
        spec = deployment.spec
        if spec.get("account") == earlier and ACCOUNT_NAME_FIELD not in spec:
            return earlier
    return f"paper-shared-{owner_tag(owner)}-{name}"
