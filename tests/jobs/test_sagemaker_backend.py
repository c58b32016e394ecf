"""The SageMaker Processing backend against moto's server, with the container emulated locally.

moto marks a processing job Completed as soon as it is created and runs nothing, so the
`after_submit` hook plays SageMaker's part: it splits the job's input objects across the hosts
as `ShardedByS3Key` does (each instance gets a disjoint subset of the objects; round-robin over
the sorted keys here), lays out each host's container directory (input at the request's
LocalPath, resourceconfig.json), runs the entry point there and uploads the host's output
directory to the job's S3 output, as SageMaker does at the end of a job.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import numpy as np
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from jobs.backends.sagemaker import SageMakerBackend, SageMakerJob, network_config
from jobs.batches import BatchShard, PathInputs, ShardResult, run_shard
from jobs.compute_errors import ComputeError, ComputeTimeoutError, RemoteJobError, ShardError
from jobs.entrypoint import RESOURCE_CONFIG, process
from quant.strategy import StrategyConfig
from settings import ComputeSettings, SageMakerSettings
from tests.jobs import sample_shards
from tests.support.aws import moto_with_bucket

BUCKET = "stratigos-test-compute"
ROLE = "arn:aws:iam::123456789012:role/stratigos-processing"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/stratigos-processing:test"


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    with moto_with_bucket(BUCKET) as endpoint:
        yield endpoint


def _clients(endpoint: str) -> tuple[Any, Any]:
    config = Config(retries={"max_attempts": 1})
    kwargs = {"endpoint_url": endpoint, "region_name": "us-east-1", "config": config}
    return boto3.client("s3", **kwargs), boto3.client("sagemaker", **kwargs)


class ContainerEmulator:
    """Runs a submitted job's container locally, host by host (see the module docstring)."""

    def __init__(self, s3: Any, root: Path) -> None:
        self.s3 = s3
        self.root = root
        self.assigned: dict[str, list[str]] = {}

    def __call__(self, job: SageMakerJob) -> None:
        s3_input = job.request["ProcessingInputs"][0]["S3Input"]
        assert s3_input["S3DataDistributionType"] == "ShardedByS3Key"
        local_input = s3_input["LocalPath"].lstrip("/")
        local_output = job.request["ProcessingOutputConfig"]["Outputs"][0]["S3Output"][
            "LocalPath"
        ].lstrip("/")
        count = job.request["ProcessingResources"]["ClusterConfig"]["InstanceCount"]
        hosts = [f"algo-{i + 1}" for i in range(count)]
        listed = self.s3.list_objects_v2(Bucket=job.bucket, Prefix=job.input_prefix)
        keys = sorted(item["Key"] for item in listed.get("Contents", []))
        for i, host in enumerate(hosts):
            mine = keys[i :: len(hosts)]
            self.assigned[host] = mine
            root = self.root / job.name / host
            for key in mine:
                target = root / local_input / key.rsplit("/", 1)[1]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(self.s3.get_object(Bucket=job.bucket, Key=key)["Body"].read())
            (root / local_input).mkdir(parents=True, exist_ok=True)
            config = root / RESOURCE_CONFIG
            config.parent.mkdir(parents=True, exist_ok=True)
            config.write_text(json.dumps({"current_host": host, "hosts": hosts}))
            process(root)
            output = root / local_output
            for path in sorted(p for p in output.rglob("*") if p.is_file()):
                key = job.output_prefix + path.relative_to(output).as_posix()
                self.s3.put_object(Bucket=job.bucket, Key=key, Body=path.read_bytes())


def _backend(endpoint: str, **kwargs: Any) -> SageMakerBackend:
    s3, sagemaker = _clients(endpoint)
    options: dict[str, Any] = {"poll_s": 0.01, "max_poll_s": 0.02, "instance_count": 2}
    options.update(kwargs)
    return SageMakerBackend(
        bucket=BUCKET,
        role_arn=ROLE,
        image_uri=IMAGE,
        s3_client=s3,
        sagemaker_client=sagemaker,
        **options,
    )


def test_from_config_reads_the_compute_group_and_its_sagemaker_group() -> None:
    sagemaker = SageMakerSettings(
        bucket=BUCKET, role_arn=ROLE, image_uri=IMAGE, prefix="/runs/", instance_count=3, poll_s=90
    )
    compute = ComputeSettings(timeout_s=600, sagemaker=sagemaker)
    backend = SageMakerBackend.from_config(compute, s3_client=object(), sagemaker_client=object())
    assert (backend.bucket, backend.role_arn, backend.image_uri) == (BUCKET, ROLE, IMAGE)
    assert (backend.prefix, backend.instance_count, backend.timeout_s) == ("runs", 3, 600)
    assert (backend.poll_s, backend.max_poll_s) == (90, 90)  # the maximum is at least the first
    assert backend.network is None  # no subnets named: SageMaker's own network


