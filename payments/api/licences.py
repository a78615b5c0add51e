"""Accepting an offer over the API: the grant, and the Checkout page that pays its fee
when one is due."""

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import InputSerializer, example_request, example_response
from core.schema import ErrorSerializer
from licensing import selectors as licensing_selectors
from licensing.api import examples as ex
from licensing.api.serializers import GrantOutputSerializer
from licensing.terms import BPS_MAX, PER_GENERATION_FEE_MAX, UPFRONT_FEE_MAX
from payments import services

TAG = ["licensing"]


class AcceptSerializer(InputSerializer):
    max_fee = serializers.IntegerField(
        min_value=0,
        max_value=UPFRONT_FEE_MAX,
        help_text="Most you will pay upfront, minor units.",
    )
    max_rev_share_bps = serializers.IntegerField(min_value=0, max_value=BPS_MAX)
    # Optional so that a client written before this field existed keeps working, and 0
    # so that it is never charged a fee per video it did not agree to.
    max_generation_fee = serializers.IntegerField(
        min_value=0,
        max_value=PER_GENERATION_FEE_MAX,
        required=False,
        default=0,
        help_text="Most you will pay per generated video, minor units. "
        "Leaving it out agrees to no per-video fee: an offer that charges one is "
        "refused with 409 price_changed naming this field.",
    )


class AcceptOutputSerializer(GrantOutputSerializer):
    checkout_url = serializers.URLField(
        allow_null=True,
        help_text="Stripe Checkout page paying the upfront fee; null when nothing is due.",
    )

    class Meta(GrantOutputSerializer.Meta):
        fields = [*GrantOutputSerializer.Meta.fields, "checkout_url"]


class OfferAcceptView(APIView):
    """Accept the offer's current version. Returns the grant; when an upfront fee is due
    the grant waits in ``pending_payment`` and ``checkout_url`` is the Stripe Checkout
    page that pays it (the webhook activates the grant). ``checkout_url`` is null when
    nothing is due, or when Stripe could not be reached: then
    ``POST /api/v1/grants/{id}/checkout/`` asks again."""

    @extend_schema(
        tags=TAG,
        request=AcceptSerializer,
        # 409: the current version asks more than max_fee, max_rev_share_bps or
        # max_generation_fee (price_changed), or every licence the terms allow is taken
        # (cap_licensees).
        responses={201: AcceptOutputSerializer, 409: ErrorSerializer},
        examples=[
            example_request(
                "Accept",
                {"max_fee": 0, "max_rev_share_bps": 1500, "max_generation_fee": 50},
            ),
            example_response("Active", {**ex.GRANT, "checkout_url": None}, status=201),
            example_response(
                "Fee due",
                {
                    **ex.GRANT,
                    "status": "pending_payment",
                    "max_fee": 2500,
                    "activated_at": None,
                    "checkout_url": "https://checkout.stripe.com/c/pay/cs_test_a1b2c3",
                },
                status=201,
                summary="Pay at checkout_url; the grant activates when Stripe confirms",
            ),
            example_response(
                "Price changed",
                ex.PRICE_CHANGED,
                status=409,
                summary="The current version asks more than the body agreed to",
            ),
        ],
    )
    def post(self, request, pk):
        serializer = AcceptSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        offer = licensing_selectors.offer_visible_to(pk=pk, user=request.user)
        if offer is None:
            raise Http404("No such offer")
        acceptance = services.offer_accept_and_pay(
            offer=offer,
            by=request.user,
            gateway=services.stripe_gateway(),
            **serializer.validated_data,
        )
        grant = acceptance.grant
        # Null when nothing is due or the payment could not start: the grant stands
        # and the client asks again at grants/{id}/checkout/.
        grant.checkout_url = acceptance.checkout_url
        return Response(AcceptOutputSerializer(grant).data, status=201)
