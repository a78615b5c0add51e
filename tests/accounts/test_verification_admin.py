import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts import services
from accounts.enums import AccountsError
from accounts.models import Organization
from core.errors import DomainError, NotPermitted
from tests.builders import pending_studio
from tests.factories import OrganizationFactory
from tests.media import fetch, media_url_of, media_urls, viewer_of
from tests.pdfs import plain_pdf

pytestmark = pytest.mark.django_db


def submitted(name: str = "Submitted Studio") -> Organization:
    """A ``pending`` organization with a document uploaded (tests/builders.py)."""
    return pending_studio(name=name)[0]


def _verify_action(staff_client, *organizations):
    return staff_client.post(
        reverse("admin:accounts_organization_changelist"),
        {"action": "verify_selected", "_selected_action": [o.pk for o in organizations]},
        follow=True,
    )


def test_staff_verify_organizations_with_the_admin_action(staff_client, staff):
    # given
    pending = submitted()
    untouched = submitted(name="Untouched Studio")

    # when
    response = _verify_action(staff_client, pending)

    # then
    assert response.status_code == 200
    pending.refresh_from_db()
    untouched.refresh_from_db()
    assert pending.verification_status == "verified"
    assert pending.verified_by == staff
    assert pending.verified_at is not None
    assert untouched.verification_status == "pending"


def test_the_admin_action_refuses_an_organization_without_documents(staff_client):
    # given: pending (set by hand) but with nothing uploaded
    empty = OrganizationFactory(name="Empty Studio", verification_status="pending")
    ready = submitted()

    # when
    response = _verify_action(staff_client, empty, ready)

    # then: the one with documents is verified, the other refused with the reason
    assert response.status_code == 200
    empty.refresh_from_db()
    ready.refresh_from_db()
    assert empty.verification_status == "pending"
    assert empty.verified_by is None
    assert ready.verification_status == "verified"
    shown = [str(m) for m in response.context["messages"]]
    assert "Not verified: Empty Studio has uploaded no documents" in " ".join(shown)
    assert "Verified 1 organization(s)." in shown


@pytest.mark.parametrize("status", ["unverified", "rejected", "verified"])
def test_only_a_pending_organization_can_be_verified(status, staff):
    # given: documents uploaded, but not waiting for review
    organization = submitted()
    Organization.objects.filter(pk=organization.pk).update(verification_status=status)

    # when
    with pytest.raises(DomainError) as refused:
        services.organization_verify(organization=organization, by=staff)

    # then
    assert refused.value.code == "invalid_state"
    assert Organization.objects.get(pk=organization.pk).verification_status == status


def test_verify_without_documents_is_refused_by_the_service(staff):
    # given
    organization = OrganizationFactory(verification_status="pending")

    # when
    with pytest.raises(DomainError) as refused:
        services.organization_verify(organization=organization, by=staff)

    # then
    assert refused.value.code == AccountsError.DOCUMENTS_REQUIRED
    assert refused.value.field == "documents"
    assert Organization.objects.get(pk=organization.pk).verification_status == "pending"


def test_staff_see_the_documents_inline_on_the_organization_page(staff_client):
    # given
    organization = submitted(name="Documented Studio")
    document = organization.documents.get()

    # when
    changelist = staff_client.get(reverse("admin:accounts_organization_changelist"))
    page = staff_client.get(
        reverse("admin:accounts_organization_change", args=[organization.pk])
    ).content.decode()

    # then: the list counts them, the page lists each with a link to open it
    assert changelist.status_code == 200
    assert "column-document_count" in changelist.content.decode()
    assert "Copyright registration" in page
    assert f"/media/{document.file.name}?" in page.replace("&amp;", "&")


def test_staff_open_each_document_from_the_organization_page(staff_client, staff):
    # given: a studio with two documents
    organization = submitted(name="Documented Studio")
    owner = organization.memberships.get().user
    services.organization_document_add(
        organization=organization,
        by=owner,
        title="Trademark certificate",
        file=SimpleUploadedFile("tm.pdf", plain_pdf(), content_type="application/pdf"),
        max_bytes=settings.ORGANIZATION_DOCUMENT_MAX_BYTES,
    )

    # when: staff follow each document's link on the change page
    page = staff_client.get(
        reverse("admin:accounts_organization_change", args=[organization.pk])
    ).content.decode()
    links = media_urls(page)
    opened = {
        document.title: fetch(staff_client, media_url_of(links, document.file.name))
        for document in organization.documents.all()
    }

    # then: each link is signed for this staff member and serves the PDF
    assert set(opened) == {"Copyright registration", "Trademark certificate"}
    for response in opened.values():
        assert response.status_code == 200
        assert response.body.startswith(b"%PDF")
    assert {viewer_of(url) for url in links} == {str(staff.pk)}


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
