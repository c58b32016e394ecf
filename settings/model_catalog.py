"""The model catalog (`settings/model_catalog.toml`): every Bedrock model Stratigos knows, as data.

For each model: its base id and inference-profile prefixes (`us.`, `eu.`, `apac.`, `global.`,
...), whether the base id is served on demand, context window and output limit, how many more
tokens its tokenizer counts than Claude 4.5's for the same text, lifecycle (Bedrock's
state and dates, and the provider's own when it differs), the request settings it accepts
(sampling parameters, forced tool choice, prefill, native structured output, thinking modes and
effort levels), prompt caching (minimum tokens, checkpoints, where cache points may go) and list
prices. Each fact the file states names its sources (`cites`: a fact, or a whole table such as
``price``, to the `[sources.<key>]` that say it; `CatalogModel.cites`): a fact without one, or
a source the file does not define, and the catalog does not load. What the documentation read
does not say is left unset here (None), never guessed: `unfound` names the facts looked for and
not found (a model's Bedrock lifecycle dates, its cache minimum), `silent` says it in words.

`model_catalog()` reads it once; `ModelCatalog.resolve(model_id)` finds the model of any id a
Bedrock client may send (a base id, a profile id, a foundation-model or inference-profile ARN).
The settings' defaults (`settings.groups.bedrock`), the start-up checks and the model factory
(`agents.models`), the local Bedrock endpoint (`devtools.local_bedrock`) and evaluation costs
(`evals.prices`) all read it; nothing else writes a model id, a limit or a price.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from functools import cache
from pathlib import Path
from typing import Any, Literal

CATALOG_FILE = Path(__file__).resolve().parent / "model_catalog.toml"

Lifecycle = Literal["active", "legacy", "end_of_life"]
"""Bedrock's states of a model (its model lifecycle page)."""


class ModelCatalogError(ValueError):
    """A catalog file that cannot be read, or a model id the catalog refuses: the message names
    the id (or the file and field) and what to do."""


@dataclass(frozen=True)
class Accepts:
    """The request settings a model accepts (an unset setting is refused, as Bedrock refuses it).

    `sampling`: ``temperature`` / ``topP`` (with `sampling_one_of`, not both); `thinking`: the
    thinking types it takes (``adaptive``, ``between_tools``, ``enabled`` with a budget,
    ``disabled``), `thinking_default` what it does without one (``none``: no thinking at all);
    `effort`: the effort levels of ``outputConfig.effort`` (none: not accepted), narrowed to
    `effort_with_between_tools` / `effort_without_thinking` in those modes;
    `native_structured_output`: ``outputConfig.textFormat`` (None: not documented).
    `forced_tool_choice`: ``toolChoice`` ``any`` or a named tool (None: not documented, so
    never sent, and the local endpoint refuses it); refused while the model thinks, whatever it
    is here (`forced_tool_choice_in`). `unreadable_thinking`: what Bedrock does with a thinking
    block (``reasoningContent``) in the history that another model signed: ``drop`` it from the
    request without an error (the Claude 5.5 models' "preserved thinking"), or ``refuse`` the
    request (400 "Invalid `signature` in `thinking` block")."""

    sampling: bool = False
    sampling_one_of: bool = False
    forced_tool_choice: bool | None = None
    prefill: bool = False
    native_structured_output: bool | None = None
    thinking: tuple[str, ...] = ()
    thinking_default: str = "none"
    effort: tuple[str, ...] = ()
    effort_default: str | None = None
    effort_with_between_tools: tuple[str, ...] | None = None
    effort_without_thinking: tuple[str, ...] | None = None
    unreadable_thinking: Literal["drop", "refuse"] = "refuse"

    def forced_tool_choice_in(self, thinking: str | None) -> bool:
        """Whether forced tool choice (``any`` or a named tool) is accepted in thinking mode
        `thinking` (None: the model's default). Anthropic: "Tool use with thinking only supports
        tool_choice auto or none" ([sources.anthropic-thinking-tool-choice])."""
        mode = thinking or self.thinking_default
        return self.forced_tool_choice is True and mode in ("disabled", "none")


@dataclass(frozen=True)
class CacheSpec:
    """Prompt caching: `min_tokens` a cached prefix must reach (None: not documented), at most
    `max_checkpoints` cache points, in `fields` (``system``, ``messages``, ``tools``)."""

    supported: bool = False
    min_tokens: int | None = None
    max_checkpoints: int = 0
    fields: tuple[str, ...] = ()
    ttls: tuple[str, ...] = ()
    max_cached_tokens: int | None = None


