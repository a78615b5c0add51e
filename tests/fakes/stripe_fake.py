"""A stateful loopback fake of the Stripe API, for driving the real ``stripe`` SDK in tests.

Start it with ``with FakeStripe(webhook_url=...) as fake:`` and give the SDK
``stripe.StripeClient(fake.api_key, base_addresses={"api": fake.base_url})``.

It serves exactly the calls in ``payments/stripe_gateway.py``, over real HTTP on
127.0.0.1, form-encoded the way stripe-python sends them:

- ``POST /v1/accounts``, ``GET /v1/accounts/{id}``, ``POST /v1/account_links``;
- ``POST /v1/checkout/sessions``, ``GET /v1/checkout/sessions/{id}``,
  ``GET /v1/payment_intents/{id}``;
- ``POST /v1/transfers``, ``GET /v1/transfers/{id}``, ``POST /v1/transfers/{id}/reversals``;
- ``POST /v1/refunds``, ``GET /v1/balance``, ``GET /v1/events``, ``GET /v1/events/{id}``.

Every object starts as a deep copy of Stripe's own example (``tests/fakes/stripe/fixtures3.json``,
copied from Stripe's public OpenAPI repository; its MIT licence sits beside it), so it carries
every key the real one has. ``expand`` works on id fields.

What it enforces, as Stripe does:

- ``Authorization: Bearer <api_key>`` (401 otherwise); unknown top-level parameters and
  missing required ones (400 ``parameter_unknown`` / ``parameter_missing``).
- Idempotency per ``(Stripe-Account, Idempotency-Key)``: the same key on the same endpoint
  with the same parameters replays the first response byte for byte (header
  ``Idempotent-Replayed: true``); a different endpoint or different parameters is a 400
  ``idempotency_error``. Like Stripe, a result is saved once the endpoint starts executing,
  errors included (``balance_insufficient`` is replayed for that key); validation errors
  (unknown, missing or malformed parameters, unknown ids) are not saved.
- ``Stripe-Account`` scoping: an object belongs to the account whose header created it (the
  platform when there was none) and is a 404 ``resource_missing`` under any other.
- Balance: available funds per account and currency (``initial_balance`` for the platform).
  A completed checkout adds its amount (no fees, nothing pending); a transfer subtracts it
  and credits the destination; a reversal puts it back; a refund or dispute subtracts (the
  balance may go negative). A transfer above the available balance is a 400
  ``balance_insufficient``. With ``source_transaction=ch_...`` the limit is instead what is
  left of that charge (amount - refunded - transferred from it and not reversed).
- A transfer's destination must exist and have ``capabilities.transfers == "active"``, else a
  400 ``resource_missing`` / ``insufficient_capabilities_for_transfer``. Accounts start with
  requested capabilities ``inactive``; ``onboard_account`` (or ``update_account`` setting
  charges_enabled or payouts_enabled) activates them.
- Checkout needs ``mode=payment`` and ``line_items[].price_data`` (no stored prices), one
  currency, and a total of at least Stripe's minimum (50 for usd/eur, 30 for gbp):
  400 ``amount_too_small`` otherwise.
- Refunds: 400 ``charge_already_refunded``, ``amount_too_large`` or ``charge_disputed``.

Test controls (Python, not HTTP) change state as the customer or Stripe would, and return
the events they emit: ``complete_checkout``, ``expire_checkout``, ``update_account``,
``onboard_account``, ``reverse_transfer``, ``fail_transfer``, ``refund_charge``,
``dispute_charge``, ``close_dispute``, ``add_balance``. ``fail_next`` injects API errors
(a status, or a dropped connection) and ``delay_next`` slow answers (client timeouts).

Webhooks: every event is kept in ``events``; when ``webhook_url`` is set it is POSTed there,
signed ``Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, f"{t}.{body}")>``. Events
from a test control are delivered in the calling thread before the control returns; events
from an API call are delivered by the server thread right after the response is written
(``wait_for_deliveries()`` joins them). ``hold_webhooks()`` buffers all of them until
``release_webhooks(order=...)`` / ``flush_webhooks()``; ``deliver(event, times=n)`` posts an
event again. ``deliveries`` records each POST and the status the receiver answered.

The hosted pages are real too, for browser tests: ``GET {base_url}/checkout/{cs_id}`` shows a
Pay button that completes the session and redirects to ``success_url`` (with
``{CHECKOUT_SESSION_ID}`` filled in); ``GET {base_url}/connect/onboard/{acct_id}`` completes
onboarding and redirects to the account link's ``return_url``.
"""

from __future__ import annotations

import copy
import fnmatch
import functools
import hashlib
import hmac
import html
import json
import re
import secrets
import string
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import stripe

FIXTURES_PATH = Path(__file__).resolve().parent / "stripe" / "fixtures3.json"
API_VERSION: str = stripe.api_version
WEBHOOK_USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"
_ALPHANUMERIC = string.ascii_letters + string.digits
_MINIMUM_CHARGE = {"usd": 50, "eur": 50, "gbp": 30, "cad": 50, "aud": 50, "chf": 50}
_COUNTRY_CURRENCY = {"US": "usd", "GB": "gbp", "CA": "cad", "AU": "aud", "CH": "chf"}
_EURO_COUNTRIES = {"AT", "BE", "DE", "ES", "FI", "FR", "IE", "IT", "LU", "NL", "PT"}

WebhookTarget = str | Callable[[bytes, dict[str, str]], Any]

_ALLOWED = {
    "accounts": {
        "account_token", "business_profile", "business_type", "capabilities", "company",
        "controller", "country", "default_currency", "documents", "email", "expand",
        "external_account", "groups", "individual", "metadata", "settings", "tos_acceptance",
        "type",
    },
    "account_links": {
        "account", "collect", "collection_options", "expand", "refresh_url", "return_url",
        "type",
    },
    "checkout_sessions": {
        "adaptive_pricing", "after_expiration", "allow_promotion_codes", "automatic_tax",
        "billing_address_collection", "branding_settings", "cancel_url", "client_reference_id",
        "consent_collection", "currency", "custom_fields", "custom_text", "customer",
        "customer_creation", "customer_email", "customer_update", "discounts",
        "excluded_payment_method_types", "expand", "expires_at", "invoice_creation",
        "line_items", "locale", "metadata", "mode", "name_collection", "optional_items",
        "origin_context", "payment_intent_data", "payment_method_collection",
        "payment_method_configuration", "payment_method_data", "payment_method_options",
        "payment_method_types", "permissions", "phone_number_collection",
        "redirect_on_completion", "return_url", "saved_payment_method_options",
        "setup_intent_data", "shipping_address_collection", "shipping_options", "submit_type",
        "subscription_data", "success_url", "tax_id_collection", "ui_mode", "wallet_options",
    },
    "transfers": {
        "amount", "currency", "description", "destination", "expand", "metadata",
        "source_transaction", "source_type", "transfer_group",
    },
    "transfer_reversals": {
        "amount", "description", "expand", "metadata", "refund_application_fee",
    },
    "refunds": {
        "amount", "charge", "currency", "customer", "expand", "instructions_email", "metadata",
        "origin", "payment_intent", "reason", "refund_application_fee", "reverse_transfer",
    },
}  # fmt: skip


@functools.cache
def _fixtures() -> dict[str, Any]:
    return json.loads(FIXTURES_PATH.read_text())["resources"]


