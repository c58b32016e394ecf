"""The Alpaca broker (alpaca-py -> requests -> HTTP) against the loopback stand-in
`devtools.local_alpaca`, whose orders the paper broker executes: the oracle for every order, fill
and account figure is the paper broker underneath, read directly.

alpaca-py would sleep 3 s before retrying a 429 or 504 answer; the adapter turns that off, and
every test here makes alpaca-py's sleep fail, so no test can sleep unnoticed.
"""

from __future__ import annotations

import json
import logging
import socket
import types
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import boto3
import pytest
from pydantic import SecretStr

import execution.brokers.alpaca as alpaca_module
from devtools.local_alpaca import LocalAlpaca
from execution.brokers.alpaca import AlpacaBroker, alpaca_broker, alpaca_keys, order_status
from execution.brokers.base import BrokerOrder, OrderRequest
from execution.brokers.paper import PaperBroker
from execution.errors import (
    BrokerConfigurationError,
    BrokerRejectedError,
    BrokerUnavailableError,
)
from quant.data import sp500_prices
from settings import LOCAL_OWNER, AlpacaSettings, Settings
from tests.support.aws import FAKE_AWS_ENV, moto_server
from tests.support.live_server import closed_port

PRICES = sp500_prices().loc["2022-06-01":]
START = datetime(2022, 6, 1, tzinfo=UTC)
FRIDAY_EVENING = datetime(2022, 7, 1, 21, 0, tzinfo=UTC)  # after the close; Monday is July 4th
TUESDAY_NIGHT = datetime(2022, 7, 5, 23, 0, tzinfo=UTC)
FRIDAY_NIGHT = datetime(2022, 7, 8, 23, 0, tzinfo=UTC)
SECRET = "s3cr3t-alpaca-secret-key-for-tests"


@pytest.fixture(autouse=True)
def _no_sleeping_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """alpaca-py sleeps between its own retries: make any such sleep fail the test."""

    def sleep(seconds: float) -> None:
        raise AssertionError(f"alpaca-py slept {seconds} s to retry")

    monkeypatch.setattr("alpaca.common.rest.time", types.SimpleNamespace(sleep=sleep), raising=True)


def _stand_in(cash: float = 100_000.0, **options: object) -> LocalAlpaca:
    paper = PaperBroker(PRICES, **options)  # type: ignore[arg-type]
    paper.deposit(cash, START)
    stand_in = LocalAlpaca(paper, key_id="AKTEST", secret_key=SECRET).start()
    stand_in.advance(FRIDAY_EVENING)
    return stand_in


@pytest.fixture
def alpaca() -> Iterator[LocalAlpaca]:
    stand_in = _stand_in()
    yield stand_in
    stand_in.close()


def _adapter(stand_in: LocalAlpaca, **options: object) -> AlpacaBroker:
    return AlpacaBroker(
        stand_in.key_id,
        SecretStr(stand_in.secret_key),
        url_override=stand_in.url,
        **options,  # type: ignore[arg-type]
    )


def _posts(stand_in: LocalAlpaca) -> int:
    return stand_in.requests.count(("POST", "/v2/orders"))


def test_a_buy_fills_at_the_paper_brokers_price_and_the_account_follows(
    alpaca: LocalAlpaca,
) -> None:
    broker = _adapter(alpaca)
    paper = alpaca.account.broker
    assert (broker.name, broker.fractional) == ("alpaca", True)
    placed = broker.submit(OrderRequest("run1-AAPL", "AAPL", "buy", 12.5))
    assert placed == BrokerOrder("run1-AAPL", "AAPL", "buy", 12.5, "new", FRIDAY_EVENING)
    (paper_fill,) = alpaca.advance(TUESDAY_NIGHT)
    order = broker.order("run1-AAPL")
    assert (order.status, order.filled_quantity, order.is_final) == ("filled", 12.5, True)
    assert order.average_fill_price == paper_fill.price  # exact: numbers travel as repr strings
    (fill,) = broker.fills()
    assert (fill.order_id, fill.symbol, fill.side, fill.quantity) == (
        "run1-AAPL",
        "AAPL",
        "buy",
        12.5,
    )
    assert (fill.price, fill.time, fill.fee) == (paper_fill.price, paper_fill.time, 0.0)
    account = broker.account()
    assert (account.cash, account.positions) == (paper.account().cash, paper.account().positions)
    assert account.positions == {"AAPL": 12.5}
    # Alpaca's equity (the shares at the last bar) and buying power (a cash account's: its cash)
    last = paper.price("AAPL", TUESDAY_NIGHT)
    assert last is not None and account.equity == pytest.approx(account.cash + 12.5 * last)
    assert account.buying_power == account.cash


