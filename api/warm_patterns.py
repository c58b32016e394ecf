"""Compile the regular expressions of the offline model and of the ask accounting into their
cache file ahead of first use (`python -m api.warm_patterns`; `make bytecode` runs it, where
bytecode is not written by the processes themselves): the model's rules and the accounting's
phrasings are imported (which compiles their patterns) and a few messages read by the model
(which compiles those made as a message is read), then the programs are written
(`settings.patterns`). A pattern it does not reach is compiled when first used.
"""

from __future__ import annotations

from agents.offline.chat_intent import known_tickers
from agents.offline.intent import parse_intent
from graphs import ask_patterns  # noqa: F401
from settings import patterns

MESSAGES = (
    "what is the 95% CVaR of AAPL and KO since 2019?",
    "build me an HRP portfolio of AAPL, MSFT and JNJ since 2018, at most 40% in any one stock",
    "optimize a vol-targeting strategy for AAPL, MSFT and KO with 300 trials, max drawdown 25%",
    "stress test it for a 20% market drop and the 2008 crisis over the next 3 months",
)
"""Messages whose reading compiles the patterns made while a message is read."""


def main() -> None:
    """Compile and keep the patterns (the ask accounting's were compiled as `ask_patterns` was
    imported)."""
    for message in MESSAGES:
        parse_intent(message, known_tickers())
    patterns.save()


if __name__ == "__main__":
    main()
