"""`stratigos eval`: the table, --json, --html (escaped), filters and exit codes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.cli import main
from evals.baseline import BASELINE_FILE
from evals.case_run import Trace
from evals.cases import load_cases
from evals.prices import PriceTable
from evals.report import CaseResult, EvalReport, to_html
from evals.scorers import SCORERS, Score
from settings import get_settings


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("STRATIGOS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("STRATIGOS_MODEL_PROVIDER", "offline")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_the_table_json_and_html_of_a_passing_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_json, out_html = tmp_path / "eval.json", tmp_path / "eval.html"
    outputs = ["--json", str(out_json), "--html", str(out_html)]
    code = main(["eval", "--case", "cvar-aapl-ko", "--tag", "clarification", *outputs])
    printed = capsys.readouterr()
    assert code == 0, printed.out
    ids = ["cvar-aapl-ko", "missing-portfolio", "out-of-scope"]
    lines = printed.out.splitlines()
    assert lines[0].split()[:3] == ["case", "provider", "result"]
    for case_id in ids:
        assert any(line.startswith(case_id) and " PASS " in line for line in lines)
    assert "offline: 3/3 runs of 3 cases passed" in printed.out
    assert all(f"{name}: {text}" in printed.out for name, text in SCORERS.items())
    data = json.loads(out_json.read_text())
    assert data["passed"] is True and data["scorers"] == SCORERS
    assert data["prices"]["date"] and "model_catalog.toml" in data["prices"]["source"]
    offline = data["providers"]["offline"]
    assert offline["totals"]["cases"] == 3 and offline["totals"]["cost_usd"] == 0.0
    assert [c["id"] for c in offline["cases"]] == ids
    cvar = offline["cases"][0]
    assert cvar["scores"]["core"] == {"passed": True, "detail": cvar["scores"]["core"]["detail"]}
    assert cvar["tool_calls"][0]["name"] == "portfolio_risk_report"
    assert cvar["tokens_in"] > 0 and cvar["model_calls"] >= 2
    page = out_html.read_text()
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page
    assert all(f"<b>{case_id}</b>" in page for case_id in ids)
    assert "<th>offline</th>" in page


def test_a_failing_case_exits_1_and_names_the_scorer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "wrong.toml").write_text(
        'id = "wrong-tool"\ndescription = "expects the frontier"\n'
        'turns = ["What is the CVaR of AAPL and KO since 2019?"]\n'
        '[[expect.tools]]\nname = "efficient_frontier"\n'
    )
    assert main(["eval", "--cases", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "wrong-tool on offline, tools: efficient_frontier not called" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--case", "no-such-case"], "no case no-such-case"),
        (["--provider", "claude"], "unknown provider 'claude'"),
        (["--tag", "no-such-tag"], "no case has the tag(s) no-such-tag"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["eval", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_the_list_names_every_case(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "--list"]) == 0
    out = capsys.readouterr().out
    assert all(case.id in out for case in load_cases())


def test_the_html_escapes_every_text() -> None:
    case = load_cases()[0]
    hostile = "<script>alert('x')</script> & <b>"
    trace = Trace(case.id, "openai:<img src=x>", answer=hostile)
    scores = {name: Score(False, hostile) for name in SCORERS}
    report = EvalReport(
        ["openai:<img src=x>"], [CaseResult(case, trace, scores, None)], PriceTable({}, "d", "<s>")
    )
    page = to_html(report)
    assert "<script>" not in page and "<img" not in page and "<s>" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &lt;b&gt;" in page
    assert "openai:&lt;img src=x&gt;" in page
    assert "cost unknown" in page


def test_prices_from_a_file_of_ones_own(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mine = tmp_path / "prices.toml"
    mine.write_text(
        'date = "2026-11-01"\nsource = "our negotiated rates"\n'
        '[models."anthropic.claude-haiku-4-5-20251001-v1:0"]\ninput = 1.0\noutput = 5.0\n'
    )
    out_json = tmp_path / "eval.json"
    args = ["eval", "--case", "cvar-aapl-ko", "--prices", str(mine), "--json", str(out_json)]
    assert main(args) == 0, capsys.readouterr().err
    prices = json.loads(out_json.read_text())["prices"]
    assert prices["source"] == "our negotiated rates" and prices["date"] == "2026-11-01"


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('source = "x"\n', "date is missing"),
        ('date = "2026-11-01"\nsource = "x"\n[models."m"]\ninput = -1\noutput = 2\n',
         "models.'m'.input must be a price >= 0"),
        ('date = "2026-11-01"\nsource = "x"\n[models."m"]\ninput = 1\n',
         "models.'m'.output must be a price >= 0"),
        ("date = \n", "not valid TOML"),
    ],
)  # fmt: skip
def test_a_bad_price_file_is_refused_naming_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, named: str
) -> None:
    bad = tmp_path / "prices.toml"
    bad.write_text(text)
    assert main(["eval", "--case", "cvar-aapl-ko", "--prices", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}: {named}" in err and "Traceback" not in err


def test_a_broken_scorer_fails_against_the_baseline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shipped baseline guards every scorer: a scorer that stops passing (here `numbers`,
    broken to fail everything) is a regression, exit 1, naming the case and the scorer."""
    import evals.scorers as scorers

    argv = ["eval", "--case", "cvar-aapl-ko", "--case", "help", "--baseline", str(BASELINE_FILE)]
    assert main(argv) == 0
    assert "No regression against" in capsys.readouterr().out
    broken = lambda case, trace: Score(False, "broken on purpose")  # noqa: E731
    monkeypatch.setattr(scorers, "score_numbers", broken)
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert "Regressions against" in out
    assert "cvar-aapl-ko on offline, numbers: 0/1 passed, baseline 100%" in out
    assert "cvar-aapl-ko on offline: passed 0/1, baseline 100%" in out
    written = tmp_path / "baseline.json"
    assert main([*argv[:5], "--repeat", "2", "--write-baseline", str(written)]) == 1
    data = json.loads(written.read_text())["providers"]["offline"]
    assert data["runs_per_case"] == 2
    assert data["cases"]["cvar-aapl-ko"] == {
        "pass_rate": 0.0,
        "scorers": {
            "tools": 1.0,
            "numbers": 0.0,
            "core": 1.0,
            "turns": 1.0,
            "accounting": 1.0,
            "completed": 1.0,
        },
    }