def test_a_sell_after_buys_and_fills_since_a_time(alpaca: LocalAlpaca) -> None:
    broker = _adapter(alpaca)
    broker.submit(OrderRequest("run1-MSFT", "MSFT", "buy", 20))
    broker.submit(OrderRequest("run1-JNJ", "JNJ", "buy", 5))
    alpaca.advance(TUESDAY_NIGHT)
    broker.submit(OrderRequest("run2-MSFT", "MSFT", "sell", 8))
    alpaca.advance(FRIDAY_NIGHT)
    assert broker.order("run2-MSFT").status == "filled"
    assert broker.account().positions == {"MSFT": 12, "JNJ": 5}
    state, paper = broker.account(), alpaca.account.broker.account()
    assert (state.cash, state.positions) == (paper.cash, paper.positions)
    fills = broker.fills()
    assert [(f.order_id, f.side, f.quantity) for f in fills] == [
        ("run1-MSFT", "buy", 20),
        ("run1-JNJ", "buy", 5),
        ("run2-MSFT", "sell", 8),
    ]
    assert [f.price for f in fills] == [f.price for f in alpaca.account.broker.fills()]
    assert broker.fills(since=fills[1].time) == [fills[2]]


def test_partial_fills_one_activity_per_execution_then_cancel_the_rest() -> None:
    with _stand_in(fractional=False, max_fill_fraction=0.4) as stand_in:
        broker = _adapter(stand_in)
        assert broker.fractional is False
        broker.submit(OrderRequest("run1-JNJ", "JNJ", "buy", 10))
        stand_in.advance(datetime(2022, 7, 6, 23, tzinfo=UTC))
        order = broker.order("run1-JNJ")
        assert (order.status, order.filled_quantity) == ("partially_filled", 8)
        paper_fills = stand_in.account.broker.fills()
        assert order.average_fill_price == pytest.approx(
            sum(f.quantity * f.price for f in paper_fills) / 8, rel=1e-12
        )
        assert [f.quantity for f in broker.fills()] == [4, 4]
        canceled = broker.cancel("run1-JNJ")
        assert (canceled.status, canceled.reason, canceled.filled_quantity) == (
            "canceled",
            "canceled",
            8,
        )
        stand_in.advance(FRIDAY_NIGHT)
        assert broker.account().positions == {"JNJ": 8}
        assert broker.cancel("run1-JNJ") == canceled  # final: returned as it is


