"""The deployment's smoke test and what it rolls back to, run by `.github/workflows/deploy.yml`
with the deploying role's credentials.

- `python -m infra.smoke commit --stage <s>`: the commit the stage's API stack says is deployed
  (its output `Commit`, written from the context `commit`), empty when none is: what a failed
  smoke test rolls back to.
- `python -m infra.smoke check --stage <s>`: `GET /v1/health` through every public address of
  the stage (the REST API's stage URL; the distribution, at its custom domain when it has one)
  answers 200 with `"status"`, and the custom domain refuses TLS 1.1 (a handshake offering at
  most TLS 1.1 fails). Exit status 1, naming each failure, when any fails.

The region is the CLI's (`AWS_REGION`); the edge stack's outputs are read in us-east-1.
"""

from __future__ import annotations

import argparse
import json
import socket
import ssl
import sys
import urllib.request
import warnings
from collections.abc import Callable, Sequence

EDGE_REGION = "us-east-1"
HEALTH_PATH = "v1/health"
Outputs = Callable[[str, str | None], dict[str, str]]


def stack_outputs(stack: str, region: str | None = None) -> dict[str, str]:
    """The outputs of `stack` (`OutputKey` -> `OutputValue`), empty when it does not exist."""
    import boto3
    from botocore.exceptions import ClientError

    client = boto3.client("cloudformation", region_name=region)
    try:
        (found,) = client.describe_stacks(StackName=stack)["Stacks"]
    except ClientError:
        return {}
    return {o["OutputKey"]: o["OutputValue"] for o in found.get("Outputs", [])}


def addresses(stage: str, outputs: Outputs = stack_outputs) -> dict[str, str]:
    """The stage's public base URLs by name: `api` (the REST API stage), `edge` (the
    distribution's domain) and `domain` (its custom domain), those it has."""
    prefix = f"stratigos-{stage}"
    api = outputs(f"{prefix}-api", None)
    edge = outputs(f"{prefix}-edge", EDGE_REGION)
    found = {}
    if "ApiUrl" in api:
        found["api"] = api["ApiUrl"].rstrip("/") + "/"
    if "DistributionDomainName" in edge:
        found["edge"] = f"https://{edge['DistributionDomainName']}/"
    if "DomainName" in edge:
        found["domain"] = f"https://{edge['DomainName']}/"
    return found


def health_failure(base: str, timeout: float = 20.0) -> str | None:
    """Why `GET <base>v1/health` is not a 200 with a JSON `status`; None when it is."""
    try:
        with urllib.request.urlopen(base + HEALTH_PATH, timeout=timeout) as answer:
            body = json.loads(answer.read() or b"{}")
            status = answer.status
    except (OSError, ValueError) as exc:
        return f"{base}{HEALTH_PATH}: {exc}"
    if status != 200 or "status" not in body:
        return f"{base}{HEALTH_PATH}: {status} {body}"
    return None


def old_tls_accepted(host: str, port: int = 443, timeout: float = 10.0) -> bool:
    """Whether `host` completes a handshake offering TLS 1.1 at most."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    with warnings.catch_warnings():  # deprecated versions: the very point of the check
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version = ssl.TLSVersion.TLSv1
        context.maximum_version = ssl.TLSVersion.TLSv1_1
    context.set_ciphers("ALL:@SECLEVEL=0")
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with (
            socket.create_connection((host, port), timeout=timeout) as raw,
            context.wrap_socket(raw, server_hostname=host),
        ):
            return True
    except (OSError, ssl.SSLError):
        return False


def check(stage: str, outputs: Outputs = stack_outputs) -> list[str]:
    """Every failure of the smoke test of `stage` (see the module docstring)."""
    found = addresses(stage, outputs)
    if "api" not in found:
        return [f"stratigos-{stage}-api has no ApiUrl output: is the stage deployed here?"]
    failures = [f for base in found.values() if (f := health_failure(base)) is not None]
    if "domain" in found:
        host = found["domain"].removeprefix("https://").rstrip("/")
        if old_tls_accepted(host):
            failures.append(f"{host} accepts TLS 1.1 (TLS 1.2 at least is required)")
    return failures


def main(argv: Sequence[str] | None = None) -> int:
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(prog="python -m infra.smoke", description=__doc__)
    parser.add_argument("command", choices=("commit", "check"))
    parser.add_argument("--stage", required=True)
    args = parser.parse_args(argv)
    if args.command == "commit":
        print(stack_outputs(f"stratigos-{args.stage}-api").get("Commit", ""))
        return 0
    failures = check(args.stage)
    for failure in failures:
        print(f"smoke: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
