"""Every validation error in our words, on the exact field: no library text or links, NaN and
infinity named as such, and text with control or bidirectional-override characters refused
wherever it is in a JSON body."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import pytest
from pydantic import BaseModel, Field, ValidationError

from execution.rebalance import RuleStrategy
from quant.problems import field_of, problem_of, problems
from quant.strategy import StrategyConfig
from services.errors import InputError
from tests.api.conftest import Api, assert_error
from trading.hedges import check_hedge

LIBRARY_WORDS = ("pydantic", "errors.pydantic.dev", "Input should", "type=", "For further")


def post_raw(api: Api, path: str, text: str) -> Any:
    headers = {**api.alice, "content-type": "application/json"}
    return api.client.post(path, content=text.encode(), headers=headers)


def no_library_text(response: Any) -> None:
    for words in LIBRARY_WORDS:
        assert words not in response.text, (words, response.text)


def test_numbers_that_are_not_finite_are_named_as_such_on_their_field(api: Api) -> None:
    before = api.client.get("/v1/portfolios", headers=api.alice).json()
    body = '{"name": "p", "weights": [{"asset": "KO", "weight": NaN}, {"asset": "PG", "weight": 1e999}]}'
    response = post_raw(api, "/v1/portfolios", body)
    error = assert_error(response, 422, "VALIDATION_ERROR")
    assert {(d["field"], d["problem"]) for d in error["details"]} == {
        ("body.weights.0.weight", "is NaN (not a number); JSON allows finite numbers only"),
        ("body.weights.1.weight", "is infinite; JSON allows finite numbers only"),
    }
    no_library_text(response)
    profile = post_raw(api, "/v1/profile", "{}")  # POST is not a route: nothing was stored
    assert profile.status_code == 405
    limits = api.client.patch(
        "/v1/profile",
        content=b'{"risk_limits": {"max_drawdown": NaN}}',
        headers={**api.alice, "content-type": "application/json"},
    )
    assert "NaN (not a number)" in assert_error(limits, 422, "VALIDATION_ERROR")["message"]
    assert api.client.get("/v1/portfolios", headers=api.alice).json() == before


def test_library_messages_are_replaced_by_ours_naming_the_exact_field(api: Api) -> None:
    cases = [
        ({"name": "p", "weights": [{"asset": "KO", "weight": "lots"}]}, "body.weights.0.weight",
         "must be a number"),
        ({"name": "", "weights": [{"asset": "KO", "weight": 1}]}, "body.name",
         "must have at least 1 character(s)"),
        ({"name": "p", "weights": []}, "body.weights", "must have at least 1 item(s)"),
        ({"weights": [{"asset": "KO", "weight": 1}]}, "body.name", "is required"),
        ({"name": "p", "weights": [{"asset": "KO", "weight": 1}], "colour": "blue"},
         "body.colour", "is not a field here"),
    ]  # fmt: skip
    for body, field, problem in cases:
        response = api.client.post("/v1/portfolios", json=body, headers=api.alice)
        error = assert_error(response, 422, "VALIDATION_ERROR", field)
        assert {"field": field, "problem": problem} in error["details"], error
        no_library_text(response)
    malformed = post_raw(api, "/v1/portfolios", '{"name": "p",')
    error = assert_error(malformed, 400, "BAD_REQUEST", "body")
    assert error["details"][0]["problem"].startswith("malformed JSON at character")
    no_library_text(malformed)


def test_the_hedge_s_vol_model_names_its_own_field_in_our_words() -> None:
    strategy = RuleStrategy(
        StrategyConfig(overlay="put", overlay_strike=0.95, overlay_tenor_days=21), ("AAPL", "KO")
    )
    for vol_model, field, problem in (
        ({"skew": 50}, "hedge.vol_model.skew", "must be at most 20"),
        ({"skew": float("nan")}, "hedge.vol_model.skew", "is NaN (not a number); give a finite number"),
        ({"realised_window": 1.5}, "hedge.vol_model.realised_window", "must be a whole number, not a fraction"),
        ({"smile": 1}, "hedge.vol_model.smile", "is not a field here"),
    ):  # fmt: skip
        with pytest.raises(InputError) as refused:
            check_hedge(
                strategy,
                {"underlying": "AAPL", "vol_model": vol_model},
                pd.Index(["AAPL"]),
                "paper",
            )
        assert (refused.value.field, refused.value.problem) == (field, problem)
        assert not any(words in refused.value.message for words in LIBRARY_WORDS)


class Limits(BaseModel):
    cap: float = Field(ge=0, le=1)
    when: str = Field(pattern=r"^\d{4}$")
    kind: int | list[int] = 0


def test_each_kind_of_library_error_reads_as_ours() -> None:
    with pytest.raises(ValidationError) as caught:
        Limits.model_validate({"cap": float("inf"), "when": "soon", "kind": "x"})
    found = problems(caught.value.errors())
    assert found[0] == ("cap", "is infinite; give a finite number")
    assert found[1] == ("when", r"must match the pattern ^\d{4}$")
    assert {f for f, _ in found[2:]} == {"kind"}  # the union's branches are not fields
    assert {p for _, p in found[2:]} == {"must be a whole number", "must be a list"}
    assert field_of({"loc": ("body", "weights", "list[WeightItem]", 0)}) == "body.weights.0"
    assert problem_of({"type": "something_new", "msg": "Input should be new"}) == (
        "is not a valid value"
    )


@pytest.mark.parametrize(
    ("text", "code"),
    [("Al\x00pha", "U+0000"), ("\x1b[31mred", "U+001B"), ("bell\x07", "U+0007"),
     ("safe\u202etxt.exe", "U+202E"), ("c1\x85", "U+0085"), ("iso\u2066late", "U+2066")],
)  # fmt: skip
def test_names_with_control_or_bidi_override_characters_are_refused(
    api: Api, text: str, code: str
) -> None:
    body = {"name": text, "weights": [{"asset": "KO", "weight": 1}]}
    response = api.client.post("/v1/portfolios", json=body, headers=api.alice)
    error = assert_error(response, 422, "VALIDATION_ERROR", "body.name")
    assert code in error["details"][0]["problem"]
    notes = {"name": "ok", "weights": [{"asset": "KO", "weight": 1}], "notes": f"a\n\tb {text}"}
    response = api.client.post("/v1/portfolios", json=notes, headers=api.alice)
    assert_error(response, 422, "VALIDATION_ERROR", "body.notes")
    keyed = api.client.post(
        "/v1/monte-carlo/analyze", json={"weights": {text: 1.0}}, headers=api.alice
    )
    assert "the key holds" in assert_error(keyed, 422, "VALIDATION_ERROR")["details"][0]["problem"]


def test_tabs_and_line_breaks_and_right_to_left_text_are_kept(api: Api) -> None:
    notes = "שלום\n\tعربي line two"
    body = {"name": "RTL ✓", "weights": [{"asset": "KO", "weight": 1}], "notes": notes}
    created = api.client.post("/v1/portfolios", json=body, headers=api.alice)
    assert created.status_code == 201, created.text
    assert created.json()["notes"] == notes
    assert json.loads(created.text)["name"] == "RTL ✓"
