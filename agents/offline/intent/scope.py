"""Asks outside what the assistant does, answered with what it does instead: placing orders or
trades for the user (it deploys to a paper account, after approval, only), trading live at a
broker Stratigos does not connect to (it deploys to its paper accounts, or to Alpaca once the
owner's Alpaca keys are configured, after approval), instruments the market data does not hold
(crypto, futures, bonds, currencies, commodities: it works on the data's stocks), predicting
a price (it gives the spread of outcomes of scenario paths instead), judging valuation (the
data holds prices only: no earnings, book values or dividends) and option strategies other than
the protection it models (covered calls, straddles, condors: it holds protective puts, put
spreads and collars on a strategy, and prices one option), style groups (value, growth,
dividend or size: the data holds prices and sectors only) and a cash holding's size (the data
holds no cash or bond rates: it points to volatility targeting and stress tests)."""

from __future__ import annotations

from collections.abc import Sequence

from agents.offline.intent.regime_asked import NOT_WHETHER
from settings import patterns

_ORDER = patterns.compile(
    r"\b(?:buy|sell|purchase|short)\s+\d[\d,]*\s+(?:shares?|units?|lots?)\b"
    r"|\b(?:place|submit|execute|send|put in)\s+(?:an?\s+|the\s+|my\s+)?(?:buy\s+|sell\s+)?"
    r"(?:order|trade)s?\b"
    rf"|{NOT_WHETHER}\b(?:buy|sell)\s+(?:some\s+|more\s+)?[a-z.]+\s+(?:for me|now|today"
    r"|right now|at (?:the )?market)\b"
)
_PREDICTION = patterns.compile(
    r"\b(?:what|where) will\s+\S+\s+(?:trade|close|open|be (?:worth|priced|trading)|end)\b"
    r"|\bprice (?:prediction|tomorrow|next (?:week|month))\b|\bpredict (?:the )?(?:price|close)\b"
)

_BROKER_NAMES = {
    "interactive brokers": "Interactive Brokers", "ibkr": "Interactive Brokers",
    "ib": "Interactive Brokers", "schwab": "Schwab", "fidelity": "Fidelity", "etrade": "E*TRADE",
    "e*trade": "E*TRADE", "robinhood": "Robinhood", "my broker": "your broker",
}  # fmt: skip

ORDER_REPLY = (
    "I can't place orders or trade for you: I analyse, build and test portfolios, and can deploy "
    "a strategy or a portfolio to a paper account after your approval (for example 'an HRP "
    "portfolio of AAPL, MSFT and JNJ', then 'deploy it to paper, weekly'). Nothing was traded."
)
PREDICTION_REPLY = (
    "I don't predict prices: I can give the spread of outcomes over simulated market scenarios "
    "(for example 'probability of losing more than 10% over the next month for AAPL'), a stress "
    "test, or what your research says. Nothing was computed."
)


_VALUATION = patterns.compile(
    r"\b(?:over|under)[\s-]?(?:valued|priced)\b|\bfair(?:ly)?[\s-]valued\b|\bfair value\b"
    r"|\bvaluations?\b|\bintrinsic value\b|\bbook value\b|\bp\s*/\s*[ebs]\b|\bpe ratio\b"
    r"|\bprice[\s-]to[\s-](?:earnings|book|sales)\b|\bearnings (?:per share|growth|yield|multiple)"
    r"|\beps\b|\bdcf\b|\b(?:cheap|expensive) (?:stock|right now|now|here)\b|\bcheap or expensive\b"
)
VALUATION_REPLY = (
    "I can't judge valuation: the market data holds prices only (no earnings, book values, sales "
    "or dividends), so I can't say whether a stock is over- or undervalued or give a P/E. What "
    "its prices can tell: its return, volatility, drawdown and Sharpe ratio over a window (for "
    "example 'how has {example} done since 2018?'), or whether its recent move is unusual for "
    "it. Nothing was computed."
)
_DIVIDENDS = patterns.compile(
    r"\bdividends?\s+(?:yields?|income|payouts?|payments?|per share|growth|history|dates?)\b"
    r"|\byields?\s+(?:of|on)\s+(?:the\s+)?dividends?\b|\bpayout ratio\b|\bex-?dividend\b"
    r"|\b(?:how much|what)\b[^.?!]{0,40}\bpa(?:y|ys|id)\b[^.?!]{0,20}\bdividends?\b"
)
DIVIDENDS_REPLY = (
    "I can't give dividends: the market data holds daily closing prices only, no dividend "
    "records, so there is no yield, payout or income to read. With adjusted closes (the shipped "
    "data's), the returns I give include the dividends reinvested (for example 'how has "
    "{example} done since 2018?'). Nothing was computed."
)

