"""A strategy search in the chat: the request the optimizer's draft describes, the summary the
user approves, and the run once approved, with the answer it gives.

The draft (`agents.chat.RequestDraft`) names what the user asked for (universe, dates,
scenarios and their weights, a volatility-target range, weight functions, risk limits, trials,
an option hedge and its pricing); everything else keeps the request's defaults, except that a
search asked about rule settings ("the target-vol setting") without opening the weight function
keeps the target-vol rule's (inverse volatility). An approved run
is the `optimization` workflow (`graphs.optimization_run`, or the owner's job through
`graphs.job_handlers`), whose progress streams into the chat; its summary and explanation
become the answer, and the run the thread's `last_run` (what the explanation agent is handed
and what "deploy that" deploys).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, get_args

from langchain_core.messages import AIMessage
from pydantic import ValidationError

from agents.chat import RequestDraft
from agents.decisions import FixedSetting
from agents.explanation import limit_sentences
from graphs.emit import emit_job, emit_node_started, emit_progress, emit_warning
from graphs.hedge_search import (
    describe_hedge,
    describe_hedge_search,
    describe_vol_model,
    hedge_space,
)
from graphs.optimization_limits import limit_checks
from graphs.request import DEFAULT_SPACE, OptimizationRequest
from quant.horizons import MAX_HORIZON_DAYS, MAX_LOOKBACK
from quant.strategy import MAX_LEVERAGE, StrategyConfig
from services.errors import InputError
from services.formatting import (
    PARAMETERS,
    WEIGHT_FUNCTIONS,
    config_sentence,
    limit_sentence,
    listed,
    parameter,
    scenario,
)
from services.work_bounds import BusyError, WorkBound
from settings import Settings
from store import Store
from traces.schema import TraceEvent


def request_from_draft(draft: RequestDraft | dict[str, Any]) -> OptimizationRequest:
    """The `OptimizationRequest` a draft describes (defaults for what it leaves out)."""
    d = draft if isinstance(draft, RequestDraft) else RequestDraft.model_validate(draft)
    data: dict[str, Any] = {"search_space": dict(DEFAULT_SPACE)}
    for key in ("universe", "start", "end", "scenarios", "scenario_weights"):
        value = getattr(d, key)
        if value is not None:
            data[key] = value
    if d.target_vol_range is not None:
        low, high = sorted(d.target_vol_range)
        data["search_space"]["target_vol"] = (
            low if high - low < 1e-9 else {"low": low, "high": high}  # one target: fixed
        )
    for name, value in (d.fixed or {}).items():
        data["search_space"][name] = _fixed_setting(name, value)
    if d.weight_functions:
        data["search_space"]["weight_function"] = {"choices": list(d.weight_functions)}
    elif d.focus and "weight_function" not in d.focus:
        # a search asked about settings of the rule ("the target-vol setting") searches that
        # rule: the weight function stays the default (inverse volatility, the target-vol rule)
        # unless the user opens it
        data["search_space"]["weight_function"] = StrategyConfig.model_fields[
            "weight_function"
        ].default
    if d.risk_limits is not None:
        data["risk_limits"] = d.risk_limits.model_dump(exclude_none=True)
    if d.max_trials is not None:
        data["budget"] = {"max_trials": d.max_trials}
    if d.protection is not None:
        p = d.protection

        def pair(ends: list[float] | None) -> tuple[float, float] | None:
            return None if ends is None else (ends[0], ends[1])

        data["search_space"].update(
            hedge_space(
                kinds=p.kinds,
                strike=pair(p.strike_range),
                lower_strike=p.lower_strike,
                call_strike=p.call_strike,
                tenor_days=p.tenor_days,
                roll=p.roll,
                roll_delta_band=p.roll_delta_band,
                hedge_ratio=pair(p.hedge_ratio_range),
                budget=pair(p.budget_range),
            )
        )
        if p.vol_model is not None:
            data["vol_model"] = p.vol_model.model_dump(exclude_none=True)
    return OptimizationRequest.model_validate(data)


_FIXED_RANGES: dict[str, str] = {
    "lookback": f"a whole number of trading days from 2 to {MAX_LOOKBACK:,}",
    "rebalance_every": f"a whole number of trading days from 1 to {MAX_HORIZON_DAYS:,}",
    "max_leverage": f"above 0 and at most {MAX_LEVERAGE:g}x (the engine models no margin call)",
}
"""What each `FixedSetting` a strategy takes must be, in words."""


def _fixed_setting(name: str, value: float) -> float:
    """A setting the user states as the search keeps it (days whole: 21.0 is 21); `InputError`
    naming `fixed.<name>` for a value no strategy takes."""
    kept = int(value) if name != "max_leverage" and float(value).is_integer() else value
    try:
        StrategyConfig.model_validate({name: kept})
    except ValidationError:
        problem = f"{parameter(name, value)} asked, but it must be {_FIXED_RANGES[name]}"
        raise InputError(f"fixed.{name}", problem, message=problem) from None
    return kept


def describe_request(request: OptimizationRequest) -> str:
    """A short description of a request, for the approval prompt."""
    space = request.search_space
    limits = request.risk_limits.limits()
    parts = [
        f"Strategy search on {_universe_said(request.universe)}, {request.start} to {request.end}",
        f"scenarios {', '.join(scenario(name) for name in request.scenarios)}"
        + (
            " (weights "
            + ", ".join(f"{scenario(k)} {v:g}" for k, v in request.scenario_weights.items())
            + ")"
            if request.scenario_weights
            else ""
        ),
        f"volatility target {space['target_vol']['low'] * 100:.4g}%-"
        f"{space['target_vol']['high'] * 100:.4g}%"
        if isinstance(space.get("target_vol"), dict) and "low" in space["target_vol"]
        else f"volatility target {space['target_vol'] * 100:.4g}% (fixed)"
        if isinstance(space.get("target_vol"), int | float)
        else "",
        f"{parameter('weight_function', space['weight_function'])} (fixed)"
        if isinstance(space.get("weight_function"), str)
        else "",
        *(
            f"{parameter(name, space[name])} (fixed)"
            for name in get_args(FixedSetting)
            if isinstance(space.get(name), int | float)
        ),
        describe_hedge_search(space) or "",
        describe_vol_model(request.vol_model) if request.vol_model is not None else "",
        _limits_said(request) if limits else "",
        f"{request.budget.max_trials} trials, {request.n_paths} paths per scenario",
    ]
    return "; ".join(p for p in parts if p) + "."


NAMED_AT_MOST = 8
"""The most stocks an approval names one by one (more are counted)."""


def _universe_said(universe: Sequence[str] | None) -> str:
    """The stocks a search is on, as its approval says them: "KO, PEP and XOM" (up to
    `NAMED_AT_MOST`), else "20 stocks (AAPL, AMD, BAC and 17 more)"; when none is given, the
    market data's first `DEFAULT_UNIVERSE_SIZE` stocks (`default_universe`)."""
    if not universe:  # the market data's module loads pandas: only for this case
        from services.market_data.providers import DEFAULT_UNIVERSE_SIZE

        return f"every stock of the market data (up to {DEFAULT_UNIVERSE_SIZE})"
    if len(universe) <= NAMED_AT_MOST:
        return listed(list(universe))
    return f"{len(universe)} stocks ({', '.join(universe[:3])} and {len(universe) - 3} more)"


