"""Marketplace API: generations, works, the feed, splits and per-work approvals."""

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotAuthenticated
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services as accounts_services
from core.api import example_request, example_response, query_bool, query_choice, query_uuid
from core.errors import DomainError, ErrorCode
from core.ratelimit import ActionRateThrottle
from core.replicas import replica_reads
from core.schema import ErrorSerializer, InsufficientFundsSerializer
from marketplace import selectors, services
from marketplace import selectors_storylines as storyline_selectors
from marketplace.api import examples as ex
from marketplace.api import serializers as s
from marketplace.enums import ApprovalStatus, GenerationStatus, WorkStatus

TAG = ["generation"]


class GenerationListCreateView(ListAPIView):
    """Your generation requests, newest first (``GET``), or a new one (``POST``)."""

    serializer_class = s.GenerationOutputSerializer
    throttle_scope = "generate"

    def get_throttles(self):
        # Only asking for a generation spends the "generate" budget; listing is free.
        return [ActionRateThrottle()] if self.request.method == "POST" else []

    def get_queryset(self):
        qs = selectors.requests_for_creator(user=self.request.user)
        status_ = query_choice(self.request.query_params, "status", GenerationStatus.values)
        return qs.filter(status=status_) if status_ else qs

    @extend_schema(
        tags=TAG,
        parameters=[OpenApiParameter("status", str, enum=GenerationStatus.values)],
        examples=[example_response("Your requests", ex.GENERATION_PUBLISHED)],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=TAG,
        request=s.GenerationCreateSerializer,
        # 402: the wallet cannot hold its per-generation fees. 409: a licence it needs
        # has used up its generations or works cap (cap_generations, cap_works); the
        # policy check refuses one that fills later.
        responses={
            202: s.GenerationOutputSerializer,
            402: InsufficientFundsSerializer,
            409: ErrorSerializer,
        },
        examples=[
            example_request(
                "Generate",
                {
                    "prompt": "Hoshi-chan dances in the rain",
                    "character_ids": [ex.CHARACTER_ID],
                    "duration_s": 5,
                },
            ),
            example_request(
                "Remix",
                {
                    "prompt": "Hoshi-chan dances in the snow",
                    "character_ids": [],
                    "parent_work_id": ex.WORK_ID,
                    "duration_s": 6,
                    "commercial": True,
                    "territory": "JP",
                    "rating": "all_ages",
                },
                summary="The parent's characters and obligations are inherited",
            ),
            example_response("Queued", ex.GENERATION_QUEUED, status=202),
            example_response(
                "Insufficient funds",
                {
                    "code": "insufficient_funds",
                    "detail": "This video's per-generation fees come to $0.50, and your wallet "
                    "has $0.00: top up at least $0.50 to generate it.",
                    "field": "wallet",
                    "shortfall": 50,
                    "currency": "USD",
                    "top_up_url": "https://cocreate.example/earnings/#wallet",
                },
                status=402,
                summary="Top up with POST /api/v1/wallet/top-ups/, then ask again",
            ),
            example_response(
                "Cap used up",
                {
                    "code": "cap_generations",
                    "detail": "You have used all 10 generations your licence for "
                    "Hoshi-chan allows.",
                    "field": "character_ids",
                },
                status=409,
            ),
        ],
    )
    def post(self, request):
        # The studio is behind the log-in, which asks for a confirmed email; a token
        # issued before that rule must not get round it.
        accounts_services.user_require_verified_email(user=request.user, to="generate")
        serializer = s.GenerationCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        parent = None
        if data.pop("parent_work_id", None):
            parent = selectors.work_visible_to(
                pk=serializer.validated_data["parent_work_id"], user=request.user
            )
            if parent is None:
                raise Http404("No such work")
        storyline = None
        if storyline_id := data.pop("storyline_id", None):
            storyline = storyline_selectors.storyline_get(pk=storyline_id)
            if storyline is None:
                raise Http404("No such storyline")
        generation = services.generation_request_create(
            creator=request.user,
            character_ids=data.pop("character_ids"),
            parent=parent,
            storyline=storyline,
            **data,
        )
        return Response(
            s.GenerationOutputSerializer(generation).data, status=status.HTTP_202_ACCEPTED
        )


class GenerationDetailView(APIView):
    """Status, progress, the policy's reasons and, once published, the work."""

    @extend_schema(
        tags=TAG,
        responses={200: s.GenerationOutputSerializer},
        examples=[
            example_response("Published", ex.GENERATION_PUBLISHED),
            example_response("Refused", ex.GENERATION_REFUSED),
        ],
    )
    def get(self, request, pk):
        generation = selectors.requests_for_creator(user=request.user).filter(pk=pk).first()
        if generation is None:
            raise Http404("No such generation")
        return Response(s.GenerationOutputSerializer(generation).data)


