"""What a person does on the sandbox's pages, as Stripe would record it: paying a
Checkout Session with a test card, finishing Connect onboarding, and a session timing
out. Each changes the objects and emits the events Stripe emits, in one transaction."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from payments.sandbox import objects, store
from payments.sandbox.cards import CardDecision, card_judge
from payments.sandbox.models import SandboxObject


class CheckoutClosed(Exception):
    """The session is no longer open (paid or expired): nothing to pay."""

    def __init__(self, session: dict):
        super().__init__(session["status"])
        self.session = session


class LinkExpired(Exception):
    """An account link is used once and for five minutes; after that the person is
    sent to its refresh_url, which asks the platform for a new one."""

    def __init__(self, refresh_url: str):
        super().__init__(refresh_url)
        self.refresh_url = refresh_url


@dataclass(frozen=True)
class Payment:
    decision: CardDecision
    redirect_to: str = ""


def checkout_expire_if_due(row: SandboxObject) -> SandboxObject:
    """An open session past its ``expires_at`` expires (``checkout.session.expired``).
    Stripe does this on its own clock; the sandbox does it when the session is next
    read or opened. The row must be locked by the caller."""
    session = row.data
    if session["status"] == "open" and session["expires_at"] <= objects.now():
        session.update(status="expired", url=None)
        row.data = session
        store.save(row)
        store.emit("checkout.session.expired", session)
    return row


def checkout_refresh(*, session_id: str) -> SandboxObject:
    """The session as it stands now (expired first if its time is up)."""
    with transaction.atomic():
        return checkout_expire_if_due(store.get(session_id, "checkout.session", lock=True))


def checkout_pay(
    *, session_id: str, number: str, expiry: str, cvc: str, email: str, name: str
) -> Payment:
    """Pay an open session with a test card. A declined card changes nothing (Stripe
    keeps the session open for another try); a good one makes the PaymentIntent and the
    Charge, completes the session, adds the amount to the platform's balance and emits
    charge.succeeded, payment_intent.succeeded and checkout.session.completed."""
    decision = card_judge(
        number=number, expiry=expiry, cvc=cvc, today=datetime.datetime.now(datetime.UTC).date()
    )
    with transaction.atomic():
        row = checkout_expire_if_due(store.get(session_id, "checkout.session", lock=True))
        session = row.data
        if session["status"] != "open":
            raise CheckoutClosed(session)
        if not decision.ok:
            return Payment(decision)
        data = row.private.get("payment_intent_data") or {}
        charge_id, method_id = objects.new_id("ch"), objects.new_id("pm")
        intent = objects.payment_intent(
            amount=session["amount_total"],
            currency=session["currency"],
            charge_id=charge_id,
            method_id=method_id,
            data={**data, "receipt_email": email or session["customer_email"]},
        )
        charge = objects.charge(
            charge_id=charge_id,
            intent=intent,
            method_id=method_id,
            email=email,
            name=name,
            last4=decision.last4,
            brand=decision.brand,
            receipt_url=session["url"] or "",
        )
        store.put(intent)
        store.put(charge)
        session.update(
            status="complete",
            payment_status="paid",
            payment_intent=intent["id"],
            customer_details={
                "address": None,
                "email": email,
                "name": name,
                "phone": None,
                "tax_exempt": "none",
                "tax_ids": [],
            },
        )
        row.data = session
        store.save(row)
        store.move("", session["currency"], session["amount_total"])
        store.emit("charge.succeeded", charge)
        store.emit("payment_intent.succeeded", intent)
        store.emit("checkout.session.completed", session)
    success = (session["success_url"] or "").replace("{CHECKOUT_SESSION_ID}", session["id"])
    return Payment(decision, redirect_to=success)


def account_link_open(*, link_id: str) -> tuple[SandboxObject, SandboxObject]:
    """The link and its account, or LinkExpired when the link is past its five minutes."""
    link = store.get(link_id, "account_link")
    if link.data["expires_at"] <= objects.now() or link.private.get("used"):
        raise LinkExpired(link.private["refresh_url"])
    return link, store.get(link.private["account"], "account")


def account_onboard(*, link_id: str, name: str, account_number: str) -> str:
    """Finish onboarding through an account link: details submitted, charges and payouts
    enabled, the requested capabilities active, a test bank account attached, nothing
    left due; emits ``account.updated`` (a Connect event) with the previous values.
    Returns the link's return_url."""
    with transaction.atomic():
        link = store.get(link_id, "account_link", lock=True)
        if link.data["expires_at"] <= objects.now() or link.private.get("used"):
            raise LinkExpired(link.private["refresh_url"])
        row = store.get(link.private["account"], "account", lock=True)
        account = row.data
        watched = (
            "details_submitted",
            "charges_enabled",
            "payouts_enabled",
            "capabilities",
            "requirements",
            "business_type",
            "external_accounts",
            "tos_acceptance",
        )
        previous = {key: account[key] for key in watched}
        first, _, last = name.strip().partition(" ")
        bank = objects.bank_account(
            account_id=account["id"],
            country=account["country"],
            currency=account["default_currency"],
            last4=account_number[-4:],
        )
        cleared: dict[str, Any] = {
            "currently_due": [],
            "eventually_due": [],
            "past_due": [],
            "disabled_reason": None,
        }
        account.update(
            business_type="individual",
            charges_enabled=True,
            payouts_enabled=True,
            details_submitted=True,
            capabilities=dict.fromkeys(account["capabilities"] or {"transfers": 0}, "active"),
            tos_acceptance={"date": objects.now(), "ip": "127.0.0.1", "user_agent": "sandbox"},
            individual={"first_name": first, "last_name": last},
        )
        account["requirements"].update(cleared)
        account["future_requirements"].update(cleared)
        accounts = account["external_accounts"]
        accounts["data"] = [bank]
        accounts["total_count"] = 1
        row.data = account
        store.save(row)
        link.private["used"] = True
        store.save(link)
        changed = {key: value for key, value in previous.items() if account[key] != value}
        store.emit("account.updated", account, account=account["id"], previous=changed)
    return link.private["return_url"]
