"""Why a built portfolio holds what it holds ("explain this portfolio", "why is KO weighted so
heavily?", "why so little AAPL?"): the method's rule in a sentence, then each holding's weight
beside its volatility, its mean correlation with the other stocks and its share of the
portfolio's risk, over the window the portfolio was estimated on (`portfolio_risk_report` and
`asset_statistics` of the portfolio, in this order); a stock the question names gets its own
sentence. The portfolio is the conversation's latest build, when no strategy search finished
after it (a run's own explanation answers then)."""

from __future__ import annotations

from typing import Any

import numpy as np
from langchain_core.messages import AIMessage, ToolMessage

from agents.offline.intent import Intent
from agents.offline.method_names import method_name
from agents.offline.policies import PolicyInput, ToolResult, reply, tool_call
from agents.offline.portfolio_builds import describe_portfolio
from agents.offline.statistic_words import pct
from agents.offline.thread_runs import ran_here
from services.formatting import listed
from settings import patterns

__all__ = ["LEFT_OUT", "WHY_WEIGHTS", "asks_why_weights", "explain_weights", "portfolio_to_explain"]

WHY_WEIGHTS = patterns.compile(
    r"\b(?:explain|justify|break down)\s+(?:this|the|my|that|our|its|these|those)\s+(?:[\w-]+\s+){0,3}"
    r"(?:portfolio|allocation|weights?|weighting|mix|holdings)\b"
    r"|\bwhy\b[^?.!;]{0,60}?\b(?:weight\w*|overweight\w*|underweight\w*|allocat\w*)\b"
    r"|\bhow (?:were|are|did you (?:pick|choose|decide|set))\s+(?:the\s+|these\s+|its\s+)?weights\b"
    r"|\bwhat (?:drives|determines|decided|set)\s+(?:the\s+|these\s+|its\s+)?weights\b"
    r"|\bwalk me through\s+(?:the|this|my|that)\s+(?:portfolio|weights|allocation)\b"
    # the stocks held, not named: "why these 5?", "why did you pick these?", "how were they chosen?"
    r"|\bwhy\s+(?:these|those)(?:\s+(?:\d{1,2}|two|three|four|five|six|seven|eight|nine|ten))?"
    r"(?:\s+(?:stocks|names|ones|holdings|picks|companies|tickers))?\s*(?:[?.!]|$)"
    r"|\b(?:why|how)\s+(?:did\s+(?:you|it|the(?:\s+[\w-]+){1,3}?)|does\s+it|do\s+you)\s+(?:pick"
    r"|choose"
    r"|select|hold|end\s+up\s+with|keep)\s+(?:these|those|them|the\s+(?:stocks|names|ones))\b"
    r"|\b(?:why|how)\s+(?:were|are)\s+(?:these|those|they|the\s+(?:stocks|names))\s+"
    r"(?:\w+\s+)?(?:picked|chosen|selected|kept)\b"
)
"""A question why a built portfolio's weights are what they are, or why it holds the stocks it
holds, naming no stock."""
LEFT_OUT = patterns.compile(
    r"\bwhich\s+(?:stocks|names|ones|tickers|companies)\s+(?:did|does|has|have)\s+(?:it|you|the\s+"
    r"(?:[\w-]+\s+){0,2}?(?:portfolio|optimi[sz]er|build))\s+(?:leave\s+out|left\s+out|drop(?:ped)?"
    r"|exclude[d]?|skip(?:ped)?|not\s+(?:hold|pick|use|buy|own))\b"
    r"|\bwhat\s+(?:did|does|has)\s+(?:it|you)\s+(?:leave\s+out|left\s+out|drop(?:ped)?|exclude[d]?)\b"
    r"|\bwhich\s+(?:stocks|names|ones|tickers)\s+(?:got|get|have|has|had)\s+(?:a\s+)?(?:zero|no|0\s*%?)"
    r"(?:\s+weights?)?\b|\bwhich\s+(?:stocks|names|ones|tickers)\s+(?:are|were)\s+(?:left\s+out"
    r"|excluded|dropped|at\s+zero|not\s+held)\b"
)
"""Which stocks a built portfolio holds none of ("which stocks did it leave out?", "which names
got zero weight?"): said first, then why its weights are what they are."""
_NAME = r"([a-z][a-z.]{0,5})"
_WHY_NAMED = patterns.compile(
    rf"\bwhy\s+(?:is\s+there\s+)?(?:no|zero|nothing in|only|so much|so little)\s+(?:of\s+)?{_NAME}\b"
    rf"|\bwhy\s+(?:is|are|was|were|isn'?t|aren'?t)\s+{_NAME}\s+(?:left out|excluded|dropped|not in"
    r"|in there|in it|at zero|at \d|so (?:small|large|big|high|low)|the (?:largest|biggest|smallest"
    r"|top))\b"
    rf"|\bexplain why\s+{_NAME}\s+(?:is|gets|has)\b"
    rf"|\bwhy\s+(?:does|did)\s+(?:it|the portfolio)\s+(?:hold|own|have|get)\s+(?:so much\s+|"
    rf"\d+(?:\.\d+)?\s*%\s+(?:of\s+|in\s+)?)?{_NAME}\b"
    rf"|\bwhy\s+(?:does|did)\s+(?:it|you|the\s+(?:[\w-]+\s+){{0,2}}?[\w-]+|[\w-]+(?:\s+[\w-]+)?)\s+"
    rf"(?:pick|choose|prefer|favou?r|like|skip|avoid|leave out|drop)\s+{_NAME}\b"
)
"""A why-question about a stock of the portfolio ("why no XOM?", "why is KO so high?", "why did
min vol pick KO?"): one about the weights when the word it names is a stock."""