def _limits_said(request: OptimizationRequest) -> str:
    """The search's risk limits in words, on the scenario they apply to when there is one
    ("max drawdown ≤ 15.00% in 95% of bear paths"), else followed by the scenarios."""
    where = list(request.risk_limits.scenarios or [])
    one = where[0] if len(where) == 1 else None
    said = ", ".join(
        limit_sentence(k, v.limit, v.statistic, one)
        for k, v in request.risk_limits.limits().items()
    )
    return f"risk limits {said}" + (
        f" in {', '.join(scenario(name) for name in where)}" if len(where) > 1 else ""
    )


def describe_limit_checks(checks: list[dict[str, Any]], meeting: int | None) -> list[str]:
    """When the winner breaks a risk limit (`graphs.optimization_limits.limit_checks`), how
    many trials of the run met them all (`meeting`), in words; nothing when it meets them."""
    if all(check["met"] for check in checks):
        return []
    return [
        "No trial of the search met every risk limit: the winner is the one that came "
        "closest, and it breaks a limit."
        if not meeting
        else f"{meeting} trial(s) of the search met every risk limit, but none was approved: "
        "the winner breaks a limit."
    ]


def winning_values(config: dict[str, Any], focus: list[str]) -> list[str]:
    """The winner's value of each parameter the user asked about, in words; a parameter the
    winner's weight function does not use is said to be unused, not given a value."""
    winner = StrategyConfig.model_validate(config)
    lines = []
    for name in focus:
        if name in winner.unused_parameters():
            rule = WEIGHT_FUNCTIONS.get(winner.weight_function, winner.weight_function)
            label = PARAMETERS[name].label if name in PARAMETERS else name.replace("_", " ")
            lines.append(f"The winner ({rule}) does not use a {label}.")
        elif name in config:
            lines.append(f"Winning {parameter(name, config[name])}.")
    return lines


