"""Claims, disputes and ending offers over the API: who may do what, the error shape,
and that a claim or dispute the caller is not a party to does not exist for them."""

import uuid

import pytest

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

pytestmark = pytest.mark.django_db


@pytest.fixture
def setting():
    """A verified studio's character in a creator's published work; the studio's owner."""
    hoshi = CharacterFactory(name="Hoshi-chan")
    creator = UserFactory()
    work = WorkFactory(creator=creator, grants=[grant_for(hoshi, creator)], title="Hoshi's day")
    return hoshi, creator, work, editor_of(hoshi)


def _body(hoshi, **overrides) -> dict:
    return {
        "character_id": str(hoshi.pk),
        "reason": "terms_breach",
        "evidence": "A beer at 0:02.",
        "policy": "block",
        **overrides,
    }


def _file(hoshi, work, by, policy="track") -> Claim:
    return marketplace_services.claim_file(
        work=work,
        character=hoshi,
        by=by,
        reason="terms_breach",
        evidence="A beer at 0:02.",
        policy=policy,
    )


# --- filing -------------------------------------------------------------------------------


def test_rightsholder_files_a_claim_via_the_api(api_client, setting):
    # given
    hoshi, _, work, studio_owner = setting
    api_client.force_authenticate(studio_owner)

    # when
    response = api_client.post(f"/api/v1/works/{work.pk}/claims/", _body(hoshi), format="json")

    # then
    assert response.status_code == 201, response.json()
    body = response.json()
    claim = Claim.objects.get()
    assert body["id"] == str(claim.pk)
    assert (body["work"], body["character"]) == (str(work.pk), str(hoshi.pk))
    assert body["organization"] == hoshi.owner_organization.slug
    assert (body["reason"], body["policy"], body["status"]) == ("terms_breach", "block", "active")
    assert body["dispute"] is None and body["created_at"] and body["dispute_until"]
    work.refresh_from_db()
    assert work.status == "delisted"


def test_a_claim_on_a_character_the_organization_does_not_own_is_forbidden(api_client, setting):
    # given
    hoshi, _, work, _ = setting
    api_client.force_authenticate(
        MembershipFactory(organization__verification_status="verified").user
    )

    # when
    response = api_client.post(f"/api/v1/works/{work.pk}/claims/", _body(hoshi), format="json")

    # then
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert "can claim Hoshi-chan" in response.json()["detail"]
    assert not Claim.objects.exists()


def test_a_duplicate_claim_is_refused_with_its_code(api_client, setting):
    # given
    hoshi, _, work, studio_owner = setting
    _file(hoshi, work, studio_owner)
    api_client.force_authenticate(studio_owner)

    # when
    response = api_client.post(
        f"/api/v1/works/{work.pk}/claims/", _body(hoshi, policy="monetize"), format="json"
    )

    # then
    assert response.status_code == 400
    assert response.json() == {
        "code": "duplicate",
        "detail": "Hoshi-chan has already been claimed in this video.",
        "field": None,
    }


def test_claim_input_errors_name_the_field(api_client, setting):
    # given
    hoshi, _, work, studio_owner = setting
    api_client.force_authenticate(studio_owner)
    url = f"/api/v1/works/{work.pk}/claims/"

    # when
    bad_policy = api_client.post(url, _body(hoshi, policy="delete"), format="json")
    no_evidence = api_client.post(url, _body(hoshi, evidence="  "), format="json")

    # then
    assert (bad_policy.status_code, bad_policy.json()["field"]) == (400, "policy")
    assert no_evidence.status_code == 400
    assert (no_evidence.json()["code"], no_evidence.json()["field"]) == ("required", "evidence")
    assert not Claim.objects.exists()


def test_claiming_an_unknown_character_or_an_invisible_work_is_404(api_client, setting):
    # given: a work another claim has blocked (visible to its creator only)
    hoshi, creator, work, studio_owner = setting
    blocked = WorkFactory(creator=creator, grants=[grant_for(hoshi, creator)], title="Blocked")
    _file(hoshi, blocked, studio_owner, policy="block")
    api_client.force_authenticate(studio_owner)

    # when
    unknown_character = api_client.post(
        f"/api/v1/works/{work.pk}/claims/",
        _body(hoshi, character_id=str(uuid.uuid4())),
        format="json",
    )
    unknown_work = api_client.post(
        f"/api/v1/works/{uuid.uuid4()}/claims/", _body(hoshi), format="json"
    )
    invisible_work = api_client.post(
        f"/api/v1/works/{blocked.pk}/claims/", _body(hoshi, policy="track"), format="json"
    )

    # then
    assert unknown_character.status_code == 404 and unknown_character.json()["code"] == "not_found"
    assert unknown_work.status_code == 404
    assert invisible_work.status_code == 404
    assert Claim.objects.count() == 1


