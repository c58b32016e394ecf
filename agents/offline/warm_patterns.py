"""Compile the offline model's regular expressions into their cache file ahead of first use
(`python -m agents.offline.warm_patterns`; `make bytecode` runs it, where bytecode is not written
by the processes themselves): its rules are imported (which compiles their patterns) and a few
messages read (which compiles those made as a message is read), then the programs are written
(`agents.offline.patterns`). A pattern it does not reach is compiled when first used.
"""

from __future__ import annotations

from agents.offline import patterns
from agents.offline.chat_intent import known_tickers
from agents.offline.intent import parse_intent

MESSAGES = (
    "what is the 95% CVaR of AAPL and KO since 2019?",
    "build me an HRP portfolio of AAPL, MSFT and JNJ since 2018, at most 40% in any one stock",
    "optimize a vol-targeting strategy for AAPL, MSFT and KO with 300 trials, max drawdown 25%",
    "stress test it for a 20% market drop and the 2008 crisis over the next 3 months",
)
"""Messages whose reading compiles the patterns made while a message is read."""


def main() -> None:
    """Compile and keep the patterns."""
    for message in MESSAGES:
        parse_intent(message, known_tickers())
    patterns.save()


if __name__ == "__main__":
    main()
