"""The MCP Inspector's command line (`@modelcontextprotocol/inspector --cli`, pinned in the
Makefile and installed by `make mcp-inspector`), a client nobody here wrote, against `stratigos
mcp` over stdio and `/mcp` of a real `stratigos serve` (two processes: the one the modules of its
group share, `tests.support.mcp_serve`) over HTTP.

It lists the twenty-three tools with their annotations and finds no portability problem in their
schemas (`--strict`); over HTTP it calls every read-only tool with its optional arguments, typed
on its command line as a person types them (`key=value`, lists and objects as JSON), each call on
a connection of its own, and each answer shows the argument took effect. The command lines run
through the inspector CLI's own `runCli` in two node processes both tests share
(`tests/support/inspector_batch.mjs`), so node and the inspector load twice, not once a call.
Every optional argument of every read-only tool is given in some call. Over stdio (the same
tools, a new `stratigos mcp` process for each call) it makes the ids and reads each kind of id
in a call: ids built by one process are found by the next through their recipes
(`api.mcp.artifacts`). Over HTTP the owner has a strategy model (one small search taught it) for
`estimate_strategy` to answer from."""

from __future__ import annotations

import json
import math
import os
import queue
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.mcp.annotations import READ_ONLY, TOOL_ANNOTATIONS
from tests.support.live_server import TLS
from tests.support.mcp_serve import owner_keys, shared_serving

ROOT = Path(__file__).resolve().parents[2]
INSPECTOR_PACKAGE = ROOT / ".mcp-inspector" / "node_modules" / "@modelcontextprotocol" / "inspector"
INSPECTOR = ROOT / ".mcp-inspector" / "node_modules" / ".bin" / "mcp-inspector"
BATCH = ROOT / "tests" / "support" / "inspector_batch.mjs"
STRATIGOS = Path(sys.executable).with_name("stratigos")
CALL_SECONDS = 180
TOOL_IS_ERROR_EXIT = 5
"""The inspector's exit code for a tool result with ``isError``."""

pytestmark = [
    pytest.mark.slow,  # node, stratigos mcp (a process a call over stdio), stratigos serve
    pytest.mark.xdist_group("two-process-serve"),  # one server: tests.support.mcp_serve
]
OWNER = "inspector"
"""The owner of the HTTP test's calls (the server's other owners are other modules')."""

NOTE = b"Defensive stocks: consumer staples such as KO and PG hold up in bear markets.\n"


@dataclass(frozen=True)
class Call:
    """One inspector call of a read-only tool: its arguments as typed on the command line
    (``{ids}`` fills in ids an earlier call made) and what the answer must show."""

    tool: str
    arguments: dict[str, str]
    check: Callable[[dict[str, Any]], bool]
    refused: str | None = None
    """The field the project's error names, for a call whose arguments the tool refuses."""


def _close(value: float, expected: float) -> bool:
    return abs(value - expected) < 1e-3


def _ends_and_months(entry: dict[str, Any], sessions: int) -> bool:
    """An `asset_statistics` entry with `extreme_days` 3, `move_beyond` 0.05 and `by_month` over
    a calendar year: three best days from the best day down, three worst from the worst up, the
    days beyond the move counted of the window's sessions, and twelve months compounding to the
    year's return."""
    best, worst = (
        [d["return"] for d in entry["best_days"]],
        [d["return"] for d in entry["worst_days"]],
    )
    beyond, months = entry["days_beyond"], entry["calendar_months"]
    return (
        best == sorted(best, reverse=True) and worst == sorted(worst) and len(best) == len(worst) == 3
        and best[0] == entry["best_day"]["return"] and worst[0] == entry["worst_day"]["return"]
        and beyond["size"] == 0.05 and beyond["sessions"] == sessions
        and beyond["down"] + beyond["up"] <= sessions
        and [m["month"] for m in months] == [f"2020-{k:02d}" for k in range(1, 13)]
        and _close(math.prod(1 + m["return"] for m in months) - 1, entry["cumulative_return"])
    )  # fmt: skip


