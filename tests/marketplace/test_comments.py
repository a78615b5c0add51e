"""Comments on works: the services' promises (bad input refused with nothing stored,
screening holds, reports, hiding by the work's moderators), the work page's section
(with and without htmx) and the API."""

import pytest
from django.urls import reverse

from accounts.models import SocialEvent
from core.errors import DomainError
from marketplace import services
from marketplace.enums import CommentStatus
from marketplace.models import Comment, CommentReport
from marketplace.services.comments import AlreadyReported, CommentNotAllowed, NotYours
from tests.builders import licensed_work
from tests.factories import UserFactory, WorkFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def setting():
    """A published work licensing a studio character, and that studio's owner."""
    return licensed_work(title="Sunset duel")


@pytest.fixture
def work(setting):
    return setting[0]


@pytest.fixture
def rightsholder(setting):
    return setting[1]


# --- services: bad input ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "code", "detail"),
    [
        ("x" * 100_000, "too_long", "at most 2,000 characters; this one has 100,000"),
        ("x" * 2_001, "too_long", "at most 2,000 characters; this one has 2,001"),
        ("   \n  ", "required", "Write something first"),
        ("nice\x00one", "control_characters", "U+0000"),
        ("bell\x07", "control_characters", "U+0007"),
        ("escape \x1b[31mred", "control_characters", "U+001B"),
    ],
)
def test_bad_comment_bodies_are_refused_and_nothing_is_stored(work, body, code, detail):
    # when / then
    with pytest.raises(DomainError, match=detail.replace("+", r"\+")) as refused:
        services.comment_create(work=work, author=UserFactory(), body=body)
    assert refused.value.code == code and refused.value.field == "body"
    assert refused.value.status_code == 400
    assert not Comment.objects.exists() and not SocialEvent.objects.exists()


def test_newlines_and_tabs_are_kept_and_line_ends_normalised(work):
    comment = services.comment_create(
        work=work, author=UserFactory(), body="  first line\r\n\tsecond  "
    )

    assert comment.body == "first line\n\tsecond"
    assert comment.status == CommentStatus.VISIBLE


def test_a_comment_of_exactly_the_limit_is_accepted(work):
    comment = services.comment_create(work=work, author=UserFactory(), body="y" * 2_000)

    assert len(comment.body) == 2_000


@pytest.mark.parametrize("status", ["pending_approval", "delisted"])
def test_a_work_that_is_not_published_takes_no_comments(status):
    draft = WorkFactory(status=status)

    with pytest.raises(CommentNotAllowed):
        services.comment_create(work=draft, author=draft.creator, body="Looks good")
    assert not Comment.objects.exists()


# --- services: screening holds, never refuses -----------------------------------------------


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("Get free followers at https://spam.example/now", "contains a link"),
        ("visit cheapviews.xyz today", "contains a link"),
        ("Click here for a promo code", "“click here”"),
        ("WOW THIS IS THE BEST VIDEO EVER MADE BY ANYONE", "mostly capital letters"),
        ("nice nice nice nice nice nice nice nice nice nice", "same words repeated"),
        ("loooooooooooooooooooool", "same character repeated"),
        ("this is racist garbage and a slur", "screened as hate"),
    ],
)
def test_screening_holds_spam_and_slurs_with_the_reason(work, body, reason):
    # when
    comment = services.comment_create(work=work, author=UserFactory(), body=body)

    # then: stored, but held, with why; its creator is not told of it
    assert comment.status == CommentStatus.HELD
    assert reason in comment.held_reason
    assert not SocialEvent.objects.exists()


def test_a_comment_naming_an_unlicensed_character_is_fine(work):
    comment = services.comment_create(
        work=work, author=UserFactory(), body="Would love to see Pikachu and Mario join in!"
    )

    assert comment.status == CommentStatus.VISIBLE and comment.held_reason == ""


def test_a_visible_comment_records_a_notice_for_the_creator_but_not_ones_own(work):
    services.comment_create(work=work, author=work.creator, body="Thanks for watching")
    assert not SocialEvent.objects.exists()

    fan = UserFactory()
    comment = services.comment_create(work=work, author=fan, body="Lovely light")

    event = SocialEvent.objects.get()
    assert (event.recipient, event.actor, event.kind) == (work.creator, fan, "comment")
    assert event.source == f"comment:{comment.pk}" and event.excerpt == "Lovely light"


