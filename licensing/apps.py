from django.apps import AppConfig


class LicensingConfig(AppConfig):
    name = "licensing"
    verbose_name = "Licensing"

    def ready(self) -> None:
        # Register the Celery tasks in every process (they are enqueued by name).
        from licensing import tasks  # noqa: F401
