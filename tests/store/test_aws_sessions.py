"""The AWS store, its provisioning and the LangGraph checkpointer on DynamoDB make their boto3
clients on sessions that share one loader of botocore's data files (`settings.aws_sessions`):
each parses DynamoDB's and S3's service descriptions from disk once per process, however many
stores, checkpointers and turns it makes."""

from __future__ import annotations

from collections import Counter

import pytest
from botocore.loaders import JSONFileLoader

import settings.aws_sessions as aws_sessions
from settings import StoreSettings
from store.aws import AWSStore
from store.checkpoints import checkpointer
from tests.support.live_server import closed_port


def test_service_descriptions_are_read_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    reads: Counter[str] = Counter()
    load_file = JSONFileLoader.load_file

    def counted(self: JSONFileLoader, file_path: str) -> object:
        reads[file_path] += 1
        return load_file(self, file_path)

    monkeypatch.setattr(JSONFileLoader, "load_file", counted)
    aws_sessions._loader.cache_clear()  # a process that has read nothing yet
    with closed_port() as port:
        endpoint = f"http://127.0.0.1:{port}"
        config = StoreSettings(backend="aws", aws_endpoint_url=endpoint, s3_bucket="b")
        for _ in range(3):
            store = AWSStore("t", "b", endpoint_url=endpoint)
            store.close()
            with checkpointer(config=config) as saver:
                assert saver is not None
    descriptions = {path: n for path, n in reads.items() if "service-2" in path}
    assert any("/dynamodb/" in path for path in descriptions), reads
    assert any("/s3/" in path for path in descriptions), reads
    assert set(descriptions.values()) == {1}, descriptions


def test_each_call_gives_a_session_of_its_own_on_the_shared_loader() -> None:
    first, second = aws_sessions.aws_session(region_name="eu-west-1"), aws_sessions.aws_session()
    assert first is not second and first._session is not second._session
    assert first.region_name == "eu-west-1"
    loader = first._session.get_component("data_loader")
    assert loader is second._session.get_component("data_loader")
    paths = list(loader.search_paths)
    for _ in range(20):  # a server makes one a turn: the loader's folders stay as they were
        aws_sessions.aws_session()
    assert loader.search_paths == paths and len(set(paths)) == len(paths), loader.search_paths
