# SageMaker Processing container for sweep batches: reads shard files from
# /opt/ml/processing/input, writes results to /opt/ml/processing/output (jobs/entrypoint.py).
# Installs requirements-runtime.lock (every pin hashed, nothing resolved at build time), then
# Stratigos itself without dependencies.
# Build context: the repository root (see /.dockerignore).
FROM python:3.13-slim AS build
COPY requirements-runtime.lock /src/requirements-runtime.lock
RUN python -m venv /opt/stratigos \
    && /opt/stratigos/bin/pip install --no-cache-dir --require-hashes --no-deps \
        -r /src/requirements-runtime.lock
COPY . /src
RUN /opt/stratigos/bin/pip install --no-cache-dir --no-deps --no-build-isolation /src

FROM python:3.13-slim
COPY --from=build /opt/stratigos /opt/stratigos
ENV PATH=/opt/stratigos/bin:$PATH \
    NUMBA_CACHE_DIR=/tmp/numba-cache \
    PYTHONUNBUFFERED=1
ENTRYPOINT ["python", "-m", "jobs.entrypoint"]
