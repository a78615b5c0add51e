"""Organization verification over the API (issue 18 §1): staff only, with a second
factor in every channel; refused with a clear 4xx (and nothing changed) for an
organization without documents or not waiting for review."""

import uuid

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import Organization
from licensing import services as licensing_services
from tests.builders import pending_studio
from tests.factories import PASSWORD, OrganizationFactory
from tests.mfa import totp_activate, totp_code

pytestmark = pytest.mark.django_db


def _verify(api, organization):
    pk = organization if isinstance(organization, str) else organization.pk
    return api.post(f"/api/v1/organizations/{pk}/verify/", format="json")


def _reject(api, organization, body):
    return api.post(f"/api/v1/organizations/{organization.pk}/reject/", body, format="json")


@pytest.fixture
def staff_api(staff):
    """Staff with a token issued with a code from their authenticator app."""
    secret = totp_activate(staff)
    issued = APIClient().post(
        "/api/v1/auth/token/",
        {"email": staff.email, "password": PASSWORD, "code": totp_code(secret)},
        format="json",
    )
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {issued.json()['token']}")
    return api


def _status(organization) -> str:
    return Organization.objects.get(pk=organization.pk).verification_status


def test_staff_verify_a_pending_organization_and_its_characters_leave_draft(staff_api, staff):
    # given: a pending studio with a document, and its draft character
    organization, owner = pending_studio(name="Blossom Pictures")
    sakura = licensing_services.character_create(
        by=owner, name="Sakura", owner_organization=organization
    )

    # when
    response = _verify(staff_api, organization)

    # then
    assert response.status_code == 200, response.json()
    assert response.json()["verification_status"] == "verified"
    organization.refresh_from_db()
    assert (organization.verification_status, organization.verified_by) == ("verified", staff)
    sakura.refresh_from_db()
    assert sakura.status == "active"


def test_staff_reject_with_a_reason(staff_api):
    # given
    organization, _ = pending_studio(name="Blossom Pictures")

    # when
    missing = _reject(staff_api, organization, {})
    after_missing = _status(organization)
    response = _reject(
        staff_api, organization, {"reason": "The registration names another company."}
    )

    # then
    assert (missing.status_code, missing.json()["field"], after_missing) == (
        400,
        "reason",
        "pending",
    )
    assert response.status_code == 200
    assert response.json()["verification_note"] == "The registration names another company."
    assert _status(organization) == "rejected"


def test_an_organization_without_documents_is_not_verified(staff_api):
    # given: pending (set by hand) with nothing uploaded
    organization = OrganizationFactory(verification_status="pending")

    # when
    response = _verify(staff_api, organization)

    # then
    assert (response.status_code, response.json()["code"]) == (400, "documents_required")
    assert _status(organization) == "pending"


@pytest.mark.parametrize("status", ["unverified", "verified", "rejected"])
def test_only_a_pending_organization_is_verified(staff_api, status):
    # given: documents uploaded, then moved out of pending
    organization, _ = pending_studio(name="Blossom Pictures")
    Organization.objects.filter(pk=organization.pk).update(verification_status=status)

    # when
    response = _verify(staff_api, organization)

    # then
    assert (response.status_code, response.json()["code"]) == (409, "invalid_state")
    assert _status(organization) == status


@pytest.mark.parametrize("status", ["unverified", "rejected"])
def test_an_organization_that_asked_for_nothing_is_not_rejected(staff_api, status):
    organization = OrganizationFactory(verification_status=status)

    response = _reject(staff_api, organization, {"reason": "No."})

    assert (response.status_code, response.json()["code"]) == (409, "invalid_state")
    assert _status(organization) == status


def test_non_staff_are_refused(api_client):
    # given: the organization's own owner
    organization, owner = pending_studio(name="Blossom Pictures")
    api_client.force_authenticate(owner)

    # when
    verify = _verify(api_client, organization)
    reject = _reject(api_client, organization, {"reason": "Changed my mind."})

    # then
    assert (verify.status_code, verify.json()["code"]) == (403, "permission_denied")
    assert reject.status_code == 403
    assert _status(organization) == "pending"


def test_an_unknown_organization_is_not_found(staff_api):
    assert _verify(staff_api, str(uuid.uuid4())).status_code == 404
    assert _verify(staff_api, "not-a-uuid").status_code == 404


def test_staff_without_a_second_factor_are_refused_in_every_channel(staff):
    # given: a session that skipped the code, and a token issued without one
    organization, _ = pending_studio(name="Blossom Pictures")
    totp_activate(staff)
    session = APIClient()
    session.force_login(staff)
    token = APIClient()
    token.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=staff).key}")

    # when
    by_session = _verify(session, organization)
    by_token = _verify(token, organization)

    # then
    assert (by_session.status_code, by_session.json()["code"]) == (403, "mfa_required")
    assert (by_token.status_code, by_token.json()["code"]) == (401, "mfa_required")
    assert _status(organization) == "pending"