UNIVERSE3 = '["AAPL","JNJ","KO"]'
SEARCH = "s1"
"""The run id of the search that taught the HTTP test's owner their strategy model."""
WEIGHTS = '{"AAPL":0.6,"KO":0.4}'

CALLS = (
    Call("estimate_strategy", {"config": '{"target_vol":0.12}', "run_id": SEARCH, "scenarios": '["bear"]'},
         lambda d: d["label"] == "model estimate" and d["config"]["target_vol"] == 0.12 and d["search"]["run_id"] == SEARCH and list(d["scenarios"]) == ["bear"]),
    Call("market_statistics", {"universe": '["AAPL","KO","XOM"]', "start": "2019-01-01", "end": "2021-12-31"},
         lambda d: set(d["per_asset"]) == {"AAPL", "KO", "XOM"} and d["date_range"]["end"] == "2021-12-31"),
    Call("search_research", {"query": "defensive stocks", "k": "2", "document_ids": '["{doc}"]'},
         lambda d: 0 < len(d["passages"]) <= 2 and {p["document_id"] for p in d["passages"]} == {IDS["doc"]}),
    Call("asset_statistics", {"universe": '["AAPL","MSFT"]', "end": "2022-06-30", "last_sessions": "126"},
         lambda d: d["window"]["sessions"] == 126 and d["window"]["end"] == "2022-06-30" and set(d["assets"]) == {"AAPL", "MSFT"}),
    Call("asset_statistics", {"weights": WEIGHTS, "start": "2021-01-01", "beta_to": "XOM"},
         lambda d: d["portfolio"]["weights"] == {"AAPL": 0.6, "KO": 0.4} and d["window"]["start"] == "2021-01-04" and d["beta_to"] == "XOM"),
    Call("asset_statistics", {"portfolio_id": "{pf}"},
         lambda d: d["portfolio"]["name"] == f"portfolio {IDS['pf']}"),
    Call("asset_statistics", {"universe": '["XOM","CVX"]', "start": "2020-01-01", "rolling_sessions": "60"},
         lambda d: d["rolling"]["sessions"] == 60
         and d["rolling"]["correlation"]["XOM/CVX"]["windows"] == d["rolling"]["windows"] == d["window"]["sessions"] - 59),
    Call("asset_statistics", {"universe": '["KO"]', "start": "2020-06-01", "end": "2021-12-31", "by_year": "true"},
         lambda d: [(y["year"], y["from"], y["to"], y["cut"]) for y in d["assets"]["KO"]["calendar_years"]]
         == [(2020, "2020-06-01", "2020-12-31", True), (2021, "2021-01-04", "2021-12-31", False)]),
    Call("asset_statistics", {"universe": '["MSFT"]', "start": "2020-01-01", "end": "2020-12-31", "extreme_days": "3", "move_beyond": "0.05", "by_month": "true"},
         lambda d: _ends_and_months(d["assets"]["MSFT"], d["window"]["sessions"])),
    Call("market_data_coverage", {"sector": "energy"},
         lambda d: [s["ticker"] for s in d["stocks"]] == ["CVX", "RRC", "XOM"] and d["sector"] == "energy"),
    Call("market_data_coverage", {"tickers": '["KO","TSLA"]'},
         lambda d: [s["ticker"] for s in d["stocks"]] == ["KO"] and d["missing"] == ["TSLA"]),
    Call("optimize_portfolio", {"method": "efficient_return", "universe": UNIVERSE3, "target_return": "0.15"},
         lambda d: _close(d["expected_return"], 0.15)),
    Call("optimize_portfolio", {"method": "efficient_risk", "universe": UNIVERSE3, "target_volatility": "0.2"},
         lambda d: d["volatility"] <= 0.2 + 1e-3),
    Call("optimize_portfolio", {"method": "hrp", "universe": UNIVERSE3, "holdings": "2"},
         lambda d: len(d["weights"]) == 2 and d["holdings"]["held"] == 2 and d["holdings"]["chosen_from"] == 3),
    Call("efficient_frontier", {"universe": UNIVERSE3, "start": "2019-01-01", "end": "2022-12-28", "points": "4", "max_weight": "0.6", "risk_free_rate": "0.02"},
         lambda d: len(d["points"]) == 4 and max(d["max_sharpe_point"]["largest_weights"].values()) <= 0.6 + 1e-6),
    Call("backtest_strategy", {"config": '{"target_vol":0.1,"overlay":"put","overlay_strike":0.9}', "universe": '["AAPL","KO"]', "start": "2018-01-01", "end": "2022-12-28", "vol_model": '{"variance_risk_premium":0.02}'},
         lambda d: d["history"]["universe"] == ["AAPL", "KO"] and d["vol_model"]["variance_risk_premium"] == 0.02),
    # a finished search's winner by its job id, as stored, on the search's stocks and window
    Call("backtest_strategy", {"run_id": "{job}", "start": "2021-01-01"},
         lambda d: d["search"]["run_id"] == IDS["job"] and d["search"]["replaced"] == ["start"]
         and d["history"]["universe"] == ["AAPL", "KO", "XOM"] and d["history"]["start"] == "2021-01-04"),
    Call("backtest_strategy", {"config": '{"target_vol":0.1,"lookback":21}', "scenario_set_id": "{scn}"},
         lambda d: d["scenario_set_id"] == IDS["scn"] and set(d["metrics"]) == {"bear", "base"}),
    Call("backtest_weights", {"weights": WEIGHTS, "start": "2020-01-01", "end": "2021-12-31", "rebalance": "quarterly", "cost_bps": "5", "capital": "100000", "risk_free_rate": "0.02", "by_year": "true"},
         lambda d: d["rebalance"] == "quarterly" and d["cost_bps"] == 5 and d["capital"] == 100000 and d["risk_free_rate"] == 0.02
         and [y["year"] for y in d["calendar_years"]] == [2020, 2021] == [y["year"] for y in d["index"]["calendar_years"]]
         and _close(math.prod(1 + y["return"] for y in d["calendar_years"]) - 1, d["total_return"])),
    Call("backtest_weights", {"portfolio_id": "{pf}", "last_sessions": "252"},
         lambda d: d["window"]["sessions"] == 252 and IDS["pf"] in d["portfolio"]["name"]),
    Call("backtest_weights", {"universe": '["AAPL","KO","XOM"]'},
         lambda d: set(d["portfolio"]["weights"]) == {"AAPL", "KO", "XOM"}),
    Call("compare_portfolios", {"universe": '["AAPL","KO","XOM"]', "last_sessions": "252", "methods": '["hrp","risk_parity"]', "equal_weight": "true", "max_weight": "0.8", "min_weight": "0.05", "level": "0.99", "risk_free_rate": "0.01"},
         lambda d: [r["portfolio"] for r in d["rows"]][:2] == ["hrp", "risk_parity"] and len(d["rows"]) == 3 and d["level"] == 0.99),
    Call("compare_portfolios", {"portfolios": '{"60/40":' + WEIGHTS + "}", "portfolio_ids": '["{pf}"]', "start": "2020-01-01", "end": "2020-12-31"},
         lambda d: "60/40" in [r["portfolio"] for r in d["rows"]] and d["window"]["end"] == "2020-12-31"),
    Call("portfolio_risk_report", {"weights": WEIGHTS, "start": "2019-01-01", "end": "2022-12-28", "level": "0.99", "risk_free_rate": "0.02", "horizon_days": "10", "capital": "1000000"},
         lambda d: d["level"] == 0.99 and d["risk_free_rate"] == 0.02 and d["date_range"]["start"] == "2019-01-02"
         and d["horizon"]["days"] == 10 and d["capital"] == 1_000_000
         and abs(d["amounts"]["var_historical"] / (d["var_historical"] * 1_000_000) - 1) < 1e-3),
    Call("portfolio_risk_report", {"portfolio_id": "{pf}"},
         lambda d: d["portfolio_id"] == IDS["pf"]),
    # the universe of a risk report is its portfolio's: given with weights, it is refused in
    # the project's words (the inspector shows that answer as it is)
    Call("portfolio_risk_report", {"universe": '["AAPL","KO"]', "weights": WEIGHTS},
         lambda d: "universe is taken from the portfolio" in d["error"]["message"], refused="arguments"),
    Call("stress_test", {"weights": WEIGHTS, "market_move": "-0.2", "episodes": '["covid_2020"]', "scenarios": '["bear"]', "horizon": "63", "n_paths": "100", "seed": "3", "capital": "1000000", "start": "2015-01-01", "end": "2022-12-28"},
         lambda d: d["market_move"]["amount"] < 0 and d["capital"] == 1_000_000 and "covid_2020" in json.dumps(d) and "bear" in json.dumps(d)),
    Call("stress_test", {"portfolio_id": "{pf}", "last_sessions": "504", "market_move": "-0.1"},
         lambda d: d["window"]["sessions"] == 504 and d["market_move"]["move"] == -0.1),
    Call("stress_test", {"universe": '["AAPL","KO"]', "market_move": "-0.1"},
         lambda d: d["portfolio"]["weights"] == {"AAPL": 0.5, "KO": 0.5}),
    Call("stress_test", {"universe": '["AAPL","KO"]', "sector_move": '{"sector":"tech","move":-0.3}', "capital": "1000000"},
         lambda d: d["sector_move"]["members"] == ["AAPL", "AMD", "MSFT"] and d["sector_move"]["amount"] < 0),
    Call("loss_probability", {"weights": WEIGHTS, "threshold": "0.15", "horizon": "63", "scenarios": '["bear","base"]', "n_paths": "100", "seed": "3", "capital": "1000000", "start": "2015-01-01", "end": "2022-12-28"},
         lambda d: set(d["scenarios"]) == {"bear", "base"} and d["threshold"] == 0.15 and d["horizon"] == 63 and d["n_paths"] == 100),
    Call("loss_probability", {"portfolio_id": "{pf}", "last_sessions": "504"},
         lambda d: d["window"]["sessions"] == 504),
    Call("loss_probability", {"universe": '["AAPL","KO"]'},
         lambda d: d["portfolio"]["weights"] == {"AAPL": 0.5, "KO": 0.5}),
    Call("price_option", {"underlying": "AAPL", "kind": "call", "moneyness": "0.9", "tenor_months": "3", "date": "2020-03-15", "vol_model": '{"variance_risk_premium":0.02,"realised_window":42}'},
         lambda d: d["kind"] == "call" and d["spot"]["date"] == "2020-03-13" and d["strike"]["moneyness"] == 0.9 and d["tenor"]["sessions"] == 63
         and d["volatility"]["vol_model"]["variance_risk_premium"] == 0.02 and d["volatility"]["realised_window"] == 42 and d["delta"] > 0),
    Call("price_option", {"underlying": "SP500", "strike": "3500", "tenor_days": "42", "volatility": "0.25", "rate": "0.04"},
         lambda d: d["strike"]["price"] == 3500 and d["tenor"]["sessions"] == 42 and d["volatility"] == {"value": 0.25, "source": "stated"}
         and d["rate"]["safe_rate"] == 0.04 and d["rate"]["source"] == "stated" and d["delta"] < 0 and 0 < d["share_of_spot"] < 1),
    # both strikes: refused in the project's words, naming the field
    Call("price_option", {"underlying": "AAPL", "moneyness": "0.9", "strike": "100"},
         lambda d: "give moneyness or strike" in d["error"]["message"], refused="arguments.strike"),
    Call("recall_memories", {}, lambda d: d["memories"] == []),
    Call("draft_status", {"draft_id": "{draft}"}, lambda d: d["status"] == "pending_approval"),
)  # fmt: skip
"""The calls made once the ids below exist (`BUILDERS`)."""

