"""What the container images run on, in one place: their Python, base images and the digests
they are pulled by, the Lambda Web Adapter, and the Lambda runtimes a synthesized template may name.

The images (`infra/docker/*.Dockerfile`) start from `BASE_IMAGES`, each pulled by its digest in
`BASE_DIGESTS`, and install `requirements-runtime.lock` (every pin hashed, a subset of
`requirements.lock`) and then Stratigos without its dependencies; the API image builds the Web
Adapter from its published source (`WEB_ADAPTER_CRATE`). The tests check the recipes against this
module (`tests/infra/test_images.py`), and `make test` runs the suite on `IMAGE_PYTHON` where the
machine has it. Moving the images to another Python: change `IMAGE_PYTHON`, `BASE_DIGESTS`, the
`FROM` lines and the Makefile's `IMAGE_PYTHON` together (docs/DEPLOY.md "Images").
"""

from __future__ import annotations

from datetime import date

IMAGE_PYTHON = "3.13"
"""The newest Python that every runtime dependency publishes wheels for and that the development
machines have (3.14 is a Lambda runtime too, but no development machine can test it yet)."""

OLDEST_PYTHON = "3.11"
"""`requires-python`'s lower bound: the lock resolves for it and its installation is smoke-checked."""

PYTHON_BASE = f"python:{IMAGE_PYTHON}-slim"
"""Every image's Python (build and final stages): Docker's official image, Debian's current stable
(trixie) with CPython built from python.org's release."""

ADAPTER_BUILDER = "rust:1.98.1-slim-trixie"
"""The build stage of the Web Adapter: Docker's official Rust image on the Debian release of
`PYTHON_BASE`, so that the binary it links against glibc runs in the API image."""

BASE_IMAGES = {
    "api.Dockerfile": (PYTHON_BASE, ADAPTER_BUILDER, PYTHON_BASE),
    "lambda.Dockerfile": (PYTHON_BASE, PYTHON_BASE),
    "processing.Dockerfile": (PYTHON_BASE, PYTHON_BASE),
}
"""Each recipe's `FROM` images in order, by tag (no other image is pulled: the functions run
on `PYTHON_BASE` with AWS's runtime interface client, and the adapter is built, not copied from
a registry this project cannot check)."""

BASE_DIGESTS = {
    PYTHON_BASE: "sha256:9662417aace5ae7b8e2609cce472b72a8958e134ba372808abe9cc1a0c0125e6",
    ADAPTER_BUILDER: "sha256:f47a8de237dcbb0b0ce1099901e60a89728e3d51f24e664b40e947171538ade7",
}
"""The digest each base is pulled by: the image index (every platform; the build pulls the
linux/amd64 image it lists). Source: Docker's record of its official images,
github.com/docker-library/repo-info, `repos/python/remote/3.13-slim.md` at commit 2986dca3
(Python 3.13.14 on Debian trixie, built 2026-08-05) and `repos/rust/remote/1.98.1-slim-trixie.md`
at commit 1543896b (Rust 1.98.1 on Debian trixie, built 2026-09-19). `make pins` moves the
recipes to the digests the registry gives their tags now; record each new digest here with its
source (the tests compare the recipes with this table)."""

WEB_ADAPTER_CRATE = ("lambda_web_adapter", "0.9.1")
"""The AWS Lambda Web Adapter the API image builds (`cargo install --locked`: the crate's own
Cargo.lock, every dependency checked against crates.io's checksums) into
/opt/extensions/lambda-adapter (its binary `lambda-adapter`). 0.9.1 (2025-04-23) is the newest
release published on crates.io that this project could read; the 1.x releases are published as
images on public.ecr.aws, which no machine of this project reaches, so their digests could not be
checked. 0.9.1 streams responses (AWS_LWA_INVOKE_MODE=response_stream) and reads the readiness
settings AWS_LWA_READINESS_CHECK_PATH and AWS_LWA_READINESS_CHECK_MIN_UNHEALTHY_STATUS (1.0
replaced the latter by AWS_LWA_READINESS_CHECK_HEALTHY_STATUS)."""

RUNTIME_LOCK = "requirements-runtime.lock"
"""What the images install, at the repository root."""

WS_HANDLER = "api.ws_gateway.handler"
WORKER_HANDLER = "jobs.lambda_handlers.sqs_worker"
INGEST_HANDLER = "api.market_data_ingest.handler"
CLEANUP_HANDLER = "jobs.lambda_handlers.cleanup"
FUNCTION_HANDLERS = (WS_HANDLER, WORKER_HANDLER, INGEST_HANDLER, CLEANUP_HANDLER)
"""The handlers the functions' image runs (its `CMD`, set per function by the stacks: the
WebSocket API's, the job worker's, the market data's ingest and the cleanup), here apart from
the stacks so that what reads them needs no CDK."""

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
