"""Buying a licence: accept an offer and, when its version asks an upfront fee, open the
Stripe Checkout page that pays it. The web page, the API and the "Pay" button all come
here, so a payment that cannot start reads the same everywhere."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import stripe

from licensing import services as licensing_services
from licensing.enums import GrantStatus
from payments.models import CheckoutSession
from payments.services.checkout import checkout_for_grant
from payments.services.provider_errors import PaymentUnavailable, provider_failed

if TYPE_CHECKING:
    from accounts.models import User
    from licensing.models import Grant, Offer


@dataclass(frozen=True)
class Acceptance:
    """An accepted offer: the grant, the page that pays its fee (None when nothing is
    due or the payment could not start) and, when it could not, why."""

    grant: Grant
    checkout_url: str | None = None
    payment_problem: str = ""


def grant_checkout_start(*, grant: Grant, by: User, gateway) -> CheckoutSession:
    """The open Checkout page for the grant's upfront fee, or a new one. A provider
    failure is logged and raised as PaymentUnavailable, in words a person can act on."""
    try:
        return checkout_for_grant(grant=grant, by=by, gateway=gateway)
    except stripe.StripeError as exc:
        raise provider_failed(
            exc, doing="start the payment", context=f"checkout for grant {grant.pk}"
        ) from exc


def offer_accept_and_pay(
    *,
    offer: Offer,
    by: User,
    max_fee: int,
    max_rev_share_bps: int,
    max_generation_fee: int,
    gateway,
) -> Acceptance:
    """Accept the offer's current version within the prices the creator agreed to
    (licensing refuses a costlier one), then start paying its upfront fee if one is due.
    A payment that cannot start leaves the grant waiting for payment, to be paid later."""
    grant = licensing_services.grant_accept(
        offer=offer,
        by=by,
        max_fee=max_fee,
        max_rev_share_bps=max_rev_share_bps,
        max_generation_fee=max_generation_fee,
    )
    if grant.status != GrantStatus.PENDING_PAYMENT:
        return Acceptance(grant=grant)
    try:
        session = grant_checkout_start(grant=grant, by=by, gateway=gateway)
    except PaymentUnavailable as exc:
        return Acceptance(grant=grant, payment_problem=exc.detail)
    return Acceptance(grant=grant, checkout_url=session.url)
