"""A portfolio's share in a sector, in named stocks or in cash ("how much of my portfolio is in
tech?", "what's the tech weight of 50% AAPL 30% MSFT 20% KO?", "how much of it is in energy?"
after a build, "how much of it is in MSFT and KO?", "how much of my portfolio is in cash?"): its
risk report (`portfolio_risk_report` of the weights given, else of the conversation's
portfolio), led by the stocks' weights added up and the share of the portfolio's volatility they
carry (their risk contributions added up); for cash, what the weights leave uninvested (one less
their sum, the report's `weights_sum`); for how concentrated weights given are ("how
concentrated is 60% AAPL 20% MSFT 20% KO?"), the largest positions, the largest risk
contribution, the effective number of holdings and the UCITS 5/10/40 rule's judgment; for a
quality with no one measure ("how much of my portfolio is safe?", "... risky?"), where its
volatility sits: the holdings carrying less of it than their weight (a beta to the portfolio
below 1) and those carrying more. With no portfolio in the conversation and
none given, which one (`which_portfolio`: the holdings or a saved portfolio's name given next
are read; with one saved, "my portfolio" is it). Before,
the stocks were built into a portfolio of their own (an HRP portfolio of all 20 for cash), or
the market was read."""

from __future__ import annotations

from typing import Any, NamedTuple

from langchain_core.messages import AIMessage

from agents.offline.chat_intent import (
    known_tickers,
    last_subject,
    only_saved_portfolio,
    portfolio_label,
    says_my_portfolio,
    which_portfolio,
)
from agents.offline.intent import Intent
from agents.offline.intent.held import HELD_NAMED
from agents.offline.intent.measures import CONTRIBUTIONS_ASKED
from agents.offline.intent.targets import sector_tickers
from agents.offline.policies import PolicyInput, forced_call, reply, tool_call
from agents.offline.statistic_words import pct
from agents.offline.thread_portfolios import built_weights
from quant.classification import classify
from services.formatting import listed
from settings import get_settings, patterns

__all__ = ["ShareAsked", "sector_asked", "sector_share_chat", "sector_share_route"]

_SHARE_IN = patterns.compile(
    r"\b(?:how\s+much|what\s+(?:share|part|percent(?:age)?|fraction|proportion))\s+of\b"
    r"(?:[^?.!;]|(?<=\d)\.(?=\d)){0,80}?\b(?:is|was|sits)\s+"
    r"(?:(?:invested\s+)?(?:in|allocated\s+to|exposed\s+to)"
    r"\s+)?(?:the\s+)?(?P<group>[a-z&][a-z&, -]{1,30}?)(?:\s+(?:stocks|names|sector|shares))?"
    r"\s*(?:[?.!]|$)"
    r"|\bhow\s+much\s+(?P<much>[a-z&][a-z&, ]{1,30}?)\s+(?:do\s+(?:i|we)|does\s+it)\s+(?:have|hold"
    r"|own)\s+in\b"
    r"|\bhow\s+much\s+(?P<exposure>[a-z&][a-z&, ]{1,30}?)\s+exposure\s+(?:do(?:es)?|is|has|have)\b"
)
"""A sector's (stocks', cash's) share of a portfolio asked ("how much of my portfolio is in
tech?", "what share of it is in energy?", "how much of it is in MSFT and KO?", "what percent of
... is tech?", "how much energy do I have in ...?", "how much tech exposure does ... have?")."""
_WEIGHT_NAMED = patterns.compile(
    r"\bwhat(?:'s|s|\s+is)\s+(?:the|my|its|our|their)\s+(?P<group>[a-z&][a-z&, ]{1,30}?)\s+"
    r"(?:weight|weighting|share|allocation|exposure)\b"
    r"|\b(?:weight|weighting|share|allocation|exposure)\s+(?:of|to)\s+(?:the\s+)?"
    r"(?P<of>[a-z&][a-z&, ]{1,30}?)\s+(?:in|of)\b"
)
"""A sector's weight named ("what's the tech weight of 50% AAPL 30% MSFT 20% KO?", "the
weighting of energy in 30/30/40 XOM CVX KO")."""


