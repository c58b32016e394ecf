"""While a search or a deployment waits for approval, a message that is not a decision is
answered and the proposal waits again, unchanged: "how long will that take?" after a drafted
search is answered from the search, and "approve" then runs that search. Before, any such message
first rejected the proposal, so a PM who asked "what will it cost?" lost the draft, was answered
with quotes of Stratigos's own docs about Bedrock prices, and "ok" was then told "There is no run
waiting for your approval". A message that drafts another proposal replaces the one waiting."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from agents.offline.proposal_questions import aspects_asked
from graphs.chat import ChatSession
from services.formatting import listed, scenario
from settings import Settings
from store import Store
from store.sqlite import SQLiteStore
from tests.graphs.test_decision_in_words import SEARCH

QUESTIONS = {
    "time": ("how long will that take?", "How long does it take", "when will it be done?",
             "is that going to take long?", "how many hours will this take?",
             "will it finish within an hour?", "how long would 100 trials take?",
             "how fast is it?", "will that take minutes or hours?"),
    "cost": ("what will it cost?", "how much would that cost", "is it expensive?", "what about the cost?",
             "will I be charged for this?"),
    "size": ("how many trials?", "How many paths does it simulate?", "how big is it?",
             "why 6 trials?", "why so many trials?"),
    "scenarios": ("which scenarios will it use?", "and what market scenarios?",
                  "why these scenarios?"),
    "space": ("what weight function is it using?", "what lookback range will it search?",
              "which settings does it search?", "how come that leverage?"),
    "window": ("which years?", "over which period does it look?", "how far back does it go?"),
    "universe": ("which stocks?", "what names are in it?", "which tickers does it use?"),
    "result": ("what's the expected return?", "what will it return?", "how well will it do?",
               "what's the expected sharpe?"),
}  # fmt: skip
"""PM questions about a waiting search, by the aspect they ask."""
CHANGES = ("make it 8 trials", "use 2016 instead", "drop XOM", "add JNJ", "how about 8 trials?",
           "what if we use 8 trials?", "can you drop XOM?", "with KO only", "KO and PG",
           "what about just KO and XOM?", "run the search on KO only", "rebalance monthly",
           "with 2x leverage", "weight the bear scenario double", "cap the drawdown at 20%")  # fmt: skip
"""Messages that change the waiting search: not questions about it."""
ASIDES = ("what's the sharpe of KO?", "what does the lookback mean?", "hello")
"""Messages about something else: answered, the search still waiting."""
STOCK_ASIDES = ("KO?", "how's XOM been doing?", "compare KO and PG", "what's the volatility of PG?",
                "how did it do in the bear scenario?")  # fmt: skip
"""Questions about stocks (or asked of the search) between two changes of a waiting search."""
DATED_ASIDES = ("what happened to the market in 2020?", "what was the worst drawdown since 2008?",
                "what's the drawdown been over the last 12 months?", "the 2020 crash was brutal",
                "how did the market do in 2022?", "our fund started in 2012",
                "what's the stress test for a 2008 crash?")  # fmt: skip
"""Messages naming a year or a period about something else: they change no waiting search."""


WHY = {
    "time": "not asked", "cost": "not asked", "window": "not asked", "universe": "not asked",
    "result": "not asked",
    "size": "more trials search the space more thoroughly and take longer",
    "scenarios": "so that the winner is not tuned to one market",
    "space": "the search tries configurations inside these ranges and keeps the best",
}  # fmt: skip
"""What the reply says of the reason for an aspect, when the question asks why."""


def _span(name: str, dimension: dict) -> str:
    """A searched range as the reply words it (`services.formatting.PARAMETERS`' formats)."""
    low, high = dimension["low"], dimension["high"]
    if name == "lookback":
        return f"lookback {low} to {high} trading days"
    return f"volatility target {low:.2%} to {high:.2%}"


def _unreachable(*args: object, **kwargs: object) -> None:
    """A model call that fails at the service (a fault injected where the model is called)."""
    from agents.errors import ModelCallError

    raise ModelCallError("supervisor", "ServiceUnavailableException", "unreachable")


def _session() -> ChatSession:
    return ChatSession(f"wait-{uuid.uuid4().hex}", settings=Settings())


def _waiting_search(session: ChatSession) -> dict:
    turn = session.send(SEARCH)
    assert turn.pending is not None
    return turn.pending


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    aspect_and_question=st.sampled_from([(a, q) for a, qs in QUESTIONS.items() for q in qs]),
    aside=st.sampled_from(ASIDES),
)
@example(aspect_and_question=("result", "what's the expected return?"), aside=ASIDES[0])
@example(aspect_and_question=("result", "how well will it do?"), aside=ASIDES[2])
def test_a_question_while_a_search_waits_is_answered_from_it_and_the_search_still_runs(
    offline_data_dir: Path, aspect_and_question: tuple[str, str], aside: str
) -> None:
    aspect, question = aspect_and_question
    session = _session()
    drafted = _waiting_search(session)
    request = drafted["request"]
    turn = session.send(question)
    reply = " ".join(turn.replies)
    assert turn.pending == drafted and session.pending() == drafted, reply
    assert reply.startswith("The search waiting for your approval has not run. "), reply
    budget = request["budget"]
    facts = {
        "time": f"at most {budget['max_trials']} trials and "
        f"{budget['max_wall_seconds'] / 60:g} minutes of wall time; it stops sooner when it has "
        f"spent its {budget['max_llm_tokens']:,} model tokens",
        "cost": f"{budget['max_trials']} trials, {budget['max_wall_seconds'] / 60:g} minutes of "
        f"wall time and {budget['max_llm_tokens']:,} model tokens",
        "size": f"Each of its {budget['max_trials']} trials simulates {request['n_paths']} paths "
        f"of {request['horizon']} trading days in each of its {len(request['scenarios'])} "
        f"scenarios",
        "window": f"daily returns of {request['start']} to {request['end']}",
        "scenarios": f"It simulates the {listed([scenario(n) for n in request['scenarios']])} "
        "scenarios, each drawn",
        "space": "It searches "
        + "; ".join(
            _span(name, request["search_space"][name]) for name in ("target_vol", "lookback")
        ),
        "universe": f"equal-weight portfolio of {', '.join(request['universe'])}.",
        "result": "It has no result yet: the winner's return, volatility, Sharpe ratio and "
        "drawdown in each scenario are known only once it runs.",
    }
    assert facts[aspect] in reply, reply
    why = question.lower().startswith(("why", "how come"))
    assert (WHY[aspect] in reply) == why, reply  # the reason, when one is asked
    assert not re.search(r"\b(?:high|low)_vol\b", reply), reply  # words, not codes
    if "100 trials" in question:  # a budget of its own: said not to be the one drafted
        assert "It is drafted with 6 trials, not 100: say 'use 100 trials'" in reply, reply
    what = session.send("what will it do?")  # nothing in particular: the search in words
    assert (
        what.replies[-1].startswith(
            "The search waiting for your approval has not run. It would try up to "
            f"{budget['max_trials']} settings of a volatility-targeting strategy that holds "
        )
        and what.pending == drafted
    ), what.replies[-1]
    other = session.send(aside)  # something else entirely: answered, the search waits
    assert other.replies and "Cancelled" not in " ".join(other.replies)
    assert other.pending == drafted
    run = session.send("approve")
    assert re.match(r"Run run_\w+ succeeded\.", run.replies[-1]), run.replies
    assert run.pending is None and session.pending() is None
    assert f"after {budget['max_trials']} trials" in run.replies[-1]  # the search drafted


