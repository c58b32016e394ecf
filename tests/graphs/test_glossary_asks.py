"""A question about what a word of finance means ("what is a Sharpe ratio?", "explain CVaR",
"what's the difference between HRP and risk parity?") is answered with the glossary's section
for each word asked, in the order asked, with its citation, and computes nothing; before, it
asked "Which portfolio?", asked what to do, or built portfolios of every stock. A question that
names a subject ("the Sharpe ratio of AAPL", "my volatility", "the max drawdown" after a build)
still computes it."""

from __future__ import annotations

import re
import uuid
from functools import cache
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from langchain_core.messages import HumanMessage

from agents.offline.intent.concepts import GLOSSARY_TERMS, concepts_asked, terms_in
from graphs.ask_check import account
from graphs.ask_inputs import ToolUse
from graphs.ask_vocabulary import vocabulary
from graphs.chat import ChatSession
from services.guide import GuideSection, guide_sections, search_guide
from settings import Settings
from tests.support.chat_answers import answer_in_new_thread

GLOSSARY = "glossary.md"
HEADINGS = tuple(dict.fromkeys(heading for heading, _ in GLOSSARY_TERMS))
SAID = {
    "Sharpe ratio": ("Sharpe ratio", "sharpe"), "Sortino ratio": ("Sortino ratio", "sortino"),
    "Maximum drawdown": ("max drawdown", "maximum drawdown", "drawdown"),
    "CVaR (expected shortfall)": ("CVaR", "expected shortfall"),
    "Value at risk (VaR)": ("VaR", "value at risk"), "Volatility": ("volatility",),
    "Hierarchical Risk Parity (HRP)": ("HRP", "hierarchical risk parity"),
    "Risk parity": ("risk parity",), "Beta": ("beta",), "Calmar ratio": ("Calmar ratio",),
    "Mean-variance and the efficient frontier": ("the efficient frontier", "mean-variance"),
    "Volatility targeting": ("volatility targeting", "vol targeting"),
    "Collar": ("collar",), "Put spread": ("put spread",), "CAGR": ("CAGR",),
    "Downside deviation": ("downside deviation",), "Skewness": ("skewness",),
    "Kurtosis": ("kurtosis",), "Backtest": ("backtest",), "Lookback": ("lookback",),
}  # fmt: skip
ONE = (
    "what is a {}?", "What does {} mean", "explain {}", "explain what {} means",
    "define {}", "what's {}", "can you explain {} in plain english?", "how is {} calculated?",
    "what do you mean by {}?", "meaning of {}", "what exactly is {}?",
)  # fmt: skip
TWO = (
    "what's the difference between {} and {}?", "how is {} different from {}?", "{} vs {}?",
    "explain {} and {}",
)  # fmt: skip
SETTINGS = settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@cache
def _sections() -> dict[str, GuideSection]:
    """The glossary's sections by heading (read on first use: building the guide's index takes
    most of a second, which collecting this module need not pay)."""
    return {s.heading: s for s in guide_sections() if s.page == GLOSSARY and s.heading != s.title}


def _section_text(heading: str) -> str:
    """What the reply quotes of a heading's section: its prose on one line, no markdown marks."""
    return " ".join(re.sub(r"\*\*|__|`", "", _sections()[heading].text).split())


def _assert_defines(reply: str, headings: tuple[str, ...]) -> None:
    places = []
    for heading in headings:
        quoted = f'{heading}: {_section_text(heading)} (docs/glossary.md, "{heading}")'
        assert quoted in reply, (heading, reply)
        places.append(reply.index(quoted))
    assert places == sorted(places), reply  # in the order asked
    others = set(_sections()) - set(headings)
    assert not [h for h in others if reply.startswith(f"{h}: ") or f"\n\n{h}: " in reply], reply
    assert "Not used" not in reply and "portfolio (pf_" not in reply, reply


def test_every_heading_of_the_glossary_has_words_that_name_it() -> None:
    sections = set(_sections())
    assert set(HEADINGS) == sections, set(HEADINGS) ^ sections
    for heading in HEADINGS:  # the search the answer makes finds the section
        found = [(h.section.page, h.section.heading) for h in search_guide(heading, 3)]
        assert (GLOSSARY, heading) in found, (heading, found)


@SETTINGS
@given(heading=st.sampled_from(sorted(SAID)), frame=st.sampled_from(ONE), data=st.data())
def test_what_a_word_means_is_its_glossary_section(
    offline_data_dir: Path, heading: str, frame: str, data: st.DataObject
) -> None:
    said = data.draw(st.sampled_from(SAID[heading]))
    reply = answer_in_new_thread(frame.format(said))
    _assert_defines(reply, (heading,))


@SETTINGS
@given(
    pair=st.lists(st.sampled_from(sorted(SAID)), min_size=2, max_size=2, unique=True),
    frame=st.sampled_from(TWO),
)
def test_two_words_set_side_by_side_are_each_defined_in_order(
    offline_data_dir: Path, pair: list[str], frame: str
) -> None:
    text = frame.format(*(SAID[heading][0] for heading in pair))
    assert concepts_asked(text) == tuple(pair), text
    _assert_defines(answer_in_new_thread(text), tuple(pair))


