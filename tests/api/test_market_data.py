"""`/v1/market-data/*`: embedded prices/returns, dataset uploads (CSV, Parquet), tenancy, limits."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from quant.data import load_sp500_prices
from tests.api.conftest import Api, assert_error, make_settings

CSV = "date,AAA,BBB\n2024-01-02,10,20\n2024-01-03,11,19\n2024-01-04,12.1,21\n2024-01-05,12,22\n"


def upload(api: Api, data: bytes, filename: str, headers: dict[str, str], **form: str) -> Any:
    return api.client.post(
        "/v1/market-data/datasets",
        files={"file": (filename, data, "application/octet-stream")},
        data=form,
        headers=headers,
    )


def test_embedded_prices_and_returns(api: Api) -> None:
    prices = load_sp500_prices()
    response = api.client.get(
        "/v1/market-data/prices",
        params={"assets": "AAPL,KO", "start": "2022-12-01", "end": "2022-12-28"},
        headers=api.alice,
    )
    assert response.status_code == 200, response.text
    out = response.json()
    expected = prices.loc["2022-12-01":"2022-12-28", ["AAPL", "KO"]]
    assert out["source"] == "sp500" and out["kind"] == "prices"
    assert out["dates"] == [d.strftime("%Y-%m-%d") for d in expected.index]
    assert out["data"]["AAPL"] == expected["AAPL"].tolist()
    rets = api.client.get(
        "/v1/market-data/returns",
        params=[("assets", "AAPL"), ("assets", "KO"), ("start", "2022-12-01")],
        headers=api.alice,
    ).json()
    window = prices.loc["2022-11-30":, ["AAPL", "KO"]]
    np.testing.assert_allclose(rets["data"]["KO"], (window["KO"].pct_change().dropna()).to_numpy())
    assert rets["dates"][0] == "2022-12-01"


def test_unknown_assets_and_dates_are_named(api: Api) -> None:
    c = api.client
    err = assert_error(
        c.get("/v1/market-data/prices", params={"assets": "AAPL,ZZZZ"}, headers=api.alice),
        422,
        "VALIDATION_ERROR",
        "query.assets",
    )
    assert "ZZZZ" in err["message"]
    err = assert_error(
        c.get("/v1/market-data/returns", params={"start": "2031-01-01"}, headers=api.alice),
        422,
        "VALIDATION_ERROR",
        "query.start",
    )
    assert "2031-01-01" in err["message"]
    assert_error(
        c.get("/v1/market-data/returns", params={"end": "1980-01-01"}, headers=api.alice),
        422,
        "VALIDATION_ERROR",
        "query.end",
    )
    assert_error(
        c.get("/v1/market-data/prices", params={"start": "not-a-date"}, headers=api.alice),
        422,
        "VALIDATION_ERROR",
        "start",
    )
    assert_error(c.get("/v1/market-data/prices"), 401, "UNAUTHENTICATED")
    assert_error(c.get("/v1/market-data/datasets"), 401, "UNAUTHENTICATED")


def test_csv_upload_roundtrip_and_tenancy(api: Api) -> None:
    response = upload(api, CSV.encode(), "mine.csv", api.alice, name="My two")
    assert response.status_code == 201, response.text
    ds = response.json()
    assert response.headers["location"] == f"/v1/market-data/datasets/{ds['id']}"
    assert ds["name"] == "My two" and ds["format"] == "prices"
    assert ds["columns"] == ["AAA", "BBB"] and ds["n_rows"] == 4
    assert (ds["start"], ds["end"]) == ("2024-01-02", "2024-01-05")
    # the stored bytes are Parquet of the validated table
    stored = pd.read_parquet(io.BytesIO(api.store.dataset_bytes("alice", ds["id"])))
    assert stored["AAA"].tolist() == [10.0, 11.0, 12.1, 12.0]
    c = api.client
    prices = c.get(
        "/v1/market-data/prices", params={"dataset_id": ds["id"]}, headers=api.alice
    ).json()
    assert prices["data"]["BBB"] == [20.0, 19.0, 21.0, 22.0] and prices["source"] == ds["id"]
    rets = c.get(
        "/v1/market-data/returns",
        params={"dataset_id": ds["id"], "assets": "AAA"},
        headers=api.alice,
    ).json()
    np.testing.assert_allclose(rets["data"]["AAA"], [0.1, 0.1, 12 / 12.1 - 1])
    listed = c.get("/v1/market-data/datasets", headers=api.alice).json()["items"]
    assert ds["id"] in [d["id"] for d in listed]
    assert c.get(f"/v1/market-data/datasets/{ds['id']}", headers=api.alice).json() == ds

    # bob sees none of it
    assert ds["id"] not in [
        d["id"] for d in c.get("/v1/market-data/datasets", headers=api.bob).json()["items"]
    ]
    path = f"/v1/market-data/datasets/{ds['id']}"
    assert_error(c.get(path, headers=api.bob), 404, "NOT_FOUND")
    assert_error(c.delete(path, headers=api.bob), 404, "NOT_FOUND")
    assert_error(
        c.get("/v1/market-data/prices", params={"dataset_id": ds["id"]}, headers=api.bob),
        404,
        "NOT_FOUND",
        "query.dataset_id",
    )
    assert c.get(path, headers=api.alice).status_code == 200

    assert c.delete(path, headers=api.alice).status_code == 204
    assert_error(c.get(path, headers=api.alice), 404, "NOT_FOUND")
    assert_error(c.delete(path, headers=api.alice), 404, "NOT_FOUND")


def test_parquet_returns_upload(api: Api) -> None:
    index = pd.bdate_range("2023-01-02", periods=5, name="day")
    frame = pd.DataFrame({"X": [0.01, -0.02, 0.0, 0.03, 0.01], "Y": [0.0] * 5}, index=index)
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    response = upload(api, buffer.getvalue(), "r.parquet", api.alice, kind="returns")
    assert response.status_code == 201, response.text
    ds = response.json()
    assert ds["format"] == "returns" and ds["n_rows"] == 5
    rets = api.client.get(
        "/v1/market-data/returns", params={"dataset_id": ds["id"]}, headers=api.alice
    ).json()
    assert rets["data"]["X"] == frame["X"].tolist()
    # a returns dataset has no prices
    assert_error(
        api.client.get(
            "/v1/market-data/prices", params={"dataset_id": ds["id"]}, headers=api.alice
        ),
        422,
        "VALIDATION_ERROR",
        "query.dataset_id",
    )


@pytest.mark.parametrize(
    ("content", "kind", "fragment"),
    [
        (b"date,A\n2024-01-02,10\n2024-01-03,-5\n", "prices", "must be positive"),
        (b"date,A\n2024-01-03,10\n2024-01-02,11\n", "prices", "not sorted"),
        (b"date,A\n2024-01-02,10\n2024-01-02,11\n", "prices", "duplicate date"),
        (b"date,A,B\n2024-01-02,10,\n2024-01-03,11,\n", "prices", "no prices: B"),
        (b"date,A\n2024-01-02,ten\n2024-01-03,11\n", "prices", "numeric"),
        (b"date,A\nyesterday,10\ntoday,11\n", "prices", "dates could not be parsed"),
        (b"date,A\n2024-01-02,0.1\n2024-01-03,-1.5\n", "returns", "> -1"),
        (b"date,A\n2024-01-02,0.1\n2024-01-03,\n", "returns", "NaN"),
        (b"", "prices", "empty"),
        (b"PAR1garbage", "prices", "Parquet"),
        (b"\xff\xfe\x00binary", "prices", "UTF-8"),
    ],
)
def test_bad_files_are_422_with_the_loaders_message(
    api: Api, content: bytes, kind: str, fragment: str
) -> None:
    response = upload(api, content, "bad.csv", api.alice, kind=kind)
    err = assert_error(response, 422, "VALIDATION_ERROR", "file")
    assert fragment in err["message"], err


def test_prices_with_non_finite_returns_are_refused_naming_the_row_and_column(api: Api) -> None:
    content = b"date,OK,WILD\n2024-01-02,1,1e308\n2024-01-03,2,1e-308\n2024-01-04,3,1e308\n"
    err = assert_error(upload(api, content, "wild.csv", api.alice), 422, "VALIDATION_ERROR", "file")
    assert "return of WILD on 2024-01-03 is -1.0" in err["message"], err
    listing = api.client.get("/v1/market-data/datasets", headers=api.alice).json()["items"]
    assert all(item["name"] != "wild.csv" for item in listing)


def test_missing_file_and_bad_kind(api: Api) -> None:
    no_file = api.client.post(
        "/v1/market-data/datasets", data={"kind": "prices"}, headers=api.alice
    )
    assert_error(no_file, 422, "VALIDATION_ERROR", "file")
    assert_error(
        upload(api, CSV.encode(), "a.csv", api.alice, kind="volumes"),
        422,
        "VALIDATION_ERROR",
        "kind",
    )


def test_upload_limit_is_413(tmp_path: object) -> None:
    from pathlib import Path

    from api.app import create_app

    assert isinstance(tmp_path, Path)
    settings = make_settings(
        tmp_path / "data", api={"max_upload_bytes": 4096, "max_body_bytes": 2048}
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        store = client.app.state.context.store  # type: ignore[attr-defined]
        key, _ = store.create_api_key("carol", "tests")
        headers = {"x-api-key": key}
        dates = pd.bdate_range("2020-01-01", periods=150).strftime("%Y-%m-%d")
        rows = "".join(f"{d},{10 + i}\n" for i, d in enumerate(dates))
        content = ("date,A\n" + rows).encode()
        assert 2048 < len(content) < 4096
        small = client.post(
            "/v1/market-data/datasets",
            files={"file": ("s.csv", content, "text/csv")},
            headers=headers,
        )
        assert small.status_code == 201, small.text  # above the JSON limit, within the upload's
        big = ("date,A\n" + rows * 2).encode()
        response = client.post(
            "/v1/market-data/datasets", files={"file": ("b.csv", big, "text/csv")}, headers=headers
        )
        assert_error(response, 413, "PAYLOAD_TOO_LARGE")
        assert len(store.list_datasets("carol")) == 1


def test_the_configured_market_data_says_what_it_holds_and_how_current_it_is(api: Api) -> None:
    response = api.client.get("/v1/market-data", headers=api.alice)
    assert response.status_code == 200, response.text
    out = response.json()
    assert (out["provider"], out["start"], out["end"]) == ("sp500", "1990-01-02", "2022-12-28")
    assert out["tickers"] == list(load_sp500_prices().columns) and out["symbols"] == 20
    assert out["behind_sessions"] >= 1 and out["last_refresh"] is None  # never refreshed
    assert_error(api.client.get("/v1/market-data"), 401, "UNAUTHENTICATED")
