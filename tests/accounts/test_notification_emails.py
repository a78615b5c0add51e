"""A notification's email copy is a job in the outbox, written with the notification:
sent once the transaction commits, retried without sending twice, never lost to a
rollback."""

from smtplib import SMTPServerDisconnected
from unittest import mock

import pytest
from django.core import mail

from accounts import services
from accounts.models import Notification
from core.models import OutboxMessage
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_notify_writes_the_email_job_to_the_outbox_and_sends_it_on_commit(
    django_capture_on_commit_callbacks, eager_celery
):
    ann, ben = UserFactory(), UserFactory()

    with django_capture_on_commit_callbacks(execute=True):
        services.notify(users=[ann, ben], kind="test", title="Hello", body="Hi.", url="/x/")

    message = OutboxMessage.objects.get(task_name="accounts.notification_emails")
    assert sorted(message.args[0]) == sorted(str(n.pk) for n in Notification.objects.all())
    assert message.sent_at is not None
    assert sorted(m.to[0] for m in mail.outbox) == sorted([ann.email, ben.email])
    assert mail.outbox[0].subject == "[Cocreate] Hello" and mail.outbox[0].body.endswith("/x/")
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()


def test_a_rolled_back_notification_sends_nothing(django_capture_on_commit_callbacks):
    user = UserFactory()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.notify(users=[user], kind="test", title="Hello")
        callbacks.clear()  # what a rollback does to them

    assert mail.outbox == []


def test_a_retried_job_sends_only_what_is_left():
    ann, ben = UserFactory(), UserFactory()
    notes = services.notify(users=[ann, ben], kind="test", title="Hello")
    ids = [str(n.pk) for n in notes]
    real_send = mail.send_mail
    calls = []

    def fail_second(*args, **kwargs):
        calls.append(kwargs["recipient_list"])
        if len(calls) == 2:
            raise SMTPServerDisconnected("gone")
        return real_send(*args, **kwargs)

    with mock.patch("accounts.services.send_mail", side_effect=fail_second):
        with pytest.raises(SMTPServerDisconnected):
            services.notification_emails_send(ids=ids)
        assert services.notification_emails_send(ids=ids) == 1
    assert services.notification_emails_send(ids=ids) == 0

    assert sorted(m.to[0] for m in mail.outbox) == sorted([ann.email, ben.email])
