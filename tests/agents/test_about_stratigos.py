"""Issue 51: a question about Stratigos itself is read as one, however it is written, and never
as an action; an ask to act, or a question about the conversation's numbers, is not one."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.offline.chat_intent import known_tickers
from agents.offline.intent import parse_intent
from agents.offline.intent.about import about_stratigos


def about(text: str) -> bool:
    return about_stratigos(parse_intent(text, known_tickers()))


TOPICS = [
    "two strategies share a paper account", "i deploy to alpaca", "hedges work",
    "the kill switch stop everything", "schedules work", "i use bedrock models",
    "forward tests work", "i get email alerts", "deployments rebalance",
]  # fmt: skip
FORMS = ["can {t}?", "how do {t}?", "does it let {t}?", "is it true that {t}?", "{t}?"]


@settings(max_examples=80, deadline=None)
@given(
    topic=st.sampled_from(TOPICS),
    form=st.sampled_from(FORMS),
    case=st.sampled_from(["lower", "upper", "capitalised"]),
)
def test_questions_about_stratigos_in_many_forms(topic: str, form: str, case: str) -> None:
    text = form.format(t=topic)
    text = {"lower": text.lower(), "upper": text.upper(), "capitalised": text.capitalize()}[case]
    assert about(text), text


@pytest.mark.parametrize(
    "text",
    [
        "what brokers do you support?",
        "which models can I use?",
        "is there a kill switch?",
        "how are hedges priced?",
        "explain how shared accounts work",
        "tell me about the paper broker",
    ],
)
def test_questions_about_stratigos(text: str) -> None:
    assert about(text)


@pytest.mark.parametrize(
    "text",
    [
        "can you deploy that to paper weekly?",
        "deploy it to paper, weekly",
        "can you build an HRP portfolio of AAPL and KO?",
        "how volatile are they?",
        "what would a 20% market drop do to it?",
        "how did AAPL do in 2020?",
        "what does my research say about energy?",
        "how are my deployments doing?",
        "hedge it with 90% puts",
        "what did the risk manager say about the last run?",
        "why did the winner win?",
        "what is the current regime?",
        "find a strategy with max drawdown under 20%",
    ],
)
def test_asks_to_act_and_questions_about_numbers_are_not(text: str) -> None:
    assert not about(text)
