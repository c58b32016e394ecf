"""`sagemaker`: shards as one SageMaker Processing job, through plain boto3.

`map(shards)` = `submit` + `wait` + `collect`:

1. `submit`: writes each shard as one JSON object `s3://<bucket>/<prefix>/<job>/input/NNNNN.json`
   (one object per shard: `ShardedByS3Key` distributes whole objects across instances) and calls
   `create_processing_job` with that prefix as a `ShardedByS3Key` input mounted at
   `/opt/ml/processing/input/shards`, an `EndOfJob` output from `/opt/ml/processing/output` to
   `s3://<bucket>/<prefix>/<job>/output/`, the image (`image_uri`, built from the processing
   Dockerfile, whose entry point is `python -m jobs.entrypoint`), the execution role
   (`role_arn`) and min(instance_count, shards) instances of `instance_type`.
2. `wait`: polls `describe_processing_job`, first every `poll_s` seconds, then 1.5x longer each
   time up to `max_poll_s`. Completed returns; Failed or Stopped raise `RemoteJobError` with the
   job's FailureReason; past `timeout_s` the job is stopped and `ComputeTimeoutError` raised.
3. `collect`: reads the `*.result.json` and `*.error.json` objects under the output prefix,
   raises `ShardError` for the first failed shard (in the order given) and `ComputeError` when a
   shard has no output, and returns the results in the order of the shards.

`cancel(job)` calls `stop_processing_job`; a service that does not implement it (moto answers
HTTP 500) or a job that already ended is logged and reported by returning False. A `map` that is
interrupted (Ctrl-C) or times out stops its job. The input and output objects are left in S3 for
inspection (an S3 lifecycle rule on the prefix should expire them).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from jobs.backends.base import ComputeBackend, check_unique_ids
from jobs.batches import BatchShard, ShardResult
from jobs.compute_errors import (
    BackendUnavailableError,
    ComputeError,
    ComputeTimeoutError,
    RemoteJobError,
    ShardError,
)
from settings import ComputeSettings

log = logging.getLogger(__name__)

CONTAINER_INPUT = "/opt/ml/processing/input/shards"
CONTAINER_OUTPUT = "/opt/ml/processing/output"
ENTRYPOINT = ("python", "-m", "jobs.entrypoint")
RESULT_SUFFIX = ".result.json"
ERROR_SUFFIX = ".error.json"
_STOP_UNSUPPORTED = {"InternalFailure", "InternalError", "NotImplemented", "500"}


@dataclass(frozen=True)
class SageMakerJob:
    """A submitted processing job: its name, S3 locations and the shards it runs (in order)."""

    name: str
    bucket: str
    input_prefix: str
    output_prefix: str
    shard_ids: tuple[str, ...]
    input_keys: tuple[str, ...]
    instance_count: int
    request: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def input_uri(self) -> str:
        """s3:// URI of the input prefix."""
        return f"s3://{self.bucket}/{self.input_prefix}"

    @property
    def output_uri(self) -> str:
        """s3:// URI of the output prefix."""
        return f"s3://{self.bucket}/{self.output_prefix}"


def network_config(subnets: str, security_group_ids: str) -> dict[str, Any] | None:
    """A processing job's `NetworkConfig` in the VPC subnets and security groups given
    (comma-separated ids; traffic between its instances encrypted), None when no subnet is
    given (SageMaker's own network); `ValueError` for subnets without a security group."""
    subnet_ids = [part.strip() for part in subnets.split(",") if part.strip()]
    groups = [part.strip() for part in security_group_ids.split(",") if part.strip()]
    if not subnet_ids:
        return None
    if not groups:
        raise ValueError(
            "STRATIGOS_COMPUTE_SAGEMAKER_SUBNETS needs STRATIGOS_COMPUTE_SAGEMAKER_SECURITY_GROUP_IDS"
        )
    return {
        "EnableInterContainerTrafficEncryption": True,
        "VpcConfig": {"Subnets": subnet_ids, "SecurityGroupIds": groups},
    }


