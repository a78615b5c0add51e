"""Stripe Checkout: paying a licence's upfront fee and tipping a work, and the
webhook handlers that settle them. They re-read the session from Stripe when its state
matters, so events arriving late or out of order do the right thing."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.db import transaction

from core.errors import DomainError, ErrorCode, NotPermitted
from core.links import absolute_url
from core.money import Money
from licensing import services as licensing_services
from payments.enums import CheckoutPurpose, CheckoutStatus, PaymentsError, RevenueKind
from payments.models import (
    CheckoutSession,
)
from payments.services.refunds import licence_fees_refund
from payments.services.revenue import (
    NotCommercial,
    revenue_event_record,
    revenue_event_settle,
    work_earning_refusal,
)
from payments.services.reversals import revenue_reverse
from payments.services.wallet import wallet_top_up_credit

if TYPE_CHECKING:
    from accounts.models import User


log = logging.getLogger(__name__)
TIP_MIN, TIP_MAX = 100, 100_000


def checkout_for_grant(*, grant, by: User, gateway) -> CheckoutSession:
    """A Checkout Session for a grant's upfront fee (transfer_group = the grant id). An
    earlier open session is reused; after expiry or cancellation a new one is made."""
    if grant.licensee_id != by.pk:
        raise NotPermitted("Only the licensee pays for this licence.")
    if grant.status != "pending_payment":
        raise DomainError("This licence is not waiting for payment.", code=ErrorCode.INVALID_STATE)
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
        success_url=absolute_url("payments:checkout_done") + "?session={CHECKOUT_SESSION_ID}",
        cancel_url=absolute_url("licensing:my_grants"),
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


class OwnWork(DomainError):
    code = PaymentsError.OWN_WORK
    status_code = 403


def checkout_for_tip(*, work, by: User, money: Money, gateway) -> CheckoutSession:
    """A viewer tips a published work. Refused for the work's own creator, for a work
    whose licences do not allow commercial use (it earns nothing), and outside the tip
    limits."""
    if work.status != "published":
        raise DomainError("Only published videos can be tipped.", code=ErrorCode.INVALID_STATE)
    if work.creator_id == by.pk:
        raise OwnWork("You cannot tip your own video.")
    refusal = work_earning_refusal(work=work, kind=RevenueKind.TIP)
    if refusal:
        raise NotCommercial(refusal)
    if not TIP_MIN <= money.amount <= TIP_MAX:
        raise DomainError(
            f"Tips are between {Money(TIP_MIN, money.currency)} and "
            f"{Money(TIP_MAX, money.currency)}.",
            field="amount",
        )
    attempt = CheckoutSession.objects.filter(work=work, payer=by).count()
    session = gateway.checkout_session_create(
        # The amount is in the key: a retry of this tip is the same request, another
        # amount (after a rollback that lost the count) is not.
        key=f"tip-{work.pk}-{by.pk}-{attempt}-{money.amount}{money.currency}",
        amount=money.amount,
        currency=money.currency,
        name=f"Tip for “{work.title[:60]}”",
        success_url=absolute_url("payments:checkout_done") + "?session={CHECKOUT_SESSION_ID}",
        cancel_url=absolute_url("marketplace:work_detail", pk=work.pk),
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
    local = CheckoutSession.objects.filter(stripe_session_id=session_id).first()
    if local is None:
        return None
    session = gateway.checkout_session_retrieve(session_id)
    if session.payment_status != "paid":
        return local
    if _tip_refused(local, session=session, gateway=gateway):
        return CheckoutSession.objects.get(pk=local.pk)
    with transaction.atomic():
        local = CheckoutSession.objects.select_for_update().get(pk=local.pk)
        if local.status in (CheckoutStatus.COMPLETE, CheckoutStatus.REFUNDED):
            return local
        local.status = CheckoutStatus.COMPLETE
        local.payment_intent_id = session.payment_intent or ""
        local.save(update_fields=["status", "payment_intent_id", "updated_at"])
        money = Money(local.amount, local.currency)
        if local.purpose == CheckoutPurpose.WALLET_TOP_UP:
            wallet_top_up_credit(local=local)
            event = None
        elif local.purpose == CheckoutPurpose.LICENSE_FEE:
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
            elif grant.status in ("ended", "revoked"):
                # Paid after the licence stopped waiting for it (withdrawn, its offer
                # ended): nothing was bought, so the fee goes back.
                licence_fees_refund(
                    grant_id=grant.pk, reason="the licence was no longer waiting for payment"
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
        if event is not None:
            revenue_event_settle(event=event)
    if event is None:
        return local
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


def _tip_refused(local: CheckoutSession, *, session, gateway) -> bool:
    """A paid tip for a work that may not take one (it is not commercial: only possible
    if the work changed after the tip began) is refunded rather than recorded, once
    (key ``tip-refused-<session>``). Returns whether it was."""
    if local.purpose != CheckoutPurpose.TIP or local.work is None:
        return False
    if not work_earning_refusal(work=local.work, kind=RevenueKind.TIP):
        return False
    if local.status != CheckoutStatus.REFUNDED and session.payment_intent:
        gateway.refund_create(key=f"tip-refused-{local.pk}", payment_intent=session.payment_intent)
        log.info("tip %s refunded: the work is not commercial", local.pk)
        CheckoutSession.objects.filter(pk=local.pk).update(
            status=CheckoutStatus.REFUNDED, payment_intent_id=session.payment_intent
        )
    return True


def checkout_expired(*, session_id: str) -> CheckoutSession | None:
    """``checkout.session.expired``: the grant stays pending_payment; the creator may
    start a new Checkout from My licences."""
    local = CheckoutSession.objects.filter(stripe_session_id=session_id).first()
    if local is None or local.status != CheckoutStatus.OPEN:
        return local
    local.status = CheckoutStatus.EXPIRED
    local.save(update_fields=["status", "updated_at"])
    return local
