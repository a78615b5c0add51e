from django.apps import AppConfig


class DashboardConfig(AppConfig):
    """The rightsholder's overview and the compliance report: reads across every app
    (characters, works, money), so this app sits above them all."""

    name = "dashboard"
    verbose_name = "Rightsholder dashboard and reports"
    default_auto_field = "django.db.models.BigAutoField"
