"""Claims and disputes on the web: the work page's claims panel, the rightsholder's
claims dashboard, the admin's dispute actions, ending an offer from the manage page,
and the notifications page with its unread badge."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification
from accounts.services import notify
from licensing import services
from licensing.models import Grant, Offer
from marketplace import services as marketplace_services
from marketplace.models import Claim, Dispute
from tests.factories import (
    CharacterFactory,
    MembershipFactory,
    UserFactory,
    WorkFactory,
    editor_of,
    grant_for,
    publish_offer,
)
from tests.media import media_url_of, media_urls, viewer_of

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
FEED = reverse("marketplace:feed")
DASHBOARD = reverse("marketplace:claims_dashboard")
NOTIFICATIONS = reverse("accounts:notifications")


@pytest.fixture
def setting():
    """A verified studio's character in a creator's published work; the studio's owner."""
    hoshi = CharacterFactory(name="Hoshi-chan")
    creator = UserFactory()
    work = WorkFactory(
        creator=creator, grants=[grant_for(hoshi, creator)], title="Hoshi drinks a lager"
    )
    return hoshi, creator, work, editor_of(hoshi)


def _panel(work) -> str:
    return reverse("marketplace:claims_for_work", args=[work.pk])


def _file(hoshi, work, by, policy="track") -> Claim:
    return marketplace_services.claim_file(
        work=work,
        character=hoshi,
        by=by,
        reason="terms_breach",
        evidence="A beer at 0:02.",
        policy=policy,
    )


def _claim_form(hoshi, **overrides) -> dict:
    return {
        "character": str(hoshi.pk),
        "reason": "terms_breach",
        "policy": "block",
        "evidence": "Hoshi-chan holds a beer at 0:02.",
        **overrides,
    }


# --- the work page's claims panel ---------------------------------------------------------


def test_work_page_loads_the_claims_panel_for_logged_in_people_only(client, setting):
    # given
    _, _, work, _ = setting
    url = reverse("marketplace:work_detail", args=[work.pk])

    # when
    anonymous = client.get(url).content.decode()
    client.force_login(UserFactory())
    logged_in = client.get(url).content.decode()

    # then
    assert f'hx-get="{_panel(work)}"' not in anonymous
    assert f'hx-get="{_panel(work)}"' in logged_in


def test_studio_owner_sees_a_claim_form_limited_to_its_characters_in_the_work(client, setting):
    # given: the work also shows another studio's character
    hoshi, creator, _, studio_owner = setting
    kuro = CharacterFactory(name="Kuro")
    work = WorkFactory(
        creator=creator, grants=[grant_for(hoshi, creator), grant_for(kuro, creator)]
    )
    client.force_login(studio_owner)

    # when
    html = client.get(_panel(work), **HTMX).content.decode()

    # then: a fragment with the form, Hoshi-chan only, and each policy explained
    assert "<html" not in html and "Claim this video" in html
    assert f'value="{hoshi.pk}"' in html and f'value="{kuro.pk}"' not in html
    for explanation in ("delist it and stop playback", "future revenue goes to us", "record only"):
        assert explanation in html


@pytest.mark.parametrize("who", ["stranger", "viewer", "creator", "unverified_owner"])
def test_the_claim_form_is_only_for_owners_and_managers_of_a_verified_owner(client, setting, who):
    # given
    hoshi, creator, work, studio_owner = setting
    studio = hoshi.owner_organization
    if who == "unverified_owner":
        studio.verification_status = "pending"
        studio.save(update_fields=["verification_status"])
    user = {
        "stranger": lambda: UserFactory(),
        "viewer": lambda: MembershipFactory(organization=studio, role="viewer").user,
        "creator": lambda: creator,
        "unverified_owner": lambda: studio_owner,
    }[who]()
    client.force_login(user)

    # when
    response = client.get(_panel(work), **HTMX)

    # then
    assert response.status_code == 200
    assert "Claim this video" not in response.content.decode()


