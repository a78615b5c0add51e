"""Likes and follows on works: the services' promises, the feed's and work page's
buttons (with and without htmx), the API and who may do what."""

import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import services as accounts_services
from accounts.models import Follow
from core.errors import DomainError
from core.media import media_url
from marketplace import selectors, services
from marketplace.models import Like
from marketplace.services.likes import AlreadyLiked, NotPublished
from tests.factories import CharacterFactory, UserFactory, WorkFactory, grant_for
from tests.marketplace.helpers import store_files

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def work():
    return WorkFactory(title="Hoshi-chan waves", published_at=timezone.now())


@pytest.fixture
def viewer(client):
    person = UserFactory(display_name="Viewer")
    client.force_login(person)
    return person


# --- services -------------------------------------------------------------------------------


def test_liking_twice_is_refused_and_keeps_one_like(work):
    # given
    fan = UserFactory()
    services.like_work(work=work, user=fan)

    # when / then
    with pytest.raises(AlreadyLiked, match="You already like this video") as refused:
        services.like_work(work=work, user=fan)
    assert refused.value.status_code == 409 and refused.value.code == "duplicate"
    assert Like.objects.filter(work=work).count() == 1


@pytest.mark.parametrize("status", ["pending_approval", "delisted", "deleted"])
def test_liking_a_work_that_is_not_published_is_refused(status):
    # given
    draft = WorkFactory(status=status)

    # when / then
    with pytest.raises(NotPublished, match="Only published videos can be liked"):
        services.like_work(work=draft, user=UserFactory())
    assert not Like.objects.filter(work=draft).exists()


def test_unliking_removes_the_like_and_is_harmless_twice(work):
    fan = UserFactory()
    services.like_work(work=work, user=fan)

    services.unlike_work(work=work, user=fan)
    services.unlike_work(work=work, user=fan)

    assert not Like.objects.filter(work=work).exists()


def test_following_yourself_is_refused(work):
    with pytest.raises(DomainError, match="You cannot follow yourself"):
        accounts_services.follow_create(follower=work.creator, followee=work.creator)


def test_social_counts_a_page_in_two_queries(django_assert_num_queries):
    # given: three works by two creators, liked and followed by a few people
    ada, bo = UserFactory(), UserFactory()
    works = [WorkFactory(creator=ada), WorkFactory(creator=ada), WorkFactory(creator=bo)]
    me, other = UserFactory(), UserFactory()
    for person in (me, other):
        services.like_work(work=works[0], user=person)
    services.like_work(work=works[2], user=other)
    Follow.objects.create(follower=me, followee=ada)
    Follow.objects.create(follower=other, followee=ada)
    Follow.objects.create(follower=other, followee=bo)

    # when
    with django_assert_num_queries(2):
        social = selectors.works_social(works=works, user=me)

    # then
    first, second, third = (social[w.pk] for w in works)
    assert (first.likes, first.liked, first.followers, first.following) == (2, True, 2, True)
    assert (second.likes, second.liked, second.followers, second.following) == (0, False, 2, True)
    assert (third.likes, third.liked, third.followers, third.following) == (1, False, 1, False)


# --- web: like and follow buttons -----------------------------------------------------------


def test_like_without_javascript_comes_back_to_the_feed_with_the_count(client, viewer, work):
    # when: the like form is posted as a plain form from the feed
    response = client.post(
        reverse("marketplace:work_like", args=[work.pk]), {"on": "1", "next": "/feed/"}
    )

    # then: back to the feed, where the button is pressed and counts one like
    assert response.status_code == 302 and response["Location"] == "/feed/"
    html = client.get("/feed/").content.decode()
    assert 'aria-pressed="true"' in html
    assert '<span class="action-count" data-count="likes">1<' in html


def test_like_with_htmx_swaps_the_button_and_count(client, viewer, work):
    url = reverse("marketplace:work_like", args=[work.pk])
    WorkFactory()  # another work's likes are not counted
    services.like_work(work=work, user=UserFactory())

    liked = client.post(url, {"on": "1", "next": "/feed/"}, **HTMX)
    assert liked.status_code == 200
    html = liked.content.decode()
    assert html.lstrip().startswith('<form class="action"')
    assert 'aria-pressed="true"' in html and 'name="on" value="0"' in html
    assert 'data-count="likes">2<' in html

    unliked = client.post(url, {"on": "0"}, **HTMX).content.decode()
    assert 'aria-pressed="false"' in unliked and 'data-count="likes">1<' in unliked


def test_signed_out_viewer_is_sent_to_log_in(client, work):
    url = reverse("marketplace:work_like", args=[work.pk])

    plain = client.post(url, {"on": "1", "next": "/feed/"})
    htmx = client.post(reverse("marketplace:work_follow", args=[work.pk]), {"on": "1"}, **HTMX)

    assert plain.status_code == 302 and plain["Location"].startswith("/accounts/login/")
    assert "next=/feed/" in plain["Location"]
    assert htmx.status_code == 200 and htmx["HX-Redirect"].startswith("/accounts/login/")
    assert not Like.objects.exists() and not Follow.objects.exists()


