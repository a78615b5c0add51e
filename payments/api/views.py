"""Payments API: the Stripe webhook, Checkout for a licence fee, and the account
holder's own money (balances, ledger entries, payouts)."""

from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors as accounts_selectors
from core.api import example_request, example_response, query_choice, query_currency
from core.schema import AutoSchema, ErrorSerializer
from licensing import selectors as licensing_selectors
from payments import selectors, services
from payments.enums import PARTY_KINDS, CheckoutStatus, PayoutStatus
from payments.models import CheckoutSession, LedgerEntry, Payout

TAG = ["money"]
ENTRY_ID = 48213
PAYOUT_ID = "8a9b0c1d-2e3f-4a5b-8c6d-7e8f9a0b1c2d"
GRANT_ID = "4d5e6f70-8192-4a3b-9c4d-5e6f708192a3"
WORK_ID = "5d0c1f7e-8a4b-4c52-b1f5-0f6d2e8e7a10"


# --- webhook ----------------------------------------------------------------------------------


class StripeEventSerializer(serializers.Serializer):
    """The part of a Stripe event this endpoint reads; Stripe sends the whole event."""

    id = serializers.CharField(help_text="Deliveries of the same id are handled once.")
    object = serializers.CharField(required=False, help_text="Always `event`.")
    type = serializers.CharField()
    data = serializers.DictField(help_text='``{"object": {...}}``, the event\'s object.')


