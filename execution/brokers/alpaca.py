"""The Alpaca broker: the `Broker` interface over alpaca-py's `TradingClient` (trading API v2).

Paper endpoint by default (`paper=True`); `url_override` points it elsewhere (e.g. the loopback
stand-in `devtools.local_alpaca`). Orders are market orders by quantity, good for the day
(`time_in_force=day`, which Alpaca requires of fractional orders), with our client order id
passed through; fractional quantities only when the account's configuration allows them
(`fractional_trading`, read once when the broker is created, unless given).

Idempotency: Alpaca refuses a second order under a client order id it has seen (HTTP 422,
"client_order_id must be unique"); `submit` then fetches the order already placed under that id
(`GET /v2/orders:by_client_order_id`) and returns it, so a retried or duplicated submission never
places a second order, even when the first one's answer was lost.

Statuses: filled, partially_filled and rejected keep their names; canceled, expired and
done_for_day become canceled (and rejected orders rejected) with Alpaca's status as the reason;
every other status (accepted, pending_new, pending_cancel, held, ...) is new, or
partially_filled once some shares have filled.

Errors (`execution.brokers.alpaca_http`): a 4xx answer other than 429 raises
`BrokerRejectedError` with Alpaca's message; 5xx, 429 and connection failures or timeouts raise
`BrokerUnavailableError`. alpaca-py would retry 429 and 504 answers itself, sleeping 3 s between
3 attempts, and `TradingClient` takes no argument to change that: the adapter sets the client's
retry count to 0 (its `_retry` attribute) so that the order queue's retry policy is the only
one. alpaca-py sends requests without a timeout; the adapter mounts a requests adapter with
`timeout` (connect, read seconds) on the client's session.

Fills come from the account activities of type FILL (`GET /v2/account/activities/FILL`, one
activity per execution, so a partially filled order has several), which alpaca-py's
`TradingClient` has no method for: the adapter calls that endpoint through the client's `get` and
reads the answer with alpaca-py's `TradeActivity` model. Fees are 0: Alpaca's equity trading is
commission-free (the regulatory pass-through fees appear as separate FEE activities, which are
not fills).

Options: an order with a position intent (`OrderRequest.intent`) is an option order on an OCC
symbol, a market or limit order of whole contracts, for the day, with its `position_intent`;
`options_level` is the account's `options_trading_level` (the lesser of the approved level and
the configured maximum), and an order the level does not allow is refused before it is sent,
naming both levels (`OPTIONS_LEVEL_NEEDED`). The account holds both instrument kinds, seen
through one object per kind: this one is its stock account (option positions, ``asset_class``
us_option, short ones negative, are `option_positions`, never `account().positions`, and option
executions are `option_fills`, never `fills`: the stock ledger and its reconciliation see shares
only), and the options account over it reads those. `option_fills` also reads what settled at expiry, Alpaca's non-trade activities OPEXP (expired), OPEXC (a long
exercised) and OPASN (a short assigned) (`GET /v2/account/activities?activity_types=...`), as
`expiry`, `exercise` and `assignment` entries closing the contracts, at the price per share the
activity's `net_amount` makes (0 at Alpaca, which delivers the underlying's shares on exercise
and assignment in a separate OPTRD activity), timed at 16:00 New York on the activity's date.
`listed_contract` picks the listed contract nearest to a wanted one through
`GET /v2/options/contracts` (see its docstring for the rule).

Secrets: the key id and secret key go to the client and nowhere else: not in this object's repr,
not in any error (`execution.brokers.alpaca_http`).
"""

from __future__ import annotations

import json
import math
import string
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from typing import Any, TypeVar, cast
from uuid import UUID
from zoneinfo import ZoneInfo

from alpaca.common.enums import BaseURL, Sort
from alpaca.trading.client import TradingClient
from alpaca.trading.enums import (
    AssetClass,
    ContractType,
    OrderSide,
    PositionIntent,
    QueryOrderStatus,
    TimeInForce,
)
from alpaca.trading.models import (
    AccountConfiguration,
    NonTradeActivity,
    OptionContractsResponse,
    Order,
    Position,
    TradeAccount,
)
from alpaca.trading.models import TradeActivity as AlpacaActivity
from alpaca.trading.requests import (
    GetOptionContractsRequest,
    GetOrdersRequest,
    LimitOrderRequest,
    MarketOrderRequest,
)
from pydantic import SecretStr

