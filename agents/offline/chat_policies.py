"""The offline model's rules for the chat: routing by intent, tool use, answers from tool results.

Chat turns arrive as plain conversation (no JSON task): the supervisor routes the latest message
by `parse_intent`, and each specialist calls the tool the intent asks for, then answers with the
numbers of the tool result. A search is drafted from the intent (`agents.offline.search_drafts`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.messages import AIMessage

from agents.explanation import metric_explanation, parameter_explanation
from agents.offline.analysis_routes import analysis_route
from agents.offline.backtest_policies import backtest_args, backtest_question
from agents.offline.build_targets import targeted_method
from agents.offline.chat_args import COMPARES_WITH, frontier_args
from agents.offline.chat_intent import (
    computed_answer,
    has_thread_subject,
    intent_of,
    known_tickers,
    previous_answer,
    revises_portfolio,
    thread_method,
    thread_subject,
    user_text,
    window_args,
)
from agents.offline.deployment_drafts import (
    UNREAD_CHANGE,
    asks_deployment_change,
    asks_schedule,
    reads_deployment_change,
)
from agents.offline.deployment_status import deployment_status_route
from agents.offline.drawdown_why import drawdown_to_explain
from agents.offline.estimate_policies import estimate_chat
from agents.offline.everything_excluded import everything_excluded
from agents.offline.follow_ups import follow_up_route
from agents.offline.guide_policies import glossary_chat, guide_chat
from agents.offline.hedge_policies import hedge_question
from agents.offline.held_changes import held_change_route
from agents.offline.intent import Intent
from agents.offline.intent.about import about_stratigos
from agents.offline.intent.concepts import (
    PORTFOLIO_TERMS,
    RUN_TERMS,
    asks_what_it_meant,
    concepts_asked,
    terms_in,
)
from agents.offline.intent.memory import read_memory_ask
from agents.offline.intent.scope import out_of_scope
from agents.offline.intent.strategy_terms import parameters_named, winner_metrics_named
from agents.offline.intent.words import read_scenarios
from agents.offline.memory_chat import memory_chat
from agents.offline.method_names import method_name
from agents.offline.option_quotes import option_route
from agents.offline.policies import (
    PolicyInput,
    default_policy,
    forced_call,
    register_policy,
    reply,
    tool_call,
)
from agents.offline.portfolio_builds import (
    build_against_index,
    build_args,
    build_attempt,
    default_method,
    describe_portfolio,
    index_comparison,
    limits_note,
    weights_change,
)
from agents.offline.portfolio_saving import saving_route
from agents.offline.proposal_questions import (
    asks_why,
    aspects_asked,
    card_last_shown,
    names_beside_search,
    proposal_answer,
    waiting_proposal,
)
from agents.offline.rebuilt_unheld import rebuild_question
from agents.offline.results_routes import held_results_route
from agents.offline.search_drafts import (
    asks_about_parameters,
    asks_about_winner,
    nothing_to_revise,
    nothing_to_revise_reply,
    repeats_search,
    revises_search,
    states_search_change,
)
from agents.offline.sector_shares import sector_share_route
from agents.offline.thread_runs import finished_run, run_is_latest, run_is_latest_portfolio_work
from agents.offline.thread_usual import usual_asked
from agents.offline.unknown_tickers import unknown_tickers_reply
from agents.offline.weight_explanations import asks_why_weights, portfolio_to_explain
from agents.offline.weighted_adds import added_to_nothing
from agents.offline.why_asked import NOTHING_TO_EXPLAIN, why_answer
from agents.offline.winner_backtests import (
    last_run,
    names_the_winner,
    no_winner,
    strategy_backtest_answer,
    winner_backtest_args,
)
from services.formatting import listed
from settings import get_settings, patterns

ROUTES = {
    "research": "market_analysis",
    "market_overview": "market_analysis",
    "scenarios": "market_analysis",
    "optimize_portfolio": "optimizer",
    "backtest": "optimizer",
    "estimate": "optimizer",
    "search_strategy": "optimizer",
    "deploy": "optimizer",
    "save_idea": "market_analysis",
    "propose_ideas": "market_analysis",
    "risk_report": "risk_manager",
    "explain": "explanation",
}

HELP = (
    "I can describe the market (regime, trend, volatility, correlations), build portfolios "
    "(HRP, risk parity, inverse-volatility, min-volatility, max-Sharpe, the efficient frontier), report their risk "
    "(VaR, CVaR, drawdown, risk contributions), and search volatility-targeting strategies "
    "across bull, bear, high- and low-volatility and base-case scenarios, then explain the "
    "winner, deploy it to a paper account on a schedule, keep investment ideas ('give me "
    "three defensive ideas', 'save that as an idea') and answer from your research ('what does "
    "my research say about energy stocks?'). Try: 'find the target-vol setting that holds up "
    "in a bear market', then 'deploy that to paper, weekly'. Signed in, I also remember what "
    "you tell me across conversations ('remember that I never hold energy stocks', 'what do you know "
    "about me?', 'forget that')."
)


@register_policy("supervisor")
def supervisor_policy(inp: PolicyInput) -> AIMessage:
    """Route by intent; answer help, greetings, stray confirmations and memory asks itself."""
    if inp.must_call_tool and inp.forced_tool != "Route":
        return default_policy(inp)
    memory = read_memory_ask(user_text(inp), known_tickers(), get_settings().classification_file)
    if memory is not None and memory.bare and (routed := follow_up_route(inp)) is not None:
        return routed  # "exclude XOM" after a build changes the build
    if memory is not None:
        if inp.must_call_tool:
            reason = f"a long-term memory ask ({memory.action.replace('_', ' ')})"
            return forced_call(inp, {"agent": "supervisor", "reason": reason})
        return memory_chat(inp, memory)
    intent = intent_of(inp)
    if (routed := _own_route(inp, intent)) is not None:
        return routed  # "what does a 3-month 90% put on AAPL cost?", "save it as Core", ...
    if (routed := _proposal_route(inp, intent)) is not None:
        return routed  # "how long will that take?" while a search waits
    if (declined := out_of_scope(intent.text, intent.tickers)) is not None:
        if inp.must_call_tool:
            return forced_call(inp, {"agent": "supervisor", "reason": "an ask outside scope"})
        return reply(declined)
    if (routed := _results_route(inp, intent)) is not None:
        return routed  # "and the lookback?" after a search; "what did the hedge cost?"
    if (routed := follow_up_route(inp)) is not None:
        return routed  # a change of the conversation's latest request
    if (routed := _question_back_route(inp, intent)) is not None:
        return routed  # "now cap at 20%" with nothing built; "add 10% KO" with nothing held
    if inp.must_call_tool and repeats_search(inp):
        reason = "the message asks for the conversation's search again, changed"
        return forced_call(inp, {"agent": "optimizer", "run_search": True, "reason": reason})
    if inp.must_call_tool and revises_search(inp):
        reason = "the message changes the conversation's search"
        return forced_call(inp, {"agent": "optimizer", "run_search": True, "reason": reason})
    if inp.must_call_tool and usual_asked(inp) is not None:  # "is that higher than usual?"
        reason = "whether the figure just given is usual, set beside its history"
        return forced_call(inp, {"agent": "market_analysis", "reason": reason})
    if (routed := _meaning_route(inp, intent)) is not None:
        return routed  # "what is a Sharpe ratio?", "what does that mean?"
    if (routed := _why_weights_route(inp, intent) or sector_share_route(inp, intent)) is not None:
        return routed  # "why is KO weighted so heavily?" after a build; "how much is in tech?"
    if about_stratigos(intent):
        if inp.must_call_tool:
            return forced_call(
                inp, {"agent": "supervisor", "reason": "a question about Stratigos itself"}
            )
        return guide_chat(inp)
    if (routed := analysis_route(inp, intent)) is not None:
        return routed  # statistics, stress, loss probabilities, weights backtests, comparisons
    held = has_thread_subject(inp)
    question = None if intent.intent == "estimate" else hedge_question(intent, held)  # says so
    question = question or rebuild_question(intent, held)  # "rebalance my portfolio": which?
    if inp.must_call_tool:
        agent = ROUTES.get(_thread_intent(inp, intent), "supervisor")
        if (intent.unknown_tickers and intent.intent != "research") or question is not None:
            agent = "supervisor"  # it names unknown tickers, or asks what the hedge is for
        elif (intent.methods and intent.asks_risk) or (
            intent.equal_weight and intent.intent in ("optimize_portfolio", "risk_report")
        ):
            agent = "risk_manager"  # builds and measures, or compares with equal weight
        return forced_call(
            inp,
            {
                "agent": agent,
                "run_search": intent.intent == "search_strategy",
                "propose_deployment": intent.intent == "deploy",
                "reason": f"the message reads as {intent.intent.replace('_', ' ')}",
            },
        )
    if intent.unknown_tickers and intent.intent != "research":
        return reply(unknown_tickers_reply(intent.unknown_tickers))
    if question is not None:
        return reply(question)
    if intent.intent in ("approve", "reject"):
        return reply("There is no run waiting for your approval.")
    if intent.intent == "smalltalk":
        return reply("Hello. " + HELP)
    if intent.intent == "unclear":
        return reply(clarifying_question(intent))
    return reply(HELP)


def _own_route(inp: PolicyInput, intent: Intent) -> AIMessage | None:
    """The route (or the answer) of an ask a reading of its own takes before any other: an
    option's price, a portfolio to save, a change of the portfolio held ("de-risk it", "add 10%
    cash" after a build), how a deployment is doing; None for any other message."""
    return (
        option_route(inp, intent)
        or saving_route(inp)
        or held_change_route(inp)
        or deployment_status_route(inp)
    )