SEARCH_RETRY_AFTER_S = 30
"""How long a chat's search refused at the bound is asked to wait (a search takes minutes)."""
_SEARCH_BOUNDS: dict[int, WorkBound] = {}
"""The bound of chats' searches in this process, by its limit (one per setting in use)."""


def run_approved_search(
    request: OptimizationRequest,
    settings: Settings,
    focus: list[str],
    owner: tuple[str, Store] | None,
) -> dict[str, Any]:
    """Run an approved search to its end, its progress streaming into the chat: as `owner`'s
    optimization job when there is one, else as a bare run. The state update: the answer (the
    run's status, the winner's values of the `focus` parameters and its hedge, the reason, the
    explanation) and the thread's `last_run` (with the request's universe, window, safe rate
    and option pricing model, which a backtest of the winner runs on). At most `api.max_chat_searches` run at once in
    this process (`services.work_bounds`): beyond, the answer says so and nothing runs."""
    bound = _searches(settings)
    try:
        bound.enter()
    except BusyError as exc:
        said = (
            f"I could not start the search: this server is running {exc.limit} searches for "
            "chats already, its limit. Nothing was run; ask for it again in a minute."
        )
        return {"draft": None, "messages": [AIMessage(said)]}
    try:
        from graphs.job_handlers import run_job_here
        from graphs.optimization_run import run_optimization

        emit_node_started("optimizer")
        forward = _forwarder(owner is not None)
        if owner is None:
            outcome = run_optimization(request, on_event=forward, settings=settings)
            run_id, result = outcome.run_id, outcome.result or {"status": outcome.status}
        else:
            name, store = owner
            run_id, result = run_job_here(store, name, request, sink=forward, settings=settings)
        last_run = {
            "run_id": run_id,
            "status": result.get("status"),
            "best": result.get("best"),
            "explanation": result.get("explanation"),
            "benchmark_verdict": result.get("benchmark_verdict"),
            "request": request.model_dump(
                mode="json", include={"universe", "start", "end", "safe_rate", "vol_model"}
            ),
        }
        answer = _run_answer(run_id, result, request, focus, owned=owner is not None)
        return {"draft": None, "last_run": last_run, "messages": [AIMessage(answer)]}
    finally:
        bound.leave()


def _searches(settings: Settings) -> WorkBound:
    """The bound of searches chats run in this process (`api.max_chat_searches`)."""
    limit = settings.api.max_chat_searches
    return _SEARCH_BOUNDS.setdefault(
        limit, WorkBound("searches for chats", limit, "approval", SEARCH_RETRY_AFTER_S)
    )