from execution.brokers.alpaca_http import Failure, activity_pages, attempt, called, quiet
from execution.brokers.base import (
    AccountState,
    BrokerOrder,
    OrderRequest,
    OrderStatus,
)
from execution.errors import (
    BrokerConfigurationError,
    BrokerRejectedError,
    BrokerUnavailableError,
)
from execution.ledger import Fill, FillEvent
from execution.options import (
    CONTRACT_MULTIPLIER,
    OPTIONS_LEVEL_NEEDED,
    OptionContract,
    is_option_symbol,
)
from settings import Settings

T = TypeVar("T")

ACTIVITIES_PAGE_SIZE = 100
"""Activities per page (Alpaca's maximum)."""

SETTLEMENT_EVENTS: dict[str, FillEvent] = {
    "OPEXP": "expiry",
    "OPEXC": "exercise",
    "OPASN": "assignment",
}
"""Alpaca's non-trade activity types of option settlements and the ledger's events."""
SETTLEMENT_TIME = time(16, 0, tzinfo=ZoneInfo("America/New_York"))
"""When a settlement dated by Alpaca (a day, no time) is recorded: that day's close."""
EXPIRY_SEARCH_DAYS = 31
"""How far after the wanted expiry `listed_contract` looks for a listed one (days)."""
STRIKE_SEARCH_BAND = 0.10
"""How far from the wanted strike `listed_contract` looks (fraction of the strike)."""
CONTRACTS_PAGE_SIZE = 1000
"""Contracts asked per page of `/v2/options/contracts`."""
OPEN_ORDERS_LIMIT = 500
"""Open orders read at most (Alpaca's maximum per request)."""

_CANCELED = {"canceled", "expired", "done_for_day"}
_KEPT: set[str] = {"filled", "partially_filled", "rejected"}


def order_status(alpaca_status: str, filled_quantity: float) -> tuple[OrderStatus, str | None]:
    """Our status and reason for an Alpaca order status (see the module docstring)."""
    if alpaca_status in _CANCELED:
        return "canceled", alpaca_status
    if alpaca_status == "rejected":
        return "rejected", alpaca_status
    if alpaca_status in _KEPT:
        return cast(OrderStatus, alpaca_status), None
    return ("partially_filled" if filled_quantity > 0 else "new"), None


