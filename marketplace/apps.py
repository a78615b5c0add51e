from django.apps import AppConfig


class MarketplaceConfig(AppConfig):
    name = "marketplace"
    verbose_name = "Marketplace"

    def ready(self) -> None:
        # Connect the event handlers, and register the Celery tasks in every process
        # (services enqueue them by name).
        from marketplace import handlers, tasks  # noqa: F401