def test_rightsholder_files_a_claim_from_the_work_page_and_the_creator_is_told(
    client, setting, django_capture_on_commit_callbacks, eager_celery
):
    # given
    hoshi, creator, work, studio_owner = setting
    client.force_login(studio_owner)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_panel(work), _claim_form(hoshi, policy="monetize"), **HTMX)

    # then: htmx is sent to the claims dashboard, where the claim is listed
    assert response.status_code == 200 and response["HX-Redirect"] == DASHBOARD
    claim = Claim.objects.get()
    assert (claim.character, claim.policy, claim.filed_by) == (hoshi, "monetize", studio_owner)
    assert claim.evidence == "Hoshi-chan holds a beer at 0:02."
    html = client.get(DASHBOARD).content.decode()
    assert "Hoshi drinks a lager" in html and "Claim on Hoshi-chan filed" in html
    # and: the creator is notified in the app and by email
    assert Notification.objects.filter(user=creator, kind="claim.filed").count() == 1
    assert [m.to for m in mail.outbox] == [[creator.email]]


def test_claim_form_without_htmx_redirects_and_shows_errors_on_a_page(client, setting):
    # given
    hoshi, _, work, studio_owner = setting
    client.force_login(studio_owner)

    # when: a claim without evidence, then a complete one
    refused = client.post(_panel(work), _claim_form(hoshi, evidence=""))
    filed = client.post(_panel(work), _claim_form(hoshi))

    # then
    assert refused.status_code == 200 and "<html" in refused.content.decode()
    assert "This field is required." in refused.content.decode()
    assert filed.status_code == 302 and filed["Location"] == DASHBOARD
    assert Claim.objects.get().policy == "block"


def test_claiming_a_character_the_organization_does_not_own_is_forbidden(client, setting):
    # given: the owner of another verified studio (the panel shows them no claim form)
    hoshi, _, work, _ = setting
    outsider = MembershipFactory(organization__verification_status="verified").user
    client.force_login(outsider)

    # when: they post one anyway
    response = client.post(_panel(work), _claim_form(hoshi), **HTMX)

    # then: refused as the API refuses it (403, never a 200 page), and nothing is filed
    assert response.status_code == 403
    assert not Claim.objects.exists()


def test_a_duplicate_claim_from_the_page_is_refused_with_the_reason(client, setting):
    # given
    hoshi, _, work, studio_owner = setting
    _file(hoshi, work, studio_owner)
    client.force_login(studio_owner)

    # when
    response = client.post(_panel(work), _claim_form(hoshi, policy="track"), **HTMX)

    # then
    assert "Hoshi-chan has already been claimed in this video." in response.content.decode()
    assert Claim.objects.count() == 1


def test_block_hides_the_work_from_feeds_and_pages_for_all_but_its_creator(
    client, api_client, setting
):
    # given: the work is in the feed
    hoshi, creator, work, studio_owner = setting
    assert str(work.pk) in client.get(FEED).content.decode()

    # when: the studio blocks it from the page
    client.force_login(studio_owner)
    client.post(_panel(work), _claim_form(hoshi, policy="block"))
    client.logout()

    # then: gone from both feeds and both detail endpoints, for anyone but its creator
    page = reverse("marketplace:work_detail", args=[work.pk])
    api = f"/api/v1/works/{work.pk}/"
    assert str(work.pk) not in client.get(FEED).content.decode()
    assert str(work.pk) not in client.get("/api/v1/feed/").content.decode()
    for viewer in (None, UserFactory(), studio_owner):
        if viewer is not None:
            client.force_login(viewer)
            api_client.force_authenticate(viewer)
        assert client.get(page).status_code == 404
        assert api_client.get(api).status_code == 404
    # and: its creator still sees and plays it
    client.force_login(creator)
    api_client.force_authenticate(creator)
    html = client.get(page).content.decode()
    video = media_url_of(media_urls(html), work.video.name)
    assert "<video" in html and "Delisted" in html
    assert viewer_of(video) == str(creator.pk)  # not public: signed for its creator
    assert api_client.get(api).json()["id"] == str(work.pk)


# --- disputes on the work page ------------------------------------------------------------


