"""People's profiles, the "Following" feed, and following people over the API."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import services as accounts_services
from accounts.models import Follow
from marketplace import services
from tests.factories import UserFactory, WorkFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _published(creator, title, *, minutes_ago=0, parent=None, status="published"):
    return WorkFactory(
        creator=creator,
        title=title,
        parent=parent,
        status=status,
        published_at=timezone.now() - timedelta(minutes=minutes_ago),
    )


# --- the profile page ---------------------------------------------------------------------


def test_profile_shows_counts_works_and_remixes_apart(client):
    # given: Aiko made two works and one remix; two people follow her, she follows one
    aiko = UserFactory(display_name="Aiko")
    first = _published(aiko, "Sunset duel", minutes_ago=5)
    _published(aiko, "Moon race", minutes_ago=3)
    _published(aiko, "A draft", status="pending_approval")
    source = _published(UserFactory(display_name="Ben"), "Rain walk", minutes_ago=9)
    _published(aiko, "Rain walk, again", parent=source, minutes_ago=1)
    fans = [UserFactory(), UserFactory()]
    for fan in fans:
        accounts_services.follow_create(follower=fan, followee=aiko)
        services.like_work(work=first, user=fan)
    accounts_services.follow_create(follower=aiko, followee=source.creator)
    url = reverse("marketplace:profile", args=[aiko.pk])

    # when
    works = client.get(url).content.decode()
    remixes = client.get(url, {"tab": "remixes"}).content.decode()

    # then
    assert "<h1>Aiko</h1>" in works
    assert "<strong>2</strong> followers" in works
    assert "<strong>1</strong> following" in works
    assert "<strong>2</strong> likes received" in works
    assert "Works (2)" in works and "Remixes (1)" in works
    assert "Sunset duel" in works and "Moon race" in works
    assert "A draft" not in works and "Rain walk, again" not in works
    assert "2 likes · 0 comments" in works
    assert "Rain walk, again" in remixes and "Sunset duel" not in remixes
    assert "remix of" in remixes and "Ben" in remixes


def test_profile_of_an_unknown_or_inactive_person_is_404(client):
    gone = UserFactory(is_active=False)

    assert client.get(reverse("marketplace:profile", args=[gone.pk])).status_code == 404
    assert client.get("/people/00000000-0000-4000-8000-000000000000/").status_code == 404


@pytest.mark.parametrize("tab", ["works", "remixes"])
def test_profile_queries_do_not_grow_with_the_works(client, tab, django_assert_max_num_queries):
    # given
    aiko = UserFactory()
    source = _published(UserFactory(), "Source")
    parent = source if tab == "remixes" else None
    _published(aiko, "one", parent=parent)
    url = reverse("marketplace:profile", args=[aiko.pk]) + f"?tab={tab}"
    viewer = UserFactory()
    client.force_login(viewer)
    with django_assert_max_num_queries(40) as once:
        client.get(url)

    # when: she publishes ten more, each liked and commented
    for n in range(10):
        work = _published(aiko, f"work {n}", parent=parent)
        services.like_work(work=work, user=viewer)
        services.comment_create(work=work, author=viewer, body="nice")

    # then: the same number of queries
    with django_assert_max_num_queries(len(once.captured_queries)):
        response = client.get(url)
    assert response.content.decode().count('class="card character-card"') == 11


def test_following_from_the_profile_and_following_yourself_is_refused(client):
    aiko, ken = UserFactory(display_name="Aiko"), UserFactory()
    url = reverse("marketplace:profile_follow", args=[aiko.pk])

    anonymous = client.post(url, {"on": "1"})
    client.force_login(ken)
    followed = client.post(url, {"on": "1"})
    page = client.get(reverse("marketplace:profile", args=[aiko.pk])).content.decode()

    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert followed.status_code == 302
    assert Follow.objects.filter(follower=ken, followee=aiko).exists()
    assert "<strong>1</strong> follower" in page and 'aria-pressed="true"' in page

    client.force_login(aiko)
    client.post(url, {"on": "1"})
    page = client.get(reverse("marketplace:profile", args=[aiko.pk])).content.decode()
    assert "You cannot follow yourself." in page
    assert not Follow.objects.filter(follower=aiko).exists()


def test_creator_names_link_to_their_profiles_from_the_feed_and_work_page(client):
    work = _published(UserFactory(display_name="Aiko"), "Sunset duel")
    profile = reverse("marketplace:profile", args=[work.creator_id])

    assert f'href="{profile}">Aiko</a>' in client.get("/feed/").content.decode()
    assert f'href="{profile}">Aiko</a>' in client.get(work.get_absolute_url()).content.decode()


# --- the Following tab ----------------------------------------------------------------------


def test_following_tab_shows_only_followed_creators_newest_first_and_pages(client):
    # given: Ken follows Aiko (12 works) but not Ben
    aiko, ben, ken = UserFactory(), UserFactory(), UserFactory()
    accounts_services.follow_create(follower=ken, followee=aiko)
    for n in range(12):
        _published(aiko, f"aiko {n:02}", minutes_ago=60 - n)
    _published(ben, "ben's video")
    client.force_login(ken)
    url = reverse("marketplace:feed_following")

    # when
    first = client.get(url)
    html = first.content.decode()
    cursor = first.context["next_cursor"]
    more = client.get(url, {"cursor": cursor}, **HTMX).content.decode()

    # then: ten newest first, then the last two; never Ben's
    titles = [w.title for w in first.context["works"]]
    assert titles == [f"aiko {n:02}" for n in range(11, 1, -1)]
    assert "ben&#x27;s video" not in html and "ben's video" not in html
    assert "aiko 01" in more and "aiko 00" in more and "aiko 02" not in more
    assert f'hx-get="{url}?cursor=' in html
    assert 'aria-current="page">Following<' in html


def test_an_empty_following_tab_suggests_whom_to_follow(client):
    aiko = UserFactory(display_name="Aiko")
    _published(aiko, "Sunset duel")
    client.force_login(UserFactory())

    html = client.get(reverse("marketplace:feed_following")).content.decode()

    assert "Nothing from people you follow yet" in html
    assert reverse("marketplace:profile", args=[aiko.pk]) in html
    assert reverse("marketplace:profile_follow", args=[aiko.pk]) in html


def test_signed_out_people_are_sent_to_log_in_for_the_following_tab(client):
    response = client.get(reverse("marketplace:feed_following"))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/feed/following/")


def test_following_tab_queries_are_the_same_for_one_work_and_twenty(client):
    # given: Ken follows Aiko, who has published one video
    aiko, ken = UserFactory(), UserFactory()
    accounts_services.follow_create(follower=ken, followee=aiko)
    _published(aiko, "one", minutes_ago=30)
    client.force_login(ken)
    url = reverse("marketplace:feed_following")
    with CaptureQueriesContext(connection) as one:
        client.get(url)

    # when: nineteen more (a full page of ten, and a next one)
    for n in range(19):
        _published(aiko, f"more {n}", minutes_ago=n)
    with CaptureQueriesContext(connection) as twenty:
        response = client.get(url)

    # then
    assert len(response.context["works"]) == 10
    assert len(twenty.captured_queries) == len(one.captured_queries)


# --- API: follow a person -----------------------------------------------------------------


def test_api_follow_and_unfollow_a_person(api_client):
    aiko, ken = UserFactory(), UserFactory()
    url = f"/api/v1/users/{aiko.pk}/follow/"
    assert api_client.post(url).status_code in (401, 403)
    api_client.force_authenticate(ken)

    followed = api_client.post(url)
    again = api_client.post(url)
    gone = api_client.delete(url)

    state = {"user_id": str(aiko.pk), "following": True, "followers": 1, "following_count": 0}
    assert followed.status_code == again.status_code == 200
    assert followed.json() == again.json() == state
    assert gone.json() == {**state, "following": False, "followers": 0}
    assert not Follow.objects.exists()


def test_api_following_yourself_is_400_and_an_unknown_person_404(api_client):
    ken = UserFactory()
    api_client.force_authenticate(ken)

    self_follow = api_client.post(f"/api/v1/users/{ken.pk}/follow/")
    unknown = api_client.post("/api/v1/users/00000000-0000-4000-8000-000000000000/follow/")

    assert self_follow.status_code == 400
    assert self_follow.json() == {
        "code": "invalid",
        "detail": "You cannot follow yourself.",
        "field": None,
    }
    assert unknown.status_code == 404
    assert not Follow.objects.exists()
