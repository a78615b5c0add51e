from celery import shared_task

from licensing import services


@shared_task(
    name="licensing.approvals_expire",
    acks_late=True,
    time_limit=300,
    soft_time_limit=280,
    expires=240,
)
def approvals_expire() -> int:
    """Deny per-work approvals left unreviewed past their deadline."""
    return services.work_approvals_expire()


@shared_task(
    name="licensing.disputes_expire",
    acks_late=True,
    time_limit=300,
    soft_time_limit=280,
    expires=3000,
)
def disputes_expire() -> int:
    """Release disputes the claimant left unanswered past the deadline."""
    return services.disputes_expire()


@shared_task(
    name="licensing.grants_revoke_due",
    acks_late=True,
    time_limit=600,
    soft_time_limit=580,
    expires=3000,
)
def grants_revoke_due() -> int:
    """End the grants of ended offers after their grace period; apply on_revoke."""
    return services.grants_revoke_due()
