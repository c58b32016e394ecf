"""Checking an AWS Signature Version 4 as a service would, for loopback stand-ins in tests.

Written from the published algorithm (canonical request, string to sign, the derived signing
key), independently of botocore's signer, so a test that checks botocore-signed requests with it
checks two implementations against each other.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from urllib.parse import quote, urlsplit

_AUTHORIZATION = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/"
    r"(?P<service>[^/]+)/aws4_request, SignedHeaders=(?P<signed>[^,]+), Signature=(?P<sig>[0-9a-f]+)"
)


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def sigv4_valid(
    method: str,
    url: str,
    headers: dict[str, str],
    body: bytes,
    *,
    access_key: str,
    secret_key: str,
    region: str,
    service: str,
) -> bool:
    """Whether `headers["authorization"]` is a valid SigV4 signature of this request by
    `access_key`/`secret_key` for `region` and `service` (header names lower-case)."""
    match = _AUTHORIZATION.fullmatch(headers.get("authorization", ""))
    if match is None or match["key"] != access_key:
        return False
    if (match["region"], match["service"]) != (region, service):
        return False
    amz_date = headers.get("x-amz-date", "")
    if not amz_date.startswith(match["date"]):
        return False
    signed = match["signed"].split(";")
    if "host" not in signed or "x-amz-date" not in signed:
        return False
    parts = urlsplit(url)
    query = "&".join(sorted(parts.query.split("&"))) if parts.query else ""
    canonical = "\n".join(
        [
            method,
            quote(parts.path or "/", safe="/~"),
            query,
            "".join(f"{name}:{' '.join(headers[name].split())}\n" for name in signed),
            match["signed"],
            hashlib.sha256(body).hexdigest(),
        ]
    )
    scope = f"{match['date']}/{region}/{service}/aws4_request"
    to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    key = _hmac(("AWS4" + secret_key).encode(), match["date"])
    for part in (region, service, "aws4_request"):
        key = _hmac(key, part)
    expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, match["sig"])
