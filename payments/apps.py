from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = "Payments"

    def ready(self) -> None:
        # Connect the event handlers, and register the Celery tasks in every process
        # (services enqueue them by name).
        from payments import handlers, tasks  # noqa: F401
