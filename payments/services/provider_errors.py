"""When Stripe (or the network to it) fails a call a person is waiting on: they read
what happened and what to do in our words, with a short reference; the log holds
Stripe's own error under the same reference. Stripe's messages are written for
developers ("let us know at support@stripe.com", a connection pool's repr) and never
reach a page."""

from __future__ import annotations

import logging
import uuid

import stripe
from rest_framework import status

from core.errors import DomainError
from payments.enums import PaymentsError

log = logging.getLogger("payments.provider")


class PaymentUnavailable(DomainError):
    """The payment provider could not do it now; nothing was charged (503)."""

    code = PaymentsError.PAYMENT_PROVIDER_UNAVAILABLE
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE

    def __init__(self, detail: str, *, reference: str):
        super().__init__(detail)
        self.reference = reference


def error_reference() -> str:
    return uuid.uuid4().hex[:10]


def provider_failed(
    exc: stripe.StripeError, *, doing: str, context: str = ""
) -> PaymentUnavailable:
    """Log ``exc`` under a new reference and return the refusal a person reads.
    ``doing`` completes "we could not …" ("start the payment")."""
    reference = error_reference()
    log.warning(
        "Stripe failed to %s%s [ref %s]: %s: %s (Stripe request %s)",
        doing,
        f" ({context})" if context else "",
        reference,
        type(exc).__name__,
        exc,
        getattr(exc, "request_id", None),
    )
    if isinstance(exc, stripe.APIConnectionError | stripe.APIError | stripe.RateLimitError):
        why = "Our payment provider did not answer"
        then = "Try again in a minute."
    elif isinstance(exc, stripe.AuthenticationError | stripe.PermissionError):
        why = "Payments are not set up correctly on our side"
        then = "We have logged it; please try again later."
    else:
        why = "Our payment provider refused the request"
        then = "We have logged it; please try again later."
    return PaymentUnavailable(
        f"{why}, so we could not {doing}. Nothing was charged. {then} (Reference: {reference})",
        reference=reference,
    )


# What a refused transfer means for the person whose payout it was.
_TRANSFER_REFUSALS = {
    "balance_insufficient": "the platform's Stripe balance could not cover it yet",
    "insufficient_capabilities_for_transfer": (
        "your Stripe account cannot receive transfers yet; finish onboarding on the Connect page"
    ),
    "account_invalid": "your Stripe account is no longer connected",
    "resource_missing": "your Stripe account is no longer connected",
}


def transfer_refusal(exc: stripe.StripeError, *, payout_id) -> str:
    """The reason a payout's transfer failed, for the payout's page (our words, with a
    reference to the logged Stripe error)."""
    reference = error_reference()
    log.warning(
        "Stripe refused the transfer of payout %s [ref %s]: %s: %s (Stripe request %s)",
        payout_id,
        reference,
        type(exc).__name__,
        exc,
        getattr(exc, "request_id", None),
    )
    why = _TRANSFER_REFUSALS.get(getattr(exc, "code", None) or "", "it did not say why")
    return f"Stripe refused the transfer: {why}. (Reference: {reference})"
