"""Everything an owner names is the owner's, on both stores (SQLite, and DynamoDB + S3 on moto's
server): two owners doing the same things with the same names, step by step in a random
interleaving, each end with what they would have alone.

Hypothesis draws a script: deployments (on accounts shared under names both owners use, some of
them paper accounts named before names were the owner's, `paper-shared-<name>`, whose client
order ids and run ids are then the same strings for both owners; others on their own
accounts), job submissions under idempotency keys both use, orders enqueued under the same
client order ids on accounts of the same name, chat threads and API keys named alike, the same
profile, and one or two fires of the schedules, which the scheduler (`trading.scheduling.
fire_due`) turns into rebalance jobs of both owners at the same fire times, run by the job
worker. Owner `tenant-solo` runs the script on a SQLite store of its own; `tenant-ann` and
`tenant-ben` run it on one store (SQLite, or DynamoDB + S3). Each owner's view (deployments and
their events, orders, ledgers, jobs and their results, broker accounts, threads, API keys,
profile, and every refusal met), with ids written as the names they stand for
(`tests.support.owner_views`), is the same for all three; every rebalance succeeds; and nothing
one of the two reads names the other, its ids or its tag.

The owner alone runs on SQLite for both stores: the two stores give one owner the same view
(the store contract's parity; a solo run on DynamoDB equalled the SQLite one on each of the 26
scripts tried when this was written), so a DynamoDB shared run equal to it is what the owner
would have alone on DynamoDB, without the solo run's third of the DynamoDB requests (issue 63).
Should the stores ever disagree, the DynamoDB test fails: it is stricter, not weaker.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from jobs.worker import Worker
from settings import JobSettings, NotificationSettings, Settings, SmtpSettings
from store import ConflictError, NotFoundError, Store
from store.aws import AWSStore, create_tables
from store.orders import NewOrder
from store.sqlite import SQLiteStore
from tests.store.conftest import FakeClock
from tests.support.aws import FAKE_AWS_ENV, moto_server
from tests.support.owner_views import betrayed, written
from trading.deployments import change_status, create_deployment
from trading.execution_jobs import HANDLERS
from trading.scheduling import REBALANCE_KIND, fire_due

pytestmark = pytest.mark.slow

FIRES = (
    datetime(2021, 6, 1, 19, 45, tzinfo=UTC),
    datetime(2021, 6, 2, 19, 45, tzinfo=UTC),
)
"""Two sessions' decision times of the schedule below (15:45 in New York)."""
SCHEDULE = {"every": "session", "at": "15:45"}
WEIGHTS = (
    {"KO": 0.5, "XOM": 0.45},
    {"AAPL": 0.5, "KO": 0.45},
    {"JNJ": 0.3, "PG": 0.65},
)
ACCOUNT_NAMES = ("main", "book")
KEYS = ("nightly", "retry-1")
PROFILE = {
    "notifications": {
        "destinations": [{"channel": "webhook", "address": "https://hooks.example.com/main"}]
    }
}
"""A profile both owners save (a webhook of the same address)."""
SOLO, ANN, BEN = "tenant-solo", "tenant-ann", "tenant-ben"


@dataclass(frozen=True)
class Deploy:
    """A deployment of one of `WEIGHTS` with `capital`, on the account named `account` (None:
    its own)."""

    account: str | None
    weights: int
    capital: float


@dataclass(frozen=True)
class Script:
    """What each owner does, in order (see the module docstring)."""

    deployments: tuple[Deploy, ...]
    named_before: frozenset[str]
    """Account names whose first deployment trades `paper-shared-<name>`, as before names were
    the owner's (those after it join it)."""
    submissions: tuple[tuple[str, int], ...]
    """(idempotency key, request number)."""
    orders: tuple[tuple[str, str, float], ...]
    """(account name, client order id, quantity), enqueued one by one."""
    titles: tuple[str, ...]
    fires: int
    ben_first: tuple[bool, ...]
    """Per step, whether `tenant-ben` takes it before `tenant-ann`."""