def test_why_and_what_of_the_settings_are_answered_in_one_thread(offline_data_dir: Path) -> None:
    """ "why 6 trials?" and "what weight function is it using?" put the card back with no
    answer, and "why these scenarios?" answered with the statistics of every stock's
    scenarios."""
    session = _session()
    drafted = _waiting_search(session)
    for aspect in ("size", "scenarios", "space"):
        for question in QUESTIONS[aspect]:
            turn = session.send(question)
            assert turn.pending == drafted, (question, turn.replies)
            assert turn.replies[-1].startswith("The search waiting for your approval"), question
            assert aspects_asked(question)[0] == aspect, question


@pytest.mark.parametrize("change", CHANGES)
def test_a_change_while_a_search_waits_drafts_it_again(offline_data_dir: Path, change: str) -> None:
    session = _session()
    drafted = _waiting_search(session)
    turn = session.send(change)
    assert turn.pending is not None and turn.pending["request"] != drafted["request"]
    assert "It replaces the search (not run) that was waiting" in turn.pending["summary"]
    assert not turn.replies or "waiting for your approval has not run" not in turn.replies[-1]
    universe = {"add JNJ": ["KO", "PG", "XOM", "JNJ"], "with KO only": ["KO"],
                "KO and PG": ["KO", "PG"], "what about just KO and XOM?": ["KO", "XOM"],
                "run the search on KO only": ["KO"]}  # fmt: skip
    expected = ["KO", "PG"] if "drop XOM" in change else universe.get(change, ["KO", "PG", "XOM"])
    assert turn.pending["request"]["universe"] == expected  # changed from the search waiting
    trials = 8 if "8 trials" in change else drafted["request"]["budget"]["max_trials"]
    assert turn.pending["request"]["budget"]["max_trials"] == trials
    start = "2016-01-01" if "2016" in change else drafted["request"]["start"]
    assert turn.pending["request"]["start"] == start  # the rest as it was


