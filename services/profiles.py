"""User profiles: an owner's mandate (risk tolerance, default risk limits, benchmark, preferred
universe, exclusions, base currency, notification preferences), read, changed and enforced.

The stable interface the API, the CLI and the chat share:

- `get_profile(store, owner)`: the saved profile, or the default one (version 0) when none was
  saved;
- `update_profile(store, owner, changes, expected_version=None)`: change some fields (a JSON
  merge patch: a field given replaces the saved one, `risk_limits` merge key by key, null resets
  a field to its default); `replace_profile` sets them all (fields left out take defaults);
  `add_exclusion` / `remove_exclusion` change one exclusion; `delete_profile` forgets it;
- `screen(profile, universe)`: the tickers of a universe the profile allows, and a sentence for
  each one left out ("AMD left out: your profile excludes AMD");
- `fill_request_defaults(profile, request)`: an optimization request (JSON) with the profile's
  universe and risk limits where the request leaves them unset, and which values came from it;
  `screen_request(profile, request)` applies the exclusions to a request's universe (the worker
  does, when a run starts); `excluded_holdings(profile, weights)` the excluded tickers a
  portfolio or deployment would hold.

Exclusions are tickers ("AMD") or industry and sector terms ("tobacco"): a term that is a known
ticker (of the market data or of the classification: the shipped one of the embedded tickers
plus the configured `classification_file`, `quant.classification`) excludes that ticker;
otherwise it must name a GICS sector or sub-industry of the classification (see
`quant.classification.names_category`) and excludes every ticker classified there. A term that matches nothing known is refused, naming it. Tickers are stored upper case,
industry terms lower case; both compare case-insensitively.

Every change is validated before it is saved (`InputError` naming the field, e.g.
``risk_limits.cvar_95``, ``exclusions``); `version` guards concurrent changes (`ConflictError`
from the store when `expected_version` is stale).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from notifications.outbound import WebhookPolicy
from notifications.preferences import NotificationPreferences
from quant.classification import (
    Classification,
    classifications,
    classify,
    matching,
    names_category,
)
from quant.limits import LIMIT_METRICS, LimitValues
from quant.problems import first_problem
from services.errors import InputError
from services.market_data.tickers import unknown_tickers
from settings import Settings, get_settings
from store import NotFoundError, Store

RiskTolerance = Literal["conservative", "moderate", "aggressive"]
"""How much risk the owner says they take: a label shown with the profile and to the assistant;
the numbers the optimizer enforces are `risk_limits`."""

INDEX_BENCHMARK = "SP500"
"""The S&P 500 index series the embedded market data carries (`quant.data.load_sp500_index`)."""

SUPPORTED_CURRENCIES = ("USD",)
"""Base currencies Stratigos computes in today: prices, results and deployments are in USD."""

MAX_TICKERS = 50
"""Most tickers a preferred universe holds (as an optimization request's universe)."""

MAX_EXCLUSIONS = 100
"""Most exclusions a profile holds."""

EDITABLE_FIELDS = (
    "risk_tolerance",
    "risk_limits",
    "benchmark",
    "universe",
    "exclusions",
    "base_currency",
    "notifications",
)
"""The fields an owner sets (the rest, `owner`, `version`, `updated_at`, the store keeps)."""


class Profile(BaseModel):
    """An owner's profile. `version` is 0 (and `updated_at` None) for the default profile of an
    owner who never saved one, else the stored version (1 on the first save).

    `risk_limits` are the default upper limits of optimization requests (fractions, positive =
    loss; `quant.limits.LimitValues`); `benchmark` a ticker of the market data or ``SP500``;
    `universe` the preferred tickers (None: the request's own default); `exclusions` tickers and
    industry terms never held; `base_currency` an ISO 4217 code (only USD today);
    `notifications` the destinations of the owner's notifications (the channels and kinds of
    `notifications.preferences`).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    owner: str
    risk_tolerance: RiskTolerance = "moderate"
    risk_limits: LimitValues = Field(default_factory=LimitValues)
    benchmark: str | None = None
    universe: list[str] | None = None
    exclusions: list[str] = Field(default_factory=list, max_length=MAX_EXCLUSIONS)
    base_currency: str = "USD"
    notifications: NotificationPreferences = Field(default_factory=NotificationPreferences)
    version: int = Field(default=0, ge=0)
    updated_at: datetime | None = None

    @field_validator("benchmark")
    @classmethod
    def _known_benchmark(cls, value: str | None) -> str | None:
        if value is None:
            return None
        ticker = value.strip().upper()
        if ticker != INDEX_BENCHMARK and ticker not in market_tickers():
            raise ValueError(
                f"{value!r} is not a ticker of the market data nor {INDEX_BENCHMARK} (the index)"
            )
        return ticker

    @field_validator("universe")
    @classmethod
    def _known_universe(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        tickers = [t.strip().upper() for t in value]
        if not tickers:
            raise ValueError("a preferred universe lists at least one ticker (null: none)")
        if len(tickers) > MAX_TICKERS:
            raise ValueError(f"at most {MAX_TICKERS} tickers, got {len(tickers)}")
        if len(set(tickers)) != len(tickers):
            raise ValueError("the universe lists a ticker twice")
        unknown = [t for t in tickers if t not in market_tickers()]
        if unknown:
            raise ValueError(unknown_tickers(unknown, sorted(market_tickers())))
        return tickers

    @field_validator("exclusions")
    @classmethod
    def _known_exclusions(cls, value: list[str]) -> list[str]:
        out: list[str] = []
        for term in value:
            normal = normalize_exclusion(term)
            if normal not in out:
                out.append(normal)
        return out

    @field_validator("base_currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        code = value.strip().upper()
        if not re.fullmatch(r"[A-Z]{3}", code):
            raise ValueError(f"{value!r} is not an ISO 4217 currency code (three letters)")
        if code not in SUPPORTED_CURRENCIES:
            raise ValueError(
                f"{code}: Stratigos computes in USD only today (prices, results and "
                "deployments are in USD); set USD"
            )
        return code

    def editable(self) -> dict[str, Any]:
        """The fields an owner sets, as JSON (what the store keeps)."""
        return self.model_dump(mode="json", include=set(EDITABLE_FIELDS))


def market_tickers() -> frozenset[str]:
    """Tickers of the market data: the embedded S&P 500 stocks and the configured market data's
    symbols (`services.market_data.market_closes`)."""
    from services.market_data.providers import market_closes, sp500_assets  # loads pandas

    return frozenset(sp500_assets()) | frozenset(str(t) for t in market_closes().columns)


def classified() -> dict[str, Classification]:
    """The classification exclusions use: the shipped one of the embedded tickers plus the
    configured `classification_file` (`quant.classification.classifications`)."""
    return classifications(get_settings().classification_file)


def _names_ticker(term: str) -> bool:
    """Whether an exclusion term is a ticker (of the classification or the market data)."""
    return term.upper() in classified() or term.upper() in market_tickers()


def normalize_exclusion(term: str) -> str:
    """`term` as stored: a known ticker upper case, an industry or sector term lower case;
    `ValueError` naming it when it matches no known ticker, sector or industry."""
    text = " ".join(str(term).split())
    if not text:
        raise ValueError("an exclusion is a ticker or an industry, not empty text")
    if _names_ticker(text):
        return text.upper()
    if matching(text, get_settings().classification_file):
        return text.lower()
    raise ValueError(
        f"{text!r} matches no known ticker, sector or industry (sectors: "
        f"{', '.join(sorted({c.sector for c in classified().values()}))})"
    )


def _profile_problem(exc: ValidationError) -> InputError:
    """The first problem of a profile's `ValidationError` as an `InputError` on its field."""
    field, problem = first_problem(exc)
    return InputError(field or "profile", problem)


def _build(owner: str, fields: Mapping[str, Any], version: int, at: datetime | None) -> Profile:
    unknown = sorted(set(fields) - set(EDITABLE_FIELDS))
    if unknown:
        raise InputError(unknown[0], f"not a profile field; editable: {', '.join(EDITABLE_FIELDS)}")
    try:
        return Profile(owner=owner, version=version, updated_at=at, **fields)
    except ValidationError as exc:
        raise _profile_problem(exc) from None


def get_profile(store: Store, owner: str) -> Profile:
    """The owner's saved profile, or the default profile (version 0) when none was saved."""
    try:
        stored = store.get_profile(owner)
    except NotFoundError:
        return Profile(owner=owner)
    # Saved data was valid when saved; read it back without re-resolving it against market
    # data that may have changed since (a saved profile always reads).
    return Profile.model_construct(
        owner=owner,
        version=stored.version,
        updated_at=stored.updated_at,
        **_stored_fields(stored.data),
    )


def _stored_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    defaults = Profile(owner="-")
    fields: dict[str, Any] = {}
    for name in EDITABLE_FIELDS:
        value = data.get(name, getattr(defaults, name))
        if name == "risk_limits":
            value = LimitValues.model_validate(value or {})
        elif name == "notifications":
            value = NotificationPreferences.model_validate(value or {})
        fields[name] = value
    return fields


def check_webhooks(
    preferences: NotificationPreferences, settings: Settings, field: str = "notifications"
) -> None:
    """Refuse (`InputError` on `<field>.destinations.<i>.address`) a webhook destination the
    outbound policy of `settings` refuses (`notifications.outbound`): checked when preferences
    are saved, with the host resolved now; every delivery checks again."""
    problems = preferences.webhook_problems(WebhookPolicy.from_settings(settings))
    if problems:
        where, problem = problems[0]
        raise InputError(f"{field}.{where}", problem)


def _save(
    store: Store,
    owner: str,
    fields: Mapping[str, Any],
    expected_version: int | None,
    webhooks: Settings | None,
) -> Profile:
    """Save the profile of `fields`; its webhooks checked under `webhooks`' policy if given."""
    profile = _build(owner, fields, 0, None)
    if webhooks is not None:
        check_webhooks(profile.notifications, webhooks)
    stored = store.save_profile(owner, profile.editable(), expected_version=expected_version)
    return profile.model_copy(update={"version": stored.version, "updated_at": stored.updated_at})


def replace_profile(
    store: Store,
    owner: str,
    fields: Mapping[str, Any],
    expected_version: int | None = None,
    settings: Settings | None = None,
) -> Profile:
    """Set every field of the owner's profile (fields left out take their defaults; webhook
    destinations pass the outbound policy of `settings`, default the process's)."""
    return _save(store, owner, dict(fields), expected_version, settings or get_settings())


def update_profile(
    store: Store,
    owner: str,
    changes: Mapping[str, Any],
    expected_version: int | None = None,
    settings: Settings | None = None,
) -> Profile:
    """Change the fields in `changes` (a JSON merge patch: null resets a field to its default;
    `risk_limits` merge key by key, a null limit removing it); the rest stay as saved.
    `expected_version` (0: no profile saved yet) guards against concurrent changes. Changed
    notifications pass the outbound policy of `settings` (default the process's)."""
    current = get_profile(store, owner)
    fields = current.editable()
    for name, value in changes.items():
        if name == "risk_limits" and isinstance(value, Mapping):
            fields[name] = _merged_limits(fields["risk_limits"], value)
        elif value is None:
            fields.pop(name, None)
        else:
            fields[name] = value
    webhooks = (settings or get_settings()) if "notifications" in changes else None
    return _save(store, owner, fields, expected_version, webhooks)


def add_exclusion(
    store: Store, owner: str, term: str, expected_version: int | None = None
) -> Profile:
    """Add an exclusion (a ticker or an industry term; `InputError` on ``exclusions`` when it
    matches nothing known). Adding one already there changes nothing but the version."""
    try:
        normal = normalize_exclusion(term)
    except ValueError as exc:
        raise InputError("exclusions", str(exc)) from None
    current = get_profile(store, owner)
    exclusions = [*current.exclusions, *([] if normal in current.exclusions else [normal])]
    return update_profile(store, owner, {"exclusions": exclusions}, expected_version)


def remove_exclusion(
    store: Store, owner: str, term: str, expected_version: int | None = None
) -> Profile:
    """Remove an exclusion (compared case-insensitively); `InputError` on ``exclusions`` when
    the profile has no such exclusion."""
    current = get_profile(store, owner)
    wanted = " ".join(str(term).split()).lower()
    kept = [e for e in current.exclusions if e.lower() != wanted]
    if len(kept) == len(current.exclusions):
        listed = ", ".join(current.exclusions) or "none"
        raise InputError(
            "exclusions", f"the profile does not exclude {term!r} (it excludes {listed})"
        )
    return update_profile(store, owner, {"exclusions": kept}, expected_version)


def delete_profile(store: Store, owner: str) -> None:
    """Forget the owner's profile (its defaults apply again); `NotFoundError` if none saved."""
    store.delete_profile(owner)


# ---------------------------------------------------------------------------------------------
# enforcement
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LeftOut:
    """A ticker a profile keeps out: the `exclusion` (as the profile spells it) and why."""

    ticker: str
    exclusion: str
    reason: str


@dataclass(frozen=True)
class Screened:
    """The tickers of a universe a profile allows (in the universe's order) and those left out."""

    allowed: list[str]
    left_out: list[LeftOut]

    @property
    def reasons(self) -> list[str]:
        """One sentence per ticker left out."""
        return [item.reason for item in self.left_out]


def exclusion_of(exclusions: Iterable[str], ticker: str) -> LeftOut | None:
    """The first of `exclusions` that keeps `ticker` out, with its reason, or None."""
    symbol = ticker.strip().upper()
    info = classify(symbol, get_settings().classification_file)
    for exclusion in exclusions:
        if exclusion.upper() == symbol:
            return LeftOut(symbol, exclusion, f"{symbol} left out: your profile excludes {symbol}")
        if info is None or _names_ticker(exclusion):
            continue
        for category in (info.industry, info.sector):
            if names_category(exclusion, category):
                reason = (
                    f"{symbol} left out: your profile excludes {exclusion} "
                    f"({info.name}, {category})"
                )
                return LeftOut(symbol, exclusion, reason)
    return None


def screen(profile: Profile, universe: Sequence[str]) -> Screened:
    """The tickers of `universe` that `profile` allows, and a reason for each one left out
    ("AMD left out: your profile excludes AMD", "MO left out: your profile excludes tobacco
    (Altria, Tobacco)")."""
    allowed: list[str] = []
    left_out: list[LeftOut] = []
    for ticker in universe:
        hit = exclusion_of(profile.exclusions, ticker)
        if hit is None:
            allowed.append(ticker.strip().upper())
        else:
            left_out.append(hit)
    return Screened(allowed, left_out)


def excluded_holdings(profile: Profile, weights: Mapping[str, float]) -> list[LeftOut]:
    """The tickers held (non-zero weight) in `weights` that `profile` excludes, with why: a
    portfolio or deployment holding any of them is refused (it is never rebalanced away
    silently)."""
    hits = (exclusion_of(profile.exclusions, t) for t, w in weights.items() if w != 0)
    return [hit for hit in hits if hit is not None]


@dataclass(frozen=True)
class Filled:
    """An optimization request (JSON) after the profile: `request` to validate and run,
    `from_profile` the fields whose values came from the profile (``universe``,
    ``risk_limits.cvar_95``, ...) and `left_out` the tickers its exclusions removed."""

    request: dict[str, Any]
    from_profile: list[str]
    left_out: list[LeftOut]


def _merged_limits(saved: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """The profile's risk limits after a merge patch: a metric's limit or statistic given alone
    keeps the other as saved (``{"max_drawdown": {"statistic": "mean"}}`` changes only where it
    is checked); null removes the limit."""
    merged = dict(saved)
    for metric, value in patch.items():
        before = merged.get(metric)
        if isinstance(value, Mapping) and before is not None:
            old = before if isinstance(before, Mapping) else {"limit": before}
            value = {**old, **value}
        merged[metric] = value
    return {k: v for k, v in merged.items() if v is not None}


def fill_request_defaults(
    profile: Profile, request: Mapping[str, Any], *, screen: bool = True, min_assets: int = 1
) -> Filled:
    """`request` (an optimization request as JSON) with the profile's preferred universe and
    risk limits where it leaves them unset (absent or null); with `screen`, the profile's
    exclusions then applied to its universe too (`screen_request`). `InputError` on
    ``universe`` when fewer than `min_assets` tickers are left."""
    out = dict(request)
    from_profile: list[str] = []
    if out.get("universe") is None and profile.universe is not None:
        out["universe"] = list(profile.universe)
        from_profile.append("universe")
    saved_limits = profile.risk_limits.model_dump(mode="json", exclude_none=True)
    limits = out.get("risk_limits")
    limits = dict(limits) if isinstance(limits, Mapping) else {}
    for metric in LIMIT_METRICS:
        if limits.get(metric) is None and metric in saved_limits:
            limits[metric] = saved_limits[metric]
            from_profile.append(f"risk_limits.{metric}")
    if any(f.startswith("risk_limits.") for f in from_profile):
        out["risk_limits"] = limits
    if not screen:
        return Filled(out, from_profile, [])
    screened = screen_request(profile, out, min_assets=min_assets)
    return Filled(screened.request, from_profile, screened.left_out)


def screen_request(profile: Profile, request: Mapping[str, Any], *, min_assets: int = 1) -> Filled:
    """`request` (an optimization request as JSON) with the profile's exclusions applied to its
    universe (its own or, when it names none, the default universe), and the tickers left out
    (`from_profile` is empty). `InputError` on ``universe`` naming the exclusions when fewer
    than `min_assets` tickers are left."""
    out = dict(request)
    if not profile.exclusions:
        return Filled(out, [], [])
    universe = out.get("universe")
    if isinstance(universe, list):
        tickers = [str(t) for t in universe]
    else:
        from services.market_data.providers import default_universe  # loads pandas

        tickers = default_universe()
    checked = screen(profile, tickers)
    if len(checked.allowed) < min_assets:
        raise InputError(
            "universe",
            f"your profile's exclusions leave {len(checked.allowed)} of its {len(tickers)} "
            f"tickers (at least {min_assets} needed): " + "; ".join(checked.reasons),
        )
    if checked.left_out:
        out["universe"] = checked.allowed
    return Filled(out, [], checked.left_out)


__all__ = [
    "EDITABLE_FIELDS",
    "INDEX_BENCHMARK",
    "SUPPORTED_CURRENCIES",
    "Filled",
    "LeftOut",
    "LimitValues",
    "Profile",
    "RiskTolerance",
    "Screened",
    "add_exclusion",
    "classified",
    "delete_profile",
    "excluded_holdings",
    "exclusion_of",
    "fill_request_defaults",
    "get_profile",
    "market_tickers",
    "normalize_exclusion",
    "remove_exclusion",
    "replace_profile",
    "screen",
    "screen_request",
    "update_profile",
]
