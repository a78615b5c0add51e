from django.apps import AppConfig


class LicensingConfig(AppConfig):
    name = "licensing"
    verbose_name = "Licensing"

    def ready(self) -> None:
        from celery.signals import worker_init, worker_process_init

        from core.media import media_kind_register

        # Register the Celery tasks in every process (they are enqueued by name).
        from licensing import handlers, media, tasks  # noqa: F401

        # Who may see the reference images and consent videos (core/media.py serves them).
        media_kind_register(kind=media.KIND)
        media_kind_register(kind=media.CONSENT_KIND)

        # A worker loads the lookalike model as it starts, not on its first prompt.
        worker_init.connect(tasks.lookalike_worker_init, weak=False)
        worker_process_init.connect(tasks.lookalike_process_init, weak=False)