def test_fills_page_through_the_activities_and_name_orders_placed_by_another_client(
    alpaca: LocalAlpaca, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _adapter(alpaca)
    for symbol in ("AAPL", "MSFT", "JNJ", "XOM", "PG"):
        first.submit(OrderRequest(f"run1-{symbol}", symbol, "buy", 3))
    alpaca.advance(TUESDAY_NIGHT)
    monkeypatch.setattr(alpaca_module, "ACTIVITIES_PAGE_SIZE", 2)
    fresh = _adapter(alpaca)  # knows none of the orders: asks Alpaca for each order's client id
    fills = fresh.fills()
    assert [f.order_id for f in fills] == [
        f"run1-{s}" for s in ("AAPL", "MSFT", "JNJ", "XOM", "PG")
    ]
    assert len({f.fill_id for f in fills}) == 5
    activity_pages = [r for r in alpaca.requests if r[1] == "/v2/account/activities/FILL"]
    assert len(activity_pages) == 3  # 2 + 2 + 1
    assert alpaca.requests.count(("GET", "/v2/orders:by_client_order_id")) == 0
    assert sum(path.startswith("/v2/orders/") for _, path in alpaca.requests) == 5


def test_the_same_client_order_id_twice_places_one_order(alpaca: LocalAlpaca) -> None:
    broker = _adapter(alpaca)
    first = broker.submit(OrderRequest("run1-XOM", "XOM", "buy", 7))
    again = broker.submit(OrderRequest("run1-XOM", "XOM", "buy", 7))
    assert again == first
    assert _posts(alpaca) == 2  # Alpaca refused the second (422) and the adapter fetched the first
    alpaca.advance(TUESDAY_NIGHT)
    assert broker.submit(OrderRequest("run1-XOM", "XOM", "buy", 7)).status == "filled"
    alpaca.advance(FRIDAY_NIGHT)
    assert len(alpaca.account.broker.fills()) == 1
    assert broker.account().positions == {"XOM": 7}


def test_a_submission_whose_answer_was_lost_is_retried_without_a_second_order(
    alpaca: LocalAlpaca,
) -> None:
    broker = _adapter(alpaca)
    alpaca.fail_next(1, 503, after_handling=True)  # the order is placed, the answer is a 503
    with pytest.raises(BrokerUnavailableError, match="503") as raised:
        broker.submit(OrderRequest("run1-PG", "PG", "buy", 4))
    assert raised.value.retryable
    retried = broker.submit(OrderRequest("run1-PG", "PG", "buy", 4))
    assert (retried.client_order_id, retried.status) == ("run1-PG", "new")
    assert alpaca.account.broker.open_orders() == [alpaca.account.broker.order("run1-PG")]
    alpaca.advance(TUESDAY_NIGHT)
    assert broker.account().positions == {"PG": 4}


def test_a_refused_order_carries_alpacas_message(alpaca: LocalAlpaca) -> None:
    broker = _adapter(alpaca)
    with pytest.raises(
        BrokerRejectedError, match=r"403\): AAPL: sell of 5 but 0 are held"
    ) as raised:
        broker.submit(OrderRequest("run1-AAPL", "AAPL", "sell", 5))
    assert not raised.value.retryable
    with pytest.raises(BrokerRejectedError, match=r"404\): order not found"):
        broker.order("never-placed")
    with pytest.raises(BrokerRejectedError, match="unknown symbol 'NOPE'"):
        broker.submit(OrderRequest("run1-NOPE", "NOPE", "buy", 1))


def test_a_fractional_order_on_a_whole_share_account_is_refused_before_it_is_sent() -> None:
    with _stand_in(fractional=False) as stand_in:
        broker = _adapter(stand_in)
        with pytest.raises(BrokerRejectedError, match=r"fractional quantity 2\.5"):
            broker.submit(OrderRequest("run1-AAPL", "AAPL", "buy", 2.5))
        with pytest.raises(BrokerRejectedError, match="quantity must be positive"):
            broker.submit(OrderRequest("run1-AAPL", "AAPL", "buy", 0))
        assert _posts(stand_in) == 0


@pytest.mark.parametrize("status", [429, 500, 503, 504])
def test_server_errors_and_throttling_are_unavailable_at_once(
    alpaca: LocalAlpaca, status: int
) -> None:
    broker = _adapter(alpaca)
    alpaca.fail_next(1, status)
    with pytest.raises(BrokerUnavailableError, match=f"answered {status}") as raised:
        broker.submit(OrderRequest("run1-AAPL", "AAPL", "buy", 1))
    assert raised.value.retryable
    assert _posts(alpaca) == 1  # alpaca-py did not retry (nor sleep)
    assert alpaca.account.broker.open_orders() == []
    assert broker.submit(OrderRequest("run1-AAPL", "AAPL", "buy", 1)).status == "new"


def test_an_unreachable_server_is_unavailable() -> None:
    with closed_port() as port:
        closed = f"http://127.0.0.1:{port}"
        with pytest.raises(
            BrokerUnavailableError,
            match=r"unreachable \(read the account configuration\): ConnectionError",
        ):
            AlpacaBroker("AKTEST", SecretStr(SECRET), url_override=closed)
        broker = AlpacaBroker("AKTEST", SecretStr(SECRET), url_override=closed, fractional=True)
        with pytest.raises(BrokerUnavailableError, match="ConnectionError"):
            broker.account()


def test_a_server_that_never_answers_times_out() -> None:
    with socket.socket() as silent:  # accepts connections (the backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        broker = AlpacaBroker(
            "AKTEST", SecretStr(SECRET), url_override=url, fractional=True, timeout=(1.0, 0.05)
        )
        with pytest.raises(BrokerUnavailableError, match="ReadTimeout"):
            broker.account()


