"""Licensing API serializers: input serializers validate, output serializers present.
No business rules here; the services decide."""

from functools import cached_property

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api import InputSerializer, MediaURLField
from core.media import public_media_url
from licensing.enums import AliasMode, CharacterKind, LookalikeAction
from licensing.models import (
    Character,
    CharacterImage,
    ConsentChallenge,
    Grant,
    LikenessConsent,
    NameConflict,
    Offer,
)
from licensing.summary import summarize
from licensing.terms import PRESETS_BY_KEY, RATINGS

LOOKALIKE_HELP = (
    "What a prompt that describes the character without naming it gets (compared by "
    "meaning with its description): refused, sent to the rightsholder's approvals queue "
    "(review), or allowed. Licensees are never stopped; a disallowed character's "
    "lookalikes are always refused."
)


class AliasSerializer(InputSerializer):
    text = serializers.CharField(max_length=120)
    mode = serializers.ChoiceField(choices=AliasMode.choices, default=AliasMode.NORMAL)


class ImageOutputSerializer(serializers.ModelSerializer):
    image = MediaURLField()
    thumbnail = MediaURLField()

    class Meta:
        model = CharacterImage
        fields = ["id", "image", "thumbnail", "width", "height"]


def offer_summary(offer: Offer) -> str:
    character = offer.character
    return summarize(
        offer.parsed_terms, kind=character.kind, rightsholder=character.rightsholder_name
    )


class OfferOutputSerializer(serializers.ModelSerializer):
    character = serializers.UUIDField(source="character_id")
    summary = serializers.SerializerMethodField()
    odrl_url = serializers.SerializerMethodField()

    class Meta:
        model = Offer
        fields = [
            "id",
            "character",
            "series",
            "version",
            "status",
            "title",
            "preset",
            "terms",
            "terms_hash",
            "summary",
            "published_at",
            "odrl_url",
        ]

    def get_summary(self, offer: Offer) -> str:
        return offer_summary(offer)

    def get_odrl_url(self, offer: Offer) -> str | None:
        request = self.context.get("request")
        path = f"/api/v1/offers/{offer.pk}/odrl/"
        return request.build_absolute_uri(path) if request else path


class CharacterOutputSerializer(serializers.ModelSerializer):
    owner = serializers.SerializerMethodField()
    aliases = serializers.SerializerMethodField()
    images = serializers.SerializerMethodField()
    offers = serializers.SerializerMethodField()

    class Meta:
        model = Character
        fields = [
            "id",
            "kind",
            "name",
            "aliases",
            "description",
            "franchise",
            "status",
            "disallowed",
            "lookalike_action",
            "owner",
            "images",
            "offers",
            "created_at",
        ]

    @extend_schema_field(
        {
            "type": "object",
            "properties": {
                "kind": {"type": "string", "enum": ["organization", "person"]},
                "name": {"type": "string"},
                # A likeness belongs to a person, who has no slug.
                "slug": {"type": "string", "nullable": True},
            },
            "required": ["kind", "name", "slug"],
        }
    )
    def get_owner(self, character: Character) -> dict:
        if character.owner_organization_id:
            org = character.owner_organization
            return {"kind": "organization", "name": org.name, "slug": org.slug}
        return {"kind": "person", "name": str(character.owner_user), "slug": None}

    @extend_schema_field(AliasSerializer(many=True))
    def get_aliases(self, character: Character) -> list[dict]:
        return [{"text": a.text, "mode": a.mode} for a in character.aliases.all()]

    # One nested serializer for every character of a page: building a ModelSerializer's
    # fields is most of what serializing costs, so it is done once, not per character.
    @cached_property
    def _image_output(self) -> ImageOutputSerializer:
        return ImageOutputSerializer(context=self.context)

    @cached_property
    def _offer_output(self) -> OfferOutputSerializer:
        return OfferOutputSerializer(context=self.context)

    @extend_schema_field(ImageOutputSerializer(many=True))
    def get_images(self, character: Character) -> list[dict]:
        images = getattr(character, "ordered_images", None)
        if images is None:
            images = character.images.all()
        return [self._image_output.to_representation(image) for image in images]

    @extend_schema_field(OfferOutputSerializer(many=True))
    def get_offers(self, character: Character) -> list[dict]:
        offers = getattr(character, "published_offers", [])
        for offer in offers:
            offer.character = character  # already loaded: no query per offer
        return [self._offer_output.to_representation(offer) for offer in offers]


