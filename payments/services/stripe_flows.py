"""Stripe flows: Connect onboarding, Checkout for licence fees and tips, and the
webhook handlers that settle them. Handlers re-read the object from Stripe when its
state matters, so events arriving late or out of order do the right thing."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from accounts.models import Organization, User
from core.errors import DomainError, NotPermitted
from core.money import Money
from payments.enums import AccountKind, CheckoutPurpose, CheckoutStatus, RevenueKind, RevenueStatus
from payments.models import (
    CheckoutSession,
    ConnectedAccount,
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    RevenueEvent,
)
from payments.services import payouts
from payments.services.ledger import Line, account_for, ledger_post, platform_account
from payments.services.revenue import revenue_event_record, revenue_event_settle

log = logging.getLogger(__name__)
TIP_MIN, TIP_MAX = 100, 100_000


def stripe_gateway():
    """The Stripe gateway the settings configure, for the API views of other apps (they
    reach payments only through its services)."""
    from payments.stripe_gateway import StripeGateway

    return StripeGateway.from_settings()


def _url(name: str, **kwargs) -> str:
    return settings.SITE_URL.rstrip("/") + reverse(name, kwargs=kwargs or None)


# --- Connect onboarding -------------------------------------------------------------------


def connect_onboarding_link(
    *, by: User, gateway, organization: Organization | None = None, country: str = "US"
) -> str:
    """Create (once) the Stripe Connect account of ``by`` or of an organization they own,
    and return a fresh onboarding link."""
    if organization is not None:
        from accounts import selectors as accounts_selectors

        if accounts_selectors.membership_role(organization=organization, user=by) != "owner":
            raise NotPermitted("Only an owner can connect the organization's bank account.")
        owner_filter: dict[str, Any] = {"organization": organization}
        key, email = f"connect-org-{organization.pk}", by.email
    else:
        owner_filter = {"user": by}
        key, email = f"connect-user-{by.pk}", by.email
    connected = ConnectedAccount.objects.filter(**owner_filter).first()
    if connected is None:
        account = gateway.account_create(
            key=key,
            email=email,
            country=country,
            metadata={k: str(getattr(v, "pk", v)) for k, v in owner_filter.items()},
        )
        connected, _ = ConnectedAccount.objects.get_or_create(
            stripe_account_id=account.id, defaults={**owner_filter, "country": country}
        )
    link = gateway.account_link_create(
        key=f"{key}-link-{connected.updated_at.timestamp():.0f}",
        account_id=connected.stripe_account_id,
        refresh_url=_url("payments:connect"),
        return_url=_url("payments:connect_return"),
    )
    return link.url


def connect_account_sync(*, stripe_account_id: str, gateway) -> ConnectedAccount | None:
    """``account.updated``: re-read the account and record whether it can be paid."""
    connected = ConnectedAccount.objects.filter(stripe_account_id=stripe_account_id).first()
    if connected is None:
        return None
    account = gateway.account_retrieve(stripe_account_id)
    connected.payouts_enabled = bool(account.payouts_enabled)
    connected.charges_enabled = bool(account.charges_enabled)
    connected.details_submitted = bool(account.details_submitted)
    connected.save(
        update_fields=["payouts_enabled", "charges_enabled", "details_submitted", "updated_at"]
    )
    return connected


# --- Checkout -------------------------------------------------------------------------------


def checkout_for_grant(*, grant, by: User, gateway) -> CheckoutSession:
    """A Checkout Session for a grant's upfront fee (transfer_group = the grant id). An
    earlier open session is reused; after expiry or cancellation a new one is made."""
    if grant.licensee_id != by.pk:
        raise NotPermitted("Only the licensee pays for this licence.")
    if grant.status != "pending_payment":
        raise DomainError("This licence is not waiting for payment.", code="invalid_state")
    terms = grant.offer.parsed_terms
    open_session = CheckoutSession.objects.filter(grant=grant, status=CheckoutStatus.OPEN).first()
    if open_session is not None:
        return open_session
    attempt = CheckoutSession.objects.filter(grant=grant).count()
    session = gateway.checkout_session_create(
        key=f"grant-{grant.pk}-checkout-{attempt}",
        amount=terms.upfront_fee,
        currency=terms.currency,
        name=f"Licence: {grant.character.name} ({grant.offer.title} v{grant.offer.version})",
        success_url=_url("payments:checkout_done") + "?session={CHECKOUT_SESSION_ID}",
        cancel_url=_url("licensing:my_grants"),
        transfer_group=str(grant.pk),
        metadata={"purpose": CheckoutPurpose.LICENSE_FEE, "grant_id": str(grant.pk)},
        customer_email=by.email,
    )
    return CheckoutSession.objects.create(
        stripe_session_id=session.id,
        purpose=CheckoutPurpose.LICENSE_FEE,
        payer=by,
        grant=grant,
        amount=terms.upfront_fee,
        currency=terms.currency,
        url=session.url,
    )


def checkout_for_tip(*, work, by: User, money: Money, gateway) -> CheckoutSession:
    """A viewer tips a published work."""
    if work.status != "published":
        raise DomainError("Only published videos can be tipped.", code="invalid_state")
    if not TIP_MIN <= money.amount <= TIP_MAX:
        raise DomainError(
            f"Tips are between {Money(TIP_MIN, money.currency)} and "
            f"{Money(TIP_MAX, money.currency)}.",
            field="amount",
        )
    attempt = CheckoutSession.objects.filter(work=work, payer=by).count()
    session = gateway.checkout_session_create(
        key=f"tip-{work.pk}-{by.pk}-{attempt}",
        amount=money.amount,
        currency=money.currency,
        name=f"Tip for “{work.title[:60]}”",
        success_url=_url("payments:checkout_done") + "?session={CHECKOUT_SESSION_ID}",
        cancel_url=_url("marketplace:work_detail", pk=work.pk),
        transfer_group=f"work-{work.pk}",
        metadata={"purpose": CheckoutPurpose.TIP, "work_id": str(work.pk)},
        customer_email=by.email,
    )
    return CheckoutSession.objects.create(
        stripe_session_id=session.id,
        purpose=CheckoutPurpose.TIP,
        payer=by,
        work=work,
        amount=money.amount,
        currency=money.currency,
        url=session.url,
    )


def checkout_completed(*, session_id: str, gateway) -> CheckoutSession | None:
    """``checkout.session.completed``: re-read the session; if paid, activate the grant
    or record the tip, and settle the revenue. Idempotent."""
    from licensing import services as licensing_services

    local = CheckoutSession.objects.filter(stripe_session_id=session_id).first()
    if local is None:
        return None
    session = gateway.checkout_session_retrieve(session_id)
    if session.payment_status != "paid":
        return local
    with transaction.atomic():
        local = CheckoutSession.objects.select_for_update().get(pk=local.pk)
        if local.status == CheckoutStatus.COMPLETE:
            return local
        local.status = CheckoutStatus.COMPLETE
        local.payment_intent_id = session.payment_intent or ""
        local.save(update_fields=["status", "payment_intent_id", "updated_at"])
        money = Money(local.amount, local.currency)
        if local.purpose == CheckoutPurpose.LICENSE_FEE:
            grant = local.grant
            assert grant is not None  # a licence-fee checkout always has its grant
            event, _ = revenue_event_record(
                kind=RevenueKind.LICENSE_FEE,
                source="stripe",
                external_id=local.payment_intent_id or session_id,
                money=money,
                grant=grant,
                payer=local.payer,
            )
            if grant.status == "pending_payment":
                terms = grant.offer.parsed_terms
                needs_approval = terms.approval == "per_licensee" or terms.audience == "approved"
                licensing_services.grant_transition(
                    grant=grant,
                    to="pending_approval" if needs_approval else "active",
                    by=None,
                    note="paid",
                )
        else:
            event, _ = revenue_event_record(
                kind=RevenueKind.TIP,
                source="stripe",
                external_id=local.payment_intent_id or session_id,
                money=money,
                work=local.work,
                payer=local.payer,
            )
        revenue_event_settle(event=event)
    # Out of order: a refund or chargeback may have arrived before this event and found
    # nothing to reverse. Re-read the charge and reverse now if so.
    if local.payment_intent_id:
        intent = gateway.payment_intent_retrieve(local.payment_intent_id, expand_charge=True)
        charge = intent.latest_charge if not isinstance(intent.latest_charge, str) else None
        if charge is not None and (charge.refunded or charge.disputed):
            kind = "refund" if charge.refunded else "chargeback"
            revenue_reverse(
                event=event, reason=kind, key=f"{kind}:{local.payment_intent_id}", gateway=gateway
            )
    return local


def checkout_expired(*, session_id: str) -> CheckoutSession | None:
    """``checkout.session.expired``: the grant stays pending_payment; the creator may
    start a new Checkout from My licences."""
    local = CheckoutSession.objects.filter(stripe_session_id=session_id).first()
    if local is None or local.status != CheckoutStatus.OPEN:
        return local
    local.status = CheckoutStatus.EXPIRED
    local.save(update_fields=["status", "updated_at"])
    return local


# --- Refunds and chargebacks ---------------------------------------------------------------


def revenue_reverse(*, event: RevenueEvent, reason: str, key: str, gateway=None) -> None:
    """Reverse a settled revenue event (a refund or a chargeback): post the mirror of
    its settlement, taking each party's share from where it now is (pending, or
    available once released). Where a party's available balance goes below zero because
    the money was already paid out, reverse the latest transfer for the shortfall."""
    with transaction.atomic():
        event = RevenueEvent.objects.select_for_update().get(pk=event.pk)
        if event.transaction is None:
            return
        if event.status != RevenueStatus.REFUNDED:
            _reverse_in_ledger(event=event, reason=reason, key=key)
    if gateway is not None:
        # Also when the ledger part was done by an earlier attempt that then failed
        # talking to Stripe: the retry must still claw back (same keys, so once).
        debited = (
            LedgerEntry.objects.filter(transaction__key=key, account__kind=AccountKind.AVAILABLE)
            .values_list("account_id", flat=True)
            .distinct()
        )
        for account in LedgerAccount.objects.filter(pk__in=debited).order_by("pk"):
            _claw_back(account=account, gateway=gateway, key=key)


def _reverse_in_ledger(*, event: RevenueEvent, reason: str, key: str) -> None:
    """The ledger half of a reversal, in the caller's transaction (event locked)."""
    settled = event.transaction
    assert settled is not None  # the caller returns first for an unsettled event
    released = LedgerTransaction.objects.filter(key=f"release:{settled.key}").exists()
    lines: list[Line] = []
    for entry in LedgerEntry.objects.filter(transaction=settled).select_related(
        "account__user", "account__organization"
    ):
        account = entry.account
        if account.kind == AccountKind.PENDING and released:
            owner = account.user or account.organization
            account = account_for(owner=owner, kind=AccountKind.AVAILABLE, currency=entry.currency)
        lines.append(Line(account, Money(-entry.amount, entry.currency), entry.work_id))
    ledger_post(
        key=key,
        kind="revenue.reversal",
        lines=lines,
        memo=reason,
        meta={"event": str(event.pk)},
    )
    event.status = RevenueStatus.REFUNDED
    event.save(update_fields=["status"])
    grant = event.grant
    if event.kind == RevenueKind.LICENSE_FEE and grant is not None and grant.status == "active":
        from licensing import services as licensing_services

        # The licence was paid for with money that went back: it ends here.
        licensing_services.grant_transition(
            grant=grant, to="revoked", by=None, note=f"licence fee {reason}"
        )