def _question_back_route(inp: PolicyInput, intent: Intent) -> AIMessage | None:
    """The question back (through its own route when one must be called) when the message changes
    a request never made (`nothing_to_revise`), adds a name to no portfolio held
    (`added_to_nothing`: "what if I add 20% XOM?") or excludes each stock it names; else None."""
    if nothing_to_revise(inp):
        reason = "a change with no earlier request to change"
        asked: str | None = None if inp.must_call_tool else nothing_to_revise_reply(inp)
    elif (asked := added_to_nothing(intent, has_thread_subject(inp))) is not None:
        reason = "a share added to no portfolio"
    elif (asked := everything_excluded(intent)) is not None:
        reason = "every stock named is left out"
    else:
        return None
    if inp.must_call_tool:
        return forced_call(inp, {"agent": "supervisor", "reason": reason})
    return reply(asked or "")


def _proposal_route(inp: PolicyInput, intent: Intent) -> AIMessage | None:
    """While a proposal waits for approval (`WAITING_PROPOSAL:`): a question about it ("how long
    will that take?") or a decision said with more ("nope, too many trials") answered from it;
    a change of a waiting search asked as a question ("how about 100 trials?") drafted again;
    None for any other message."""
    held = waiting_proposal(inp)
    if held is None:
        return None
    decides = intent.intent in ("approve", "reject")  # said with more: the proposal waits on
    asked = aspects_asked(intent.text, card_last_shown(inp)) or (["decision"] if decides else [])
    deployment = held.get("kind") == "deployment"
    if not asked and deployment and asks_schedule(intent.text):
        asked = ["schedule"]  # "is it monthly?"
    if asked and not intent.tickers:
        if inp.must_call_tool:
            reason = "a question about the proposal waiting for approval"
            return forced_call(inp, {"agent": "supervisor", "reason": reason})
        return reply(proposal_answer(held, asked, intent.budget, asks_why(intent.text)))
    if deployment:
        return _deployment_change_route(inp, intent)
    if (unclear := names_beside_search(held, intent.text, intent.tickers)) is not None:
        if inp.must_call_tool:  # "what about JNJ?": added, searched instead, or read?
            reason = "stocks named alone while a search of others waits"
            return forced_call(inp, {"agent": "supervisor", "reason": reason})
        return reply(unclear)
    if states_search_change(intent) and inp.must_call_tool:  # "with KO only", "drop XOM"
        reason = "a change of the search waiting for approval"
        return forced_call(inp, {"agent": "optimizer", "run_search": True, "reason": reason})
    return None


