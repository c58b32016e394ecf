"""Start-up checks of the Bedrock model settings against the model catalog.

`check_model_settings(settings)` looks at every agent role whose chat model runs on Bedrock and
refuses, before any call, what Bedrock would refuse on the first one: a model id the catalog does
not know (or an embedding model), a base id that needs an inference profile, an output-token
limit above the model's own, an effort level no role could send. Each refusal names the setting,
its environment variable, the model and the limit. A model in Bedrock's Legacy state, past its
end of life, or deprecated by its provider gets a warning naming the date and the replacement
(logged once per model and process, and returned). Application inference-profile ARNs cannot be
resolved without calling Bedrock: they are accepted with a warning that their limits are not
checked.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict

from agents.model_ids import max_tokens_for, model_id_for
from agents.model_plan import EFFORT_ORDER
from agents.roles import model_tier
from prompts.roles import AGENT_ROLES, AgentRole
from settings import Settings
from settings.model_catalog import CatalogModel, model_catalog

logger = logging.getLogger(__name__)
_warned: set[str] = set()


class ModelSettingsError(ValueError):
    """A model setting that cannot work on Bedrock (refused at start-up, before any call)."""


def _model_setting(role: AgentRole, settings: Settings) -> str:
    if role in settings.bedrock.model_ids:
        return "STRATIGOS_BEDROCK_MODEL_IDS"
    return f"STRATIGOS_BEDROCK_{model_tier(role).upper()}_MODEL_ID"


def _replacement(model: CatalogModel, profile: str | None) -> str:
    key = model.replacement or (
        model.provider_lifecycle.replacement if model.provider_lifecycle else None
    )
    if key is None:
        return ""
    new = model_catalog().get(key)
    prefix = profile if profile in new.profiles else (new.profiles[0] if new.profiles else None)
    return f"; replacement: {new.name} ({f'{prefix}.' if prefix else ''}{new.base_id})"


def lifecycle_warning(model_id: str, day: dt.date) -> str | None:
    """The warning a configured model's lifecycle calls for on `day` (None: none)."""
    resolved = model_catalog().resolve(model_id)
    if resolved is None:
        return None
    model, tail = resolved.model, _replacement(resolved.model, resolved.profile)
    state = model.state_on(day)
    if state == "end_of_life":
        return f"{model.name} ({model_id}) reached its end of life on Bedrock on {model.end_of_life}: calls fail{tail}"
    if state == "legacy":
        end = f", end of life {model.end_of_life}" if model.end_of_life else ""
        return (f"{model.name} ({model_id}) is in Bedrock's Legacy state since {model.legacy_since}"
                f" (closed to new customers{end}){tail}")  # fmt: skip
    provider = model.provider_lifecycle
    if provider is not None:
        when = f", retiring on {provider.retires}" if provider.retires else ""
        return (f"Anthropic lists {model.name} ({model_id}) as {provider.state}{when} on its own "
                f"platforms; Bedrock sets its own dates and the catalog found none{tail}")  # fmt: skip
    return None


def bedrock_role_models(settings: Settings) -> dict[AgentRole, str]:
    """``{role: Bedrock model id}`` of the roles whose chat model runs on Bedrock."""
    return {
        role: model_id_for(role, settings)
        for role in AGENT_ROLES
        if settings.models.resolved_provider(role) == "bedrock"
    }


def _id_problem(model_id: str, setting: str) -> str | None:
    resolved = model_catalog().resolve(model_id)
    if resolved is None:
        known = ", ".join(
            m.ids[0] for m in model_catalog().models if m.kind == "chat" and m.lifecycle == "active"
        )
        return (f"{setting}={model_id} is not a Bedrock model id of the model catalog "
                f"(settings/model_catalog.toml); for example: {known}")  # fmt: skip
    model = resolved.model
    if model.kind != "chat":
        return f"{setting}={model_id} is {model.name}, an embedding model, not a chat model"
    if resolved.needs_profile:
        profiles = ", ".join(model.ids[:-1])
        return (f"{setting}={model_id}: {model.name} is not served on demand by its base id on "
                f"Bedrock; use an inference profile: {profiles}")  # fmt: skip
    return None


def _token_problem(model_id: str, roles: list[AgentRole], settings: Settings) -> str | None:
    resolved = model_catalog().resolve(model_id)
    if resolved is None:
        return None
    limit = resolved.model.max_output_tokens
    for role in roles:
        tokens = max_tokens_for(role, settings)
        if tokens > limit:
            setting = ("STRATIGOS_BEDROCK_MAX_TOKENS_BY_ROLE" if role in settings.bedrock.max_tokens_by_role
                       else "STRATIGOS_BEDROCK_MAX_TOKENS")  # fmt: skip
            return (f"{setting}: {tokens} output tokens is above the limit of "
                    f"{resolved.model.name} ({model_id}, the model of {', '.join(roles)}): at "
                    f"most {limit}")  # fmt: skip
    return None


def _fallback_problems(settings: Settings, roles: list[AgentRole]) -> list[str]:
    """The problems of ``bedrock_fallback_model_ids``: keys that are no tier or role, models
    that cannot work for the roles they would serve."""
    setting = "STRATIGOS_BEDROCK_FALLBACK_MODEL_IDS"
    problems = []
    for key, model_id in settings.bedrock.fallback_model_ids.items():
        if key not in ("strong", "fast", *AGENT_ROLES):
            problems.append(f"{setting}: {key!r} is neither strong, fast nor an agent role")
            continue
        served = [r for r in roles if key in (r, model_tier(r))]
        problem = _id_problem(model_id, setting) or _token_problem(model_id, served, settings)
        if problem:
            problems.append(problem)
    return problems


def check_model_settings(settings: Settings, today: dt.date | None = None) -> list[str]:
    """Refuse Bedrock model settings that cannot work (`ModelSettingsError`, every problem in
    one message); the lifecycle warnings of the configured models (see the module docstring)."""
    problems: list[str] = []
    for role, level in settings.bedrock.effort_by_role.items():
        if role not in AGENT_ROLES or level not in EFFORT_ORDER:
            problems.append(f"STRATIGOS_BEDROCK_EFFORT_BY_ROLE: {role}={level} needs a role "
                            f"({', '.join(AGENT_ROLES)}) and a level ({', '.join(EFFORT_ORDER)})")  # fmt: skip
    by_model: dict[str, list[AgentRole]] = defaultdict(list)
    role_models = bedrock_role_models(settings)
    for role, model_id in role_models.items():
        by_model[model_id].append(role)
    problems += _fallback_problems(settings, list(role_models))
    warnings: list[str] = []
    day = today or dt.datetime.now(dt.UTC).date()
    for model_id, roles in by_model.items():
        if model_id.startswith("arn:") and model_catalog().resolve(model_id) is None:
            warnings.append(f"{model_id} cannot be looked up without calling Bedrock: its "
                            "limits and accepted settings are not checked")  # fmt: skip
            continue
        problem = _id_problem(model_id, _model_setting(roles[0], settings))
        problem = problem or _token_problem(model_id, roles, settings)
        if problem:
            problems.append(problem)
        elif (warning := lifecycle_warning(model_id, day)) is not None:
            warnings.append(warning)
    if problems:
        raise ModelSettingsError("; ".join(problems))
    for warning in warnings:
        if warning not in _warned:
            _warned.add(warning)
            logger.warning(warning)
    return warnings


__all__ = ["ModelSettingsError", "bedrock_role_models", "check_model_settings", "lifecycle_warning"]
