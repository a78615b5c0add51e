"""Telling the sandbox about a history it did not see. The demo marketplace is seeded
before any server runs, with an offline stand-in for Stripe (demo/seed/stripe_offline.py),
so in test mode the seed hands the sandbox what that history left at "Stripe": the
connected accounts (onboarded) and the platform's balance. Once per key: a second seed
finds it done, and what happened since in the sandbox is left as it is."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from payments.sandbox import objects, store
from payments.sandbox.models import SandboxObject


def sandbox_adopt(*, key: str, accounts: list[tuple[str, str, str]], funds: dict[str, int]) -> bool:
    """Record each ``(account id, email, country)`` as an onboarded Express account that
    can receive transfers, and add ``funds`` (currency → minor units) to the platform's
    available balance. No event is sent: this is history, already in the ledger.
    Returns False when ``key`` was adopted before."""
    marker = f"adoption_{key}"
    with transaction.atomic():
        if SandboxObject.objects.filter(pk=marker).exists():
            return False
        for account_id, email, country in accounts:
            if SandboxObject.objects.filter(pk=account_id).exists():
                continue
            account = objects.account(
                email=email, country=country, kind="express", metadata={}, capabilities={}
            )
            cleared: dict[str, Any] = {
                "currently_due": [],
                "eventually_due": [],
                "past_due": [],
                "disabled_reason": None,
            }
            account.update(
                id=account_id,
                capabilities={"transfers": "active"},
                charges_enabled=True,
                payouts_enabled=True,
                details_submitted=True,
            )
            account["requirements"].update(cleared)
            account["future_requirements"].update(cleared)
            store.put(account)
        for currency, amount in funds.items():
            if amount > 0:
                store.move("", currency.lower(), amount)
        store.put({"id": marker, "object": "sandbox.adoption", "funds": funds})
    return True