def test_claims_api_needs_authentication(api_client, setting):
    hoshi, _, work, _ = setting

    response = api_client.post(f"/api/v1/works/{work.pk}/claims/", _body(hoshi), format="json")

    assert response.status_code in (401, 403)
    assert api_client.get("/api/v1/claims/").status_code in (401, 403)


# --- listing ------------------------------------------------------------------------------


def test_claims_list_shows_each_party_its_side(api_client, setting):
    # given: a claim on the creator's work; a viewer of the studio; a stranger
    hoshi, creator, work, studio_owner = setting
    claim = _file(hoshi, work, studio_owner)
    viewer = MembershipFactory(organization=hoshi.owner_organization, role="viewer").user

    def ids(user, **params):
        api_client.force_authenticate(user)
        response = api_client.get("/api/v1/claims/", params)
        assert response.status_code == 200
        return [c["id"] for c in response.json()["results"]]

    # when / then
    assert ids(studio_owner) == [str(claim.pk)]
    assert ids(viewer) == [str(claim.pk)]
    assert ids(creator) == [str(claim.pk)]
    assert ids(UserFactory()) == []
    assert ids(creator, role="creator") == [str(claim.pk)]
    assert ids(creator, role="claimant") == []
    assert ids(studio_owner, role="claimant") == [str(claim.pk)]
    assert ids(studio_owner, role="creator") == []


def test_claims_list_query_count_does_not_grow(api_client, setting, django_assert_num_queries):
    # given: two claims, one disputed
    hoshi, creator, work, studio_owner = setting
    marketplace_services.dispute_open(
        claim=_file(hoshi, work, studio_owner), by=creator, reason="No."
    )
    second = WorkFactory(creator=creator, grants=[grant_for(hoshi, creator)], title="Two")
    _file(hoshi, second, studio_owner)
    api_client.force_authenticate(studio_owner)

    # when / then: the count and the page, whatever the number of claims
    with django_assert_num_queries(2):
        first_page = api_client.get("/api/v1/claims/").json()
    for n in range(5):
        more = WorkFactory(creator=creator, grants=[grant_for(hoshi, creator)], title=f"W{n}")
        _file(hoshi, more, studio_owner)
    with django_assert_num_queries(2):
        bigger = api_client.get("/api/v1/claims/").json()
    assert (first_page["count"], bigger["count"]) == (2, 7)
    assert sum(1 for c in first_page["results"] if c["dispute"]) == 1


# --- disputes -----------------------------------------------------------------------------


def test_creator_disputes_a_claim_via_the_api(api_client, setting):
    # given
    hoshi, creator, work, studio_owner = setting
    claim = _file(hoshi, work, studio_owner)
    api_client.force_authenticate(creator)

    # when
    response = api_client.post(
        f"/api/v1/claims/{claim.pk}/dispute/", {"reason": "A soda can."}, format="json"
    )

    # then
    assert response.status_code == 201, response.json()
    body = response.json()
    dispute = Dispute.objects.get()
    assert (body["id"], body["claim"]) == (str(dispute.pk), str(claim.pk))
    assert (body["status"], body["claim_status"], body["reason"]) == (
        "open",
        "disputed",
        "A soda can.",
    )
    listed = api_client.get("/api/v1/claims/").json()["results"][0]
    assert listed["status"] == "disputed" and listed["dispute"]["id"] == str(dispute.pk)


def test_only_the_creator_disputes_via_the_api(api_client, setting):
    # given
    hoshi, _, work, studio_owner = setting
    claim = _file(hoshi, work, studio_owner)
    url = f"/api/v1/claims/{claim.pk}/dispute/"

    # when
    api_client.force_authenticate(UserFactory())
    stranger = api_client.post(url, {"reason": "me"}, format="json")
    api_client.force_authenticate(studio_owner)
    claimant = api_client.post(url, {"reason": "me"}, format="json")

    # then: a stranger cannot see the claim; the claimant may not dispute it
    assert (stranger.status_code, stranger.json()["code"]) == (404, "not_found")
    assert (claimant.status_code, claimant.json()["code"]) == (403, "permission_denied")
    assert not Dispute.objects.exists()


