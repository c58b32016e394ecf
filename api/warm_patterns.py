"""Compile the regular expressions of the offline model and of the ask accounting into their
cache file ahead of first use (`python -m api.warm_patterns`; `make bytecode` runs it, where
bytecode is not written by the processes themselves): the model's rules (every module of
`agents.offline`) and the accounting's phrasings are imported (which compiles their patterns),
and a few messages are read by the model, routed and drafted as the chat decides, and read for
their items by the ask accounting (which compiles those made as a message is read: the weights'
patterns of the data's tickers, the tools' schema words, the vocabulary's words), then the
programs of the patterns this process used are written (`settings.patterns`; those of patterns
since edited away are dropped). A pattern it does not reach is compiled when first used.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from langchain_core.messages import HumanMessage

import agents.offline  # noqa: F401  (every rule: their patterns are compiled on import)
from agents.chat import draft_request, route_message
from agents.offline.chat_intent import known_tickers
from agents.offline.intent import parse_intent
from graphs import ask_check  # noqa: F401  (the ask accounting: its phrasings)
from graphs.ask_items import ask_items
from graphs.ask_vocabulary import vocabulary
from settings import Settings, patterns
from settings.groups.models import ModelSettings

MESSAGES = (
    "what is the 95% CVaR of AAPL and KO since 2019?",
    "build me an HRP portfolio of AAPL, MSFT and JNJ since 2018, at most 40% in any one stock",
    "optimize a vol-targeting strategy for AAPL, MSFT and KO with 300 trials, max drawdown 25%",
    "stress test it for a 20% market drop and the 2008 crisis over the next 3 months",
)
"""Messages whose reading compiles the patterns made while a message is read."""


def read(message: str, settings: Settings) -> None:
    """Read `message` as a new process's chat does: its intent, the supervisor's routing and the
    optimizer's draft (the offline model of `settings`), and its items (the ask accounting)."""
    parse_intent(message, known_tickers())
    ask_items(message, vocabulary(settings))
    route_message([HumanMessage(message)], settings=settings)
    draft_request([HumanMessage(message)], settings=settings)


def main() -> None:
    """Compile and keep the patterns (on a throwaway data directory, with the offline model)."""
    with tempfile.TemporaryDirectory() as directory:
        settings = Settings(data_dir=Path(directory), models=ModelSettings(provider="offline"))
        for message in MESSAGES:
            read(message, settings)
    patterns.save(used_only=True)


if __name__ == "__main__":
    main()
