"""The sandbox's one task (queue ``money``): deliver an event to the webhook endpoint,
retried with back-off until it answers 2xx, as Stripe retries."""

from celery import shared_task

from payments.sandbox.delivery import DeliveryFailed, event_deliver
from payments.sandbox.models import SandboxEvent


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
