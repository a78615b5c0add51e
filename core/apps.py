from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Cross-cutting code every app may use: the error shape, rate limits, uploads,
    charts, money, domain events. It knows no domain app (the lowest layer)."""

    name = "core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Register the Celery tasks in every process (they are enqueued by name).
        from core import tasks  # noqa: F401
