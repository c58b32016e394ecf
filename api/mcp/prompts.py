"""The common workflows of a portfolio manager as MCP prompts: a user message naming the tools
to use and what to report, filled in with the arguments the user gives.

| prompt | does |
| --- | --- |
| `risk_check` | VaR, CVaR, drawdown and risk contributions of a portfolio (tickers or a saved id) |
| `build_portfolio` | a portfolio by a method, with its risk, against equal weights |
| `tail_hedge_search` | a search for option protection within a premium budget (drafted for approval) |
| `deploy_winner` | a paper deployment of an optimization's winner (drafted for approval) |
| `research_view` | what the user's own documents say about a subject, with citations |
"""

from __future__ import annotations

from dataclasses import dataclass

import mcp.types as types
from mcp.shared.exceptions import McpError

from api.mcp.frames import rpc_error
from services.problems import shown, text_problem


@dataclass(frozen=True)
class Workflow:
    """One prompt: its name, what it does, its arguments (name, description, required) and
    the message template (`str.format` fields named like the arguments)."""

    name: str
    description: str
    arguments: tuple[tuple[str, str, bool], ...]
    template: str
    defaults: tuple[tuple[str, str], ...] = ()


WORKFLOWS = (
    Workflow(
        "risk_check",
        "The risk of a portfolio: VaR, CVaR, drawdown, volatility and who contributes it.",
        (
            ("portfolio", "Tickers (AAPL, KO) or a saved portfolio id (pf_...)", True),
            ("since", "First date of the returns, YYYY-MM-DD", False),
        ),
        "Measure the risk of {portfolio} on daily returns from {since} with Stratigos' "
        "portfolio_risk_report (equal weights if I gave only tickers): 95% VaR and CVaR, "
        "maximum drawdown, volatility and each asset's risk contribution. Quote the numbers "
        "as the tool gives them and name the period they cover.",
        (("since", "the tool's default start"),),
    ),
    Workflow(
        "build_portfolio",
        "A portfolio built by a method, its risk, and how it compares with equal weights.",
        (
            ("tickers", "The universe, e.g. AAPL, MSFT, JNJ, XOM", True),
            ("method", "hrp, risk_parity, min_volatility or max_sharpe", False),
        ),
        "Build a {method} portfolio of {tickers} with Stratigos' optimize_portfolio, then run "
        "portfolio_risk_report on it and on the equal-weight portfolio of the same stocks over "
        "the same period. Show the weights and compare the two on CVaR, drawdown and Sharpe.",
        (("method", "hrp"),),
    ),
    Workflow(
        "tail_hedge_search",
        "A search for option protection of a strategy within a premium budget, for approval.",
        (
            ("tickers", "The universe to protect", True),
            ("budget", "Annual premium budget as a fraction of wealth, e.g. 0.02", False),
        ),
        "Draft a strategy search with Stratigos' draft_strategy_search on {tickers} comparing "
        "no protection with puts and put spreads (protection kinds none, put, put_spread) "
        "within an annual premium budget of {budget}, with a bear-market drawdown limit. Tell "
        "me what was drafted and whether it ran or waits for my approval.",
        (("budget", "0.02"),),
    ),
    Workflow(
        "deploy_winner",
        "A paper deployment of an optimization's winner, drafted for approval.",
        (
            ("optimization_id", "The optimization job (job_...)", True),
            ("capital", "Capital in currency", False),
        ),
        "Draft a paper deployment of the winner of optimization {optimization_id} with "
        "Stratigos' draft_deployment (source last_run) and {capital} of capital, rebalanced on "
        "its own cadence. Tell me the draft's summary and whether it waits for my approval.",
        (("capital", "100000"),),
    ),
    Workflow(
        "research_view",
        "What the user's own research documents say about a subject, with citations.",
        (("subject", "A ticker, sector or theme", True),),
        "Search my research documents with Stratigos' search_research for {subject} and answer "
        "with the sentences that hold the view or the figures, each with its citation. Say so "
        "if my documents say nothing about it.",
    ),
)


def list_prompts() -> list[types.Prompt]:
    """The workflows as MCP prompt definitions."""
    return [
        types.Prompt(
            name=w.name,
            description=w.description,
            arguments=[
                types.PromptArgument(name=name, description=text, required=required)
                for name, text, required in w.arguments
            ],
        )
        for w in WORKFLOWS
    ]


def get_prompt(name: str, arguments: dict[str, str] | None) -> types.GetPromptResult:
    """The workflow `name` filled in; `McpError` (invalid params, in our words) for an unknown
    prompt, a missing required argument, or an argument holding text the API refuses
    (`text_problem`)."""
    workflow = next((w for w in WORKFLOWS if w.name == name), None)
    if workflow is None:
        known = ", ".join(w.name for w in WORKFLOWS)
        message = f"no prompt {name!r}; the prompts are: {known}"
        raise McpError(
            rpc_error(types.INVALID_PARAMS, "NOT_FOUND", message, [_detail("name", "unknown")])
        )
    given = {k: v for k, v in (arguments or {}).items() if v}
    missing = [n for n, _, required in workflow.arguments if required and n not in given]
    if missing:
        raise McpError(
            rpc_error(
                types.INVALID_PARAMS,
                "VALIDATION_ERROR",
                f"prompt {name} needs {', '.join(missing)}",
                [_detail(f"arguments.{m}", "required") for m in missing],
            )
        )
    refused = [(k, problem) for k, v in given.items() if (problem := text_problem(v)) is not None]
    if refused:
        key, problem = refused[0]
        raise McpError(
            rpc_error(
                types.INVALID_PARAMS,
                "VALIDATION_ERROR",
                f"prompt {name}: arguments.{shown(key)}: {problem}",
                [_detail(f"arguments.{shown(k)}", p) for k, p in refused],
            )
        )
    values = {**dict(workflow.defaults), **given}
    text = workflow.template.format(**values)
    return types.GetPromptResult(
        description=workflow.description,
        messages=[
            types.PromptMessage(role="user", content=types.TextContent(type="text", text=text))
        ],
    )


def _detail(field: str, problem: str) -> dict[str, str]:
    return {"field": field, "problem": problem}
