from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and organizations"

    def ready(self) -> None:
        from accounts import media, tasks  # noqa: F401 - registers the email job
        from core.media import media_kind_register

        # Who may see the verification documents (core/media.py serves them).
        media_kind_register(kind=media.KIND)