_CASH_ASKED = patterns.compile(
    r"\b(?:how\s+much|what(?:'s|s|\s+is)\s+(?:the|my|its|our))\s+(?:cash|uninvested)\b"
    r"(?:\s+(?:is|sits|position|share|weight|part|portion|left|there))*\s+(?:in|of)\b"
)
"""Cash asked with its own words first ("how much cash is in 45% MSFT 45% KO?", "whats the cash
in ...")."""
_TRIM_ASKED = patterns.compile(
    r"\b(?:which|what)\b(?:[^?.!;]|(?<=\d)\.(?=\d)){0,60}?\b(?:should|would|could|do|shall)\s+"
    r"(?:i|we|you)\s+(?:trim|reduce|sell|scale\s+back|lighten|cut\s+back\s+on|pare\s+back)\b"
)
"""Which holdings to trim asked ("which of my holdings should I trim?", "what should I sell in
40% AAPL 30% MSFT 30% KO?"): the same reply as a quality's, those carrying more of the
portfolio's volatility than their weight first."""
_BREAKDOWN_ASKED = patterns.compile(
    r"\bsector(?:al)?\s+(?:breakdown|split|mix|composition|exposures?|make[\s-]?up|weightings?)\b"
    r"|\b(?:break\s*down|breakdown|split|mix|exposure|weights?)\s+(?:of\s+[^?.!;]{1,60}?\s+)?"
    r"(?:by|per|across)\s+sectors?\b"
    r"|\bwhich\s+sectors?\s+(?:dominates?|leads?|is\s+(?:the\s+)?(?:biggest|largest|heaviest))\b"
    r"|\bwhat\s+sectors?\s+(?:am\s+i|are\s+we|is\s+it|does\s+it)\s+(?:in|exposed|hold)"
)
"""A portfolio's sectors asked ("what's the sector breakdown of ...?", "which sector dominates
...?", "weights by sector" after a build): each sector's weight and risk contributions."""
TRIM = "trim"
"""The term of a question of which holdings to trim."""
LOWERS = "lowers"
"""The term of a question of which holdings lower the portfolio's risk."""
_LOWERS_ASKED = patterns.compile(
    r"\b(?:which|what)\b(?:[^?.!;]|(?<=\d)\.(?=\d)){0,60}?(?<!\bhas )(?<!\bhad )(?<!\bhave )"
    r"(?<!\bwith )(?<!\bthe )(?<!\ba )(?<!\bis )(?<!\bare )(?<!\bwas )\b(?:reduces?|lowers?"
    r"|dampens?|diversif(?:y|ies))\s+"
    r"(?:the\s+|its\s+|my\s+|our\s+)?(?:portfolio'?s?\s+)?(?:overall\s+)?(?:risk|volatility)\b"
)
"""Which holdings lower the risk asked ("which holdings reduce the risk?", "which of my holdings lower
its volatility?"): the quality reply, those carrying less of it than their weight first; "lower"
said of a risk ("which has lower risk, AAPL or KO?") is a comparison, not this."""
_CONCENTRATION_ASKED = patterns.compile(
    r"\bhow\s+(?:concentrated|diversified|spread\s+out)\b|\bconcentration\s+(?:of|in)\b"
    r"|\b(?:is|are)\b(?:[^?.!;]|(?<=\d)\.(?=\d)){0,60}?\b(?:too\s+|overly\s+|very\s+)?"
    r"(?:concentrated|diversified)\b"
    r"|\b(?:what(?:'s|s|\s+is|\s+are)|which\s+(?:is|are))\s+(?:the\s+|my\s+|its\s+|our\s+)?"
    r"(?:biggest|largest|heaviest|top|main)\s+(?:\d+\s+)?(?:positions?|holdings?|weights?|names?"
    r"|bets?)\b"
)
"""How concentrated a portfolio of weights given is asked ("how concentrated is 60% AAPL 20% MSFT
20% KO?", "what's my biggest position in ...?", "is it diversified enough?" after a build; of a
build, "how concentrated is it?" is its risk contributions' reply and "what's the biggest
position?" its largest holding's)."""
_HELD_NAMED = patterns.compile(rf"\b(?:it|this|that)\b|{HELD_NAMED.pattern}")
"""The conversation's portfolio named ("is it diversified enough?", "is the portfolio too
concentrated?"): how concentrated it is judged, unless its risk's concentration is asked."""
_LIST_WORDS = frozenset({"and", "&", "or", "together", "both"})
"""Words between the tickers of a list of stocks ("MSFT and KO")."""
_SAFE_WORDS = frozenset(
    {"safe", "safer", "low risk", "low-risk", "stable", "conservative", "defensive"}
)
_RISKY_WORDS = frozenset(
    {"risky", "riskier", "high risk", "high-risk", "speculative", "aggressive"}
)
"""Qualities of holdings asked as a share ("how much of my portfolio is safe?"): no one measure
gives them; the reply says where the portfolio's volatility sits (`_quality_sentence`)."""
UCITS_ONE = 0.10
UCITS_LARGE = 0.05
UCITS_LARGE_TOGETHER = 0.40
"""The UCITS 5/10/40 diversification rule a concentration reply judges by: no holding above 10%
of the portfolio, and the holdings above 5% at most 40% together."""


