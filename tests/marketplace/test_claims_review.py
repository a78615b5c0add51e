"""Claims reach what slipped through: a rightsholder may claim a video that shows their
character though it does not license it. Such a claim waits for staff review and does
nothing to the video until staff accept it for processing (it then takes effect as if
filed that moment) or reject it with a reason."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification
from core.errors import DomainError, NotPermitted
from core.models import AuditEvent
from core.money import Money
from marketplace import services as marketplace_services
from marketplace.models import Claim
from payments import services as payments_services
from tests.factories import (
    CharacterFactory,
    MembershipFactory,
    UserFactory,
    WorkFactory,
    editor_of,
    grant_for,
)

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
DASHBOARD = reverse("marketplace:claims_dashboard")
CLAIMS_ADMIN = reverse("admin:marketplace_claim_changelist")


@pytest.fixture
def slipped():
    """A creator's published video licensing only another studio's Kuro, in which (its
    evidence says) a verified studio's Comet Girl appears; that studio's owner."""
    comet = CharacterFactory(name="Comet Girl")
    kuro = CharacterFactory(name="Kuro")
    creator = UserFactory()
    work = WorkFactory(
        creator=creator,
        grants=[grant_for(kuro, creator, commercial_use=True)],
        title="Kuro at the fair",
    )
    return comet, creator, work, editor_of(comet)


def _panel(work) -> str:
    return reverse("marketplace:claims_for_work", args=[work.pk])


def _body(character, **overrides) -> dict:
    return {
        "character_id": str(character.pk),
        "reason": "unlicensed",
        "evidence": "Comet Girl rides the ferris wheel from 0:01 to 0:03.",
        "policy": "block",
        **overrides,
    }


def _file(character, work, by, policy="block") -> Claim:
    return marketplace_services.claim_file(
        work=work,
        character=character,
        by=by,
        reason="unlicensed",
        evidence="Comet Girl rides the ferris wheel.",
        policy=policy,
    )


def _pending(owner) -> int:
    balances = payments_services.balances_for(owner=owner)
    return balances.get(("pending", "USD"), Money(0, "USD")).amount


def _tip(work, n: int) -> None:
    event, _ = payments_services.revenue_event_record(
        kind="tip",
        source="stripe",
        external_id=f"pi_{work.pk}_{n}",
        money=Money(1_000, "USD"),
        work=work,
    )
    payments_services.revenue_event_settle(event=event)


# --- filing: the web and the API ------------------------------------------------------------


def test_rightsholder_claims_a_video_that_does_not_license_their_character_from_its_page(
    client, slipped, django_capture_on_commit_callbacks, eager_celery
):
    # given: the claim form offers the studio's character, marked for staff review
    comet, creator, work, studio_owner = slipped
    client.force_login(studio_owner)
    panel = client.get(_panel(work), **HTMX).content.decode()
    assert "Claim this video" in panel
    assert "Not licensed in this video: our staff review the claim first" in panel
    assert f'value="{comet.pk}"' in panel

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _panel(work),
            {
                "character": str(comet.pk),
                "reason": "unlicensed",
                "policy": "block",
                "evidence": "Comet Girl rides the ferris wheel from 0:01 to 0:03.",
            },
            **HTMX,
        )

    # then: filed for review, the video untouched and its creator not told
    assert response.status_code == 200 and response["HX-Redirect"] == DASHBOARD
    claim = Claim.objects.get()
    assert (claim.character, claim.status, claim.filed_by) == (comet, "staff_review", studio_owner)
    work.refresh_from_db()
    assert work.status == "published"
    assert not Notification.objects.filter(user=creator, kind__startswith="claim.").exists()
    assert mail.outbox == []
    # and: the claimant sees where it stands, on the dashboard and on the video's page
    dashboard = client.get(DASHBOARD).content.decode()
    assert "sent to our staff" in dashboard and "Awaiting staff review" in dashboard
    assert "With our staff: this video does not license Comet Girl" in dashboard
    assert (
        "our staff review the claim before it takes effect"
        in client.get(_panel(work), **HTMX).content.decode()
    )


def test_rightsholder_claims_such_a_video_via_the_api_and_the_creator_sees_nothing_yet(
    api_client, slipped
):
    # given
    comet, creator, work, studio_owner = slipped
    api_client.force_authenticate(studio_owner)

    # when
    response = api_client.post(f"/api/v1/works/{work.pk}/claims/", _body(comet), format="json")

    # then
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["dispute_until"], body["reviewed_at"]) == (
        "staff_review",
        None,
        None,
    )
    work.refresh_from_db()
    assert work.status == "published"
    # and: the creator neither lists it nor can dispute it: for them it does not exist
    api_client.force_authenticate(creator)
    assert api_client.get("/api/v1/claims/").json()["results"] == []
    dispute = api_client.post(
        f"/api/v1/claims/{body['id']}/dispute/", {"reason": "Not her."}, format="json"
    )
    assert dispute.status_code == 404
    creator_client = Client()
    creator_client.force_login(creator)
    assert "Comet Girl" not in creator_client.get(_panel(work), **HTMX).content.decode()


def test_a_monetize_claim_awaiting_review_leaves_the_revenue_where_it_goes(slipped):
    # given
    comet, creator, work, studio_owner = slipped
    _file(comet, work, studio_owner, policy="monetize")

    # when: a $10 tip arrives
    _tip(work, 1)

    # then: split as if unclaimed (all but the platform's fee to the creator)
    assert _pending(creator) == 900
    assert _pending(comet.owner_organization) == 0


def test_only_the_characters_rightsholder_may_claim_it_even_for_review(api_client, slipped):
    # given: a verified studio's owner who does not own Comet Girl
    comet, _, work, _ = slipped
    stranger = MembershipFactory(organization__verification_status="verified").user
    api_client.force_authenticate(stranger)

    # when
    response = api_client.post(f"/api/v1/works/{work.pk}/claims/", _body(comet), format="json")

    # then
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert not Claim.objects.exists()


def test_the_claim_form_lists_none_of_another_organizations_characters(client, slipped):
    # given
    comet, _, work, _ = slipped
    member = MembershipFactory(organization__verification_status="verified").user
    own = CharacterFactory(
        name="Own Star", owner_organization=member.memberships.get().organization
    )
    client.force_login(member)

    # when
    html = client.get(_panel(work), **HTMX).content.decode()

    # then
    assert f'value="{own.pk}"' in html and f'value="{comet.pk}"' not in html


# --- staff review in the admin --------------------------------------------------------------


def test_staff_accept_a_claim_for_processing_and_it_takes_effect_then(
    slipped, staff, staff_client, api_client, django_capture_on_commit_callbacks
):
    # given: a block claim that waited 40 days for review
    comet, creator, work, studio_owner = slipped
    claim = _file(comet, work, studio_owner, policy="block")
    Claim.objects.filter(pk=claim.pk).update(created_at=timezone.now() - timedelta(days=40))

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            CLAIMS_ADMIN,
            {"action": "accept_for_processing", "_selected_action": [str(claim.pk)]},
            follow=True,
        )

    # then: active, reviewed by staff, and the block applies
    assert "Accepted 1 claim(s) for processing." in response.content.decode()
    claim.refresh_from_db()
    work.refresh_from_db()
    assert (claim.status, claim.reviewed_by, work.status) == ("active", staff, "delisted")
    # and: the creator is told now, the claimant that it was accepted
    assert Notification.objects.filter(user=creator, kind="claim.filed").count() == 1
    assert Notification.objects.filter(user=studio_owner, kind="claim.accepted").count() == 1
    # and: the 30 days to dispute run from the acceptance, not the filing
    api_client.force_authenticate(creator)
    listed = api_client.get("/api/v1/claims/?role=creator").json()["results"]
    assert [c["id"] for c in listed] == [str(claim.pk)] and listed[0]["dispute_until"]
    dispute = api_client.post(
        f"/api/v1/claims/{claim.pk}/dispute/", {"reason": "That is my own OC."}, format="json"
    )
    assert dispute.status_code == 201, dispute.json()


def test_staff_reject_a_claim_with_a_reason_the_claimant_reads(
    slipped, staff, staff_client, client, django_capture_on_commit_callbacks
):
    # given
    comet, creator, work, studio_owner = slipped
    claim = _file(comet, work, studio_owner, policy="block")

    # when: staff choose Reject; the admin asks for the reason first
    page = staff_client.post(
        CLAIMS_ADMIN, {"action": "reject_selected", "_selected_action": [str(claim.pk)]}
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert "Reject 1 claim(s) awaiting staff review" in html and 'name="reason"' in html
    assert not AuditEvent.objects.filter(action="admin.action").exists()  # nothing done yet
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            CLAIMS_ADMIN,
            {
                "action": "reject_selected",
                "_selected_action": [str(claim.pk)],
                "apply": "yes",
                "reason": "The figure at 0:01 is a generic astronaut, not Comet Girl.",
            },
            follow=True,
        )

    # then: closed with the reason; the video was never touched
    assert "Rejected 1 claim(s)." in response.content.decode()
    claim.refresh_from_db()
    work.refresh_from_db()
    assert (claim.status, claim.reviewed_by, work.status) == ("rejected", staff, "published")
    assert claim.review_note == "The figure at 0:01 is a generic astronaut, not Comet Girl."
    assert claim.resolved_at is not None
    ran = AuditEvent.objects.filter(action="admin.action", subject_id=str(claim.pk))
    assert {e.stream for e in ran} == {"platform", f"org:{claim.organization_id}"}
    assert all(e.actor_id == staff.pk and e.data["admin_action"] == "reject_selected" for e in ran)
    note = Notification.objects.get(user=studio_owner, kind="claim.rejected")
    assert "generic astronaut" in note.body
    assert not Notification.objects.filter(user=creator, kind__startswith="claim.").exists()
    # and: the claimant's dashboard shows the outcome and why
    client.force_login(studio_owner)
    dashboard = client.get(DASHBOARD).content.decode()
    assert "Rejected by staff" in dashboard and "generic astronaut" in dashboard


def test_rejecting_without_a_reason_asks_again_and_changes_nothing(slipped, staff_client):
    # given
    comet, _, work, studio_owner = slipped
    claim = _file(comet, work, studio_owner)

    # when
    response = staff_client.post(
        CLAIMS_ADMIN,
        {
            "action": "reject_selected",
            "_selected_action": [str(claim.pk)],
            "apply": "yes",
            "reason": "",
        },
    )

    # then
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    claim.refresh_from_db()
    assert claim.status == "staff_review"


def test_the_review_actions_leave_claims_that_do_not_await_review_alone(staff_client):
    # given: an ordinary claim on a licensed character, active at once
    hoshi = CharacterFactory(name="Hoshi-chan")
    creator = UserFactory()
    work = WorkFactory(creator=creator, grants=[grant_for(hoshi, creator)])
    claim = _file(hoshi, work, editor_of(hoshi), policy="track")
    assert claim.status == "active"

    # when
    accept = staff_client.post(
        CLAIMS_ADMIN,
        {"action": "accept_for_processing", "_selected_action": [str(claim.pk)]},
        follow=True,
    ).content.decode()
    reject = staff_client.post(
        CLAIMS_ADMIN,
        {"action": "reject_selected", "_selected_action": [str(claim.pk)]},
        follow=True,
    ).content.decode()

    # then
    assert "Skipped 1 claim(s) not awaiting staff review." in accept
    assert "None of the selected claims awaits staff review." in reject
    claim.refresh_from_db()
    assert (claim.status, claim.reviewed_by) == ("active", None)


def test_staff_list_the_claims_awaiting_review(slipped, staff_client):
    # given
    comet, _, work, studio_owner = slipped
    _file(comet, work, studio_owner)

    # when
    html = staff_client.get(CLAIMS_ADMIN, {"status__exact": "staff_review"}).content.decode()

    # then
    assert "Awaiting staff review" in html and "Comet Girl" in html
    assert "Accept for processing" in html and "Reject (with a reason" in html


def test_only_staff_review_a_claim_and_only_once(slipped, staff):
    comet, _, work, studio_owner = slipped
    claim = _file(comet, work, studio_owner)

    with pytest.raises(NotPermitted):
        marketplace_services.claim_review_accept(claim=claim, by=studio_owner)
    with pytest.raises(DomainError, match="Say why"):
        marketplace_services.claim_review_reject(claim=claim, by=staff, reason="  ")
    # while staff review it, the claimant cannot release it (staff decide); once it is
    # active, they can, as any claim
    with pytest.raises(DomainError, match="Only an active, undisputed claim"):
        marketplace_services.claim_release(claim=claim, by=studio_owner)
    marketplace_services.claim_review_accept(claim=claim, by=staff)
    with pytest.raises(DomainError, match="not awaiting review"):
        marketplace_services.claim_review_reject(claim=claim, by=staff, reason="Changed my mind")
    marketplace_services.claim_release(claim=claim, by=studio_owner)
    claim.refresh_from_db()
    work.refresh_from_db()
    assert (claim.status, work.status) == ("released", "published")


def test_a_claim_cannot_be_accepted_once_its_video_is_gone(slipped, staff):
    # given: the creator deleted the video while the claim waited
    comet, creator, work, studio_owner = slipped
    claim = _file(comet, work, studio_owner)
    marketplace_services.work_delete(work=work, by=creator)

    # when / then
    with pytest.raises(DomainError, match="deleted; reject the claim instead"):
        marketplace_services.claim_review_accept(claim=claim, by=staff)
    claim.refresh_from_db()
    assert claim.status == "staff_review"
