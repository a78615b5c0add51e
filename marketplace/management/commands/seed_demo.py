"""Seed a small demo marketplace. Idempotent: running it twice creates nothing new
and leaves passwords as they are documented below."""

from allauth.account.models import EmailAddress
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts import services as accounts
from accounts.enums import VerificationStatus
from accounts.models import Organization, User

DEMO_PASSWORD = "cocreate-demo"  # noqa: S105 - documented demo login, seed data only

PEOPLE = [
    ("staff@cocreate.test", "Cocreate Staff", "staff"),
    ("studio@cocreate.test", "Hoshi Studio owner", "rightsholder"),
    ("creator@cocreate.test", "Mika (creator)", "creator"),
    ("viewer@cocreate.test", "Ren (viewer)", "viewer"),
]


class Command(BaseCommand):
    help = "Create demo users and organizations (idempotent) and print their logins."

    @transaction.atomic
    def handle(self, *args, **options):
        users = {role: self._person(email, name, role) for email, name, role in PEOPLE}
        studio = Organization.objects.filter(slug="hoshi-studio").first()
        if studio is None:
            studio = accounts.organization_create(
                by=users["rightsholder"],
                name="Hoshi Studio",
                description="An animation studio in Tokyo, home of Hoshi-chan.",
                website="https://hoshi.example",
            )
        if studio.verification_status != VerificationStatus.VERIFIED:
            accounts.organization_verify(organization=studio, by=users["staff"])
        accounts.follow_create(follower=users["viewer"], followee=users["creator"])

        self.stdout.write(self.style.SUCCESS("Demo data ready. Log in with:"))
        for email, _, role in PEOPLE:
            self.stdout.write(f"  {role:<13} {email:<26} password: {DEMO_PASSWORD}")

    def _person(self, email: str, name: str, role: str) -> User:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(
                email=email,
                password=DEMO_PASSWORD,
                display_name=name,
                is_staff=role == "staff",
                is_superuser=role == "staff",
            )
        EmailAddress.objects.get_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        return user