class AlpacaBroker:
    """An Alpaca brokerage account (paper by default) as a `Broker` (see the module docstring).

    `timeout` is (connect, read) seconds per HTTP request; `fractional` None asks the account
    whether it may trade fractional shares.
    """

    name = "alpaca"

    def __init__(
        self,
        key_id: str,
        secret_key: SecretStr,
        *,
        paper: bool = True,
        url_override: str | None = None,
        fractional: bool | None = None,
        timeout: tuple[float, float] = (5.0, 30.0),
    ) -> None:
        if not key_id or not secret_key.get_secret_value():
            raise BrokerConfigurationError("Alpaca needs a key id and a secret key")
        self.paper = paper
        self.base_url = url_override or str(
            (BaseURL.TRADING_PAPER if paper else BaseURL.TRADING_LIVE).value
        )
        self._client = TradingClient(
            api_key=key_id,
            secret_key=secret_key.get_secret_value(),
            paper=paper,
            url_override=url_override,
        )
        quiet(self._client, timeout)  # no sleeping retries inside alpaca-py
        self._client_ids: dict[UUID, str] = {}
        if fractional is None:
            configuration = cast(
                AccountConfiguration,
                self._call(
                    "read the account configuration", self._client.get_account_configurations
                ),
            )
            fractional = configuration.fractional_trading
        self.fractional = fractional

    def __repr__(self) -> str:
        return f"AlpacaBroker(base_url={self.base_url!r}, paper={self.paper})"

    # -- the account -------------------------------------------------------------------------
    def account(self) -> AccountState:
        """Cash and shares held now (short positions, which this project never opens, would
        show as negative quantities), the account's equity and buying power."""
        account = cast(TradeAccount, self._call("read the account", self._client.get_account))
        return AccountState(
            cash=float(account.cash or 0.0),
            positions={
                position.symbol: float(position.qty)
                for position in self._positions()
                if position.asset_class != AssetClass.US_OPTION
            },
            equity=None if account.equity is None else float(account.equity),
            buying_power=None if account.buying_power is None else float(account.buying_power),
        )

    def _positions(self) -> list[Position]:
        return cast(
            list[Position], self._call("read the positions", self._client.get_all_positions)
        )

    def options_level(self) -> int:
        """The account's effective options trading level (0: no options)."""
        account = cast(TradeAccount, self._call("read the account", self._client.get_account))
        return int(account.options_trading_level or 0)

    def option_positions(self) -> dict[str, int]:
        """Contracts held per OCC symbol (short positions negative)."""
        out = {}
        for position in self._positions():
            if position.asset_class == AssetClass.US_OPTION:
                contracts = round(abs(float(position.qty)))
                out[position.symbol] = -contracts if position.side.value == "short" else contracts
        return out

    def account_number(self) -> str:
        """Alpaca's number of the account (e.g. ``PA...`` on the paper endpoint): what tells
        one account from another across keys."""
        account = cast(TradeAccount, self._call("read the account", self._client.get_account))
        return account.account_number

    def open_orders(self) -> list[BrokerOrder]:
        """The account's orders not yet final (ours or not), oldest first, at most
        `OPEN_ORDERS_LIMIT` of them."""
        request = GetOrdersRequest(
            status=QueryOrderStatus.OPEN, direction=Sort.ASC, limit=OPEN_ORDERS_LIMIT
        )
        orders = cast(
            list[Order],
            self._call("read the open orders", lambda: self._client.get_orders(request)),
        )
        return [self._order(order) for order in orders]

    def fills(self, since: datetime | None = None) -> list[Fill]:
        """The account's executions of shares (after `since`, if given), oldest first, each
        with the client order id of its order and fee 0 (commission-free)."""
        return [fill for fill in self._executions(since) if not is_option_symbol(fill.symbol)]

    def option_fills(self, since: datetime | None = None) -> list[Fill]:
        """The account's option executions (after `since`: `trade` fills of contracts at the
        premium per share, fee 0) and settlements (`option_settlements`), oldest first."""
        trades = [fill for fill in self._executions(since) if is_option_symbol(fill.symbol)]
        return sorted(trades + self.option_settlements(since), key=lambda f: f.time)

    def option_settlements(self, since: datetime | None = None) -> list[Fill]:
        """The account's option settlements at expiry (at or after `since`), oldest first (see
        the module docstring)."""
        params = {"activity_types": ",".join(SETTLEMENT_EVENTS)}
        pages = activity_pages(
            self.base_url,
            "read the account's option settlements",
            lambda query: self._client.get("/account/activities", query),
            params,
            ACTIVITIES_PAGE_SIZE,
        )
        out = []
        for activity in (NonTradeActivity(**item) for item in pages):
            when = datetime.combine(activity.date, SETTLEMENT_TIME).astimezone(UTC)
            contracts = round(abs(float(activity.qty or 0.0)))
            if (since is not None and when < since) or contracts == 0 or not activity.symbol:
                continue
            out.append(
                Fill(
                    activity.id,
                    activity.id,
                    activity.symbol,
                    "sell" if float(activity.qty or 0.0) < 0 else "buy",
                    contracts,
                    abs(float(activity.net_amount)) / (contracts * CONTRACT_MULTIPLIER),
                    0.0,
                    when,
                    SETTLEMENT_EVENTS[activity.activity_type.value],
                )
            )
        return out

    def listed_contract(self, wanted: OptionContract) -> OptionContract:
        """The listed, tradable contract to trade for `wanted` (same underlying and kind): the
        nearest listed expiry on or after `wanted.expiry` (up to `EXPIRY_SEARCH_DAYS` later),
        then, among that expiry's contracts, the strike nearest `wanted.strike` (within
        `STRIKE_SEARCH_BAND` of it; a tie goes to the lower strike). `BrokerRejectedError`
        when none is listed there."""
        band = wanted.strike * STRIKE_SEARCH_BAND
        request = GetOptionContractsRequest(
            underlying_symbols=[wanted.underlying],
            type=ContractType(wanted.kind),
            expiration_date_gte=wanted.expiry,
            expiration_date_lte=wanted.expiry + timedelta(days=EXPIRY_SEARCH_DAYS),
            strike_price_gte=f"{wanted.strike - band:.3f}",
            strike_price_lte=f"{wanted.strike + band:.3f}",
            limit=CONTRACTS_PAGE_SIZE,
        )
        listed: list[tuple[date, float]] = []
        while True:
            page = cast(
                OptionContractsResponse,
                self._call(
                    "read the listed option contracts",
                    partial(self._client.get_option_contracts, request),
                ),
            )
            listed += [
                (c.expiration_date, float(c.strike_price))
                for c in page.option_contracts or []
                if c.tradable and c.underlying_symbol == wanted.underlying
                and c.type.value == wanted.kind and c.expiration_date >= wanted.expiry
            ]  # fmt: skip
            if not page.next_page_token:
                break
            request = request.model_copy(update={"page_token": page.next_page_token})
        if not listed:
            raise BrokerRejectedError(
                f"no listed {wanted.underlying} {wanted.kind} expires from {wanted.expiry} to "
                f"{wanted.expiry + timedelta(days=EXPIRY_SEARCH_DAYS)} with a strike within "
                f"{STRIKE_SEARCH_BAND:.0%} of {wanted.strike:g}"
            )
        expiry = min(e for e, _ in listed)
        strike = min(
            (k for e, k in listed if e == expiry), key=lambda k: (abs(k - wanted.strike), k)
        )
        return OptionContract(wanted.underlying, expiry, wanted.kind, strike)

    def _executions(self, since: datetime | None) -> list[Fill]:
        params: dict[str, Any] = {} if since is None else {"after": since.isoformat()}
        pages = activity_pages(
            self.base_url,
            "read the account's fills",
            lambda query: self._client.get("/account/activities/FILL", query),
            params,
            ACTIVITIES_PAGE_SIZE,
        )
        activities = [AlpacaActivity(**item) for item in pages]
        return [
            Fill(
                fill_id=activity.id,
                order_id=self._client_order_id(activity.order_id),
                symbol=activity.symbol,
                side=activity.side.value,
                quantity=float(activity.qty),
                price=float(activity.price),
                fee=0.0,
                time=activity.transaction_time,
            )
            for activity in activities
            if since is None or activity.transaction_time > since
        ]

    # -- orders ------------------------------------------------------------------------------
    def submit(self, request: OrderRequest) -> BrokerOrder:
        """Place a market order for the day (an option order at its `limit_price` if it has
        one), or return the order already placed under its client order id; an option order is
        refused before sending when the account's options level does not allow its intent."""
        fields: dict[str, Any] = {
            "symbol": request.symbol,
            "side": OrderSide(request.side),
            "time_in_force": TimeInForce.DAY,
            "client_order_id": request.client_order_id,
        }
        if request.intent is None:
            self._check_shares(request)
            fields["qty"] = request.quantity
        else:
            self._check_option(request)
            fields["qty"] = round(request.quantity)
            fields["position_intent"] = PositionIntent(request.intent)
        order_request = (
            MarketOrderRequest(**fields)
            if request.limit_price is None
            else LimitOrderRequest(**fields, limit_price=request.limit_price)
        )
        outcome = attempt(lambda: self._client.submit_order(order_request))
        if isinstance(outcome, Failure):
            if outcome.duplicate_client_order_id:
                return self.order(request.client_order_id)
            what = "order" if request.intent is None else "option order"
            raise outcome.error(self.base_url, f"submit {what} {request.client_order_id}")
        return self._order(cast(Order, outcome))

    def _check_shares(self, request: OrderRequest) -> None:
        if not (math.isfinite(request.quantity) and request.quantity > 0):
            raise BrokerRejectedError(f"quantity must be positive, got {request.quantity!r}")
        if not self.fractional and request.quantity != math.floor(request.quantity):
            raise BrokerRejectedError(
                f"{request.symbol}: fractional quantity {request.quantity} on an account without "
                "fractional trading"
            )

    def _check_option(self, request: OrderRequest) -> None:
        needed = OPTIONS_LEVEL_NEEDED.get(request.intent or "")
        if needed is None:
            raise BrokerRejectedError(f"unknown position intent {request.intent!r}")
        if not (request.quantity > 0 and float(request.quantity).is_integer()):
            raise BrokerRejectedError(f"contracts must be a whole number > 0: {request.quantity!r}")
        level = self.options_level()
        if level < needed:
            raise BrokerRejectedError(
                f"{request.intent} of {request.symbol} needs options trading level {needed}; "
                f"the Alpaca account's options_trading_level is {level}"
            )

    def order(self, client_order_id: str) -> BrokerOrder:
        """The order placed under `client_order_id` (`BrokerRejectedError` if there is none)."""
        return self._order(self._alpaca_order(client_order_id))

    def cancel(self, client_order_id: str) -> BrokerOrder:
        """Ask Alpaca to cancel what has not filled and return the order as Alpaca then reports
        it: canceled, or still new while Alpaca's cancelation is pending (it is asynchronous);
        a final order is returned as it is."""
        alpaca_order = self._alpaca_order(client_order_id)
        order = self._order(alpaca_order)
        if order.is_final:
            return order
        outcome = attempt(lambda: self._client.cancel_order_by_id(alpaca_order.id))
        # 422: no longer cancelable (it filled meanwhile): the order as it now is says so
        if isinstance(outcome, Failure) and outcome.status != 422:
            raise outcome.error(self.base_url, f"cancel order {client_order_id}")
        return self.order(client_order_id)

    # -- helpers -----------------------------------------------------------------------------
    def _alpaca_order(self, client_order_id: str) -> Order:
        return cast(
            Order,
            self._call(
                f"read order {client_order_id}",
                lambda: self._client.get_order_by_client_id(client_order_id),
            ),
        )

    def _order(self, order: Order) -> BrokerOrder:
        self._client_ids[order.id] = order.client_order_id
        filled = float(order.filled_qty or 0.0)
        status, reason = order_status(order.status.value, filled)
        return BrokerOrder(
            client_order_id=order.client_order_id,
            symbol=order.symbol or "",
            side=cast(OrderSide, order.side).value,
            quantity=float(order.qty or 0.0),
            status=status,
            submitted_at=order.submitted_at,
            filled_quantity=filled,
            average_fill_price=float(order.filled_avg_price)
            if filled > 0 and order.filled_avg_price is not None
            else None,
            reason=reason,
        )

    def _client_order_id(self, order_id: UUID) -> str:
        """The client order id of Alpaca's order `order_id` (asked once per order)."""
        if order_id not in self._client_ids:
            order = cast(
                Order,
                self._call(
                    f"read order {order_id}", lambda: self._client.get_order_by_id(order_id)
                ),
            )
            self._client_ids[order_id] = order.client_order_id
        return self._client_ids[order_id]

    def _call(self, action: str, call: Callable[[], T]) -> T:
        """`call()`, or the broker error for its failure (`action` says what was being done)."""
        return called(self.base_url, action, call)


