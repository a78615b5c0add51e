from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and organizations"

    def ready(self) -> None:
        from allauth.mfa.signals import authenticator_added

        from accounts import media, tasks  # noqa: F401 - registers the email job
        from accounts.second_factor import totp_activation_counts_as_mfa
        from core.media import media_kind_register

        # Activating TOTP with its code is the session's second factor (second_factor.py).
        authenticator_added.connect(totp_activation_counts_as_mfa)

        # Who may see the verification documents (core/media.py serves them).
        media_kind_register(kind=media.KIND)
