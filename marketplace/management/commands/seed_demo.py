"""Seed a small, believable demo marketplace. Idempotent: a second run creates nothing
new. Everything goes through the services, as a person's actions would."""

import io
import random

from allauth.account.models import EmailAddress
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand
from django.db import transaction
from PIL import Image, ImageDraw

from accounts import services as accounts
from accounts.enums import VerificationStatus
from accounts.models import Organization, User
from licensing import services as licensing
from licensing.models import Character, Grant
from licensing.terms import preset_terms

DEMO_PASSWORD = "cocreate-demo"  # noqa: S105 - documented demo login, seed data only

PEOPLE = [
    ("staff@cocreate.test", "Cocreate Staff", "staff"),
    ("studio@cocreate.test", "Hoshi Studio owner", "rightsholder"),
    ("aiko@cocreate.test", "Aiko Tanaka", "likeness owner"),
    ("creator@cocreate.test", "Mika (creator)", "creator"),
    ("viewer@cocreate.test", "Ren (viewer)", "viewer"),
]

# (name, aliases, franchise, preset, palette)
CHARACTERS = [
    (
        "Hoshi-chan",
        ["ほしちゃん", "ホシちゃん", "星ちゃん"],
        "Star Diary",
        "commercial_remix",
        ("#5b3df5", "#ffd166"),
    ),
    (
        "Kuro Neko",
        ["クロネコ", "黒猫"],
        "Star Diary",
        "non_commercial_remix",
        ("#22223b", "#f2e9e4"),
    ),
    (
        "Captain Nami",
        ["Nami", "ナミ船長"],
        "Harbour Lights",
        "commercial_use",
        ("#0077b6", "#caf0f8"),
    ),
]


def _portrait(name: str, colours: tuple[str, str]) -> SimpleUploadedFile:
    """A reference image the seed draws itself: a simple character on a backdrop."""
    rng = random.Random(name)  # noqa: S311 - deterministic art, not security
    background, accent = colours
    image = Image.new("RGB", (512, 512), background)
    draw = ImageDraw.Draw(image)
    for _ in range(24):
        x, y, r = rng.randrange(512), rng.randrange(512), rng.randrange(2, 6)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=accent)
    draw.ellipse((156, 120, 356, 320), fill=accent)  # head
    draw.rectangle((196, 320, 316, 470), fill=accent)  # body
    draw.ellipse((206, 190, 236, 220), fill=background)  # eyes
    draw.ellipse((276, 190, 306, 220), fill=background)
    draw.arc((216, 230, 296, 290), 20, 160, fill=background, width=6)  # smile
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return SimpleUploadedFile(f"{name}.png", buffer.getvalue(), content_type="image/png")


class Command(BaseCommand):
    help = "Create demo users, organizations, characters, offers and licences (idempotent)."

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

        for name, aliases, franchise, preset, colours in CHARACTERS:
            character = Character.objects.filter(owner_organization=studio, name=name).first()
            if character is None:
                character = licensing.character_create(
                    by=users["rightsholder"],
                    owner_organization=studio,
                    name=name,
                    aliases=aliases,
                    franchise=franchise,
                    description=f"{name} from {franchise}.",
                )
                licensing.character_image_add(
                    character=character, by=users["rightsholder"], file=_portrait(name, colours)
                )
                self._publish(character, users["rightsholder"], preset, "Hoshi Studio")
        self._likeness(users)
        self._grant(users["creator"], "Hoshi-chan")
        self._grant(users["creator"], "Kuro Neko")

        self.stdout.write(self.style.SUCCESS("Demo data ready. Log in with:"))
        for email, _, role in PEOPLE:
            self.stdout.write(f"  {role:<15} {email:<24} password: {DEMO_PASSWORD}")

    def _publish(self, character: Character, by: User, preset: str, credit: str) -> None:
        terms = preset_terms(preset, credit_text=credit).to_dict()
        draft = licensing.offer_create_draft(character=character, by=by, terms=terms, preset=preset)
        licensing.offer_publish(offer=draft, by=by)

    def _likeness(self, users: dict[str, User]) -> None:
        aiko = users["likeness owner"]
        if Character.objects.filter(owner_user=aiko).exists():
            return
        likeness = licensing.character_create(
            by=aiko,
            kind="likeness",
            name="Aiko Tanaka",
            aliases=["田中愛子", "あいこ"],
            description="My own likeness, for people I approve.",
            likeness_attested=True,
        )
        licensing.character_image_add(
            character=likeness, by=aiko, file=_portrait("Aiko Tanaka", ("#e76f51", "#f4a261"))
        )
        self._publish(likeness, aiko, "likeness_approved", "Aiko Tanaka")

    def _grant(self, creator: User, name: str) -> None:
        character = Character.objects.get(name=name)
        if Grant.objects.filter(licensee=creator, character=character).exists():
            return
        offer = character.offers.get(status="published")
        terms = offer.parsed_terms
        licensing.grant_accept(
            offer=offer,
            by=creator,
            max_fee=terms.upfront_fee,
            max_rev_share_bps=terms.rev_share_bps,
        )

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
