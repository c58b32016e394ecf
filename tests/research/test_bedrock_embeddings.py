"""The embedder factory and Titan Text Embeddings V2 through langchain-aws: settings, the local
Bedrock endpoint (the same vectors as the offline embedder), typed errors, and the recorded
cassette replayed with no endpoint and no network."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from botocore.stub import Stubber
from pydantic import ValidationError

from devtools.cassettes import REPOSITORY_CASSETTES, cassette_paths
from devtools.local_bedrock import LocalBedrock, serve
from devtools.local_bedrock.faults import FaultPlan
from devtools.pytest_plugin import refuse_network
from devtools.replaying import UnmatchedRequestError, load_snapshot, run_under_replay
from research.bedrock_embeddings import TITAN_V2_MAX_CHARACTERS, TITAN_V2_MODEL_ID, TitanEmbedder
from research.embedder_factory import embedder_for
from research.embeddings import EmbeddingInputError, EmbeddingServiceError, HashingEmbedder
from settings import BedrockSettings, EmbeddingSettings, ModelSettings, Settings
from settings.bedrock import bedrock_config
from tests.support.live_server import closed_port
from tests.support.settings import merged

TEXTS = [
    "Energy stocks fell 12% in March as crude oil inventories rose.",
    "Utilities and consumer staples are defensive.\nThey hold up in bear markets.",
    "Semiconductor demand drives earnings.",
]


@pytest.fixture
def fake_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Fake credentials only (botocore signs every request); no profile or shared files."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def bedrock(fake_aws: None) -> Iterator[LocalBedrock]:
    with serve(faults=FaultPlan()) as server:
        yield server


def _settings(server: LocalBedrock, **values: Any) -> Settings:
    defaults = {"embeddings": {"provider": "bedrock"}, "bedrock": {"endpoint_url": server.url}}
    return Settings(**merged(defaults, values))


# -- settings and the factory --------------------------------------------------------------


def test_the_embedding_provider_follows_the_chat_provider_unless_set(fake_aws: None) -> None:
    offline = embedder_for(
        Settings(
            models=ModelSettings(provider="offline"), embeddings=EmbeddingSettings(dimensions=512)
        )
    )
    assert isinstance(offline, HashingEmbedder) and offline.dimensions == 512
    follows = embedder_for(
        Settings(
            models=ModelSettings(provider="bedrock"), bedrock=BedrockSettings(region="eu-central-1")
        )
    )
    assert isinstance(follows, TitanEmbedder)
    assert follows.model_id == TITAN_V2_MODEL_ID and follows.dimensions == 1024
    assert follows.client.meta.region_name == "eu-central-1"
    pinned = Settings(
        models=ModelSettings(provider="bedrock"), embeddings=EmbeddingSettings(provider="offline")
    )
    assert isinstance(embedder_for(pinned), HashingEmbedder)
    explicit = Settings(
        models=ModelSettings(provider="offline"), embeddings=EmbeddingSettings(provider="bedrock")
    )
    assert isinstance(embedder_for(explicit), TitanEmbedder)


def test_embedding_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRATIGOS_EMBEDDING_PROVIDER", "offline")
    monkeypatch.setenv("STRATIGOS_EMBEDDING_DIMENSIONS", "256")
    settings = Settings()
    assert settings.resolved_embedding_provider() == "offline"
    assert embedder_for(settings).model_id.endswith("-256")
    with pytest.raises(ValidationError, match="embedding_dimensions must be one of 256, 512"):
        Settings(embeddings=EmbeddingSettings(dimensions=300))


def test_the_bedrock_client_is_configured_like_the_chat_models(bedrock: LocalBedrock) -> None:
    settings = _settings(
        bedrock, embeddings={"dimensions": 256}, bedrock={"max_attempts": 2, "read_timeout": 45.0}
    )
    embedder = embedder_for(settings)
    assert isinstance(embedder, TitanEmbedder)
    assert embedder.model_id == f"{TITAN_V2_MODEL_ID}-256"
    client = embedder.client
    assert client.meta.endpoint_url == bedrock.url
    expected = bedrock_config(settings)
    assert (
        client.meta.config.retries
        == expected.retries
        == {
            "total_max_attempts": 2,
            "mode": "adaptive",
        }
    )
    assert client.meta.config.read_timeout == 45.0
    with pytest.raises(ValueError, match="not Titan Text Embeddings V2"):
        TitanEmbedder(model_id="cohere.embed-english-v3")
    with pytest.raises(ValueError, match="dimensions must be one of"):
        TitanEmbedder(dimensions=768)


# -- through the local endpoint ------------------------------------------------------------


@pytest.mark.parametrize("dimensions", [1024, 256])
def test_bedrock_vectors_equal_the_offline_embedders(
    bedrock: LocalBedrock, dimensions: int
) -> None:
    embedder = embedder_for(_settings(bedrock, embeddings={"dimensions": dimensions}))
    texts = [*TEXTS, "", "   ", TEXTS[0]]
    vectors = embedder.embed_documents(texts)
    offline = HashingEmbedder(dimensions).embed_documents(texts)
    assert vectors.dtype == np.float32 and vectors.shape == (len(texts), dimensions)
    np.testing.assert_allclose(vectors, offline, atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(vectors[:3], axis=1), 1.0, rtol=1e-6)
    assert not vectors[3].any() and not vectors[4].any()  # blank: a zero row, no call
    assert bedrock.faults.calls == 3  # the repeated text was embedded once
    query = embedder.embed_query(TEXTS[1])
    np.testing.assert_allclose(query, offline[1], atol=1e-6)


def test_a_text_over_titans_limit_is_refused_before_any_call(bedrock: LocalBedrock) -> None:
    embedder = embedder_for(_settings(bedrock))
    too_long = "a" * (TITAN_V2_MAX_CHARACTERS + 1)
    with pytest.raises(EmbeddingInputError) as caught:
        embedder.embed_documents([TEXTS[0], too_long])
    assert caught.value.index == 1 and caught.value.length == 50_001
    assert TITAN_V2_MODEL_ID in str(caught.value) and "50,000 characters" in str(caught.value)
    assert bedrock.faults.calls == 0


def test_throttling_after_the_retries_is_one_typed_error_naming_the_model(
    bedrock: LocalBedrock, botocore_waits: list[float]
) -> None:
    bedrock.faults.faults.update(FaultPlan.parse("throttle@1,2").faults)
    embedder = embedder_for(_settings(bedrock, bedrock={"max_attempts": 2}))
    with pytest.raises(EmbeddingServiceError) as caught:
        embedder.embed_query(TEXTS[0])
    assert caught.value.code == "ThrottlingException"
    assert caught.value.model_id == TITAN_V2_MODEL_ID and TITAN_V2_MODEL_ID in str(caught.value)
    assert bedrock.faults.calls == 2 and len(botocore_waits) == 1  # botocore retried once
    np.testing.assert_allclose(  # the third call goes through
        embedder.embed_query(TEXTS[0]), HashingEmbedder().embed_query(TEXTS[0]), atol=1e-6
    )
    # a batch from the thread pool: one throttled call fails the whole batch, typed
    bedrock.faults.faults.update(FaultPlan.parse("throttle@5").faults)
    once = embedder_for(_settings(bedrock, bedrock={"max_attempts": 1}))
    with pytest.raises(EmbeddingServiceError, match="ThrottlingException"):
        once.embed_documents(TEXTS)


def test_validation_and_unknown_model_errors_are_typed(bedrock: LocalBedrock) -> None:
    embedder = embedder_for(_settings(bedrock, bedrock={"max_attempts": 1}))
    with pytest.raises(EmbeddingServiceError, match="Too many input tokens") as caught:
        embedder.embed_query("x. " * 4_200)  # 12,600 characters, 8,400 tokens
    assert caught.value.code == "ValidationException"
    unknown = "arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-embed-text-v2:9"
    other = embedder_for(_settings(bedrock, embeddings={"bedrock_model_id": unknown}))
    with pytest.raises(EmbeddingServiceError) as missing:
        other.embed_query(TEXTS[0])
    # a version Bedrock does not have is an invalid identifier, as the model catalog knows none
    assert missing.value.code == "ValidationException" and unknown in str(missing.value)


def test_access_denied_and_connection_failures_are_typed(fake_aws: None) -> None:
    embedder = TitanEmbedder(dimensions=256)
    with Stubber(embedder.client) as stub:
        stub.add_client_error(
            "invoke_model",
            service_error_code="AccessDeniedException",
            service_message="You don't have access to the model with the specified model ID.",
            http_status_code=403,
        )
        with pytest.raises(EmbeddingServiceError) as caught:
            embedder.embed_query(TEXTS[0])
    assert caught.value.code == "AccessDeniedException"
    assert "don't have access" in str(caught.value) and TITAN_V2_MODEL_ID in str(caught.value)

    with closed_port() as port:  # a port nothing listens on
        url = f"http://127.0.0.1:{port}"
        closed = embedder_for(
            Settings(
                embeddings=EmbeddingSettings(provider="bedrock"),
                bedrock=BedrockSettings(endpoint_url=url, max_attempts=1),
            )
        )
        with pytest.raises(EmbeddingServiceError) as unreachable:
            closed.embed_documents(TEXTS)
    assert unreachable.value.code == "EndpointConnectionError"


# -- recorded and replayed -----------------------------------------------------------------


@pytest.fixture
def offline_process(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No AWS or Stratigos variables, HOME elsewhere, and no socket may connect."""
    import os

    for name in list(os.environ):
        if name.startswith(("AWS_", "STRATIGOS_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    refuse_network(monkeypatch)


def test_the_recorded_embeddings_replay_offline_to_the_same_vectors(
    offline_process: None,
) -> None:
    snapshot, produced = run_under_replay("embedding")
    texts = snapshot["script"]["texts"]
    assert snapshot["api"] == "invoke" and snapshot["recorded_against"] == "local-endpoint"
    vectors = np.asarray(produced["result"]["vectors"], dtype=np.float32)
    np.testing.assert_array_equal(vectors, np.asarray(snapshot["result"]["vectors"], np.float32))
    np.testing.assert_allclose(vectors, HashingEmbedder(256).embed_documents(texts), atol=1e-6)
    assert produced["result"]["model_id"] == f"{TITAN_V2_MODEL_ID}-256"
    cassette, _ = cassette_paths("embedding", REPOSITORY_CASSETTES)
    text = cassette.read_text()
    assert "/invoke" in text and "127.0.0.1" not in text and "testing" not in text
    assert str(Path.cwd().anchor + "work") not in text and "/tmp/" not in text


def test_a_changed_text_is_not_in_the_cassette_and_says_which(
    offline_process: None, tmp_path: Path
) -> None:
    cassette, snapshot_path = cassette_paths("embedding", REPOSITORY_CASSETTES)
    shutil.copy(cassette, tmp_path / cassette.name)
    snapshot = load_snapshot("embedding")
    snapshot["script"]["texts"][2] = "Semiconductor supply drives the technology sector."
    (tmp_path / snapshot_path.name).write_text(json.dumps(snapshot))
    with pytest.raises(UnmatchedRequestError) as caught:
        run_under_replay("embedding", tmp_path)
    message = str(caught.value)
    assert "an embedding request (InvokeModel)" in message
    assert "differs in: inputText" in message and "+Semiconductor supply" in message
