"""A Bedrock Runtime-compatible endpoint on loopback, backed by the deterministic offline model.

It speaks Bedrock's wire format (Converse JSON and ConverseStream event streams, and
InvokeModel for Titan Text Embeddings V2, answered by the offline embedder) so the real client
path (langchain-aws -> boto3 -> HTTP) runs with no network and no credentials. It is a test
double answered by the offline rules engine, not a language model. See docs/local-bedrock.md.

    with serve() as bedrock:            # a free port on 127.0.0.1
        client = boto3.client("bedrock-runtime", endpoint_url=bedrock.url, ...)

Run it in the foreground with ``python -m devtools.local_bedrock --port 8765``.
"""

from devtools.local_bedrock.converse import BedrockError, identify_role, parse_request
from devtools.local_bedrock.eventstream import decode_message, encode_event, encode_message
from devtools.local_bedrock.server import LocalBedrock, serve

__all__ = [
    "BedrockError",
    "LocalBedrock",
    "decode_message",
    "encode_event",
    "encode_message",
    "identify_role",
    "parse_request",
    "serve",
]