def _forwarder(as_job: bool) -> Callable[[TraceEvent], None]:
    """What a run's trace events become in the chat's stream: its job's id (`as_job`), its
    progress and its warnings."""

    def forward(event: TraceEvent) -> None:
        if event.type == "run_started" and as_job:  # the owner's job: its id
            emit_job(event.run_id, "optimization")
        elif event.type == "progress":
            emit_progress(
                event.data["done"], event.data.get("total"), unit=event.data.get("unit", "trials"),
                best=event.data.get("best"), metric=event.data.get("metric"),
            )  # fmt: skip
        elif event.type == "warning":
            emit_warning(event.data["message"], event.data.get("code"))

    return forward


def checked_limits(request: OptimizationRequest, best: dict[str, Any] | None) -> str | None:
    """Each risk limit of the search checked on the winner's stated statistic of the paths in
    every scenario it applies to, in words ("max drawdown ≤ 25.00% in 95% of bear paths:
    23.10%, met"); None when the search had no limits. A search without a winner says so; a
    winner that misses a limit says why it won (the run's note: no trial met every limit, the
    winner came closest)."""
    limits = request.risk_limits.limits()
    if not limits:
        return None
    if not best:
        return "No configuration was found, so no winner meets the risk limits."
    checks = best.get("limits") or []
    if not checks or not all("per_scenario" in check for check in checks):
        where = request.risk_limits.scenarios or list(request.scenarios)
        checks = limit_checks(best.get("scenarios") or {}, limits, list(where))
    rows = [row for check in checks for row in check["per_scenario"]]
    said = [
        row["words"]
        if row["value"] is None
        else f"{row['words']}, {'met' if row['met'] else 'NOT met'}"
        for row in rows
    ]
    missed = not all(row["met"] for row in rows)
    text = "Risk limits checked on the winner: " + "; ".join(said) + "."
    if missed:
        note = best.get("note")
        text += " The winner does not meet every limit" + (f": {note}." if note else ".")
    return text


def _run_answer(
    run_id: str,
    result: dict[str, Any],
    request: OptimizationRequest,
    focus: list[str],
    *,
    owned: bool,
) -> str:
    """The chat's answer once a run is done (see `run_approved_search`); a run of an owner (their
    job) says how it started, the report's "Start" sentence (`describe_result_start`: cold, or
    from which version of their strategy model and what that saved)."""
    best = result.get("best")
    lines = [f"Run {run_id} {result.get('status')}."]
    verdict = result.get("benchmark_verdict") or {}
    if verdict.get("beats") is False:
        lines.append(verdict["words"])
    lines += [f"{reason}." for reason in result.get("left_out") or []]
    limits = checked_limits(request, best)
    if limits:
        lines.append(limits)
    if best:
        if not (limits and best.get("note")):  # the note says why a winner breaks a limit
            lines += describe_limit_checks(
                best.get("limits") or [], best.get("trials_meeting_limits")
            )
        lines += winning_values(best["config"], focus)
        hedge = describe_hedge(best["config"])
        if hedge:
            lines.append(f"The winner's protection: {hedge}.")
        elif describe_hedge_search(request.search_space):
            lines.append("The winner holds no option overlay (the search also tried some).")
    if result.get("reason"):
        lines.append(f"Reason: {result['reason']}.")
    from services.warm_starts import describe_result_start  # the strategy model's stack

    start = describe_result_start(result) if owned else None
    if start:
        lines.append(f"Start: {start}.")
    explanation = (result.get("explanation") or {}).get("text")
    if explanation:
        lines.append(_not_said_again(explanation, verdict, best, bool(limits)))
    elif best:
        lines.append(f"Best configuration: {config_sentence(best['config'])}.")
    return " ".join(lines)


def _not_said_again(
    explanation: str, verdict: dict[str, Any], best: dict[str, Any] | None, limits_said: bool
) -> str:
    """The explanation without the sentences the answer already says above it: the benchmark
    verdict and the risk limits checked on the winner."""
    said = [str(verdict["words"])] if verdict.get("beats") is False else []
    if limits_said and best:
        said += limit_sentences(best.get("limits") or [])
    shown = explanation
    for sentence in said:
        shown = shown.replace(sentence, "")
    return shown if shown == explanation else " ".join(shown.split())
