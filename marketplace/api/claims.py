"""Claims, disputes and ending offers over the API (DESIGN flows 8 and 9): one view per
operation, with its own input and output serializers; the services decide. A claim or
dispute the caller is not a party to answers 404, as if it did not exist."""

from datetime import datetime

from django.http import Http404
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import InputSerializer, query_choice
from licensing import selectors as licensing_selectors
from marketplace import services
from marketplace.enums import ClaimPolicy, ClaimReason
from marketplace.models import Claim, Dispute
from marketplace.selectors import (
    claim_visible_to,
    claims_visible_to,
    dispute_until,
    dispute_visible_to,
    work_visible_to,
)

TAG = ["claims"]
CLAIM_ID = "0b7e5a52-51c4-4f0e-9d39-3f1f0c6a1e21"
WORK_ID = "5d0c1f7e-8a4b-4c52-b1f5-0f6d2e8e7a10"
CHARACTER_ID = "6c4e2f0a-1b3d-4e5f-8a9b-0c1d2e3f4a5b"
DISPUTE_ID = "9f1d3c2b-7a6e-4d5c-8b4a-3e2f1d0c9b8a"


# --- serializers --------------------------------------------------------------------------


class ClaimFileInputSerializer(InputSerializer):
    character_id = serializers.UUIDField()
    reason = serializers.ChoiceField(choices=ClaimReason.choices)
    evidence = serializers.CharField(max_length=4000, allow_blank=True)
    policy = serializers.ChoiceField(choices=ClaimPolicy.choices)


class DisputeOpenInputSerializer(InputSerializer):
    reason = serializers.CharField(max_length=4000, allow_blank=True)


class DisputeResolveInputSerializer(InputSerializer):
    decision = serializers.ChoiceField(choices=["release", "uphold"])
    note = serializers.CharField(max_length=300, allow_blank=True, default="")


class DisputeOutputSerializer(serializers.ModelSerializer):
    claim = serializers.UUIDField(source="claim_id")
    claim_status = serializers.CharField(source="claim.status")

    class Meta:
        model = Dispute
        fields = [
            "id",
            "claim",
            "claim_status",
            "status",
            "reason",
            "deadline",
            "created_at",
            "resolved_at",
            "resolution_note",
        ]


class ClaimOutputSerializer(serializers.ModelSerializer):
    work = serializers.UUIDField(source="work_id")
    character = serializers.UUIDField(source="character_id")
    organization = serializers.CharField(source="organization.slug")
    dispute_until = serializers.SerializerMethodField()
    dispute = serializers.SerializerMethodField()

    class Meta:
        model = Claim
        fields = [
            "id",
            "work",
            "character",
            "organization",
            "reason",
            "policy",
            "status",
            "evidence",
            "created_at",
            "resolved_at",
            "reviewed_at",
            "review_note",
            "review_reason",
            "dispute_until",
            "dispute",
        ]

    def get_dispute_until(self, claim: Claim) -> datetime | None:
        """Null while the claim waits for staff review (or if staff rejected it)."""
        until = dispute_until(claim)
        return None if until is None else serializers.DateTimeField().to_representation(until)

    @extend_schema_field(DisputeOutputSerializer(allow_null=True))
    def get_dispute(self, claim: Claim) -> dict | None:
        dispute = getattr(claim, "dispute", None)
        return DisputeOutputSerializer(dispute).data if dispute is not None else None


_CLAIM_EXAMPLE = {
    "id": CLAIM_ID,
    "work": WORK_ID,
    "character": CHARACTER_ID,
    "organization": "hoshi-studio",
    "reason": "terms_breach",
    "policy": "block",
    "status": "active",
    "evidence": "Hoshi-chan holds a beer at 0:02; the terms ban alcohol.",
    "created_at": "2025-05-01T09:30:00Z",
    "resolved_at": None,
    "reviewed_at": None,
    "review_note": "",
    "review_reason": "",
    "dispute_until": "2025-05-31T09:30:00Z",
    "dispute": None,
}
# A claim on a video that does not license the character: staff review it first.
_CLAIM_IN_REVIEW_EXAMPLE = {
    **_CLAIM_EXAMPLE,
    "reason": "unlicensed",
    "status": "staff_review",
    "evidence": "Hoshi-chan dances from 0:01 to 0:04; the video holds no licence for her.",
    "review_reason": "this video does not license Hoshi-chan",
    "dispute_until": None,
}
_DISPUTE_EXAMPLE = {
    "id": DISPUTE_ID,
    "claim": CLAIM_ID,
    "claim_status": "disputed",
    "status": "open",
    "reason": "It is a soda can, not a beer; see the label at 0:02.",
    "deadline": "2025-06-03T10:00:00Z",
    "created_at": "2025-05-04T10:00:00Z",
    "resolved_at": None,
    "resolution_note": "",
}


def _claim(request, pk) -> Claim:
    claim = claim_visible_to(pk=pk, user=request.user)
    if claim is None:
        raise Http404("No such claim")
    return claim


def _dispute(request, pk) -> Dispute:
    dispute = dispute_visible_to(pk=pk, user=request.user)
    if dispute is None:
        raise Http404("No such dispute")
    return dispute


# --- views --------------------------------------------------------------------------------


