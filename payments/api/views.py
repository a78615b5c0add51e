"""Payments API: the Stripe webhook, and the account holder's own money."""

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from payments import selectors, services
from payments.models import LedgerEntry, Payout

TAG = ["money"]


class StripeWebhookView(APIView):
    """Signature-verified and deduplicated by event id; handled asynchronously."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(tags=TAG, request=None, responses={200: None, 400: None})
    def post(self, request):
        try:
            _event, created = services.webhook_receive(
                payload=request.body, signature=request.headers.get("Stripe-Signature", "")
            )
        except services.WebhookRejected as exc:
            return HttpResponse(f"invalid signature: {exc}", status=400, content_type="text/plain")
        return HttpResponse("ok" if created else "duplicate", content_type="text/plain")


class BalanceLineSerializer(serializers.Serializer):
    kind = serializers.CharField()
    currency = serializers.CharField()
    amount = serializers.IntegerField(help_text="Minor units")


def _owner(request):
    """The user, or with ?organization=<slug> an organization they are a member of."""
    slug = request.query_params.get("organization")
    if not slug:
        return request.user
    from django.http import Http404

    from accounts import selectors as accounts_selectors

    found = accounts_selectors.organization_for_member(slug=slug, user=request.user)
    if found is None:
        raise Http404("No such organization")
    return found[0]


OWNER_PARAM = OpenApiParameter(
    "organization", str, description="An organization's slug you belong to"
)


class BalanceView(APIView):
    @extend_schema(
        tags=TAG, parameters=[OWNER_PARAM], responses={200: BalanceLineSerializer(many=True)}
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
    serializer_class = EntrySerializer

    @extend_schema(
        tags=TAG,
        parameters=[OWNER_PARAM, OpenApiParameter("kind", str), OpenApiParameter("currency", str)],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        params = self.request.query_params
        return selectors.statement(
            owner=_owner(self.request),
            kind=params.get("kind") or None,
            currency=params.get("currency") or None,
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


class PayoutListView(ListAPIView):
    serializer_class = PayoutSerializer

    @extend_schema(tags=TAG, parameters=[OWNER_PARAM])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.payouts_for(owner=_owner(self.request))
