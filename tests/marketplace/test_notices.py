"""The creator hears how each request ended, once per event, in words that name people
as people do; what a rightsholder was asked to decide stops being "New" once decided."""

from datetime import timedelta

import pytest
from django.urls import reverse

from accounts import services as accounts_services
from accounts.models import Notification
from core.models import OutboxMessage
from licensing import services as licensing_services
from marketplace import services
from marketplace.models import GenerationRequest
from marketplace.services.notices import generation_outcome_notify
from tests.builders import pending_approval_work
from tests.factories import (
    CharacterFactory,
    UserFactory,
    grant_for,
    proven_likeness,
    publish_offer,
)
from tests.marketplace.helpers import make_work, run_pipeline, section, store_files

pytestmark = pytest.mark.django_db


def _notes(user, kind="generation."):
    """The user's notifications of that kind (by default, every request's ending)."""
    return list(Notification.objects.filter(user=user, kind__startswith=kind))


def _likeness_awaiting_approval():
    """Aiko Tanaka's likeness, licensed with per-work approval to a creator whose video
    of her waits for her review. Returns (person, creator, work)."""
    person = UserFactory(display_name="Aiko Tanaka")
    likeness = proven_likeness(person, "Aiko Tanaka")
    offer = publish_offer(likeness, audience="approved", approval="per_work")
    creator = UserFactory()
    grant = licensing_services.grant_accept(
        offer=offer, by=creator, max_fee=0, max_rev_share_bps=0, max_generation_fee=0
    )
    licensing_services.grant_approve(grant=grant, by=person)
    work = pending_approval_work(
        creator=creator, grant=grant, character=likeness, title="Aiko waves hello"
    )
    return person, creator, store_files(work)


def test_a_published_video_notifies_its_creator_once_even_when_replayed(signing):
    # given
    creator = UserFactory()
    hoshi = CharacterFactory(name="Hoshi-chan")
    grant_for(hoshi, creator)
    work = make_work(creator=creator, characters=[hoshi], prompt="Hoshi-chan dances")

    # when: the route step and the notice run again (a redelivered task, a replay)
    services.generation_route(request_id=work.request_id)
    generation_outcome_notify(request=GenerationRequest.objects.get(pk=work.request_id))

    # then
    [note] = _notes(creator)
    assert note.kind == "generation.published"
    assert note.title == "Your video “Hoshi-chan dances” is published"
    assert note.url == work.get_absolute_url()
    assert note.read_at is None


def test_a_refused_request_notifies_once_in_plain_words():
    # given: a prompt naming a character the creator holds no licence for
    creator = UserFactory()
    hoshi = CharacterFactory(name="Hoshi-chan")
    grant_for(hoshi, creator)
    publish_offer(CharacterFactory(name="Kuro Neko"))
    request = services.generation_request_create(
        creator=creator, prompt="Hoshi-chan chases Kuro Neko", character_ids=[hoshi.pk]
    )

    # when: checked, and the notice replayed
    request = run_pipeline(request_id=request.pk)
    generation_outcome_notify(request=request)

    # then
    [note] = _notes(creator)
    assert request.status == "refused"
    assert note.kind == "generation.refused"
    assert note.title == "Your video “Hoshi-chan chases Kuro Neko” was not made"
    assert note.body == "You don't have a licence for Kuro Neko yet."
    assert note.url == request.get_absolute_url()


def test_approval_publishes_the_video_with_one_notification_naming_the_person():
    # given
    person, creator, work = _likeness_awaiting_approval()
    approval = work.approvals.get()
    review = Notification.objects.get(user=person, kind="approval.work")
    assert review.read_at is None

    # when
    services.work_approval_decide(approval=approval, by=person, approve=True, note="Lovely")

    # then: one notification for the one event, naming Aiko, not "her rightsholder"
    [note] = _notes(creator, kind="generation.published")
    assert note.title == "Aiko Tanaka approved your video “Aiko waves hello”"
    assert note.url == work.get_absolute_url()
    assert not _notes(creator, kind="approval.decided")
    # and: the review she was asked for is no longer new to her
    review.refresh_from_db()
    assert review.read_at is not None


def test_a_declined_video_tells_the_creator_once_and_the_progress_page_what_to_do(client):
    # given
    person, creator, work = _likeness_awaiting_approval()
    approval = work.approvals.get()

    # when
    services.work_approval_decide(approval=approval, by=person, approve=False, note="Not me")

    # then
    [note] = _notes(creator, kind="generation.refused")
    assert note.title == "Aiko Tanaka declined your video “Aiko waves hello”"
    assert note.body == "Aiko Tanaka declined the video. They said: “Not me”"
    # and: the progress page says it once, with a way forward, and no bar
    client.force_login(creator)
    html = client.get(note.url).content.decode()
    alert = section(html, '<div class="outcome" role="alert">', "</div>")
    assert "This video was not published" in alert
    assert html.count("Aiko Tanaka declined the video.") == 1
    again = reverse("marketplace:studio") + f"?again={work.request_id}"
    assert f'href="{again}">Make another video</a>' in alert
    assert "<progress" not in html


