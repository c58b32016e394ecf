# SageMaker Processing container for sweep batches: reads shard files from
# /opt/ml/processing/input, writes results to /opt/ml/processing/output (jobs/entrypoint.py).
# Build context: the repository root (see /.dockerignore).
FROM python:3.11-slim AS build
COPY . /src
RUN pip install --no-cache-dir --prefix=/install /src

FROM python:3.11-slim
COPY --from=build /install /usr/local
ENV NUMBA_CACHE_DIR=/tmp/numba-cache \
    PYTHONUNBUFFERED=1
ENTRYPOINT ["python", "-m", "jobs.entrypoint"]