class ShareAsked(NamedTuple):
    """What share of a portfolio a message asks: `kind` one of "sector", "stocks", "cash",
    "concentration", "quality", "sectors" (every sector held); `term` the words naming it (the
    sector's, the tickers listed, the quality's: "safe"); `stocks` the tickers it covers (a
    sector's, the ones named)."""

    kind: str
    term: str
    stocks: list[str]


def sector_asked(intent: Intent) -> ShareAsked | None:
    """The share of a portfolio the message asks (`ShareAsked`); None when it asks no such
    thing. How concentrated a portfolio is, only of weights the message gives."""
    low = intent.text.lower()
    asked = _SHARE_IN.search(low) or _WEIGHT_NAMED.search(low)
    if asked is None:
        if _CASH_ASKED.search(low):
            return ShareAsked("cash", "cash", [])
        if _TRIM_ASKED.search(low) or _LOWERS_ASKED.search(low):
            return ShareAsked("quality", TRIM if _TRIM_ASKED.search(low) else LOWERS, [])
        if _BREAKDOWN_ASKED.search(low):
            return ShareAsked("sectors", "sectors", [])
        held = _HELD_NAMED.search(low) and not CONTRIBUTIONS_ASKED.search(low)  # "is it
        given = bool(intent.weights or held) and "risk" not in low  # diversified enough?"
        concentration = given and _CONCENTRATION_ASKED.search(low)
        return ShareAsked("concentration", "concentration", []) if concentration else None
    group = asked.groupdict()
    said = group.get("group") or group.get("of") or group.get("much") or group.get("exposure")
    words = (said or "").replace(",", " ")
    words = words.split()
    if words in (["cash"], ["uninvested"]):
        return ShareAsked("cash", "cash", [])
    if " ".join(words) in _SAFE_WORDS | _RISKY_WORDS:
        return ShareAsked("quality", " ".join(words), [])
    for term in (" ".join(words), words[-1] if words else "", words[0] if words else ""):
        if term and (stocks := sector_tickers([term])):
            return ShareAsked("sector", term, stocks)
    named = [w.upper() for w in words if w not in _LIST_WORDS]
    if named and all(ticker in known_tickers() for ticker in named):
        stocks = list(dict.fromkeys(named))
        return ShareAsked("stocks", listed(stocks), stocks)
    return None


def _portfolio(inp: PolicyInput, intent: Intent) -> dict[str, Any] | None:
    """The portfolio whose share is asked: one named (by id, or a saved portfolio by its name),
    else the weights the message gives, else the conversation's portfolio (built last, or the
    weights an analysis used), else for "my portfolio" the one the owner saved when they saved
    one; None for none."""
    if intent.portfolio_ids:
        return {"portfolio_id": intent.portfolio_ids[-1]}
    if intent.weights or (one := _one_weight(intent)):
        return {"weights": dict(intent.weights or one)}
    subject = last_subject(inp) or {}
    for key in ("portfolio_id", "weights"):
        if subject.get(key):
            return {key: subject[key]}
    if says_my_portfolio(inp) and (saved := only_saved_portfolio(inp)) is not None:
        return {"portfolio_id": saved}
    return None


_ONE_WEIGHT = patterns.compile(r"(?<![\w.])(\d{1,3}(?:\.\d+)?)\s*%\s+(?:in\s+)?([a-z]{1,5})\b")