class WorkClaimCreateView(APIView):
    """A rightsholder's organization claims a video showing its character. When the
    video does not license the character, or the organization's claims were released on
    dispute 3 times in the last 90 days, the claim is created with status
    ``staff_review`` (``review_reason`` says why) and changes nothing until staff accept
    it."""

    @extend_schema(
        tags=TAG,
        request=ClaimFileInputSerializer,
        responses={201: ClaimOutputSerializer},
        examples=[
            OpenApiExample(
                "Block a video that breaks the terms",
                value={
                    "character_id": CHARACTER_ID,
                    "reason": "terms_breach",
                    "evidence": "Hoshi-chan holds a beer at 0:02; the terms ban alcohol.",
                    "policy": "block",
                },
                request_only=True,
            ),
            OpenApiExample("Filed", value=_CLAIM_EXAMPLE, response_only=True, status_codes=["201"]),
            OpenApiExample(
                "Sent to staff review (the video does not license the character)",
                value=_CLAIM_IN_REVIEW_EXAMPLE,
                response_only=True,
                status_codes=["201"],
            ),
        ],
    )
    def post(self, request, pk):
        work = work_visible_to(pk=pk, user=request.user)
        if work is None:
            raise Http404("No such work")
        serializer = ClaimFileInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        character = licensing_selectors.character_with_owner(pk=data.pop("character_id"))
        if character is None:
            raise Http404("No such character")
        claim = services.claim_file(work=work, character=character, by=request.user, **data)
        return Response(ClaimOutputSerializer(claim).data, status=status.HTTP_201_CREATED)


class ClaimListView(ListAPIView):
    """Claims filed by your organizations (any role) and claims against your works;
    ``?role=claimant`` or ``?role=creator`` keeps one side."""

    serializer_class = ClaimOutputSerializer

    @extend_schema(
        tags=TAG,
        parameters=[OpenApiParameter("role", str, enum=["claimant", "creator"])],
        examples=[
            OpenApiExample(
                "One claim",
                value=_CLAIM_EXAMPLE,
                response_only=True,
            )
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        role = query_choice(self.request.query_params, "role", ["claimant", "creator"])
        return claims_visible_to(user=self.request.user, role=role)


class ClaimDisputeView(APIView):
    """The video's creator disputes a claim within its window."""

    @extend_schema(
        tags=TAG,
        request=DisputeOpenInputSerializer,
        responses={201: DisputeOutputSerializer},
        examples=[
            OpenApiExample(
                "Dispute",
                value={"reason": "It is a soda can, not a beer; see the label at 0:02."},
                request_only=True,
            ),
            OpenApiExample(
                "Opened", value=_DISPUTE_EXAMPLE, response_only=True, status_codes=["201"]
            ),
        ],
    )
    def post(self, request, pk):
        serializer = DisputeOpenInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        dispute = services.dispute_open(
            claim=_claim(request, pk), by=request.user, **serializer.validated_data
        )
        return Response(DisputeOutputSerializer(dispute).data, status=status.HTTP_201_CREATED)


class ClaimReleaseView(APIView):
    """The claimant withdraws an active, undisputed claim (a block is lifted)."""

    @extend_schema(
        tags=TAG,
        request=None,
        responses={200: ClaimOutputSerializer},
        examples=[
            OpenApiExample(
                "Released",
                value={
                    **_CLAIM_EXAMPLE,
                    "status": "released",
                    "resolved_at": "2025-05-02T08:00:00Z",
                },
                response_only=True,
            )
        ],
    )
    def post(self, request, pk):
        claim = services.claim_release(claim=_claim(request, pk), by=request.user)
        return Response(ClaimOutputSerializer(claim).data)


class DisputeResolveView(APIView):
    """The claimant (or staff) releases or upholds a disputed claim; the escrow follows."""

    @extend_schema(
        tags=TAG,
        request=DisputeResolveInputSerializer,
        responses={200: DisputeOutputSerializer},
        examples=[
            OpenApiExample(
                "Uphold",
                value={"decision": "uphold", "note": "The label reads 'lager'."},
                request_only=True,
            ),
            OpenApiExample(
                "Upheld",
                value={
                    **_DISPUTE_EXAMPLE,
                    "claim_status": "upheld",
                    "status": "upheld",
                    "resolved_at": "2025-05-05T12:00:00Z",
                    "resolution_note": "The label reads 'lager'.",
                },
                response_only=True,
            ),
        ],
    )
    def post(self, request, pk):
        serializer = DisputeResolveInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        dispute = services.dispute_resolve(
            dispute=_dispute(request, pk),
            by=request.user,
            uphold=data["decision"] == "uphold",
            note=data["note"],
        )
        return Response(DisputeOutputSerializer(dispute).data)


class DisputeEscalateView(APIView):
    """The creator or the claimant asks staff to decide an open dispute."""

    @extend_schema(
        tags=TAG,
        request=None,
        responses={200: DisputeOutputSerializer},
        examples=[
            OpenApiExample(
                "Escalated",
                value={**_DISPUTE_EXAMPLE, "status": "escalated"},
                response_only=True,
            )
        ],
    )
    def post(self, request, pk):
        dispute = services.dispute_escalate(dispute=_dispute(request, pk), by=request.user)
        return Response(DisputeOutputSerializer(dispute).data)