def _deployment_change_route(inp: PolicyInput, intent: Intent) -> AIMessage | None:
    """While a deployment waits: a change of it ("make it monthly", "$250k instead") drafted
    again by the optimizer; a change the draft cannot read ("make it biweekly") told what can be
    changed; None for any other message (a deployment asked afresh, "deploy the winner
    instead", is drafted as any is)."""
    if intent.intent == "deploy" or not asks_deployment_change(intent):
        return None
    if reads_deployment_change(intent):
        if not inp.must_call_tool:
            return None
        reason = "a change of the deployment waiting for approval"
        return forced_call(
            inp, {"agent": "optimizer", "propose_deployment": True, "reason": reason}
        )
    if inp.must_call_tool:
        reason = "a change of the deployment waiting for approval that cannot be drafted"
        return forced_call(inp, {"agent": "supervisor", "reason": reason})
    return reply(UNREAD_CHANGE)


def _meaning_route(inp: PolicyInput, intent: Intent) -> AIMessage | None:
    """What a word means (the glossary, `concepts`), or a figure of the finished search ("what
    is the lookback?": its explanation); None for any other message."""
    stocks, run = bool(thread_subject(inp)), finished_run(inp)
    concepts, lead = concepts_asked(intent.text, stocks, run), ""
    previous = previous_answer(inp)
    if not concepts and asks_what_it_meant(intent.text) and computed_answer(previous):
        concepts, lead = terms_in(previous), "What the words of my last answer mean:"
    asked = set(concepts_asked(intent.text))  # as if nothing came before
    of_the_run = asked & (PORTFOLIO_TERMS | RUN_TERMS) and run and not stocks
    if not concepts and of_the_run and inp.must_call_tool:  # "what is the lookback?" after a
        reason = "a figure of the finished strategy search"  # search: the winner's
        return forced_call(inp, {"agent": "explanation", "reason": reason})
    if not concepts:
        return None
    if inp.must_call_tool:
        reason = "a question about what a word of finance means"
        return forced_call(inp, {"agent": "supervisor", "reason": reason})
    return glossary_chat(inp, concepts, lead)