@st.composite
def scripts(draw: st.DrawFn) -> Script:
    deployments = draw(
        st.lists(
            st.builds(
                Deploy,
                st.sampled_from((*ACCOUNT_NAMES, None)),
                st.integers(0, len(WEIGHTS) - 1),
                st.sampled_from((20_000.0, 50_000.0)),
            ),
            min_size=1,
            max_size=3,
        )
    )
    names = sorted({d.account for d in deployments if d.account is not None})
    submissions = draw(st.lists(st.tuples(st.sampled_from(KEYS), st.integers(0, 1)), max_size=3))
    orders = draw(
        st.lists(
            st.tuples(
                st.sampled_from(ACCOUNT_NAMES),
                st.sampled_from(("stg-0000000000000000-00", "manual-1")),
                st.sampled_from((1.0, 2.5)),
            ),
            max_size=3,
        )
    )
    titles = draw(st.lists(st.sampled_from(("Rebalance plan", "main")), max_size=2))
    steps = len(deployments) + len(submissions) + len(orders) + len(titles) + 2
    return Script(
        deployments=tuple(deployments),
        named_before=frozenset(draw(st.sets(st.sampled_from(names))) if names else ()),
        submissions=tuple(submissions),
        orders=tuple(orders),
        titles=tuple(titles),
        fires=draw(st.integers(1, 2)),
        ben_first=tuple(draw(st.lists(st.booleans(), min_size=steps, max_size=steps))),
    )


class Owner:
    """One owner running a script on a store, noting every refusal met."""

    def __init__(self, store: Store, owner: str, settings: Settings) -> None:
        self.store, self.owner, self.settings = store, owner, settings
        self.refusals: list[str] = []

    def attempt(self, step: Callable[[], object]) -> None:
        """Run `step`, noting a refusal (its kind and words) instead of failing."""
        try:
            step()
        except (ConflictError, NotFoundError, ValueError) as exc:
            self.refusals.append(f"{type(exc).__name__}: {exc}")

    def deploy(self, script: Script, number: int) -> None:
        spec = script.deployments[number]
        weights = WEIGHTS[spec.weights]
        name = f"d{number}"
        portfolio = self.store.create_portfolio(
            self.owner, name, {"weights": [{"asset": a, "weight": w} for a, w in weights.items()]}
        )
        created = create_deployment(
            self.store, self.owner, name=name, source="portfolio", source_id=portfolio.id,
            capital=spec.capital, schedule=SCHEDULE, limits={"cash_buffer": 0.02},
            account=spec.account, settings=self.settings,
        )  # fmt: skip
        earlier = [d for d in script.deployments[:number] if d.account == spec.account]
        if spec.account in script.named_before and not earlier:
            named_before = {k: v for k, v in created.spec.items() if k != "account_name"}
            created = self.store.update_deployment(
                self.owner,
                created.id,
                expected_version=created.version,
                spec={**named_before, "account": f"paper-shared-{spec.account}"},
            )
        change_status(self.store, self.owner, created.id, "active", settings=self.settings)

    def submit(self, key: str, variant: int) -> None:
        request = {"universe": ["KO", "XOM"], "max_trials": 4 + variant}
        self.attempt(
            lambda: self.store.submit_job(self.owner, "optimization", request, idempotency_key=key)
        )

    def enqueue(self, account: str, client_order_id: str, quantity: float) -> None:
        order = NewOrder(client_order_id, "KO", "buy", quantity)
        self.attempt(
            lambda: self.store.enqueue_orders(
                self.owner, f"manual-{account}", "dep_manual", "run-1", [order]
            )
        )


