"""A stand-in for payments.stripe_gateway.StripeGateway, for the demo's history only.

The seed builds a marketplace as if licence fees had been paid through Checkout, a
creator had onboarded with Stripe Connect, and a payout had been transferred. Stripe is
not reachable from the seed, so the payments services (which take the gateway as an
argument) are handed this object instead. It answers exactly the calls those flows
make, with ids derived from the idempotency keys the services pass (``cs_demo_…``,
``pi_demo_…``, ``acct_demo_…``, ``tr_demo_…``), so a re-run gets the same answers. Every
ledger posting, state transition and event row is still made by the real services."""

from __future__ import annotations

import hashlib
from types import SimpleNamespace
from typing import Any


def _demo_id(prefix: str, key: str) -> str:
    return f"{prefix}_demo_{hashlib.sha256(key.encode()).hexdigest()[:24]}"


class OfflineStripe:
    """Checkout sessions are paid at once, accounts are fully onboarded, transfers
    succeed. Calls the seed never makes are absent on purpose: they raise
    AttributeError instead of pretending."""

    site = "https://demo.cocreate.invalid"

    def checkout_session_create(self, *, key: str, **params: Any) -> SimpleNamespace:
        session_id = _demo_id("cs", key)
        return SimpleNamespace(id=session_id, url=f"{self.site}/checkout/{session_id}")

    def checkout_session_retrieve(self, session_id: str) -> SimpleNamespace:
        return SimpleNamespace(
            id=session_id, payment_status="paid", payment_intent=_demo_id("pi", session_id)
        )

    def payment_intent_retrieve(
        self, payment_intent_id: str, *, expand_charge: bool = False
    ) -> SimpleNamespace:
        charge = SimpleNamespace(
            id=_demo_id("ch", payment_intent_id), refunded=False, disputed=False
        )
        return SimpleNamespace(id=payment_intent_id, latest_charge=charge)

    def account_create(self, *, key: str, **params: Any) -> SimpleNamespace:
        return SimpleNamespace(id=_demo_id("acct", key))

    def account_link_create(self, *, key: str, account_id: str, **params: Any) -> SimpleNamespace:
        return SimpleNamespace(url=f"{self.site}/connect/{account_id}")

    def account_retrieve(self, account_id: str) -> SimpleNamespace:
        return SimpleNamespace(
            id=account_id, payouts_enabled=True, charges_enabled=True, details_submitted=True
        )

    def transfer_create(self, *, key: str, **params: Any) -> SimpleNamespace:
        return SimpleNamespace(id=_demo_id("tr", key), amount=params["amount"])
