"""Questions about what a word of finance means, not asks to compute it: "what is a Sharpe
ratio?", "what does max drawdown mean", "explain CVaR", "how is the Sortino ratio calculated?",
"what's the difference between HRP and risk parity?". They are answered from the glossary
(docs/glossary.md, through `services.guide`), never turned into a computation.

`concepts_asked(text, stocks, run)` gives the glossary's headings a message asks about, in the
order it names them, or () when it is not such a question: it must be framed as one (`_FRAME`)
and say nothing besides the terms and the words of the frame (no stock, portfolio, window,
number or other subject: "what is the Sharpe ratio of AAPL?" computes one). In a conversation
that worked on stocks or a portfolio (`stocks`) or ran a strategy search (`run`), "what is the
max drawdown?" asks for theirs (`PORTFOLIO_TERMS`), "what is the lookback?" for the run's
(`RUN_TERMS`), and "vs min vol?" builds and compares (`METHOD_TERMS`); "what is a max
drawdown?", "what does max drawdown mean?", "how is the Sortino ratio calculated?" and "what's
the difference between VaR and CVaR?" ask what the words are either way.

"What does that mean?" or "I don't understand" (`asks_what_it_meant`) asks what the words of the
previous answer mean: `terms_in` finds them there, at most `MOST_TERMS_EXPLAINED`.
"""

from __future__ import annotations

from settings import patterns

__all__ = [
    "GLOSSARY_TERMS",
    "MOST_TERMS_EXPLAINED",
    "asks_what_it_meant",
    "concepts_asked",
    "terms_in",
]

GLOSSARY_TERMS: tuple[tuple[str, str], ...] = (
    ("Deflated Sharpe ratio", r"deflated sharpe(?: ratios?)?|dsr"),
    ("Maximum Sharpe", r"max(?:imum)?[\s-]sharpe(?: (?:ratio )?portfolios?)?|tangency portfolios?"),
    ("Sharpe ratio", r"sharpe(?: ratios?)?"),
    ("Sortino ratio", r"sortino(?: ratios?)?"),
    ("Calmar ratio", r"calmar(?: ratios?)?"),
    ("Downside deviation", r"downside (?:deviation|risk|volatility|vol)|semi[\s-]?deviation"),
    ("Drawdown duration", r"drawdown (?:duration|length)|time under ?water"),
    ("Maximum drawdown", r"(?:max(?:imum)?\s+)?draw[\s-]?downs?|mdd"),
    ("CVaR (expected shortfall)",
     r"c-?vars?|conditional value[\s-]at[\s-]risk|expected shortfall"),
    ("Value at risk (VaR)", r"vars?|value[\s-]at[\s-]risk"),
    ("Volatility targeting",
     r"vol(?:atility)?[\s-]target(?:ing|s)?|target(?:ing|ed)?[\s-]vol(?:atility)?"),
    ("Inverse volatility", r"inverse[\s-]vol(?:atility)?"),
    ("Minimum volatility",
     r"min(?:imum)?[\s-](?:vol(?:atility)?|variance)(?: portfolios?)?"),
    ("Volatility", r"vol(?:atility)?|standard deviation"),
    ("Total return", r"total returns?|cumulative returns?"),
    ("Annualised return", r"annuali[sz]ed returns?|arithmetic (?:mean )?returns?"),
    ("CAGR", r"cagr|compound(?:ed)? annual growth(?: rate)?"),
    ("Beta", r"betas?"),
    ("Correlation", r"correlations?"),
    ("Skewness", r"skew(?:ness)?"),
    ("Kurtosis", r"(?:excess )?kurtosis|fat(?:ter|test)? tails"),
    ("Risk contributions", r"risk contributions?|contributions? to risk"),
    ("Hierarchical Risk Parity (HRP)", r"hrp|hierarchical risk parity"),
    ("Risk parity", r"risk[\s-]parity|equal risk contributions?"),
    ("Mean-variance and the efficient frontier",
     r"mean[\s-]variance(?: optimi[sz]ation)?|(?:the )?efficient frontier|markowitz"),
    ("Lookback", r"look[\s-]?backs?(?: windows?| periods?)?"),
    ("Rebalancing", r"rebalanc(?:ing|es?)"),
    ("Turnover", r"turnover"),
    ("Market regimes and scenarios", r"(?:market )?regimes?|(?:market )?scenarios?"),
    ("Monte Carlo paths (block bootstrap)",
     r"monte[\s-]carlo(?: simulations?| paths?)?|(?:block )?bootstrap(?:ping)?"),
    ("Stress test", r"stress[\s-]?test(?:s|ing)?"),
    ("Backtest", r"back[\s-]?test(?:s|ing)?"),
    ("Forward test", r"forward[\s-]?test(?:s|ing)?"),
    ("Put spread", r"put spreads?"),
    ("Protective put", r"protective puts?"),
    ("Collar", r"collars?"),
    ("Option strategies Stratigos does not run",
     r"covered[\s-]calls?|buy[\s-]writes?|straddles?|strangles?|(?:iron[\s-])?condors?"
     r"|call[\s-]spreads?"),
    ("TPE (hyperparameter search)",
     r"tpe|tree[\s-]structured parzen(?: estimators?)?|hyper[\s-]?parameter (?:search|tuning)"),
    ("Strategy model (warm start)", r"strategy model|warm[\s-]starts?"),
)  # fmt: skip
"""Each heading of docs/glossary.md with the words that name it, most specific first (a longer
name is tried before a shorter one at the same place: "max Sharpe" before "Sharpe")."""

