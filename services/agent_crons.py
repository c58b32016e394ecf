"""Agent Protocol crons on the project's scheduler: when a cron next fires, and firing the crons
due (from each minute's tick, `trading.tick_jobs.fire_due_handler`, beside the
deployments' schedules).

A cron's schedule is a five-field cron expression (`execution.cron`) read in its time zone
(UTC by default); `next_fire` is its first time after a moment, in UTC. Firing a due cron
submits one job of kind `CRON_RUN_KIND` for its owner, keyed `agent_cron:<cron id>:<fire
time>` (the store makes one job per key, so two schedulers, or a tick delivered twice, submit
it once), then moves the cron's next run on, guarded by the value it read
(`Store.advance_agent_cron`). Fires missed while nothing ticked are not run one by one: the
latest stands for them, and the next is the first after now. A cron past its end time ends
(no next run). The run itself is the API's (`api.agent_protocol.cron_runs`, registered by
name: a chat turn recorded as an Agent Protocol run).
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from execution.cron import CronExpression, parse_cron
from execution.errors import ScheduleError
from store import Job, Store

CRON_RUN_KIND = "agent_cron_run"
"""The job kind of one run of a cron (its handler: `api.agent_protocol.cron_runs`)."""
HORIZON_DAYS = 366 * 5
"""How far ahead a next fire is looked for (a cron for 29 February fires within 5 years)."""


class CronError(ValueError):
    """A cron that cannot be kept: `field` names the setting (schedule, timezone, end_time)."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


def checked_schedule(schedule: str, timezone: str | None) -> tuple[CronExpression, ZoneInfo]:
    """The parsed schedule and its time zone; `CronError` naming what is wrong."""
    try:
        expression = parse_cron(schedule)
    except ScheduleError as exc:
        raise CronError("schedule", exc.problem) from None
    try:
        zone = ZoneInfo(timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        raise CronError("timezone", "an IANA time zone name, e.g. Europe/London") from None
    return expression, zone


def next_fire(expression: CronExpression, zone: ZoneInfo, after: datetime) -> datetime | None:
    """The first time after `after` (timezone-aware) that `expression` matches in `zone`, in
    UTC; None when it matches no day within `HORIZON_DAYS`."""
    local = after.astimezone(zone)
    times = expression.times_of_day()
    for offset in range(HORIZON_DAYS):
        day = local.date() + timedelta(days=offset)
        if not expression.matches_day(day):
            continue
        for hour, minute in times:
            moment = datetime.combine(day, time(hour, minute), zone).astimezone(UTC)
            if moment > after:
                return moment
    return None


def following(
    schedule: str, timezone: str | None, after: datetime, end_at: datetime | None
) -> datetime | None:
    """The cron's next run after `after`: None once past `end_at`."""
    expression, zone = checked_schedule(schedule, timezone)
    moment = next_fire(expression, zone, after)
    return None if moment is None or (end_at is not None and moment > end_at) else moment


def cron_run_key(cron_id: str, fire: datetime) -> str:
    """The idempotency key of a cron's run at `fire`."""
    return f"agent_cron:{cron_id}:{fire.isoformat()}"


def fire_due_crons(store: Store, now: datetime, *, limit: int = 1000) -> list[Job]:
    """Submit the run of every cron due at `now` (all owners); the jobs submitted (new ones)."""
    submitted: list[Job] = []
    for cron in store.due_agent_crons(now, limit=limit):
        fire = cron.next_run_at
        if fire is None:
            continue
        job, created = store.submit_job(
            cron.owner,
            CRON_RUN_KIND,
            {"cron_id": cron.cron_id, "fire": fire.isoformat()},
            idempotency_key=cron_run_key(cron.cron_id, fire),
        )
        if created:
            submitted.append(job)
        timezone = cron.document.get("timezone")
        try:
            then = following(cron.schedule, timezone, max(fire, now), cron.end_at)
        except CronError:  # stored checked: only a changed tz database gets here
            then = None
        store.advance_agent_cron(cron.owner, cron.cron_id, was=fire, next_run_at=then)
    return submitted
