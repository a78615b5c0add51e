"""Money tasks (queue ``money``): webhook handling, payouts, refunds, releasing pending funds.
Thin: each loads ids, calls one service, and is safe to run twice."""

import logging

from celery import shared_task
from django.utils import timezone

from core.tasks import TRANSIENT_ERRORS
from payments import services
from payments.models import StripeEvent
from payments.services import payouts, webhooks
from payments.stripe_gateway import TRANSIENT_STRIPE_ERRORS, StripeGateway

log = logging.getLogger(__name__)
# The database or broker blinked, or Stripe answered 5xx/429 or not at all after the
# SDK's own retries: run the task again later. Every Stripe call in these tasks is keyed
# by a business id (``payout-<id>``, ``refund:<intent>-reversal-<account>``...), so the
# retry sends the same key and Stripe returns the object it already made.
TRANSIENT = (*TRANSIENT_ERRORS, *TRANSIENT_STRIPE_ERRORS)


@shared_task(
    name="payments.webhook_handle",
    on_queue="money",
    acks_late=True,
    autoretry_for=TRANSIENT,
    retry_backoff=2,
    max_retries=8,
    time_limit=120,
    soft_time_limit=100,
)
def webhook_handle(event_id: str) -> str:
    event = StripeEvent.objects.get(pk=event_id)
    if event.processed_at is not None:
        return event.result
    result = webhooks.webhook_handle(event=event.payload, gateway=StripeGateway.from_settings())
    StripeEvent.objects.filter(pk=event_id, processed_at__isnull=True).update(
        processed_at=timezone.now(), result=result[:300]
    )
    return result


@shared_task(
    name="payments.payouts_run",
    on_queue="money",
    acks_late=True,
    autoretry_for=TRANSIENT,
    retry_backoff=5,
    retry_backoff_max=300,
    max_retries=6,
    time_limit=600,
    soft_time_limit=580,
    expires=3000,
)
def payouts_run() -> int:
    """Create and submit every due payout (beat, hourly)."""
    return len(payouts.payouts_run(gateway=StripeGateway.from_settings()))


@shared_task(
    name="payments.payout_submit",
    on_queue="money",
    acks_late=True,
    autoretry_for=TRANSIENT,
    retry_backoff=5,
    retry_backoff_max=300,
    max_retries=6,
    time_limit=120,
    soft_time_limit=100,
    expires=3000,
)
def payout_submit(payout_id: str) -> str:
    """Send one payout's transfer (a withdrawal, enqueued when it is made). Done already,
    or by the hourly run meanwhile: the payout is no longer created and nothing is sent."""
    payout = payouts.payout_submit(payout_id=payout_id, gateway=StripeGateway.from_settings())
    return payout.status


@shared_task(
    name="payments.money_sweep",
    on_queue="money",
    acks_late=True,
    autoretry_for=TRANSIENT,
    retry_backoff=5,
    max_retries=3,
    time_limit=300,
    soft_time_limit=280,
    expires=280,
)
def money_sweep() -> dict:
    """Leases on money work (beat, every five minutes): settle payouts whose transfer
    webhook never came, and send again the handling of webhook events never handled."""
    settled = payouts.payouts_submitted_settle(gateway=StripeGateway.from_settings())
    return {"payouts": len(settled), "webhooks": webhooks.webhooks_unhandled_resend()}


@shared_task(
    name="payments.release_pending",
    on_queue="money",
    acks_late=True,
    time_limit=600,
    soft_time_limit=580,
    expires=3000,
)
def release_pending() -> int:
    return services.ledger_release_pending()


@shared_task(
    name="payments.refund_submit",
    on_queue="money",
    acks_late=True,
    autoretry_for=TRANSIENT,
    retry_backoff=5,
    retry_backoff_max=300,
    max_retries=8,
    time_limit=120,
    soft_time_limit=100,
)
def refund_submit(refund_id: str) -> str:
    """Ask Stripe for one refund the ledger already reversed (keyed: once)."""
    return services.refund_submit(refund_id=refund_id, gateway=StripeGateway.from_settings()).status


@shared_task(
    name="payments.refunds_submit_due",
    on_queue="money",
    acks_late=True,
    autoretry_for=TRANSIENT,
    retry_backoff=5,
    max_retries=3,
    time_limit=600,
    soft_time_limit=580,
    expires=500,
)
def refunds_submit_due() -> int:
    """Submit refunds whose own task was lost (beat, every ten minutes)."""
    return services.refunds_submit_due(gateway=StripeGateway.from_settings())