_TERM = patterns.compile(
    r"\b(?:"
    + "|".join(f"(?P<t{k}>{words})" for k, (_, words) in enumerate(GLOSSARY_TERMS))
    + r")\b"
)
_LEAD_IN = patterns.compile(
    r"^(?:(?:so|ok|okay|hmm|sorry|and|hey|hi|hello|thanks|thank you|thx|ty|cheers|great|cool"
    r"|nice|perfect|awesome|alright|all right|got it|understood|sure|right|quick question"
    r"|one more (?:thing|question))\b\W*)+"
)
"""Words before a question that are not part of it: an acknowledgement of the last answer
("thanks, what does drawdown mean?", "perfect, thank you. what is VaR?"), "so", "quick
question". Taken off before a meaning question is read."""
_FRAME = patterns.compile(
    r"^(?:(?:can|could) (?:you|u) "
    r"(?:please )?)?(?:what|whats|explain|define|describe|tell me|how|meaning|definition"
    r"|difference|the (?:meaning|definition|difference)|why (?:does|do|is|are))\b"
    r"|\b(?:mean|means|meaning|stand for|stands for|defined|definition|vs|versus)\b"
)
"""How a question about a word's meaning is put (at its start, or "... mean?")."""
_SAYS_MEANING = patterns.compile(
    r"\b(?:mean|means|meaning|stand for|stands for|define|defined|definition|calculated"
    r"|computed|measured|worked out|calculate|compute)\b|^what(?:'s|s| is| are) (?:an?|meant by)\b"
    r"|\bwhat do you mean by\b|\bexplain what\b|\bhow (?:does|do) .{1,60} work\b"
    r"|\bin (?:plain english|simple terms|simple words|layman'?s terms)\b|\bwhy .{1,60} matters?\b"
    r"|\bdifferences? between\b"
)
"""A question that asks what a word is, however the conversation stands."""
_COMPARES = patterns.compile(
    r"\b(?:vs\.?|versus|or|compared?|comparison|difference|differences|different|differ"
    r"|better|worse|prefer|instead)\b"
)
"""A comparison: in a conversation with a subject, of its portfolios ("vs min vol?")."""
_DIFFERENCE_IN = patterns.compile(
    r"\bdifferences? in (?:the |their |its )?(?:vol\w*|returns?|sharpe|sortino|draw[\s-]?downs?"
    r"|risk|beta|correlations?|c?var|performance|cagr|weights?)\b"
)
"""A difference in a measure ("the difference in volatility between HRP and risk parity")."""
_FILLER = patterns.compile(
    r"\b(?:what|whats|what's|is|are|does|do|did|explain|define|describe|tell|me|us|about"
    r"|the|a|an|of|definition|meaning|meant|by|mean|means|stand|stands|for|how|calculated"
    r"|computed|measured|defined|worked|out|calculate|compute|measure|you|exactly|again"
    r"|please|pls|plz|simply|briefly|quickly|in|simple|plain|english|words|terms|layman's"
    r"|laymans|difference|differences|between|and|or|vs|versus|different|differ|differs|from"
    r"|compared|compare|to|with|work|works|can|could|quick|short|one|sentence|sentences"
    r"|term|concept|idea|ratio|measure|metric|statistic|stat|stats|thing|things"
    r"|so|ok|okay|hey|hi|then|actually|really|just|when|people|talk|say|says|said|here"
    r"|stratigos|why|matter|matters|important|good|bad|high|low|higher|lower|negative|positive"
    r"|typical|normal|annuali[sz]ed|historical|daily|reali[sz]ed|rolling|question)\b"
    r"|[?.!,:;'\"()-]"
)
"""What a meaning question may hold besides its terms ("in plain English", "a good ...")."""
_OF_THE_TERM = patterns.compile(
    r"\b(?:how (?:is|are|do you) (?:it|they|that) (?:calculated|computed|defined|measured"
    r"|worked out|calculate|compute|measure)|what does (?:it|that) (?:mean|measure)"
    r"|why does it matter)\b"
)
"""Words about the term just named ("what is VaR and how is it calculated?"); any other "it" is
something of the conversation's ("how does it compare with max Sharpe?")."""
_CONTRACTION = patterns.compile(r"'(?:s|re|m|ve|d|ll)\b")
_POSSESSIVE = patterns.compile(r"\b(?:my|our|its|their|his|her|your)\b")
PORTFOLIO_TERMS = frozenset(
    {
        "Sharpe ratio", "Sortino ratio", "Calmar ratio", "Downside deviation", "Maximum drawdown",
        "Drawdown duration", "CVaR (expected shortfall)", "Value at risk (VaR)", "Volatility",
        "Total return", "Annualised return", "CAGR", "Beta", "Correlation", "Skewness",
        "Kurtosis", "Risk contributions",
    }
)  # fmt: skip
"""Figures a portfolio, a stock or a run has: "what is the volatility?" after a build asks for
the build's."""
RUN_TERMS = frozenset(
    {
        "Lookback", "Rebalancing", "Turnover", "Deflated Sharpe ratio", "Volatility targeting",
        "Market regimes and scenarios",
    }
)  # fmt: skip
"""Figures only a strategy search has: "what is the lookback?" after one asks for its winner's."""
METHOD_TERMS = frozenset(
    {
        "Hierarchical Risk Parity (HRP)", "Risk parity", "Inverse volatility",
        "Minimum volatility", "Maximum Sharpe", "Mean-variance and the efficient frontier",
    }
)  # fmt: skip
"""Ways to build a portfolio: set side by side in a conversation with stocks ("vs min vol?"),
they are built and compared."""
_CURRENT_REGIME = patterns.compile(r"\bthe (?:current |market |present )?regime\b")
""""What is the market regime?" asks for today's (the market read), not what a regime is."""


