"""Every periodic task, in one place (STYLE.md)."""

from datetime import timedelta

from celery.schedules import crontab

BEAT_SCHEDULE: dict[str, dict] = {
    # Durable jobs: publish what the on-commit publish could not (core/outbox.py), and
    # dispatch again the work whose lease lapsed (a killed worker, a lost message).
    "outbox-relay": {
        "task": "core.outbox_relay",
        "schedule": timedelta(seconds=5),
        "options": {"expires": 5},
    },
    "generation-sweep": {
        "task": "marketplace.generation_sweep",
        "schedule": timedelta(seconds=30),
        "options": {"expires": 30},
    },
    "payments-sweep": {
        "task": "payments.money_sweep",
        "schedule": crontab(minute="*/5"),
        "options": {"expires": 280},
    },
    "heartbeat": {
        "task": "core.heartbeat",
        "schedule": crontab(minute="*"),
        "options": {"expires": 55},
    },
    "payments-release-pending": {
        "task": "payments.release_pending",
        "schedule": crontab(minute="*/10"),
        "options": {"expires": 500},
    },
    "payments-refunds-due": {
        "task": "payments.refunds_submit_due",
        "schedule": crontab(minute="*/10"),
        "options": {"expires": 500},
    },
    "payments-payouts": {
        "task": "payments.payouts_run",
        "schedule": crontab(minute=5),
        "options": {"expires": 3000},
    },
    # Test mode only (a no-op with Stripe keys): the payments sandbox's lost deliveries.
    "payments-sandbox-redeliver": {
        "task": "payments.sandbox_redeliver",
        "schedule": crontab(minute="*"),
        "options": {"expires": 55},
    },
    "disputes-expire": {
        "task": "marketplace.disputes_expire",
        "schedule": crontab(minute=15),
        "options": {"expires": 3000},
    },
    "grants-revoke-due": {
        "task": "licensing.grants_revoke_due",
        "schedule": crontab(minute=25),
        "options": {"expires": 3000},
    },
    # Embeds any character description an enqueue missed (licensing/services/embeddings.py).
    "embeddings-sweep": {
        "task": "licensing.embeddings_sweep",
        "schedule": crontab(minute="*/10"),
        "options": {"expires": 500},
    },
    "licence-requests-expire": {
        "task": "licensing.grants_approval_expire",
        "schedule": crontab(minute="*"),
        "options": {"expires": 55},
    },
    "approvals-expire": {
        "task": "marketplace.approvals_expire",
        "schedule": crontab(minute="*"),
        "options": {"expires": 55},
    },
    # New followers, likes and comments, told in batches (accounts/services_notify.py).
    "social-notifications": {
        "task": "accounts.social_notifications",
        "schedule": crontab(minute="*/3"),
        "options": {"expires": 170},
    },
}
