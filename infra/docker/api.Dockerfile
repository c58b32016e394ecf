# The HTTP API on Lambda: uvicorn serving api.app:app on port 8080 behind the AWS Lambda Web
# Adapter 1.x (a Lambda extension), which streams responses (AWS_LWA_INVOKE_MODE=response_stream)
# to a REST API with responseTransferMode STREAM or a Function URL with RESPONSE_STREAM.
# Installs requirements-runtime.lock (every pin hashed, nothing resolved at build time), then
# Stratigos itself without dependencies (docs/DEPLOY.md "Images").
# Build context: the repository root (see /.dockerignore).
FROM python:3.13-slim@sha256:9662417aace5ae7b8e2609cce472b72a8958e134ba372808abe9cc1a0c0125e6 AS build
COPY requirements-runtime.lock /src/requirements-runtime.lock
RUN python -m venv /opt/stratigos \
    && /opt/stratigos/bin/pip install --no-cache-dir --require-hashes --no-deps \
        -r /src/requirements-runtime.lock
COPY . /src
RUN /opt/stratigos/bin/pip install --no-cache-dir --no-deps --no-build-isolation /src

FROM python:3.13-slim@sha256:9662417aace5ae7b8e2609cce472b72a8958e134ba372808abe9cc1a0c0125e6
COPY --from=public.ecr.aws/awsguru/aws-lambda-adapter:1.0.0 /lambda-adapter /opt/extensions/lambda-adapter
COPY --from=build /opt/stratigos /opt/stratigos
ENV PATH=/opt/stratigos/bin:$PATH \
    PORT=8080 \
    AWS_LWA_PORT=8080 \
    AWS_LWA_INVOKE_MODE=response_stream \
    AWS_LWA_READINESS_CHECK_PATH=/v1/health/live \
    AWS_LWA_READINESS_CHECK_HEALTHY_STATUS=200-299 \
    STRATIGOS_DATA_DIR=/tmp/stratigos \
    STRATIGOS_API_JOB_WORKERS=0 \
    NUMBA_CACHE_DIR=/tmp/numba-cache \
    MPLCONFIGDIR=/tmp/matplotlib \
    HOME=/tmp \
    PYTHONUNBUFFERED=1 \
    MALLOC_ARENA_MAX=2
WORKDIR /tmp
EXPOSE 8080
CMD ["uvicorn", "api.app:app", "--host", "0.0.0.0", "--port", "8080", "--no-access-log"]