def test_changes_of_a_waiting_search_change_what_they_say_and_keep_the_rest(
    offline_data_dir: Path,
) -> None:
    session = _session()
    drafted = _waiting_search(session)["request"]
    for change, changed in (
        ("rebalance monthly", lambda r: r["search_space"]["rebalance_every"] == 21),
        ("with 2x leverage", lambda r: r["search_space"]["max_leverage"] == 2.0),
        ("weight the bear scenario double", lambda r: r["scenario_weights"]["bear"] == 2.0),
        ("cap the drawdown at 20%", lambda r: r["risk_limits"]["max_drawdown"] == 0.2),
        ("drop XOM", lambda r: r["universe"] == ["KO", "PG"]),
    ):
        turn = session.send(change)
        assert turn.pending is not None, (change, turn.replies)
        request = turn.pending["request"]
        assert changed(request), (change, request)
    # every change kept, with what no message changed
    assert request["search_space"]["rebalance_every"] == 21
    assert request["search_space"]["max_leverage"] == 2.0
    assert request["scenario_weights"]["bear"] == 2.0
    assert request["risk_limits"]["max_drawdown"] == 0.2
    for kept in ("start", "end", "budget", "scenarios"):
        assert request[kept] == drafted[kept], kept
    assert request["search_space"]["target_vol"] == drafted["search_space"]["target_vol"]


def test_the_vol_kept_at_a_level_and_a_multiple_of_a_scenario_change_a_waiting_search(
    offline_data_dir: Path,
) -> None:
    """ "keep the vol at 10%" was answered "What would you like me to do"; "weight the bear
    scenario triple" weighted it double."""
    session = _session()
    drafted = _waiting_search(session)["request"]
    for change, changed in (
        ("keep the vol at 10%", lambda r: r["search_space"]["target_vol"] == 0.1),
        ("hold the volatility at 15%", lambda r: r["search_space"]["target_vol"] == 0.15),
        ("weight the bear scenario triple", lambda r: r["scenario_weights"]["bear"] == 3.0),
    ):
        turn = session.send(change)
        assert turn.pending is not None, (change, turn.replies)
        assert changed(turn.pending["request"]), (change, turn.pending["request"])
    request = turn.pending["request"]
    assert request["search_space"]["target_vol"] == 0.15  # the last target said
    for kept in ("universe", "start", "end", "budget", "scenarios"):
        assert request[kept] == drafted[kept], kept


