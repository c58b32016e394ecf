"""Investment ideas' use cases, shared by the API, the CLI and the chat tools.

An idea's expected return and risk are never taken from the user or the model: `basket_metrics`
computes them with the numeric core (`quant.risk.risk_report`) on the configured market data
(`services.market_data.market_closes`), over the last `lookback_days` daily returns, for the
basket held at constant weights (equal unless given; a short idea holds the negated basket), and
stores them with their definition (method, lookback window, first and last date of the data
used). Evidence is checked when attached: a document passage's document and chunk must be the
owner's and its quote must appear in the chunk's text; an optimization run and a deployment must
be the owner's. An accepted idea becomes an optimization request in one step
(`optimize_idea`), submitted through the caller's own submission path.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Literal

from quant.horizons import MAX_HORIZON_DAYS
from services.errors import InputError
from services.market_data.tickers import unknown_tickers
from settings import Settings, get_settings
from store import ConflictError, NotFoundError, Store
from store.common import encode_cursor
from store.ideas import (
    ChangedBy,
    Direction,
    Idea,
    IdeaChanges,
    IdeaStatus,
)

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_LOOKBACK_DAYS = 252
"""Daily returns the metrics are computed over unless told otherwise (about a year)."""

MIN_LOOKBACK_DAYS, MAX_LOOKBACK_DAYS = 21, 2520
"""The lookback window's bounds (trading days)."""

CVAR_LEVEL = 0.95
"""Confidence level of the CVaR shown."""

EvidenceKind = Literal["document_passage", "optimization_run", "deployment"]
EVIDENCE_KINDS: tuple[str, ...] = ("document_passage", "optimization_run", "deployment")


class IdeaStateError(ConflictError):
    """The idea is not in the status an action needs (the API answers 409)."""

    def __init__(self, idea: Idea, message: str) -> None:
        super().__init__(message, current=idea)
        self.idea = idea


# ----------------------------------------------------------------------------------------------
# numbers from the numeric core


def _closes(settings: Settings | None) -> pd.DataFrame:
    from services.market_data import market_closes

    return market_closes(settings or get_settings())


def check_tickers(tickers: Sequence[str], settings: Settings | None = None) -> list[str]:
    """The tickers upper-cased, in order, each once; `InputError("tickers")` if empty or any
    is not in the configured market data (naming them)."""
    cleaned: list[str] = []
    for ticker in tickers:
        symbol = str(ticker).strip().upper()
        if symbol and symbol not in cleaned:
            cleaned.append(symbol)
    if not cleaned:
        raise InputError("tickers", "name at least one ticker")
    known = set(map(str, _closes(settings).columns))
    unknown = [t for t in cleaned if t not in known]
    if unknown:
        raise InputError("tickers", unknown_tickers(unknown, sorted(known)))
    return cleaned


def basket_weights(
    tickers: Sequence[str], weights: Mapping[str, float] | None, direction: Direction
) -> dict[str, float]:
    """The basket's signed weights (fractions summing to 1, or -1 for a short idea): equal
    unless `weights` (positive, over exactly `tickers`, normalised) are given."""
    if weights is None:
        raw = dict.fromkeys(tickers, 1.0)
    else:
        raw = {str(k).upper(): float(v) for k, v in weights.items()}
        if set(raw) != set(tickers):
            raise InputError("weights", "must give a weight to each ticker and to no other")
        if any(not v > 0 for v in raw.values()):
            raise InputError("weights", "must be positive (the direction says long or short)")
    total = sum(raw.values())
    sign = -1.0 if direction == "short" else 1.0
    return {t: sign * raw[t] / total for t in tickers}