# --- services: delete, report, hide ----------------------------------------------------------


def test_only_its_author_deletes_a_comment_and_its_notice_goes_with_it(work):
    fan = UserFactory()
    comment = services.comment_create(work=work, author=fan, body="Lovely light")

    with pytest.raises(NotYours):
        services.comment_delete(comment=comment, by=UserFactory())
    assert Comment.objects.filter(pk=comment.pk).exists()

    services.comment_delete(comment=comment, by=fan)

    assert not Comment.objects.exists() and not SocialEvent.objects.exists()


def test_reporting_twice_is_refused_and_three_readers_hold_it(work):
    # given
    comment = services.comment_create(work=work, author=UserFactory(), body="Meh")
    first = UserFactory()
    services.comment_report(comment=comment, by=first, reason="rude")

    # when: the same reader reports again
    with pytest.raises(AlreadyReported):
        services.comment_report(comment=comment, by=first)

    # then: nothing changed
    assert CommentReport.objects.filter(comment=comment).count() == 1
    comment.refresh_from_db()
    assert comment.status == CommentStatus.VISIBLE

    # when: two more readers report it
    services.comment_report(comment=comment, by=UserFactory())
    services.comment_report(comment=comment, by=UserFactory())

    # then: held for the moderators, with why
    comment.refresh_from_db()
    assert comment.status == CommentStatus.HELD
    assert comment.held_reason == "Reported by 3 readers."


def test_reporting_ones_own_comment_is_refused(work):
    fan = UserFactory()
    comment = services.comment_create(work=work, author=fan, body="Meh")

    with pytest.raises(DomainError, match="cannot report your own"):
        services.comment_report(comment=comment, by=fan)
    assert not CommentReport.objects.exists()


def test_rightsholders_and_staff_hide_and_show_comments_strangers_get_404(work, rightsholder):
    # given
    comment = services.comment_create(work=work, author=UserFactory(), body="Hmm")

    # when: a stranger, and the work's own creator, try to hide it
    for stranger in (UserFactory(), work.creator):
        with pytest.raises(NotYours) as refused:
            services.comment_hide(comment=comment, by=stranger)
        assert refused.value.status_code == 404
    comment.refresh_from_db()
    assert comment.status == CommentStatus.VISIBLE and comment.hidden_by is None

    # when: the character's rightsholder hides it
    services.comment_hide(comment=comment, by=rightsholder)
    comment.refresh_from_db()
    assert comment.status == CommentStatus.HIDDEN and comment.hidden_by == rightsholder
    assert comment.hidden_at is not None

    # when: staff show it again
    services.comment_unhide(comment=comment, by=UserFactory(is_staff=True))
    comment.refresh_from_db()
    assert comment.status == CommentStatus.VISIBLE and comment.hidden_by is None


def test_a_moderator_releases_a_held_comment(work, rightsholder):
    comment = services.comment_create(work=work, author=UserFactory(), body="see www.x.com")
    assert comment.status == CommentStatus.HELD

    services.comment_unhide(comment=comment, by=rightsholder)

    comment.refresh_from_db()
    assert comment.status == CommentStatus.VISIBLE and comment.held_reason == ""


def test_a_released_comment_is_held_again_only_by_as_many_new_reports(work, rightsholder):
    # given: three readers' reports held it, and a moderator released it
    comment = services.comment_create(work=work, author=UserFactory(), body="Meh")
    for _ in range(3):
        services.comment_report(comment=comment, by=UserFactory())
    services.comment_unhide(comment=comment, by=rightsholder)

    # when: two new readers report it
    services.comment_report(comment=comment, by=UserFactory())
    services.comment_report(comment=comment, by=UserFactory())

    # then: still visible (the first three were reviewed)
    comment.refresh_from_db()
    assert comment.status == CommentStatus.VISIBLE
    assert CommentReport.objects.filter(comment=comment, reviewed_at__isnull=False).count() == 3

    # when: a third new reader reports it
    services.comment_report(comment=comment, by=UserFactory())

    # then
    comment.refresh_from_db()
    assert comment.status == CommentStatus.HELD
    assert comment.held_reason == "Reported by 3 readers."


