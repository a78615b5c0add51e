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
