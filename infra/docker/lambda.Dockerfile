# Worker, cleanup, ingestion and WebSocket functions: the AWS Lambda Python base image (Amazon
# Linux 2023) with requirements-runtime.lock (every pin hashed, nothing resolved at build time) and
# then Stratigos itself without dependencies. The CDK app sets the handler per function (CMD),
# e.g. jobs.lambda_handlers.sqs_worker.
# Build context: the repository root (see /.dockerignore).
FROM public.ecr.aws/lambda/python:3.13 AS build
COPY requirements-runtime.lock /src/requirements-runtime.lock
RUN pip install --no-cache-dir --require-hashes --no-deps --target /opt/stratigos \
        -r /src/requirements-runtime.lock
COPY . /src
# The build backend (setuptools, pinned in the lock) is imported from what was just installed.
RUN PYTHONPATH=/opt/stratigos pip install --no-cache-dir --no-deps --no-build-isolation \
        --target /opt/stratigos /src

FROM public.ecr.aws/lambda/python:3.13
COPY --from=build /opt/stratigos ${LAMBDA_TASK_ROOT}
# Lambda's file system is read-only except /tmp.
ENV STRATIGOS_DATA_DIR=/tmp/stratigos \
    NUMBA_CACHE_DIR=/tmp/numba-cache \
    MPLCONFIGDIR=/tmp/matplotlib \
    HOME=/tmp
CMD ["jobs.lambda_handlers.sqs_worker"]