class SageMakerBackend(ComputeBackend):
    """Shards as a SageMaker Processing job (see the module docstring).

    `s3_client` / `sagemaker_client`: boto3 clients to use (default: built from `region`,
    `endpoint_url` and `max_attempts`). `after_submit`: called with the `SageMakerJob` right
    after `create_processing_job` (tests use it to run the container locally against moto).
    `sleep` and `clock`: injectable for tests.
    """

    name = "sagemaker"

    def __init__(
        self,
        *,
        bucket: str,
        role_arn: str,
        image_uri: str,
        prefix: str = "stratigos/compute",
        instance_type: str = "ml.m5.xlarge",
        instance_count: int = 1,
        volume_gb: int = 30,
        max_runtime_s: int = 3600,
        poll_s: float = 5.0,
        max_poll_s: float = 60.0,
        timeout_s: float | None = None,
        region: str | None = None,
        endpoint_url: str | None = None,
        max_attempts: int = 3,
        job_name_prefix: str = "stratigos-batch",
        environment: dict[str, str] | None = None,
        network: dict[str, Any] | None = None,
        s3_client: Any = None,
        sagemaker_client: Any = None,
        after_submit: Callable[[SageMakerJob], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if instance_count < 1:
            raise ValueError(f"instance_count must be >= 1, got {instance_count!r}")
        if poll_s <= 0 or max_poll_s < poll_s:
            raise ValueError(f"need 0 < poll_s <= max_poll_s, got {poll_s!r} and {max_poll_s!r}")
        self.bucket = bucket
        self.role_arn = role_arn
        self.image_uri = image_uri
        self.prefix = prefix.strip("/")
        self.instance_type = instance_type
        self.instance_count = int(instance_count)
        self.volume_gb = int(volume_gb)
        self.max_runtime_s = int(max_runtime_s)
        self.poll_s = float(poll_s)
        self.max_poll_s = float(max_poll_s)
        self.timeout_s = timeout_s
        self.job_name_prefix = job_name_prefix
        self.network = network
        self.environment = dict(environment or {})
        self.after_submit = after_submit
        self._sleep = sleep
        self._clock = clock
        if s3_client is None or sagemaker_client is None:
            import boto3
            from botocore.config import Config

            config = Config(retries={"max_attempts": int(max_attempts), "mode": "standard"})
            kwargs: dict[str, Any] = {"config": config}
            if region:
                kwargs["region_name"] = region
            if endpoint_url:
                kwargs["endpoint_url"] = endpoint_url
            s3_client = s3_client or boto3.client("s3", **kwargs)
            sagemaker_client = sagemaker_client or boto3.client("sagemaker", **kwargs)
        self.s3 = s3_client
        self.sagemaker = sagemaker_client

    @classmethod
    def from_config(cls, config: ComputeSettings, **kwargs: Any) -> SageMakerBackend:
        """From the compute settings group (`sagemaker.*`, `timeout_s`, `aws_region`,
        `aws_endpoint_url`); `BackendUnavailableError` names missing required settings."""
        sagemaker = config.sagemaker
        required = {
            "STRATIGOS_COMPUTE_SAGEMAKER_BUCKET": sagemaker.bucket,
            "STRATIGOS_COMPUTE_SAGEMAKER_ROLE_ARN": sagemaker.role_arn,
            "STRATIGOS_COMPUTE_SAGEMAKER_IMAGE_URI": sagemaker.image_uri,
        }
        missing = [name for name, value in required.items() if not value]
        if missing:
            raise BackendUnavailableError(
                f"the sagemaker compute backend needs {', '.join(missing)}"
            )
        assert sagemaker.bucket and sagemaker.role_arn and sagemaker.image_uri
        return cls(
            bucket=sagemaker.bucket,
            role_arn=sagemaker.role_arn,
            image_uri=sagemaker.image_uri,
            prefix=sagemaker.prefix,
            instance_type=sagemaker.instance_type,
            instance_count=sagemaker.instance_count,
            volume_gb=sagemaker.volume_gb,
            max_runtime_s=sagemaker.max_runtime_s,
            poll_s=sagemaker.poll_s,
            max_poll_s=max(sagemaker.max_poll_s, sagemaker.poll_s),
            timeout_s=config.timeout_s,
            region=config.aws_region,
            endpoint_url=config.aws_endpoint_url,
            max_attempts=sagemaker.max_attempts,
            job_name_prefix=sagemaker.job_name_prefix,
            network=network_config(sagemaker.subnets, sagemaker.security_group_ids),
            **kwargs,
        )

    # -- steps ----------------------------------------------------------------------------
    def _job_name(self) -> str:
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        return f"{self.job_name_prefix}-{stamp}-{uuid.uuid4().hex[:8]}"[:63]

    def submit(self, shards: Sequence[BatchShard]) -> SageMakerJob:
        """Upload the shards and create the processing job (does not wait)."""
        check_unique_ids(shards)
        if not shards:
            raise ValueError("submit needs at least one shard")
        name = self._job_name()
        run_prefix = f"{self.prefix}/{name}" if self.prefix else name
        input_prefix, output_prefix = f"{run_prefix}/input/", f"{run_prefix}/output/"
        keys = []
        for i, shard in enumerate(shards):
            key = f"{input_prefix}{i:05d}.json"
            self.s3.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=shard.to_json().encode(),
                ContentType="application/json",
            )
            keys.append(key)
        count = min(self.instance_count, len(shards))
        request: dict[str, Any] = {
            "ProcessingJobName": name,
            "ProcessingInputs": [
                {
                    "InputName": "shards",
                    "S3Input": {
                        "S3Uri": f"s3://{self.bucket}/{input_prefix}",
                        "LocalPath": CONTAINER_INPUT,
                        "S3DataType": "S3Prefix",
                        "S3InputMode": "File",
                        "S3DataDistributionType": "ShardedByS3Key",
                    },
                }
            ],
            "ProcessingOutputConfig": {
                "Outputs": [
                    {
                        "OutputName": "results",
                        "S3Output": {
                            "S3Uri": f"s3://{self.bucket}/{output_prefix}",
                            "LocalPath": CONTAINER_OUTPUT,
                            "S3UploadMode": "EndOfJob",
                        },
                    }
                ]
            },
            "ProcessingResources": {
                "ClusterConfig": {
                    "InstanceCount": count,
                    "InstanceType": self.instance_type,
                    "VolumeSizeInGB": self.volume_gb,
                }
            },
            "StoppingCondition": {"MaxRuntimeInSeconds": self.max_runtime_s},
            "AppSpecification": {
                "ImageUri": self.image_uri,
                "ContainerEntrypoint": list(ENTRYPOINT),
            },
            "Environment": dict(self.environment),
            "RoleArn": self.role_arn,
            "Tags": [{"Key": "stratigos:shards", "Value": str(len(shards))}],
        }
        if self.network is not None:
            request["NetworkConfig"] = self.network
        self.sagemaker.create_processing_job(**request)
        job = SageMakerJob(
            name=name,
            bucket=self.bucket,
            input_prefix=input_prefix,
            output_prefix=output_prefix,
            shard_ids=tuple(s.shard_id for s in shards),
            input_keys=tuple(keys),
            instance_count=count,
            request=request,
        )
        log.info("submitted processing job %s with %d shards", name, len(shards))
        return job

    def status(self, job: SageMakerJob) -> dict[str, Any]:
        """The job's `describe_processing_job` answer."""
        answer: dict[str, Any] = self.sagemaker.describe_processing_job(ProcessingJobName=job.name)
        return answer

    def wait(self, job: SageMakerJob) -> dict[str, Any]:
        """Poll until the job ends; returns the final description when Completed."""
        started = self._clock()
        interval = self.poll_s
        while True:
            description = self.status(job)
            state = str(description.get("ProcessingJobStatus"))
            if state == "Completed":
                return description
            if state in ("Failed", "Stopped"):
                raise RemoteJobError(job.name, state, description.get("FailureReason"))
            elapsed = self._clock() - started
            if self.timeout_s is not None and elapsed + interval > self.timeout_s:
                self.cancel(job)
                raise ComputeTimeoutError(
                    f"processing job {job.name!r} was still {state} after {elapsed:.0f} s "
                    f"(timeout {self.timeout_s:g} s); it was asked to stop"
                )
            self._sleep(interval)
            interval = min(interval * 1.5, self.max_poll_s)

    def _output_objects(self, job: SageMakerJob) -> list[str]:
        keys: list[str] = []
        paginator = self.s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=job.bucket, Prefix=job.output_prefix):
            keys.extend(str(item["Key"]) for item in page.get("Contents", []))
        return sorted(keys)

    def _read(self, bucket: str, key: str) -> bytes:
        body: bytes = self.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        return body

    def collect(self, job: SageMakerJob) -> list[ShardResult]:
        """The results of a completed job, in the order of its shards."""
        import json

        results: dict[str, ShardResult] = {}
        errors: dict[str, str] = {}
        for key in self._output_objects(job):
            if key.endswith(RESULT_SUFFIX):
                result = ShardResult.from_json(self._read(job.bucket, key))
                results[result.shard_id] = result
            elif key.endswith(ERROR_SUFFIX):
                doc = json.loads(self._read(job.bucket, key))
                shard_id = doc.get("shard_id") or f"<unreadable {doc.get('file')}>"
                errors[str(shard_id)] = f"{doc.get('reason')} (on {doc.get('host')})"
        for shard_id in job.shard_ids:
            if shard_id in errors:
                raise ShardError(shard_id, errors[shard_id])
        unknown = sorted(set(errors) - set(job.shard_ids))
        if unknown:
            raise ShardError(unknown[0], errors[unknown[0]])
        missing = [s for s in job.shard_ids if s not in results]
        if missing:
            shown = ", ".join(repr(s) for s in missing[:5])
            raise ComputeError(
                f"processing job {job.name!r} completed but wrote no result for "
                f"{len(missing)} of {len(job.shard_ids)} shards ({shown}) under {job.output_uri}"
            )
        return [results[s] for s in job.shard_ids]

    def cancel(self, job: SageMakerJob) -> bool:
        """Ask SageMaker to stop the job; False when the service could not (logged)."""
        from botocore.exceptions import ClientError

        try:
            self.sagemaker.stop_processing_job(ProcessingJobName=job.name)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = str(error.get("Code", ""))
            status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
            if status >= 500 or code in _STOP_UNSUPPORTED or code == "ValidationException":
                log.warning(
                    "could not stop processing job %s (%s, HTTP %s): %s",
                    job.name,
                    code or "error",
                    status,
                    error.get("Message", exc),
                )
                return False
            raise
        return True

    # -- interface ------------------------------------------------------------------------
    def map(self, shards: Sequence[BatchShard]) -> list[ShardResult]:
        """Submit, wait for and collect one processing job running `shards`."""
        if not shards:
            return []
        job = self.submit(shards)
        try:
            if self.after_submit is not None:
                self.after_submit(job)
            self.wait(job)
        except (KeyboardInterrupt, SystemExit):
            self.cancel(job)
            raise
        return self.collect(job)
