"""`ComputeConfig`: which compute backend runs sweep batches, and its settings (the `compute_*`
fields of `Settings`, `STRATIGOS_COMPUTE_*`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from settings import Settings, get_settings

BackendName = Literal["local", "ray", "sagemaker"]


class ComputeConfig(BaseModel):
    """Compute settings: `Settings.compute` flattened (`STRATIGOS_COMPUTE_<FIELD>`, e.g.
    `STRATIGOS_COMPUTE_BACKEND=ray`; `ray_address` also reads `RAY_ADDRESS`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    backend: BackendName = Field(default="local", description="local, ray or sagemaker.")
    timeout_s: float | None = Field(
        default=None, gt=0, description="Seconds a `map` call may take (None: no limit)."
    )

    # local
    workers: int | None = Field(
        default=None, ge=0, description="Worker processes (None: os.cpu_count(); 0: in-process)."
    )
    threads_per_worker: int | None = Field(
        default=None, ge=1, description="numba/BLAS threads per worker (None: cores / workers)."
    )
    start_method: Literal["forkserver", "spawn"] = "forkserver"

    # ray
    ray_address: str | None = Field(
        default=None,
        description="Ray cluster to connect to (e.g. ray://head:10001); None starts a local one.",
    )
    ray_num_cpus: int | None = Field(
        default=None, ge=1, description="CPUs of a local Ray cluster (None: all)."
    )
    ray_max_retries: int = Field(
        default=0, ge=0, description="Ray retries of a task whose worker died."
    )

    # sagemaker
    sagemaker_bucket: str | None = None
    sagemaker_prefix: str = "stratigos/compute"
    sagemaker_role_arn: str | None = None
    sagemaker_image_uri: str | None = None
    sagemaker_job_name_prefix: str = "stratigos-batch"
    sagemaker_instance_type: str = "ml.m5.xlarge"
    sagemaker_instance_count: int = Field(default=1, ge=1)
    sagemaker_volume_gb: int = Field(default=30, ge=1)
    sagemaker_max_runtime_s: int = Field(default=3600, ge=1)
    sagemaker_poll_s: float = Field(default=5.0, gt=0)
    sagemaker_max_poll_s: float = Field(default=60.0, gt=0)
    sagemaker_max_attempts: int = Field(default=3, ge=1, description="botocore attempts per call.")
    aws_region: str | None = None
    aws_endpoint_url: str | None = Field(
        default=None, description="Endpoint for S3 and SageMaker (e.g. a local moto server)."
    )

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> ComputeConfig:
        """The compute configuration of `settings` (default: the process's)."""
        compute = (settings or get_settings()).compute
        return cls(
            **{name: value for name, value in compute if name not in ("ray", "sagemaker")},
            **{f"ray_{name}": value for name, value in compute.ray},
            **{f"sagemaker_{name}": value for name, value in compute.sagemaker},
        )