def _one_weight(intent: Intent) -> dict[str, float]:
    """One weight given alone, the rest in cash ("how much of 30% AAPL is in cash?": AAPL 30%);
    empty when the message gives no such weight."""
    said = _ONE_WEIGHT.search(intent.text.lower()) if len(intent.tickers) == 1 else None
    share = float(said[1]) / 100 if said and said[2].upper() == intent.tickers[0] else 0.0
    return {intent.tickers[0]: share} if 0.0 < share <= 1.0 else {}


def sector_share_route(inp: PolicyInput, intent: Intent) -> AIMessage | None:
    """The supervisor's route for a sector's share of a portfolio: the risk manager (or the
    question back when there is no portfolio); None for any other message."""
    if sector_asked(intent) is None:
        return None
    if _portfolio(inp, intent) is None:
        if inp.must_call_tool:
            reason = "which portfolio a sector's share is asked of"
            return forced_call(inp, {"agent": "supervisor", "reason": reason})
        return reply(which_portfolio(inp))
    if inp.must_call_tool:
        reason = "a sector's share of a portfolio: its weights and its risk contributions"
        return forced_call(inp, {"agent": "risk_manager", "reason": reason})
    return None


def sector_share_chat(inp: PolicyInput, intent: Intent) -> AIMessage | None:
    """The risk manager's reply to a sector's share of a portfolio: the risk report, then the
    share; None when the message asks no such thing or there is no portfolio."""
    asked, portfolio = sector_asked(intent), _portfolio(inp, intent)
    if asked is None or portfolio is None:
        return None
    reports = [r for r in inp.results_this_turn() if r.name == "portfolio_risk_report"]
    if not reports:
        return reply("", tool_call("portfolio_risk_report", {**portfolio, "level": 0.95}))
    if reports[-1].is_error or not isinstance(reports[-1].data, dict):
        return reply(f"The risk report failed: {reports[-1].reason}")
    weights = portfolio.get("weights") or built_weights(inp, str(portfolio["portfolio_id"]))
    data = reports[-1].data
    whose = (
        f"portfolio {portfolio_label(inp, str(data['portfolio_id']))}"
        if data.get("portfolio_id")
        else "the portfolio given"
    )
    return reply(_share_sentence(asked, data, weights, whose))


def _share_sentence(
    asked: ShareAsked, data: dict[str, Any], weights: dict[str, float], whose: str
) -> str:
    """The group's stocks' weights (when known: given, or built here) and risk contributions
    added up, each stock's after; for cash, what the weights leave uninvested; for a quality,
    where the portfolio's volatility sits."""
    shares = {t: float(s) for t, s in (data.get("risk_contributions") or {}).items()}
    if asked.kind == "cash":
        return _cash_sentence(whose, float(data["weights_sum"]), weights or None)
    if asked.kind == "concentration":
        return _concentration_sentence(whose, weights, shares)
    if asked.kind == "quality":
        return _quality_sentence(asked.term, whose, weights, shares, data)
    if asked.kind == "sectors":
        return _breakdown_sentence(whose, weights, shares, data)
    term, stocks = asked.term, asked.stocks
    held = [t for t in sorted(shares, key=lambda t: -weights.get(t, shares[t])) if t in stocks]
    sector = asked.kind == "sector"
    if not held:
        held_now = [f"{t} {pct(float(w))}" for t, w in weights.items()]
        others = ", ".join(held_now) or listed(list(shares))
        what = f"{term} ({listed(stocks)})" if sector else term
        return f"None of {whose} is in {what}, which it does not hold: it holds {others}."
    risk = sum(shares[t] for t in held)
    each = ", ".join(f"{t} {pct(float(weights[t]))}" if t in weights else t for t in held)
    if unheld := [t for t in stocks if t not in held]:
        each += f"; {listed(unheld)} not held"
    together = "" if sector or len(held) == 1 else " together"
    weighed = (
        f" {'are' if together else 'is'}{together} {pct(sum(float(weights[t]) for t in held))} "
        f"of {whose} and"
        if all(t in weights for t in held)
        else f" in {whose}"
    )
    carried = ", ".join(f"{t} {pct(s)}" for t, s in sorted(shares.items(), key=lambda i: -i[1]))
    subject = f"{term.capitalize()} ({each})" if sector else listed(held)
    if not sector and unheld:
        subject += f" ({listed(unheld)} not held)"
    return (
        f"{subject}{weighed} carr{'y' if together else 'ies'} {pct(risk)} of its volatility "
        f"(risk contributions, each holding's share of the portfolio's volatility: {carried}); "
        f"{_volatility(data)}."
    )


