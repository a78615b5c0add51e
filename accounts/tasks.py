"""Accounts' jobs: the email copies of notifications (written to the outbox by
``accounts.services.notify``) and the batches of social notices."""

from smtplib import SMTPException

from celery import shared_task

from accounts import services, services_notify
from core.tasks import TRANSIENT_ERRORS


@shared_task(
    name="accounts.notification_emails",
    on_queue="default",
    autoretry_for=(*TRANSIENT_ERRORS, SMTPException, OSError),
    retry_backoff=True,
    max_retries=8,
    time_limit=120,
    soft_time_limit=110,
)
def notification_emails(ids: list[str]) -> int:
    return services.notification_emails_send(ids=ids)


@shared_task(
    name="accounts.social_notifications",
    on_queue="default",
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=True,
    max_retries=3,
    time_limit=240,
    soft_time_limit=220,
)
def social_notifications() -> int:
    """The beat's batch of social notices (accounts.services_notify)."""
    return services_notify.social_notifications_send()