def test_jobs_run_in_the_subnets_and_groups_the_settings_name(moto_endpoint: str) -> None:
    """With subnets named (a deployed stage's isolated subnets) every job is created in them,
    its security groups with it, traffic between its instances encrypted."""
    sagemaker = SageMakerSettings(
        bucket=BUCKET, role_arn=ROLE, image_uri=IMAGE,
        subnets="subnet-a, subnet-b", security_group_ids="sg-1",
    )  # fmt: skip
    backend = SageMakerBackend.from_config(
        ComputeSettings(sagemaker=sagemaker), s3_client=object(), sagemaker_client=object()
    )
    assert backend.network == {
        "EnableInterContainerTrafficEncryption": True,
        "VpcConfig": {"Subnets": ["subnet-a", "subnet-b"], "SecurityGroupIds": ["sg-1"]},
    }
    s3, client = _clients(moto_endpoint)
    backend.s3, backend.sagemaker = s3, client
    job = backend.submit(sample_shards(n_paths=5, horizon=70)[:1])
    assert job.request["NetworkConfig"] == backend.network
    # numba's settings are the image's (its baked kernels, their CPU target): a job adds none
    assert not any(name.startswith("NUMBA_") for name in job.request["Environment"])
    described = client.describe_processing_job(ProcessingJobName=job.name)
    assert described["NetworkConfig"]["VpcConfig"]["Subnets"] == ["subnet-a", "subnet-b"]
    with pytest.raises(ValueError, match="SECURITY_GROUP_IDS"):
        network_config("subnet-a", "")


def test_map_on_moto_with_the_emulated_container_matches_run_shard(
    moto_endpoint: str, tmp_path: Path
) -> None:
    shards = sample_shards(n_paths=10, horizon=90)[:5]
    s3, sagemaker = _clients(moto_endpoint)
    emulator = ContainerEmulator(s3, tmp_path)
    backend = _backend(moto_endpoint, after_submit=emulator)
    results = backend.map(shards)
    assert [r.shard_id for r in results] == [s.shard_id for s in shards]
    for shard, result in zip(shards, results, strict=True):
        assert result.same_values(run_shard(shard))
    # each host evaluated only the objects SageMaker gave it
    assert sorted(emulator.assigned) == ["algo-1", "algo-2"]
    by_host = {r.shard_id: r.host for r in results}
    for host, keys in emulator.assigned.items():
        ids = [shards[int(k.rsplit("/", 1)[1][:5])].shard_id for k in keys]
        assert {by_host[i] for i in ids} == {host}
    # the job was created as the platform expects
    (job_name,) = [
        j["ProcessingJobName"]
        for j in sagemaker.list_processing_jobs()["ProcessingJobSummaries"]
        if j["ProcessingJobName"].startswith("stratigos-batch") and job_name_in(emulator, j)
    ]
    described = sagemaker.describe_processing_job(ProcessingJobName=job_name)
    s3_input = described["ProcessingInputs"][0]["S3Input"]
    assert s3_input["S3DataDistributionType"] == "ShardedByS3Key"
    assert s3_input["LocalPath"].startswith("/opt/ml/processing/input")
    assert described["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["LocalPath"] == (
        "/opt/ml/processing/output"
    )
    assert described["AppSpecification"]["ImageUri"] == IMAGE
    assert described["AppSpecification"]["ContainerEntrypoint"] == [
        "python",
        "-m",
        "jobs.entrypoint",
    ]
    assert described["RoleArn"] == ROLE
    # moto does not keep ProcessingResources; the emulator read InstanceCount 2 from the request


def job_name_in(emulator: ContainerEmulator, summary: dict[str, Any]) -> bool:
    """True when the emulator ran the job of this summary."""
    return (emulator.root / summary["ProcessingJobName"]).exists()


def test_shard_error_and_missing_output_are_reported(moto_endpoint: str, tmp_path: Path) -> None:
    risky = np.random.default_rng(0).normal(0, 0.01, size=(2, 40))
    bad = BatchShard("bad/0", (StrategyConfig(lookback=80),), PathInputs("p", risky))
    good = sample_shards(n_paths=4, horizon=70)[0]
    s3, _ = _clients(moto_endpoint)
    backend = _backend(moto_endpoint, after_submit=ContainerEmulator(s3, tmp_path))
    with pytest.raises(ShardError) as caught:
        backend.map([good, bad])
    assert caught.value.shard_id == "bad/0"
    assert "InsufficientDataError" in caught.value.reason
    nothing_ran = _backend(moto_endpoint)  # moto completes the job; no container wrote anything
    with pytest.raises(ComputeError, match="wrote no result for 1 of 1 shards"):
        nothing_ran.map([good])