def test_creator_sees_the_claim_and_disputes_it_from_the_work_page(
    client, setting, django_capture_on_commit_callbacks, eager_celery
):
    # given
    hoshi, creator, work, studio_owner = setting
    claim = _file(hoshi, work, studio_owner)
    client.force_login(creator)
    panel = client.get(_panel(work), **HTMX).content.decode()
    dispute_url = reverse("marketplace:claim_dispute", args=[claim.pk])
    assert "claims Hoshi-chan" in panel and f'action="{dispute_url}"' in panel

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(dispute_url, {"reason": "It is a soda can."})

    # then
    assert response.status_code == 302 and response["Location"] == work.get_absolute_url()
    claim.refresh_from_db()
    assert claim.status == "disputed" and claim.dispute.reason == "It is a soda can."
    assert Notification.objects.filter(user=studio_owner, kind="dispute.opened").exists()
    assert studio_owner.email in [m.to[0] for m in mail.outbox]
    panel = client.get(_panel(work), **HTMX).content.decode()
    assert f'action="{dispute_url}"' not in panel and "Ask staff to decide" in panel


def test_the_dispute_form_is_gone_after_30_days_and_a_late_dispute_is_refused(client, setting):
    # given: a claim filed 31 days ago
    hoshi, creator, work, studio_owner = setting
    claim = _file(hoshi, work, studio_owner)
    Claim.objects.filter(pk=claim.pk).update(created_at=timezone.now() - timedelta(days=31))
    client.force_login(creator)
    dispute_url = reverse("marketplace:claim_dispute", args=[claim.pk])

    # when
    panel = client.get(_panel(work), **HTMX).content.decode()
    response = client.post(dispute_url, {"reason": "late"}, follow=True)

    # then
    assert "claims Hoshi-chan" in panel and f'action="{dispute_url}"' not in panel
    assert "Claims can be disputed within 30 days." in response.content.decode()
    assert not Dispute.objects.exists()


def test_only_the_creator_can_dispute_from_the_page(client, setting):
    # given
    hoshi, _, work, studio_owner = setting
    claim = _file(hoshi, work, studio_owner)
    url = reverse("marketplace:claim_dispute", args=[claim.pk])

    # when: a stranger, then the claimant
    client.force_login(UserFactory())
    stranger = client.post(url, {"reason": "me too"})
    client.force_login(studio_owner)
    claimant = client.post(url, {"reason": "me too"})

    # then
    assert (stranger.status_code, claimant.status_code) == (404, 403)
    assert not Dispute.objects.exists()


# --- the claims dashboard -----------------------------------------------------------------


def test_claims_dashboard_has_an_empty_state(client):
    # given
    client.force_login(MembershipFactory().user)

    # when
    html = client.get(DASHBOARD).content.decode()

    # then
    assert "No claims yet" in html


def test_claimant_releases_an_active_block_claim_from_the_dashboard(client, setting):
    # given
    hoshi, _, work, studio_owner = setting
    claim = _file(hoshi, work, studio_owner, policy="block")
    client.force_login(studio_owner)
    release = reverse("marketplace:claim_release", args=[claim.pk])
    html = client.get(DASHBOARD).content.decode()
    assert f'action="{release}"' in html and 'data-confirm="Release this claim?' in html
    assert "Disputable until" in html

    # when
    response = client.post(release, follow=True)

    # then: released, and the block is lifted
    claim.refresh_from_db()
    work.refresh_from_db()
    assert (claim.status, work.status) == ("released", "published")
    assert "Released your claim" in response.content.decode()


@pytest.mark.parametrize(
    ("decision", "claim_status", "work_status"),
    [("release", "released", "published"), ("uphold", "upheld", "delisted")],
)
def test_claimant_answers_a_dispute_from_the_dashboard(
    client, setting, decision, claim_status, work_status
):
    # given: a disputed block
    hoshi, creator, work, studio_owner = setting
    claim = _file(hoshi, work, studio_owner, policy="block")
    dispute = marketplace_services.dispute_open(claim=claim, by=creator, reason="It is a soda can.")
    client.force_login(studio_owner)
    resolve = reverse("marketplace:dispute_resolve", args=[dispute.pk])
    html = client.get(DASHBOARD).content.decode()
    assert f'action="{resolve}"' in html and "It is a soda can." in html
    assert f"Answer by {dispute.deadline:%-d %b %Y}" in html

    # when
    client.post(resolve, {"decision": decision, "note": "Checked the label."})

    # then
    claim.refresh_from_db()
    work.refresh_from_db()
    dispute.refresh_from_db()
    assert (claim.status, work.status) == (claim_status, work_status)
    assert dispute.resolution_note == "Checked the label." and dispute.resolved_by == studio_owner