def test_messages_naming_a_period_about_something_else_leave_the_search_as_it_was(
    offline_data_dir: Path,
) -> None:
    session = _session()
    drafted = _waiting_search(session)
    for aside in DATED_ASIDES:
        assert session.send(aside).pending == drafted, aside


def test_a_second_limit_or_weighting_adds_to_the_first_and_the_question_asked_is_kept(
    offline_data_dir: Path,
) -> None:
    """ "cap CVaR at 3%" after "cap the drawdown at 20%" keeps both; "too" adds a scenario's
    weight, "instead" replaces it; the search asked about the vol target keeps the target-vol
    rule ("weight rule inverse volatility (fixed)") through every change."""
    session = _session()
    drafted = _waiting_search(session)
    assert "weight rule inverse volatility (fixed)" in drafted["summary"]
    for change in ("cap the drawdown at 20%", "cap CVaR at 3%", "weight the bear scenario double",
                   "weight the high vol scenario double too"):  # fmt: skip
        turn = session.send(change)
    request = turn.pending["request"]
    assert (
        request["risk_limits"]["max_drawdown"] == 0.2 and request["risk_limits"]["cvar_95"] == 0.03
    )
    assert (
        request["scenario_weights"]["bear"] == 2.0
        and request["scenario_weights"]["high_vol"] == 2.0
    )
    assert "weight rule inverse volatility (fixed)" in turn.pending["summary"], turn.pending[
        "summary"
    ]
    weights = session.send("weight the low vol scenario double instead").pending["request"]
    assert {n for n, w in weights["scenario_weights"].items() if w > 1} == {"low_vol"}


def test_a_cap_said_with_nothing_waiting_drafts_no_search(offline_data_dir: Path) -> None:
    turn = _session().send("cap the drawdown at 20%")  # which portfolio? nothing to cap
    assert turn.pending is None and "Which portfolio or stocks?" in turn.replies[-1], turn


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    first=st.sampled_from(CHANGES),
    aside=st.sampled_from(ASIDES + STOCK_ASIDES),
    second=st.sampled_from(CHANGES),
)
def test_a_question_between_two_changes_of_a_waiting_search_loses_neither(
    offline_data_dir: Path, first: str, aside: str, second: str
) -> None:
    """ "with KO only", "KO?", "make it 8 trials" is a search of KO with 8 trials: the search
    drafted with a question between two changes is the one drafted without it (the drafts
    start from the waiting search, not from the conversation read again)."""
    direct = _session()
    _waiting_search(direct)
    direct.send(first)
    expected = direct.send(second).pending
    assert expected is not None
    around = _session()
    _waiting_search(around)
    changed = around.send(first).pending
    assert around.send(aside).pending == changed  # answered; the changed search still waits
    got = around.send(second).pending
    assert got is not None and got["request"] == expected["request"], (first, aside, second)


def test_a_change_after_a_question_changes_the_search_and_a_cancellation_in_words_cancels(
    offline_data_dir: Path,
) -> None:
    session = _session()
    drafted = _waiting_search(session)
    session.send("how many trials?")
    dropped = session.send("drop XOM").pending
    assert dropped is not None and dropped["request"]["universe"] == ["KO", "PG"]
    assert dropped["request"]["start"] == drafted["request"]["start"]
    hypothetical = session.send("how long would 100 trials take?")  # asked, not changed
    assert hypothetical.pending == dropped
    assert "It is drafted with 6 trials, not 100" in hypothetical.replies[-1]
    kept = session.send("nope, too many trials")  # a rejection and more: it waits, said so
    assert kept.pending == dropped and "waiting for your approval" in kept.replies[-1]
    assert session.send("cancel the search").replies == ["Cancelled: nothing was run."]
    assert session.pending() is None