@dataclass(frozen=True)
class Prices:
    """List prices, US dollars per 1,000,000 tokens (None: not found). A request whose prompt
    (input plus cache reads and writes) exceeds `long_prompt_tokens` pays the `long_*` prices on
    every token, output included."""

    input: float
    output: float
    cache_read: float | None = None
    cache_write: float | None = None
    cache_write_1h: float | None = None
    long_prompt_tokens: int | None = None
    long_input: float | None = None
    long_output: float | None = None
    long_cache_read: float | None = None
    long_cache_write: float | None = None

    def cost(
        self, input_tokens: int, output_tokens: int, cache_read: int = 0, cache_write: int = 0
    ) -> float | None:
        """US dollars for one request's tokens (`input_tokens` excluding cache reads and writes,
        as Bedrock reports them); None when a price it needs is unknown."""
        rates: tuple[float | None, ...] = (
            self.input,
            self.output,
            self.cache_read,
            self.cache_write,
        )
        prompt = input_tokens + cache_read + cache_write
        if self.long_prompt_tokens is not None and prompt > self.long_prompt_tokens:
            rates = (self.long_input, self.long_output, self.long_cache_read, self.long_cache_write)
        amounts = (input_tokens, output_tokens, cache_read, cache_write)
        total = 0.0
        for rate, amount in zip(rates, amounts, strict=True):
            if amount and rate is None:
                return None
            total += amount * (rate or 0.0)
        return total / 1_000_000


@dataclass(frozen=True)
class ProviderLifecycle:
    """The model provider's own state for its platforms (Bedrock may differ): `state`
    (``deprecated``, ``legacy``), the date it `retires` there, its `replacement` (a key)."""

    state: str
    retires: dt.date | None = None
    replacement: str | None = None


@dataclass(frozen=True)
class CatalogModel:
    """One model of the catalog (see the module docstring and the file's comments)."""

    key: str
    name: str
    kind: Literal["chat", "embedding"]
    family: str
    generation: str
    base_id: str
    profiles: tuple[str, ...]
    on_demand: bool
    context_window: int
    max_output_tokens: int
    lifecycle: Lifecycle
    accepts: Accepts
    cache: CacheSpec
    price: Prices | None
    cites: Mapping[str, tuple[str, ...]]
    """The sources of each fact stated, by fact (``released``, ``accepts.sampling``) or table
    (``price``: every fact of it)."""
    silent: tuple[str, ...] = ()
    unfound: tuple[str, ...] = ()
    """Facts looked for in the documentation and not found (`LIFECYCLE_FACTS` among them)."""
    released: dt.date | None = None
    eol_no_sooner_than: dt.date | None = None
    legacy_period_days: int | None = None
    legacy_since: dt.date | None = None
    end_of_life: dt.date | None = None
    replacement: str | None = None
    provider_lifecycle: ProviderLifecycle | None = None
    dimensions: tuple[int, ...] = ()
    max_input_characters: int | None = None
    tokenizer_ratio: float = 1.0
    """Tokens the model's tokenizer counts for a text, relative to the Claude 4.5 tokenizer's
    count of it (1.0 where no source says otherwise): the local endpoint's token counts and
    context-window check use it."""

    @property
    def sources(self) -> tuple[str, ...]:
        """Every source the model's facts cite, in the order first cited."""
        return tuple(dict.fromkeys(key for keys in self.cites.values() for key in keys))

    def sources_of(self, fact: str) -> tuple[str, ...]:
        """The sources of `fact` (``released``, ``price.input``): its own, else its table's."""
        return self.cites.get(fact) or self.cites.get(fact.partition(".")[0], ())

    @property
    def ids(self) -> tuple[str, ...]:
        """Every id that names it: the profile ids, then the base id."""
        return (*(f"{prefix}.{self.base_id}" for prefix in self.profiles), self.base_id)

    def state_on(self, day: dt.date) -> Lifecycle:
        """Its Bedrock state on `day`: end of life and legacy from their dates when known (a
        model before its legacy date was active; one listed past its prime without a legacy date
        was legacy before its end of life), else as listed."""
        if self.end_of_life is not None and day >= self.end_of_life:
            return "end_of_life"
        if self.legacy_since is not None:
            return "legacy" if day >= self.legacy_since else "active"
        if self.lifecycle == "end_of_life":
            return "legacy"
        return self.lifecycle