def test_dashboard_actions_need_an_owner_or_manager_of_the_claimant(client, setting):
    # given: an active claim and a disputed one
    hoshi, creator, work, studio_owner = setting
    active = _file(hoshi, work, studio_owner)
    other = WorkFactory(creator=creator, grants=[grant_for(hoshi, creator)], title="Another")
    dispute = marketplace_services.dispute_open(
        claim=_file(hoshi, other, studio_owner), by=creator, reason="Mine."
    )
    viewer = MembershipFactory(organization=hoshi.owner_organization, role="viewer").user
    release = reverse("marketplace:claim_release", args=[active.pk])
    resolve = reverse("marketplace:dispute_resolve", args=[dispute.pk])

    # when: a viewer of the studio looks and tries; the creator and a stranger try
    client.force_login(viewer)
    html = client.get(DASHBOARD).content.decode()
    viewer_codes = (
        client.post(release).status_code,
        client.post(resolve, {"decision": "release"}).status_code,
    )
    client.force_login(creator)
    creator_codes = (
        client.post(release).status_code,
        client.post(resolve, {"decision": "release"}).status_code,
    )
    client.force_login(UserFactory())
    stranger_codes = (
        client.post(release).status_code,
        client.post(resolve, {"decision": "release"}).status_code,
    )

    # then: the viewer sees the claims without buttons; nobody here may act
    assert "Hoshi drinks a lager" in html
    assert f'action="{release}"' not in html and f'action="{resolve}"' not in html
    assert viewer_codes == (403, 403) and creator_codes == (403, 403)
    assert stranger_codes == (404, 404)
    active.refresh_from_db()
    dispute.refresh_from_db()
    assert (active.status, dispute.status) == ("active", "open")


def test_staff_resolve_an_escalated_dispute_with_the_admin_action(setting, staff, staff_client):
    # given: the creator escalates a disputed block from the work page
    hoshi, creator, work, studio_owner = setting
    claim = _file(hoshi, work, studio_owner, policy="block")
    dispute = marketplace_services.dispute_open(claim=claim, by=creator, reason="I hold a licence.")
    creator_client = Client()
    creator_client.force_login(creator)
    creator_client.post(reverse("marketplace:dispute_escalate", args=[dispute.pk]))
    dispute.refresh_from_db()
    assert dispute.status == "escalated"

    # when: staff release it from the admin
    response = staff_client.post(
        reverse("admin:marketplace_dispute_changelist"),
        {"action": "release_selected", "_selected_action": [str(dispute.pk)]},
        follow=True,
    )

    # then
    assert "Released 1 dispute(s)." in response.content.decode()
    dispute.refresh_from_db()
    work.refresh_from_db()
    assert (dispute.status, dispute.resolved_by, work.status) == ("released", staff, "published")


def test_staff_uphold_a_dispute_with_the_admin_action(staff_client, setting, staff):
    # given
    hoshi, creator, work, studio_owner = setting
    claim = _file(hoshi, work, studio_owner, policy="block")
    dispute = marketplace_services.dispute_open(claim=claim, by=creator, reason="I hold a licence.")
    marketplace_services.dispute_escalate(dispute=dispute, by=creator)

    # when
    staff_client.post(
        reverse("admin:marketplace_dispute_changelist"),
        {"action": "uphold_selected", "_selected_action": [str(dispute.pk)]},
    )

    # then
    claim.refresh_from_db()
    work.refresh_from_db()
    assert (claim.status, work.status) == ("upheld", "delisted")


# --- ending an offer from the manage page -------------------------------------------------


def test_licensor_ends_an_offer_from_the_manage_page_and_new_acceptances_are_refused(client):
    # given
    hoshi = CharacterFactory(name="Hoshi-chan")
    offer = publish_offer(hoshi, on_revoke="delist", grace_days=7)
    holder = UserFactory()
    services.grant_accept(
        offer=offer, by=holder, max_fee=0, max_rev_share_bps=0, max_generation_fee=0
    )
    client.force_login(editor_of(hoshi))
    end = reverse("licensing:offer_end", args=[offer.pk])
    manage = client.get(reverse("licensing:character_manage", args=[hoshi.pk])).content.decode()
    assert f'action="{end}"' in manage
    assert "end in 7 days; then their videos are delisted" in manage

    # when
    response = client.post(end, follow=True)

    # then: ended, the holder is told, and a newcomer is refused with the reason
    offer.refresh_from_db()
    assert offer.status == "ended"
    assert "Existing licences end in 7 days, and then their videos are delisted." in (
        response.content.decode()
    )
    assert Notification.objects.filter(user=holder, kind="grant.ending").exists()
    client.force_login(UserFactory())
    refused = client.post(
        reverse("payments:offer_accept", args=[hoshi.pk, offer.pk]),
        {"max_fee": 0, "max_rev_share_bps": 0},
        follow=True,
    )
    assert "That offer is no longer available." in refused.content.decode()
    assert not Grant.objects.filter(offer=offer).exclude(licensee=holder).exists()


