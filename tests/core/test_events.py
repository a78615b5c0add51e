"""Domain events (core/events.py): how a lower app tells the apps above it what happened."""

from dataclasses import dataclass

import pytest
from django.db import transaction

from accounts.models import Notification
from core import events
from licensing.events import GrantEnded, GrantRequestClosed
from marketplace.events import (
    DisputeSettled,
    GenerationAllowed,
    GenerationEnded,
    GenerationRequested,
)
from tests.factories import UserFactory


@dataclass(frozen=True)
class Happened:
    user_id: object


@pytest.fixture
def registry(monkeypatch):
    """A registry of its own, so these tests' handlers never reach the apps' events."""
    monkeypatch.setattr(events, "_handlers", events.defaultdict(list))
    return events


def _note(user_id, title):
    Notification.objects.create(user_id=user_id, kind="test", title=title)


def test_an_in_transaction_handler_commits_with_the_publishers_change(db, registry):
    # given
    registry.subscribe(Happened, when=events.IN_TRANSACTION)(lambda e: _note(e.user_id, "h"))
    user = UserFactory()

    # when
    with transaction.atomic():
        _note(user.pk, "publisher")
        registry.publish(Happened(user.pk))

    # then
    assert set(Notification.objects.values_list("title", flat=True)) == {"publisher", "h"}


def test_a_failing_in_transaction_handler_rolls_back_the_publishers_change(db, registry):
    # given
    def fail(event):
        _note(event.user_id, "h")
        raise RuntimeError("the handler refused")

    registry.subscribe(Happened, when=events.IN_TRANSACTION)(fail)
    user = UserFactory()

    # when
    with pytest.raises(RuntimeError), transaction.atomic():
        _note(user.pk, "publisher")
        registry.publish(Happened(user.pk))

    # then: neither the publisher's row nor the handler's
    assert not Notification.objects.exists()


def test_an_on_commit_handler_runs_after_commit_and_never_after_a_rollback(
    db, registry, django_capture_on_commit_callbacks
):
    # given
    seen = []
    registry.subscribe(Happened, when=events.ON_COMMIT)(seen.append)

    # when: one publication rolled back, one committed
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(ValueError), transaction.atomic():
            registry.publish(Happened("rolled back"))
            raise ValueError
        with transaction.atomic():
            registry.publish(Happened("committed"))
            assert seen == []  # not before the commit

    # then
    assert seen == [Happened("committed")]


def test_a_failing_on_commit_handler_is_logged_and_the_change_stays(
    db, registry, django_capture_on_commit_callbacks, caplog
):
    def fail(event):
        raise RuntimeError("mail server down")

    registry.subscribe(Happened, when=events.ON_COMMIT)(fail)
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        _note(user.pk, "publisher")
        registry.publish(Happened(user.pk))

    assert Notification.objects.filter(title="publisher").exists()
    assert "failed handling" in caplog.text


def test_subscribing_twice_runs_a_handler_once(db, registry):
    seen = []
    for _ in range(2):
        registry.subscribe(Happened, when=events.IN_TRANSACTION)(seen.append)
    registry.publish(Happened(1))
    assert seen == [Happened(1)]


def test_each_app_connects_its_handlers_to_the_events_of_the_apps_below_it():
    assert events.subscribers(GrantEnded) == ["marketplace.handlers.works_follow_ended_grant"]
    assert events.subscribers(GenerationRequested) == ["payments.handlers.generation_fees_held"]
    assert events.subscribers(GenerationAllowed) == ["payments.handlers.generation_fees_secured"]
    assert events.subscribers(GenerationEnded) == ["payments.handlers.generation_fees_settled"]
    assert events.subscribers(DisputeSettled) == ["payments.handlers.escrow_follows_dispute"]
    assert events.subscribers(GrantRequestClosed) == ["payments.handlers.licence_fee_refunded"]
