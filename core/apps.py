from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Cross-cutting code every app may use: the error shape, rate limits, uploads,
    charts, money, domain events. It knows no domain app (the lowest layer)."""

    name = "core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.admin.models import LogEntry
        from django.db.models.signals import post_save

        # Register the Celery tasks in every process (they are enqueued by name).
        from core import tasks  # noqa: F401

        # Every staff action the admin logs goes into the audit trail.
        post_save.connect(_admin_action_recorded, sender=LogEntry, dispatch_uid="audit_admin")


def _admin_action_recorded(sender, instance, created, raw=False, **kwargs) -> None:
    if created and not raw:
        from core.audit import audit_admin_log_entry

        audit_admin_log_entry(entry=instance)