def test_wrong_keys_are_refused_and_no_secret_shows_anywhere(
    alpaca: LocalAlpaca, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "wr0ng-secret-that-must-not-leak"
    with pytest.raises(BrokerRejectedError, match=r"401\): request is not authorized") as raised:
        AlpacaBroker(alpaca.key_id, SecretStr(wrong), url_override=alpaca.url)
    error = raised.value
    assert error.__cause__ is None and error.__context__ is None  # nothing holding the headers
    broker = _adapter(alpaca)
    alpaca.fail_next(1, 503)
    with pytest.raises(BrokerUnavailableError) as unavailable:
        broker.account()
    shown = [str(error), repr(error), str(unavailable.value), repr(broker), caplog.text]
    for secret in (wrong, SECRET):
        assert all(secret not in text for text in shown)
    assert unavailable.value.__cause__ is None and unavailable.value.__context__ is None


def test_alpaca_statuses_map_to_ours() -> None:
    assert order_status("filled", 3) == ("filled", None)
    assert order_status("partially_filled", 1) == ("partially_filled", None)
    assert order_status("rejected", 0) == ("rejected", "rejected")
    for final in ("canceled", "expired", "done_for_day"):
        assert order_status(final, 2) == ("canceled", final)
    for pending in ("accepted", "pending_new", "held", "pending_cancel", "new"):
        assert order_status(pending, 0) == ("new", None)
    assert order_status("pending_cancel", 2) == ("partially_filled", None)


# -- keys from the settings and Secrets Manager ------------------------------------------------


def test_missing_keys_are_named() -> None:
    with pytest.raises(
        BrokerConfigurationError,
        match="set STRATIGOS_ALPACA_KEY_ID and STRATIGOS_ALPACA_SECRET_KEY, or STRATIGOS_ALPACA_SECRET_ARN",
    ):
        alpaca_broker(Settings(), owner=LOCAL_OWNER)
    with pytest.raises(BrokerConfigurationError, match=r"set STRATIGOS_ALPACA_SECRET_KEY, or"):
        alpaca_keys(Settings(alpaca=AlpacaSettings(key_id="AKTEST")), LOCAL_OWNER)  # type: ignore[arg-type]


def test_the_factory_reads_the_settings(alpaca: LocalAlpaca) -> None:
    settings = Settings(
        alpaca=AlpacaSettings(
            key_id=alpaca.key_id,  # type: ignore[arg-type]
            secret_key=SECRET,  # type: ignore[arg-type]
            base_url=alpaca.url,
        )
    )
    assert SECRET not in repr(settings)
    broker = alpaca_broker(settings, owner=LOCAL_OWNER)
    assert (broker.base_url, broker.paper) == (alpaca.url, True)
    assert broker.account().cash == 100_000


@pytest.fixture(scope="module")
def secrets_manager() -> Iterator[str]:
    with moto_server() as url:
        yield url


@pytest.fixture
def aws(secrets_manager: str, monkeypatch: pytest.MonkeyPatch) -> str:
    for key, value in FAKE_AWS_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", secrets_manager)
    return secrets_manager


def _secret(endpoint: str, value: str) -> str:
    client = boto3.client("secretsmanager", region_name="us-east-1", endpoint_url=endpoint)
    name = f"stratigos/alpaca-{uuid.uuid4().hex[:8]}"
    return str(client.create_secret(Name=name, SecretString=value)["ARN"])


def test_keys_from_secrets_manager(alpaca: LocalAlpaca, aws: str) -> None:
    arn = _secret(aws, json.dumps({"key_id": alpaca.key_id, "secret_key": SECRET}))
    settings = Settings(
        alpaca=AlpacaSettings(
            secret_arn=arn,
            key_id="ignored",  # type: ignore[arg-type]
            secret_key="ignored",  # type: ignore[arg-type]
            base_url=alpaca.url,
        )
    )
    assert alpaca_keys(settings, LOCAL_OWNER)[0] == alpaca.key_id
    broker = alpaca_broker(settings, owner=LOCAL_OWNER)
    broker.submit(OrderRequest("run1-AAPL", "AAPL", "buy", 1))
    assert alpaca.account.broker.order("run1-AAPL").status == "new"


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("not json " + SECRET, "not a JSON object with key_id and secret_key"),
        (json.dumps({"key_id": "AKTEST"}), "not a JSON object with key_id and secret_key"),
        (json.dumps({"key_id": "AKTEST", "secret_key": ""}), "empty key_id or secret_key"),
    ],
)
def test_an_unusable_secret_is_named_without_its_value(aws: str, value: str, problem: str) -> None:
    arn = _secret(aws, value)
    with pytest.raises(BrokerConfigurationError, match=problem) as raised:
        alpaca_keys(Settings(alpaca=AlpacaSettings(secret_arn=arn)), LOCAL_OWNER)
    assert arn in str(raised.value) and SECRET not in str(raised.value)