def _steps(script: Script, owner: Owner) -> list[Callable[[], None]]:
    """The script's steps for `owner`, in order, fires left out."""
    steps: list[Callable[[], None]] = [
        lambda n=n: owner.deploy(script, n) for n in range(len(script.deployments))
    ]
    steps += [lambda k=k, v=v: owner.submit(k, v) for k, v in script.submissions]
    steps += [lambda a=a, c=c, q=q: owner.enqueue(a, c, q) for a, c, q in script.orders]
    steps += [lambda t=t: owner.store.create_thread(owner.owner, t) for t in script.titles]
    steps.append(lambda: owner.store.create_api_key(owner.owner, "trading bot"))
    steps.append(lambda: owner.store.save_profile(owner.owner, PROFILE))
    return steps


def _run(
    store: Store, clock: FakeClock, settings: Settings, owners: list[Owner], script: Script
) -> None:
    """Every owner takes each step of the script (the second before the first where the script
    says), then the schedules fire and the worker runs every job until none is left."""
    clock.now = FIRES[0] - timedelta(hours=1)
    per_owner = [_steps(script, o) for o in owners]
    for number, steps in enumerate(zip(*per_owner, strict=True)):
        order = reversed(steps) if script.ben_first[number] else steps
        for step in order:
            step()
    worker = Worker(store, HANDLERS, lease_seconds=30.0, settings=settings)
    for fire in FIRES[: script.fires]:
        clock.now = fire + timedelta(minutes=1)
        fire_due(store, clock.now, settings=settings)
        clock.now = fire + timedelta(hours=2)  # after the session's close: orders fill
        while worker.run_once() is not None:
            pass


def _view(store: Store, owner: Owner) -> dict[str, Any]:
    """Everything the owner's store holds or refused, as one document."""
    deployments = store.list_deployments(owner.owner)
    accounts = sorted({str(d.spec["account"]) for d in deployments if "account" in d.spec})
    accounts += [f"paper-{d.id}" for d in deployments if "account" not in d.spec]
    jobs = store.list_jobs(owner.owner, limit=1000)
    return {
        "deployments": [
            {
                **_plain(d),
                "events": [e.to_json() for e in store.deployment_events(owner.owner, d.id)],
            }
            for d in deployments
        ],
        "orders": [_order(o) for o in store.list_orders(owner.owner)],
        "ledgers": {
            d.name: [_plain(e) for e in store.ledger(owner.owner, d.id)] for d in deployments
        },
        "broker_accounts": {a: _broker_state(store, owner.owner, a) for a in accounts},
        "jobs": [
            {
                "kind": j.kind,
                "status": j.status,
                "request": j.request,
                "key": j.idempotency_key,
                "error": j.error,
                "result": store.get_result(owner.owner, j.id).payload
                if j.status == "succeeded"
                else None,
            }
            for j in jobs
        ],
        "threads": sorted(t.title for t in store.list_threads(owner.owner)),
        "api_keys": [k.name for k in store.list_api_keys(owner.owner)],
        "profile": store.get_profile(owner.owner).data,
        "refusals": owner.refusals,
    }


def _order(order: Any) -> dict[str, Any]:
    allocations = [[a.deployment_id, a.quantity] for a in order.allocations]
    return {**_plain(order), "allocations": allocations}


def _plain(record: Any) -> dict[str, Any]:
    """A stored record's fields (times as text)."""
    return {k: str(v) if isinstance(v, datetime) else v for k, v in vars(record).items()}


def _broker_state(store: Store, owner: str, account: str) -> Any:
    try:
        return store.get_broker_account(owner, account).state
    except NotFoundError:
        return None


def _marks(store: Store, owner: str) -> list[str]:
    """The ids of `owner`'s deployments, jobs and portfolios."""
    ids = [d.id for d in store.list_deployments(owner)]
    ids += [j.id for j in store.list_jobs(owner, limit=1000)]
    return ids + [p.id for p in store.list_portfolios(owner)]


def _written(view: dict[str, Any], store: Store, owner: str) -> str:
    names = {d.id: d.name for d in store.list_deployments(owner)}
    return written(view, owner, names)


_ALONE: dict[Script, str] = {}
"""What `tenant-solo` ends with for each script run alone (the same for both stores' tests:
`OBSERVED`, in both, runs alone once)."""


