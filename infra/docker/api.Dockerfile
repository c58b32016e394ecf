# The HTTP API on Lambda: uvicorn serving api.app:app on port 8080 behind the AWS Lambda Web
# Adapter (a Lambda extension), which streams responses (AWS_LWA_INVOKE_MODE=response_stream)
# to a REST API with responseTransferMode STREAM or a Function URL with RESPONSE_STREAM.
# Build context: the repository root (see /.dockerignore).
FROM python:3.11-slim AS build
COPY . /src
RUN pip install --no-cache-dir --prefix=/install /src

FROM python:3.11-slim
COPY --from=public.ecr.aws/awsguru/aws-lambda-adapter:0.9.1 /lambda-adapter /opt/extensions/lambda-adapter
COPY --from=build /install /usr/local
ENV PORT=8080 \
    AWS_LWA_PORT=8080 \
    AWS_LWA_INVOKE_MODE=response_stream \
    AWS_LWA_READINESS_CHECK_PATH=/v1/health/live \
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
