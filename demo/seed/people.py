"""People and organizations: demo users with verified emails, three studios verified
by staff (with a document each), and a few follows."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.hashers import make_password

from accounts import selectors as accounts_selectors
from accounts import services as accounts
from accounts.enums import VerificationStatus
from demo.seed import art
from demo.seed.data import DEMO_PASSWORD, PEOPLE, STUDIOS

if TYPE_CHECKING:
    from accounts.models import Organization, User


FOLLOWS = (("viewer", "mika"), ("viewer", "jun"), ("viewer", "priya"), ("priya", "jun"))


def seed_people() -> dict[str, User]:
    """Every demo person, created once, each with a verified primary email."""
    users = {}
    password = None
    for person in PEOPLE:
        user = accounts_selectors.user_by_email(email=person.email)
        if user is None:
            # One hash for the one public demo password: hashing it per person would
            # cost a few hundred milliseconds each (the hasher is slow on purpose).
            password = password or make_password(DEMO_PASSWORD)
            user = accounts.user_create(
                email=person.email,
                display_name=person.name,
                password_hash=password,
                is_staff=person.staff,
                email_verified=True,
            )
        users[person.key] = user
    for follower, followee in FOLLOWS:
        accounts.follow_create(follower=users[follower], followee=users[followee])
    return users


def seed_studios(users: dict[str, User]) -> dict[str, Organization]:
    """The studios, each created by its owner, documented, submitted and verified."""
    studios = {}
    for studio in STUDIOS:
        owner = users[studio.owner]
        organization = accounts_selectors.organization_named(name=studio.name)
        if organization is None:
            organization = accounts.organization_create(
                by=owner,
                name=studio.name,
                description=studio.description,
                website=studio.website,
            )
        if organization.verification_status != VerificationStatus.VERIFIED:
            if not organization.documents.exists():
                accounts.organization_document_add(
                    organization=organization,
                    by=owner,
                    title="Certificate of copyright registration",
                    file=art.certificate(studio.name),
                    max_bytes=settings.ORGANIZATION_DOCUMENT_MAX_BYTES,
                )
            if organization.verification_status != VerificationStatus.PENDING:
                organization = accounts.organization_submit_for_verification(
                    organization=organization, by=owner
                )
            organization = accounts.organization_verify(
                organization=organization, by=users["staff"]
            )
        studios[studio.key] = organization
    return studios