def _public_media(name: str, absolute) -> str | None:
    # A listed character is active: its images are public (licensing/media.py).
    return absolute(public_media_url(name)) if name else None


def catalog_card_output(payload: dict, *, absolute) -> dict:
    """A catalog document's payload (licensing/services/catalog.py) as
    ``CharacterOutputSerializer`` writes the character, keys in its order: images
    signed and offers' ODRL URLs made absolute with ``absolute`` (the request's
    ``build_absolute_uri``). Plain dicts in, plain dicts out: no model instance and no
    serializer field is built for a catalog page."""
    return {
        "id": payload["id"],
        "kind": payload["kind"],
        "name": payload["name"],
        "aliases": [{"text": a["text"], "mode": a["mode"]} for a in payload["aliases"]],
        "description": payload["description"],
        "franchise": payload["franchise"],
        "status": payload["status"],
        "disallowed": payload["disallowed"],
        "lookalike_action": payload["lookalike_action"],
        "owner": {
            "kind": payload["owner"]["kind"],
            "name": payload["owner"]["name"],
            "slug": payload["owner"]["slug"],
        },
        "images": [
            {
                "id": image["id"],
                "image": _public_media(image["image"], absolute),
                "thumbnail": _public_media(image["thumbnail"], absolute),
                "width": image["width"],
                "height": image["height"],
            }
            for image in payload["images"]
        ],
        "offers": [
            {
                "id": offer["id"],
                "character": offer["character"],
                "series": offer["series"],
                "version": offer["version"],
                "status": offer["status"],
                "title": offer["title"],
                "preset": offer["preset"],
                "terms": offer["terms"],
                "terms_hash": offer["terms_hash"],
                "summary": offer["summary"],
                "published_at": offer["published_at"],
                "odrl_url": absolute(offer["odrl_url"]),
            }
            for offer in payload["offers"]
        ],
        "created_at": payload["created_at"],
    }


class CharacterCreateSerializer(InputSerializer):
    kind = serializers.ChoiceField(choices=CharacterKind.choices, default=CharacterKind.CHARACTER)
    organization = serializers.SlugField(required=False, help_text="Owner organization's slug.")
    name = serializers.CharField(max_length=120)
    aliases = AliasSerializer(many=True, required=False, default=list)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    franchise = serializers.CharField(required=False, allow_blank=True, default="", max_length=120)
    disallowed = serializers.BooleanField(default=False)
    likeness_attested = serializers.BooleanField(default=False)
    lookalike_action = serializers.ChoiceField(
        choices=LookalikeAction.choices, default=LookalikeAction.REVIEW, help_text=LOOKALIKE_HELP
    )