def test_signed_out_feed_links_like_follow_and_tip_to_log_in(client):
    WorkFactory(published_at=timezone.now(), commercial=True)

    html = client.get("/feed/").content.decode()

    assert html.count('href="/accounts/login/?next=') == 3  # like, follow, tip
    assert "<form" not in html.split('class="feed"')[1]


def test_liking_a_work_you_cannot_see_is_404(client, viewer):
    # given: someone else's draft, and an id nobody has
    draft = WorkFactory(status="pending_approval")

    for pk in (draft.pk, uuid.uuid4()):
        response = client.post(reverse("marketplace:work_like", args=[pk]), {"on": "1"})
        assert response.status_code == 404
    assert client.post("/works/not-an-id/like/").status_code == 404
    assert not Like.objects.exists()


def test_the_creator_likes_their_own_draft_is_refused_with_the_reason(client):
    # given: a creator sees their own work waiting for approval
    draft = WorkFactory(status="pending_approval")
    client.force_login(draft.creator)
    url = reverse("marketplace:work_like", args=[draft.pk])

    # when / then: htmx gets the reason (feed.js shows it), a plain form a message
    htmx = client.post(url, {"on": "1"}, **HTMX)
    assert htmx.status_code == 409
    assert htmx.content.decode() == "Only published videos can be liked."
    plain = client.post(url, {"on": "1"}, follow=True)
    assert "Only published videos can be liked." in plain.content.decode()
    assert not Like.objects.exists()


def test_follow_button_follows_the_creator_and_counts_followers(client, viewer, work):
    url = reverse("marketplace:work_follow", args=[work.pk])

    html = client.post(url, {"on": "1"}, **HTMX).content.decode()

    assert Follow.objects.filter(follower=viewer, followee=work.creator).exists()
    assert 'data-count="followers">1<' in html and 'name="on" value="0"' in html
    html = client.post(url, {"on": "0"}, **HTMX).content.decode()
    assert not Follow.objects.exists() and 'data-count="followers">0<' in html


def test_no_follow_button_on_your_own_work_and_following_yourself_is_refused(client, work):
    client.force_login(work.creator)
    page = client.get(work.get_absolute_url()).content.decode()
    assert reverse("marketplace:work_follow", args=[work.pk]) not in page

    response = client.post(reverse("marketplace:work_follow", args=[work.pk]), {"on": "1"}, **HTMX)

    assert response.status_code == 400
    assert response.content.decode() == "You cannot follow yourself."
    assert not Follow.objects.exists()


def test_feed_item_carries_every_action_with_counts(client, viewer):
    # given: a commercial work liked by two people, its creator followed by one
    work = WorkFactory(published_at=timezone.now(), commercial=True)
    for fan in (UserFactory(), UserFactory()):
        services.like_work(work=work, user=fan)
    Follow.objects.create(follower=UserFactory(), followee=work.creator)

    html = client.get("/feed/").content.decode()

    assert 'data-count="likes">2<' in html and 'data-count="followers">1<' in html
    assert f'data-share="http://testserver/works/{work.pk}/"' in html
    assert f'href="/works/{work.pk}/#tip"' in html
    assert f'href="/studio/?parent={work.pk}"' in html
    assert "data-sound" in html  # the unmute control


def test_home_page_cards_count_likes(client, work):
    for fan in (UserFactory(), UserFactory(), UserFactory()):
        services.like_work(work=work, user=fan)

    html = client.get("/").content.decode()

    assert 'Hoshi-chan waves</a><br><span class="muted">by' in html
    assert '♥</span> 3<span class="visually-hidden"> likes</span>' in html


# --- work page -------------------------------------------------------------------------------


def test_work_page_offers_the_signed_file_as_a_download(client, viewer, work):
    html = client.get(work.get_absolute_url()).content.decode()

    # the player's signed media URL, asked for as an attachment
    start = html.index("Download the signed video")
    anchor = html[html.rindex("<a ", 0, start) : start]
    assert f"/media/{work.video.name}?" in anchor and "&amp;download=1" in anchor
    assert 'download="hoshi-chan-waves.mp4"' in anchor


def test_download_link_serves_an_attachment_only_when_asked(client, viewer, work, settings):
    store_files(work)
    url = media_url(file=work.video, viewer=viewer)

    played = client.get(url)
    saved = client.get(url + "&download=1")

    assert played.status_code == saved.status_code == 200
    assert not played.get("Content-Disposition", "").startswith("attachment")
    assert saved["Content-Disposition"] == "attachment; filename*=UTF-8''video.mp4"