def _work(request, pk):
    work = selectors.work_visible_to(pk=pk, user=request.user)
    if work is None:
        raise Http404("No such work")
    return work


# ?mine=1 lists the reader's own works, which the pipeline has just changed.
@replica_reads(unless=lambda request: bool(request.GET.get("mine")))
class WorkListView(ListAPIView):
    """Published works, newest first; ``?mine=1`` lists your own in every state."""

    permission_classes = [AllowAny]
    serializer_class = s.WorkOutputSerializer

    def get_queryset(self):
        params = self.request.query_params
        mine = query_bool(params, "mine") or False
        if mine and not self.request.user.is_authenticated:
            raise NotAuthenticated()
        status_ = query_choice(params, "status", WorkStatus.values)
        if status_ and not mine:
            raise DomainError(
                "'status' filters your own works; add mine=1.",
                code=ErrorCode.INVALID_FILTER,
                field="status",
            )
        return selectors.works_list(
            user=self.request.user,
            mine=mine,
            creator_id=query_uuid(params, "creator"),
            character_id=query_uuid(params, "character"),
            status=status_,
        )

    @extend_schema(
        tags=TAG,
        parameters=[
            OpenApiParameter(
                "mine", bool, description="Your own works, drafts and delisted ones included"
            ),
            OpenApiParameter("status", str, enum=WorkStatus.values, description="With mine=1"),
            OpenApiParameter("creator", str, description="A creator's id (`creator_id`)"),
            OpenApiParameter("character", str, description="Works licensing this character"),
        ],
        examples=[example_response("Published works", ex.WORK)],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


@replica_reads
class WorkDetailView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        tags=TAG,
        responses={200: s.WorkDetailSerializer},
        examples=[example_response("Work with lineage and licences", ex.WORK_DETAIL)],
    )
    def get(self, request, pk):
        work = _work(request, pk)
        work.ancestors = [a.pk for a in selectors.work_ancestors(work=work)]
        work.descendants = [d.pk for d in selectors.work_descendants(work=work)]
        return Response(s.WorkDetailSerializer(work, context={"request": request}).data)

    @extend_schema(tags=TAG, responses={204: None})
    def delete(self, request, pk):
        if not request.user.is_authenticated:
            raise Http404("No such work")
        services.work_delete(work=_work(request, pk), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# The feed's and the Following feed's pages: the same representation and cursor.
_FEED_PAGE_SCHEMA = {
    "tags": TAG,
    "parameters": [
        OpenApiParameter("cursor", str, description="The `next` value of the previous page")
    ],
    "responses": {200: s.FeedSerializer},
    "examples": [
        example_response(
            "A page", {"results": [ex.WORK], "next": "MjAyNi0wNC0wM1QwOTowMDo0MXw1ZA=="}
        )
    ],
}


@replica_reads
class FeedView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(**_FEED_PAGE_SCHEMA)
    def get(self, request):
        return _feed_response(request, followed_by=None)


def _feed_response(request, *, followed_by) -> Response:
    """A page of the feed's read model (marketplace/services/feed.py): one query,
    stored cards, their media signed per request; only the works of the people
    ``followed_by`` follows when given."""
    cursor = request.query_params.get("cursor") or None
    if cursor and not selectors.feed_cursor_valid(cursor=cursor):
        raise DomainError(
            "'cursor' must be a `next` value from the feed.",
            code=ErrorCode.INVALID_FILTER,
            field="cursor",
        )
    cards, next_cursor = selectors.feed_entries_page(cursor=cursor, followed_by=followed_by)
    absolute = request.build_absolute_uri
    return Response(
        {
            "results": [s.feed_card_output(card, absolute=absolute) for card in cards],
            "next": next_cursor,
        }
    )


class FollowingFeedView(APIView):
    """The works of the people you follow, newest first: the feed's representation and
    cursor pages, from its read model. Read from the primary, so that a follow made a
    moment ago shows on the next page."""

    @extend_schema(**_FEED_PAGE_SCHEMA)
    def get(self, request):
        return _feed_response(request, followed_by=request.user)


class ApprovalListView(ListAPIView):
    """Per-work reviews on characters you manage, soonest deadline first."""

    serializer_class = s.ApprovalOutputSerializer

    def get_queryset(self):
        return selectors.work_approvals_for_licensor(
            user=self.request.user,
            status=query_choice(
                self.request.query_params, "status", ApprovalStatus.values, default="pending"
            ),
        )

    @extend_schema(
        tags=TAG,
        parameters=[
            OpenApiParameter(
                "status", str, enum=ApprovalStatus.values, description="Default: pending"
            )
        ],
        examples=[example_response("The queue", ex.APPROVAL)],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class ApprovalDecideView(APIView):
    @extend_schema(
        tags=TAG,
        request=s.ApprovalDecideSerializer,
        responses={200: s.ApprovalOutputSerializer},
        examples=[
            example_request("Approve", {"decision": "approve"}),
            example_request(
                "Deny", {"decision": "deny", "note": "Off-model: Hoshi-chan never frowns"}
            ),
            example_response(
                "Approved",
                {**ex.APPROVAL, "status": "approved", "decided_at": "2026-04-04T10:00:00Z"},
            ),
        ],
    )
    def post(self, request, pk):
        serializer = s.ApprovalDecideSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        approval = selectors.work_approval_for_licensor(pk=pk, user=request.user)
        if approval is None:
            raise Http404("No such approval")
        approval = services.work_approval_decide(
            approval=approval,
            by=request.user,
            approve=serializer.validated_data["decision"] == "approve",
            note=serializer.validated_data["note"],
        )
        return Response(s.ApprovalOutputSerializer(approval).data)


def _like_state(work, user) -> dict:
    social = selectors.works_social(works=[work], user=user)[work.pk]
    return {"work_id": work.pk, "liked": social.liked, "likes": social.likes}


def _follow_state(work, user) -> dict:
    social = selectors.works_social(works=[work], user=user)[work.pk]
    return {
        "creator_id": work.creator_id,
        "following": social.following,
        "followers": social.followers,
    }


class WorkLikeView(APIView):
    """Like a published work (``POST``) or take the like back (``DELETE``, harmless to
    repeat). Liking it again is 409 ``duplicate`` (nothing changes); 409
    ``invalid_state`` for a work that is not published, 404 for one you cannot see."""

    @extend_schema(
        tags=TAG,
        request=None,
        responses={200: s.WorkLikeOutputSerializer, 409: ErrorSerializer},
        examples=[
            example_response("Liked", {"work_id": ex.WORK_ID, "liked": True, "likes": 12}),
            example_response(
                "Not published",
                {
                    "code": "invalid_state",
                    "detail": "Only published videos can be liked.",
                    "field": None,
                },
                status=409,
            ),
            example_response(
                "Liked already",
                {"code": "duplicate", "detail": "You already like this video.", "field": None},
                status=409,
            ),
        ],
    )
    def post(self, request, pk):
        work = _work(request, pk)
        services.like_work(work=work, user=request.user)
        return Response(s.WorkLikeOutputSerializer(_like_state(work, request.user)).data)

    @extend_schema(
        tags=TAG,
        request=None,
        responses={200: s.WorkLikeOutputSerializer},
        examples=[
            example_response("Not liked", {"work_id": ex.WORK_ID, "liked": False, "likes": 11})
        ],
    )
    def delete(self, request, pk):
        work = _work(request, pk)
        services.unlike_work(work=work, user=request.user)
        return Response(s.WorkLikeOutputSerializer(_like_state(work, request.user)).data)


class WorkFollowView(APIView):
    """Follow the creator of a work you can see (``POST``), or stop (``DELETE``); both
    are harmless to repeat. 400 ``invalid`` for your own work (you cannot follow
    yourself), 404 for a work you cannot see."""

    @extend_schema(
        tags=TAG,
        request=None,
        responses={200: s.WorkFollowOutputSerializer, 400: ErrorSerializer},
        examples=[
            example_response(
                "Following",
                {"creator_id": ex.CREATOR_ID, "following": True, "followers": 40},
            ),
            example_response(
                "Your own work",
                {"code": "invalid", "detail": "You cannot follow yourself.", "field": None},
                status=400,
            ),
        ],
    )
    def post(self, request, pk):
        work = _work(request, pk)
        accounts_services.follow_create(follower=request.user, followee=work.creator)
        return Response(s.WorkFollowOutputSerializer(_follow_state(work, request.user)).data)

    @extend_schema(
        tags=TAG,
        request=None,
        responses={200: s.WorkFollowOutputSerializer},
        examples=[
            example_response(
                "Not following",
                {"creator_id": ex.CREATOR_ID, "following": False, "followers": 39},
            )
        ],
    )
    def delete(self, request, pk):
        work = _work(request, pk)
        accounts_services.follow_delete(follower=request.user, followee=work.creator)
        return Response(s.WorkFollowOutputSerializer(_follow_state(work, request.user)).data)
