from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and organizations"

    def ready(self) -> None:
        from accounts import media
        from core.media import media_kind_register

        # Who may see the verification documents (core/media.py serves them).
        media_kind_register(kind=media.KIND)
