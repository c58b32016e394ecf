"""Three strategies sharing a paper account, created and forward-tested together from the
command line (`deploy create --account`, `deploy forward-test --account`) with commissions
per share, per order and in basis points: every member's tearsheet, `stratigos deploy
orders`, `GET /v1/deployments/{id}/orders` and its HTML report list the same orders, each with
that strategy's part of the account's order (and so does the MCP resource of its orders);
the books' fees and interest add up to the
account's; the account's runs through the API show the netting the command printed."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from mcp import ClientSession, types

from api.cli import main
from api.cli.local import LOCAL_OWNER, open_local_store
from api.mcp.server import build_server
from settings import get_settings
from tests.api.conftest import make_settings
from tests.support.cli import fails
from tests.support.mcp_client import in_memory

WEIGHTS = {
    "growth": ({"AAPL": 0.5, "KO": 0.45}, 0.01),
    "value": ({"KO": 0.2, "XOM": 0.75}, 0.03),
    "staples": ({"KO": 0.4, "PG": 0.5}, 0.05),
}
"""Each strategy's fixed weights (rebalanced every session) and its safe rate."""
COSTS = (
    "--commission-per-share",
    "0.005",
    "--commission-per-order",
    "1",
    "--commission-bps",
    "0.5",
)


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.fixture
def client(offline_data_dir: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """The API on the command line's store, with a key of its owner (`local`)."""
    from api.app import create_app

    settings = make_settings(offline_data_dir, api={"job_workers": 0})
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        store = test_client.app.state.context.store  # type: ignore[attr-defined]
        key, _ = store.create_api_key(LOCAL_OWNER, "tests")
        yield test_client, {"x-api-key": key}


class _Rows(HTMLParser):
    """The cells of every table row after the heading that starts with `heading`."""

    def __init__(self, heading: str) -> None:
        super().__init__()
        self.heading, self.found = heading, False
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None
        self.title = ""
        self.in_heading = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "h2":
            self.in_heading, self.title = True, ""
        elif tag == "tr" and self.found:
            self.rows.append([])
        elif tag == "td" and self.found:
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "h2":
            self.in_heading = False
            self.found = self.title.startswith(self.heading)
            if self.found:
                self.rows, self.count = [], self.title
        elif tag == "td" and self.cell is not None:
            self.rows[-1].append("".join(self.cell))
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.in_heading:
            self.title += data
        elif self.cell is not None:
            self.cell.append(data)


def _tearsheet_orders(page: str) -> tuple[int, list[tuple[int, str, str, float]]]:
    """The orders a tearsheet lists: their count and the rows shown (#, symbol, side, qty)."""
    parser = _Rows("Orders (")
    parser.feed(page)
    count = int(re.match(r"Orders \((\d+)", parser.count).group(1))  # type: ignore[union-attr]
    rows = [(int(r[0]), r[1], r[2], float(r[3])) for r in parser.rows if r]
    return count, rows


def _mcp_resource(store: Any, uri: str) -> str:
    """The text of the MCP resource `uri`, read with the `mcp` SDK's client (in memory)."""

    async def read(session: ClientSession) -> str:
        content = (await session.read_resource(uri)).contents[0]  # type: ignore[arg-type]
        assert isinstance(content, types.TextResourceContents)
        return content.text

    return in_memory(build_server(get_settings(), lambda: store, local_owner=LOCAL_OWNER), read)


def test_a_shared_account_run_over_history_lists_the_same_orders_everywhere(
    offline_data_dir: Path,
    client: tuple[TestClient, dict[str, str]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    api, headers = client
    store = open_local_store()
    members = {}
    for name, (weights, rate) in WEIGHTS.items():
        portfolio = store.create_portfolio(LOCAL_OWNER, name, {"weights": weights}).id
        created = run_json(
            capsys, "deploy", "create", "--portfolio", portfolio, "--capital", "100000",
            "--every", "session", "--account", "main", "--name", name,
        )  # fmt: skip
        assert created["spec"]["shared_account"] and created["spec"]["account_name"] == "main"
        assert created["spec"]["account"].startswith("paper-shared-")
        spec = {**created["spec"], "strategy": {**created["spec"]["strategy"], "safe_rate": rate}}
        store.update_deployment(LOCAL_OWNER, created["id"], expected_version=1, spec=spec)
        members[name] = created["id"]
    assert "give a deployment id or --account NAME" in fails(
        capsys, "deploy", "forward-test", "--start", "2022-06-01"
    )
    assert "none of your deployments (draft, active or paused) trades the account 'other'" in (
        fails(capsys, "deploy", "forward-test", "--account", "other", "--start", "2022-06-01")
    )
    result = run_json(
        capsys, "deploy", "forward-test", "--account", "main", "--start", "2022-06-01",
        "--end", "2022-07-29", *COSTS,
    )  # fmt: skip
    netting = result["netting"]
    assert netting["decision_times"] == result["sessions"] and netting["conflicts"] > 0
    assert netting["orders_crossed"] > 0 and netting["slippage_saved"] > 0
    assert [m["deployment_id"] for m in result["members"]] == list(members.values())
    assert result["costs"]["commission_per_order"] == 1.0
    # fees and interest: the books' add up to the account's, each book at its own rate
    assert sum(m["fees"] for m in result["members"]) == pytest.approx(result["fees"], abs=1e-9)
    assert sum(m["interest"] for m in result["members"]) == pytest.approx(
        result["interest"], abs=1e-9
    )
    assert [m["cash_rate"] for m in result["members"]] == [r for _, r in WEIGHTS.values()]
    sheets = result["tearsheets"]
    assert sheets["status"] == "succeeded" and len(sheets["reports"]) == 4
    by_member = {r["deployment_id"]: r["id"] for r in sheets["reports"]}
    for member in result["members"]:
        test_id = member["forward_test_deployment_id"]
        listed = run_json(capsys, "deploy", "orders", test_id)
        answer = api.get(f"/v1/deployments/{test_id}/orders", headers=headers)
        assert answer.status_code == 200 and answer.json() == listed
        assert len(listed) > result["sessions"]  # about two a session: its parts
        for order in listed:
            assert order["account"] == result["test_account"]
            assert order["quantity"] == order["allocations"][test_id]
            assert sum(order["allocations"].values()) == pytest.approx(order["order_quantity"])
            assert order["filled_quantity"] == pytest.approx(order["quantity"], abs=1e-6)
        page = store.report_bytes(LOCAL_OWNER, by_member[test_id]).decode()
        report = api.get(f"/v1/deployments/{test_id}/report", headers=headers).text
        for html in (page, report):
            count, rows = _tearsheet_orders(html)
            assert count == len(listed)
            assert rows == [
                (o["sequence"], o["symbol"], o["side"], round(o["quantity"], 6))
                for o in listed[-len(rows) :]
            ]
        read = _mcp_resource(store, f"stratigos://deployments/{test_id}/orders")
        assert json.loads(read) == {"deployment_id": test_id, "orders": listed}
    assert main(["deploy", "orders", result["members"][0]["forward_test_deployment_id"]]) == 0
    text = capsys.readouterr().out
    assert "account order" in text.splitlines()[0] and "crossed inside the account" in text
    # the account's runs, through the API: the conflicts the command counted
    accounts = api.get("/v1/accounts", headers=headers).json()["items"]
    [tested] = [a for a in accounts if a["account"] == result["test_account"]]
    assert len(tested["deployments"]) == 3 and tested["shared"]
    runs = api.get(f"/v1/accounts/{result['test_account']}/runs", headers=headers).json()
    assert sum(len(r["conflicts"]) for r in runs["items"]) == netting["conflicts"]