def asks_why_weights(intent: Intent, built: dict[str, Any] | None) -> bool:
    """Whether the message asks why `built` (the conversation's portfolio, when there is one)
    holds what it holds: a why-question about its weights or a stock it names ("why no XOM?"),
    or its explanation asked ("explain this portfolio", "explain the min-vol portfolio"), naming
    no other method than the one it was built by ("why did it win?" is a search's)."""
    if built is None or any(m != built.get("method") for m in intent.methods if m != "frontier"):
        return False
    low = intent.text.lower()
    names = {*intent.tickers, *intent.unknown_tickers, *intent.limits.excluded}
    named = any(
        word.upper() in names
        for match in _WHY_NAMED.finditer(low)
        for word in match.groups()
        if word
    )
    return bool(WHY_WEIGHTS.search(low) or LEFT_OUT.search(low) or named)


RULES = {
    "min_volatility": "A min-volatility portfolio is the mix of these stocks with the lowest "
    "volatility their past daily returns allow; it ignores their returns. It leans on stocks "
    "that swing little and that move apart from the others. With no weight limit binding, at "
    "that minimum every stock held adds the same risk per extra dollar, so each one's share of "
    "the risk equals its weight.",
    "max_sharpe": "A max-Sharpe portfolio is the mix with the highest ratio of past return to "
    "volatility: it leans on stocks whose past return was high for their risk and that move "
    "apart from the others, and may hold none of a stock whose return did not pay for its risk.",
    "hrp": "Hierarchical Risk Parity groups the stocks by how their returns move together, then "
    "splits the capital between the groups and within each, in inverse proportion to their "
    "variance: calm stocks and groups get more, and stocks that move together share one "
    "allotment. It uses no expected returns.",
    "risk_parity": "A risk-parity portfolio sets the weights so that each stock carries the same "
    "share of the portfolio's risk: a calmer stock, or one that moves apart from the rest, "
    "needs a larger weight to carry its share. It uses no expected returns.",
    "inverse_volatility": "An inverse-volatility portfolio weighs each stock by one over its "
    "volatility, ignoring how they move together and their returns: the calmest stock gets the "
    "most.",
    "equal_weight": "An equal-weight portfolio holds the same amount of each stock, whatever "
    "its risk or return.",
    "efficient_return": "An efficient-return portfolio is the mix with the lowest volatility "
    "that reaches the target return asked, from past returns.",
    "efficient_risk": "An efficient-risk portfolio is the mix with the highest past return "
    "whose volatility stays within the target asked.",
}
"""Each method's rule in words (docs/glossary.md says the same at more length)."""


