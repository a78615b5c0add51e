"""A work's revenue split over the API: the split engine's shares for each party."""

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import example_response
from marketplace import selectors as marketplace_selectors
from payments import selectors

SPLIT = [
    {
        "party": "Hoshi Studio",
        "party_kind": "organization",
        "role": "rightsholder",
        "bps": 1500.0,
        "percent": 15.0,
        "detail": "Hoshi-chan, 15% (absolute)",
    },
    {
        "party": "Cocreate",
        "party_kind": "platform",
        "role": "platform",
        "bps": 1000.0,
        "percent": 10.0,
        "detail": "platform fee",
    },
    {
        "party": "Mika Sato",
        "party_kind": "user",
        "role": "creator",
        "bps": 7500.0,
        "percent": 75.0,
        "detail": "the rest",
    },
]


class SplitLineSerializer(serializers.Serializer):
    party = serializers.CharField()
    party_kind = serializers.ChoiceField(choices=["user", "organization", "platform"])
    role = serializers.ChoiceField(
        choices=["rightsholder", "upstream_creator", "platform", "creator"]
    )
    bps = serializers.FloatField(help_text="Basis points of each unit of revenue")
    percent = serializers.FloatField()
    detail = serializers.CharField()


class WorkSplitView(APIView):
    """Who receives what share of a work's revenue, from the engine that splits it."""

    permission_classes = [AllowAny]

    @extend_schema(
        tags=["works"],
        responses={200: SplitLineSerializer(many=True)},
        examples=[example_response(f"{line['role'].capitalize()}'s line", line) for line in SPLIT],
    )
    def get(self, request, pk):
        work = marketplace_selectors.work_visible_to(pk=pk, user=request.user)
        if work is None:
            raise Http404("No such work")
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
                for line in selectors.work_split_lines(work=work)
            ]
        )
