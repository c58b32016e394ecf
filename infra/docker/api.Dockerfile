# The HTTP API on Lambda: uvicorn serving api.app:app on port 8080 behind the AWS Lambda Web
# Adapter 0.9.1 (a Lambda extension), which streams responses (AWS_LWA_INVOKE_MODE=response_stream)
# to a REST API with responseTransferMode STREAM or a Function URL with RESPONSE_STREAM.
# Installs requirements-runtime.lock (every pin hashed, nothing resolved at build time), then
# Stratigos itself without dependencies (docs/DEPLOY.md "Images").
# The adapter is built from its published source, the crate lambda_web_adapter 0.9.1 with its own
# Cargo.lock (cargo checks every crate against crates.io's checksums), on Rust's official image of
# the same Debian release as python:3.13-slim (trixie), so the binary's glibc is the final image's:
# AWS publishes the adapter's prebuilt images only on public.ecr.aws, whose digests no machine of
# this project can read. 0.9.1 is the newest release on crates.io this project could check
# (infra/images.py); its readiness setting is AWS_LWA_READINESS_CHECK_MIN_UNHEALTHY_STATUS (1.0
# replaced it by AWS_LWA_READINESS_CHECK_HEALTHY_STATUS).
# Every base is pulled by the digest of docker-library/repo-info's record (infra/images.py).
# Build context: the repository root (see /.dockerignore).
# checkov:skip=CKV_DOCKER_2: Lambda never reads a HEALTHCHECK; the Web Adapter checks /v1/health/live before traffic
FROM python:3.13-slim@sha256:9662417aace5ae7b8e2609cce472b72a8958e134ba372808abe9cc1a0c0125e6 AS build
COPY requirements-runtime.lock /src/requirements-runtime.lock
RUN python -m venv /opt/stratigos \
    && /opt/stratigos/bin/pip install --no-cache-dir --require-hashes --no-deps \
        -r /src/requirements-runtime.lock
COPY . /src
RUN /opt/stratigos/bin/pip install --no-cache-dir --no-deps --no-build-isolation /src
# The API's OpenAPI document, kept beside the installed sources (api/warm_openapi.py): a cold
# start reads it instead of building it (a second before a request's body can be checked).
RUN /opt/stratigos/bin/python -P -m api.warm_openapi
# The numeric kernels compiled ahead, for the CPU baseline every host of the images has
# (x86-64-v3: AVX2, as Lambda's x86_64 and every SageMaker Processing instance type), into
# /opt/stratigos/numba-cache, which the final stage's processes link into their empty
# NUMBA_CACHE_DIR at start (quant.compiled.seed_kernel_cache): no request compiles a kernel
# (docs/engine.md "Kernels in the container images").
RUN NUMBA_CACHE_DIR=/opt/stratigos/numba-cache NUMBA_CPU_NAME=x86-64-v3 NUMBA_CPU_FEATURES= \
    /opt/stratigos/bin/python -P -m quant.warm_kernels

FROM rust:1.98.1-slim-trixie@sha256:f47a8de237dcbb0b0ce1099901e60a89728e3d51f24e664b40e947171538ade7 AS adapter
RUN cargo install --locked --root /opt/lambda-adapter lambda_web_adapter --version 0.9.1

FROM python:3.13-slim@sha256:9662417aace5ae7b8e2609cce472b72a8958e134ba372808abe9cc1a0c0125e6
COPY --from=adapter /opt/lambda-adapter/bin/lambda-adapter /opt/extensions/lambda-adapter
COPY --from=build /opt/stratigos /opt/stratigos
ENV PATH=/opt/stratigos/bin:$PATH \
    PORT=8080 \
    AWS_LWA_PORT=8080 \
    AWS_LWA_INVOKE_MODE=response_stream \
    AWS_LWA_READINESS_CHECK_PATH=/v1/health/live \
    AWS_LWA_READINESS_CHECK_MIN_UNHEALTHY_STATUS=300 \
    STRATIGOS_DATA_DIR=/tmp/stratigos \
    STRATIGOS_API_JOB_WORKERS=0 \
    NUMBA_CACHE_DIR=/tmp/numba-cache \
    NUMBA_CPU_NAME=x86-64-v3 \
    NUMBA_CPU_FEATURES="" \
    STRATIGOS_KERNEL_CACHE_SEED=/opt/stratigos/numba-cache \
    MPLCONFIGDIR=/tmp/matplotlib \
    HOME=/tmp \
    PYTHONUNBUFFERED=1 \
    MALLOC_ARENA_MAX=2
WORKDIR /tmp
# An unprivileged user (Lambda runs functions as one of its own in any case).
USER 10001:10001
EXPOSE 8080
CMD ["uvicorn", "api.app:app", "--host", "0.0.0.0", "--port", "8080", "--no-access-log"]