def portfolio_to_explain(inp: PolicyInput) -> dict[str, Any] | None:
    """The conversation's latest built portfolio (the `optimize_portfolio` result) before this
    message, when no strategy search finished after it; None otherwise."""
    built: dict[str, Any] | None = None
    results = {r.call_id: r for r in inp.tool_results()}
    this_turn = {c["id"] for c in inp.calls_this_turn()}
    for message in inp.messages:
        if ran_here(message):
            built = None  # a finished search is the latest thing to explain
        elif isinstance(message, ToolMessage) and message.tool_call_id not in this_turn:
            result = results.get(message.tool_call_id)
            if result is not None and _a_build(result):
                built = result.data
    return built


def _a_build(result: ToolResult) -> bool:
    """Whether a tool result is a portfolio built (one with its id)."""
    data = result.data
    built = result.name == "optimize_portfolio" and not result.is_error and isinstance(data, dict)
    return built and isinstance(data.get("portfolio_id"), str)


def explain_weights(inp: PolicyInput, built: dict[str, Any], intent: Intent) -> AIMessage:
    """The calls, then the answer, explaining `built` (see the module docstring)."""
    span = built.get("date_range") or {}
    window = {k: span[k] for k in ("start", "end") if span.get(k)}
    done = {r.name: r for r in inp.results_this_turn()}
    portfolio = {"portfolio_id": built["portfolio_id"]}
    if "portfolio_risk_report" not in done:
        return reply("", tool_call("portfolio_risk_report", {**portfolio, **window}))
    if "asset_statistics" not in done:
        return reply("", tool_call("asset_statistics", {**portfolio, **window}))
    failed = next((r for r in done.values() if r.is_error or not isinstance(r.data, dict)), None)
    if failed is not None:
        return reply(f"I could not measure the portfolio to explain it: {failed.reason}")
    asked = list(dict.fromkeys([*intent.tickers, *intent.unknown_tickers, *intent.limits.excluded]))
    answer = _answer(built, done["portfolio_risk_report"], done["asset_statistics"], asked)
    if LEFT_OUT.search(intent.text.lower()):  # "which stocks did it leave out?": those first
        answer = f"{_left_out(built)} {answer}"
    return reply(answer)


def _left_out(built: dict[str, Any]) -> str:
    """Which stocks of those it was built from the portfolio holds none of, in a sentence."""
    weights: dict[str, float] = built["weights"]
    none = sorted(t for t, w in weights.items() if w <= 0.0)
    if not none:
        return f"It leaves none out: it holds every one of the {len(weights)} stocks it was built from."
    return (
        f"It holds none of {listed(none)} ({len(none)} of the {len(weights)} stocks it was built "
        f"from): the rule below gave {'it' if len(none) == 1 else 'them'} no weight."
    )


def _mean_correlations(statistics: dict[str, Any]) -> dict[str, float]:
    """Each stock's mean correlation of daily returns with the other stocks of the portfolio."""
    matrix = statistics.get("correlation")
    if not matrix:
        return {}
    values = np.array(matrix["matrix"], dtype=float)
    n = len(matrix["assets"])
    means = (values.sum(axis=1) - 1.0) / (n - 1)
    return {name: float(m) for name, m in zip(matrix["assets"], means, strict=True)}


