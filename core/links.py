"""Absolute links to the site's own pages, for places with no request to build them
from: payment providers' return URLs, e-mails."""

from django.conf import settings
from django.urls import reverse


def absolute_url(name: str, **kwargs) -> str:
    """The URL pattern ``name`` (with ``kwargs``) under ``settings.SITE_URL``."""
    return settings.SITE_URL.rstrip("/") + reverse(name, kwargs=kwargs or None)
