"""A creator's wallet over the API: its balances, whether earnings may pay fees, and
topping it up through a Stripe Checkout page."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import InputSerializer, example_request, example_response
from core.schema import ErrorSerializer
from payments import selectors, services
from payments.enums import CheckoutStatus
from payments.models import CheckoutSession
from payments.services.wallet import TOP_UP_MAX, TOP_UP_MIN

TAG = ["money"]


class WalletLineSerializer(serializers.Serializer):
    currency = serializers.CharField()
    wallet = serializers.IntegerField(help_text="Credits in the wallet, minor units")
    held = serializers.IntegerField(help_text="Held for generations in progress")
    earnings = serializers.IntegerField(help_text="Available earnings")


class WalletSerializer(serializers.Serializer):
    fees_from_earnings = serializers.BooleanField(
        help_text="Whether available earnings pay the fees the wallet cannot"
    )
    balances = WalletLineSerializer(many=True)


class WalletSettingsSerializer(InputSerializer):
    fees_from_earnings = serializers.BooleanField()


def _wallet(user) -> dict:
    return {
        "fees_from_earnings": selectors.wallet_fees_from_earnings(user=user),
        "balances": [line.__dict__ for line in services.wallet_lines(user=user)],
    }


WALLET_EXAMPLE = {
    "fees_from_earnings": False,
    "balances": [{"currency": "USD", "wallet": 1950, "held": 50, "earnings": 0}],
}


class WalletView(APIView):
    """Your wallet: per currency, the credits in it, what is held for generations in
    progress, and your available earnings. A generation whose per-generation fees the
    wallet cannot cover is refused with 402 ``insufficient_funds`` (with ``shortfall``
    and ``currency``); top up with ``POST /api/v1/wallet/top-ups/``."""

    @extend_schema(
        tags=TAG,
        responses={200: WalletSerializer},
        examples=[example_response("Wallet", WALLET_EXAMPLE)],
    )
    def get(self, request):
        return Response(_wallet(request.user))

    @extend_schema(
        tags=TAG,
        request=WalletSettingsSerializer,
        responses={200: WalletSerializer},
        examples=[
            example_request("Let earnings pay", {"fees_from_earnings": True}),
            example_response("Wallet", {**WALLET_EXAMPLE, "fees_from_earnings": True}),
        ],
    )
    def patch(self, request):
        serializer = WalletSettingsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.wallet_settings_set(user=request.user, **serializer.validated_data)
        return Response(_wallet(request.user))


class TopUpSerializer(InputSerializer):
    amount = serializers.IntegerField(
        min_value=TOP_UP_MIN, max_value=TOP_UP_MAX, help_text="Minor units (cents, yen)."
    )
    currency = serializers.CharField(
        max_length=16, default="USD", help_text="ISO 4217 code; USD unless given."
    )


class TopUpOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = CheckoutSession
        fields = ["id", "status", "amount", "currency", "url", "created_at"]


class WalletTopUpView(APIView):
    """Top up your wallet: returns the Stripe Checkout page that takes the payment; the
    credits arrive when Stripe confirms it (the webhook). An amount or currency we
    cannot take is refused (400 naming the field)."""

    @extend_schema(
        tags=TAG,
        request=TopUpSerializer,
        responses={201: TopUpOutputSerializer, 400: ErrorSerializer, 503: ErrorSerializer},
        examples=[
            example_request("Add $20", {"amount": 2000, "currency": "USD"}),
            example_response(
                "Checkout",
                {
                    "id": "d3e4f5a6-b7c8-4d9e-8f0a-1b2c3d4e5f60",
                    "status": CheckoutStatus.OPEN,
                    "amount": 2000,
                    "currency": "USD",
                    "url": "https://checkout.stripe.com/c/pay/cs_test_w4ll3t",
                    "created_at": "2026-04-02T10:00:01Z",
                },
                status=201,
                summary="Pay at url; the credits arrive when Stripe confirms",
            ),
        ],
    )
    def post(self, request):
        serializer = TopUpSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        session = services.wallet_top_up_start(
            user=request.user, gateway=services.stripe_gateway(), **serializer.validated_data
        )
        return Response(TopUpOutputSerializer(session).data, status=201)