OWNER_PLACEHOLDER = "{owner}"
"""In `alpaca_secret_arn`, stands for the owner: each owner's keys are then their own secret."""

_OWNER_CHARACTERS = frozenset(string.ascii_letters + string.digits + "_+=.@-")
"""Characters an owner put in a secret's name may hold: those of a Secrets Manager name but
``/`` (an owner names one secret, never a path to another)."""


def alpaca_keys(settings: Settings, owner: str) -> tuple[str, SecretStr]:
    """The Alpaca key id and secret key of `owner`'s account (tenancy: an owner trades their
    own account only).

    With the placeholder ``{owner}`` in `alpaca_secret_arn`, every owner has their own Secrets
    Manager secret: the ARN with the owner put in. Otherwise the settings configure one account,
    which belongs to `alpaca_owner` (default the local owner) and to nobody else: its keys come
    from the secret `alpaca_secret_arn` when set, else from `alpaca_key_id` and
    `alpaca_secret_key`. A secret is a JSON object ``{"key_id": ..., "secret_key": ...}`` read in
    the ARN's region from boto3's endpoint (``AWS_ENDPOINT_URL_SECRETS_MANAGER`` points it
    elsewhere). `BrokerConfigurationError` names the settings to set when `owner` has no
    account; `BrokerUnavailableError` if Secrets Manager cannot be reached."""
    arn = settings.alpaca.secret_arn
    if arn and OWNER_PLACEHOLDER in arn:
        if not owner or not set(owner) <= _OWNER_CHARACTERS:
            raise BrokerConfigurationError(
                f"owner {owner!r} cannot name a Secrets Manager secret (STRATIGOS_ALPACA_SECRET_ARN "
                f"has {OWNER_PLACEHOLDER}): letters, digits and _+=.@- only"
            )
        secret_id = arn.replace(OWNER_PLACEHOLDER, owner)
        return _keys_from_secret(secret_id, name=secret_id.rpartition(":secret:")[2])
    if owner != settings.alpaca.owner:
        raise BrokerConfigurationError(
            f"no Alpaca account is configured for owner {owner!r}: STRATIGOS_ALPACA_KEY_ID and "
            "STRATIGOS_ALPACA_SECRET_KEY (or STRATIGOS_ALPACA_SECRET_ARN) configure the account "
            "of STRATIGOS_ALPACA_OWNER only; give each owner their own secret with "
            f"{OWNER_PLACEHOLDER} in STRATIGOS_ALPACA_SECRET_ARN"
        )
    if arn:
        return _keys_from_secret(arn)
    keys = {
        "STRATIGOS_ALPACA_KEY_ID": settings.alpaca.key_id,
        "STRATIGOS_ALPACA_SECRET_KEY": settings.alpaca.secret_key,
    }
    missing = [name for name, key in keys.items() if key is None or not key.get_secret_value()]
    if missing:
        raise BrokerConfigurationError(
            f"Alpaca keys are not configured: set {' and '.join(missing)}, or "
            'STRATIGOS_ALPACA_SECRET_ARN (a Secrets Manager secret {"key_id": ..., '
            f'"secret_key": ...}}, per owner with {OWNER_PLACEHOLDER} in it)'
        )
    key_id = cast(SecretStr, settings.alpaca.key_id).get_secret_value()
    return key_id, cast(SecretStr, settings.alpaca.secret_key)


