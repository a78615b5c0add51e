"""The Stripe fake speaks what stripe-python 14 sends and answers in Stripe's shapes.

Driven through the real SDK (and the app's ``StripeGateway``) over loopback HTTP; webhooks
go to a second tiny HTTP server. No database.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import stripe

from payments.stripe_gateway import StripeGateway, WebhookInvalid
from tests.fakes.stripe_fake import FakeStripe, fixture


class Receiver:
    """A webhook endpoint that keeps every POST and answers ``status``."""

    def __init__(self, status: int = 200):
        self.status = status
        self.posts: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.posts.append((dict(self.headers.items()), body))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/webhooks/stripe/"

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, body in self.posts]

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


@pytest.fixture
def fake(receiver):
    with FakeStripe(webhook_url=receiver.url) as running:
        yield running


@pytest.fixture
def gateway(fake):
    return StripeGateway(fake.client())


def _onboarded_account(fake: FakeStripe, gateway: StripeGateway, key: str = "acct-1") -> str:
    account = gateway.account_create(key=key, email="c@example.com", country="US", metadata={})
    fake.onboard_account(account.id)
    return account.id


def _paid_session(fake: FakeStripe, gateway: StripeGateway, amount: int = 1500) -> Any:
    session = gateway.checkout_session_create(
        key=f"cs-{amount}-{len(fake.checkout_sessions)}",
        amount=amount,
        currency="USD",
        name="Licence: Moonlit Fox",
        success_url="https://cocreate.test/paid?session={CHECKOUT_SESSION_ID}",
        cancel_url="https://cocreate.test/cancelled",
        transfer_group="grant_42",
        metadata={"grant_id": "42"},
        customer_email="buyer@example.com",
    )
    fake.complete_checkout(session.id)
    return session


def _raw(obj: Any) -> dict[str, Any]:
    """The JSON the fake sent for an SDK object, before the SDK touched it."""
    return json.loads(obj.last_response.body)


# --- shapes ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def one_of_each() -> dict[str, dict[str, Any]]:
    """Every object type the app touches, as JSON straight off the wire."""
    with Receiver() as receiver, FakeStripe(webhook_url=receiver.url) as fake:
        client = fake.client()
        gateway = StripeGateway(client)
        account_id = _onboarded_account(fake, gateway)
        link = gateway.account_link_create(
            key="link", account_id=account_id, refresh_url="https://r", return_url="https://t"
        )
        session = _paid_session(fake, gateway)
        session = client.v1.checkout.sessions.retrieve(
            session.id, {"expand": ["payment_intent.latest_charge"]}
        )
        transfer = gateway.transfer_create(
            key="tr", amount=600, currency="usd", destination=account_id, metadata={}
        )
        reversal = gateway.transfer_reversal_create(
            key="trr", transfer_id=transfer.id, amount=100, metadata={}
        )
        refund = gateway.refund_create(key="re", payment_intent=session.payment_intent.id)
        fake.wait_for_deliveries()
        event = client.v1.events.retrieve(fake.events_of("transfer.created")[0]["id"])
        expanded = _raw(session)
        return {
            "account": _raw(gateway.account_retrieve(account_id)),
            "account_link": _raw(link),
            "checkout.session": _raw(gateway.checkout_session_retrieve(session.id)),
            "payment_intent": expanded["payment_intent"],
            "charge": expanded["payment_intent"]["latest_charge"],
            "transfer": _raw(gateway.transfer_retrieve(transfer.id)),
            "transfer_reversal": _raw(reversal),
            "refund": _raw(refund),
            "balance": _raw(gateway.balance_retrieve()),
            "event": _raw(event),
            "dispute": fake.dispute_charge(session.payment_intent.latest_charge.id)[0]["data"][
                "object"
            ],
        }


@pytest.mark.parametrize(
    "name",
    [
        "account",
        "account_link",
        "checkout.session",
        "payment_intent",
        "charge",
        "transfer",
        "transfer_reversal",
        "refund",
        "balance",
        "event",
        "dispute",
    ],
)
def test_fake_objects_carry_every_key_of_stripes_example(one_of_each, name):
    # given Stripe's own example object
    expected = set(fixture(name))

    # when the fake returns one of that type
    obj = one_of_each[name]

    # then no key is missing, and ids and objects look like Stripe's
    assert expected - set(obj) == set(), f"{name} lacks {sorted(expected - set(obj))}"
    if "object" in expected:
        assert obj["object"] == name
    if "livemode" in expected:
        assert obj["livemode"] is False


def test_ids_carry_stripes_prefixes(one_of_each):
    prefixes = {
        "account": "acct_",
        "checkout.session": "cs_test_",
        "payment_intent": "pi_",
        "charge": "ch_",
        "transfer": "tr_",
        "transfer_reversal": "trr_",
        "refund": "re_",
        "event": "evt_",
        "dispute": "dp_",
    }
    for name, prefix in prefixes.items():
        assert one_of_each[name]["id"].startswith(prefix), name


# --- requests --------------------------------------------------------------------------------


def test_form_encoded_params_are_parsed_into_nested_dicts_and_lists(fake, gateway):
    # when the SDK sends line_items[0][price_data][unit_amount]=... and metadata[grant_id]=...
    session = gateway.checkout_session_create(
        key="cs-1", amount=1500, currency="usd", name="Licence", success_url="https://s",
        cancel_url="https://c", transfer_group="grant_42", metadata={"grant_id": "42"},
    )  # fmt: skip

    # then the fake sees the structure, values as the strings Stripe receives
    params = fake.requests_to("POST", "/v1/checkout/sessions")[0].params
    assert params["line_items"][0]["price_data"]["unit_amount"] == "1500"
    assert params["line_items"][0]["price_data"]["product_data"] == {"name": "Licence"}
    assert params["payment_intent_data"]["metadata"] == {"grant_id": "42"}
    assert (session.amount_total, session.currency, session.status) == (1500, "usd", "open")
    assert (session.payment_status, session.payment_intent) == ("unpaid", None)
    assert session.url == f"{fake.base_url}/checkout/{session.id}"
    assert dict(session.metadata) == {"grant_id": "42"}


def test_a_wrong_api_key_is_refused_with_401():
    with FakeStripe() as fake:
        client = stripe.StripeClient("sk_test_wrong", base_addresses={"api": fake.base_url})

        with pytest.raises(stripe.AuthenticationError):
            client.v1.balance.retrieve()


def test_an_unknown_parameter_is_refused_like_stripe(fake):
    with pytest.raises(stripe.InvalidRequestError) as refused:
        fake.client().v1.transfers.create(
            {"amount": 1, "currency": "usd", "destination": "acct_x", "amout": 2}
        )

    assert (refused.value.code, refused.value.param) == ("parameter_unknown", "amout")


def test_checkout_below_stripes_minimum_charge_is_refused(gateway):
    with pytest.raises(stripe.InvalidRequestError) as refused:
        gateway.checkout_session_create(
            key="tiny", amount=20, currency="usd", name="Tip", success_url="https://s",
            cancel_url="https://c", transfer_group="g", metadata={},
        )  # fmt: skip

    assert refused.value.code == "amount_too_small"


# --- idempotency -----------------------------------------------------------------------------


def test_same_key_and_params_replays_the_first_transfer_and_moves_money_once(fake, gateway):
    # given funds and an onboarded creator
    fake.add_balance(5000)
    account_id = _onboarded_account(fake, gateway)

    # when the same transfer is sent twice with one key
    first = gateway.transfer_create(
        key="payout-7", amount=1200, currency="usd", destination=account_id, metadata={"p": "7"}
    )
    again = gateway.transfer_create(
        key="payout-7", amount=1200, currency="usd", destination=account_id, metadata={"p": "7"}
    )

    # then it is one transfer, the second answer marked as a replay
    assert again.id == first.id
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.last_response.headers
    assert len(fake.transfers) == 1
    assert fake.balance() == 3800
    assert fake.balance(account=account_id) == 1200
    assert [r.replayed for r in fake.requests_to("POST", "/v1/transfers")] == [False, True]


def test_same_key_with_other_params_or_endpoint_is_an_idempotency_error(fake, gateway):
    # given a transfer made with a key
    fake.add_balance(5000)
    account_id = _onboarded_account(fake, gateway)
    gateway.transfer_create(
        key="payout-8", amount=1200, currency="usd", destination=account_id, metadata={}
    )

    # when the key is reused with another amount, then the SDK raises IdempotencyError
    with pytest.raises(stripe.IdempotencyError) as other_params:
        gateway.transfer_create(
            key="payout-8", amount=1300, currency="usd", destination=account_id, metadata={}
        )
    # and on another endpoint too
    with pytest.raises(stripe.IdempotencyError):
        gateway.account_create(key="payout-8", email="x@example.com", country="US", metadata={})

    assert other_params.value.http_status == 400
    assert other_params.value.json_body["error"]["type"] == "idempotency_error"
    assert not isinstance(other_params.value, stripe.InvalidRequestError)
    assert len(fake.transfers) == 1
    assert fake.balance() == 3800


def test_a_lost_response_is_retried_by_the_sdk_and_replayed(fake, monkeypatch):
    # given the SDK's real retry loop, without its back-off sleep
    monkeypatch.setattr(stripe._http_client.HTTPClient, "INITIAL_DELAY", 0)
    client = fake.client(max_network_retries=2)
    fake.add_balance(1000)
    account_id = _onboarded_account(fake, StripeGateway(client))
    # and the first transfer executes but its response is lost (a 500)
    fake.fail_next("POST", "/v1/transfers", status=500, after_processing=True)

    # when the app creates it once
    transfer = StripeGateway(client).transfer_create(
        key="payout-9", amount=400, currency="usd", destination=account_id, metadata={}
    )

    # then the SDK retried with the same key and got the replay: one transfer
    attempts = fake.requests_to("POST", "/v1/transfers")
    assert [(r.status, r.replayed) for r in attempts] == [(500, False), (200, True)]
    assert {r.idempotency_key for r in attempts} == {"payout-9"}
    assert list(fake.transfers) == [transfer.id]
    assert fake.balance() == 600


def test_a_dropped_connection_raises_api_connection_error(fake, gateway):
    fake.fail_next("GET", "/v1/balance", status=0)

    with pytest.raises(stripe.APIConnectionError):
        gateway.balance_retrieve()

    assert gateway.balance_retrieve().available[0].amount == 0


# --- balance ---------------------------------------------------------------------------------


def test_a_transfer_above_the_available_balance_is_balance_insufficient(fake, gateway):
    # given 1,000 available
    fake.add_balance(1000)
    account_id = _onboarded_account(fake, gateway)

    # when the app transfers 1,001
    with pytest.raises(stripe.InvalidRequestError) as refused:
        gateway.transfer_create(
            key="big", amount=1001, currency="usd", destination=account_id, metadata={}
        )

    # then Stripe's error, nothing moved; and as on Stripe the error is saved with the key
    assert (refused.value.code, refused.value.http_status) == ("balance_insufficient", 400)
    assert fake.transfers == {}
    assert fake.balance() == 1000
    fake.add_balance(5000)
    with pytest.raises(stripe.InvalidRequestError) as replayed:
        gateway.transfer_create(
            key="big", amount=1001, currency="usd", destination=account_id, metadata={}
        )
    assert replayed.value.headers["Idempotent-Replayed"] == "true"


def test_a_source_transaction_transfer_is_limited_by_its_charge(fake, gateway):
    # given a paid 1,500 checkout whose funds already went elsewhere
    account_id = _onboarded_account(fake, gateway)
    session = _paid_session(fake, gateway, amount=1500)
    charge_id = gateway.payment_intent_retrieve(
        gateway.checkout_session_retrieve(session.id).payment_intent
    ).latest_charge
    fake.add_balance(-1500)

    # when transfers draw on that charge
    first = gateway.transfer_create(
        key="s1", amount=1000, currency="usd", destination=account_id,
        source_transaction=charge_id, metadata={},
    )  # fmt: skip
    with pytest.raises(stripe.InvalidRequestError) as refused:
        gateway.transfer_create(
            key="s2", amount=501, currency="usd", destination=account_id,
            source_transaction=charge_id, metadata={},
        )  # fmt: skip

    # then up to the charge's amount goes, regardless of the available balance
    assert first.source_transaction == charge_id
    assert refused.value.code == "balance_insufficient"
    assert fake.balance() == -1000


def test_a_transfer_to_an_account_not_onboarded_is_refused(fake, gateway):
    fake.add_balance(1000)
    account = gateway.account_create(key="a", email="c@example.com", country="US", metadata={})

    with pytest.raises(stripe.InvalidRequestError) as refused:
        gateway.transfer_create(
            key="t", amount=100, currency="usd", destination=account.id, metadata={}
        )

    assert refused.value.code == "insufficient_capabilities_for_transfer"
    assert (account.charges_enabled, account.payouts_enabled) == (False, False)
    assert dict(account.capabilities) == {"transfers": "inactive"}


def test_refund_reduces_the_balance_and_emits_refund_created_and_charge_refunded(
    fake, gateway, receiver
):
    # given a paid checkout
    session = _paid_session(fake, gateway, amount=2000)
    intent_id = gateway.checkout_session_retrieve(session.id).payment_intent

    # when the app refunds part, then all the rest
    partial = gateway.refund_create(key="r1", payment_intent=intent_id, amount=500)
    rest = gateway.refund_create(key="r2", payment_intent=intent_id)
    fake.wait_for_deliveries()

    # then the charge is fully refunded, the balance is back to 0, and a third refund fails
    charge = fake.charges[partial.charge]
    assert (partial.amount, rest.amount, partial.status) == (500, 1500, "succeeded")
    assert (charge["amount_refunded"], charge["refunded"]) == (2000, True)
    assert fake.balance() == 0
    assert [e["type"] for e in receiver.events()[1:]] == [
        "refund.created",
        "charge.refunded",
        "refund.created",
        "charge.refunded",
    ]
    with pytest.raises(stripe.InvalidRequestError) as refused:
        gateway.refund_create(key="r3", payment_intent=intent_id)
    assert refused.value.code == "charge_already_refunded"


def test_a_reversal_returns_the_funds_and_emits_transfer_reversed(fake, gateway, receiver):
    fake.add_balance(1000)
    account_id = _onboarded_account(fake, gateway)
    transfer = gateway.transfer_create(
        key="t", amount=800, currency="usd", destination=account_id, metadata={}
    )

    events = fake.reverse_transfer(transfer.id, amount=300)

    assert events[0]["type"] == "transfer.reversed"
    assert events[0]["data"]["object"]["amount_reversed"] == 300
    assert events[0]["data"]["previous_attributes"] == {"amount_reversed": 0, "reversed": False}
    assert gateway.transfer_retrieve(transfer.id).amount_reversed == 300
    assert (fake.balance(), fake.balance(account=account_id)) == (500, 500)
    fake.fail_transfer(transfer.id)
    assert fake.transfers[transfer.id]["reversed"] is True
    assert fake.balance() == 1000


# --- Stripe-Account --------------------------------------------------------------------------


def test_objects_are_only_visible_under_the_account_that_owns_them(fake, gateway):
    # given a platform transfer and a session created on a connected account
    fake.add_balance(1000)
    account_id = _onboarded_account(fake, gateway)
    transfer = gateway.transfer_create(
        key="t", amount=100, currency="usd", destination=account_id, metadata={}
    )
    client = fake.client()
    direct = client.v1.checkout.sessions.create(
        {
            "mode": "payment",
            "success_url": "https://s",
            "line_items": [{"quantity": 1, "price_data": {
                "currency": "usd", "unit_amount": 900, "product_data": {"name": "x"}}}],
        },
        {"stripe_account": account_id},
    )  # fmt: skip

    # then each is a 404 resource_missing under the other account
    with pytest.raises(stripe.InvalidRequestError) as hidden:
        client.v1.transfers.retrieve(transfer.id, options={"stripe_account": account_id})
    assert (hidden.value.http_status, hidden.value.code) == (404, "resource_missing")
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.checkout.sessions.retrieve(direct.id)
    # and visible under its own
    own = client.v1.checkout.sessions.retrieve(direct.id, options={"stripe_account": account_id})
    assert own.id == direct.id
    assert fake.requests[-1].stripe_account == account_id
    # and a checkout paid on the connected account funds that account, not the platform
    fake.complete_checkout(direct.id)
    assert (fake.balance(), fake.balance(account=account_id)) == (900, 1000)


def test_an_unknown_stripe_account_is_refused_with_403(fake):
    with pytest.raises(stripe.PermissionError) as refused:
        fake.client().v1.balance.retrieve(options={"stripe_account": "acct_nobody"})

    # the SDK only copies ``code`` onto InvalidRequestError and CardError
    assert refused.value.code is None
    assert refused.value.json_body["error"]["code"] == "account_invalid"


def test_the_same_key_under_another_account_is_another_request(fake, gateway):
    client = fake.client()
    account_id = _onboarded_account(fake, gateway)
    params = {"mode": "payment", "success_url": "https://s", "line_items": [
        {"quantity": 1, "price_data": {"currency": "usd", "unit_amount": 900,
                                       "product_data": {"name": "x"}}}]}  # fmt: skip

    platform = client.v1.checkout.sessions.create(params, {"idempotency_key": "k"})
    connected = client.v1.checkout.sessions.create(
        params, {"idempotency_key": "k", "stripe_account": account_id}
    )

    assert platform.id != connected.id


# --- webhooks --------------------------------------------------------------------------------


def test_webhooks_are_signed_with_the_endpoint_secret(fake, gateway, receiver):
    # given a webhook the fake posted
    session = _paid_session(fake, gateway)
    headers, body = receiver.posts[-1]
    signature = headers["Stripe-Signature"]

    # then Stripe's own verifier accepts it with the secret
    event = stripe.Webhook.construct_event(body, signature, fake.webhook_secret)
    assert (event.type, event.data.object.id) == ("checkout.session.completed", session.id)
    assert signature.startswith("t=") and ",v1=" in signature
    # and refuses another secret or a tampered body
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body, signature, "whsec_someone_else")
    tampered = body.replace(b'"paid"', b'"unpaid"', 1)
    assert tampered != body
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(tampered, signature, fake.webhook_secret)


def test_a_stale_signature_fails_the_gateways_tolerance(fake, gateway, receiver, settings):
    settings.STRIPE_WEBHOOK_SECRET = fake.webhook_secret
    _paid_session(fake, gateway)
    event = fake.events[-1]

    fresh, stale = fake.deliver(event), fake.deliver(event, timestamp=1_000_000_000)

    assert StripeGateway.webhook_event(payload=fresh[0].payload, signature=fresh[0].signature)
    with pytest.raises(WebhookInvalid, match="behind our clock"):
        StripeGateway.webhook_event(payload=stale[0].payload, signature=stale[0].signature)


def test_complete_checkout_pays_the_session_and_emits_checkout_session_completed(
    fake, gateway, receiver
):
    # given an open session for a licence fee
    session = gateway.checkout_session_create(
        key="cs", amount=2500, currency="usd", name="Licence", success_url="https://s",
        cancel_url="https://c", transfer_group="grant_42", metadata={"grant_id": "42"},
    )  # fmt: skip

    # when the buyer pays
    events = fake.complete_checkout(session.id)

    # then the session, its payment intent and charge, and the balance say so
    paid = gateway.checkout_session_retrieve(session.id)
    intent = gateway.payment_intent_retrieve(paid.payment_intent)
    charge = fake.charges[intent.latest_charge]
    assert (paid.status, paid.payment_status) == ("complete", "paid")
    assert (intent.status, intent.amount_received, intent.transfer_group) == (
        "succeeded",
        2500,
        "grant_42",
    )
    assert dict(intent.metadata) == {"grant_id": "42"}
    assert (charge["payment_intent"], charge["amount"], charge["paid"]) == (intent.id, 2500, True)
    assert fake.balance() == 2500
    # and the webhook went out before complete_checkout returned
    (delivered,) = receiver.events()
    assert delivered == events[0]
    assert delivered["type"] == "checkout.session.completed"
    assert delivered["data"]["object"]["payment_intent"] == intent.id
    assert delivered["data"]["object"]["metadata"] == {"grant_id": "42"}
    assert fake.deliveries[0].status == 200
    with pytest.raises(ValueError):
        fake.complete_checkout(session.id)


def test_expire_checkout_emits_checkout_session_expired(fake, gateway, receiver):
    session = gateway.checkout_session_create(
        key="cs", amount=2500, currency="usd", name="Licence", success_url="https://s",
        cancel_url="https://c", transfer_group="g", metadata={},
    )  # fmt: skip

    fake.expire_checkout(session.id)

    assert gateway.checkout_session_retrieve(session.id).status == "expired"
    assert [e["type"] for e in receiver.events()] == ["checkout.session.expired"]


def test_update_account_emits_a_connect_account_updated(fake, gateway, receiver):
    account = gateway.account_create(key="a", email="c@example.com", country="US", metadata={})

    (event,) = fake.onboard_account(account.id)

    assert event["type"] == "account.updated"
    assert event["account"] == account.id
    assert event["data"]["previous_attributes"]["payouts_enabled"] is False
    assert gateway.account_retrieve(account.id).payouts_enabled is True
    assert receiver.events() == [event]
    # a Connect event lives in the connected account
    client = fake.client()
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.events.retrieve(event["id"])
    found = client.v1.events.retrieve(event["id"], options={"stripe_account": account.id})
    assert found.account == account.id


def test_api_calls_deliver_their_events_after_the_response(fake, gateway, receiver):
    fake.add_balance(1000)
    account_id = _onboarded_account(fake, gateway)

    transfer = gateway.transfer_create(
        key="t-1", amount=100, currency="usd", destination=account_id, metadata={}
    )
    fake.wait_for_deliveries()

    (event,) = [e for e in receiver.events() if e["type"] == "transfer.created"]
    assert event["data"]["object"]["id"] == transfer.id
    assert event["request"] == {
        "id": transfer.last_response.request_id,
        "idempotency_key": "t-1",
    }
    assert "account" not in event


def test_held_webhooks_are_delivered_later_in_reverse_order(fake, gateway, receiver):
    account_id = gateway.account_create(key="a", email="c@example.com", country="US", metadata={})
    session = gateway.checkout_session_create(
        key="cs", amount=2500, currency="usd", name="Licence", success_url="https://s",
        cancel_url="https://c", transfer_group="g", metadata={},
    )  # fmt: skip

    # when events happen while held
    with fake.hold_webhooks(order="reverse"):
        fake.onboard_account(account_id.id)
        fake.complete_checkout(session.id)
        transfer = gateway.transfer_create(
            key="t", amount=100, currency="usd", destination=account_id.id, metadata={}
        )
        fake.wait_for_deliveries()
        assert receiver.posts == []
        assert [e["type"] for e in fake.held] == [
            "account.updated",
            "checkout.session.completed",
            "transfer.created",
        ]

    # then leaving the block delivers them newest first
    assert [e["type"] for e in receiver.events()] == [
        "transfer.created",
        "checkout.session.completed",
        "account.updated",
    ]
    assert receiver.events()[0]["data"]["object"]["id"] == transfer.id
    assert fake.held == []


def test_deliver_twice_posts_the_same_event_id_twice(fake, gateway, receiver):
    _paid_session(fake, gateway)
    event = fake.events[-1]

    deliveries = fake.deliver(event, times=2)

    assert [e["id"] for e in receiver.events()] == [event["id"]] * 3
    assert [(d.event_id, d.attempt, d.status) for d in deliveries] == [
        (event["id"], 2, 200),
        (event["id"], 3, 200),
    ]


def test_deliveries_record_the_status_the_receiver_answered(fake, gateway, receiver):
    receiver.status = 500

    _paid_session(fake, gateway)

    assert [(d.type, d.status, d.ok) for d in fake.deliveries] == [
        ("checkout.session.completed", 500, False)
    ]


def test_a_callable_target_receives_the_signed_payload(gateway):
    received: list[tuple[bytes, dict[str, str]]] = []

    def target(payload: bytes, headers: dict[str, str]) -> int:
        received.append((payload, headers))
        return 204

    with FakeStripe(webhook_url=target) as fake:
        account = StripeGateway(fake.client()).account_create(
            key="a", email="c@example.com", country="US", metadata={}
        )
        fake.onboard_account(account.id)

    ((payload, headers),) = received
    event = stripe.Webhook.construct_event(payload, headers["Stripe-Signature"], "whsec_test_fake")
    assert event.type == "account.updated"
    assert fake.deliveries[0].status == 204


def test_dispute_charge_emits_charge_dispute_created(fake, gateway, receiver):
    session = _paid_session(fake, gateway, amount=3000)
    charge_id = gateway.payment_intent_retrieve(
        gateway.checkout_session_retrieve(session.id).payment_intent
    ).latest_charge

    (event,) = fake.dispute_charge(charge_id)

    dispute = event["data"]["object"]
    assert event["type"] == "charge.dispute.created"
    assert (dispute["charge"], dispute["amount"], dispute["status"]) == (
        charge_id,
        3000,
        "needs_response",
    )
    assert fake.balance() == 0
    with pytest.raises(stripe.InvalidRequestError) as refused:
        gateway.refund_create(key="r", payment_intent=dispute["payment_intent"])
    assert refused.value.code == "charge_disputed"


def test_the_hosted_checkout_page_pays_and_redirects_to_success_url(fake, gateway, receiver):
    session = gateway.checkout_session_create(
        key="cs", amount=2500, currency="usd", name="Licence",
        success_url="https://cocreate.test/paid?session={CHECKOUT_SESSION_ID}",
        cancel_url="https://c", transfer_group="g", metadata={},
    )  # fmt: skip

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect, urllib.request.ProxyHandler({}))
    page = opener.open(session.url, timeout=5).read().decode()
    with pytest.raises(urllib.error.HTTPError) as redirected:
        pay = urllib.request.Request(f"{session.url}/pay", b"", method="POST")  # noqa: S310
        opener.open(pay, timeout=5)

    assert "Pay" in page
    assert redirected.value.code == 303
    location = redirected.value.headers["Location"]
    assert location == f"https://cocreate.test/paid?session={session.id}"
    assert [e["type"] for e in receiver.events()] == ["checkout.session.completed"]
