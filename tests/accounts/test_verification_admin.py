import pytest
from django.urls import reverse

from accounts import services
from accounts.models import Organization
from core.errors import NotPermitted
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


def test_staff_verify_organizations_with_the_admin_action(staff_client, staff):
    pending = OrganizationFactory(verification_status="pending")
    untouched = OrganizationFactory(verification_status="pending")

    response = staff_client.post(
        reverse("admin:accounts_organization_changelist"),
        {"action": "verify_selected", "_selected_action": [pending.pk]},
        follow=True,
    )

    assert response.status_code == 200
    pending.refresh_from_db()
    untouched.refresh_from_db()
    assert pending.verification_status == "verified"
    assert pending.verified_by == staff
    assert pending.verified_at is not None
    assert untouched.verification_status == "pending"


def test_reject_action_records_a_reason(staff_client, staff):
    organization = OrganizationFactory(verification_status="pending")

    staff_client.post(
        reverse("admin:accounts_organization_changelist"),
        {"action": "reject_selected", "_selected_action": [organization.pk]},
    )

    organization.refresh_from_db()
    assert organization.verification_status == "rejected"
    assert "documents" in organization.verification_note


def test_non_staff_cannot_verify(user):
    organization = OrganizationFactory()

    with pytest.raises(NotPermitted):
        services.organization_verify(organization=organization, by=user)
    assert Organization.objects.get(pk=organization.pk).verification_status == "unverified"


def test_admin_lists_organizations_with_filters(staff_client, staff):
    OrganizationFactory(name="Filterable Studio", verification_status="verified")

    response = staff_client.get(
        reverse("admin:accounts_organization_changelist"), {"verification_status": "verified"}
    )

    assert response.status_code == 200
    assert b"Filterable Studio" in response.content