def test_a_missing_secret_is_named(aws: str) -> None:
    arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:stratigos/none-AbCdEf"
    with pytest.raises(BrokerConfigurationError, match="ResourceNotFoundException"):
        alpaca_keys(Settings(alpaca=AlpacaSettings(secret_arn=arn)), LOCAL_OWNER)


# -- tenancy: which account an owner may trade -------------------------------------------------


def test_the_configured_account_is_its_owners_only(alpaca: LocalAlpaca) -> None:
    settings = Settings(
        alpaca=AlpacaSettings(
            key_id=alpaca.key_id,  # type: ignore[arg-type]
            secret_key=SECRET,  # type: ignore[arg-type]
            base_url=alpaca.url,
            owner="alice",
        )
    )
    assert alpaca_broker(settings, owner="alice").account_number() == "PA0000LOCAL"
    for other in ("bob", LOCAL_OWNER):
        with pytest.raises(
            BrokerConfigurationError, match=f"no Alpaca account is configured for owner '{other}'"
        ) as raised:
            alpaca_keys(settings, other)
        assert SECRET not in str(raised.value) and "{owner}" in str(raised.value)


def test_a_per_owner_secret_resolves_to_that_owners_secret(alpaca: LocalAlpaca, aws: str) -> None:
    client = boto3.client("secretsmanager", region_name="us-east-1", endpoint_url=aws)
    prefix = f"stratigos/alpaca-{uuid.uuid4().hex[:8]}"
    alice = client.create_secret(
        Name=f"{prefix}/alice",
        SecretString=json.dumps({"key_id": alpaca.key_id, "secret_key": SECRET}),
    )["ARN"]
    client.create_secret(
        Name=f"{prefix}/bob", SecretString=json.dumps({"key_id": "AKBOB", "secret_key": "bob-s"})
    )
    template = alice.rsplit(":", 1)[0] + f":{prefix}/{{owner}}"  # a partial ARN, no suffix
    settings = Settings(
        alpaca=AlpacaSettings(secret_arn=template, owner="nobody-uses-this", base_url=alpaca.url)
    )
    assert alpaca_keys(settings, "alice")[0] == alpaca.key_id
    assert alpaca_keys(settings, "bob") == ("AKBOB", SecretStr("bob-s"))
    assert alpaca_broker(settings, owner="alice").account().cash == 100_000
    with pytest.raises(BrokerConfigurationError, match="ResourceNotFoundException"):
        alpaca_keys(settings, "carol")  # no secret of hers
    with pytest.raises(BrokerConfigurationError, match="cannot name a Secrets Manager secret"):
        alpaca_keys(settings, "alice/../bob")
    # an owner named like alice's secret with its random suffix: the partial ARN would match it
    suffixed = "alice" + alice[alice.rindex("-") :]
    with pytest.raises(BrokerConfigurationError, match="not this owner's") as refused:
        alpaca_keys(settings, suffixed)
    assert SECRET not in str(refused.value)