def test_creator_escalates_a_dispute_and_a_stranger_cannot(api_client, setting):
    # given
    hoshi, creator, work, studio_owner = setting
    dispute = marketplace_services.dispute_open(
        claim=_file(hoshi, work, studio_owner), by=creator, reason="No."
    )
    url = f"/api/v1/disputes/{dispute.pk}/escalate/"

    # when
    api_client.force_authenticate(UserFactory())
    stranger = api_client.post(url)
    api_client.force_authenticate(creator)
    escalated = api_client.post(url)
    again = api_client.post(url)

    # then
    assert stranger.status_code == 404
    assert (escalated.status_code, escalated.json()["status"]) == (200, "escalated")
    assert (again.status_code, again.json()["code"]) == (400, "invalid_state")


# --- releasing and resolving --------------------------------------------------------------


def test_claimant_releases_an_active_claim_and_nobody_else_can(api_client, setting):
    # given: a block
    hoshi, creator, work, studio_owner = setting
    claim = _file(hoshi, work, studio_owner, policy="block")
    viewer = MembershipFactory(organization=hoshi.owner_organization, role="viewer").user
    url = f"/api/v1/claims/{claim.pk}/release/"

    def post(user):
        api_client.force_authenticate(user)
        return api_client.post(url)

    # when
    codes = [post(u).status_code for u in (UserFactory(), creator, viewer)]
    released = post(studio_owner)
    again = post(studio_owner)

    # then
    assert codes == [404, 403, 403]
    assert (released.status_code, released.json()["status"]) == (200, "released")
    assert (again.status_code, again.json()["code"]) == (400, "invalid_state")
    work.refresh_from_db()
    assert work.status == "published"


@pytest.mark.parametrize(
    ("decision", "claim_status", "work_status"),
    [("release", "released", "published"), ("uphold", "upheld", "delisted")],
)
def test_claimant_resolves_a_dispute_via_the_api(
    api_client, setting, decision, claim_status, work_status
):
    # given: a disputed block
    hoshi, creator, work, studio_owner = setting
    dispute = marketplace_services.dispute_open(
        claim=_file(hoshi, work, studio_owner, policy="block"), by=creator, reason="No."
    )
    api_client.force_authenticate(studio_owner)

    # when
    response = api_client.post(
        f"/api/v1/disputes/{dispute.pk}/resolve/",
        {"decision": decision, "note": "Checked."},
        format="json",
    )

    # then
    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["claim_status"]) == (
        claim_status,
        claim_status,
    )
    assert response.json()["resolution_note"] == "Checked."
    work.refresh_from_db()
    assert work.status == work_status


def test_only_the_claimant_or_staff_resolve_a_dispute_via_the_api(api_client, setting, staff):
    # given
    hoshi, creator, work, studio_owner = setting
    dispute = marketplace_services.dispute_open(
        claim=_file(hoshi, work, studio_owner), by=creator, reason="No"
    )
    url = f"/api/v1/disputes/{dispute.pk}/resolve/"

    def post(user, decision="release"):
        api_client.force_authenticate(user)
        return api_client.post(url, {"decision": decision}, format="json")

    # when
    stranger, by_creator = post(UserFactory()), post(creator)
    bad = post(studio_owner, decision="maybe")
    by_staff = post(staff, decision="uphold")

    # then
    assert (stranger.status_code, by_creator.status_code) == (404, 403)
    assert (bad.status_code, bad.json()["field"]) == (400, "decision")
    assert (by_staff.status_code, by_staff.json()["status"]) == (200, "upheld")
    dispute.refresh_from_db()
    assert dispute.resolved_by == staff


# --- ending an offer ----------------------------------------------------------------------


def test_licensor_ends_an_offer_via_the_api_and_new_acceptances_are_refused(api_client):
    # given
    hoshi = CharacterFactory()
    offer = publish_offer(hoshi, on_revoke="delete", grace_days=3)
    api_client.force_authenticate(UserFactory())
    forbidden = api_client.post(f"/api/v1/offers/{offer.pk}/end/")
    api_client.force_authenticate(editor_of(hoshi))

    # when
    response = api_client.post(f"/api/v1/offers/{offer.pk}/end/")

    # then
    assert (forbidden.status_code, forbidden.json()["code"]) == (403, "permission_denied")
    assert response.status_code == 200, response.json()
    assert (response.json()["id"], response.json()["status"]) == (str(offer.pk), "ended")
    api_client.force_authenticate(UserFactory())
    refused = api_client.post(
        f"/api/v1/offers/{offer.pk}/accept/",
        {"max_fee": 0, "max_rev_share_bps": 0},
        format="json",
    )
    assert refused.status_code == 400
    assert refused.json()["code"] == "offer_unavailable"
    assert refused.json()["detail"] == "This offer is no longer available."
