# SageMaker Processing container for sweep batches: reads shard files from
# /opt/ml/processing/input, writes results to /opt/ml/processing/output (jobs/entrypoint.py).
# Installs requirements-runtime.lock (every pin hashed, nothing resolved at build time), then
# Stratigos itself without dependencies.
# The base is pulled by the digest of docker-library/repo-info's record (infra/images.py).
# Build context: the repository root (see /.dockerignore).
# SageMaker starts the container as root and mounts the processing directories root-owned, so the
# image keeps root as its user; the entry points (jobs.entrypoint, jobs.pipeline.container) hand
# their output directory to the unprivileged user STRATIGOS_RUN_AS names and become it before any
# of the job's code runs (jobs/privileges.py).
# checkov:skip=CKV_DOCKER_3: SageMaker needs root to start the container; the entry points drop to the user STRATIGOS_RUN_AS names (uid 10001) before the job's code runs
# checkov:skip=CKV_DOCKER_2: SageMaker never reads a HEALTHCHECK; a processing job ends with its exit code, the endpoint answers GET /ping
FROM python:3.13-slim@sha256:9662417aace5ae7b8e2609cce472b72a8958e134ba372808abe9cc1a0c0125e6 AS build
COPY requirements-runtime.lock /src/requirements-runtime.lock
RUN python -m venv /opt/stratigos \
    && /opt/stratigos/bin/pip install --no-cache-dir --require-hashes --no-deps \
        -r /src/requirements-runtime.lock
COPY . /src
RUN /opt/stratigos/bin/pip install --no-cache-dir --no-deps --no-build-isolation /src
# The numeric kernels compiled ahead, for the CPU baseline every host of the images has
# (x86-64-v3: AVX2, as Lambda's x86_64 and every SageMaker Processing instance type), into
# /opt/stratigos/numba-cache, which the final stage's processes link into their empty
# NUMBA_CACHE_DIR at start (quant.compiled.seed_kernel_cache): no request compiles a kernel
# (docs/engine.md "Kernels in the container images").
RUN NUMBA_CACHE_DIR=/opt/stratigos/numba-cache NUMBA_CPU_NAME=x86-64-v3 NUMBA_CPU_FEATURES= \
    /opt/stratigos/bin/python -P -m quant.warm_kernels

FROM python:3.13-slim@sha256:9662417aace5ae7b8e2609cce472b72a8958e134ba372808abe9cc1a0c0125e6
COPY --from=build /opt/stratigos /opt/stratigos
ENV PATH=/opt/stratigos/bin:$PATH \
    NUMBA_CACHE_DIR=/tmp/numba-cache \
    NUMBA_CPU_NAME=x86-64-v3 \
    NUMBA_CPU_FEATURES="" \
    STRATIGOS_KERNEL_CACHE_SEED=/opt/stratigos/numba-cache \
    MPLCONFIGDIR=/tmp/matplotlib \
    HOME=/tmp \
    PYTHONUNBUFFERED=1 \
    STRATIGOS_RUN_AS=10001:10001
ENTRYPOINT ["python", "-m", "jobs.entrypoint"]