def fixture(name: str) -> dict[str, Any]:
    """A deep copy of Stripe's example object ``name`` (a key of ``fixtures3.json``)."""
    return copy.deepcopy(_fixtures()[name])


def new_id(prefix: str, length: int = 24) -> str:
    return f"{prefix}_" + "".join(secrets.choice(_ALPHANUMERIC) for _ in range(length))


def sign(payload: bytes | str, secret: str, timestamp: int | None = None) -> str:
    """A ``Stripe-Signature`` header value for ``payload``, as Stripe computes it."""
    text = payload.decode() if isinstance(payload, bytes) else payload
    stamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{stamp}.{text}".encode(), hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"


def post_signed_event(client, path: str, *, secret: str, event_id: str):
    """POST a minimal signed Stripe event (``balance.available``, which the app
    acknowledges and ignores) to the webhook at ``path`` with a Django test client."""
    payload = json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": "balance.available",
            "created": int(time.time()),
            "data": {"object": {"object": "balance"}},
        }
    )
    return client.post(
        path,
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(payload, secret),
    )


def parse_form(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """``a[b][0][c]=v`` pairs into nested dicts and lists (values stay strings)."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        head, _, rest = key.partition("[")
        parts = [head, *re.findall(r"([^\[\]]*)\]", rest)]
        node = root
        for part in parts[:-1]:
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node = node[part]
        node[parts[-1]] = value
    return _listify(root)


def _listify(value: Any, key: str = "") -> Any:
    if not isinstance(value, dict):
        return value
    items = {k: _listify(v, k) for k, v in value.items()}
    if items and key != "metadata" and all(k.isdigit() for k in items):
        return [items[k] for k in sorted(items, key=int)]
    return items


def _now() -> int:
    return int(time.time())


class StripeFail(Exception):
    """An error response. ``saved``: the idempotency layer stores and replays it."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type_: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        saved: bool = False,
    ):
        super().__init__(message)
        self.status, self.message, self.type, self.code, self.param = (
            status,
            message,
            type_,
            code,
            param,
        )
        self.saved = saved

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"message": self.message, "type": self.type}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        if self.param:
            error["param"] = self.param
        return {"error": error}


@dataclass
class RecordedRequest:
    method: str
    path: str
    params: dict[str, Any]  # form body or query, nested; values are strings as sent
    idempotency_key: str | None  # the SDK generates one for every POST that has none
    stripe_account: str | None
    headers: dict[str, str]  # lower-cased names
    request_id: str
    status: int = 0
    replayed: bool = False


@dataclass
class Delivery:
    event_id: str
    type: str
    attempt: int  # 1 for the first POST of this event, 2 for the next...
    status: int | None  # None: the receiver could not be reached (see ``error``)
    payload: bytes
    signature: str
    response_body: str = ""
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass
class _Injected:
    method: str
    path: str
    status: int
    times: int
    after_processing: bool
    error_type: str
    code: str | None
    message: str
    should_retry: bool | None


@dataclass
class _Delay:
    method: str
    path: str
    seconds: float
    times: int
    after_processing: bool


@dataclass
class _Saved:
    method: str
    path: str
    params: dict[str, Any]
    status: int
    body: bytes
    request_id: str


@dataclass
class _Reply:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    drop: bool = False  # close the connection without answering


@dataclass
class _Ctx:
    params: dict[str, Any]
    account: str | None
    key: str | None
    request_id: str

    @property
    def request(self) -> dict[str, Any]:
        return {"id": self.request_id, "idempotency_key": self.key}


_ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    (method, re.compile(pattern), name)
    for method, pattern, name in [
        ("POST", r"/v1/accounts", "_accounts_create"),
        ("GET", r"/v1/accounts/(?P<obj_id>[^/]+)", "_accounts_retrieve"),
        ("POST", r"/v1/account_links", "_account_links_create"),
        ("POST", r"/v1/checkout/sessions", "_checkout_sessions_create"),
        ("GET", r"/v1/checkout/sessions/(?P<obj_id>[^/]+)", "_checkout_sessions_retrieve"),
        ("GET", r"/v1/payment_intents/(?P<obj_id>[^/]+)", "_payment_intents_retrieve"),
        ("POST", r"/v1/transfers", "_transfers_create"),
        ("GET", r"/v1/transfers/(?P<obj_id>[^/]+)", "_transfers_retrieve"),
        ("POST", r"/v1/transfers/(?P<obj_id>[^/]+)/reversals", "_transfer_reversals_create"),
        ("POST", r"/v1/refunds", "_refunds_create"),
        ("GET", r"/v1/balance", "_balance_retrieve"),
        ("GET", r"/v1/events", "_events_list"),
        ("GET", r"/v1/events/(?P<obj_id>[^/]+)", "_events_retrieve"),
    ]
]