def _volatility(data: dict[str, Any]) -> str:
    """The report's annualised volatility and the dates it was measured over."""
    dates = data["date_range"]
    return (
        f"its annualised volatility {pct(float(data['volatility']))}, from {dates['start']} to "
        f"{dates['end']}"
    )


def _breakdown_sentence(
    whose: str, weights: dict[str, float], shares: dict[str, float], data: dict[str, Any]
) -> str:
    """Each sector's weight (when the weights are known) and share of the portfolio's volatility
    (its holdings' risk contributions added up), the heaviest first, by the configured
    classification's GICS sectors."""
    path = get_settings().classification_file
    sectors: dict[str, list[str]] = {}
    for ticker in sorted(shares, key=lambda t: -weights.get(t, shares[t])):
        if weights and not weights.get(ticker):
            continue  # held at 0
        found = classify(ticker, path)
        sectors.setdefault(found.sector if found else "Unclassified", []).append(ticker)

    def weight(names: list[str]) -> float:
        return sum(weights.get(t, 0.0) for t in names)

    parts = []
    for sector, names in sorted(
        sectors.items(), key=lambda i: (-weight(i[1]), -sum(shares[t] for t in i[1]))
    ):
        risk = pct(sum(shares[t] for t in names))
        if weights:
            each = ", ".join(f"{t} {pct(weights[t])}" for t in names)
            parts.append(f"{sector} {pct(weight(names))} ({each}), carrying {risk} of it")
        else:
            parts.append(f"{sector} ({', '.join(names)}) {risk}")
    left = 1.0 - float(data.get("weights_sum", 1.0))
    cash = f"; cash {pct(left)}" if weights and left > 5e-5 else ""
    lead = (
        f"By sector (GICS), {whose} holds (with each sector's share of its volatility)"
        if weights
        else f"By sector (GICS), the volatility of {whose} comes from"
    )
    return f"{lead}: {'; '.join(parts)}{cash}. {_volatility(data).capitalize()}."


def _quality_sentence(
    word: str,
    whose: str,
    weights: dict[str, float],
    shares: dict[str, float],
    data: dict[str, Any],
) -> str:
    """Where the portfolio's volatility sits, for a quality asked ("safe", "risky"): the holdings
    carrying less of it than their weight (a beta to the portfolio below 1) and those carrying
    more, each with its weight and its risk contribution, and what is in cash; only the risk
    contributions when the weights are not known (a saved portfolio)."""
    lead = {
        TRIM: f"Which holdings to trim depends on what you want less of; to lower the risk of "
        f"{whose}, trim first those carrying more of its volatility than their weight",
        LOWERS: f"The holdings that lower the risk of {whose} are those carrying less of its "
        "volatility than their weight: adding to them, or trimming the others, lowers it",
    }.get(word, f'"{word.capitalize()}" is not one measure; what can be measured is where the '
               f"risk of {whose} sits")  # fmt: skip
    carried = ", ".join(f"{t} {pct(s)}" for t, s in sorted(shares.items(), key=lambda i: -i[1]))
    if not weights:
        return f"{lead}: each holding's share of its volatility is {carried}; {_volatility(data)}."
    invested = sum(weights.values())
    left = 1.0 - float(data.get("weights_sum", invested))
    of_weight = "of the invested weight" if abs(left) > 5e-5 else "of the weight"

    def group(names: list[str], how: str, beta: str) -> str:
        if not names:
            return f"No holding carries {how} of the portfolio's volatility than its weight"
        each = ", ".join(
            f"{t} ({pct(weights[t] / invested)} {of_weight}, {pct(shares[t])} of the volatility)"
            for t in names
        )
        if len(names) == 1:
            return (
                f"The holding that carries {how} of the portfolio's volatility than its weight "
                f"({beta.format(it='it')}): {each}"
            )
        together = pct(sum(weights[t] for t in names))
        return (
            f"Holdings that carry {how} of the portfolio's volatility than their weight "
            f"({beta.format(it='them')}), together {together} of the portfolio: {each}"
        )

    by_weight = sorted(weights, key=lambda t: -weights[t])
    lower = [t for t in by_weight if t in shares and shares[t] < weights[t] / invested]
    higher = [t for t in by_weight if t in shares and shares[t] > weights[t] / invested]
    parts = [
        group(
            lower,
            "less",
            "a beta to the portfolio below 1: more of {it} would lower the portfolio's volatility",
        ),
        group(higher, "more", "a beta to the portfolio above 1"),
    ]
    if word not in _SAFE_WORDS and word != LOWERS:
        parts.reverse()
    cash = f" {pct(left)} of it is in cash, uninvested." if left > 5e-5 else ""
    return f"{lead}. {parts[0]}. {parts[1]}. {_volatility(data).capitalize()}.{cash}"