def test_a_decided_licence_request_is_no_longer_new_for_the_rightsholder(client):
    # given: a creator asks to use Aiko's likeness; she is told
    person = UserFactory(display_name="Aiko Tanaka")
    likeness = proven_likeness(person, "Aiko Tanaka")
    offer = publish_offer(likeness, audience="approved")
    creator = UserFactory(display_name="Ren")
    grant = licensing_services.grant_accept(
        offer=offer, by=creator, max_fee=0, max_rev_share_bps=0, max_generation_fee=0
    )
    asked = Notification.objects.get(user=person, kind="approval.requested")
    assert asked.title == "Ren asks to use Aiko Tanaka" and asked.read_at is None

    # when
    licensing_services.grant_reject(grant=grant, by=person, reason="Not now")

    # then
    asked.refresh_from_db()
    assert asked.read_at is not None
    client.force_login(person)
    html = client.get(reverse("accounts:notifications")).content.decode()
    assert '<span class="badge">New</span>' not in html
    [told] = _notes(creator, kind="grant.revoked")
    assert told.title == "Your licence for Aiko Tanaka was declined: Not now"


def test_notify_with_a_key_tells_each_person_once():
    # given
    ann, ben = UserFactory(), UserFactory()
    first = accounts_services.notify(users=[ann], kind="t", title="Hello", key="event:1")

    # when: the same event again, now for both
    again = accounts_services.notify(users=[ann, ben], kind="t", title="Hello", key="event:1")

    # then: Ann is not told twice; Ben is told once; one email job each time someone is
    assert [n.user for n in first] == [ann] and [n.user for n in again] == [ben]
    assert Notification.objects.filter(user=ann).count() == 1
    assert Notification.objects.filter(user=ben).count() == 1
    assert OutboxMessage.objects.filter(task_name="accounts.notification_emails").count() == 2
    assert accounts_services.notify(users=[ann, ben], kind="t", title="Hi", key="event:1") == []


def test_an_expired_review_tells_the_creator_once_and_is_no_longer_new():
    # given
    person, creator, work = _likeness_awaiting_approval()
    review = Notification.objects.get(user=person, kind="approval.work")

    # when: its deadline passes, and the expiry job runs twice
    later = work.approvals.get().deadline + timedelta(minutes=1)
    services.work_approvals_expire(now=later)
    services.work_approvals_expire(now=later)

    # then
    [note] = _notes(creator)
    assert note.title == "Aiko Tanaka did not review your video “Aiko waves hello” in time"
    assert note.body == "Aiko Tanaka didn't look at the video in time, so it was not published."
    review.refresh_from_db()
    assert review.read_at is not None


def test_a_first_of_two_approvals_says_who_approved_and_how_many_are_left(signing):
    # given: a video of Aiko and Leo, each reviewing videos of them
    creator = UserFactory()
    people = []
    for name in ("Aiko Tanaka", "Leo Martins"):
        person = UserFactory(display_name=name)
        likeness = proven_likeness(person, name)
        offer = publish_offer(likeness, audience="approved", approval="per_work")
        grant = licensing_services.grant_accept(
            offer=offer, by=creator, max_fee=0, max_rev_share_bps=0, max_generation_fee=0
        )
        licensing_services.grant_approve(grant=grant, by=person)
        people.append((person, likeness))
    work = make_work(
        creator=creator,
        characters=[likeness for _, likeness in people],
        prompt="Aiko Tanaka and Leo Martins share an umbrella",
    )
    (aiko, aiko_likeness), (leo, leo_likeness) = people

    # when: Aiko approves; then Leo does
    services.work_approval_decide(
        approval=work.approvals.get(character=aiko_likeness), by=aiko, approve=True
    )
    first = _notes(creator, kind="approval.decided")
    services.work_approval_decide(
        approval=work.approvals.get(character=leo_likeness), by=leo, approve=True
    )

    # then: one note for Aiko's approval, one for the publication naming both
    [partial] = first
    assert partial.title == (
        "Aiko Tanaka approved your video “Aiko Tanaka and Leo Martins share an umbrella”"
    )
    assert partial.body == "It is published once 1 more rightsholder approves it."
    [published] = _notes(creator)
    assert published.title.startswith("Aiko Tanaka and Leo Martins approved your video")
    assert len(_notes(creator, kind="approval.decided")) == 1


def test_the_progress_of_a_video_waiting_for_review_names_who_reviews_it(client):
    # given
    _, creator, work = _likeness_awaiting_approval()
    client.force_login(creator)

    # when
    html = client.get(work.request.get_absolute_url()).content.decode()

    # then
    assert "Your video is made. Aiko Tanaka looks at it before it is published" in html
    assert "<progress" not in html and 'hx-trigger="every 30s"' in html
