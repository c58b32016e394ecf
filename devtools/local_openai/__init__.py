"""An OpenAI-compatible Chat Completions endpoint on loopback, backed by the deterministic offline
model (as `devtools.local_bedrock` is for Bedrock), so the real client path (langchain-openai ->
openai -> HTTP) runs with no network and no key. A test double, not a language model. See
docs/models.md.

    with serve() as server:             # a free port on 127.0.0.1
        ChatOpenAI(base_url=server.url, api_key="not-needed", model="any")

Run it in the foreground with ``python -m devtools.local_openai --port 8766``.
"""

from devtools.local_openai.chat import OpenAIError, parse_chat_request
from devtools.local_openai.server import FAULTS_VARIABLE, LocalOpenAI, serve

__all__ = ["FAULTS_VARIABLE", "LocalOpenAI", "OpenAIError", "parse_chat_request", "serve"]