# --- the work page ------------------------------------------------------------------------


def _post(client, work, body, **extra):
    return client.post(
        reverse("marketplace:work_comments", args=[work.pk]), {"body": body}, **extra
    )


def test_commenting_without_javascript_comes_back_to_the_comments(client, work):
    fan = UserFactory(display_name="Ken")
    client.force_login(fan)

    response = _post(client, work, "Lovely light")

    assert response.status_code == 302
    assert response["Location"] == f"{work.get_absolute_url()}#comments"
    html = client.get(work.get_absolute_url()).content.decode()
    assert "Lovely light" in html and "Comment posted." in html
    assert 'Comments <span class="muted">(1)</span>' in html
    assert 'data-count="comments">1<' in html


def test_commenting_with_htmx_swaps_the_section_and_shows_why_it_is_held(client, work):
    client.force_login(UserFactory())

    response = _post(client, work, "buy now at spam.example.com", **HTMX)

    html = response.content.decode()
    assert response.status_code == 200 and html.lstrip().startswith(
        '<section class="card comments"'
    )
    assert "held for review: It looks like spam" in html
    assert "Held for review" in html


def test_a_100_kb_form_is_refused_on_its_size_with_nothing_stored(client, work):
    client.force_login(UserFactory())

    response = _post(client, work, "x" * 100_000, **HTMX)

    assert response.status_code == 200
    assert "at most 2,000 characters" in response.content.decode()
    assert not Comment.objects.exists()


def test_a_control_character_is_refused_on_the_page_with_the_draft_kept(client, work):
    client.force_login(UserFactory())

    response = _post(client, work, "hello\x07there", **HTMX)

    html = response.content.decode()
    assert "control characters (found U+0007)" in html
    assert not Comment.objects.exists()


def test_signed_out_readers_see_comments_and_are_sent_to_log_in_to_write(client, work):
    services.comment_create(work=work, author=UserFactory(), body="Lovely light")

    page = client.get(work.get_absolute_url()).content.decode()
    response = _post(client, work, "Me too")

    assert "Lovely light" in page and "Log in to comment" in page
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert Comment.objects.count() == 1


def test_held_and_hidden_comments_are_seen_only_by_author_and_moderators(
    client, work, rightsholder
):
    # given
    author = UserFactory()
    held = services.comment_create(work=work, author=author, body="see www.spam.com")
    hidden = services.comment_create(work=work, author=author, body="quietly hidden")
    services.comment_hide(comment=hidden, by=rightsholder)
    services.comment_create(work=work, author=UserFactory(), body="plainly visible")

    def page_for(person):
        client.logout()
        if person:
            client.force_login(person)
        return client.get(work.get_absolute_url()).content.decode()

    # then: a reader sees only the visible one
    for reader in (None, UserFactory()):
        html = page_for(reader)
        assert "plainly visible" in html
        assert "www.spam.com" not in html and "quietly hidden" not in html
    # its author and the rightsholder see all three, the held one with why
    for insider in (author, rightsholder):
        html = page_for(insider)
        assert "www.spam.com" in html and "quietly hidden" in html
        assert "It looks like spam: it contains a link." in html
    assert held.status == "held"


def test_a_rightsholder_hides_from_the_page_and_a_stranger_gets_404(client, work, rightsholder):
    comment = services.comment_create(work=work, author=UserFactory(), body="Hmm")
    url = reverse("marketplace:comment_hide", args=[work.pk, comment.pk])

    client.force_login(UserFactory())
    assert client.post(url).status_code == 404

    client.force_login(rightsholder)
    response = client.post(url, **HTMX)
    assert response.status_code == 200 and "Comment hidden." in response.content.decode()
    comment.refresh_from_db()
    assert comment.status == CommentStatus.HIDDEN


