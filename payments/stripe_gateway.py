"""Every call Cocreate makes to Stripe, in one place. It takes a ``stripe.StripeClient``
and passes our own idempotency keys, so a retried task never creates a second object.
Production talks to api.stripe.com; tests point ``STRIPE_API_BASE`` at a loopback fake.
Nothing here knows which one it is talking to."""

from __future__ import annotations

from typing import Any

import stripe
from django.conf import settings

# Errors after which the same call, with the same idempotency key, may succeed: the
# network or a timeout (APIConnectionError), a 5xx (APIError) and rate limiting (429,
# RateLimitError). stripe-python retries the first two itself (max_network_retries)
# but not a 429 unless Stripe sends ``Stripe-Should-Retry: true``; money tasks retry
# all three at the Celery level (payments/tasks.py), with the same business key.
TRANSIENT_STRIPE_ERRORS = (stripe.APIConnectionError, stripe.APIError, stripe.RateLimitError)


def stripe_client() -> stripe.StripeClient:
    """The client for the configured Stripe account (key and base address from settings).

    Every POST carries our idempotency key, so the SDK's own retries (network errors,
    timeouts, 409 and 5xx, with back-off) cannot create a second object. The timeout is
    ours, not the SDK's 80 s: a web request waiting on Stripe must give up well before
    the browser does."""
    base = {"api": settings.STRIPE_API_BASE} if settings.STRIPE_API_BASE else None
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses=base or {},
        max_network_retries=settings.STRIPE_MAX_NETWORK_RETRIES,
        http_client=stripe.RequestsClient(timeout=settings.STRIPE_TIMEOUT_S),
    )


class StripeGateway:
    def __init__(self, client: stripe.StripeClient):
        self.client = client

    @classmethod
    def from_settings(cls) -> StripeGateway:
        return cls(stripe_client())

    # --- Connect ----------------------------------------------------------------------

    def account_create(
        self, *, key: str, email: str, country: str, metadata: dict[str, str]
    ) -> Any:
        return self.client.v1.accounts.create(
            {
                "type": "express",
                "email": email,
                "country": country,
                "capabilities": {"transfers": {"requested": True}},
                "metadata": metadata,
            },
            {"idempotency_key": key},
        )

    def account_retrieve(self, account_id: str) -> Any:
        return self.client.v1.accounts.retrieve(account_id)

    def account_link_create(
        self, *, key: str, account_id: str, refresh_url: str, return_url: str
    ) -> Any:
        return self.client.v1.account_links.create(
            {
                "account": account_id,
                "refresh_url": refresh_url,
                "return_url": return_url,
                "type": "account_onboarding",
            },
            {"idempotency_key": key},
        )

    # --- Checkout (licence fees and tips) ------------------------------------------------

    def checkout_session_create(
        self,
        *,
        key: str,
        amount: int,
        currency: str,
        name: str,
        success_url: str,
        cancel_url: str,
        transfer_group: str,
        metadata: dict[str, str],
        customer_email: str = "",
    ) -> Any:
        params: dict[str, Any] = {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": currency.lower(),
                        "unit_amount": amount,
                        "product_data": {"name": name},
                    },
                }
            ],
            "payment_intent_data": {"transfer_group": transfer_group, "metadata": metadata},
            "success_url": success_url,
            "cancel_url": cancel_url,
            "metadata": metadata,
        }
        if customer_email:
            params["customer_email"] = customer_email
        return self.client.v1.checkout.sessions.create(params, {"idempotency_key": key})

    def checkout_session_retrieve(self, session_id: str) -> Any:
        return self.client.v1.checkout.sessions.retrieve(session_id)

    def payment_intent_retrieve(
        self, payment_intent_id: str, *, expand_charge: bool = False
    ) -> Any:
        params = {"expand": ["latest_charge"]} if expand_charge else {}
        return self.client.v1.payment_intents.retrieve(payment_intent_id, params)

    # --- Money out ----------------------------------------------------------------------

    def transfer_create(
        self,
        *,
        key: str,
        amount: int,
        currency: str,
        destination: str,
        transfer_group: str = "",
        source_transaction: str = "",
        metadata: dict[str, str],
    ) -> Any:
        params: dict[str, Any] = {
            "amount": amount,
            "currency": currency.lower(),
            "destination": destination,
            "metadata": metadata,
        }
        if transfer_group:
            params["transfer_group"] = transfer_group
        if source_transaction:
            params["source_transaction"] = source_transaction
        return self.client.v1.transfers.create(params, {"idempotency_key": key})

    def transfer_retrieve(self, transfer_id: str) -> Any:
        return self.client.v1.transfers.retrieve(transfer_id)

    def transfer_reversal_create(
        self, *, key: str, transfer_id: str, amount: int, metadata: dict[str, str]
    ) -> Any:
        return self.client.v1.transfers.reversals.create(
            transfer_id, {"amount": amount, "metadata": metadata}, {"idempotency_key": key}
        )

    def refund_create(self, *, key: str, payment_intent: str, amount: int | None = None) -> Any:
        params: dict[str, Any] = {"payment_intent": payment_intent}
        if amount is not None:
            params["amount"] = amount
        return self.client.v1.refunds.create(params, {"idempotency_key": key})

    def balance_retrieve(self) -> Any:
        return self.client.v1.balance.retrieve()

    # --- Webhooks -----------------------------------------------------------------------

    @staticmethod
    def webhook_event(*, payload: bytes, signature: str) -> stripe.Event:
        """Verify the signature (with Stripe's default 300 s tolerance) and parse."""
        return stripe.Webhook.construct_event(payload, signature, settings.STRIPE_WEBHOOK_SECRET)


def stripe_gateway() -> StripeGateway:
    """The Stripe gateway the settings configure."""
    return StripeGateway.from_settings()
