from django.apps import AppConfig


class MarketplaceConfig(AppConfig):
    name = "marketplace"
    verbose_name = "Marketplace"

    def ready(self) -> None:
        from core.media import media_kind_register

        # Connect the event handlers, and register the Celery tasks in every process
        # (services enqueue them by name).
        from marketplace import handlers, media, tasks  # noqa: F401

        # Who may see a work's video and poster (core/media.py serves them).
        media_kind_register(kind=media.KIND)
