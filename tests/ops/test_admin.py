import pytest
from django.contrib import admin
from django.urls import reverse

from tests.factories import CharacterFactory, UserFactory, grant_for

pytestmark = pytest.mark.django_db


def test_every_model_has_an_admin_changelist_that_renders_with_search(staff_client, staff):
    # given: a little of everything
    grant_for(CharacterFactory(), UserFactory())
    ours = [m for m in admin.site._registry if m._meta.app_label in ("accounts", "licensing")]
    from django.apps import apps

    models = [m for a in ("accounts", "licensing") for m in apps.get_app_config(a).get_models()]

    # then: every one of our models is registered and its list page renders, searched
    assert set(models) <= set(ours), set(models) - set(ours)
    for model in models:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        assert staff_client.get(url, {"q": "a"}).status_code == 200, url


def test_the_outbox_changelist_shows_unsent_messages_and_why(staff_client):
    # given: one message sent, one the broker refused
    from django.utils import timezone

    from core.models import OutboxMessage

    OutboxMessage.objects.create(
        task_name="core.ping", args=["tok-delivered"], sent_at=timezone.now()
    )
    OutboxMessage.objects.create(
        task_name="payments.webhook_handle", args=["evt_1"], attempts=2,
        last_error="OperationalError('Error 111 connecting')",
    )  # fmt: skip
    url = reverse("admin:core_outboxmessage_changelist")

    # when: staff list the unsent ones
    response = staff_client.get(url, {"sent_at__isempty": "1"})

    # then: the unsent one, with its error, and not the sent one
    page = response.content.decode()
    assert response.status_code == 200
    assert "payments.webhook_handle" in page and "Error 111 connecting" in page
    assert "tok-delivered" not in page