@settings(max_examples=200, deadline=None)
@given(
    question=st.sampled_from([q for qs in QUESTIONS.values() for q in qs]),
    case=st.sampled_from([str.lower, str.upper, str.capitalize]),
    change=st.sampled_from(CHANGES),
)
def test_questions_are_read_as_asking_and_changes_are_not(question: str, case, change: str) -> None:
    assert aspects_asked(case(question))
    assert aspects_asked(change) == []
    assert aspects_asked("what does trials mean?") == []  # the glossary's
    assert aspects_asked("what are the transaction costs?") == []  # the search's own costs
    assert aspects_asked("what is the cost of the hedge?") == []
    assert aspects_asked("why not 100 trials?") == []  # a change suggested


def test_a_deployment_waits_through_a_question_and_a_new_search_replaces_it(
    offline_data_dir: Path, tmp_path: Path
) -> None:
    store: Store = SQLiteStore(tmp_path / "store.sqlite")
    session = ChatSession("wait-deploy", settings=Settings(), owner="alice", store=store)
    _waiting_search(session)
    session.send("approve")
    proposed = session.send("deploy that to paper weekly")
    assert proposed.pending is not None and proposed.pending["kind"] == "deployment"
    for other_kind in ("run the search", "yes, start the job"):  # no answer to a deployment
        assert session.send(other_kind).pending is not None
        assert store.list_deployments("alice") == []
        proposed = session.send("deploy that to paper weekly")
    asked = session.send("what will it cost?")
    assert asked.pending == proposed.pending
    assert asked.replies[-1].startswith("The deployment waiting for your approval has not")
    capital = session.send("how much capital?")
    assert capital.pending == proposed.pending
    said = capital.replies[-1].removeprefix("The deployment waiting for your approval has not ")
    assert said.startswith("been created: Deploy the winner of run ")  # the deployment itself
    assert "$100,000.00 of capital, rebalanced on the first session of each week" in said
    assert store.list_deployments("alice") == []
    refused = session.send("deploy pf_0123ab to paper")  # no such portfolio: a failed draft
    assert "pf_0123ab" in refused.replies[-1]
    assert refused.pending == proposed.pending  # keeps the one waiting
    replaced = session.send(SEARCH.replace("6 trials", "7 trials"))
    assert replaced.pending is not None and replaced.pending.get("kind") != "deployment"
    said = "It replaces the deployment (not created) that was waiting for your approval."
    assert replaced.pending["summary"].endswith(said)
    assert session.send("no").replies == ["Cancelled: nothing was run."]
    assert session.pending() is None and store.list_deployments("alice") == []


DEPLOYMENT_CHANGES = {
    "make it monthly": (100_000.0, {"every": "month", "on": "first"}),
    "how about quarterly?": (100_000.0, {"every": "quarter", "on": "first"}),
    "rebalance at month end please": (100_000.0, {"every": "month", "on": "last"}),
    "with $250k instead": (250_000.0, {"every": "week", "on": "first"}),
    "can we do 50,000 dollars, monthly?": (50_000.0, {"every": "month", "on": "first"}),
    "could you switch from weekly to monthly?": (100_000.0, {"every": "month", "on": "first"}),
    "rebalance at 10:30 instead": (100_000.0, {"every": "week", "on": "first", "at": "10:30"}),
    "rebalance on the last day of the month": (100_000.0, {"every": "month", "on": "last"}),
    "at 3pm instead": (100_000.0, {"every": "week", "at": "15:00"}),
    "make it $500": (500.0, {"every": "week", "on": "first"}),
}
"""Changes of a waiting deployment ("deploy that to paper weekly") in words: its capital and
schedule after each, the rest kept."""


