from django.contrib import admin, messages
from django.db.models import Sum
from django.urls import reverse
from django.utils.html import format_html

from core.admin import KeepsHistoryAdmin, ReadOnlyAdmin, money_column
from core.money import format_minor
from payments.models import (
    CheckoutSession,
    ConnectedAccount,
    FeeHold,
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    Payout,
    PayoutEvent,
    Refund,
    RevenueEvent,
    StripeEvent,
    Wallet,
)
from payments.services import payout_submit
from payments.stripe_gateway import StripeGateway


@admin.register(LedgerAccount)
class LedgerAccountAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "kind", "currency", "balance", "entries_link"]
    list_filter = ["kind", "currency"]
    search_fields = ["user__email", "organization__name"]
    list_select_related = ["user", "organization"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(total=Sum("entries__amount"))

    @admin.display(description="Balance", ordering="total")
    def balance(self, obj):
        return format_minor(obj.total or 0, obj.currency)

    @admin.display(description="Entries")
    def entries_link(self, obj):
        url = reverse("admin:payments_ledgerentry_changelist") + f"?account__id__exact={obj.pk}"
        return format_html('<a href="{}">entries</a>', url)


class EntryInline(admin.TabularInline):
    model = LedgerEntry
    extra = 0
    can_delete = False
    fields = ["account", "amount_money", "work_id"]
    readonly_fields = fields
    amount_money = money_column()

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "memo", "key"]
    list_filter = ["kind"]
    search_fields = ["key", "memo"]
    date_hierarchy = "created_at"
    inlines = [EntryInline]


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    """Any account's entries: filter by account (linked from the account list)."""

    list_display = ["created_at", "account", "amount_money", "transaction"]
    amount_money = money_column()
    list_filter = ["currency", "account__kind", "account"]
    search_fields = ["transaction__key", "transaction__memo"]
    list_select_related = ["account__user", "account__organization", "transaction"]
    date_hierarchy = "created_at"


@admin.register(RevenueEvent)
class RevenueEventAdmin(ReadOnlyAdmin):
    list_display = ["occurred_at", "kind", "source", "external_id", "amount_money", "status"]
    amount_money = money_column()
    list_filter = ["kind", "source", "status", "currency"]
    search_fields = ["external_id"]


class PayoutEventInline(admin.TabularInline):
    model = PayoutEvent
    extra = 0
    can_delete = False
    readonly_fields = ["from_status", "to_status", "note", "created_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Payout)
class PayoutAdmin(KeepsHistoryAdmin):
    list_display = [
        "created_at",
        "connected_account",
        "amount_money",
        "status",
        "failure_reason",
    ]
    amount_money = money_column()
    list_filter = ["status", "currency"]
    search_fields = ["stripe_transfer_id", "connected_account__stripe_account_id"]
    readonly_fields = [f.name for f in Payout._meta.fields]
    inlines = [PayoutEventInline]
    actions = ["retry_submission"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Retry submitting selected created payouts")
    def retry_submission(self, request, queryset):
        gateway = StripeGateway.from_settings()
        done = [
            payout_submit(payout_id=p.pk, gateway=gateway)
            for p in queryset.filter(status="created")
        ]
        self.message_user(request, f"Submitted {len(done)} payout(s).", level=messages.INFO)


@admin.register(ConnectedAccount)
class ConnectedAccountAdmin(KeepsHistoryAdmin):
    list_display = [
        "stripe_account_id",
        "user",
        "organization",
        "payouts_enabled",
        "details_submitted",
    ]
    list_filter = ["payouts_enabled", "details_submitted"]
    search_fields = ["stripe_account_id", "user__email", "organization__name"]
    readonly_fields = [
        "stripe_account_id",
        "payouts_enabled",
        "charges_enabled",
        "details_submitted",
    ]


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "type", "id", "processed_at", "result"]
    list_filter = ["type"]
    search_fields = ["id", "type"]


@admin.register(CheckoutSession)
class CheckoutSessionAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "purpose", "payer", "amount_money", "status"]
    amount_money = money_column()
    list_filter = ["purpose", "status"]
    search_fields = ["stripe_session_id", "payer__email", "payment_intent_id"]


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    """Refunds Cocreate started (a licence request that closed without the licence).
    "Failed" ones Stripe refused for good (the charge was already refunded, say): the
    ledger is reversed, so staff only need to check the payer got the money back."""

    list_display = [
        "created_at",
        "amount_money",
        "status",
        "reason",
        "payment_intent_id",
        "failure_reason",
    ]
    list_filter = ["status", "currency"]
    search_fields = ["payment_intent_id", "stripe_refund_id", "reason"]
    amount_money = money_column()


@admin.register(FeeHold)
class FeeHoldAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "request_id",
        "creator",
        "amount_money",
        "from_wallet_money",
        "from_earnings_money",
        "status",
    ]
    amount_money = money_column()
    from_wallet_money = money_column("from_wallet")
    from_earnings_money = money_column("from_earnings")
    list_filter = ["status", "currency"]
    search_fields = ["request_id", "creator__email"]


@admin.register(Wallet)
class WalletAdmin(ReadOnlyAdmin):
    list_display = ["user", "fees_from_earnings", "updated_at"]
    search_fields = ["user__email"]


@admin.register(PayoutEvent)
class PayoutEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "payout", "from_status", "to_status", "note"]
