"""Marketplace API: generations, works, the feed, splits and per-work approvals."""

from django.http import Http404
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from config.ratelimit import ActionRateThrottle
from licensing import selectors as licensing_selectors
from licensing import services as licensing_services
from marketplace import selectors, services
from marketplace.api import serializers as s
from marketplace.models import GenerationRequest

TAG = ["generation"]


class GenerationCreateView(APIView):
    throttle_classes = [ActionRateThrottle]
    throttle_scope = "generate"

    @extend_schema(
        tags=TAG,
        request=s.GenerationCreateSerializer,
        responses={202: s.GenerationOutputSerializer},
        examples=[
            OpenApiExample(
                "Generate",
                value={
                    "prompt": "Hoshi-chan dances in the rain",
                    "character_ids": ["…"],
                    "duration_s": 5,
                },
                request_only=True,
            )
        ],
    )
    def post(self, request):
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
        generation = services.generation_request_create(
            creator=request.user, character_ids=data.pop("character_ids"), parent=parent, **data
        )
        return Response(
            s.GenerationOutputSerializer(generation).data, status=status.HTTP_202_ACCEPTED
        )


class GenerationDetailView(APIView):
    @extend_schema(tags=TAG, responses={200: s.GenerationOutputSerializer})
    def get(self, request, pk):
        generation = (
            GenerationRequest.objects.filter(pk=pk, creator=request.user)
            .select_related("work")
            .prefetch_related("characters")
            .first()
        )
        if generation is None:
            raise Http404("No such generation")
        return Response(s.GenerationOutputSerializer(generation).data)


def _work(request, pk):
    work = selectors.work_visible_to(pk=pk, user=request.user)
    if work is None:
        raise Http404("No such work")
    return work


class WorkDetailView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(tags=TAG, responses={200: s.WorkDetailSerializer})
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


class WorkSplitView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(tags=TAG, responses={200: s.SplitLineSerializer(many=True)})
    def get(self, request, pk):
        work = _work(request, pk)
        return Response(
            [
                {
                    "party": line.party.name,
                    "party_kind": line.party.kind,
                    "role": line.role,
                    "bps": line.bps,
                    "percent": line.percent,
                    "detail": line.detail,
                }
                for line in selectors.work_split(work=work)
            ]
        )


class FeedView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        tags=TAG,
        parameters=[
            OpenApiParameter("cursor", str, description="The `next` value of the previous page")
        ],
        responses={200: s.FeedSerializer},
    )
    def get(self, request):
        works, next_cursor = selectors.feed_page(cursor=request.query_params.get("cursor"))
        return Response(
            {
                "results": s.WorkOutputSerializer(
                    works, many=True, context={"request": request}
                ).data,
                "next": next_cursor,
            }
        )


class ApprovalListView(APIView):
    @extend_schema(
        tags=TAG,
        parameters=[
            OpenApiParameter("status", str, enum=["pending", "approved", "denied", "expired"])
        ],
        responses={200: s.ApprovalOutputSerializer(many=True)},
    )
    def get(self, request):
        approvals = licensing_selectors.work_approvals_for_licensor(
            user=request.user, status=request.query_params.get("status", "pending")
        )
        return Response(s.ApprovalOutputSerializer(approvals, many=True).data)


class ApprovalDecideView(APIView):
    @extend_schema(
        tags=TAG, request=s.ApprovalDecideSerializer, responses={200: s.ApprovalOutputSerializer}
    )
    def post(self, request, pk):
        serializer = s.ApprovalDecideSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        approval = licensing_selectors.work_approval_for_licensor(pk=pk, user=request.user)
        if approval is None:
            raise Http404("No such approval")
        approval = licensing_services.work_approval_decide(
            approval=approval,
            by=request.user,
            approve=serializer.validated_data["decision"] == "approve",
            note=serializer.validated_data["note"],
        )
        return Response(s.ApprovalOutputSerializer(approval).data)