_BROKERS = (
    r"interactive brokers|ibkr|\bib\b|schwab|fidelity|e\*?trade|robinhood|td ameritrade|vanguard"
    r"|saxo|degiro|tradestation|webull|merrill|morgan stanley|goldman|ig markets|etoro|tastytrade"
    r"|my broker"
)
_UNSUPPORTED_BROKER = patterns.compile(
    rf"\b(?:put|deploy|run|trade|move|send|go|launch|execute|place|connect)\b[^.?!]*\b(?:{_BROKERS})"
    rf"|\b(?:{_BROKERS})\b[^.?!]*\b(?:account|live|deploy|trade|trading)\b"
)
_INSTRUMENTS = (
    r"bitcoin|btc|ethereum|eth|crypto\w*|futures?|treasur(?:y|ies)|t-bills?|bonds?|forex|\bfx\b"
    r"|currenc(?:y|ies)|commodit(?:y|ies)|gold|silver|oil futures|swaps?|cfds?|warrants?"
)
_UNHELD = patterns.compile(
    r"\b(?:buy|sell|short|add|include|hold|trade|allocate(?: to)?|invest in|put|build|portfolio of"
    rf"|mix of|basket of|with)\b[^.?!]*?\b({_INSTRUMENTS})\b"
)

BROKER_REPLY = (
    "I can't put a portfolio on a live account at {broker}: Stratigos trades through its own "
    "paper accounts and through Alpaca (your own Alpaca account, its paper endpoint by default, "
    "once your Alpaca keys are configured), and nothing reaches a broker before you approve it. "
    "What I can do: deploy the portfolio to a paper account on a schedule ('deploy it to paper, "
    "weekly'), or to Alpaca once it is configured, and you approve the deployment before it "
    "runs. Nothing was deployed."
)
INSTRUMENT_REPLY = (
    "I can't work with {instrument}: Stratigos's market data holds stocks (the embedded data's 20 "
    "S&P 500 stocks, your own price files, or Alpaca's stocks once configured), with option "
    "overlays on them in a strategy search. I can build, measure and backtest portfolios of "
    "those stocks instead. Nothing was computed."
)


_OPTION_STRATEGY = patterns.compile(
    r"\bcovered[\s-]calls?\b|\bbuy[\s-]writes?\b|\bstraddles?\b|\bstrangles?\b"
    r"|\biron[\s-](?:condors?|butterfl\w+)\b|\bcondors?\b|\bcall[\s-]spreads?\b"
    r"|\bcash[\s-]secured\s+puts?\b|\bnaked\s+(?:puts?|calls?)\b|\bwheel\s+strategy\b"
)
_MEANING = patterns.compile(r"^\W*(?:what(?:'s|\s+is|\s+are)|explain|define|meaning)\b")
OPTION_STRATEGY_REPLY = (
    "I can't run {strategy}s: the options Stratigos models are protection on a strategy's "
    "stocks, bought and rolled along its backtests, searches and paper deployments: protective "
    "puts, put spreads and collars (a put bought with a call sold above the price, for example "
    "'backtest a 10% target-vol strategy on AAPL and KO with a 90% put and a 110% call'). I "
    "can also price one put or call ('what would a 3-month 105% call on AAPL cost?'). Nothing "
    "was computed."
)


_STYLE = patterns.compile(
    r"\b(value|growth|quality|dividend|small[\s-]?caps?|mid[\s-]?caps?|large[\s-]?caps?)"
    r"(?:\s+(?:stocks?|names|shares|companies|equities|factor|style|investing)|\s*(?:vs\.?|versus)"
    r"\s+(?:value|growth))\b|\b((?:small|mid|large|mega)[\s-]?caps)\b"
)
_STYLE_NAMES = {"value": "value or growth", "growth": "value or growth", "quality": "quality",
                "dividend": "dividends"}  # fmt: skip