def test_a_word_said_of_a_subject_is_computed_not_defined(offline_data_dir: Path) -> None:
    for text in (
        "what is the sharpe ratio of AAPL in 2021?", "what is my volatility?",
        "build a risk parity portfolio of AAPL, MSFT and KO", "what is the max drawdown since 2019",
        "explain this backtest", "what is the market regime?", "backtest HRP on AAPL and KO",
        "what's the beta of MSFT", "explain the result",
    ):  # fmt: skip
        assert concepts_asked(text) == (), text
    reply = answer_in_new_thread("what is the sharpe ratio of AAPL in 2021?")
    assert "AAPL: Sharpe ratio" in reply and "glossary" not in reply, reply


def test_after_a_build_the_bare_measure_is_the_builds_and_its_meaning_the_glossarys(
    offline_data_dir: Path,
) -> None:
    session = ChatSession(f"ask-{uuid.uuid4().hex}", settings=Settings())
    built = session.send("build an HRP portfolio of AAPL, MSFT, JNJ and XOM since 2018")
    portfolio = re.search(r"pf_[0-9a-f]+", built.replies[-1])
    assert portfolio is not None, built.replies
    measured = session.send("what is the max drawdown?").replies[-1]
    assert portfolio.group() in measured and "maximum drawdown was" in measured, measured
    _assert_defines(session.send("what does max drawdown mean?").replies[-1], ("Maximum drawdown",))
    _assert_defines(session.send("what is risk parity?").replies[-1], ("Risk parity",))


def test_a_question_of_meaning_read_from_the_documentation_leaves_no_method_unused() -> None:
    vocab = vocabulary()
    guide = ToolUse("search_guide", {"query": "Risk parity", "k": 3})
    meaning = account([HumanMessage("what is risk parity?")], [guide], "Risk parity: ...", vocab)
    assert meaning.missing == [], meaning
    # an ask to build, answered by reading the documentation, still misses its method
    build = [HumanMessage("build a risk parity portfolio")]
    asked = account(build, [guide], "Risk parity: ...", vocab)
    assert [m.item.value for m in asked.missing if m.item.kind == "method"], asked


def test_what_the_last_answer_meant_is_the_glossary_of_its_words(offline_data_dir: Path) -> None:
    for text in ("what does that mean?", "I don't understand", "in plain english?"):
        session = ChatSession(f"ask-{uuid.uuid4().hex}", settings=Settings())
        answer = session.send(
            "backtest monthly rebalancing of equal weights in AAPL MSFT and AMD from 2015 to 2020"
        ).replies[-1]
        used = terms_in(answer)
        assert len(used) >= 3, answer  # a backtest's answer speaks of several measures
        reply = session.send(text).replies[-1]
        assert reply.startswith("What the words of my last answer mean:"), reply
        _assert_defines(reply, used)


def test_a_crisis_replayed_for_the_year_asked_uses_that_year(offline_data_dir: Path) -> None:
    session = ChatSession(f"ask-{uuid.uuid4().hex}", settings=Settings())
    session.send("build a min vol portfolio of the staples")
    reply = session.send("how would it have done during the 2008 crisis?").replies[-1]
    assert "The 2008 financial crisis (2007-10-09 to 2009-03-09)" in reply, reply
    assert "Not used" not in reply, reply
    shock = session.send("how would it have done in the 2022 rate shock?").replies[-1]
    assert "The 2022 rate shock" in shock and "Not used" not in shock, shock
    year = session.send("how would it have done in 2008?").replies[-1]  # the calendar year, as
    assert "from 2008-01-02 to 2008-12-31" in year and "Not used" not in year, year  # weights
    # the default crises replayed do not stand for a window asked of the betas
    vocab = vocabulary()
    message = [HumanMessage("stress test 50/50 AAPL MSFT with betas estimated from June 2022")]
    replayed = {"episodes": [{"key": "rates_2022", "start": "2022-01-03", "end": "2022-10-12"}]}
    stress = ToolUse("stress_test", {"weights": {"AAPL": 0.5, "MSFT": 0.5}}, replayed)
    missing = account(message, [stress], "...", vocab).missing
    assert [m.item.kind for m in missing] == ["start"], missing