CLAWBACK_PURPOSE = "clawback"


def _claw_back(*, account, gateway, key: str) -> None:
    from payments.services.ledger import balance

    owed = -balance(account=account).amount
    if owed <= 0:
        return
    payout = (
        account.payouts.filter(status__in=["submitted", "paid"])
        .exclude(stripe_transfer_id="")
        .order_by("-created_at")
        .first()
    )
    if payout is None:
        return
    amount = min(owed, payout.amount)
    reversal = gateway.transfer_reversal_create(
        key=f"{key}-reversal-{account.pk}",
        transfer_id=payout.stripe_transfer_id,
        amount=amount,
        metadata={"payout_id": str(payout.pk), "purpose": CLAWBACK_PURPOSE},
    )
    money = Money(amount, account.currency)
    clearing = platform_account(kind=AccountKind.STRIPE_CLEARING, currency=account.currency)
    ledger_post(
        key=f"{key}-reversal-{account.pk}",
        kind="payout.clawback",
        lines=[Line(clearing, -money), Line(account, money)],
        memo=f"transfer reversal {reversal.id}",
        meta={"payout": str(payout.pk)},
    )


def charge_refunded(*, payment_intent_id: str, gateway) -> RevenueEvent | None:
    event = RevenueEvent.objects.filter(source="stripe", external_id=payment_intent_id).first()
    if event is None:
        return None
    revenue_reverse(
        event=event, reason="refunded", key=f"refund:{payment_intent_id}", gateway=gateway
    )
    CheckoutSession.objects.filter(payment_intent_id=payment_intent_id).update(
        status=CheckoutStatus.REFUNDED
    )
    return event