def test_work_page_shows_like_and_follow_counts(client, viewer, work):
    services.like_work(work=work, user=viewer)

    html = client.get(work.get_absolute_url()).content.decode()

    assert 'data-count="likes">1<' in html and 'aria-pressed="true"' in html
    assert 'data-count="followers">0<' in html


# --- API ---------------------------------------------------------------------------------------


def test_api_like_and_unlike(api_client, work):
    fan = UserFactory()
    api_client.force_authenticate(fan)
    url = f"/api/v1/works/{work.pk}/like/"

    first = api_client.post(url)
    assert first.status_code == 200
    assert first.json() == {"work_id": str(work.pk), "liked": True, "likes": 1}

    again = api_client.post(url)
    assert again.status_code == 409
    assert again.json() == {
        "code": "duplicate",
        "detail": "You already like this video.",
        "field": None,
    }
    assert Like.objects.filter(work=work).count() == 1

    gone = api_client.delete(url)
    assert gone.status_code == 200 and gone.json() == {
        "work_id": str(work.pk),
        "liked": False,
        "likes": 0,
    }


def test_api_like_refuses_unpublished_and_unseen_works_and_anonymous(api_client, work):
    draft = WorkFactory(status="pending_approval")
    assert api_client.post(f"/api/v1/works/{work.pk}/like/").status_code in (401, 403)

    api_client.force_authenticate(draft.creator)
    refused = api_client.post(f"/api/v1/works/{draft.pk}/like/")
    assert refused.status_code == 409
    assert refused.json() == {
        "code": "invalid_state",
        "detail": "Only published videos can be liked.",
        "field": None,
    }

    api_client.force_authenticate(UserFactory())
    assert api_client.post(f"/api/v1/works/{draft.pk}/like/").status_code == 404
    missing = api_client.post(f"/api/v1/works/{uuid.uuid4()}/like/")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    assert not Like.objects.exists()


def test_api_follow_the_creator_and_not_yourself(api_client, work):
    fan = UserFactory()
    api_client.force_authenticate(fan)
    url = f"/api/v1/works/{work.pk}/follow/"

    followed = api_client.post(url)
    assert followed.status_code == 200
    assert followed.json() == {
        "creator_id": str(work.creator_id),
        "following": True,
        "followers": 1,
    }
    assert api_client.delete(url).json()["following"] is False

    api_client.force_authenticate(work.creator)
    own = api_client.post(url)
    assert own.status_code == 400
    assert own.json() == {"code": "invalid", "detail": "You cannot follow yourself.", "field": None}


def test_like_and_follow_endpoints_are_in_the_schema(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    like = schema["paths"]["/api/v1/works/{id}/like/"]
    follow = schema["paths"]["/api/v1/works/{id}/follow/"]
    assert {"post", "delete"} <= like.keys() and {"post", "delete"} <= follow.keys()
    assert "409" in like["post"]["responses"] and "400" in follow["post"]["responses"]


# --- the character's works ---------------------------------------------------------------------


def test_character_page_lists_its_works_a_page_at_a_time(client):
    # given: 13 published works with Hoshi-chan, a draft with her, and a work without her
    hoshi = CharacterFactory(name="Hoshi-chan")
    creator = UserFactory()
    grant = grant_for(hoshi, creator)
    now = timezone.now()
    works = [
        WorkFactory(
            creator=creator, grants=[grant], title=f"Hoshi {n}", published_at=now - timedelta(n)
        )
        for n in range(13)
    ]
    WorkFactory(creator=creator, grants=[grant], title="Hoshi draft", status="pending_approval")
    WorkFactory(title="Someone else")
    url = reverse("marketplace:character_works", args=[hoshi.pk])

    # when
    first = client.get(url, **HTMX).content.decode()
    second = client.get(url + "?page=2", **HTMX).content.decode()

    # then: newest first, twelve then one, with thumbnails and titles, a link on
    assert first.count('class="card character-card"') == 12
    assert first.index("Hoshi 0<") < first.index("Hoshi 11<")
    assert f"/media/{works[0].poster.name}?" in first
    assert "?page=2" in first and "Page 1 of 2" in first
    assert second.count('class="card character-card"') == 1 and "Hoshi 12<" in second
    assert "Hoshi draft" not in first + second and "Someone else" not in first + second
    # the character page loads it
    page = client.get(hoshi.get_absolute_url()).content.decode()
    assert f'hx-get="{url}"' in page


def test_character_works_without_javascript_is_a_page(client):
    hoshi = CharacterFactory(name="Hoshi-chan")

    html = client.get(reverse("marketplace:character_works", args=[hoshi.pk])).content.decode()

    assert "<html" in html and "No videos made with Hoshi-chan yet." in html


def test_character_works_of_an_unknown_or_hidden_character_is_404(client):
    hidden = CharacterFactory(status="suspended")
    for pk in (hidden.pk, uuid.uuid4()):
        assert client.get(reverse("marketplace:character_works", args=[pk])).status_code == 404
    assert client.get("/characters/nope/works/").status_code == 404
