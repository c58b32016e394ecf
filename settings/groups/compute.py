"""Where sweep batches run: local processes, Ray or SageMaker (`STRATIGOS_COMPUTE_*`)."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field

from settings.fields import EnvironmentName, SettingsGroup


class RaySettings(SettingsGroup):
    """The Ray cluster of `compute_backend = "ray"`."""

    env_prefix: ClassVar[str] = "STRATIGOS_COMPUTE_RAY_"

    address: Annotated[
        str | None,
        EnvironmentName("STRATIGOS_COMPUTE_RAY_ADDRESS", fallbacks=("RAY_ADDRESS",)),
    ] = Field(
        default=None,
        description="Ray cluster to connect to (e.g. ray://head:10001); None starts a local one.",
    )
    num_cpus: int | None = Field(
        default=None, ge=1, description="CPUs of a local Ray cluster (None: all)."
    )
    max_retries: int = Field(
        default=0, ge=0, description="Ray retries of a task whose worker died."
    )


class SageMakerSettings(SettingsGroup):
    """The SageMaker Processing jobs of `compute_backend = "sagemaker"`."""

    env_prefix: ClassVar[str] = "STRATIGOS_COMPUTE_SAGEMAKER_"

    bucket: str | None = None
    prefix: str = "stratigos/compute"
    role_arn: str | None = None
    image_uri: str | None = None
    job_name_prefix: str = Field(
        default="stratigos-batch",
        pattern=r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,39}$",
        description="Processing job names start with this (IAM policies match on it).",
    )
    instance_type: str = "ml.m5.xlarge"
    instance_count: int = Field(default=1, ge=1)
    volume_gb: int = Field(default=30, ge=1)
    max_runtime_s: int = Field(default=3600, ge=1)
    poll_s: float = Field(default=5.0, gt=0)
    max_poll_s: float = Field(default=60.0, gt=0)
    max_attempts: int = Field(default=3, ge=1, description="botocore attempts per call.")
    subnets: str = Field(
        default="",
        description="Comma-separated VPC subnet ids the processing jobs run in (with "
        "security_group_ids; a deployed stack names its isolated subnets, which reach AWS "
        "through endpoints and nothing else); empty: SageMaker's own network.",
    )
    security_group_ids: str = Field(
        default="", description="Comma-separated security group ids of the processing jobs."
    )


class SearchPipelineSettings(SettingsGroup):
    """Where an optimization request asking for the search pipeline (`"pipeline": true`) runs:
    `here` (the worker's or command line's process, `run_search_pipeline(engine="here")`),
    `ray`, or `sagemaker` (the CDK app's `stratigos-<stage>-search`, which the worker starts
    and an EventBridge rule reports the end of; docs/pipeline.md)."""

    env_prefix: ClassVar[str] = "STRATIGOS_COMPUTE_PIPELINE_"

    engine: Literal["here", "ray", "sagemaker"] = Field(
        default="here", description="here, ray or sagemaker."
    )
    name: str | None = Field(
        default=None,
        pattern=r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,255}$",
        description="The SageMaker pipeline (engine sagemaker).",
    )
    bucket: str | None = Field(
        default=None, description="The results bucket holding its runs' orders and outputs."
    )
    prefix: str = Field(
        default="pipelines/search",
        description="Where its runs live in the bucket: <prefix>/<run>/.",
    )
    wait_hours: float = Field(
        default=48.0,
        gt=0,
        le=24 * 30,
        description="Hours a job waits for its execution's end; then a worker takes it over "
        "and fails it.",
    )

    def missing(self) -> list[str]:
        """The environment names of the settings a SageMaker pipeline run needs and these lack."""
        return [f"{self.env_prefix}{n.upper()}" for n in ("name", "bucket") if not getattr(self, n)]


class ComputeSettings(SettingsGroup):
    """The compute backend of sweep batches (jobs.backends) and the local one's workers."""

    env_prefix: ClassVar[str] = "STRATIGOS_COMPUTE_"

    backend: Literal["local", "ray", "sagemaker"] = Field(
        default="local", description="local, ray or sagemaker."
    )
    timeout_s: float | None = Field(
        default=None, gt=0, description="Seconds a `map` call may take (None: no limit)."
    )
    workers: int | None = Field(
        default=None,
        ge=0,
        description="Worker processes (None: one per core the process may use; 0: in-process).",
    )
    threads_per_worker: int | None = Field(
        default=None, ge=1, description="numba/BLAS threads per worker (None: cores / workers)."
    )
    start_method: Literal["forkserver", "spawn"] = "forkserver"
    ray: RaySettings = Field(default_factory=RaySettings, description="The ray backend.")
    sagemaker: SageMakerSettings = Field(
        default_factory=SageMakerSettings, description="The sagemaker backend."
    )
    pipeline: SearchPipelineSettings = Field(
        default_factory=SearchPipelineSettings, description="The search pipeline's engine."
    )
    aws_region: str | None = None
    aws_endpoint_url: str | None = Field(
        default=None, description="Endpoint for S3 and SageMaker (e.g. a local moto server)."
    )