def test_cancel_stops_the_job_on_moto(moto_endpoint: str) -> None:
    """moto 5.2.5 implements stop_processing_job (status becomes Stopped)."""
    backend = _backend(moto_endpoint)
    job = backend.submit(sample_shards(n_paths=4, horizon=70)[:1])
    assert backend.cancel(job) is True
    with pytest.raises(RemoteJobError, match="ended Stopped"):
        backend.wait(job)


def test_cancel_survives_a_service_that_answers_500() -> None:
    """Older moto (and any unimplemented action) answers HTTP 500: logged, not raised."""

    class Unimplemented:
        def stop_processing_job(self, ProcessingJobName: str) -> None:
            raise ClientError(
                {
                    "Error": {"Code": "InternalFailure", "Message": "not yet implemented"},
                    "ResponseMetadata": {"HTTPStatusCode": 500},
                },
                "StopProcessingJob",
            )

    backend = SageMakerBackend(
        bucket=BUCKET, role_arn=ROLE, image_uri=IMAGE, s3_client=object(),
        sagemaker_client=Unimplemented(),
    )  # fmt: skip
    assert backend.cancel(_job()) is False


class _FakeSageMaker:
    """describe_processing_job answers from a script; records stop calls."""

    def __init__(self, states: list[str], reason: str | None = None) -> None:
        self.states = states
        self.reason = reason
        self.stopped: list[str] = []

    def describe_processing_job(self, ProcessingJobName: str) -> dict[str, Any]:
        state = self.states.pop(0) if len(self.states) > 1 else self.states[0]
        answer = {"ProcessingJobName": ProcessingJobName, "ProcessingJobStatus": state}
        if self.reason is not None:
            answer["FailureReason"] = self.reason
        return answer

    def stop_processing_job(self, ProcessingJobName: str) -> dict[str, Any]:
        self.stopped.append(ProcessingJobName)
        return {}


def _job() -> SageMakerJob:
    return SageMakerJob("job-1", BUCKET, "in/", "out/", ("a",), ("in/00000.json",), 1)


def test_polling_backs_off_and_failed_jobs_raise_with_the_reason() -> None:
    sleeps: list[float] = []
    fake = _FakeSageMaker(
        ["InProgress"] * 5 + ["Failed"], reason="AlgorithmError: out of memory on algo-2"
    )
    backend = SageMakerBackend(
        bucket=BUCKET, role_arn=ROLE, image_uri=IMAGE, poll_s=1.0, max_poll_s=3.0,
        s3_client=object(), sagemaker_client=fake, sleep=sleeps.append,
    )  # fmt: skip
    with pytest.raises(RemoteJobError) as caught:
        backend.wait(_job())
    assert caught.value.status == "Failed"
    assert "out of memory on algo-2" in str(caught.value)
    assert sleeps == [1.0, 1.5, 2.25, 3.0, 3.0]
    stopped = _FakeSageMaker(["Stopping", "Stopped"])
    backend.sagemaker = stopped
    with pytest.raises(RemoteJobError, match="ended Stopped"):
        backend.wait(_job())


def test_timeout_stops_the_job() -> None:
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    fake = _FakeSageMaker(["InProgress"])
    backend = SageMakerBackend(
        bucket=BUCKET, role_arn=ROLE, image_uri=IMAGE, poll_s=10.0, max_poll_s=10.0,
        timeout_s=35.0, s3_client=object(), sagemaker_client=fake, sleep=sleep,
        clock=lambda: now[0],
    )  # fmt: skip
    with pytest.raises(ComputeTimeoutError, match="still InProgress"):
        backend.wait(_job())
    assert fake.stopped == ["job-1"]
    assert now[0] == 30.0


def test_results_survive_the_s3_round_trip_bit_for_bit(moto_endpoint: str) -> None:
    s3, _ = _clients(moto_endpoint)
    result = run_shard(sample_shards(n_paths=5, horizon=70)[4])
    s3.put_object(Bucket=BUCKET, Key="rt/x.result.json", Body=result.to_json().encode())
    body = s3.get_object(Bucket=BUCKET, Key="rt/x.result.json")["Body"].read()
    assert ShardResult.from_json(body).same_values(result)
