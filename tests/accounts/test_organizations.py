import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from accounts import selectors, services
from accounts.enums import MembershipRole, VerificationStatus
from accounts.models import Membership, Organization
from core.errors import DomainError, NotPermitted
from tests.factories import MembershipFactory, UserFactory
from tests.pdfs import plain_pdf

pytestmark = pytest.mark.django_db

PDF = plain_pdf()


def _png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(buffer, "PNG")
    return buffer.getvalue()


def test_creating_an_organization_makes_the_creator_its_owner(client, user):
    client.force_login(user)

    response = client.post(
        reverse("accounts:organization_create"),
        {"name": "Hoshi Studio", "description": "Anime", "website": "hoshi.example"},
    )

    organization = Organization.objects.get(name="Hoshi Studio")
    assert response.status_code == 302
    assert response.url == organization.get_absolute_url()
    assert organization.slug == "hoshi-studio"
    assert organization.verification_status == VerificationStatus.UNVERIFIED
    assert organization.website == "https://hoshi.example"
    assert selectors.membership_role(organization=organization, user=user) == "owner"


def test_slug_stays_unique_when_names_collide(user):
    first = services.organization_create(by=user, name="Star Works")
    second = services.organization_create(by=user, name="Star Works")

    assert (first.slug, second.slug) == ("star-works", "star-works-2")


def test_blank_name_is_refused_next_to_the_field(client, user):
    client.force_login(user)

    response = client.post(reverse("accounts:organization_create"), {"name": "  "})

    assert response.status_code == 200
    assert response.context["form"].errors["name"]
    assert not Organization.objects.exists()


def test_owner_assigns_roles_and_only_owners_manage_members(owner_membership):
    organization, owner = owner_membership.organization, owner_membership.user
    manager, viewer = UserFactory(), UserFactory()

    services.membership_set(
        organization=organization, by=owner, email=manager.email, role=MembershipRole.MANAGER
    )
    services.membership_set(
        organization=organization, by=owner, email=viewer.email.upper(), role=MembershipRole.VIEWER
    )

    roles = dict(Membership.objects.filter(organization=organization).values_list("user", "role"))
    assert roles == {owner.pk: "owner", manager.pk: "manager", viewer.pk: "viewer"}
    with pytest.raises(NotPermitted):
        services.membership_set(
            organization=organization, by=manager, email=viewer.email, role="owner"
        )
    with pytest.raises(NotPermitted):
        services.membership_remove(organization=organization, by=viewer, user=manager)


def test_the_last_owner_cannot_be_demoted_or_leave(owner_membership):
    organization, owner = owner_membership.organization, owner_membership.user

    with pytest.raises(DomainError, match="at least one owner"):
        services.membership_set(
            organization=organization, by=owner, email=owner.email, role="viewer"
        )
    with pytest.raises(DomainError, match="at least one owner"):
        services.membership_remove(organization=organization, by=owner, user=owner)


def test_adding_an_unknown_email_names_the_problem(owner_membership):
    with pytest.raises(DomainError) as error:
        services.membership_set(
            organization=owner_membership.organization,
            by=owner_membership.user,
            email="nobody@example.com",
            role="viewer",
        )
    assert error.value.field == "email"


@pytest.mark.parametrize(
    "method,name,data",
    [
        ("get", "accounts:organization_detail", {}),
        ("post", "accounts:organization_member_set", {"email": "x@example.com", "role": "owner"}),
        ("post", "accounts:organization_document_add", {"title": "t"}),
        ("post", "accounts:organization_submit", {}),
    ],
)
def test_non_member_gets_404_on_every_private_page(client, owner_membership, method, name, data):
    organization = owner_membership.organization
    outsider = UserFactory()
    client.force_login(outsider)
    url = reverse(name, kwargs={"slug": organization.slug})

    response = getattr(client, method)(url, data)

    assert response.status_code == 404
    assert not Membership.objects.filter(user=outsider).exists()
    assert Organization.objects.get(pk=organization.pk).verification_status == "unverified"


def test_anonymous_visitor_is_sent_to_login(client, owner_membership):
    url = reverse(
        "accounts:organization_detail", kwargs={"slug": owner_membership.organization.slug}
    )

    response = client.get(url)

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_viewer_sees_the_page_but_gets_403_when_uploading(client, owner_membership):
    organization = owner_membership.organization
    viewer = MembershipFactory(organization=organization, role=MembershipRole.VIEWER).user
    client.force_login(viewer)

    page = client.get(organization.get_absolute_url())
    upload = client.post(
        reverse("accounts:organization_document_add", kwargs={"slug": organization.slug}),
        {"title": "Trademark", "file": SimpleUploadedFile("t.pdf", PDF)},
    )

    assert page.status_code == 200
    assert b"Upload document" not in page.content
    assert upload.status_code == 403
    assert not organization.documents.exists()


def test_document_upload_then_submission_for_verification(client, owner_membership):
    organization = owner_membership.organization
    client.force_login(owner_membership.user)
    submit_url = reverse("accounts:organization_submit", kwargs={"slug": organization.slug})

    # given: submitting without documents is refused with the reason
    response = client.post(submit_url, follow=True)
    assert b"Upload at least one document" in response.content
    organization.refresh_from_db()
    assert organization.verification_status == "unverified"

    # when: a PDF is uploaded (the type is read from the bytes, not the name)
    client.post(
        reverse("accounts:organization_document_add", kwargs={"slug": organization.slug}),
        {"title": "Trademark", "file": SimpleUploadedFile("evidence.bin", PDF)},
    )
    client.post(submit_url)

    # then
    document = organization.documents.get()
    assert document.content_type == "application/pdf"
    organization.refresh_from_db()
    assert organization.verification_status == "pending"


@pytest.mark.parametrize(
    "content,expected",
    [
        (b"just some text pretending", "unsupported_type"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", "unsupported_type"),
        (b"", "empty"),
    ],
)
def test_invalid_documents_are_refused(owner_membership, content, expected):
    with pytest.raises(DomainError) as error:
        services.organization_document_add(
            organization=owner_membership.organization,
            by=owner_membership.user,
            title="x",
            file=SimpleUploadedFile("x.pdf", content),
            max_bytes=1024 * 1024,
        )
    assert error.value.code == expected
    assert error.value.field == "file"


def test_oversized_and_overlarge_documents_are_refused(owner_membership):
    common = {"organization": owner_membership.organization, "by": owner_membership.user}

    with pytest.raises(DomainError) as too_big:
        services.organization_document_add(
            **common, title="x", file=SimpleUploadedFile("x.pdf", PDF * 100), max_bytes=len(PDF)
        )
    with pytest.raises(DomainError) as too_wide:
        services.organization_document_add(
            **common, title="x", file=SimpleUploadedFile("x.png", _png(10_001, 2)), max_bytes=10**7
        )

    assert too_big.value.code == "too_large"
    assert too_wide.value.code == "too_big_dimensions"
    assert not owner_membership.organization.documents.exists()