def test_the_comments_list_is_a_constant_number_of_queries(
    client, work, django_assert_max_num_queries
):
    url = reverse("marketplace:work_comments", args=[work.pk])
    services.comment_create(work=work, author=UserFactory(), body="one")
    with django_assert_max_num_queries(30) as few:
        client.get(url)
    for n in range(10):
        services.comment_create(work=work, author=UserFactory(), body=f"comment {n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert response.content.decode().count('class="comment"') == 11


# --- API ---------------------------------------------------------------------------------------


def test_api_comment_create_list_and_errors(api_client, work):
    url = f"/api/v1/works/{work.pk}/comments/"
    assert api_client.post(url, {"body": "hi"}, format="json").status_code in (401, 403)
    fan = UserFactory(display_name="Ken")
    api_client.force_authenticate(fan)

    created = api_client.post(url, {"body": "Lovely light"}, format="json")
    assert created.status_code == 201
    assert created.json()["status"] == "visible"
    assert created.json()["author"] == {"id": str(fan.pk), "name": "Ken"}

    held = api_client.post(url, {"body": "promo code at spam.example.com"}, format="json")
    assert held.status_code == 201 and held.json()["status"] == "held"

    bad = api_client.post(url, {"body": "tab\tok but bell\x07 is not"}, format="json")
    assert bad.status_code == 400 and bad.json()["code"] == "control_characters"

    api_client.force_authenticate(None)
    listing = api_client.get(url)
    assert listing.status_code == 200
    assert listing.json()["count"] == 1
    assert [c["body"] for c in listing.json()["results"]] == ["Lovely light"]


def test_api_refuses_a_100_kb_body_before_reading_it(api_client, work):
    api_client.force_authenticate(UserFactory())

    response = api_client.post(
        f"/api/v1/works/{work.pk}/comments/", {"body": "x" * 100_000}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "too_long" and response.json()["field"] == "body"
    assert "bytes" in response.json()["detail"]
    assert not Comment.objects.exists()


def test_api_refuses_an_unreadable_content_length_as_too_large(api_client, work):
    api_client.force_authenticate(UserFactory())

    response = api_client.post(
        f"/api/v1/works/{work.pk}/comments/",
        {"body": "Lovely light"},
        format="json",
        CONTENT_LENGTH="many",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "too_long"
    assert not Comment.objects.exists()


def test_api_report_twice_is_409_and_hide_by_a_stranger_is_404(api_client, work, rightsholder):
    comment = services.comment_create(work=work, author=UserFactory(), body="Meh")
    base = f"/api/v1/works/{work.pk}/comments/{comment.pk}"
    api_client.force_authenticate(UserFactory())

    assert api_client.post(f"{base}/report/", {}, format="json").status_code == 200
    again = api_client.post(f"{base}/report/", {}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "duplicate"
    assert api_client.post(f"{base}/hide/").status_code == 404
    assert api_client.delete(f"{base}/").status_code == 404

    api_client.force_authenticate(rightsholder)
    hidden = api_client.post(f"{base}/hide/")
    assert hidden.status_code == 200 and hidden.json()["status"] == "hidden"
    shown = api_client.post(f"{base}/unhide/")
    assert shown.status_code == 200 and shown.json()["status"] == "visible"
    assert CommentReport.objects.filter(comment=comment).count() == 1


def test_api_author_deletes_their_comment(api_client, work):
    fan = UserFactory()
    comment = services.comment_create(work=work, author=fan, body="Oops")
    api_client.force_authenticate(fan)

    response = api_client.delete(f"/api/v1/works/{work.pk}/comments/{comment.pk}/")

    assert response.status_code == 204 and not Comment.objects.exists()


# --- admin ---------------------------------------------------------------------------------


def test_staff_hide_and_show_comments_from_the_admin(staff_client, work):
    comment = services.comment_create(work=work, author=UserFactory(), body="Hmm")
    url = reverse("admin:marketplace_comment_changelist")

    listed = staff_client.get(url, {"status__exact": "visible", "q": "Hmm"})
    hidden = staff_client.post(
        url, {"action": "hide_selected", "_selected_action": [str(comment.pk)]}
    )

    assert listed.status_code == 200 and "Hmm" in listed.content.decode()
    assert hidden.status_code == 302
    comment.refresh_from_db()
    assert comment.status == CommentStatus.HIDDEN and comment.hidden_by is not None
    staff_client.post(url, {"action": "show_selected", "_selected_action": [str(comment.pk)]})
    comment.refresh_from_db()
    assert comment.status == CommentStatus.VISIBLE
