"""The long-poll answer of a deployment's events (`GET /v1/deployments/{id}/events?wait=`,
`api.routes.deployment_events`). Its name is the OpenAPI schema's component.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class DeploymentEventsPage(BaseModel):
    """Long-poll answer: the deployment's events after `after`, oldest first."""

    events: list[dict[str, Any]] = Field(
        description="Each {deployment_id, seq, type, time, data} (see docs/deployments.md)."
    )
    last_seq: int = Field(description="Pass as `after` in the next poll.")
    status: str = Field(description="The deployment's status now.")
    done: bool = Field(description="True when the deployment is retired and no event is left.")
