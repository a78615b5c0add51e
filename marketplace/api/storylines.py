"""Storylines API: the open storylines (anyone), a new one (a rightsholder, of their own
characters), and a storyline's takes ranked by their transparent score (anyone)."""

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import InputSerializer, example_request, example_response
from core.errors import DomainError, ErrorCode
from core.schema import ErrorSerializer
from licensing import selectors as licensing_selectors
from marketplace import selectors, services
from marketplace import selectors_storylines as storyline_selectors
from marketplace.api import examples as ex
from marketplace.api.serializers import WorkOutputSerializer, feed_card_output
from marketplace.enums import StorylineJoin, StorylineStatus
from marketplace.services.storylines import MAX_CAST, MAX_TAKE_SECONDS, MIN_TAKE_SECONDS

TAG = ["storylines"]


class CastInputSerializer(InputSerializer):
    character_id = serializers.UUIDField()
    offer_id = serializers.UUIDField(help_text="A published offer of that character.")


class StorylineCreateSerializer(InputSerializer):
    title = serializers.CharField(max_length=120)
    premise = serializers.CharField(max_length=2000)
    cast = CastInputSerializer(many=True, min_length=1, max_length=MAX_CAST)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    max_take_s = serializers.IntegerField(
        min_value=MIN_TAKE_SECONDS, max_value=MAX_TAKE_SECONDS, default=MAX_TAKE_SECONDS
    )
    join_policy = serializers.ChoiceField(choices=StorylineJoin.values, default=StorylineJoin.NONE)
    joiner_ids = serializers.ListField(child=serializers.UUIDField(), default=list, max_length=50)
    opening_work_id = serializers.UUIDField(required=False, allow_null=True)


class CastOutputSerializer(serializers.Serializer):
    character_id = serializers.UUIDField()
    character_name = serializers.CharField(source="character.name")
    offer_id = serializers.UUIDField()
    offer_title = serializers.CharField(source="offer.title")


class StorylineOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    title = serializers.CharField()
    premise = serializers.CharField()
    owner = serializers.CharField(source="owner_name")
    cast = CastOutputSerializer(many=True, source="cast.all")
    opening_work_id = serializers.UUIDField(source="opening_id", allow_null=True)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    max_take_s = serializers.IntegerField()
    join_policy = serializers.ChoiceField(choices=StorylineJoin.values)
    joiner_ids = serializers.SerializerMethodField()
    status = serializers.ChoiceField(choices=StorylineStatus.values)
    closed_at = serializers.DateTimeField(allow_null=True)

    def get_joiner_ids(self, obj) -> list[str]:
        return [str(c.pk) for c in obj.joiners.all()]


class TakeRankSerializer(serializers.Serializer):
    likes = serializers.IntegerField()
    remixes = serializers.IntegerField(help_text="Published remixes of the take")
    age_hours = serializers.FloatField(help_text="Hours since it was published")
    featured = serializers.BooleanField(help_text="Featured by the rightsholder: ranked first")
    score = serializers.FloatField(help_text="(likes + 3 * remixes + 1) / (age_hours + 2) ^ 1.5")


class TakeOutputSerializer(WorkOutputSerializer):
    rank = TakeRankSerializer(read_only=True)

    class Meta(WorkOutputSerializer.Meta):
        fields = [*WorkOutputSerializer.Meta.fields, "rank"]


class StorylineListCreateView(ListAPIView):
    """Open storylines, soonest ending first (``GET``, anyone), or a new one (``POST``,
    a rightsholder: the cast must be their own characters)."""

    serializer_class = StorylineOutputSerializer

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "GET" else super().get_permissions()

    def get_queryset(self):
        return storyline_selectors.storylines_open()

    @extend_schema(tags=TAG, examples=[example_response("Open storylines", ex.STORYLINE)])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=TAG,
        request=StorylineCreateSerializer,
        responses={201: StorylineOutputSerializer, 400: ErrorSerializer, 403: ErrorSerializer},
        examples=[
            example_request(
                "Open a storyline",
                {
                    "title": ex.STORYLINE["title"],
                    "premise": ex.STORYLINE["premise"],
                    "cast": [{"character_id": ex.CHARACTER_ID, "offer_id": ex.OFFER_ID}],
                    "starts_at": ex.STORYLINE["starts_at"],
                    "ends_at": ex.STORYLINE["ends_at"],
                    "max_take_s": 8,
                    "join_policy": "licensed",
                },
            ),
            example_response("Opened", ex.STORYLINE, status=201),
        ],
    )
    def post(self, request):
        serializer = StorylineCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        offers = {
            str(o.pk): o
            for o in licensing_selectors.offers_by_ids(ids=[c["offer_id"] for c in data["cast"]])
        }
        cast = []
        for member in data["cast"]:
            offer = offers.get(str(member["offer_id"]))
            if offer is None or str(offer.character_id) != str(member["character_id"]):
                raise DomainError("Each offer must be one of its character's.", field="cast")
            cast.append((offer.character, offer))
        opening = None
        if data.get("opening_work_id"):
            opening = selectors.work_visible_to(pk=data["opening_work_id"], user=request.user)
            if opening is None:
                raise DomainError("No such opening video.", field="opening_work_id")
        joiners = licensing_selectors.characters_by_ids(ids=[str(i) for i in data["joiner_ids"]])
        if len(joiners) != len(set(data["joiner_ids"])):
            raise DomainError("One of the joining characters does not exist.", field="joiner_ids")
        storyline = services.storyline_create(
            by=request.user,
            title=data["title"],
            premise=data["premise"],
            cast=cast,
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            max_take_s=data["max_take_s"],
            join_policy=data["join_policy"],
            joiners=joiners,
            opening=opening,
        )
        storyline = storyline_selectors.storyline_get(pk=storyline.pk)
        return Response(StorylineOutputSerializer(storyline).data, status=status.HTTP_201_CREATED)


class TakesPageSerializer(serializers.Serializer):
    results = TakeOutputSerializer(many=True)
    next = serializers.IntegerField(
        allow_null=True, help_text="The next page's number (``?page=``), or null on the last"
    )


class StorylineTakesView(APIView):
    """A storyline's published takes (its 200 most recent), featured first, then by
    their score (``rank``), 24 a page (``?page=``)."""

    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="v1_storylines_takes_list",
        tags=TAG,
        parameters=[OpenApiParameter("page", int, description="1 (the default) and up")],
        responses={200: TakesPageSerializer, 400: ErrorSerializer, 404: ErrorSerializer},
        examples=[example_response("A page", {"results": [ex.TAKE], "next": 2})],
    )
    def get(self, request, pk):
        page = _page_number(request.query_params.get("page"))
        found = storyline_selectors.storyline_take_cards(storyline_id=pk, page=page)
        if found is None:
            raise Http404("No such storyline")
        cards, more = found
        absolute = request.build_absolute_uri
        results = [
            {**feed_card_output(card, absolute=absolute), "rank": rank._asdict()}
            for card, rank in cards
        ]
        return Response({"results": results, "next": page + 1 if more else None})


def _page_number(raw: str | None) -> int:
    """``?page=``: a whole number from 1 to the last page the ranking can have."""
    if raw is None or raw == "":
        return 1
    last = -(-storyline_selectors.RANK_LIMIT // storyline_selectors.TAKES_PAGE)
    if not raw.isdigit() or not 1 <= int(raw) <= last:
        raise DomainError(
            f"'page' must be a whole number from 1 to {last}.",
            code=ErrorCode.INVALID_FILTER,
            field="page",
        )
    return int(raw)
