"""`stratigos market-data status | refresh` on Alpaca Market Data from the loopback stand-in, at
the machine's time (the stand-in's data ends on the last session closed by now): a refresh
brings the data up to date and the status says so; a refresh Alpaca refuses exits 1 with the
reason and the status keeps the last good version and says why the refresh failed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from api.cli import main
from devtools.local_alpaca import LocalAlpaca
from services.market_data import last_closed_session
from settings import get_settings
from store import utc_now
from tests.support.market import alpaca_data, synthetic_closes, use_alpaca_data


@pytest.fixture
def stand_in(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[LocalAlpaca]:
    last = last_closed_session("XNYS", utc_now())
    assert last is not None
    closes = synthetic_closes(["AAA", "BBB"], last - timedelta(days=90), last, seed=3)
    with alpaca_data(closes) as local:
        use_alpaca_data(
            monkeypatch, local, tmp_path, symbols=["AAA", "BBB"], start=date(2000, 1, 3)
        )
        yield local
    get_settings.cache_clear()


def test_refresh_then_status_say_the_data_is_current(
    stand_in: LocalAlpaca, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["market-data", "refresh", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["updated"] and report["added"] == ["AAA", "BBB"]
    assert main(["market-data", "status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["provider"] == "alpaca" and status["version"] == report["version"]
    assert status["behind_sessions"] == 0 and status["end"] == status["last_closed_session"]
    assert status["last_refresh"]["status"] == "succeeded"
    assert main(["market-data", "status"]) == 0
    assert "current    yes" in capsys.readouterr().out


def test_a_refused_refresh_exits_1_with_the_reason_and_the_status_says_why(
    stand_in: LocalAlpaca, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["market-data", "refresh"]) == 0
    capsys.readouterr()
    stand_in.fail_next(1, 403, request=("GET", "/v2/stocks/bars"))
    assert main(["market-data", "refresh"]) == 1
    err = capsys.readouterr().err
    assert "answered 403 (read daily bars)" in err and "Traceback" not in err
    assert main(["market-data", "status"]) == 0
    assert "(failed: Alpaca Market Data at" in capsys.readouterr().out


def test_optimize_flags_set_the_universe_dates_and_leverage_and_name_their_field(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from api.cli.parser import build_parser
    from api.cli.request_flags import request_from_args

    args = build_parser().parse_args(
        [
            "optimize",
            "--universe",
            "aapl, ko,XOM",
            "--start",
            "2015-01-02",
            "--max-leverage",
            "1:1.5",
        ]
    )
    request = request_from_args(args)
    assert request.universe == ["AAPL", "KO", "XOM"] and request.start == date(2015, 1, 2)
    assert request.end == date(2022, 12, 28)  # no end given: the market data's last session
    assert request.search_space["max_leverage"] == {"low": 1.0, "high": 1.5}
    fixed = build_parser().parse_args(["optimize", "--max-leverage", "1", "--end", "2021-12-31"])
    fixed_request = request_from_args(fixed)
    assert fixed_request.search_space["max_leverage"] == 1.0
    assert fixed_request.end == date(2021, 12, 31)
    assert main(["optimize", "--universe", "AAPL,NOPE"]) == 2
    err = capsys.readouterr().err
    assert "universe.NOPE (--universe): unknown ticker" in err and "Traceback" not in err