BUILDERS = {
    "pf": Call("optimize_portfolio", {"method": "min_volatility", "universe": '["AAPL","JNJ","KO","XOM"]', "start": "2018-01-01", "end": "2022-12-28", "max_weight": "0.5", "min_weight": "0.05", "asset_limits": '{"XOM":{"max":0.1}}', "sector_limits": '{"energy":{"max":0.15}}', "risk_free_rate": "0.01", "capital": "1000000"},
               lambda d: d["weights"]["XOM"] <= 0.1 + 1e-6 and min(d["weights"].values()) >= 0.05 - 1e-6 and max(d["weights"].values()) <= 0.5 + 1e-6 and d["risk_free_rate"] == 0.01
               and d["capital"] == 1_000_000 and abs(sum(d["amounts"].values()) - 1_000_000) < 1),
    "scn": Call("generate_market_scenarios", {"universe": '["AAPL","KO"]', "start": "2015-01-01", "end": "2022-12-28", "names": '["bear","base"]', "n_paths": "20", "horizon": "126", "seed": "7", "method": "block_bootstrap", "block_size": "10", "weights": '{"AAPL":0.7,"KO":0.3}'},
                lambda d: d["scenarios"] == ["bear", "base"] and (d["n_paths"], d["horizon"], d["seed"], d["block_size"]) == (20, 126, 7, 10) and d["sleeve"] == {"AAPL": 0.7, "KO": 0.3}),
    "draft": Call("draft_strategy_search", {"universe": '["AAPL","KO"]', "max_trials": "4"},
                  lambda d: d["status"] == "pending_approval"),
}  # fmt: skip
"""Calls whose answers hold the ids the other calls name: a portfolio, a scenario set, a draft
(`draft_strategy_search` is not read-only: it only makes the draft `draft_status` reads)."""

