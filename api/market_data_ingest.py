"""The AWS Lambda entry point of market-data ingestion: a price file put under `incoming/` of the
market-data bucket becomes a new version of the closes the functions read, or is refused with
its reason (`services.market_data.ingestion`).

`handler(event, context)` takes EventBridge's S3 ``Object Created`` event (the bucket sends its
events to EventBridge; a rule matches the `incoming/` prefix) and ingests the object into the
configured versions (`STRATIGOS_MARKET_DATA_DIR`, ``s3://<bucket>/versions``), keeping its review
note beside them (``s3://<bucket>/review``). The daily refresh's closes arrive the same way
(`services.market_data.refresh`, `STRATIGOS_MARKET_DATA_INCOMING`). Returns the report and publishes it as metrics
(`settings.metrics.market_data_ingested`). One instance runs at a time (reserved concurrency 1),
so two files never race for the current version.
"""

from __future__ import annotations

import logging
from typing import Any

from services.market_data.ingestion import ingest, ingested_market_data, review_folder
from settings import get_settings, metrics
from settings.logs import configure_logging
from store import utc_now

log = logging.getLogger("api.market_data_ingest")


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """Ingest the object the event names (see the module docstring)."""
    import boto3

    settings = get_settings()
    configure_logging(settings)
    detail = event.get("detail") or {}
    bucket, key = detail["bucket"]["name"], detail["object"]["key"]
    s3 = boto3.client("s3", endpoint_url=settings.market_data_s3_endpoint_url)
    data = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    provider = ingested_market_data(settings)
    review = review_folder(provider.versions, settings.market_data_s3_endpoint_url)
    report = ingest(data, key, provider.versions, review, utc_now())
    result = report.to_json()
    log.info("market data %s", report.status, extra={"event": "market_data_ingest", **result})
    metrics.market_data_ingested(report.status == "ingested", report.marker_count)
    return result