def basket_metrics(
    tickers: Sequence[str],
    weights: Mapping[str, float] | None,
    direction: Direction,
    lookback_days: int = DEFAULT_LOOKBACK_DAYS,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """Expected return and risk of the idea's basket from the numeric core, with their
    definition: `expected_return` (annualised arithmetic mean, mean daily return x 252),
    `volatility` (annualised, ddof=1), `cvar_95` (daily historical 95% CVaR, a positive loss),
    `max_drawdown` (a positive fraction) of the basket rebalanced daily to its signed weights
    over the last `lookback_days` daily returns of the configured market data."""
    import pandas as pd

    from quant.data import to_returns
    from quant.estimators import PERIODS_PER_YEAR
    from quant.risk import risk_report

    if not MIN_LOOKBACK_DAYS <= lookback_days <= MAX_LOOKBACK_DAYS:
        raise InputError(
            "lookback_days", f"must be {MIN_LOOKBACK_DAYS} to {MAX_LOOKBACK_DAYS} trading days"
        )
    signed = basket_weights(tickers, weights, direction)
    closes = _closes(settings)[list(signed)].dropna()
    returns = to_returns(closes).tail(lookback_days)
    if len(returns) < MIN_LOOKBACK_DAYS:
        raise InputError(
            "tickers",
            f"the market data holds only {len(returns)} common daily returns of these tickers",
        )
    report = risk_report(pd.Series(signed), returns, level=CVAR_LEVEL)
    source = (settings or get_settings()).market_data or "embedded S&P 500 data"
    return {
        "expected_return": report.annualised_return,
        "volatility": report.volatility,
        "cvar_95": report.cvar_historical,
        "max_drawdown": report.max_drawdown,
        "definition": {
            "method": (
                "historical: the basket rebalanced daily to its weights (equal unless given; "
                "negated when short); expected_return = mean daily return x 252, volatility = "
                "annualised standard deviation (ddof=1), cvar_95 = mean of the worst 5% daily "
                "returns as a positive loss, max_drawdown = largest peak-to-trough fall"
            ),
            "lookback_days": len(returns),
            "data_start": returns.index[0].date().isoformat(),
            "data_end": returns.index[-1].date().isoformat(),
            "periods_per_year": PERIODS_PER_YEAR,
            "weights": signed,
            "source": source,
        },
    }


def horizon_from_date(until: date, today: date, calendar: str = "XNYS") -> int:
    """Trading sessions of `calendar` after `today` up to `until` (included); `InputError`
    ("horizon_until") unless `until` is after `today` and at most `MAX_HORIZON_DAYS` sessions
    away."""
    from execution.schedule import trading_sessions

    if until <= today:
        raise InputError("horizon_until", f"must be after today ({today.isoformat()})")
    too_far = f"must be at most {MAX_HORIZON_DAYS} trading days (about 10 years) after today"
    if until > today + timedelta(days=MAX_HORIZON_DAYS * 366 // 252):
        raise InputError("horizon_until", too_far)
    sessions = len(trading_sessions(calendar, today + timedelta(days=1), until))
    if sessions < 1:
        raise InputError("horizon_until", "holds no trading session")
    if sessions > MAX_HORIZON_DAYS:
        raise InputError("horizon_until", too_far)
    return sessions


# ----------------------------------------------------------------------------------------------
# evidence

_SPACE = re.compile(r"\s+")


def _squash(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def check_evidence(store: Store, owner: str, item: Mapping[str, Any]) -> dict[str, Any]:
    """One evidence item checked against the owner's records and in its stored form:
    `{"kind": "document_passage", "document_id", "chunk", "quote"}` (the chunk's ordinal;
    stored with the document's name and the chunk's page/sheet/section reference),
    `{"kind": "optimization_run", "run_id"}` or `{"kind": "deployment", "deployment_id"}`.
    `InputError` names the field that does not check out."""
    kind = item.get("kind")
    if kind == "document_passage":
        return _passage(store, owner, item)
    if kind == "optimization_run":
        run_id = str(item.get("run_id") or "")
        try:
            job = store.get_job(owner, run_id)
        except NotFoundError:
            raise InputError("evidence.run_id", f"no optimization run {run_id!r}") from None
        return {"kind": kind, "run_id": job.id, "status_when_attached": job.status}
    if kind == "deployment":
        deployment_id = str(item.get("deployment_id") or "")
        try:
            deployment = store.get_deployment(owner, deployment_id)
        except NotFoundError:
            raise InputError("evidence.deployment_id", f"no deployment {deployment_id!r}") from None
        return {"kind": kind, "deployment_id": deployment.id, "name": deployment.name}
    raise InputError("evidence.kind", f"must be one of {', '.join(EVIDENCE_KINDS)}")


def _passage(store: Store, owner: str, item: Mapping[str, Any]) -> dict[str, Any]:
    document_id = str(item.get("document_id") or "")
    chunk = item.get("chunk")
    quote = item.get("quote")
    if isinstance(chunk, bool) or not isinstance(chunk, int) or chunk < 0:
        raise InputError("evidence.chunk", "must be the chunk's ordinal (an integer from 0)")
    if not isinstance(quote, str) or not _squash(quote):
        raise InputError("evidence.quote", "must quote the passage's text")
    try:
        document = store.get_document(owner, document_id)
        page = store.document_chunks(owner, document_id, encode_cursor(chunk - 1), limit=1)
    except NotFoundError:
        raise InputError("evidence.document_id", f"no document {document_id!r}") from None
    if not page.items or page.items[0].ordinal != chunk:
        raise InputError(
            "evidence.chunk", f"document {document_id} has chunks 0 to {document.chunk_count - 1}"
        )
    if _squash(quote) not in _squash(page.items[0].text):
        raise InputError("evidence.quote", f"does not appear in chunk {chunk} of {document_id}")
    return {
        "kind": "document_passage",
        "document_id": document.id,
        "document_name": document.name,
        "chunk": chunk,
        "reference": dict(page.items[0].reference),
        "quote": _squash(quote),
    }


def check_all_evidence(
    store: Store, owner: str, items: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Each item checked (`check_evidence`), duplicates dropped, in order."""
    checked: list[dict[str, Any]] = []
    for item in items:
        stored = check_evidence(store, owner, item)
        if stored not in checked:
            checked.append(stored)
    return checked


# ----------------------------------------------------------------------------------------------
# use cases


@dataclass(frozen=True)
class IdeaDraft:
    """What a user or the assistant proposes (the numbers are computed, never given)."""

    title: str
    thesis: str
    tickers: Sequence[str]
    direction: Direction = "long"
    horizon_days: int = 63
    weights: Mapping[str, float] | None = None
    evidence: Sequence[Mapping[str, Any]] = ()
    lookback_days: int = DEFAULT_LOOKBACK_DAYS


def _check_text(field: str, value: str, maximum: int | None = None) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InputError(field, "must not be empty")
    if maximum is not None and len(value) > maximum:
        raise InputError(field, f"must be at most {maximum} characters")
    return value.strip()


def create_idea(
    store: Store,
    owner: str,
    draft: IdeaDraft,
    *,
    by: ChangedBy,
    reason: str = "created",
    settings: Settings | None = None,
) -> Idea:
    """Store a new `proposed` idea of `owner`: tickers checked against the market data,
    expected return and risk computed by `basket_metrics`, evidence checked. `InputError`
    names a bad field (nothing stored)."""
    from store.ideas import MAX_TITLE_CHARS

    title = _check_text("title", draft.title, MAX_TITLE_CHARS)
    thesis = _check_text("thesis", draft.thesis)
    tickers = check_tickers(draft.tickers, settings)
    _check_horizon(draft.horizon_days)
    metrics = basket_metrics(tickers, draft.weights, draft.direction, draft.lookback_days, settings)
    evidence = check_all_evidence(store, owner, draft.evidence)
    weights = None if draft.weights is None else _unsigned(metrics)
    return store.create_idea(
        owner,
        title=title,
        thesis=thesis,
        tickers=tickers,
        direction=draft.direction,
        horizon_days=draft.horizon_days,
        weights=weights,
        metrics=metrics,
        evidence=evidence,
        by=by,
        reason=reason,
    )


def _unsigned(metrics: Mapping[str, Any]) -> dict[str, float]:
    """The basket's normalised weights without the direction's sign (as an idea stores them)."""
    return {t: abs(float(w)) for t, w in metrics["definition"]["weights"].items()}


def _check_horizon(days: int) -> None:
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_HORIZON_DAYS:
        raise InputError("horizon_days", f"must be 1 to {MAX_HORIZON_DAYS} trading days")


def update_idea(
    store: Store,
    owner: str,
    idea_id: str,
    changes: Mapping[str, Any],
    *,
    expected_version: int | None = None,
    settings: Settings | None = None,
) -> Idea:
    """Change an idea's title, thesis, tickers, weights (None: equal), direction,
    horizon_days, lookback_days or evidence (replaced, each item checked). A change of the
    basket or the lookback computes its metrics again. `ConflictError` if `expected_version`
    is stale; `InputError` names a bad field."""
    from store.ideas import MAX_TITLE_CHARS

    current = store.get_idea(owner, idea_id)
    known = {"title", "thesis", "tickers", "weights", "direction", "horizon_days"}
    known |= {"lookback_days", "evidence"}
    if unknown := sorted(set(changes) - known):
        raise InputError(unknown[0], "cannot be changed")
    fields: dict[str, Any] = {}
    if "title" in changes:
        fields["title"] = _check_text("title", changes["title"], MAX_TITLE_CHARS)
    if "thesis" in changes:
        fields["thesis"] = _check_text("thesis", changes["thesis"])
    if "horizon_days" in changes:
        _check_horizon(changes["horizon_days"])
        fields["horizon_days"] = changes["horizon_days"]
    if "evidence" in changes:
        fields["evidence"] = check_all_evidence(store, owner, changes["evidence"])
    basket = {"tickers", "weights", "direction", "lookback_days"} & set(changes)
    clear = False
    if basket:
        tickers = check_tickers(changes.get("tickers", current.tickers), settings)
        direction = changes.get("direction", current.direction)
        if direction not in ("long", "short"):
            raise InputError("direction", "must be long or short")
        if "weights" in changes:
            weights = changes["weights"]
        elif "tickers" in changes and set(tickers) != set(current.tickers):
            weights = None  # a new basket without weights is equal-weight
        else:
            weights = (
                None if current.weights is None else {k: abs(v) for k, v in current.weights.items()}
            )
        lookback = changes.get(
            "lookback_days", current.metrics.get("definition", {}).get("lookback_days")
        )
        metrics = basket_metrics(
            tickers, weights, direction, int(lookback or DEFAULT_LOOKBACK_DAYS), settings
        )
        fields |= {"tickers": tickers, "direction": direction, "metrics": metrics}
        if weights is None:
            clear = True
        else:
            fields["weights"] = _unsigned(metrics)
    return store.update_idea(
        owner,
        idea_id,
        IdeaChanges(**fields, clear_weights=clear),
        expected_version=expected_version,
    )


def attach_evidence(
    store: Store,
    owner: str,
    idea_id: str,
    items: Sequence[Mapping[str, Any]],
    *,
    expected_version: int | None = None,
) -> Idea:
    """Append checked evidence items to the idea (those it already holds are skipped)."""
    current = store.get_idea(owner, idea_id)
    added = [e for e in check_all_evidence(store, owner, items) if e not in current.evidence]
    return store.update_idea(
        owner,
        idea_id,
        IdeaChanges(evidence=[*current.evidence, *added]),
        expected_version=current.version if expected_version is None else expected_version,
    )


def change_status(
    store: Store,
    owner: str,
    idea_id: str,
    to: IdeaStatus,
    *,
    by: ChangedBy,
    reason: str,
    expected_version: int | None = None,
) -> Idea:
    """Move the idea to `to` (`store.ideas.TRANSITIONS`; `TransitionError` lists the allowed
    moves), recording when, by whom and why."""
    return store.change_idea_status(
        owner, idea_id, to, by=by, reason=reason.strip() or "no reason given",
        expected_version=expected_version,
    )  # fmt: skip


Submit = Callable[[dict[str, Any]], str]
"""submit(request fields) -> job id: the caller's own optimization submission (the API's job
runner, the CLI's local runner), which validates the request and applies its limits."""


def optimization_request(idea: Idea, default_space: Mapping[str, Any]) -> dict[str, Any]:
    """The optimization request an accepted idea stands for: its tickers as the universe (the
    strategies hold their equal-weight sleeve), its horizon as the scenarios' horizon (clamped
    to the request's 63..2520 trading days), the request's `default_space` with the signal
    lookback's upper end lowered to fit a short horizon (the request keeps 20 days of the
    horizon beyond the longest lookback), every other field the request's default. A short idea
    is `InputError("direction")`: the strategies only hold the sleeve long."""
    if idea.direction == "short":
        raise InputError(
            "direction",
            "a short idea cannot become an optimization request: the volatility-targeting "
            "strategies hold their sleeve long",
        )
    horizon = min(2520, max(63, idea.horizon_days))
    space = dict(default_space)
    lookback = space.get("lookback")
    if isinstance(lookback, Mapping) and lookback.get("high", 0) >= horizon - 20:
        step = int(lookback.get("step") or 1)
        high = max(int(lookback["low"]), (horizon - 21) // step * step)
        space["lookback"] = {**lookback, "high": high}
    return {"universe": list(idea.tickers), "horizon": horizon, "search_space": space}


def optimize_idea(
    store: Store, owner: str, idea_id: str, submit: Submit, default_space: Mapping[str, Any]
) -> tuple[Idea, str]:
    """Submit the accepted idea as an optimization request (`optimization_request`) through
    `submit` and attach the run as evidence; (the idea, the job id). `IdeaStateError` unless
    the idea is accepted."""
    idea = store.get_idea(owner, idea_id)
    if idea.status != "accepted":
        raise IdeaStateError(
            idea, f"idea {idea.id} is {idea.status}: only an accepted idea can be optimized"
        )
    job_id = submit(optimization_request(idea, default_space))
    evidence = {"kind": "optimization_run", "run_id": job_id}
    return attach_evidence(store, owner, idea.id, [evidence]), job_id
