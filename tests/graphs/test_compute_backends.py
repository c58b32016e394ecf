"""The same optimization on Ray and on SageMaker (moto, container emulated) as in process."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from graphs.optimization_run import RunOutcome, run_optimization
from graphs.request import OptimizationRequest
from graphs.resources import resources
from jobs.backends.ray_backend import RayBackend
from settings import ComputeSettings, ModelSettings, Settings
from tests.jobs.test_sagemaker_backend import ContainerEmulator, _backend, _clients, moto_endpoint
from tests.support.ray_cluster import CPUS as RAY_CPUS
from tests.support.requests import SMALL_SPACE

REQUEST: dict[str, Any] = {
    "universe": ["AAPL", "KO", "XOM"],
    "start": "2010-01-01",
    "n_paths": 24,
    "horizon": 168,
    "search_space": SMALL_SPACE,
    "budget": {"max_trials": 16, "batch_size": 8},
}

__all__ = ["moto_endpoint"]  # the module-scoped moto server fixture

pytestmark = pytest.mark.xdist_group("ray")  # one local Ray cluster at a time, on one worker


def _trials(outcome: Any) -> str:
    return json.dumps(outcome.result["trials"], sort_keys=True)


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> RunOutcome:
    """`REQUEST` run in process (once for every remote backend)."""
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("local"), models=ModelSettings(provider="offline")
    )
    return run_optimization(OptimizationRequest.model_validate(REQUEST), settings=settings)


@pytest.mark.parametrize("backend_name", ["ray", "sagemaker"])
def test_batches_on_a_remote_backend_give_the_in_process_trials(
    backend_name: str,
    moto_endpoint: str,
    tmp_path: Path,
    local: RunOutcome,
    request: pytest.FixtureRequest,
) -> None:
    optimization = OptimizationRequest.model_validate(REQUEST)
    settings = Settings(
        data_dir=tmp_path / backend_name,
        models=ModelSettings(provider="offline"),
        compute=ComputeSettings(backend=backend_name),
    )
    if backend_name == "ray":
        request.getfixturevalue("ray_cluster")  # the group's cluster, which the backend joins
        backend: Any = RayBackend(num_cpus=RAY_CPUS)
    else:
        s3, _ = _clients(moto_endpoint)
        backend = _backend(moto_endpoint, after_submit=ContainerEmulator(s3, tmp_path / "sm"))
    run_id = f"{backend_name}-run"
    resources(run_id, optimization, settings).use_backend(backend)
    remote = run_optimization(optimization, run_id=run_id, settings=settings)
    assert remote.status == local.status == "succeeded"
    assert _trials(remote) == _trials(local)
    assert remote.result["best"] == local.result["best"]
