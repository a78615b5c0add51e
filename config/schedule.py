"""Every periodic task, in one place (STYLE.md). Later issues add payouts, grant
revocation and dispute deadlines here."""

from celery.schedules import crontab

BEAT_SCHEDULE: dict[str, dict] = {
    "heartbeat": {
        "task": "config.heartbeat",
        "schedule": crontab(minute="*"),
        "options": {"expires": 55},
    },
    "approvals-expire": {
        "task": "licensing.approvals_expire",
        "schedule": crontab(minute="*"),
        "options": {"expires": 55},
    },
}
