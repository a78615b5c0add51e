"""Social notices: follows, likes and comments are recorded as pending events and told
in batches (one notification per kind and target), once even when the batch is retried;
a kind turned off records nothing; a like or follow taken back before the batch is
never told."""

import pytest
from django.urls import reverse

from accounts import services, services_notify
from accounts.models import Notification, NotificationSettings, SocialEvent
from accounts.services_notify import social_notifications_send
from accounts.services_social import notification_settings_update
from accounts.tasks import social_notifications
from config.schedule import BEAT_SCHEDULE
from core.models import OutboxMessage
from marketplace import services as marketplace_services
from tests.factories import UserFactory, WorkFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def work():
    creator = UserFactory(display_name="Aiko")
    return WorkFactory(creator=creator, title="Sunset duel")


def _fans(*names):
    return [UserFactory(display_name=name) for name in names]


def test_many_likes_become_one_notice_naming_the_first_and_the_others(work):
    # given: four people like the work
    for fan in _fans("Ken", "Mia", "Sol", "Ivo"):
        marketplace_services.like_work(work=work, user=fan)

    # when
    told = social_notifications_send()

    # then: one notification, and the pending events are gone
    assert told == 1
    note = Notification.objects.get(user=work.creator)
    assert note.title == "Ken and 3 others liked “Sunset duel”"
    assert note.kind == "social.like" and note.url == work.get_absolute_url()
    assert not SocialEvent.objects.exists()
    # its email copy goes through the outbox like every notification's
    assert OutboxMessage.objects.filter(task_name="accounts.notification_emails").exists()


def test_each_kind_and_target_gets_its_own_notice(work):
    other = WorkFactory(creator=work.creator, title="Moon race")
    ken, mia = _fans("Ken", "Mia")
    marketplace_services.like_work(work=work, user=ken)
    marketplace_services.like_work(work=other, user=ken)
    marketplace_services.like_work(work=other, user=mia)
    marketplace_services.comment_create(work=work, author=mia, body="Lovely light")
    services.follow_create(follower=ken, followee=work.creator)
    services.follow_create(follower=mia, followee=work.creator)

    assert social_notifications_send() == 4

    titles = set(Notification.objects.filter(user=work.creator).values_list("title", flat=True))
    assert titles == {
        "Ken liked “Sunset duel”",
        "Ken and Mia liked “Moon race”",
        "Mia commented on “Sunset duel”",
        "Ken and Mia started following you",
    }
    comment = Notification.objects.get(kind="social.comment")
    assert comment.body == "Mia: Lovely light"
    assert comment.url == f"{work.get_absolute_url()}#comments"
    follow = Notification.objects.get(kind="social.follow")
    assert follow.url == reverse("marketplace:profile", args=[ken.pk])


def test_a_retried_batch_notifies_once(work):
    marketplace_services.like_work(work=work, user=UserFactory(display_name="Ken"))

    assert social_notifications() == 1
    assert social_notifications() == 0

    assert Notification.objects.filter(user=work.creator).count() == 1


def test_a_batch_killed_half_way_tells_nothing_and_the_retry_tells_once(work, monkeypatch):
    # given: two works liked; the run dies after telling about the first
    other = WorkFactory(creator=work.creator, title="Moon race")
    ken = UserFactory(display_name="Ken")
    marketplace_services.like_work(work=work, user=ken)
    marketplace_services.like_work(work=other, user=ken)
    real_tell = services_notify._tell
    calls = []

    def dies_on_the_second(group):
        calls.append(group)
        if len(calls) == 2:
            raise RuntimeError("worker lost")
        real_tell(group)

    monkeypatch.setattr(services_notify, "_tell", dies_on_the_second)
    with pytest.raises(RuntimeError):
        social_notifications_send()

    # then: nothing was told and both events still wait
    assert not Notification.objects.exists() and SocialEvent.objects.count() == 2

    # when: the retry runs
    monkeypatch.setattr(services_notify, "_tell", real_tell)
    assert social_notifications_send() == 2
    assert social_notifications_send() == 0
    assert Notification.objects.count() == 2


def test_unliking_and_unfollowing_before_the_batch_leave_no_notice(work):
    ken = UserFactory(display_name="Ken")
    marketplace_services.like_work(work=work, user=ken)
    services.follow_create(follower=ken, followee=work.creator)

    marketplace_services.unlike_work(work=work, user=ken)
    services.follow_delete(follower=ken, followee=work.creator)

    assert social_notifications_send() == 0
    assert not Notification.objects.exists()


def test_ones_own_like_and_comment_are_not_told(work):
    marketplace_services.like_work(work=work, user=work.creator)
    marketplace_services.comment_create(work=work, author=work.creator, body="Thanks!")

    assert not SocialEvent.objects.exists()


@pytest.mark.parametrize(
    ("setting", "kind"), [("likes", "like"), ("comments", "comment"), ("new_followers", "follow")]
)
def test_a_kind_turned_off_records_nothing(work, setting, kind):
    # given: the creator turned one kind off
    on = {"new_followers": True, "likes": True, "comments": True}
    notification_settings_update(user=work.creator, **{**on, setting: False})
    ken = UserFactory(display_name="Ken")

    # when: someone follows, likes and comments
    services.follow_create(follower=ken, followee=work.creator)
    marketplace_services.like_work(work=work, user=ken)
    marketplace_services.comment_create(work=work, author=ken, body="Lovely")

    # then: nothing of that kind is recorded or told, the other two are
    assert not SocialEvent.objects.filter(kind=kind).exists()
    assert SocialEvent.objects.count() == 2
    assert social_notifications_send() == 2
    assert not Notification.objects.filter(kind=f"social.{kind}").exists()


def test_turning_a_kind_off_forgets_what_was_waiting(work):
    marketplace_services.like_work(work=work, user=UserFactory())

    notification_settings_update(user=work.creator, new_followers=True, likes=False, comments=True)

    assert social_notifications_send() == 0
    assert not Notification.objects.exists()


def test_the_settings_page_saves_each_kind(client, work):
    client.force_login(work.creator)
    url = reverse("accounts:notification_settings")

    page = client.get(url)
    response = client.post(url, {"new_followers": "on", "comments": "on"})

    assert page.status_code == 200 and 'name="likes"' in page.content.decode()
    assert response.status_code == 302
    saved = NotificationSettings.objects.get(user=work.creator)
    assert (saved.new_followers, saved.likes, saved.comments) == (True, False, True)
    assert 'name="likes" id="id_likes"' in client.get(url).content.decode()
    assert "checked" not in _checkbox(client.get(url).content.decode(), "likes")


def _checkbox(html: str, name: str) -> str:
    start = html.index(f'name="{name}"')
    return html[html.rindex("<", 0, start) : html.index(">", start)]


def test_the_batch_runs_every_few_minutes_from_the_beat():
    entry = BEAT_SCHEDULE["social-notifications"]

    assert entry["task"] == "accounts.social_notifications"
    assert entry["schedule"].minute == set(range(0, 60, 3))