def _results_route(inp: PolicyInput, intent: Intent) -> AIMessage | None:
    """The route of a question about what the conversation's results hold: its finished
    search's winner (`_run_parameter_route`), or what its other results answer
    (`results_routes.held_results_route`); None for any other message."""
    return _run_parameter_route(inp, intent) or held_results_route(inp, intent)


def _run_parameter_route(inp: PolicyInput, intent: Intent) -> AIMessage | None:
    """The route of a question about a parameter of the conversation's finished search ("and
    the lookback?", "what about the vol target?": they read as a search ask) or a measure of its
    winner ("the winner's Sharpe in the bear scenario?", "how much is it in cash?"): the
    explanation agent, which answers from the run's facts (`explanation_chat`); None for any
    other message (`search_drafts.asks_about_parameters`, `asks_about_winner`) or before a
    search finished."""
    if not (inp.must_call_tool and finished_run(inp)):
        return None
    if asks_about_parameters(intent):
        reason = "a question about a parameter of the finished strategy search"
    elif asks_about_winner(intent, run_is_latest(inp), run_is_latest_portfolio_work(inp)):
        reason = "a question about a measure of the finished strategy search's winner"
    else:
        return None
    return forced_call(inp, {"agent": "explanation", "reason": reason})


def _why_weights_route(inp: PolicyInput, intent: Intent) -> AIMessage | None:
    """The route of a question why the conversation's built portfolio holds what it holds
    (`weight_explanations`), or why the drawdown just given was so deep (`drawdown_why`): the
    risk manager, which measures it; None for any other."""
    if inp.must_call_tool and drawdown_to_explain(inp) is not None:
        reason = "why the drawdown just given was so deep"
        return forced_call(inp, {"agent": "risk_manager", "reason": reason})
    if not (inp.must_call_tool and asks_why_weights(intent, portfolio_to_explain(inp))):
        return None
    reason = "why the portfolio built in this conversation holds what it holds"
    return forced_call(inp, {"agent": "risk_manager", "reason": reason})


def _thread_intent(inp: PolicyInput, intent: Intent) -> str:
    """The message's intent read with the conversation: a change to the latest portfolio
    builds it again; a question about "them" with nothing else asked reads their market."""
    if intent.intent in ("unclear", "market_overview", "optimize_portfolio") and (
        revises_portfolio(inp, intent)
    ):
        return "optimize_portfolio"
    if intent.intent == "unclear" and intent.refers_back and thread_subject(inp):
        return "market_overview"
    return intent.intent


