# Worker, cleanup, ingestion and WebSocket functions: python:3.13-slim, as the other images, with
# requirements-runtime.lock (every pin hashed, nothing resolved at build time; it holds AWS's Lambda
# runtime interface client, awslambdaric, from the `lambda` extra) and then Stratigos itself without
# dependencies. The runtime interface client is the entry point (AWS's "alternative base image"
# recipe): it polls Lambda's Runtime API and calls the handler named by CMD, which the CDK app sets
# per function (infra/stacks/common.py `lambda_image`), e.g. jobs.lambda_handlers.sqs_worker.
# The base is pulled by the digest of docker-library/repo-info's record (infra/images.py).
# Build context: the repository root (see /.dockerignore).
# checkov:skip=CKV_DOCKER_2: Lambda never reads a HEALTHCHECK; a function that fails is retried and alarmed
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
# Lambda's file system is read-only except /tmp.
ENV PATH=/opt/stratigos/bin:$PATH \
    STRATIGOS_DATA_DIR=/tmp/stratigos \
    NUMBA_CACHE_DIR=/tmp/numba-cache \
    NUMBA_CPU_NAME=x86-64-v3 \
    NUMBA_CPU_FEATURES="" \
    STRATIGOS_KERNEL_CACHE_SEED=/opt/stratigos/numba-cache \
    MPLCONFIGDIR=/tmp/matplotlib \
    HOME=/tmp \
    PYTHONUNBUFFERED=1
WORKDIR /tmp
# An unprivileged user (Lambda runs functions as one of its own in any case).
USER 10001:10001
ENTRYPOINT ["/opt/stratigos/bin/python", "-m", "awslambdaric"]
CMD ["jobs.lambda_handlers.sqs_worker"]