def _keys_from_secret(secret_id: str, *, name: str | None = None) -> tuple[str, SecretStr]:
    """The keys in the secret `secret_id`, which must be named `name` when given (a partial ARN
    also matches a longer name: an owner ``bob-AbCdEf`` must never read ``bob``'s secret, whose
    ARN ends with that random suffix)."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    parts = secret_id.split(":")
    region = parts[3] if secret_id.startswith("arn:") and len(parts) > 3 else None
    client = boto3.client("secretsmanager", region_name=region)
    failure: BrokerConfigurationError | BrokerUnavailableError
    try:
        answer = client.get_secret_value(SecretId=secret_id)
        text = answer.get("SecretString") if name in (None, answer.get("Name")) else None
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "error")
        failure = BrokerConfigurationError(
            f"cannot read the Alpaca keys from STRATIGOS_ALPACA_SECRET_ARN={secret_id}: {code}"
        )
    except BotoCoreError as error:
        failure = BrokerUnavailableError(f"Secrets Manager unreachable ({secret_id}): {error}")
    else:
        if text is None and name is not None:
            raise BrokerConfigurationError(
                f"the secret {secret_id} is named {answer.get('Name')!r}, not {name!r}: not this "
                "owner's"
            )
        try:
            values = json.loads(text or "")
            key_id, secret_key = str(values["key_id"]), str(values["secret_key"])
        except (ValueError, KeyError, TypeError):
            failure = BrokerConfigurationError(
                f"the secret {secret_id} is not a JSON object with key_id and secret_key"
            )
        else:
            if key_id and secret_key:
                return key_id, SecretStr(secret_key)
            failure = BrokerConfigurationError(
                f"the secret {secret_id} has an empty key_id or secret_key"
            )
    raise failure


def alpaca_broker(
    settings: Settings, *, owner: str, fractional: bool | None = None
) -> AlpacaBroker:
    """`owner`'s Alpaca account as a broker, by the `alpaca_*` settings (`STRATIGOS_ALPACA_*`):
    keys from `alpaca_keys`, the paper endpoint unless `alpaca_paper` is false,
    `alpaca_base_url` if set."""
    key_id, secret_key = alpaca_keys(settings, owner)
    return AlpacaBroker(
        key_id,
        secret_key,
        paper=settings.alpaca.paper,
        url_override=settings.alpaca.base_url,
        fractional=fractional,
    )