def _check(script: Script, make_store: Callable[[FakeClock], Store], data: Path) -> None:
    """`tenant-solo` runs `script` on a SQLite store in `data` (once per script: `_ALONE`),
    `tenant-ann` and `tenant-ben`
    on one store of `make_store`; see the module docstring for what is compared."""
    settings = Settings(
        data_dir=data,
        notifications=NotificationSettings(smtp=SmtpSettings(host="127.0.0.1")),
        jobs=JobSettings(ticks=[]),
    )
    expected = _ALONE.get(script)
    if expected is None:
        clock = FakeClock()
        alone = SQLiteStore(data / f"{uuid.uuid4().hex}.sqlite", clock=clock)
        solo = Owner(alone, SOLO, settings)
        _run(alone, clock, settings, [solo], script)
        expected = _ALONE[script] = _written(_view(alone, solo), alone, SOLO)
        alone.close()

    clock = FakeClock()
    shared = make_store(clock)
    ann, ben = Owner(shared, ANN, settings), Owner(shared, BEN, settings)
    _run(shared, clock, settings, [ann, ben], script)
    for owner, other in ((ann, ben), (ben, ann)):
        view = _view(shared, owner)
        rebalances = [j for j in view["jobs"] if j["kind"] == REBALANCE_KIND]
        assert len(rebalances) == len(script.deployments) * script.fires
        assert {j["status"] for j in rebalances} == {"succeeded"}, rebalances
        leaked = betrayed(view, other.owner, _marks(shared, other.owner))
        assert not leaked, (owner.owner, leaked)
        assert _written(view, shared, owner.owner) == expected
    shared.close()


HEALTH = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
"""The fixtures used are the same for every example (a directory factory, moto's address, the
fake credentials); an example runs a few dozen jobs."""
OBSERVED = Script(
    deployments=(
        Deploy("main", 0, 50_000.0),
        Deploy("main", 1, 20_000.0),
        Deploy("book", 2, 20_000.0),
    ),
    named_before=frozenset({"main"}),
    submissions=(("nightly", 0), ("nightly", 1)),
    orders=(("main", "stg-0000000000000000-00", 1.0), ("main", "stg-0000000000000000-00", 2.5)),
    titles=("main",),
    fires=2,
    ben_first=(False, True) * 5,
)
"""What issue 50 observed, always tried: two owners on an account both named `main` as before
names were the owner's (the same account string, client order ids and run ids for both), at
the same fire times; and one named since (`book`)."""


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    with moto_server() as url:
        yield url


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in FAKE_AWS_ENV.items():
        monkeypatch.setenv(key, value)


@settings(max_examples=8, deadline=None, suppress_health_check=HEALTH)
@given(script=scripts())
@example(script=OBSERVED)
def test_two_owners_doing_the_same_with_the_same_names_on_sqlite_end_as_alone(
    script: Script, tmp_path_factory: pytest.TempPathFactory
) -> None:
    data = tmp_path_factory.mktemp("names")
    _check(
        script, lambda clock: SQLiteStore(data / f"{uuid.uuid4().hex}.sqlite", clock=clock), data
    )


@settings(max_examples=4, deadline=None, suppress_health_check=HEALTH)
@given(script=scripts())
@example(script=OBSERVED)
def test_two_owners_doing_the_same_with_the_same_names_on_dynamodb_end_as_alone(
    script: Script, tmp_path_factory: pytest.TempPathFactory, moto_url: str, aws_env: None
) -> None:
    def make_store(clock: FakeClock) -> Store:
        suffix = uuid.uuid4().hex[:10]
        table, bucket = f"names-{suffix}-store", f"names-{suffix}-bucket"
        create_tables(table, bucket, endpoint_url=moto_url)
        return AWSStore(table, bucket, endpoint_url=moto_url, clock=clock)

    _check(script, make_store, tmp_path_factory.mktemp("names"))