@dataclass(frozen=True)
class Resolved:
    """A model id found in the catalog: the model and the profile prefix it used (None: the
    base id)."""

    model_id: str
    model: CatalogModel
    profile: str | None

    @property
    def needs_profile(self) -> bool:
        """True for a base id the model does not serve on demand (Bedrock refuses it)."""
        return self.profile is None and not self.model.on_demand


@dataclass(frozen=True)
class ModelCatalog:
    """The catalog: its models, default ids, sources and when they were read."""

    models: tuple[CatalogModel, ...]
    defaults: Mapping[str, str]
    sources: Mapping[str, Mapping[str, str]]
    retrieved: str
    _by_id: dict[str, tuple[CatalogModel, str | None]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for model in self.models:
            self._by_id[model.base_id] = (model, None)
            for prefix in model.profiles:
                self._by_id[f"{prefix}.{model.base_id}"] = (model, prefix)

    def get(self, key: str) -> CatalogModel:
        """The model of catalog key `key` (KeyError when none)."""
        for model in self.models:
            if model.key == key:
                return model
        raise KeyError(key)

    def resolve(self, model_id: str) -> Resolved | None:
        """The model an id names: a base or profile id, or the ARN of a foundation model or a
        system inference profile; None for anything else (an application inference profile's
        ARN cannot be resolved without calling Bedrock)."""
        candidate = model_id
        if model_id.startswith("arn:"):
            _, _, resource = model_id.partition(":bedrock:")
            parts = resource.split(":", 2)  # region, account, type/name (names may hold ":")
            kind, _, name = (parts[2] if len(parts) == 3 else "").partition("/")
            if kind not in ("foundation-model", "inference-profile"):
                return None
            candidate = name
        found = self._by_id.get(candidate)
        if found is None:
            return None
        return Resolved(model_id, found[0], found[1])

    def global_profile(self, model_id: str) -> str | None:
        """The ``global.`` inference profile of the model a geographic profile id names (a
        throttled call's second route, `agents.model_routes`); None for a global, base or ARN
        id, or a model without a global profile."""
        resolved = self.resolve(model_id)
        if resolved is None or resolved.profile in (None, "global") or model_id.startswith("arn:"):
            return None
        if "global" not in resolved.model.profiles:
            return None
        return f"global.{resolved.model.base_id}"

    def default_id(self, name: str) -> str:
        """A default id of `[defaults]` (``strong``, ``fast``, ``previous_strong``, ...)."""
        return self.defaults[name]

    def generation_ids(self, generation: Literal["current", "previous"]) -> tuple[str, str]:
        """``(strong, fast)`` ids of the current or the previous generation's defaults."""
        prefix = "" if generation == "current" else "previous_"
        return self.defaults[f"{prefix}strong"], self.defaults[f"{prefix}fast"]


def _date(value: Any, where: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
    except ValueError:
        raise ModelCatalogError(f"{where}: {value!r} is not an ISO date") from None


LABELS = frozenset({"key", "name", "family", "generation", "cites", "silent", "unfound"})
"""Fields of a model's entry that name or group it, or say where its facts come from: the
others are facts, each cited."""

LIFECYCLE_FACTS = ("lifecycle", "released", "eol_no_sooner_than", "legacy_period_days")
"""What a current model's lifecycle is made of on Bedrock (its state; from its model card: the
launch, the date it reaches end of life no sooner than, the legacy period's length): each is
stated with its source or named in `unfound`."""

TABLES = {"accepts": Accepts, "cache": CacheSpec, "price": Prices}
"""The tables of a model's entry whose fields are facts of their own (``accepts.sampling``)."""


def stated_facts(raw: Mapping[str, Any]) -> list[str]:
    """The facts a model's entry states: each field but `LABELS`, a table's as
    ``table.field``."""
    facts: list[str] = []
    for name, value in raw.items():
        if name in LABELS:
            continue
        facts += [f"{name}.{field}" for field in value] if isinstance(value, dict) else [name]
    return facts


def _fact_names() -> set[str]:
    """Every fact a model's entry may state (what `unfound` may name)."""
    names = {f.name for f in fields(CatalogModel)} - LABELS - set(TABLES)
    for table, kind in TABLES.items():
        names |= {f"{table}.{f.name}" for f in fields(kind)}
    return names


def _cites(
    raw: Mapping[str, Any], sources: Mapping[str, Any], where: str
) -> dict[str, tuple[str, ...]]:
    """The entry's citations, checked: every fact it states cited, every source defined, no
    fact both stated and unfound (ModelCatalogError naming them)."""
    cites = {fact: tuple(keys) for fact, keys in dict(raw.get("cites", {})).items()}
    unknown = sorted({key for keys in cites.values() for key in keys} - set(sources))
    empty = sorted(fact for fact, keys in cites.items() if not keys)
    stated = stated_facts(raw)
    uncited = [f for f in stated if not (cites.get(f) or cites.get(f.partition(".")[0]))]
    if unknown or empty or uncited:
        raise ModelCatalogError(
            f"{where}: facts without a source {uncited + empty}, unknown sources {unknown}"
        )
    unfound = list(raw.get("unfound", ()))
    wrong = [f for f in unfound if f in stated or f not in _fact_names()]
    if wrong:
        raise ModelCatalogError(f"{where}: unfound names facts it states or no fact: {wrong}")
    return cites


def _parse_model(raw: Mapping[str, Any], sources: Mapping[str, Any]) -> CatalogModel:
    where = f"{CATALOG_FILE.name}: model {raw.get('key')!r}"
    cites = _cites(raw, sources, where)
    accepts = dict(raw.get("accepts", {}))
    for name in ("thinking", "effort", "effort_with_between_tools", "effort_without_thinking"):
        if name in accepts:
            accepts[name] = tuple(accepts[name])
    cache_raw = dict(raw.get("cache", {}))
    for name in ("fields", "ttls"):
        if name in cache_raw:
            cache_raw[name] = tuple(cache_raw[name])
    provider = raw.get("provider_lifecycle")
    try:
        return CatalogModel(
            key=raw["key"],
            name=raw["name"],
            kind=raw["kind"],
            family=raw["family"],
            generation=raw["generation"],
            base_id=raw["base_id"],
            profiles=tuple(raw.get("profiles", ())),
            on_demand=bool(raw["on_demand"]),
            context_window=int(raw["context_window"]),
            max_output_tokens=int(raw["max_output_tokens"]),
            lifecycle=raw["lifecycle"],
            accepts=Accepts(**accepts),
            cache=CacheSpec(**cache_raw),
            price=Prices(**raw["price"]) if "price" in raw else None,
            cites=cites,
            silent=tuple(raw.get("silent", ())),
            unfound=tuple(raw.get("unfound", ())),
            released=_date(raw.get("released"), where),
            eol_no_sooner_than=_date(raw.get("eol_no_sooner_than"), where),
            legacy_period_days=raw.get("legacy_period_days"),
            legacy_since=_date(raw.get("legacy_since"), where),
            end_of_life=_date(raw.get("end_of_life"), where),
            replacement=raw.get("replacement"),
            provider_lifecycle=ProviderLifecycle(
                state=provider["state"],
                retires=_date(provider.get("retires"), where),
                replacement=provider.get("replacement"),
            )
            if provider
            else None,
            dimensions=tuple(raw.get("dimensions", ())),
            max_input_characters=raw.get("max_input_characters"),
            tokenizer_ratio=float(raw.get("tokenizer_ratio", 1.0)),
        )
    except (KeyError, TypeError) as exc:
        raise ModelCatalogError(f"{where}: missing or unknown field ({exc})") from None


def load_catalog(path: Path = CATALOG_FILE) -> ModelCatalog:
    """The catalog in `path` (ModelCatalogError naming the field when it cannot be read)."""
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ModelCatalogError(f"{path}: cannot be read ({exc})") from None
    sources = data.get("sources", {})
    models = tuple(_parse_model(raw, sources) for raw in data.get("models", []))
    keys = [m.key for m in models]
    if len(set(keys)) != len(keys):
        raise ModelCatalogError(f"{path.name}: a model key is used twice: {keys}")
    catalog = ModelCatalog(models, dict(data.get("defaults", {})), sources, data["retrieved"])
    for name, model_id in catalog.defaults.items():
        if catalog.resolve(model_id) is None:
            raise ModelCatalogError(f"{path.name}: defaults.{name} {model_id!r} is no model's id")
    for model in models:
        for other in (model.replacement, getattr(model.provider_lifecycle, "replacement", None)):
            if other is not None and other not in keys:
                raise ModelCatalogError(f"{path.name}: {model.key}'s replacement {other!r}")
    return catalog


@cache
def model_catalog() -> ModelCatalog:
    """The shipped catalog, read once."""
    return load_catalog()


__all__ = [
    "CATALOG_FILE",
    "LIFECYCLE_FACTS",
    "Accepts",
    "CacheSpec",
    "CatalogModel",
    "Lifecycle",
    "ModelCatalog",
    "ModelCatalogError",
    "Prices",
    "ProviderLifecycle",
    "Resolved",
    "load_catalog",
    "model_catalog",
    "stated_facts",
]
