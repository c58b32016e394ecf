"""A stand-in broker's MCP server (built on the `mcp` SDK; serve it with
`tests.support.live_server.running_server`) and a market specialist that quotes and buys
through it: what the tests of the assistant as an MCP client share."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage
from mcp.server.fastmcp import FastMCP
from starlette.requests import Request
from starlette.responses import JSONResponse

from agents.offline.policies import PolicyInput, reply, tool_call


def broker(orders: list[tuple[str, int]]) -> Any:
    """A stand-in broker's MCP server: a quote (read-only) and orders (recorded)."""
    server = FastMCP("broker", stateless_http=True, json_response=True)

    @server.tool()
    def last_price(ticker: str) -> str:
        """The last traded price of `ticker`."""
        return f"{ticker} last traded at 150.25"

    @server.tool()
    def place_order(ticker: str, quantity: int) -> str:
        """Buy `quantity` shares of `ticker` at market."""
        orders.append((ticker, quantity))
        return f"order for {quantity} {ticker} accepted"

    @server.custom_route("/v1/health", methods=["GET"])
    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    return server.streamable_http_app()


def trader(inp: PolicyInput) -> AIMessage:
    """The market specialist, as a model that quotes and buys through the broker's tools."""
    done = {call["name"] for call in inp.calls_this_turn()}
    if "broker_place_order" not in done:
        return reply(
            "Checking the price and buying.",
            tool_call("broker_last_price", {"ticker": "AAPL"}),
            tool_call("broker_place_order", {"ticker": "AAPL", "quantity": 10}),
        )
    return reply(" / ".join(str(r.content) for r in inp.tool_results()[-2:]))