def charge_disputed(*, payment_intent_id: str, dispute_id: str, gateway) -> RevenueEvent | None:
    event = RevenueEvent.objects.filter(source="stripe", external_id=payment_intent_id).first()
    if event is None:
        return None
    revenue_reverse(
        event=event,
        reason=f"chargeback {dispute_id}",
        key=f"chargeback:{payment_intent_id}",
        gateway=gateway,
    )
    return event


# --- Webhook dispatch ----------------------------------------------------------------------


def webhook_handle(*, event: dict, gateway) -> str:
    """Handle one stored Stripe event. Returns a short result for the event log; an
    unknown type is acknowledged and ignored."""
    kind = event["type"]
    obj = event["data"]["object"]
    if kind == "checkout.session.completed":
        local = checkout_completed(session_id=obj["id"], gateway=gateway)
        return f"checkout {local.status if local else 'unknown'}"
    if kind == "checkout.session.expired":
        local = checkout_expired(session_id=obj["id"])
        return f"checkout {local.status if local else 'unknown'}"
    if kind == "account.updated":
        connected = connect_account_sync(stripe_account_id=obj["id"], gateway=gateway)
        return (
            f"account payouts_enabled={connected.payouts_enabled}"
            if connected
            else "unknown account"
        )
    if kind in ("transfer.created", "transfer.paid"):
        payout = payouts.payout_confirm(
            transfer_id=obj["id"], payout_id=(obj.get("metadata") or {}).get("payout_id", "")
        )
        return f"payout {payout.status}" if payout else "unknown transfer"
    if kind == "transfer.reversed":
        payout = payouts.Payout.objects.filter(stripe_transfer_id=obj["id"]).first()
        if payout is None:
            return "unknown transfer"
        # Our own clawbacks (a refund after the payout) are not a failed payout, and
        # their webhook may arrive before the clawback is in our ledger: tell them
        # apart by the metadata we give them, not by what the ledger holds yet.
        transfer = gateway.transfer_retrieve(obj["id"])
        ours = sum(
            r.amount
            for r in transfer.reversals.data
            if (r.metadata or {}).get("purpose") == CLAWBACK_PURPOSE
        )
        if ours and transfer.amount_reversed - ours <= 0:
            return "our own clawback"
        if transfer.amount_reversed - ours >= payout.amount and payout.status != "failed":
            payouts.payout_fail(payout_id=payout.pk, reason="The transfer was reversed by Stripe.")
        return f"payout {payout.status}"
    if kind == "charge.refunded":
        found = charge_refunded(payment_intent_id=obj.get("payment_intent") or "", gateway=gateway)
        return "refund reversed" if found else "unknown charge"
    if kind == "charge.dispute.created":
        found = charge_disputed(
            payment_intent_id=obj.get("payment_intent") or "", dispute_id=obj["id"], gateway=gateway
        )
        return "chargeback reversed" if found else "unknown charge"
    return "ignored"