class CharacterUpdateSerializer(InputSerializer):
    name = serializers.CharField(max_length=120, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    franchise = serializers.CharField(required=False, allow_blank=True, max_length=120)
    disallowed = serializers.BooleanField(required=False)
    lookalike_action = serializers.ChoiceField(
        choices=LookalikeAction.choices, required=False, help_text=LOOKALIKE_HELP
    )
    status = serializers.ChoiceField(choices=["active", "suspended", "archived"], required=False)
    aliases = AliasSerializer(many=True, required=False)


class OfferDraftSerializer(InputSerializer):
    title = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    preset = serializers.ChoiceField(
        choices=[("", "none"), *[(k, p.label) for k, p in PRESETS_BY_KEY.items()]],
        required=False,
        default="",
    )
    terms = serializers.DictField(
        help_text="License terms (see the schema in DESIGN.md); a preset's terms are the base."
    )


class OfferUpdateSerializer(InputSerializer):
    title = serializers.CharField(max_length=120, required=False)
    terms = serializers.DictField()


class GrantOutputSerializer(serializers.ModelSerializer):
    character_name = serializers.CharField(source="character.name")
    offer_version = serializers.IntegerField(source="offer.version")
    terms_hash = serializers.CharField(source="offer.terms_hash")
    licensee = serializers.EmailField(source="licensee.email")

    class Meta:
        model = Grant
        fields = [
            "id",
            "status",
            "character",
            "character_name",
            "offer",
            "offer_version",
            "terms_hash",
            "licensee",
            "max_fee",
            "max_rev_share_bps",
            "max_generation_fee",
            "created_at",
            "activated_at",
            "approval_deadline",
            "ended_at",
            "end_reason",
            "revoke_at",
            "revoke_reason",
        ]
        extra_kwargs = {
            "revoke_at": {
                "help_text": "Set when the rightsholder revoked this licence: it ends then "
                "(after the offer's grace period)."
            },
            "approval_deadline": {
                "help_text": "While pending_approval: undecided by then, the request is "
                "declined and any fee paid for it refunded."
            },
        }


class GrantRevokeSerializer(InputSerializer):
    reason = serializers.CharField(max_length=200)


class GrantDecideSerializer(InputSerializer):
    decision = serializers.ChoiceField(choices=["approve", "reject"])
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)


class GrantEndSerializer(InputSerializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)


class ScreenSerializer(InputSerializer):
    prompt = serializers.CharField(max_length=2000)
    character_ids = serializers.ListField(
        child=serializers.UUIDField(), default=list, max_length=10
    )
    territory = serializers.CharField(required=False, allow_blank=True, max_length=2, default="")
    commercial = serializers.BooleanField(default=False)
    rating = serializers.ChoiceField(choices=RATINGS, default="all_ages")


class ReasonSerializer(serializers.Serializer):
    code = serializers.CharField()
    term = serializers.CharField()
    message = serializers.CharField()
    character_id = serializers.CharField(allow_null=True)
    character_name = serializers.CharField(allow_null=True)
    severity = serializers.CharField()
    matched_as = serializers.CharField(
        allow_null=True,
        required=False,
        help_text="How the prompt wrote the character's name, when it was found by name.",
    )


class DecisionOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    allowed = serializers.BooleanField()
    needs_review = serializers.BooleanField()
    engine_version = serializers.CharField()
    character_ids = serializers.ListField(child=serializers.CharField())
    reasons = ReasonSerializer(many=True)
    effective = serializers.DictField()


class ConflictReportInputSerializer(InputSerializer):
    character_id = serializers.UUIDField(
        help_text="Your own proven character, whose name the reported character uses."
    )
    reason = serializers.CharField(
        max_length=2000, help_text="Why the reported character uses your character's name."
    )


class NameConflictOutputSerializer(serializers.ModelSerializer):
    character = serializers.UUIDField(source="later_id", help_text="The reported character.")
    basis = serializers.UUIDField(
        source="holder_id", help_text="The character whose name it uses (yours)."
    )

    class Meta:
        model = NameConflict
        fields = [
            "id",
            "character",
            "basis",
            "text",
            "holder_text",
            "status",
            "opened_at",
            "report_reason",
            "decided_at",
            "decision_reason",
        ]


class ConsentChallengeOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = ConsentChallenge
        fields = ["id", "phrase", "expires_at"]


class ConsentSubmitSerializer(serializers.Serializer):
    """A multipart form (a file cannot travel in JSON)."""

    challenge_id = serializers.UUIDField(
        help_text="The id of the phrase read in the video (POST .../consent/challenge/)."
    )
    video = serializers.FileField(
        help_text="MP4 or WebM, 2 to 30 seconds, at most 30 MB, with sound.",
        allow_empty_file=True,  # the service says why an empty file is refused
    )


class ConsentOutputSerializer(serializers.ModelSerializer):
    video = MediaURLField()

    class Meta:
        model = LikenessConsent
        fields = [
            "id",
            "status",
            "reason",
            "video",
            "duration_s",
            "width",
            "height",
            "created_at",
            "reviewed_at",
        ]