def test_in_a_conversation_a_comparison_or_a_run_s_figure_is_computed_not_defined(
    offline_data_dir: Path,
) -> None:
    session = ChatSession(f"ask-{uuid.uuid4().hex}", settings=Settings())
    session.send("build an HRP portfolio of AAPL, MSFT, JPM and XOM since 2018")
    for text in ("vs min vol?", "what would you use, hrp or min vol?",
                 "what is the difference in volatility between hrp and risk parity?"):  # fmt: skip
        reply = session.send(text).replies[-1]
        assert "(docs/glossary.md" not in reply and "pf_" in reply, reply
    for text, heading in (("what's the difference between VaR and CVaR?", "Value at risk (VaR)"),
                          ("what is rebalancing?", "Rebalancing"), ("what is turnover?", "Turnover"),
                          ("what is the lookback?", "Lookback")):  # fmt: skip
        assert session.send(text).replies[-1].startswith(f"{heading}: "), text  # no run to ask
    regime = session.send("what regime are we in?").replies[-1]
    assert "(docs/glossary.md" not in regime and "return regime" in regime, regime
    run = ChatSession(f"ask-{uuid.uuid4().hex}", settings=Settings())
    run.send("find the target-vol setting for AAPL, MSFT and KO that holds up in a bear market "
             "with 40 trials")  # fmt: skip
    assert run.decide("approve").replies[-1].startswith("Run run_")
    explained = run.send("explain the result").replies[-1]
    assert explained.startswith("The winner "), explained  # the run's explanation
    for text, label in (("what is the sharpe ratio?", "Sharpe ratio"),
                        ("explain the drawdown", "max drawdown")):  # fmt: skip
        reply = run.send(text).replies[-1]  # the winner's, per scenario
        assert reply.startswith(f"The winner's {label} ("), (text, reply)
    lookback = run.send("what is the lookback?").replies[-1]  # the winner's, and its part
    assert lookback.startswith("The winner: lookback "), lookback
    assert "(docs/glossary.md" in run.send("what does the sharpe ratio mean?").replies[-1]
    assert run.send("vs min vol?").replies[-1].startswith("Minimum volatility: ")  # no stocks
    run.send("explain the result")
    meant = run.send("what does that mean?").replies[-1]  # the explanation's words
    assert meant.startswith("What the words of my last answer mean:"), meant


def test_the_accounting_still_names_a_method_asked_for_beside_a_question_of_meaning() -> None:
    vocab = vocabulary()
    guide = ToolUse("search_guide", {"query": "Risk parity", "k": 3})
    for text in ("so what is risk parity?", "whats risk parity", "what is min vol then?",
                 "quick question: what is hrp?", "risk parity meaning?"):  # fmt: skip
        missing = account([HumanMessage(text)], [guide], "Risk parity: ...", vocab).missing
        assert missing == [], (text, missing)
    for text in ("what is risk parity? then build one for AAPL and KO",
                 "explain hrp and then build an hrp portfolio of AAPL and KO",
                 "what's the difference in volatility between hrp and risk parity?"):  # fmt: skip
        missing = account([HumanMessage(text)], [guide], "Risk parity: ...", vocab).missing
        assert any(m.item.kind == "method" for m in missing), text


def test_many_words_are_defined_five_at_a_time(offline_data_dir: Path) -> None:
    asked = ("Sharpe ratio", "Sortino ratio", "Calmar ratio", "Beta", "Skewness", "Kurtosis")
    reply = answer_in_new_thread("define sharpe, sortino, calmar, beta, skewness and kurtosis")
    _assert_defines(reply.split("\n\nAsk again")[0], asked[:5])
    assert reply.endswith("Ask again for the rest (Kurtosis): I explain at most 5 words an answer.")
    greeted = ChatSession(f"ask-{uuid.uuid4().hex}", settings=Settings())
    greeted.send("hi")
    assert "(docs/glossary.md" not in greeted.send("i don't understand").replies[-1]


ACKNOWLEDGED = (
    "thanks", "thank you", "Thanks!", "ok thanks.", "perfect, thank you.", "got it -", "cool.",
    "great,", "so", "alright, thanks,", "Understood.", "sure", "one more question:",
)  # fmt: skip
"""What a PM says of the last answer before the next question."""


@SETTINGS
@given(
    heading=st.sampled_from(sorted(SAID)),
    frame=st.sampled_from(ONE),
    lead=st.sampled_from(ACKNOWLEDGED),
)
def test_a_question_of_meaning_after_thanks_is_read_as_without(
    offline_data_dir: Path, heading: str, frame: str, lead: str
) -> None:
    """ "thanks, what does drawdown mean?" asked "Which portfolio or stocks?" and "cool. what is
    the sharpe ratio?" greeted back: the words before the question are not part of it."""
    text = f"{lead} {frame.format(SAID[heading][0])}"
    assert concepts_asked(text) == (heading,), text
    _assert_defines(answer_in_new_thread(text), (heading,))


def test_thanks_then_a_meaning_is_answered_while_a_search_waits(offline_data_dir: Path) -> None:
    session = ChatSession(f"ask-{uuid.uuid4().hex}", settings=Settings())
    waiting = session.send("optimize a strategy for KO and PEP, cap drawdown at 20%").pending
    assert waiting is not None
    turn = session.send("thanks, what does drawdown mean?")
    _assert_defines(turn.replies[-1], ("Maximum drawdown",))
    assert turn.pending is not None and turn.pending["request"] == waiting["request"]
    backtest = session.send("backtest KO and PEP").replies[-1]
    reply = session.send("thanks, what does that mean?").replies[-1]
    assert reply.startswith("What the words of my last answer mean:"), reply
    _assert_defines(reply, terms_in(backtest))