IDS: dict[str, str] = {}
"""The ids the builders made, by name (``doc`` too: the document added first)."""

ID_FIELDS = {"pf": "portfolio_id", "scn": "scenario_set_id", "draft": "draft_id"}


@pytest.fixture(scope="module")
def inspector() -> Path:
    if not os.access(INSPECTOR, os.X_OK):
        pytest.skip(f"{INSPECTOR} is missing: `make mcp-inspector` installs it (npm)")
    return INSPECTOR


def _environment(data_dir: Path) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith("STRATIGOS_")}
    return {**keep, "STRATIGOS_DATA_DIR": str(data_dir), "STRATIGOS_MODEL_PROVIDER": "offline"}


class Inspector:
    """A node process that runs the inspector's CLI on each command line it is sent
    (`tests/support/inspector_batch.mjs`), one after the other: node and the inspector load once
    for the module; each call still connects anew (over stdio, to a `stratigos mcp` process of
    its own)."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log = log
        with log.open("w") as errors:
            self.process = subprocess.Popen(
                ["node", str(BATCH), str(INSPECTOR_PACKAGE)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=errors,
                env=env,
                text=True,
            )
        self.sent = 0
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put("")

    def run(self, command_line: list[str]) -> int:
        """The exit code the inspector gives `command_line`."""
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(command_line) + "\n")
        self.process.stdin.flush()
        self.sent += 1
        printed: list[str] = []
        while True:
            try:
                line = self.lines.get(timeout=CALL_SECONDS)
            except queue.Empty:
                line = ""
            assert line, (command_line, printed, self.log.read_text()[-2000:])
            try:
                outcome = json.loads(line)
            except json.JSONDecodeError:
                printed.append(line)
                continue
            if isinstance(outcome, dict) and outcome.get("outcome") == self.sent - 1:
                return int(outcome["code"])
            printed.append(line)

    def close(self) -> None:
        """End the node process (its stdin ends)."""
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            self.process.wait(CALL_SECONDS)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait(30)


Inspectors = tuple[Inspector, Inspector]


@pytest.fixture(scope="module")
def inspectors(inspector: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Inspectors]:
    """Two inspector processes (`Inspector`) for the module's calls, two at a time."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STRATIGOS_")}
    logs = tmp_path_factory.mktemp("inspector")
    pair = (Inspector(env, logs / "first.log"), Inspector(env, logs / "second.log"))
    try:
        yield pair
    finally:
        for each in pair:
            each.close()