class StripeWebhookView(APIView):
    """Stripe's deliveries. The raw body is verified against the ``Stripe-Signature``
    header (``t=<unix time>,v1=<HMAC-SHA256 of "t.body" with the endpoint secret>``),
    stored once by event id and handled on the ``money`` queue. Answers ``ok`` for a new
    event, ``duplicate`` for one already stored (nothing is done twice), 400 with the
    reason for a signature that does not verify, a timestamp more than 300 s from now
    either way, or a body that is not an event."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    # Verified byte for byte against the signature, never parsed by DRF (config/schema.py).
    reads_raw_body = True

    @extend_schema(
        tags=TAG,
        request=StripeEventSerializer,
        parameters=[
            OpenApiParameter(
                "Stripe-Signature",
                str,
                location=OpenApiParameter.HEADER,
                required=True,
                description="t=<timestamp>,v1=<signature>",
            )
        ],
        responses={
            (200, "text/plain"): OpenApiResponse(
                OpenApiTypes.STR,
                description="`ok`, or `duplicate` for a redelivery",
                examples=[OpenApiExample("Stored", value="ok")],
            ),
            (400, "text/plain"): OpenApiResponse(
                OpenApiTypes.STR,
                description="Refused: the signature, its timestamp or the body",
                examples=[
                    OpenApiExample(
                        "Bad signature",
                        value="invalid signature: no v1 signature matches the body",
                    ),
                    OpenApiExample(
                        "Timestamp out of tolerance",
                        value="invalid signature: its timestamp is 86400 s ahead of our clock "
                        "(at most 300 s either way)",
                    ),
                ],
            ),
        },
        examples=[
            example_request(
                "checkout.session.completed",
                {
                    "id": "evt_1PqRsT2eZvKYlo2C",
                    "object": "event",
                    "type": "checkout.session.completed",
                    "data": {"object": {"id": "cs_test_a1b2c3", "object": "checkout.session"}},
                },
            )
        ],
    )
    def post(self, request):
        try:
            _event, created = services.webhook_receive(
                payload=request.body, signature=request.headers.get("Stripe-Signature", "")
            )
        except services.WebhookRejected as exc:
            return HttpResponse(str(exc), status=400, content_type="text/plain")
        return HttpResponse("ok" if created else "duplicate", content_type="text/plain")


# --- checkout ---------------------------------------------------------------------------------


class CheckoutOutputSerializer(serializers.ModelSerializer):
    grant = serializers.UUIDField(source="grant_id")

    class Meta:
        model = CheckoutSession
        fields = ["id", "grant", "status", "amount", "currency", "url", "created_at"]


class GrantCheckoutView(APIView):
    """The Stripe Checkout page for a licence's upfront fee: the open one, or a new one
    after the last expired. Only the licensee, and only while the licence waits for
    payment."""

    @extend_schema(
        tags=TAG,
        request=None,
        responses={200: CheckoutOutputSerializer, 503: ErrorSerializer},
        examples=[
            example_response(
                "Open checkout",
                {
                    "id": "b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e",
                    "grant": GRANT_ID,
                    "status": CheckoutStatus.OPEN,
                    "amount": 2500,
                    "currency": "USD",
                    "url": "https://checkout.stripe.com/c/pay/cs_test_a1b2c3",
                    "created_at": "2026-04-02T10:00:01Z",
                },
            )
        ],
    )
    def post(self, request, pk):
        grant = licensing_selectors.grant_visible_to(grant_id=pk, user=request.user)
        if grant is None:
            raise Http404("No such grant")
        session = services.grant_checkout_start(
            grant=grant, by=request.user, gateway=services.stripe_gateway()
        )
        return Response(CheckoutOutputSerializer(session).data)


# --- own money ----------------------------------------------------------------------------


def _owner(request):
    """The user, or with ?organization=<slug> an organization they are a member of."""
    slug = request.query_params.get("organization")
    if not slug:
        return request.user
    found = accounts_selectors.organization_for_member(slug=slug, user=request.user)
    if found is None:
        raise Http404("No such organization")
    return found[0]


OWNER_PARAM = OpenApiParameter(
    "organization",
    str,
    description="An organization's slug you are a member of: its money instead of yours",
)
KINDS = sorted(PARTY_KINDS)


class BalanceLineSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="available or pending")
    currency = serializers.CharField()
    amount = serializers.IntegerField(help_text="Minor units")


class BalanceView(APIView):
    """One line per (account kind, currency) you hold; not paginated (a handful)."""

    @extend_schema(
        tags=TAG,
        parameters=[OWNER_PARAM],
        responses={200: BalanceLineSerializer(many=True)},
        examples=[
            example_response(
                "Available", {"kind": "available", "currency": "USD", "amount": 12650}
            ),
            example_response("Pending", {"kind": "pending", "currency": "USD", "amount": 1800}),
        ],
    )
    def get(self, request):
        balances = services.balances_for(owner=_owner(request))
        return Response(
            [
                {"kind": kind, "currency": currency, "amount": money.amount}
                for (kind, currency), money in sorted(balances.items())
            ]
        )


class EntrySerializer(serializers.ModelSerializer):
    kind = serializers.CharField(source="account.kind")
    transaction_kind = serializers.CharField(source="transaction.kind")
    memo = serializers.CharField(source="transaction.memo")

    class Meta:
        model = LedgerEntry
        fields = [
            "id",
            "created_at",
            "kind",
            "amount",
            "currency",
            "transaction_kind",
            "memo",
            "work_id",
        ]


class LedgerView(ListAPIView):
    """Your ledger entries, newest first: positive is money in."""

    serializer_class = EntrySerializer

    @extend_schema(
        tags=TAG,
        parameters=[
            OWNER_PARAM,
            OpenApiParameter("kind", str, enum=KINDS),
            OpenApiParameter("currency", str, description="ISO 4217, e.g. USD"),
        ],
        examples=[
            example_response(
                "Entries",
                {
                    "id": ENTRY_ID,
                    "created_at": "2026-04-03T12:00:00Z",
                    "kind": "pending",
                    "amount": 750,
                    "currency": "USD",
                    "transaction_kind": "revenue",
                    "memo": "tip on Hoshi-chan dances in the rain",
                    "work_id": WORK_ID,
                },
            )
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        params = self.request.query_params
        return selectors.statement(
            owner=_owner(self.request),
            kind=query_choice(params, "kind", KINDS),
            currency=query_currency(params),
        )


class PayoutSerializer(serializers.ModelSerializer):
    class Meta:
        model = Payout
        fields = [
            "id",
            "status",
            "amount",
            "currency",
            "stripe_transfer_id",
            "failure_reason",
            "created_at",
            "submitted_at",
            "paid_at",
        ]


class _PagedGetOnly(AutoSchema):
    """A list view whose POST answers a plain list (what it made), not a page."""

    def _get_paginator(self):
        return super()._get_paginator() if self.method == "GET" else None


class PayoutListView(ListAPIView):
    """Your payouts to your connected Stripe account, newest first (GET); withdraw your
    available balance now (POST)."""

    serializer_class = PayoutSerializer
    schema = _PagedGetOnly()

    @extend_schema(
        tags=TAG,
        parameters=[OWNER_PARAM, OpenApiParameter("status", str, enum=PayoutStatus.values)],
        examples=[
            example_response(
                "Payouts",
                {
                    "id": PAYOUT_ID,
                    "status": "paid",
                    "amount": 12650,
                    "currency": "USD",
                    "stripe_transfer_id": "tr_1PqRsT2eZvKYlo2C",
                    "failure_reason": "",
                    "created_at": "2026-04-05T00:00:00Z",
                    "submitted_at": "2026-04-05T00:00:02Z",
                    "paid_at": "2026-04-05T00:00:05Z",
                },
            )
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        qs = selectors.payouts_for(owner=_owner(self.request))
        status_ = query_choice(self.request.query_params, "status", PayoutStatus.values)
        return qs.filter(status=status_) if status_ else qs

    @extend_schema(
        tags=TAG,
        operation_id="v1_payouts_create",
        summary="Withdraw: pay out your available balance now",
        description=(
            "Pays out each available balance (one payout per currency) at or above the "
            "minimum payout now, instead of at the next hourly run: the money is reserved "
            "at once and the transfer to your connected Stripe account is sent in the "
            "background (status `created`, then `submitted`, then `paid` when Stripe "
            "confirms). Two requests at once make one payout. With `organization`, an "
            "owner withdraws the organization's balance. 409 names why nothing can be paid "
            "now: `no_connected_account`, `payouts_not_enabled`, `payout_in_progress` or "
            "`below_minimum`."
        ),
        parameters=[OWNER_PARAM],
        request=None,
        responses={201: PayoutSerializer(many=True), 409: ErrorSerializer},
        examples=[
            example_response(  # one payout per currency: drf-spectacular lists it
                "Withdrawn",
                {
                    "id": PAYOUT_ID,
                    "status": "created",
                    "amount": 4500,
                    "currency": "USD",
                    "stripe_transfer_id": "",
                    "failure_reason": "",
                    "created_at": "2026-04-05T10:12:00Z",
                    "submitted_at": None,
                    "paid_at": None,
                },
                status=201,
            ),
            example_response(
                "Below the minimum",
                {
                    "code": "below_minimum",
                    "detail": "Your available balance ($4.50) is below the $10.00 minimum payout.",
                    "field": None,
                },
                status=409,
            ),
            example_response(
                "No bank account",
                {
                    "code": "no_connected_account",
                    "detail": "Connect your bank account to be paid.",
                    "field": None,
                },
                status=409,
            ),
        ],
    )
    def post(self, request):
        organization = _owner(request) if request.query_params.get("organization") else None
        payouts = services.payout_withdraw(by=request.user, organization=organization)
        return Response(PayoutSerializer(payouts, many=True).data, status=201)