def clarifying_question(intent: Intent) -> str:
    """A question about what the message leaves open, using what it does say ("sell XOM"
    alone: what to do without it, not a question about the other nineteen stocks)."""
    left_out = [*intent.limits.excluded, *(f"the {s}" for s in intent.limits.excluded_sectors)]
    if left_out and not intent.tickers:
        without = listed(left_out)
        return (
            f"Selling or dropping {without} needs a portfolio or strategy that holds "
            f"{'it' if len(left_out) == 1 and intent.limits.excluded else 'them'}. What "
            f"would you like without {without}: a portfolio (for example 'an "
            f"HRP portfolio without {left_out[0]}'), a read of the other stocks' market, or a "
            "search for a volatility-targeting strategy?"
        )
    tickers = intent.universe(known_tickers())
    if tickers:
        names = ", ".join(tickers)
        return (
            f"What would you like for {names}: a read of their market (regime, volatility, "
            "correlations), a portfolio (HRP, risk parity, inverse-volatility, min-volatility or max-Sharpe), its "
            "risk (VaR, CVaR, drawdown), or a search for a volatility-targeting strategy?"
        )
    return (
        "What would you like me to do: read the market, build a portfolio, measure a "
        "portfolio's risk, or search for a volatility-targeting strategy? Name the stocks too, "
        "for example 'an HRP portfolio of AAPL, MSFT and JNJ since 2018'."
    )


def optimizer_chat(inp: PolicyInput) -> AIMessage:
    """Build a portfolio with `optimize_portfolio` (or the frontier) and describe it; a
    backtest or an estimate of one strategy is answered by its own rules."""
    intent = intent_of(inp)
    done = {call["name"] for call in inp.calls_this_turn()}
    if intent.intent == "backtest" and "backtest_strategy" in inp.tool_names:
        return _backtest_chat(inp, intent, done)
    if intent.intent == "estimate":
        return estimate_chat(inp, intent, done)
    if intent.method == "frontier":
        if "efficient_frontier" not in done:
            return reply("", tool_call("efficient_frontier", frontier_args(intent, inp)))
        data = inp.latest_tool_results()[-1].data if inp.latest_tool_results() else None
        if not isinstance(data, dict):
            return reply("The frontier could not be computed.")
        points = data.get("points", [])
        best = max(points, key=lambda p: p["sharpe"]) if points else None
        if best is None:
            return reply("The frontier came back empty.")
        left_out = "".join(f" {reason}." for reason in data.get("left_out") or [])
        cap = next((c["args"].get("max_weight") for c in inp.calls_this_turn() if c["args"]), None)
        capped = f" Every point holds at most {cap:.1%} in any asset." if cap else ""
        return reply(
            "The efficient frontier spans volatilities "
            f"{points[0]['volatility']:.1%} to {points[-1]['volatility']:.1%}; its best Sharpe "
            f"ratio, {best['sharpe']:.2f}, is at volatility {best['volatility']:.1%} and return "
            f"{best['return']:.1%}." + capped + left_out + limits_note(intent)
        )
    revised = thread_method(inp) if revises_portfolio(inp, intent) else None
    named = [targeted_method(m, intent) for m in intent.methods if m != "frontier"]
    wanted: list[str] = named or [revised or default_method(intent)]
    earlier = thread_method(inp)
    if len(wanted) == 1 and earlier not in (None, wanted[0]) and COMPARES_WITH.search(intent.text):
        wanted = [str(earlier), wanted[0]]  # "compare it with HRP": the thread's and the new
    built = [
        c["args"].get("method") for c in inp.calls_this_turn() if c["name"] == "optimize_portfolio"
    ]
    if len(wanted) > 1:
        missing = [m for m in wanted if m not in built]
        if missing:
            return reply("", tool_call("optimize_portfolio", build_args(inp, intent, missing[0])))
        results = [r for r in inp.results_this_turn() if r.name == "optimize_portfolio"]
        return reply(_comparison(results))
    if "optimize_portfolio" not in done:
        return reply("", tool_call("optimize_portfolio", build_args(inp, intent, wanted[0])))
    latest = [r for r in inp.results_this_turn() if r.name == "optimize_portfolio"][-1:]
    if not latest or latest[-1].is_error or not isinstance(latest[-1].data, dict):
        tried = build_attempt(latest[-1].args) if latest else "build that portfolio"
        reason = latest[-1].reason.rstrip(". ") if latest else "no result"
        return reply(f"I could not {tried}: {reason}.")
    data = latest[-1].data
    left_out = "".join(f" {reason}." for reason in data.get("left_out") or [])
    text = describe_portfolio(data) + " (in-sample estimates)." + limits_note(intent) + left_out
    text += weights_change(intent.weights, data["weights"])  # "rebalance 60% AAPL 40% KO"
    if build_against_index(intent.text):  # "a portfolio that beats the S&P"
        return _against_index(inp, data, text, done)
    return reply(text)


