# SageMaker Processing container for sweep batches: reads shard files from
# /opt/ml/processing/input, writes results to /opt/ml/processing/output (jobs/entrypoint.py).
# Installs requirements-runtime.lock (every pin hashed, nothing resolved at build time), then
# Stratigos itself without dependencies.
# Build context: the repository root (see /.dockerignore).
FROM python:3.13-slim@sha256:9662417aace5ae7b8e2609cce472b72a8958e134ba372808abe9cc1a0c0125e6 AS build
COPY requirements-runtime.lock /src/requirements-runtime.lock
RUN python -m venv /opt/stratigos \
    && /opt/stratigos/bin/pip install --no-cache-dir --require-hashes --no-deps \
        -r /src/requirements-runtime.lock
COPY . /src
RUN /opt/stratigos/bin/pip install --no-cache-dir --no-deps --no-build-isolation /src

FROM python:3.13-slim@sha256:9662417aace5ae7b8e2609cce472b72a8958e134ba372808abe9cc1a0c0125e6
COPY --from=build /opt/stratigos /opt/stratigos
ENV PATH=/opt/stratigos/bin:$PATH \
    NUMBA_CACHE_DIR=/tmp/numba-cache \
    PYTHONUNBUFFERED=1
ENTRYPOINT ["python", "-m", "jobs.entrypoint"]
