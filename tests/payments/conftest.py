import pytest
import stripe
from django.urls import reverse

from config.celery import app as celery_app
from payments import services
from payments.models import CheckoutSession, ConnectedAccount
from tests.factories import CharacterFactory, UserFactory, WorkFactory, grant_for
from tests.fakes.stripe_fake import FakeStripe


@pytest.fixture
def eager_tasks():
    """Run Celery tasks inline (the webhook's handling, enqueued on commit)."""
    previous = celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = previous


@pytest.fixture
def fake_stripe(live_server, settings, monkeypatch, eager_tasks):
    """The Stripe fake on loopback, posting signed webhooks to the app's live server;
    the app's StripeClient points at it through STRIPE_API_BASE only."""
    monkeypatch.setattr(stripe._http_client.HTTPClient, "INITIAL_DELAY", 0)
    with FakeStripe(
        webhook_url=f"{live_server.url}/api/v1/webhooks/stripe/",
        api_key=settings.STRIPE_SECRET_KEY,
        webhook_secret=settings.STRIPE_WEBHOOK_SECRET,
    ) as fake:
        settings.STRIPE_API_BASE = fake.base_url
        settings.SITE_URL = live_server.url
        yield fake


def creator_with_available(client, fake, amount=5_000):
    """A connected, onboarded creator with ``amount`` available and the platform's
    Stripe balance holding it."""
    creator = UserFactory()
    client.force_login(creator)
    client.post(reverse("payments:connect"), {"country": "US"})
    connected = ConnectedAccount.objects.get(user=creator)
    fake.onboard_account(connected.stripe_account_id)
    hoshi = CharacterFactory()
    grant = grant_for(hoshi, creator, commercial_use=True)
    work = WorkFactory(creator=creator, grants=[grant])
    fan = UserFactory()
    client.force_login(fan)
    client.post(reverse("payments:tip", args=[work.pk]), {"amount": str(amount), "currency": "USD"})
    fake.complete_checkout(CheckoutSession.objects.get(work=work).stripe_session_id)
    services.ledger_release_pending()
    return creator, connected, work