def _cash_sentence(whose: str, weights_sum: float, weights: dict[str, float] | None) -> str:
    """What the weights (adding up to `weights_sum`) leave in cash: one less their sum."""
    holdings = (
        ""
        if weights is None
        else " ("
        + ", ".join(f"{t} {pct(float(w))}" for t, w in sorted(weights.items(), key=lambda i: -i[1]))
        + ")"
    )
    left = 1.0 - weights_sum
    if abs(left) < 5e-5:
        return (
            f"None of {whose} is in cash: it is fully invested, its weights{holdings} add up to "
            f"{pct(weights_sum)}."
        )
    if left < 0:
        return (
            f"None of {whose} is in cash: its weights{holdings} add up to {pct(weights_sum)}, "
            f"{pct(-left)} more than its capital (borrowed, or short positions)."
        )
    return (
        f"{pct(left)} of {whose} is in cash: its weights{holdings} add up to "
        f"{pct(weights_sum)}, and what they leave uninvested is cash."
    )


def _concentration_sentence(whose: str, weights: dict[str, float], shares: dict[str, float]) -> str:
    """How concentrated the portfolio of `weights` (given: never empty) is: its largest
    positions by weight and by risk contribution (`shares`), and its effective number of
    holdings (one over the sum of the squared weights: the number of equal weights as
    concentrated)."""
    by_risk = sorted(shares.items(), key=lambda i: -i[1])
    risk = f"{by_risk[0][0]} carries the most of its volatility, {pct(by_risk[0][1])}"
    by_weight = sorted(weights.items(), key=lambda i: -i[1])
    top = by_weight[: min(3, len(by_weight) - 1) or 1]
    effective = 1.0 / sum(w * w for w in weights.values()) * sum(weights.values()) ** 2
    return (
        f"The largest position of {whose} is {by_weight[0][0]} at {pct(by_weight[0][1])}"
        + (
            f"; its top {len(top)} ({listed([t for t, _ in top])}) hold "
            f"{pct(sum(w for _, w in top))}"
            if len(top) > 1
            else ""
        )
        + f". {risk}. Its effective number of holdings is {effective:.1f} of {len(weights)} "
        f"(one over the sum of the squared weights, as shares of the invested total: the number "
        f"of equal positions that would be as concentrated). {_ucits_judgment(weights)}"
    )


def _ucits_judgment(weights: dict[str, float]) -> str:
    """Whether `weights` (fractions of the portfolio) keep to the UCITS 5/10/40 rule, and which
    holdings break it."""
    rule = (
        f"By the UCITS 5/10/40 diversification rule (no holding above {UCITS_ONE:.0%} of the "
        f"portfolio, and the holdings above {UCITS_LARGE:.0%} at most {UCITS_LARGE_TOGETHER:.0%} "
        "together)"
    )
    by_weight = sorted(weights.items(), key=lambda i: -i[1])
    over = [f"{t} {pct(w)}" for t, w in by_weight if w > UCITS_ONE + 1e-12]
    large = sum(w for _, w in by_weight if w > UCITS_LARGE + 1e-12)
    if not over and large <= UCITS_LARGE_TOGETHER + 1e-12:
        return f"{rule} it is diversified enough."
    broken = (
        [f"{', '.join(over)} {'is' if len(over) == 1 else 'are'} above {UCITS_ONE:.0%}"]
        if over
        else []
    )
    if large > UCITS_LARGE_TOGETHER + 1e-12:
        broken.append(f"the holdings above {UCITS_LARGE:.0%} hold {pct(large)} together")
    return f"{rule} it is too concentrated: {'; '.join(broken)}."
