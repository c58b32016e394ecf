"""A tool's refusal of its arguments reaches the user in words: "I could not run that backtest:
invalid arguments: config.lookback: must be at most 1000 (got 2000). Fix these arguments and call
the tool again." showed the argument's path and a sentence addressed to the model. The reply now
names each argument in words and leaves the model's instruction out; the tool's message to the
model is unchanged."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, Field, ValidationError

from agents.offline.policies import ToolResult
from services.formatting import PARAMETERS
from services.problems import TOOL_RETRY
from tests.support.chat_answers import answer_in_new_thread
from tools.tool_factory import format_validation_error


class _Config(BaseModel):
    lookback: int = Field(default=63, le=1000)
    target_vol: float = Field(default=0.1, gt=0)


class _Args(BaseModel):
    config: _Config
    n_paths: int = Field(default=1000, ge=100)


@settings(max_examples=40, deadline=None)
@given(
    lookback=st.integers(min_value=1001, max_value=10**6),
    target_vol=st.floats(max_value=0.0, allow_nan=False, allow_infinity=False),
    n_paths=st.integers(max_value=99),
)
def test_each_argument_refused_is_named_in_words_without_the_model_s_instruction(
    lookback: int, target_vol: float, n_paths: int
) -> None:
    raw = {"config": {"lookback": lookback, "target_vol": target_vol}, "n_paths": n_paths}
    try:
        _Args.model_validate(raw)
    except ValidationError as exc:
        message = format_validation_error(exc)
    assert message.endswith(TOOL_RETRY) and "config.lookback:" in message  # the model's text
    reason = ToolResult(
        "backtest_strategy", "c1", f"backtest_strategy: {message}", None, True
    ).reason
    assert TOOL_RETRY not in reason and "invalid arguments" not in reason, reason
    assert "config." not in reason and "_" not in reason.split(" (got")[0], reason
    for words in (PARAMETERS["lookback"].label, PARAMETERS["target_vol"].label, "n paths"):
        assert f"{words}: " in reason, reason
    assert f"(got {lookback})" in reason, reason  # what was asked stays said


def test_a_backtest_refused_says_so_in_words() -> None:
    reply = answer_in_new_thread("backtest KO with a 2000 day lookback")
    assert reply.startswith("I could not run that backtest: lookback: must be at most 1000"), reply
    assert "call the tool" not in reply and "config." not in reply, reply