def concepts_asked(text: str, stocks: bool = False, run: bool = False) -> tuple[str, ...]:
    """The glossary headings `text` asks the meaning of (see the module docstring), in the order
    named, each once; () when it asks something else. `stocks`: the conversation worked on
    stocks or a portfolio; `run`: a strategy search of it finished (what a bare "what is the max
    drawdown?" or "what is the lookback?" would be about)."""
    low = _question_of(text)
    if not _FRAME.search(low) or _POSSESSIVE.search(low):
        return ()
    found: list[str] = []
    rest = []
    last = 0
    for match in _TERM.finditer(low):
        heading = GLOSSARY_TERMS[int(str(match.lastgroup)[1:])][0]
        if heading not in found:
            found.append(heading)
        rest.append(low[last : match.start()])
        last = match.end()
    rest.append(low[last:])
    left = _CONTRACTION.sub(" ", _OF_THE_TERM.sub(" ", " ".join(rest)))
    if not found or _FILLER.sub(" ", left).strip():
        return ()  # no term, or something besides the terms (a stock, a window, a number)
    if _DIFFERENCE_IN.search(low):
        return ()  # "the difference in volatility between HRP and risk parity": computed
    if _SAYS_MEANING.search(low):
        return tuple(found)
    if _CURRENT_REGIME.search(low):
        return ()  # today's regime: the market read
    terms = set(found)
    if ((stocks or run) and terms & PORTFOLIO_TERMS) or (run and terms & RUN_TERMS):
        return ()  # "what is the max drawdown?" after a build, "the lookback?" after a search
    if stocks and _COMPARES.search(low) and terms & METHOD_TERMS:
        return ()  # "vs min vol?" after a build: built and compared
    return tuple(found)


MOST_TERMS_EXPLAINED = 5
"""The most words of a previous answer that "what does that mean?" explains."""
_WHAT_IT_MEANT = patterns.compile(
    r"^(?:what (?:does|do) (?:that|this|it|these|those|all that)"
    r"(?: numbers?| terms?| words?| figures?| results?)? (?:all )?mean|what do you mean"
    r"|i (?:don'?t|do not) (?:understand|get it|get that|follow)"
    r"|(?:can you |could you )?(?:explain|say) (?:that|this|these|those|it)(?: numbers| terms)? "
    r"(?:in plain english|in simple terms|simply|more simply)|in plain english|meaning)\W*$"
)


def asks_what_it_meant(text: str) -> bool:
    """Whether `text` asks what the previous answer's words mean ("what does that mean?")."""
    return bool(_WHAT_IT_MEANT.search(_question_of(text)))


def _question_of(text: str) -> str:
    """`text` in lower case, spaces single, without the words before its question
    (`_LEAD_IN`)."""
    return _LEAD_IN.sub("", " ".join(text.lower().replace("’", "'").split()))


def terms_in(text: str) -> tuple[str, ...]:
    """The glossary headings whose words `text` uses, in order, each once, at most
    `MOST_TERMS_EXPLAINED`."""
    found: dict[str, None] = {}
    for match in _TERM.finditer(text.lower()):
        found.setdefault(GLOSSARY_TERMS[int(str(match.lastgroup)[1:])][0], None)
    return tuple(found)[:MOST_TERMS_EXPLAINED]
