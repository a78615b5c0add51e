"""Whether payments run in test mode, and the key, base address and webhook secret the
sandbox uses then. Read at call time, never at import (settings may change in tests)."""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings

# Where the sandbox's Stripe API is mounted (config/urls.py includes sandbox/ there).
API_PATH = "/sandbox/stripe"


def sandbox_active() -> bool:
    """Test mode: no Stripe secret key is configured (``make run``'s default). With a
    key, live or test, the real Stripe API is used and the sandbox is closed; production
    settings refuse to start without one, and never open it."""
    return not settings.STRIPE_SECRET_KEY and not getattr(settings, "IS_PRODUCTION", False)


def _derived(label: str) -> str:
    # Derived from SECRET_KEY, so the web process and the worker agree without sharing
    # a file, and nobody without the secret key can call the sandbox or forge its events.
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"cocreate-sandbox:{label}".encode(), hashlib.sha256
    )
    return digest.hexdigest()[:32]


def sandbox_api_key() -> str:
    return f"sk_test_sandbox_{_derived('api-key')}"


def sandbox_api_base() -> str:
    return settings.SITE_URL.rstrip("/") + API_PATH


def webhook_secret() -> str:
    """The secret webhooks are signed with: the configured one, or in test mode one
    derived from SECRET_KEY. Empty (every event refused) when keys are configured
    without a webhook secret."""
    if settings.STRIPE_WEBHOOK_SECRET:
        return settings.STRIPE_WEBHOOK_SECRET
    return f"whsec_sandbox_{_derived('webhook')}" if sandbox_active() else ""