def _answer(
    built: dict[str, Any], report: ToolResult, stats: ToolResult, asked_names: list[str]
) -> str:
    weights: dict[str, float] = built["weights"]
    assets: dict[str, Any] = stats.data["assets"]
    shares: dict[str, float] = report.data.get("risk_contributions") or {}
    correlations = _mean_correlations(stats.data)
    universe = list(assets)
    asked = [
        _about(t, weights, assets, correlations, built["method"])
        for t in asked_names
        if t in assets
    ]
    outside = [t for t in asked_names if t not in assets]
    if outside:
        asked.insert(
            0,
            f"{listed(outside)} {'was' if len(outside) == 1 else 'were'} not among the stocks "
            f"the portfolio was built from ({listed(universe)}): it holds none of "
            f"{'it' if len(outside) == 1 else 'them'}.",
        )
    name = method_name(built["method"])
    opening = f"{name[:1].upper()}{name[1:]} portfolio {built['portfolio_id']}."
    parts = [*asked, opening if asked else describe_portfolio(built) + "."]
    parts.append(RULES.get(built["method"], ""))
    lines = []
    for ticker in sorted(universe, key=lambda t: -weights.get(t, 0.0)):
        figures = [f"volatility {pct(assets[ticker]['volatility'])} a year"]
        if ticker in correlations:
            figures.append(f"mean correlation with the others {correlations[ticker]:.2f}")
        if ticker in shares:
            figures.append(f"{pct(shares[ticker])} of the portfolio's risk")
        lines.append(f"{ticker} {pct(weights.get(ticker, 0.0))} ({', '.join(figures)})")
    span = report.data["date_range"]
    parts.append(
        f"Each stock's weight, from {span['start']} to {span['end']}: " + "; ".join(lines) + "."
    )
    if not_given := stats.data.get("correlation_not_given"):
        parts.append(f"No mean correlation is shown: {not_given}.")
    apart = [t for t in shares if abs(shares[t] - weights.get(t, 0.0)) > 0.005]
    if built["method"] == "min_volatility" and apart:
        parts.append(
            f"Here a weight limit binds, so the risk shares differ from the weights "
            f"({listed(apart)})."
        )
    return " ".join(p for p in parts if p)


def _about(
    ticker: str,
    weights: dict[str, float],
    assets: dict[str, Any],
    correlations: dict[str, float],
    method: str,
) -> str:
    """Where one stock stands among the portfolio's on what its method weighs."""
    names = list(assets)
    calm = sorted(names, key=lambda t: assets[t]["volatility"])
    said = [
        f"{ticker} is {_place(calm, ticker, 'least volatile', 'most volatile')} of the {len(names)}"
    ]
    if ticker in correlations:
        apart = sorted(correlations, key=correlations.__getitem__)
        said.append(
            _place(apart, ticker, "least correlated", "most correlated") + " with the others"
        )
    if method == "max_sharpe":
        ranked = sorted(names, key=lambda t: -_sharpe_or_least(assets[t]))
        sharpe = assets[ticker].get("sharpe_ratio")
        said.append(
            f"{_place(ranked, ticker, 'highest', 'lowest')} by its own Sharpe ratio "
            + ("(none)" if sharpe is None else f"({sharpe:.2f})")
        )
    weight = weights.get(ticker, 0.0)
    held = "holds none of it" if weight <= 0 else f"gives it {pct(weight)}"
    return f"{', '.join(said)}: the {method_name(method)} rule {held}."


def _sharpe_or_least(stats: dict[str, Any]) -> float:
    """A stock's Sharpe ratio to rank by; -inf when it has none (it did not move)."""
    sharpe = stats.get("sharpe_ratio")
    return -np.inf if sharpe is None else float(sharpe)


def _place(order: list[str], name: str, first: str, last: str) -> str:
    """Where `name` stands in `order`: "the least volatile", "the 2nd least volatile", "the
    most volatile" (the last)."""
    n = order.index(name) + 1
    if n == len(order) and n > 1:
        return f"the {last}"
    if n == 1:
        return f"the {first}"
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"the {n}{suffix} {first}"
