"""What the container images run on, in one place: their Python, base images, the Lambda Web
Adapter, and the Lambda runtimes a synthesized template may name.

The images (`infra/docker/*.Dockerfile`) start from `BASE_IMAGES` and install
`requirements-runtime.lock` (every pin hashed, a subset of `requirements.lock`) and then Stratigos
without its dependencies; the tests check the recipes against this module
(`tests/infra/test_images.py`), and `make test` runs the suite on `IMAGE_PYTHON` where the machine
has it. Moving the images to another Python: change `IMAGE_PYTHON`, the `FROM` lines and the
Makefile's `IMAGE_PYTHON` together (docs/DEPLOY.md "Images").
"""

from __future__ import annotations

from datetime import date

IMAGE_PYTHON = "3.13"
"""The newest Python that every runtime dependency publishes wheels for and that the development
machines have (3.14 is a Lambda runtime too, but no development machine can test it yet)."""

OLDEST_PYTHON = "3.11"
"""`requires-python`'s lower bound: the lock resolves for it and its installation is smoke-checked."""

BASE_IMAGES = {
    "api.Dockerfile": f"python:{IMAGE_PYTHON}-slim",
    "lambda.Dockerfile": f"public.ecr.aws/lambda/python:{IMAGE_PYTHON}",
    "processing.Dockerfile": f"python:{IMAGE_PYTHON}-slim",
}
"""Each recipe's base image (build and final stage alike), by tag; the recipes pull it by digest
once `make pins` has pinned them (`infra.pins`, which the deploy workflow checks). The Lambda base
image of Python 3.12 and later runs on Amazon Linux 2023; python:X-slim is Debian's current
stable."""

WEB_ADAPTER = "public.ecr.aws/awsguru/aws-lambda-adapter:1.0.0"
"""The AWS Lambda Web Adapter copied into the API image (1.0.0 of 2026-03-27, its first GA release;
response streaming with AWS_LWA_INVOKE_MODE=response_stream, readiness on AWS_LWA_READINESS_CHECK_*)."""

RUNTIME_LOCK = "requirements-runtime.lock"
"""What the images install, at the repository root."""

LAMBDA_RUNTIME_DEPRECATION = {
    "python3.12": date(2028, 10, 31),
    "python3.13": date(2029, 6, 30),
    "python3.14": date(2029, 6, 30),
    "nodejs22.x": date(2027, 4, 30),
    "nodejs24.x": date(2028, 4, 30),
}
"""Lambda runtimes a template may name (CDK's own helper functions name some), with the date
Lambda deprecates each. Source: the "Supported runtimes" table of
https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html (read 2026-11-25). Python 3.11
(deprecated 2026-06-30, and its image on Amazon Linux 2, end of life 2026-06-30) is not among them."""


def supported_runtime(runtime: str, today: date) -> bool:
    """Whether a Lambda `runtime` identifier is in the table and not yet deprecated on `today`."""
    deprecated = LAMBDA_RUNTIME_DEPRECATION.get(runtime)
    return deprecated is not None and today < deprecated
