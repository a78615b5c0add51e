"""Licensing's periodic work (queue ``default``): ending the grants of ended offers, and
declining licence requests left undecided past their deadline."""

from celery import shared_task

from licensing import services


@shared_task(
    name="licensing.grants_revoke_due",
    on_queue="default",
    acks_late=True,
    time_limit=600,
    soft_time_limit=580,
    expires=3000,
)
def grants_revoke_due() -> int:
    """End the grants of ended offers after their grace period; apply on_revoke."""
    return services.grants_revoke_due()


@shared_task(
    name="licensing.grants_approval_expire",
    on_queue="default",
    acks_late=True,
    time_limit=300,
    soft_time_limit=280,
    expires=240,
)
def grants_approval_expire() -> int:
    """Decline licence requests left undecided past their deadline (default deny)."""
    return services.grants_approval_expire()