def test_only_an_editor_of_the_character_can_end_its_offer_from_the_page(client):
    # given
    offer = publish_offer(CharacterFactory())
    client.force_login(UserFactory())

    # when
    response = client.post(reverse("licensing:offer_end", args=[offer.pk]))

    # then
    assert response.status_code == 404
    assert Offer.objects.get(pk=offer.pk).status == "published"


# --- notifications ------------------------------------------------------------------------


def _badge(html: str) -> int | None:
    found = re.search(r'class="badge nav-unread">(\d+)<', html)
    return int(found.group(1)) if found else None


def test_notifications_page_needs_a_login(client):
    response = client.get(NOTIFICATIONS)

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_claim_notifies_the_creator_on_the_notifications_page(client, setting):
    # given: an older note (and none of the setting's own)
    hoshi, creator, work, studio_owner = setting
    Notification.objects.all().delete()
    notify(users=[creator], kind="note", title="An older note", url="/grants/")
    Notification.objects.filter(user=creator).update(created_at=timezone.now() - timedelta(days=1))
    _file(hoshi, work, studio_owner, policy="block")
    client.force_login(creator)

    # when
    html = client.get(NOTIFICATIONS).content.decode()

    # then: newest first, unread, linking to the video, with the unread badge
    claimed = html.index(f"{hoshi.owner_organization.name} claimed your video")
    assert claimed < html.index("An older note")
    assert f'<a href="{work.get_absolute_url()}">' in html
    assert html.count("notification unread") == 2
    assert _badge(html) == 2


def test_mark_all_read_clears_the_highlight_and_the_badge(client):
    # given: two unread notes
    creator = UserFactory()
    notify(users=[creator], kind="note", title="One")
    notify(users=[creator], kind="note", title="Two")
    client.force_login(creator)

    # when
    response = client.post(reverse("accounts:notifications_read"), follow=True)

    # then
    html = response.content.decode()
    assert "Marked 2 notifications read." in html
    assert "notification unread" not in html and _badge(html) is None
    assert not Notification.objects.filter(user=creator, read_at__isnull=True).exists()


def test_unread_badge_counts_only_the_users_unread_notifications(client):
    # given: three unread, one read, and someone else's
    user = UserFactory()
    first = notify(users=[user], kind="note", title="A")[0]
    for title in ("B", "C", "D"):
        notify(users=[user], kind="note", title=title)
    notify(users=[UserFactory()], kind="note", title="Not yours")
    client.force_login(user)
    client.post(reverse("accounts:notifications_read"), {"id": str(first.pk)})

    # when
    html = client.get(reverse("licensing:my_grants")).content.decode()

    # then
    assert _badge(html) == 3


def test_notifications_page_query_count_does_not_grow(client, django_assert_num_queries):
    # given
    user = UserFactory()
    client.force_login(user)
    for n in range(2):
        notify(users=[user], kind="note", title=f"Note {n}", url="/grants/")

    # when / then: as many queries for 2 notifications as for 10
    with django_assert_num_queries(NOTIFICATIONS_QUERIES):
        two = client.get(NOTIFICATIONS).content.decode()
    for n in range(8):
        notify(users=[user], kind="note", title=f"More {n}", url="/grants/")
    with django_assert_num_queries(NOTIFICATIONS_QUERIES):
        ten = client.get(NOTIFICATIONS).content.decode()
    assert (two.count('class="card notification'), ten.count('class="card notification')) == (
        2,
        10,
    )


# Session, user, the nav's membership check and unread count, the page's count and slice.
NOTIFICATIONS_QUERIES = 6
