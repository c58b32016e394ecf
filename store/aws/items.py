"""DynamoDB items of the AWS store as plain dicts and back (string, integer and boolean
attribute values; JSON documents are strings), and the keys of an owner's items."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def _av(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int):
        return {"N": str(value)}
    if isinstance(value, str):
        return {"S": value}
    raise TypeError(f"unsupported attribute value {value!r}")


def _item(values: Mapping[str, Any]) -> dict[str, Any]:
    """A plain dict as a DynamoDB item (None values are left out)."""
    return {k: _av(v) for k, v in values.items() if v is not None}


def _plain(item: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in item.items():
        if "S" in value:
            out[key] = value["S"]
        elif "N" in value:
            out[key] = int(value["N"])
        elif "BOOL" in value:
            out[key] = value["BOOL"]
        else:
            out[key] = None
    return out


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def _owner_pk(owner: str) -> str:
    return f"OWNER#{owner}"
