"""Instant estimates from the strategy model's SageMaker endpoint (`sagemaker-runtime`
`InvokeEndpoint`), where the API's settings name one (`STRATIGOS_API_ESTIMATES_ENDPOINT_NAME`);
`estimate` computes in this process otherwise (`services.estimates.estimate_strategy`, the
embedded default). The endpoint answers with the same function (`api.estimates_endpoint`), so
both give the same answer and the same refusals.

The invocation names the owner the caller authenticated as: the endpoint trusts it, and only
the API's role may invoke the endpoint. What the endpoint refuses comes back as the same
`InputError` / `NotFoundInputError` the function raises in process (its field and words); an
endpoint that cannot answer is an `EstimateEndpointError` (503: unreachable, throttled, timed
out, starting; 502: it failed or answered something that is not an estimate), never an
estimate.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from typing import Any

from services.errors import InputError, NotFoundInputError
from services.estimates import LABEL, estimate_strategy
from settings import EstimatesEndpointSettings, Settings

UNAVAILABLE_CODES = frozenset(
    {"ThrottlingException", "ServiceUnavailable", "ModelNotReadyException", "InternalFailure"}
)
"""InvokeEndpoint errors after which the endpoint may answer a later call (503)."""


class EstimateEndpointError(RuntimeError):
    """The endpoint did not answer with an estimate: `status` is what the API answers (503: try
    again later; 502: the endpoint failed), `message` says what happened."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


_CLIENTS: dict[tuple[str | None, str | None, float], Any] = {}
_LOCK = threading.Lock()


def _client(endpoint: EstimatesEndpointSettings) -> Any:
    """A `sagemaker-runtime` client of the endpoint's region and address (one per process)."""
    key = (endpoint.aws_region, endpoint.endpoint_url, endpoint.timeout_s)
    with _LOCK:
        if key not in _CLIENTS:
            import boto3
            from botocore.config import Config

            _CLIENTS[key] = boto3.client(
                "sagemaker-runtime",
                region_name=endpoint.aws_region,
                endpoint_url=endpoint.endpoint_url,
                config=Config(
                    connect_timeout=5,
                    read_timeout=endpoint.timeout_s,
                    retries={"total_max_attempts": 2, "mode": "standard"},
                ),
            )
        return _CLIENTS[key]


def _refusal(status: int, original: str) -> InputError | None:
    """The endpoint's 404 or 422 in the project's error format as the service's own error
    (None when it is neither, or not in that format)."""
    try:
        error = json.loads(original)["error"]
        detail = error["details"][0]
        field, problem, message = str(detail["field"]), str(detail["problem"]), error["message"]
    except (ValueError, KeyError, IndexError, TypeError):
        return None
    if status == 404:
        return NotFoundInputError(field, problem, str(message))
    if status == 422:
        return InputError(field, problem, str(message))
    return None


def invoke_estimate(
    endpoint: EstimatesEndpointSettings,
    owner: str,
    config: Any,
    *,
    run_id: str | None = None,
    scenarios: Sequence[str] | None = None,
) -> dict[str, Any]:
    """`estimate_strategy`'s answer for `owner`, computed by the endpoint `endpoint` names."""
    from botocore.exceptions import BotoCoreError, ClientError

    name = str(endpoint.endpoint_name)
    body = {
        "owner": owner,
        "config": config,
        "run_id": run_id,
        "scenarios": None if scenarios is None else list(scenarios),
    }
    try:
        answer = _client(endpoint).invoke_endpoint(
            EndpointName=name,
            ContentType="application/json",
            Accept="application/json",
            Body=json.dumps(body).encode(),
        )
        raw = answer["Body"].read()
    except ClientError as exc:
        response = exc.response
        code = str(response.get("Error", {}).get("Code", ""))
        if code == "ModelError":
            status = int(response.get("OriginalStatusCode") or 0)
            refused = _refusal(status, str(response.get("OriginalMessage") or ""))
            if refused is not None:
                raise refused from None
            if status == 503:  # it could not read the store
                raise EstimateEndpointError(
                    503, f"the estimates endpoint {name} cannot answer now (its status 503)"
                ) from None
            raise EstimateEndpointError(
                502, f"the estimates endpoint {name} failed (its status {status})"
            ) from None
        status = 503 if code in UNAVAILABLE_CODES else 502
        raise EstimateEndpointError(
            status, f"the estimates endpoint {name} did not answer: {code or 'error'}"
        ) from None
    except BotoCoreError as exc:  # unreachable, timed out
        raise EstimateEndpointError(
            503, f"the estimates endpoint {name} could not be reached: {type(exc).__name__}"
        ) from None
    try:
        estimate = json.loads(raw)
    except ValueError:
        estimate = None
    if not isinstance(estimate, dict) or estimate.get("label") != LABEL:
        raise EstimateEndpointError(502, f"the estimates endpoint {name} answered no estimate")
    return estimate


def estimate(
    store: Any,
    settings: Settings,
    owner: str,
    config: Any,
    *,
    run_id: str | None = None,
    scenarios: Sequence[str] | None = None,
) -> dict[str, Any]:
    """The owner's estimate (`estimate_strategy`): from the endpoint `settings.api.estimates`
    names, else computed here on `store`."""
    endpoint = settings.api.estimates
    if endpoint.endpoint_name:
        return invoke_estimate(endpoint, owner, config, run_id=run_id, scenarios=scenarios)
    return estimate_strategy(store, owner, config, run_id=run_id, scenarios=scenarios)
