"""Where e-mail goes in development: Django's console backend prints it in the terminal
running `make run`, so pages that say "check your e-mail" say where to look."""

from django import template
from django.conf import settings

register = template.Library()

CONSOLE_BACKEND = "django.core.mail.backends.console.EmailBackend"


@register.simple_tag
def email_printed_in_terminal() -> bool:
    return settings.EMAIL_BACKEND == CONSOLE_BACKEND
