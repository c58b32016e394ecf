"""The Model Context Protocol, both ways (`STRATIGOS_MCP_*`): how `stratigos mcp` and `/mcp` ask
for approvals, and the MCP servers whose tools the assistant may use (docs/mcp.md)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from settings.fields import SettingsGroup

Role = Literal["market_analysis", "optimizer", "risk_manager"]
ROLES: tuple[Role, ...] = ("market_analysis", "optimizer", "risk_manager")
"""The chat's specialists, which may be handed an external server's tools."""


class McpServer(BaseModel):
    """One MCP server whose tools join the assistant's: started as a command (stdio) or reached
    at a URL (streamable HTTP)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(
        pattern=r"^[a-z][a-z0-9_]{0,23}$",
        description="Short name; the server's tools are named `<name>_<tool>` in the chat.",
    )
    transport: Literal["stdio", "streamable_http"]
    command: str | None = Field(default=None, description="stdio: the program to start.")
    args: list[str] = Field(default_factory=list, description="stdio: its arguments.")
    env: dict[str, SecretStr] = Field(
        default_factory=dict, description="stdio: extra environment (kept out of logs)."
    )
    url: str | None = Field(default=None, description="streamable_http: the endpoint.")
    headers: dict[str, SecretStr] = Field(
        default_factory=dict,
        description="streamable_http: headers sent with every request (kept out of logs).",
    )
    read_only_tools: list[str] = Field(
        default_factory=list,
        description="Tools (their names on the server) you declare read-only: they run without "
        "approval; every other tool waits for your approval before each call.",
    )
    trust_read_only_hints: bool = Field(
        default=False,
        description="Also run without approval the tools the server itself marks read-only "
        "(readOnlyHint): only for a server you trust to say so truthfully.",
    )
    roles: list[Role] = Field(
        default_factory=lambda: list(ROLES),
        description="The chat specialists handed this server's tools.",
    )
    owners: list[str] | None = Field(
        default=None,
        description="Only the chat threads of these owners use the server (unset: every owner's).",
    )

    @model_validator(mode="after")
    def _reachable(self) -> McpServer:
        if self.transport == "stdio" and not self.command:
            raise ValueError(f"MCP server {self.name!r}: a stdio server needs a command")
        if self.transport == "streamable_http" and not self.url:
            raise ValueError(f"MCP server {self.name!r}: a streamable_http server needs a url")
        return self


class McpSettings(SettingsGroup):
    """`stratigos mcp` and `/mcp` (the server) and the assistant's own MCP servers (the client)."""

    env_prefix: ClassVar[str] = "STRATIGOS_MCP_"

    elicitation_approvals: bool = Field(
        default=True,
        description="Ask for a draft's approval in the MCP client itself (elicitation) when the "
        "client supports it, over stdio (`stratigos mcp`: over HTTP, `/mcp` keeps no session to "
        "carry the answer back and never asks); false: every search and deployment drafted "
        "through MCP waits for approval in the CLI, the web UI or the chat.",
    )
    servers: list[McpServer] = Field(
        default_factory=list,
        description="MCP servers whose tools the assistant may use (a JSON list in the "
        "environment variable; `[[mcp_servers]]` tables in the settings file).",
    )
    tool_timeout: float = Field(
        default=60.0, gt=0, description="Seconds one call to an external MCP tool may take."
    )
