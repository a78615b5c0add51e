"""The sandbox's tasks (queue ``money``): deliver an event to the webhook endpoint,
retried with back-off until it answers 2xx, as Stripe retries; and a sweep for events
whose delivery was never enqueued (the broker was down when they were made)."""

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from payments.sandbox import store
from payments.sandbox.delivery import DeliveryFailed, event_deliver
from payments.sandbox.mode import sandbox_active
from payments.sandbox.models import SandboxEvent

# An event not delivered this long after it was made is enqueued again (a delivery in
# its retry back-off may then be sent twice: the endpoint answers the second
# "duplicate"). After GIVE_UP attempts it is left for a person to look at.
STALE = timedelta(minutes=2)
GIVE_UP = 20
SWEEP_BATCH = 200


@shared_task(
    name="payments.sandbox_deliver",
    on_queue="money",
    acks_late=True,
    autoretry_for=(DeliveryFailed,),
    retry_backoff=2,
    retry_backoff_max=120,
    max_retries=10,
    time_limit=60,
    soft_time_limit=50,
)
def sandbox_deliver(event_id: str) -> int:
    event = SandboxEvent.objects.filter(pk=event_id).first()
    if event is None or event.delivered_at is not None:
        return 0
    return event_deliver(event_id=event_id)


@shared_task(
    name="payments.sandbox_redeliver",
    on_queue="money",
    acks_late=True,
    time_limit=60,
    soft_time_limit=50,
    expires=55,
)
def sandbox_redeliver() -> int:
    """Enqueue again every undelivered event older than STALE (test mode only)."""
    if not sandbox_active():
        return 0
    stale = SandboxEvent.objects.filter(
        delivered_at__isnull=True,
        created_at__lt=timezone.now() - STALE,
        attempts__lt=GIVE_UP,
    ).values_list("pk", flat=True)[:SWEEP_BATCH]
    ids = list(stale)
    for event_id in ids:
        store.enqueue_delivery(event_id)
    return len(ids)