def run_inspector(
    inspector: Inspector, target: list[str], command_lines: list[list[str]], results: Path
) -> list[tuple[int, dict[str, Any]]]:
    """Each of `command_lines` (the inspector's options after `target`) run by `inspector`: the
    exit code of each and the JSON it wrote (to a file under `results`)."""
    results.mkdir(parents=True, exist_ok=True)
    timeout = ["--connect-timeout", str(CALL_SECONDS * 1000)]
    answers = []
    for options in command_lines:
        output = results / f"{uuid.uuid4().hex}.json"
        code = inspector.run([*target, *timeout, *options, "--output", str(output)])
        assert output.exists(), (code, options, inspector.log.read_text()[-2000:])
        answers.append((code, json.loads(output.read_text())))
    return answers


def run_in_two(
    inspectors: Inspectors, target: list[str], command_lines: list[list[str]], results: Path
) -> list[tuple[int, dict[str, Any]]]:
    """`run_inspector` of `command_lines` in the two inspector processes at once (alternate
    lines in each), the answers in the order of `command_lines`."""
    halves = [command_lines[0::2], command_lines[1::2]]
    with ThreadPoolExecutor(max_workers=2) as pool:
        first, second = pool.map(
            lambda each, half: run_inspector(each, target, half, results), inspectors, halves
        )
    answers: list[tuple[int, dict[str, Any]]] = []
    for index in range(len(command_lines)):
        answers.append((first if index % 2 == 0 else second)[index // 2])
    return answers


def call_options(call: Call) -> list[str]:
    """`call` as the inspector's options, its ids filled in."""
    options = ["--method", "tools/call", "--tool-name", call.tool]
    for name, value in call.arguments.items():
        for key, made in IDS.items():
            value = value.replace("{" + key + "}", made)
        options += ["--tool-arg", f"{name}={value}"]
    return options


def check_answer(call: Call, code: int, answer: dict[str, Any]) -> None:
    structured = answer["structuredContent"]
    if call.refused is not None:
        assert code == TOOL_IS_ERROR_EXIT and answer["isError"], answer
        assert structured["error"]["code"] == "VALIDATION_ERROR"
        assert [d["field"] for d in structured["error"]["details"]] == [call.refused]
    else:
        assert code == 0 and not answer.get("isError"), (call.tool, answer["content"])
        assert json.loads(answer["content"][0]["text"]) == structured
    try:
        shown = call.check(structured)
    except (KeyError, TypeError) as missing:
        raise AssertionError((call.tool, call.arguments, structured)) from missing
    assert shown, (call.tool, call.arguments, structured)


ID_CALLS = tuple(
    next(call for call in CALLS if "{" + key + "}" in json.dumps(call.arguments))
    for key in ("doc", *BUILDERS)
)
"""For each kind of id an earlier call (another process) made, the first call that names one."""


def list_and_call(
    inspectors: Inspectors, target: list[str], calls: tuple[Call, ...], results: Path
) -> None:
    """List the tools (strictly) and make the builders' ids, then `calls` (each call a
    connection of its own; two node processes at a time)."""
    builders = [call_options(builder) for builder in BUILDERS.values()]
    listing = ["--method", "tools/list", "--strict"]
    (code, listed), *built = run_in_two(inspectors, target, [listing, *builders], results)
    assert code == 0, listed
    tools = {tool["name"]: tool for tool in listed["tools"]}
    assert len(tools) == len(TOOL_ANNOTATIONS) and set(tools) == set(TOOL_ANNOTATIONS)
    for name, tool in tools.items():
        assert tool["annotations"] == TOOL_ANNOTATIONS[name].model_dump(exclude_none=True), name
    read_only = {name for name, tool in tools.items() if tool["annotations"]["readOnlyHint"]}
    assert read_only == {n for n, a in TOOL_ANNOTATIONS.items() if a == READ_ONLY}
    _every_optional_argument_is_given(tools, read_only)
    for (key, builder), (code, answer) in zip(BUILDERS.items(), built, strict=True):
        check_answer(builder, code, answer)
        IDS[key] = str(answer["structuredContent"][ID_FIELDS[key]])
    answers = run_in_two(inspectors, target, [call_options(call) for call in calls], results)
    for call, (code, answer) in zip(calls, answers, strict=True):
        check_answer(call, code, answer)


def _every_optional_argument_is_given(tools: dict[str, Any], read_only: set[str]) -> None:
    """Each read-only tool is called, and each of its optional arguments is given in some
    call, with a type an inspector can read (no nullable union at the top of an argument)."""
    given: dict[str, set[str]] = {}
    for call in (*CALLS, *BUILDERS.values()):
        given.setdefault(call.tool, set()).update(call.arguments)
    assert read_only <= set(given)
    for name in read_only:
        schema = tools[name]["inputSchema"]
        assert given[name] == set(schema.get("properties", {})), name
        for argument, spec in schema.get("properties", {}).items():
            assert "type" in spec or "$ref" in spec, (name, argument, spec)


def test_over_stdio_ids_made_by_one_process_are_found_by_the_next(
    inspectors: Inspectors, tmp_path: Path
) -> None:
    env = _environment(tmp_path / "data")
    note = tmp_path / "staples.txt"
    note.write_bytes(NOTE)
    added = subprocess.run(
        [str(STRATIGOS), "docs", "add", str(note), "--json"],
        env=env, capture_output=True, text=True, timeout=CALL_SECONDS, check=True,
    )  # fmt: skip
    IDS.clear()
    IDS["doc"] = _document_id(added.stdout)
    # the inspector hands the server a few variables of its own (HOME, PATH, ...), not its
    # environment: the data directory is passed with -e, as a person would
    passed = [f"{name}={env[name]}" for name in ("STRATIGOS_DATA_DIR", "STRATIGOS_MODEL_PROVIDER")]
    target = [option for pair in passed for option in ("-e", pair)] + [str(STRATIGOS), "mcp"]
    list_and_call(inspectors, target, ID_CALLS, tmp_path / "answers")


def test_over_http_every_read_only_tool_takes_its_optional_arguments(
    inspectors: Inspectors, tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    running = shared_serving(tmp_path_factory)
    job_id = _teach(running.data_dir, OWNER)
    key = owner_keys(running.data_dir, [OWNER])[OWNER]
    with httpx.Client(
        base_url=running.base, headers={"x-api-key": key}, timeout=CALL_SECONDS, verify=TLS
    ) as http:
        files = {"file": ("staples.txt", NOTE, "text/plain")}
        uploaded = http.post("/v1/documents", files=files)
        assert uploaded.status_code == 201, uploaded.text
    IDS.clear()
    IDS.update(doc=uploaded.json()["id"], job=job_id)
    target = [f"{running.base}/mcp", "--transport", "http", "--header", f"x-api-key: {key}"]
    list_and_call(inspectors, target, CALLS, tmp_path / "answers")


def _teach(data_dir: Path, owner: str) -> str:
    """`owner`'s strategy model in `data_dir`'s store, learnt from one small search (`SEARCH`),
    as `stratigos optimize` teaches it, and from a small finished optimization job of theirs,
    whose id it returns."""
    from graphs.job_handlers import run_job_here
    from graphs.request import OptimizationRequest
    from graphs.search_pipeline import run_search_pipeline
    from settings import ModelSettings, Settings
    from store.factory import open_store
    from tests.support.pipeline_search import seeded_request

    settings = Settings(data_dir=data_dir, models=ModelSettings(provider="offline"))
    run_search_pipeline(seeded_request(1), run_id=SEARCH, owner=owner, settings=settings)
    small = {"universe": ["AAPL", "KO", "XOM"], "start": "2015-01-01", "n_paths": 10, "horizon": 126,
             "search_space": {"target_vol": {"low": 0.05, "high": 0.2}},
             "budget": {"max_trials": 4, "batch_size": 4}, "max_risk_rounds": 0}  # fmt: skip
    store = open_store(settings)
    try:
        request = OptimizationRequest.model_validate(small)
        job_id, _ = run_job_here(store, owner, request, settings=settings, learning="worker")
    finally:
        store.close()
    return job_id


def _document_id(printed: str) -> str:
    """The id of the one document `stratigos docs add --json` printed."""
    found = json.loads(printed)
    document = found[0] if isinstance(found, list) else found
    return str(document.get("id") or document["document"]["id"])


@pytest.fixture(autouse=True)
def _no_ids_left() -> Iterator[None]:
    yield
    IDS.clear()