@pytest.mark.parametrize("change", DEPLOYMENT_CHANGES)
def test_a_change_of_a_waiting_deployment_in_words_drafts_it_again(
    offline_data_dir: Path, tmp_path: Path, change: str
) -> None:
    """Before, "make it monthly" while a deployment waited built an HRP portfolio of every
    stock, the deployment left as it was."""
    store: Store = SQLiteStore(tmp_path / "store.sqlite")
    session = ChatSession("change-deploy", settings=Settings(), owner="alice", store=store)
    _waiting_search(session)
    session.send("approve")
    weekly = session.send("deploy that to paper weekly").pending
    assert weekly is not None and weekly["kind"] == "deployment"
    turn = session.send(change)
    assert turn.pending is not None and turn.pending["kind"] == "deployment", turn.replies
    assert "portfolio (pf_" not in " ".join(turn.replies)  # nothing built
    capital, schedule = DEPLOYMENT_CHANGES[change]
    request = turn.pending["request"]
    assert request["source"] == weekly["request"]["source"]  # the same winner
    assert request["capital"] == capital
    assert {k: request["schedule"].get(k) for k in schedule} == schedule
    summary = turn.pending["summary"]
    assert "the cadence it was backtested with" in summary  # not the winner's own schedule
    assert summary.endswith(
        "It replaces the deployment (not created) that was waiting for your approval."
    )
    for question in (f"is it {schedule['every']}ly?", "does it rebalance at month end?"):
        asked = session.send(question)
        assert asked.pending == turn.pending, question  # a question about it changes nothing
        assert asked.replies[-1].startswith("The deployment waiting for your approval has not")
    session.send("approve")
    [deployment] = store.list_deployments("alice")
    assert deployment.spec["capital"] == capital, deployment.spec
    assert {k: deployment.spec["schedule"].get(k) for k in schedule} == schedule
    store.close()


def test_changes_it_cannot_draft_are_said_and_stock_questions_change_nothing(
    offline_data_dir: Path, tmp_path: Path
) -> None:
    """A change of a waiting deployment the draft cannot read is told what can be changed (it
    built a portfolio of every stock, or replaced the deployment with a default search); a
    question about a stock, or more stocks, while a search waits leaves it; a change of the
    universe then of the trials keeps both."""
    from agents.offline.deployment_drafts import UNREAD_CHANGE

    store: Store = SQLiteStore(tmp_path / "store.sqlite")
    session = ChatSession("unread", settings=Settings(), owner="alice", store=store)
    drafted = _waiting_search(session)
    only = session.send("with KO only").pending
    trials = session.send("make it 8 trials").pending
    assert only is not None and trials is not None
    request = trials["request"]
    assert request["universe"] == ["KO"] and request["budget"]["max_trials"] == 8
    assert request["start"] == drafted["request"]["start"]
    for aside in ("KO?", "and JNJ"):
        assert session.send(aside).pending == trials, aside
    session.send("approve")
    weekly = session.send("deploy that to paper weekly").pending
    for unread in ("make it biweekly", "rebalance on fridays instead",
                   "rebalance every 2 weeks", "at 4:30pm instead", "make it at 3"):  # fmt: skip
        turn = session.send(unread)
        assert turn.replies[-1] == UNREAD_CHANGE and turn.pending == weekly, unread
    for refused in ("make it $0", "with -$5,000 instead"):  # said, and refused by its bound
        turn = session.send(refused)
        assert turn.pending == weekly, (refused, turn.replies)
        assert (
            "I could not set up that deployment: capital: must be greater than 0"
            in (turn.replies[-1])
        ), (refused, turn.replies)
    for other in ("could you backtest it since 2015?", "can we cap losses at 5%?",
                  "what's the winner's monthly volatility?", "how did it do last month?",
                  "can you explain why the winner was picked?"):  # fmt: skip
        turn = session.send(other)  # about something else: answered, the deployment as it was
        assert turn.pending == weekly and turn.replies[-1] != UNREAD_CHANGE, other
        assert not turn.replies[-1].startswith("The deployment waiting"), other
    assert store.list_deployments("alice") == []
    store.close()


def test_stocks_asked_about_after_a_search_are_not_its_universe_when_nothing_waits(
    offline_data_dir: Path,
) -> None:
    """ "KO and PG" after a finished search asks their statistics; a change of the search after
    it keeps the search's stocks (a review found the stocks taken for its universe)."""
    session = _session()
    drafted = _waiting_search(session)
    session.send("approve")
    assert session.send("KO and PG").pending is None
    again = session.send("now with 8 trials").pending
    assert again is not None and again["request"]["universe"] == drafted["request"]["universe"]