def _against_index(inp: PolicyInput, data: dict[str, Any], text: str, done: set[str]) -> AIMessage:
    """The build's answer `text`, then the portfolio backtested over its estimation window set
    against the S&P 500 index (`backtest_weights`, called first)."""
    if "backtest_weights" not in done:
        span = data["date_range"]
        window = {"start": span["start"], "end": span["end"]}
        return reply(
            "", tool_call("backtest_weights", {"portfolio_id": data["portfolio_id"], **window})
        )
    tested = [r for r in inp.results_this_turn() if r.name == "backtest_weights"][-1]
    if tested.is_error or not isinstance(tested.data, dict):
        return reply(f"{text} I could not set it against the S&P 500 index: {tested.reason}")
    return reply(f"{text} {index_comparison(tested.data)}")


def _backtest_chat(inp: PolicyInput, intent: Intent, done: set[str]) -> AIMessage:
    """Backtest the strategy the message describes on the history, and say how it did."""
    winner = winner_backtest_args(inp, intent, user_text(inp))  # "backtest the winner", "... it"
    question = None if winner else backtest_question(intent)  # "it" is the winner after a search
    if question is not None:
        return reply(question)
    if "backtest_strategy" not in done:
        if winner is None and names_the_winner(intent, user_text(inp)):
            return reply(no_winner(inp))
        window = window_args(intent, thread_subject(inp))
        args = winner or backtest_args(intent, window)
        return reply("", tool_call("backtest_strategy", args))
    latest = inp.latest_tool_results()
    if not latest or latest[-1].is_error or not isinstance(latest[-1].data, dict):
        return reply(f"I could not run that backtest: {latest[-1].reason if latest else ''}")
    return reply(strategy_backtest_answer(latest[-1].data))


def _comparison(results: Sequence[Any]) -> str:
    """Several portfolios side by side, with the best Sharpe ratio named."""
    built = [r.data for r in results if not r.is_error and isinstance(r.data, dict)]
    failed = [r.reason for r in results if r.is_error]
    if not built:
        return f"I could not build those portfolios: {'; '.join(failed)}"
    lines = [describe_portfolio(d) + "." for d in built]
    best = max(built, key=lambda d: d["sharpe"] if d["sharpe"] is not None else -1e9)
    lines.append(
        f"The {method_name(best['method'])} portfolio has the highest Sharpe ratio "
        "(in-sample estimates)."
    )
    return " ".join(lines + [f"Failed: {f}" for f in failed])


_CASH = patterns.compile(r"\bcash\b")
"""A question about time in cash, which a search's results do not keep."""
_WORST = patterns.compile(r"\b(?:worst|deepest|largest|biggest)\b")
"""A question about the worst of something, which a search's path means are not."""
WORST_NOT_KEPT = (
    " That is the mean of its paths' maximum drawdowns, not its worst path (a search keeps each "
    "scenario's path means): 'backtest the winner' gives its drawdown on the market history."
)
"""Said when the worst drawdown is asked of a search's winner."""


def explanation_chat(inp: PolicyInput) -> AIMessage:
    """Answer from the last run handed over in a `LAST_RUN:` system message: about the
    strategy parameters the message names (`agents.explanation.parameter_explanation`), else
    with the run's explanation."""
    if (run := last_run(inp)) is not None:
        explanation = run.get("explanation") or {}
        named = parameters_named(user_text(inp).lower())
        facts = explanation.get("facts") or {}
        said = [text for name in named if (text := parameter_explanation(facts, name))]
        if said:  # "why did it pick that lookback?": that parameter's part in the winner
            return reply(" ".join(said))
        low = user_text(inp).lower()
        metrics = winner_metrics_named(low)
        measured = metric_explanation(facts, metrics, read_scenarios(low), bool(_CASH.search(low)))
        if measured and "max_drawdown" in metrics and _WORST.search(low):
            measured += WORST_NOT_KEPT  # "its worst drawdown in the bear case?"
        if measured:  # "the winner's Sharpe in the bear scenario?": its path means
            return reply(measured)
        if explanation.get("text"):
            return reply(explanation["text"])
    built = portfolio_to_explain(inp)
    if built is not None:
        return reply(
            "No strategy search has finished in this conversation, so there is no winner to "
            f"explain. Of the portfolio built here ({built['portfolio_id']}) I can say why it "
            "holds what it holds ('why is KO weighted so heavily?') or how it would have done "
            "in a period ('how would it have done in 2008?'). Nothing was computed."
        )
    return reply(why_answer(inp) or NOTHING_TO_EXPLAIN)  # "why?" after a stock's return
