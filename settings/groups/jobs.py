"""Job orchestration: the queue and the handlers of jobs (`STRATIGOS_JOBS_*`)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from settings.fields import SettingsGroup


class JobSettings(SettingsGroup):
    """How jobs are announced and which handlers and ticks workers run (jobs/)."""

    env_prefix: ClassVar[str] = "STRATIGOS_JOBS_"

    queue_url: str | None = Field(
        default=None,
        description="SQS queue the API announces new jobs on (the AWS worker function "
        "consumes it); unset: workers find pending jobs in the store.",
    )
    handlers: list[str] = Field(
        default_factory=lambda: [
            "graphs.job_handlers",
            "trading.execution_jobs",
            "api.tearsheet_jobs",
            "api.agent_protocol.cron_runs",
        ],
        description="Modules registering job handlers, imported by the AWS worker function "
        "(api.tearsheet_jobs renders the trading day's tearsheets, api.agent_protocol.cron_runs "
        "runs the Agent Protocol's crons).",
    )
    ticks: list[str] = Field(
        default_factory=lambda: ["fire_due_schedules"],
        description="Job kinds a local worker starts once a minute (when it has their handlers): "
        "firing due schedules (and each session's daily summary); on AWS, EventBridge "
        "Scheduler's ticks start them.",
    )
