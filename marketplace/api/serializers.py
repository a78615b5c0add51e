from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api import InputSerializer, MediaURLField
from core.media import public_media_url
from licensing.terms import RATINGS
from marketplace.enums import ApprovalStatus
from marketplace.generation.base import MAX_SECONDS, MIN_SECONDS
from marketplace.models import GenerationRequest, Work, WorkLicense
from marketplace.selectors import work_declared


class GenerationCreateSerializer(InputSerializer):
    prompt = serializers.CharField(max_length=2000)
    character_ids = serializers.ListField(child=serializers.UUIDField(), default=list, max_length=4)
    parent_work_id = serializers.UUIDField(required=False, allow_null=True)
    duration_s = serializers.IntegerField(min_value=MIN_SECONDS, max_value=MAX_SECONDS, default=5)
    commercial = serializers.BooleanField(default=False)
    territory = serializers.CharField(max_length=2, required=False, allow_blank=True, default="")
    rating = serializers.ChoiceField(choices=RATINGS, default="all_ages")
    storyline_id = serializers.UUIDField(
        required=False,
        allow_null=True,
        help_text="Make it a take of this storyline (GET /api/v1/storylines/): its rules "
        "apply, and a storyline with an opening video needs it as parent_work_id.",
    )
    backend = serializers.CharField(
        max_length=40,
        required=False,
        help_text="Renderer: an installed video backend (local, openai or a plug-in) that can "
        "run here; default from settings. A duration or remix it cannot make is refused.",
    )


class GenerationOutputSerializer(serializers.ModelSerializer):
    work_id = serializers.SerializerMethodField()
    character_ids = serializers.SerializerMethodField()

    class Meta:
        model = GenerationRequest
        fields = [
            "id",
            "status",
            "progress",
            "backend",
            "prompt",
            "character_ids",
            "parent",
            "storyline",
            "duration_s",
            "reason",
            "reasons",
            "work_id",
            "created_at",
            "finished_at",
        ]

    def get_work_id(self, obj: GenerationRequest) -> str | None:
        work = getattr(obj, "work", None) if hasattr(obj, "work") else None
        return str(work.pk) if work else None

    def get_character_ids(self, obj: GenerationRequest) -> list[str]:
        return [str(c.pk) for c in obj.characters.all()]


class WorkLicenseSerializer(serializers.ModelSerializer):
    character_name = serializers.CharField(source="character.name")

    class Meta:
        model = WorkLicense
        fields = [
            "character",
            "character_name",
            "grant",
            "offer",
            "terms_hash",
            "rightsholder",
            "rev_share_bps",
            "upstream_model",
            "inherited",
        ]


class WorkOutputSerializer(serializers.ModelSerializer):
    creator = serializers.CharField(source="creator.__str__")
    creator_id = serializers.UUIDField(read_only=True, help_text="Filter the list by it.")
    licenses = WorkLicenseSerializer(many=True)
    video_url = MediaURLField(source="video")
    poster_url = MediaURLField(source="poster")

    class Meta:
        model = Work
        fields = [
            "id",
            "title",
            "prompt",
            "status",
            "creator",
            "creator_id",
            "parent",
            "depth",
            "video_url",
            "poster_url",
            "duration_s",
            "width",
            "height",
            "frame_count",
            "licenses",
            "commercial",
            "published_at",
        ]
        extra_kwargs = {
            "commercial": {
                "help_text": "Whether every licence it uses allows commercial use: only a "
                "commercial work takes tips and ad revenue."
            }
        }


def _public_media(name: str, absolute) -> str | None:
    # A work in the feed is published: its files are public (marketplace/media.py).
    return absolute(public_media_url(name)) if name else None


def feed_card_output(payload: dict, *, absolute) -> dict:
    """A feed entry's payload (marketplace/services/feed.py) as ``WorkOutputSerializer``
    writes the work, keys in its order, its video and poster signed and made absolute
    with ``absolute`` (the request's ``build_absolute_uri``): plain dicts, no model
    instance and no serializer field built per card."""
    return {
        "id": payload["id"],
        "title": payload["title"],
        "prompt": payload["prompt"],
        "status": payload["status"],
        "creator": payload["creator"],
        "creator_id": payload["creator_id"],
        "parent": payload["parent"],
        "depth": payload["depth"],
        "video_url": _public_media(payload["video"], absolute),
        "poster_url": _public_media(payload["poster"], absolute),
        "duration_s": float(payload["duration_s"]),
        "width": payload["width"],
        "height": payload["height"],
        "frame_count": payload["frame_count"],
        "licenses": [
            {
                "character": row["character"],
                "character_name": row["character_name"],
                "grant": row["grant"],
                "offer": row["offer"],
                "terms_hash": row["terms_hash"],
                "rightsholder": row["rightsholder"],
                "rev_share_bps": row["rev_share_bps"],
                "upstream_model": row["upstream_model"],
                "inherited": row["inherited"],
            }
            for row in payload["licenses"]
        ],
        "commercial": payload["commercial"],
        "published_at": payload["published_at"],
    }


class WorkDetailSerializer(WorkOutputSerializer):
    ancestors = serializers.ListField(child=serializers.UUIDField(), read_only=True)
    descendants = serializers.ListField(child=serializers.UUIDField(), read_only=True)

    class Meta(WorkOutputSerializer.Meta):
        fields = [*WorkOutputSerializer.Meta.fields, "ancestors", "descendants"]


class FeedSerializer(serializers.Serializer):
    results = WorkOutputSerializer(many=True)
    next = serializers.CharField(allow_null=True)


class DeclaredSerializer(serializers.Serializer):
    """What the creator declared (checked against the terms, not verifiable) beside
    what the work's licences allow."""

    territory = serializers.CharField(help_text="ISO 3166 code, or empty: not declared.")
    rating = serializers.CharField()
    commercial_asked = serializers.BooleanField()
    commercial = serializers.BooleanField(help_text="From the licences' terms.")
    territories_allowed = serializers.ListField(
        child=serializers.CharField(), allow_null=True, help_text="Null: no allow-list."
    )
    territories_blocked = serializers.ListField(child=serializers.CharField())
    max_rating = serializers.CharField()


class ApprovalOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=ApprovalStatus.choices)
    deadline = serializers.DateTimeField(help_text="Unreviewed by then, it is denied.")
    decided_at = serializers.DateTimeField(allow_null=True)
    character = serializers.UUIDField(source="character_id")
    character_name = serializers.CharField(source="character.name")
    work = serializers.UUIDField(source="work_id")
    work_title = serializers.CharField(source="work.title")
    note = serializers.CharField()
    declared = serializers.SerializerMethodField()

    @extend_schema_field(DeclaredSerializer)
    def get_declared(self, approval) -> dict:
        return DeclaredSerializer(work_declared(work=approval.work)).data


class ApprovalDecideSerializer(InputSerializer):
    decision = serializers.ChoiceField(choices=["approve", "deny"])
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)


class WorkLikeOutputSerializer(serializers.Serializer):
    work_id = serializers.UUIDField()
    liked = serializers.BooleanField(help_text="Whether you like the work now")
    likes = serializers.IntegerField(help_text="How many people like it")


class WorkFollowOutputSerializer(serializers.Serializer):
    creator_id = serializers.UUIDField()
    following = serializers.BooleanField(help_text="Whether you follow the work's creator now")
    followers = serializers.IntegerField(help_text="How many people follow the creator")
