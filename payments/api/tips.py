"""Tipping a work over the API: the Stripe Checkout page that takes the tip."""

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import InputSerializer, example_request, example_response
from core.schema import ErrorSerializer
from marketplace import selectors as marketplace_selectors
from payments import services
from payments.enums import CheckoutStatus
from payments.models import CheckoutSession
from payments.services.checkout import TIP_MAX, TIP_MIN

TAG = ["money"]
WORK_ID = "5d0c1f7e-8a4b-4c52-b1f5-0f6d2e8e7a10"


class TipSerializer(InputSerializer):
    amount = serializers.IntegerField(
        min_value=TIP_MIN, max_value=TIP_MAX, help_text="Minor units (cents, yen)."
    )
    currency = serializers.CharField(
        max_length=16, default="USD", help_text="ISO 4217 code; USD unless given."
    )


class TipOutputSerializer(serializers.ModelSerializer):
    work = serializers.UUIDField(source="work_id")

    class Meta:
        model = CheckoutSession
        fields = ["id", "work", "status", "amount", "currency", "url", "created_at"]


class WorkTipView(APIView):
    """Tip a published video: returns the Stripe Checkout page that takes the tip (the
    webhook records it and splits it down the video's lineage). Refused for your own
    video (403 ``own_work``), for a video whose licences do not allow commercial use
    (409 ``non_commercial``: it earns nothing), and for an amount or currency we cannot
    take (400 naming the field)."""

    @extend_schema(
        tags=TAG,
        request=TipSerializer,
        responses={201: TipOutputSerializer, 409: ErrorSerializer, 503: ErrorSerializer},
        examples=[
            example_request("Tip $5", {"amount": 500, "currency": "USD"}),
            example_response(
                "Checkout",
                {
                    "id": "c2d3e4f5-a6b7-4c8d-9e0f-1a2b3c4d5e6f",
                    "work": WORK_ID,
                    "status": CheckoutStatus.OPEN,
                    "amount": 500,
                    "currency": "USD",
                    "url": "https://checkout.stripe.com/c/pay/cs_test_t1p2",
                    "created_at": "2026-04-02T10:00:01Z",
                },
                status=201,
                summary="Pay at url; the tip is recorded when Stripe confirms",
            ),
            example_response(
                "Non-commercial",
                {
                    "code": "non_commercial",
                    "detail": "“Kuro Neko naps” is non-commercial: the licence for Kuro Neko "
                    "does not allow commercial use, so it takes no tips.",
                    "field": None,
                },
                status=409,
            ),
        ],
    )
    def post(self, request, pk):
        serializer = TipSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        work = marketplace_selectors.published_work(pk=pk)
        if work is None:
            raise Http404("No such work")
        session = services.tip_checkout_start(
            work=work,
            by=request.user,
            gateway=services.stripe_gateway(),
            **serializer.validated_data,
        )
        return Response(TipOutputSerializer(session).data, status=201)