def test_a_model_failure_while_a_question_is_answered_leaves_the_proposal_waiting(
    offline_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The model is unreachable while the supervisor reads the question (a fault injected at
    the model call): the turn fails as any turn would, and the search still waits, answerable."""
    import graphs.assistant as assistant
    from agents.errors import ModelCallError

    session = _session()
    drafted = _waiting_search(session)

    with monkeypatch.context() as patched:
        patched.setattr(assistant, "route_message", _unreachable)
        with pytest.raises(ModelCallError):
            session.send("how long will that take?")
    assert session.pending() == drafted
    answered = session.send("how many trials?")  # the thread goes on
    assert answered.pending == drafted and "Each of its 6 trials" in answered.replies[-1]
    assert session.send("no").replies == ["Cancelled: nothing was run."]
    assert session.pending() is None


def test_a_decision_naming_another_kind_of_proposal_is_not_taken_for_this_one(
    offline_data_dir: Path,
) -> None:
    session = _session()
    drafted = _waiting_search(session)
    turn = session.send("approve the deployment")  # there is none: the search does not run
    assert not any(r.startswith("Run ") for r in turn.replies) and session.pending() == drafted


def test_a_stopped_turn_and_a_failed_run_leave_the_proposal_waiting_for_a_new_answer(
    offline_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import graphs.chat_search as chat_search
    from agents.errors import ModelCallError
    from graphs.chat import TurnStopped

    session = _session()
    drafted = _waiting_search(session)
    calls = iter(range(100))
    session.stop = lambda: next(calls) >= 2  # the PM stops the turn midway
    with pytest.raises(TurnStopped):
        session.send("how long will that take?")
    session.stop = None
    assert session.pending() == drafted

    with monkeypatch.context() as patched:
        patched.setattr(chat_search, "run_approved_search", _unreachable)
        with pytest.raises(ModelCallError):
            session.decide("approve")
    assert session.pending() == drafted  # waits for a new answer: the spent one is not reused
    turn = session.send("what's the sharpe of KO?")
    assert not any(r.startswith("Run ") for r in turn.replies), turn.replies
    assert turn.pending == drafted


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    names=st.lists(st.sampled_from(("JNJ", "AAPL", "MSFT", "WMT")), min_size=1, max_size=2,
                   unique=True),
    opening=st.sampled_from(("what about {n}?", "and {n}?", "how about {n}", "ok, what about {n}?")),
    then=st.sampled_from(("add", "only", "read")),
)  # fmt: skip
@example(names=["JNJ"], opening="what about {n}?", then="add")
def test_stocks_named_alone_while_a_search_of_others_waits_are_asked_about(
    offline_data_dir: Path, names: list[str], opening: str, then: str
) -> None:
    """ "what about JNJ?" while a search of KO, PG and XOM waits asks whether to add JNJ, search
    it instead or read it, the search waiting unchanged (before: a search of JNJ alone replaced
    it); each answer given then does what it says."""
    session = _session()
    drafted = _waiting_search(session)
    universe = drafted["request"]["universe"]
    said = " and ".join(names)
    turn = session.send(opening.format(n=said))
    assert turn.pending == drafted, turn.pending  # still waiting, unchanged
    asked = turn.replies[-1]
    assert asked.startswith(f"The search on {listed(universe)}") and "unchanged" in asked, asked
    assert f"What would you like for {listed(names)}:" in asked, asked
    year = drafted["request"]["start"][:4]
    options = {"add": f"add {said}", "only": f"{said} only", "read": f"how has {names[0]} done "
               f"since {year}?"}  # fmt: skip
    assert all(f"'{option}'" in asked for option in options.values()), asked
    answered = session.send(options[then])
    if then == "read":
        assert answered.replies[-1].startswith(f"Statistics from {year}-01-0"), answered.replies
        assert answered.pending == drafted
    else:
        assert answered.pending is not None
        expected = [*universe, *names] if then == "add" else names
        assert answered.pending["request"]["universe"] == expected
