"""`/v1/memories` over HTTP: what a chat thread remembered is listed, enforced in a new thread,
deleted with its profile exclusion; other owners see nothing; errors name the field."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api, assert_error

JSON = {"accept": "application/json"}
PORTFOLIO = "build an HRP portfolio of XOM, CVX, AAPL and MSFT"


def chat(api: Api, headers: dict[str, str], text: str) -> str:
    """Send `text` in a new thread of the caller; the last reply."""
    thread = api.client.post("/v1/threads", json={}, headers=headers).json()["id"]
    response = api.client.post(
        f"/v1/threads/{thread}/messages", json={"content": text}, headers={**headers, **JSON}
    )
    assert response.status_code == 200, response.text
    replies: list[str] = response.json()["replies"]
    return replies[-1]


def known(api: Api, headers: dict[str, str]) -> dict[str, Any]:
    response = api.client.get("/v1/memories", headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_remembered_in_a_thread_listed_enforced_and_deleted(api: Api) -> None:
    assert "every portfolio" in chat(api, api.alice, "remember that I never hold energy stocks")
    mine = known(api, api.alice)
    (memory,) = mine["memories"]
    assert memory["text"] == "I never hold energy stocks" and memory["exclusions"] == ["energy"]
    assert mine["profile"]["exclusions"] == ["energy"]
    assert known(api, api.bob) == {"memories": [], "profile": {}}
    assert_error(api.client.delete(f"/v1/memories/{memory['key']}", headers=api.bob), 404,
                 "NOT_FOUND")  # fmt: skip

    built = chat(api, api.alice, PORTFOLIO)  # a new thread
    assert "XOM left out: your profile excludes energy" in built
    assert "XOM" in chat(api, api.bob, PORTFOLIO).split("HRP portfolio")[1]

    deleted = api.client.delete(f"/v1/memories/{memory['key']}", headers=api.alice)
    assert deleted.status_code == 200, deleted.text
    assert deleted.json()["profile_exclusions_removed"] == ["energy"]
    assert known(api, api.alice) == {"memories": [], "profile": {}}
    assert "left out" not in chat(api, api.alice, PORTFOLIO)
    assert_error(api.client.delete(f"/v1/memories/{memory['key']}", headers=api.alice), 404,
                 "NOT_FOUND")  # fmt: skip


def test_post_and_delete_all_and_bad_input(api: Api) -> None:
    bad = api.client.post(
        "/v1/memories", json={"text": "never widgets", "exclusions": ["widgets"]}, headers=api.bob
    )
    assert_error(bad, 422, "VALIDATION_ERROR", "exclusions")
    assert_error(api.client.post("/v1/memories", json={"text": ""}, headers=api.bob), 422,
                 "VALIDATION_ERROR", "body.text")  # fmt: skip
    for body in ({"text": "no AMD", "exclusions": ["AMD"]}, {"text": "I like dividends"}):
        created = api.client.post("/v1/memories", json=body, headers=api.bob)
        assert created.status_code == 201, created.text
    assert known(api, api.bob)["profile"] == {"exclusions": ["AMD"]}
    everything = api.client.delete("/v1/memories", headers=api.bob)
    assert everything.status_code == 200 and everything.json()["count"] == 2
    assert known(api, api.bob) == {"memories": [], "profile": {}}
    assert api.client.get("/v1/memories").status_code == 401


def _returns_with_tobacco() -> dict[str, Any]:
    """Inline daily returns (the API's table format) of MO, PM, KO and PEP: tobacco and drinks
    (the embedded data holds no tobacco stock)."""
    import numpy as np
    import pandas as pd

    dates = pd.bdate_range("2021-01-04", periods=120)
    rng = np.random.default_rng(7)
    data = {t: list(rng.normal(0.0004, 0.012, len(dates))) for t in ("MO", "PM", "KO", "PEP")}
    return {"dates": [d.date().isoformat() for d in dates], "data": data}


@pytest.mark.usefixtures("module_classification_file")
def test_tobacco_remembered_in_the_chat_leaves_mo_and_pm_out_until_forgotten(api: Api) -> None:
    api.client.delete("/v1/memories", headers=api.bob)
    said = chat(api, api.bob, "remember that I never hold tobacco")
    assert "Your profile now excludes tobacco" in said
    body = {"returns": _returns_with_tobacco()}
    out = api.client.post("/v1/optimization/hrp", json=body, headers=api.bob)
    assert out.status_code == 200, out.text
    assert set(out.json()["weights"]) == {"KO", "PEP"}
    assert out.json()["left_out"] == [
        "MO left out: your profile excludes tobacco (Altria Group, Tobacco)",
        "PM left out: your profile excludes tobacco (Philip Morris International, Tobacco)",
    ]
    assert "I never hold tobacco" in chat(api, api.bob, "what do you know about me?")
    (memory,) = known(api, api.bob)["memories"]
    gone = api.client.delete(f"/v1/memories/{memory['key']}", headers=api.bob)
    assert gone.json()["profile_exclusions_removed"] == ["tobacco"]
    again = api.client.post("/v1/optimization/hrp", json=body, headers=api.bob).json()
    assert set(again["weights"]) == {"MO", "PM", "KO", "PEP"} and again["left_out"] == []