STYLE_REPLY = (
    "I can't group stocks by {style}: the market data holds each stock's prices and sector, not "
    "value or growth measures, company sizes or dividends. What I can compare instead: sectors "
    "at equal weights (for example 'compare tech vs staples in 2022'), or stocks ranked by what "
    "their prices show (for example 'which stocks had the lowest beta in 2022?'). Nothing was "
    "computed."
)

_CASH_SIZED = patterns.compile(
    r"\bhow much cash\s+(?:should|do|must|to)\s+(?:i|we)?\s*(?:hold|keep|have)\b"
    r"|\b(?:what|which)\s+(?:share|percentage|proportion|part|fraction)\s+(?:of\s+\w+\s+)?"
    r"(?:should|do|would)\s+(?:i|we)\s+(?:hold|keep|have)\s+in\s+cash\b"
    r"|\bhow much\s+(?:should|do)\s+(?:i|we)\s+(?:hold|keep|have)\s+in\s+cash\b"
    r"|\b(?:right|ideal|optimal|best)\s+(?:cash\s+(?:allocation|level|buffer|weight|holding)"
    r"|amount of cash)\b"
)
"""A cash holding to be sized ("how much cash should I hold?", "what percentage should I keep in
cash?", "the right cash allocation"); with stocks or a number said ("how much cash should I hold
to keep vol under 10% with AAPL and MSFT?") it is a volatility-targeting search, not this."""
_NUMBER = patterns.compile(r"\d")
CASH_REPLY = (
    "I can't size a cash holding for you: the market data holds stocks only, with no cash, bond "
    "or deposit rates, and the right cash share depends on your needs and horizon. What I can "
    "show: a volatility-targeting strategy scales its stocks to a target volatility and holds the "
    "rest in cash (for example 'search a 10% target-vol strategy on AAPL, KO and JNJ'), and a "
    "stress test says how far a portfolio would fall (for example 'stress test 60% AAPL 40% KO "
    "in the covid crash'), which is what a cash buffer would have to cover. Nothing was computed."
)

_BROKER = patterns.compile(_BROKERS)
_INSTRUMENT = patterns.compile(rf"\b(?:{_INSTRUMENTS})\b")


def out_of_scope(text: str, tickers: Sequence[str] = ()) -> str | None:
    """The reply to an order, a live account at a broker Stratigos does not connect to, an
    instrument its data does not hold, dividends, a price prediction, a valuation or an option strategy
    it does not model asked in `text` (None
    for any other ask); `tickers`: the stocks of the data it names (the first is the example)."""
    low = " ".join(text.lower().split())
    if (broker := _UNSUPPORTED_BROKER.search(low)) is not None:
        name = _BROKER.search(broker.group(0))
        return BROKER_REPLY.format(
            broker=_BROKER_NAMES.get(name.group(0), name.group(0)) if name else "that broker"
        )
    if (held := _UNHELD.search(low)) is not None:
        named = dict.fromkeys(_INSTRUMENT.findall(low[held.start(1) :]))
        return INSTRUMENT_REPLY.format(instrument=" and ".join(named))
    if _ORDER.search(low):
        return ORDER_REPLY
    if _VALUATION.search(low):
        return VALUATION_REPLY.format(example=tickers[0] if tickers else "MSFT")
    if _DIVIDENDS.search(low):
        return DIVIDENDS_REPLY.format(example=tickers[0] if tickers else "KO")
    if _PREDICTION.search(low):
        return PREDICTION_REPLY
    if (style := _STYLE.search(low)) is not None and not _MEANING.search(low):
        word = style.group(1) or "cap"
        return STYLE_REPLY.format(style=_STYLE_NAMES.get(word, "company size"))
    if _CASH_SIZED.search(low) and not tickers and not _NUMBER.search(low):  # no vol target
        return CASH_REPLY  # "what's the right cash allocation?" asks for a size
    if (strategy := _OPTION_STRATEGY.search(low)) is not None and not _MEANING.search(low):
        kind = " ".join(strategy.group(0).replace("-", " ").split()).removesuffix("s")
        return OPTION_STRATEGY_REPLY.format(strategy=kind)
    return None
