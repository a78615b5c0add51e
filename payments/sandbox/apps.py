from django.apps import AppConfig


class SandboxConfig(AppConfig):
    name = "payments.sandbox"
    label = "sandbox"
    verbose_name = "Payments sandbox (test mode)"

    def ready(self) -> None:
        # Register the delivery task in every process (events enqueue it by name).
        from payments.sandbox import tasks  # noqa: F401
