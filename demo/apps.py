from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo marketplace that ``manage.py seed_demo`` builds: it seeds every app
    through their services, so it sits above them all."""

    name = "demo"
    default_auto_field = "django.db.models.BigAutoField"