class FakeStripe:
    """See the module docstring. All state is public for assertions; read it between calls."""

    def __init__(
        self,
        webhook_url: WebhookTarget | None = None,
        webhook_secret: str = "whsec_test_fake",  # noqa: S107 - a test-only secret
        api_key: str = "sk_test_fake",
        *,
        initial_balance: dict[str, int] | None = None,
        webhook_timeout: float = 10.0,
    ):
        # A URL, or a callable(payload, headers) returning an int status or a response with
        # ``status_code`` (e.g. Django's test client). It may be changed at any time.
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret
        self.api_key = api_key
        self.webhook_timeout = webhook_timeout
        self.requests: list[RecordedRequest] = []
        self.accounts: dict[str, dict[str, Any]] = {}
        self.account_links: list[dict[str, Any]] = []
        self.checkout_sessions: dict[str, dict[str, Any]] = {}
        self.payment_intents: dict[str, dict[str, Any]] = {}
        self.charges: dict[str, dict[str, Any]] = {}
        self.transfers: dict[str, dict[str, Any]] = {}
        self.transfer_reversals: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        self.disputes: dict[str, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self.deliveries: list[Delivery] = []
        self.delivery_errors: list[BaseException] = []
        # available funds: account (None = platform) -> currency -> minor units
        self.balances: dict[str | None, dict[str, int]] = {None: dict(initial_balance or {})}
        self._objects: dict[str, dict[str, Any]] = {}
        self._owner: dict[str, str | None] = {}
        self._payment_intent_data: dict[str, dict[str, Any]] = {}
        self._line_items: dict[str, list[dict[str, Any]]] = {}
        self._onboarding_urls: dict[str, dict[str, str]] = {}
        self._saved: dict[tuple[str | None, str], _Saved] = {}
        self._injected: list[_Injected] = []
        self._delays: list[_Delay] = []
        self._holding = False
        self._held: list[dict[str, Any]] = []
        self._lock = threading.RLock()
        self._idle = threading.Condition()
        self._in_flight = 0
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the fake is not running; use it as a context manager")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def client(self, **options: Any) -> stripe.StripeClient:
        """A ``stripe.StripeClient`` pointed at this fake (no retries unless asked)."""
        options.setdefault("max_network_retries", 0)
        return stripe.StripeClient(self.api_key, base_addresses={"api": self.base_url}, **options)

    def start(self) -> FakeStripe:
        _fixtures()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="fake-stripe",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> FakeStripe:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- assertions helpers ---------------------------------------------------------------

    def requests_to(self, method: str, path: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == method and r.path == path]

    def events_of(self, type_: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["type"] == type_]

    def balance(self, currency: str = "usd", account: str | None = None) -> int:
        with self._lock:
            return self.balances.get(account, {}).get(currency, 0)

    def add_balance(self, amount: int, currency: str = "usd", account: str | None = None) -> None:
        """Top up available funds directly (no event), like Stripe's 0077 test card."""
        with self._lock:
            self._move(account, currency, amount)

    def fail_next(
        self,
        method: str,
        path: str,
        *,
        status: int = 500,
        times: int = 1,
        after_processing: bool = False,
        error_type: str = "api_error",
        code: str | None = None,
        message: str = "An unknown error occurred (injected by FakeStripe).",
        should_retry: bool | None = None,
    ) -> None:
        """Make the next ``times`` matching API requests fail (``path`` is an fnmatch pattern).

        ``status=0`` drops the connection without a response (the SDK raises
        ``APIConnectionError``). ``after_processing=True`` runs the request first (objects,
        balance, idempotent result and events all happen) and only loses the response, so a
        retry with the same key gets the replay. ``should_retry`` sets ``Stripe-Should-Retry``.
        """
        with self._lock:
            self._injected.append(
                _Injected(
                    method.upper(), path, status, times, after_processing, error_type, code,
                    message, should_retry,
                )
            )  # fmt: skip

    def delay_next(
        self,
        method: str,
        path: str,
        seconds: float,
        *,
        times: int = 1,
        after_processing: bool = True,
    ) -> None:
        """Make the next ``times`` matching API requests answer ``seconds`` late, so a
        client with a shorter timeout gives up on them (``path`` is an fnmatch pattern).

        ``after_processing=True`` (the default, and the dangerous case) runs the request
        at once (objects, balance, idempotent result, events) and only holds the
        response back; ``False`` holds the request before it runs. Either way the lock
        is not held while waiting, so the client's retry is served meanwhile."""
        with self._lock:
            self._delays.append(_Delay(method.upper(), path, seconds, times, after_processing))

    def _take_delay(self, method: str, path: str) -> _Delay | None:
        with self._lock:
            for delay in self._delays:
                if delay.method == method and fnmatch.fnmatchcase(path, delay.path):
                    delay.times -= 1
                    if delay.times <= 0:
                        self._delays.remove(delay)
                    return delay
        return None

    # --- test controls: each mutates state, then delivers its events in this thread --------

    def complete_checkout(
        self, session_id: str, *, email: str = "buyer@example.com", name: str = "Jenny Rosen"
    ) -> list[dict[str, Any]]:
        """The customer pays: a succeeded PaymentIntent and Charge, the session complete and
        paid, the amount added to the balance; emits ``checkout.session.completed``."""
        with self._lock:
            session = self._control_lookup(self.checkout_sessions, session_id)
            if session["status"] != "open":
                raise ValueError(f"{session_id} is {session['status']}, not open")
            account = self._owner[session_id]
            data = self._payment_intent_data.get(session_id, {})
            amount, currency = session["amount_total"], session["currency"]
            intent_id, charge_id, method_id = new_id("pi"), new_id("ch"), new_id("pm")
            metadata = dict(data.get("metadata") or {})
            intent = fixture("payment_intent")
            intent.update(
                id=intent_id, object="payment_intent", amount=amount, amount_capturable=0,
                amount_received=amount, amount_details={"tip": {}},
                automatic_payment_methods=None, canceled_at=None, cancellation_reason=None,
                capture_method="automatic", client_secret=f"{intent_id}_secret_{new_id('s')}",
                confirmation_method="automatic", created=_now(), currency=currency,
                customer=None, description=data.get("description"), last_payment_error=None,
                latest_charge=charge_id, livemode=False, metadata=metadata, next_action=None,
                on_behalf_of=data.get("on_behalf_of"), payment_method=method_id,
                payment_method_configuration_details=None, payment_method_options={},
                payment_method_types=["card"], processing=None,
                receipt_email=data.get("receipt_email"), review=None,
                setup_future_usage=data.get("setup_future_usage"), shipping=None, source=None,
                statement_descriptor=data.get("statement_descriptor"),
                statement_descriptor_suffix=data.get("statement_descriptor_suffix"),
                status="succeeded", transfer_data=data.get("transfer_data"),
                transfer_group=data.get("transfer_group"), excluded_payment_method_types=None,
                customer_account=None, managed_payments=None,
            )  # fmt: skip
            charge = fixture("charge")
            charge.update(
                id=charge_id, object="charge", amount=amount, amount_captured=amount,
                amount_refunded=0, application=None, application_fee=None,
                application_fee_amount=None, balance_transaction=new_id("txn"),
                calculated_statement_descriptor="COCREATE", captured=True, created=_now(),
                currency=currency, customer=None, description=data.get("description"),
                disputed=False, failure_balance_transaction=None, failure_code=None,
                failure_message=None, fraud_details={}, livemode=False, metadata=metadata,
                on_behalf_of=data.get("on_behalf_of"), paid=True, payment_intent=intent_id,
                payment_method=method_id, receipt_email=data.get("receipt_email"),
                receipt_number=None, receipt_url=f"{self.base_url}/receipts/{charge_id}",
                refunded=False, review=None, shipping=None, source=None, source_transfer=None,
                status="succeeded", transfer_data=data.get("transfer_data"),
                transfer_group=data.get("transfer_group"),
                refunds={"data": [], "has_more": False, "object": "list",
                         "url": f"/v1/charges/{charge_id}/refunds"},
            )  # fmt: skip
            charge["billing_details"]["email"] = email
            charge["billing_details"]["name"] = name
            charge["outcome"].update(
                network_status="approved_by_network",
                seller_message="Payment complete.",
                type="authorized",
                risk_level="normal",
            )
            self._store(self.payment_intents, intent, account)
            self._store(self.charges, charge, account)
            session.update(
                status="complete",
                payment_status="paid",
                payment_intent=intent_id,
                customer_details={
                    "address": None, "email": email, "name": name, "phone": None,
                    "tax_exempt": "none", "tax_ids": [], "business_name": None,
                    "individual_name": None,
                },
            )  # fmt: skip
            self._move(account, currency, amount)
            events = [self._event("checkout.session.completed", session, account=account)]
        self._dispatch(events)
        return events

    def expire_checkout(self, session_id: str) -> list[dict[str, Any]]:
        """The session times out: ``status=expired``; emits ``checkout.session.expired``."""
        with self._lock:
            session = self._control_lookup(self.checkout_sessions, session_id)
            if session["status"] != "open":
                raise ValueError(f"{session_id} is {session['status']}, not open")
            session.update(status="expired", url=None)
            account = self._owner[session_id]
            events = [self._event("checkout.session.expired", session, account=account)]
        self._dispatch(events)
        return events

    def update_account(self, account_id: str, **fields: Any) -> list[dict[str, Any]]:
        """Set top-level account fields (``capabilities`` merges); emits ``account.updated``
        as a Connect event (top-level ``"account": account_id``) with previous_attributes.
        Setting charges_enabled or payouts_enabled True also activates the requested
        capabilities and clears requirements, unless ``capabilities`` is given."""
        with self._lock:
            account = self._control_lookup(self.accounts, account_id)
            before = copy.deepcopy(account)
            capabilities = fields.pop("capabilities", None)
            account.update(fields)
            if capabilities is not None:
                account["capabilities"] = {**account["capabilities"], **capabilities}
            elif fields.get("charges_enabled") or fields.get("payouts_enabled"):
                account["capabilities"] = dict.fromkeys(account["capabilities"], "active")
            if account["details_submitted"] and (
                account["charges_enabled"] or account["payouts_enabled"]
            ):
                for name in ("requirements", "future_requirements"):
                    account[name].update(
                        currently_due=[], eventually_due=[], past_due=[], disabled_reason=None
                    )
            previous = {k: v for k, v in before.items() if account.get(k) != v}
            events = [
                self._event("account.updated", account, account=account_id, previous=previous)
            ]
        self._dispatch(events)
        return events

    def onboard_account(self, account_id: str) -> list[dict[str, Any]]:
        """The creator finishes onboarding: details submitted, charges and payouts enabled."""
        return self.update_account(
            account_id, details_submitted=True, charges_enabled=True, payouts_enabled=True
        )

    def reverse_transfer(self, transfer_id: str, amount: int | None = None) -> list[dict[str, Any]]:
        """A reversal (the rest of the transfer by default); emits ``transfer.reversed``."""
        with self._lock:
            transfer = self._control_lookup(self.transfers, transfer_id)
            _, events = self._reverse(transfer, amount, metadata={}, request=None)
        self._dispatch(events)
        return events

    def fail_transfer(self, transfer_id: str) -> list[dict[str, Any]]:
        """Stripe no longer fails transfers; the money comes back as a full reversal."""
        return self.reverse_transfer(transfer_id)

    def refund_charge(self, charge_or_intent_id: str, amount: int | None = None) -> list[dict]:
        """A refund made outside the app (Dashboard); emits ``refund.created`` then
        ``charge.refunded``, exactly like ``POST /v1/refunds``."""
        with self._lock:
            store = self.payment_intents if charge_or_intent_id.startswith("pi_") else self.charges
            obj = self._control_lookup(store, charge_or_intent_id)
            charge = (
                self.charges[obj["latest_charge"]] if obj["object"] == "payment_intent" else obj
            )
            _, events = self._refund(charge, amount, {}, None, request=None)
        self._dispatch(events)
        return events

    def dispute_charge(
        self, charge_id: str, amount: int | None = None, reason: str = "fraudulent"
    ) -> list[dict[str, Any]]:
        """A chargeback: the disputed amount leaves the balance; emits
        ``charge.dispute.created`` (data.object is a Dispute, status ``needs_response``)."""
        with self._lock:
            charge = self._control_lookup(self.charges, charge_id)
            account = self._owner[charge_id]
            dispute = fixture("dispute")
            dispute.update(
                id=new_id("dp"), object="dispute", amount=amount or charge["amount"],
                balance_transactions=[], charge=charge_id, created=_now(),
                currency=charge["currency"], enhanced_eligibility_types=[],
                is_charge_refundable=False, livemode=False, metadata={},
                payment_intent=charge["payment_intent"], reason=reason, status="needs_response",
            )  # fmt: skip
            dispute["evidence_details"].update(
                due_by=_now() + 7 * 86400, has_evidence=False, past_due=False, submission_count=0
            )
            charge["disputed"] = True
            self._store(self.disputes, dispute, account)
            self._move(account, dispute["currency"], -dispute["amount"])
            events = [self._event("charge.dispute.created", dispute, account=account)]
        self._dispatch(events)
        return events

    def close_dispute(self, dispute_id: str, status: str = "lost") -> list[dict[str, Any]]:
        """``won`` returns the funds; emits ``charge.dispute.closed``."""
        with self._lock:
            dispute = self._control_lookup(self.disputes, dispute_id)
            account = self._owner[dispute_id]
            dispute.update(status=status)
            if status == "won":
                self._move(account, dispute["currency"], dispute["amount"])
            events = [self._event("charge.dispute.closed", dispute, account=account)]
        self._dispatch(events)
        return events

    # --- webhook delivery -----------------------------------------------------------------

    def hold_webhooks(self, order: str = "as_created") -> _Hold:
        """Buffer every event from now on (controls and API alike). Usable bare or as a
        context manager; leaving the ``with`` block calls ``release_webhooks(order)``."""
        with self._lock:
            self._holding = True
        return _Hold(self, order)

    @property
    def held(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._held)

    def release_webhooks(self, order: str = "as_created") -> list[Delivery]:
        """Stop holding and deliver the buffer here, ``as_created`` or ``reverse``."""
        with self._lock:
            self._holding = False
        return self.flush_webhooks(order)

    def flush_webhooks(self, order: str = "as_created") -> list[Delivery]:
        """Deliver the buffer in this thread but keep holding what comes next."""
        if order not in ("as_created", "reverse"):
            raise ValueError(f"order must be 'as_created' or 'reverse', not {order!r}")
        with self._lock:
            held, self._held = self._held, []
        if order == "reverse":
            held.reverse()
        return [d for event in held if (d := self._send(event)) is not None]

    def deliver(
        self,
        event: dict[str, Any] | str,
        times: int = 1,
        *,
        timestamp: int | None = None,
        secret: str | None = None,
    ) -> list[Delivery]:
        """POST an event (or event id) again, signed anew each time; ``timestamp`` and
        ``secret`` forge the signature (stale or wrong) to test the receiver's checks."""
        if self.webhook_url is None:
            raise RuntimeError("no webhook_url to deliver to")
        if isinstance(event, str):
            matching = [e for e in self.events if e["id"] == event]
            if not matching:
                raise KeyError(f"FakeStripe has no event {event!r}")
            event = matching[0]
        deliveries = [self._send(event, timestamp=timestamp, secret=secret) for _ in range(times)]
        return [d for d in deliveries if d is not None]

    def wait_for_deliveries(self, timeout: float = 5.0) -> None:
        """Wait until the server threads have delivered the events of every API call so far;
        re-raise the first error a webhook target raised in them."""
        with self._idle:
            if not self._idle.wait_for(lambda: self._in_flight == 0, timeout):
                raise TimeoutError(f"{self._in_flight} API calls still delivering webhooks")
        if self.delivery_errors:
            error = self.delivery_errors.pop(0)
            raise RuntimeError("a webhook delivery failed in a server thread") from error

    def _dispatch(self, events: list[dict[str, Any]]) -> None:
        for event in events:
            with self._lock:
                if self._holding:
                    self._held.append(event)
                    continue
            self._send(event)

    def _send(
        self, event: dict[str, Any], *, timestamp: int | None = None, secret: str | None = None
    ) -> Delivery | None:
        target = self.webhook_url
        if target is None:
            return None
        payload = json.dumps(event, indent=2).encode()
        signature = sign(payload, secret or self.webhook_secret, timestamp)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Stripe-Signature": signature,
            "User-Agent": WEBHOOK_USER_AGENT,
        }
        with self._lock:
            attempt = 1 + sum(d.event_id == event["id"] for d in self.deliveries)
        delivery = Delivery(event["id"], event["type"], attempt, None, payload, signature)
        try:
            if callable(target):
                result = target(payload, headers)
                delivery.status = result if isinstance(result, int) else result.status_code
                content = getattr(result, "content", b"")
                delivery.response_body = content.decode(errors="replace")[:2000]
            else:
                if not target.startswith(("http://", "https://")):
                    raise ValueError(f"webhook_url must be http(s), not {target!r}")
                request = urllib.request.Request(target, payload, headers, method="POST")  # noqa: S310
                try:
                    with self._opener.open(request, timeout=self.webhook_timeout) as response:
                        delivery.status, body = response.status, response.read()
                except urllib.error.HTTPError as exc:
                    delivery.status, body = exc.code, exc.read()
                delivery.response_body = body.decode(errors="replace")[:2000]
        except (urllib.error.URLError, OSError) as exc:
            delivery.error = str(exc)
        except Exception as exc:
            delivery.error = repr(exc)
            raise
        finally:
            with self._lock:
                self.deliveries.append(delivery)
        return delivery

    def _after_reply(self, reply: _Reply) -> None:
        if not reply.events:
            return
        try:
            self._dispatch(reply.events)
        except Exception as exc:
            self.delivery_errors.append(exc)
        finally:
            with self._idle:
                self._in_flight -= 1
                self._idle.notify_all()

    # --- the API --------------------------------------------------------------------------

    def _api(self, method: str, path: str, params: dict[str, Any], headers: dict[str, str]):
        record = RecordedRequest(
            method=method,
            path=path,
            params=params,
            idempotency_key=headers.get("idempotency-key") or None,
            stripe_account=headers.get("stripe-account") or None,
            headers=headers,
            request_id=new_id("req", 14),
        )
        with self._lock:
            self.requests.append(record)
            reply = self._api_locked(record)
            record.status = reply.status
            record.replayed = reply.headers.get("Idempotent-Replayed") == "true"
        reply.headers.setdefault("Request-Id", record.request_id)
        reply.headers.setdefault("Stripe-Version", headers.get("stripe-version", API_VERSION))
        if record.idempotency_key:
            reply.headers["Idempotency-Key"] = record.idempotency_key
        if reply.events:
            with self._idle:
                self._in_flight += 1
        return reply

    def _api_locked(self, record: RecordedRequest) -> _Reply:
        if record.headers.get("authorization") != f"Bearer {self.api_key}":
            return _fail_reply(
                StripeFail(401, "Invalid API Key provided. (FakeStripe wants its api_key.)")
            )
        route = next(
            ((name, m.groupdict()) for verb, pattern, name in _ROUTES
             if verb == record.method and (m := pattern.fullmatch(record.path))),
            None,
        )  # fmt: skip
        if route is None:
            message = f"Unrecognized request URL ({record.method}: {record.path})."
            return _fail_reply(StripeFail(404, message))
        key, account = record.idempotency_key, record.stripe_account
        if account is not None and account not in self.accounts:
            message = (
                f"The provided key does not have access to account '{account}' (or that "
                "account does not exist). Application access may have been revoked."
            )
            return _fail_reply(StripeFail(403, message, code="account_invalid"))
        injected = self._take_injected(record)
        if injected is not None and not injected.after_processing:
            return _injected_reply(injected)
        idempotent = record.method == "POST" and key is not None
        saved = self._saved.get((account, key)) if idempotent else None
        if saved is not None:
            reply = self._replay(saved, record)
            return reply if injected is None else _injected_reply(injected)
        ctx = _Ctx(record.params, account, key, record.request_id)
        name, path_args = route
        try:
            obj, events = getattr(self, name)(ctx, **path_args)
            reply = _Reply(200, json.dumps(obj, indent=2).encode(), events=events)
            keep = True
        except StripeFail as fail:
            reply, keep = _fail_reply(fail), fail.saved
        except Exception as exc:  # a bug in the fake: say so instead of dropping the line
            fail = StripeFail(500, f"FakeStripe failed: {exc!r}", type_="api_error")
            reply, keep = _fail_reply(fail), False
            reply.headers["Stripe-Should-Retry"] = "false"
        if idempotent and keep:
            self._saved[(account, key)] = _Saved(
                record.method, record.path, record.params, reply.status, reply.body,
                record.request_id,
            )  # fmt: skip
        if injected is not None:
            lost = _injected_reply(injected)
            lost.events = reply.events
            return lost
        return reply

    def _replay(self, saved: _Saved, record: RecordedRequest) -> _Reply:
        key = record.idempotency_key
        if (saved.method, saved.path) != (record.method, record.path):
            message = (
                "Keys for idempotent requests can only be used for the same endpoint they "
                f"were first used for ('{saved.method} {saved.path}' vs '{record.method} "
                f"{record.path}'). Try using a key other than '{key}' if you meant to "
                "execute a different request."
            )
            return _fail_reply(StripeFail(400, message, type_="idempotency_error"))
        if saved.params != record.params:
            message = (
                "Keys for idempotent requests can only be used with the same parameters they "
                f"were first used with. Try using a key other than '{key}' if you meant to "
                "execute a different request."
            )
            return _fail_reply(StripeFail(400, message, type_="idempotency_error"))
        headers = {"Idempotent-Replayed": "true", "Original-Request": saved.request_id}
        return _Reply(saved.status, saved.body, headers)

    def _take_injected(self, record: RecordedRequest) -> _Injected | None:
        for injected in self._injected:
            if injected.method == record.method and fnmatch.fnmatchcase(record.path, injected.path):
                injected.times -= 1
                if injected.times <= 0:
                    self._injected.remove(injected)
                return injected
        return None

    # --- endpoints (called with the lock held) -----------------------------------------------

    def _accounts_create(self, ctx: _Ctx) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        p = _check(ctx.params, "accounts")
        account_id = new_id("acct", 16)
        country = str(p.get("country") or "US").upper()
        currency = "eur" if country in _EURO_COUNTRIES else _COUNTRY_CURRENCY.get(country, "usd")
        requested = {
            name: "inactive"
            for name, value in (p.get("capabilities") or {}).items()
            if isinstance(value, dict) and value.get("requested") == "true"
        }
        kind = p.get("type") or ("express" if p.get("controller") else "standard")
        if kind not in ("standard", "express", "custom"):
            raise _invalid("type", kind)
        account = fixture("account")
        account.update(
            id=account_id, object="account", created=_now(), type=kind, email=p.get("email"),
            country=country, default_currency=p.get("default_currency") or currency,
            business_type=p.get("business_type"), metadata=_metadata(p), capabilities=requested,
            charges_enabled=False, payouts_enabled=False, details_submitted=False,
            tos_acceptance={"date": None, "ip": None, "user_agent": None},
            external_accounts={"data": [], "has_more": False, "object": "list",
                               "url": f"/v1/accounts/{account_id}/external_accounts"},
        )  # fmt: skip
        if kind == "express":
            account["controller"] = {
                "fees": {"payer": "application"},
                "is_controller": True,
                "losses": {"payments": "application"},
                "requirement_collection": "stripe",
                "stripe_dashboard": {"type": "express"},
                "type": "application",
            }
        self._store(self.accounts, account, None)
        return account, []

    def _accounts_retrieve(self, ctx: _Ctx, obj_id: str):
        # A connected account may read itself with its own Stripe-Account header.
        account = self.accounts.get(obj_id)
        if account is None or ctx.account not in (None, obj_id):
            raise _missing("account", obj_id, status=404)
        return self._render(account, ctx), []

    def _account_links_create(self, ctx: _Ctx):
        p = _check(ctx.params, "account_links")
        for name in ("account", "type", "refresh_url", "return_url"):
            _require(p, name)
        if p["type"] not in ("account_onboarding", "account_update"):
            raise _invalid("type", p["type"])
        account = self._lookup(self.accounts, p["account"], None, "account", param="account")
        link = fixture("account_link")
        link.update(
            object="account_link",
            created=_now(),
            expires_at=_now() + 300,
            url=f"{self.base_url}/connect/onboard/{account['id']}",
        )
        self._onboarding_urls[account["id"]] = {
            "refresh_url": p["refresh_url"],
            "return_url": p["return_url"],
        }
        self.account_links.append(link)
        return link, []

    def _checkout_sessions_create(self, ctx: _Ctx):
        p = _check(ctx.params, "checkout_sessions")
        _require(p, "mode")
        if p["mode"] != "payment":
            raise _invalid("mode", p["mode"], "FakeStripe supports mode=payment only.")
        items = _require(p, "line_items")
        if not isinstance(items, list) or not items:
            raise _invalid("line_items", items)
        total, currencies = 0, set()
        for index, item in enumerate(items):
            where = f"line_items[{index}]"
            if "price" in item:
                raise _missing("price", item["price"], param=f"{where}[price]")
            price = item.get("price_data")
            if not isinstance(price, dict):
                raise _param_missing(f"{where}[price_data]")
            for name in ("currency", "unit_amount"):
                if name not in price:
                    raise _param_missing(f"{where}[price_data][{name}]")
            if "name" not in (price.get("product_data") or {}) and "product" not in price:
                raise _param_missing(f"{where}[price_data][product]")
            quantity = _int(item, "quantity", f"{where}[quantity]", required=True)
            total += _int(price, "unit_amount", f"{where}[price_data][unit_amount]") * quantity
            currencies.add(price["currency"].lower())
        if len(currencies) != 1:
            raise _invalid("line_items", "", "All line_items must share one currency.")
        currency = currencies.pop()
        minimum = _MINIMUM_CHARGE.get(currency, 1)
        if total < minimum:
            message = (
                "The Checkout Session's total amount due must add up to at least "
                f"{minimum} {currency} (minor units)."
            )
            raise StripeFail(400, message, code="amount_too_small", param="line_items")
        if "success_url" not in p and p.get("ui_mode", "hosted") == "hosted":
            _require(p, "success_url")
        session_id = new_id("cs_test", 58)
        session = fixture("checkout.session")
        session.update(
            id=session_id, object="checkout.session", adaptive_pricing={"enabled": False},
            after_expiration=None, allow_promotion_codes=None, amount_subtotal=total,
            amount_total=total, automatic_tax={"enabled": False, "liability": None,
                                               "provider": None, "status": None},
            billing_address_collection=None, cancel_url=p.get("cancel_url"),
            client_reference_id=p.get("client_reference_id"), client_secret=None,
            collected_information=None, consent=None, consent_collection=None, created=_now(),
            currency=currency, currency_conversion=None, custom_fields=[],
            custom_text={"after_submit": None, "shipping_address": None, "submit": None,
                         "terms_of_service_acceptance": None},
            customer=p.get("customer"), customer_account=None, customer_creation="if_required",
            customer_details=None, customer_email=p.get("customer_email"), discounts=[],
            expires_at=_int(p, "expires_at", "expires_at") if "expires_at" in p
            else _now() + 86400,
            integration_identifier=None, invoice=None, livemode=False,
            locale=p.get("locale"), managed_payments=None, metadata=_metadata(p), mode="payment",
            origin_context=None, payment_intent=None, payment_link=None,
            payment_method_collection="if_required", payment_method_configuration_details=None,
            payment_method_options={}, payment_method_types=["card"], payment_status="unpaid",
            permissions=None, phone_number_collection={"enabled": False}, recovered_from=None,
            saved_payment_method_options=None, setup_intent=None,
            shipping_address_collection=None, shipping_cost=None, shipping_options=[],
            status="open", submit_type=None, subscription=None,
            success_url=p.get("success_url"),
            total_details={"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
            ui_mode=p.get("ui_mode", "hosted"), url=f"{self.base_url}/checkout/{session_id}",
            wallet_options=None,
        )  # fmt: skip
        session["invoice_creation"]["enabled"] = False
        self._payment_intent_data[session_id] = dict(p.get("payment_intent_data") or {})
        self._line_items[session_id] = items
        self._store(self.checkout_sessions, session, ctx.account)
        return session, []

    def _checkout_sessions_retrieve(self, ctx: _Ctx, obj_id: str):
        session = self._lookup(self.checkout_sessions, obj_id, ctx.account, "checkout.session")
        return self._render(session, ctx), []

    def _payment_intents_retrieve(self, ctx: _Ctx, obj_id: str):
        intent = self._lookup(self.payment_intents, obj_id, ctx.account, "payment_intent")
        return self._render(intent, ctx), []

    def _transfers_create(self, ctx: _Ctx):
        p = _check(ctx.params, "transfers")
        for name in ("amount", "currency", "destination"):
            _require(p, name)
        amount = _int(p, "amount", "amount")
        if amount < 1:
            raise _invalid("amount", p["amount"], "Amount must be at least 1.")
        currency = p["currency"].lower()
        destination = self._lookup(
            self.accounts, p["destination"], None, "destination", param="destination"
        )
        source = p.get("source_transaction")
        charge = None
        if source:
            charge = self._lookup(
                self.charges, source, ctx.account, "charge", param="source_transaction"
            )
        if destination["capabilities"].get("transfers") != "active":
            message = (
                "Your destination account needs to have at least one of the following "
                "capabilities enabled: transfers, crypto_transfers, legacy_payments"
            )
            raise StripeFail(400, message, code="insufficient_capabilities_for_transfer",
                             param="destination", saved=True)  # fmt: skip
        if charge is not None:
            left = charge["amount"] - charge["amount_refunded"] - self._transferred_from(source)
            if amount > left:
                message = (
                    f"Insufficient funds: the transfer amount ({amount}) exceeds what is left "
                    f"of source_transaction {source} ({left})."
                )
                raise StripeFail(400, message, code="balance_insufficient",
                                 param="source_transaction", saved=True)  # fmt: skip
        elif self.balances.get(ctx.account, {}).get(currency, 0) < amount:
            message = (
                "You have insufficient available funds in your Stripe account. Try adding "
                "funds directly to your available balance by creating Charges using the "
                "4000000000000077 test card."
            )
            raise StripeFail(400, message, code="balance_insufficient", saved=True)
        transfer_id = new_id("tr")
        transfer = fixture("transfer")
        transfer.update(
            id=transfer_id, object="transfer", amount=amount, amount_reversed=0,
            balance_transaction=new_id("txn"), created=_now(), currency=currency,
            description=p.get("description"), destination=destination["id"],
            destination_payment=new_id("py"), livemode=False, metadata=_metadata(p),
            reversals={"data": [], "has_more": False, "object": "list", "total_count": 0,
                       "url": f"/v1/transfers/{transfer_id}/reversals"},
            reversed=False, source_transaction=source or None, source_type="card",
            transfer_group=p.get("transfer_group"),
        )  # fmt: skip
        self._store(self.transfers, transfer, ctx.account)
        self._move(ctx.account, currency, -amount)
        self._move(destination["id"], currency, amount)
        event = self._event("transfer.created", transfer, account=ctx.account, request=ctx.request)
        return transfer, [event]

    def _transfers_retrieve(self, ctx: _Ctx, obj_id: str):
        transfer = self._lookup(self.transfers, obj_id, ctx.account, "transfer")
        return self._render(transfer, ctx), []

    def _transfer_reversals_create(self, ctx: _Ctx, obj_id: str):
        p = _check(ctx.params, "transfer_reversals")
        transfer = self._lookup(self.transfers, obj_id, ctx.account, "transfer")
        amount = _int(p, "amount", "amount") if "amount" in p else None
        return self._reverse(transfer, amount, _metadata(p), request=ctx.request)

    def _refunds_create(self, ctx: _Ctx):
        p = _check(ctx.params, "refunds")
        if "charge" in p:
            charge = self._lookup(self.charges, p["charge"], ctx.account, "charge", param="charge")
        elif "payment_intent" in p:
            intent = self._lookup(
                self.payment_intents, p["payment_intent"], ctx.account, "payment_intent",
                param="payment_intent",
            )  # fmt: skip
            charge = self.charges[intent["latest_charge"]]
        else:
            raise _param_missing("payment_intent")
        amount = _int(p, "amount", "amount") if "amount" in p else None
        return self._refund(charge, amount, _metadata(p), p.get("reason"), request=ctx.request)

    def _balance_retrieve(self, ctx: _Ctx):
        amounts = self.balances.get(ctx.account, {})
        default = self.accounts[ctx.account]["default_currency"] if ctx.account else "usd"
        currencies = sorted(amounts) or [default]
        balance = fixture("balance")
        balance.update(
            object="balance",
            livemode=False,
            available=[
                {"amount": amounts.get(c, 0), "currency": c,
                 "source_types": {"card": amounts.get(c, 0)}}
                for c in currencies
            ],
            pending=[{"amount": 0, "currency": c, "source_types": {"card": 0}} for c in currencies],
            connect_reserved=[{"amount": 0, "currency": c} for c in currencies],
        )  # fmt: skip
        return balance, []

    def _events_list(self, ctx: _Ctx):
        limit = _int(ctx.params, "limit", "limit") if "limit" in ctx.params else 10
        wanted = ctx.params.get("type")
        matching = [
            e for e in reversed(self.events)
            if e.get("account") == ctx.account
            and (wanted is None or fnmatch.fnmatchcase(e["type"], wanted))
        ]  # fmt: skip
        page = {
            "object": "list",
            "data": matching[:limit],
            "has_more": len(matching) > limit,
            "url": "/v1/events",
        }
        return page, []

    def _events_retrieve(self, ctx: _Ctx, obj_id: str):
        # Connect events live in the connected account: read them with its Stripe-Account.
        event = next((e for e in self.events if e["id"] == obj_id), None)
        if event is None or event.get("account") != ctx.account:
            raise _missing("event", obj_id, status=404)
        return event, []

    # --- shared mutations (lock held) ------------------------------------------------------

    def _reverse(self, transfer, amount, metadata, *, request):
        left = transfer["amount"] - transfer["amount_reversed"]
        amount = left if amount is None else amount
        if amount < 1 or amount > left:
            message = (
                f"Reversal amount ({amount}) must be between 1 and the unreversed amount on "
                f"transfer {transfer['id']} ({left})."
            )
            raise StripeFail(400, message, code="amount_too_large", param="amount", saved=True)
        previous = {
            "amount_reversed": transfer["amount_reversed"],
            "reversed": transfer["reversed"],
        }
        reversal = fixture("transfer_reversal")
        reversal.update(
            id=new_id("trr"), object="transfer_reversal", amount=amount,
            balance_transaction=new_id("txn"), created=_now(), currency=transfer["currency"],
            destination_payment_refund=new_id("pyr"), metadata=metadata, source_refund=None,
            transfer=transfer["id"],
        )  # fmt: skip
        account = self._owner[transfer["id"]]
        self._store(self.transfer_reversals, reversal, account)
        transfer["amount_reversed"] += amount
        transfer["reversed"] = transfer["amount_reversed"] == transfer["amount"]
        transfer["reversals"]["data"].insert(0, reversal)
        transfer["reversals"]["total_count"] = len(transfer["reversals"]["data"])
        self._move(account, transfer["currency"], amount)
        self._move(transfer["destination"], transfer["currency"], -amount)
        event = self._event(
            "transfer.reversed", transfer, account=account, previous=previous, request=request
        )
        return reversal, [event]

    def _refund(self, charge, amount, metadata, reason, *, request):
        left = charge["amount"] - charge["amount_refunded"]
        if charge["disputed"]:
            raise StripeFail(400, f"Charge {charge['id']} has been charged back; cannot issue "
                             "a refund.", code="charge_disputed", saved=True)  # fmt: skip
        if left == 0:
            raise StripeFail(400, f"Charge {charge['id']} has already been refunded.",
                             code="charge_already_refunded", saved=True)  # fmt: skip
        amount = left if amount is None else amount
        if amount < 1 or amount > left:
            message = f"Refund amount ({amount}) is greater than unrefunded amount ({left})."
            raise StripeFail(400, message, code="amount_too_large", param="amount", saved=True)
        account = self._owner[charge["id"]]
        refund = fixture("refund")
        refund.update(
            id=new_id("re"), object="refund", amount=amount, balance_transaction=new_id("txn"),
            charge=charge["id"], created=_now(), currency=charge["currency"],
            customer=None, customer_account=None,
            destination_details={"card": {"reference": None, "reference_status": "pending",
                                          "reference_type": "acquirer_reference_number",
                                          "type": "refund"}, "type": "card"},
            metadata=metadata, payment_intent=charge["payment_intent"],
            payment_method=charge["payment_method"], reason=reason, receipt_number=None,
            source_transfer_reversal=None, status="succeeded", transfer_reversal=None,
        )  # fmt: skip
        self._store(self.refunds, refund, account)
        previous = {"amount_refunded": charge["amount_refunded"], "refunded": charge["refunded"]}
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        charge["refunds"]["data"].insert(0, refund)
        self._move(account, charge["currency"], -amount)
        events = [
            self._event("refund.created", refund, account=account, request=request),
            self._event(
                "charge.refunded", charge, account=account, previous=previous, request=request
            ),
        ]
        return refund, events

    def _transferred_from(self, charge_id: str) -> int:
        return sum(
            t["amount"] - t["amount_reversed"]
            for t in self.transfers.values()
            if t["source_transaction"] == charge_id
        )

    def _move(self, account: str | None, currency: str, delta: int) -> None:
        funds = self.balances.setdefault(account, {})
        funds[currency] = funds.get(currency, 0) + delta

    def _event(
        self,
        type_: str,
        obj: dict[str, Any],
        *,
        account: str | None,
        previous: dict[str, Any] | None = None,
        request: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        event = fixture("event")
        event.update(
            id=new_id("evt"),
            object="event",
            api_version=API_VERSION,
            created=_now(),
            data={"object": copy.deepcopy(obj)},
            livemode=False,
            pending_webhooks=0 if self.webhook_url is None else 1,
            request=request or {"id": None, "idempotency_key": None},
            type=type_,
        )
        if previous:
            event["data"]["previous_attributes"] = copy.deepcopy(previous)
        if account:
            event["account"] = account
        self.events.append(event)
        return event

    def _store(self, store: dict[str, dict[str, Any]], obj: dict[str, Any], owner) -> None:
        store[obj["id"]] = obj
        self._objects[obj["id"]] = obj
        self._owner[obj["id"]] = owner

    def _lookup(self, store, obj_id, account, noun, *, param: str = "id", status: int = 400):
        obj = store.get(obj_id)
        if obj is None or self._owner.get(obj_id) != account:
            raise _missing(noun, obj_id, param=param, status=404 if param == "id" else status)
        return obj

    def _control_lookup(self, store, obj_id: str) -> dict[str, Any]:
        if obj_id not in store:
            raise KeyError(f"FakeStripe has no {obj_id!r}")
        return store[obj_id]

    def _render(self, obj: dict[str, Any], ctx: _Ctx) -> dict[str, Any]:
        out = copy.deepcopy(obj)
        expand = ctx.params.get("expand") or []
        for path in expand.values() if isinstance(expand, dict) else expand:
            self._expand(out, path.split("."))
        return out

    def _expand(self, node: Any, parts: list[str]) -> None:
        if not isinstance(node, dict) or not parts:
            return
        value = node.get(parts[0])
        if isinstance(value, str) and value in self._objects:
            value = node[parts[0]] = copy.deepcopy(self._objects[value])
        self._expand(value, parts[1:])

    # --- hosted pages (browser tests) -------------------------------------------------------

    def _page(self, method: str, path: str) -> _Reply:
        checkout = re.fullmatch(r"/checkout/(?P<id>[^/]+)(?P<pay>/pay)?", path)
        onboard = re.fullmatch(r"/connect/onboard/(?P<id>[^/]+)", path)
        if checkout and checkout["id"] in self.checkout_sessions:
            session = self.checkout_sessions[checkout["id"]]
            if method == "POST" and checkout["pay"] and session["status"] == "open":
                self.complete_checkout(session["id"])
                target = (session["success_url"] or "").replace(
                    "{CHECKOUT_SESSION_ID}", session["id"]
                )
                return _Reply(303, b"", {"Location": target})
            items = "".join(
                f"<li>{html.escape(str(i['price_data'].get('product_data', {}).get('name')))}"
                f" x {html.escape(str(i.get('quantity')))}</li>"
                for i in self._line_items.get(session["id"], [])
            )
            body = (
                f"<h1>Pay {session['amount_total']} {session['currency']}</h1><ul>{items}</ul>"
                f"<p>Status: {session['status']}</p>"
                f'<form method="post" action="/checkout/{session["id"]}/pay">'
                '<button type="submit">Pay</button></form>'
                f'<a href="{html.escape(session["cancel_url"] or "")}">Cancel</a>'
            )
            return _html(body)
        if onboard and onboard["id"] in self.accounts:
            urls = self._onboarding_urls.get(onboard["id"], {})
            if method == "POST":
                self.onboard_account(onboard["id"])
                return _Reply(303, b"", {"Location": urls.get("return_url", "/")})
            body = (
                f"<h1>Onboard {onboard['id']}</h1>"
                f'<form method="post"><button type="submit">Complete onboarding</button></form>'
            )
            return _html(body)
        return _Reply(404, b"Not found", {"Content-Type": "text/plain"})


class _Hold:
    def __init__(self, fake: FakeStripe, order: str):
        self.fake, self.order = fake, order

    def __enter__(self) -> FakeStripe:
        return self.fake

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if exc_type is None:
            self.fake.release_webhooks(self.order)
        else:
            with self.fake._lock:
                self.fake._holding = False


def _check(params: dict[str, Any], endpoint: str) -> dict[str, Any]:
    for name in params:
        if name not in _ALLOWED[endpoint]:
            raise StripeFail(
                400, f"Received unknown parameter: {name}", code="parameter_unknown", param=name
            )
    return params


def _require(params: dict[str, Any], name: str) -> Any:
    if params.get(name) in (None, ""):
        raise _param_missing(name)
    return params[name]


def _param_missing(param: str) -> StripeFail:
    return StripeFail(
        400, f"Missing required param: {param}.", code="parameter_missing", param=param
    )


def _int(params: dict[str, Any], name: str, param: str, *, required: bool = False) -> int:
    if required:
        _require(params, name)
    try:
        return int(params[name])
    except (KeyError, TypeError, ValueError):
        raise StripeFail(
            400,
            f"Invalid integer: {params.get(name)}",
            code="parameter_invalid_integer",
            param=param,
        ) from None


def _invalid(param: str, value: Any, message: str | None = None) -> StripeFail:
    return StripeFail(
        400, message or f"Invalid {param}: {value!r}", code="parameter_invalid", param=param
    )


def _missing(noun: str, obj_id: str, *, param: str = "id", status: int = 400) -> StripeFail:
    return StripeFail(status, f"No such {noun}: '{obj_id}'", code="resource_missing", param=param)


def _metadata(params: dict[str, Any]) -> dict[str, str]:
    # Stripe drops keys set to "" (that is how one unsets metadata).
    return {k: str(v) for k, v in (params.get("metadata") or {}).items() if v != ""}


def _fail_reply(fail: StripeFail) -> _Reply:
    return _Reply(fail.status, json.dumps(fail.body(), indent=2).encode())


def _injected_reply(injected: _Injected) -> _Reply:
    if injected.status == 0:
        return _Reply(0, b"", drop=True)
    fail = StripeFail(injected.status, injected.message, type_=injected.error_type)
    fail.code = injected.code
    reply = _fail_reply(fail)
    if injected.should_retry is not None:
        reply.headers["Stripe-Should-Retry"] = str(injected.should_retry).lower()
    return reply


def _html(body: str) -> _Reply:
    page = f"<!doctype html><html><body>{body}</body></html>".encode()
    return _Reply(200, page, {"Content-Type": "text/html; charset=utf-8"})


def _handler_for(fake: FakeStripe) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # the SDK keeps connections alive
        disable_nagle_algorithm = True  # headers and body go out in two writes

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            self._handle()

        def do_POST(self) -> None:
            self._handle()

        def do_DELETE(self) -> None:
            self._handle()

        def _handle(self) -> None:
            url = urlsplit(self.path)
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {name.lower(): value for name, value in self.headers.items()}
            if not url.path.startswith("/v1/"):
                self._write(fake._page(self.command, url.path))
                return
            if headers.get("content-type", "").startswith("application/json") and raw:
                params = json.loads(raw)
            else:
                text = raw.decode() if self.command == "POST" else url.query
                params = parse_form(parse_qsl(text, keep_blank_values=True))
            delay = fake._take_delay(self.command, url.path)
            if delay is not None and not delay.after_processing:
                time.sleep(delay.seconds)
            reply = fake._api(self.command, url.path, params, headers)
            if delay is not None and delay.after_processing:
                time.sleep(delay.seconds)
            try:
                self._write(reply)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client gave up waiting (a timeout)
            finally:
                fake._after_reply(reply)

        def _write(self, reply: _Reply) -> None:
            if reply.drop:
                self.close_connection = True
                return
            self.send_response(reply.status)
            reply.headers.setdefault("Content-Type", "application/json")
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)
            self.wfile.flush()

    return Handler
