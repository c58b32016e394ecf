"""The botocore client configuration of every Bedrock Runtime client (chat models and embeddings).

One definition, so the agents' chat models (`agents.models`) and the research embedder
(`research.bedrock_embeddings`) retry and time out the same way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from settings.config import Settings

if TYPE_CHECKING:
    from botocore.config import Config


def bedrock_config(settings: Settings) -> Config:
    """botocore client configuration: at most `bedrock.max_attempts` attempts per call (the
    first included) in `bedrock.retry_mode` (adaptive by default: exponential backoff on
    throttling and 5xx answers, and a client-side rate limiter that slows down while Bedrock
    throttles), a read timeout of `bedrock.read_timeout` seconds and a connect timeout of at
    most 10 s."""
    from botocore.config import Config  # here: the offline and OpenAI providers never need it

    bedrock = settings.bedrock
    return Config(
        retries={"total_max_attempts": bedrock.max_attempts, "mode": bedrock.retry_mode},
        read_timeout=bedrock.read_timeout,
        connect_timeout=min(10.0, bedrock.read_timeout),
    )


__all__ = ["bedrock_config"]
