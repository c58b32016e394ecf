# Worker, cleanup and WebSocket functions: the AWS Lambda Python base image with the project
# installed. The CDK app sets the handler per function (CMD), e.g. jobs.lambda_handlers.sqs_worker.
# Build context: the repository root (see /.dockerignore).
FROM public.ecr.aws/lambda/python:3.11 AS build
COPY . /src
RUN pip install --no-cache-dir --target /opt/stratigos /src

FROM public.ecr.aws/lambda/python:3.11
COPY --from=build /opt/stratigos ${LAMBDA_TASK_ROOT}
# Lambda's file system is read-only except /tmp.
ENV STRATIGOS_DATA_DIR=/tmp/stratigos \
    NUMBA_CACHE_DIR=/tmp/numba-cache \
    MPLCONFIGDIR=/tmp/matplotlib \
    HOME=/tmp
CMD ["jobs.lambda_handlers.sqs_worker"]
