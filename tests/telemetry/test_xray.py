"""tracing=xray: OTLP/HTTP to X-Ray's endpoint, every request SigV4-signed (service `xray`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from devtools.otlp_receiver import OtlpReceiver
from devtools.sigv4 import sigv4_valid
from settings import Settings, TracingSettings, XRaySettings
from settings.tracing import configure_tracing, flush_tracing, span

ACCESS_KEY, SECRET_KEY, TOKEN = "AKIDEXAMPLE", "fake-secret-for-tests", "fake-session-token"


@pytest.fixture
def xray(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[OtlpReceiver]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_SESSION_TOKEN", TOKEN)
    with OtlpReceiver() as receiver:
        settings = Settings(
            data_dir=tmp_path,
            tracing=TracingSettings(
                exporter="xray",
                xray=XRaySettings(region="eu-west-1", endpoint_url=receiver.url),
                service_name="stratigos-worker",
            ),
        )
        assert configure_tracing(settings)
        yield receiver
    configure_tracing(Settings(data_dir=tmp_path))


def _valid(request: object, secret: str = SECRET_KEY, region: str = "eu-west-1") -> bool:
    return sigv4_valid(
        "POST",
        request.path,  # type: ignore[attr-defined]
        request.headers,  # type: ignore[attr-defined]
        request.body,  # type: ignore[attr-defined]
        access_key=ACCESS_KEY,
        secret_key=secret,
        region=region,
        service="xray",
    )


def test_spans_reach_the_xray_endpoint_signed_with_the_process_credentials(
    xray: OtlpReceiver,
) -> None:
    with span("job optimization", carry={"stratigos.job_id": "job_1"}), span("run optimization"):
        pass
    flush_tracing()

    [request] = xray.requests
    assert request.headers["content-type"] == "application/x-protobuf"
    assert request.headers["x-amz-security-token"] == TOKEN
    assert _valid(request)
    # the checker is not a rubber stamp: another secret, region or body fails
    assert not _valid(request, secret="another-secret")
    assert not _valid(request, region="us-east-1")
    request.body += b"\x00"
    assert not _valid(request)

    job, run = sorted(xray.spans, key=lambda s: s.name)
    assert run.parent_id == job.span_id and run.attributes["stratigos.job_id"] == "job_1"
    assert job.resource["service.name"] == "stratigos-worker"


def test_without_credentials_nothing_is_sent_unsigned(
    xray: OtlpReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with span("job optimization"):
        pass
    flush_tracing()
    assert xray.requests == []
