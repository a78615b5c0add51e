import uuid

import uuid6
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now

from payments.enums import (
    AccountKind,
    CheckoutPurpose,
    CheckoutStatus,
    FeeHoldStatus,
    PayoutStatus,
    RefundStatus,
    RevenueKind,
    RevenueStatus,
)


class LedgerAccount(models.Model):
    """One balance: a party's available or pending money, or one of the platform's
    accounts (escrow, platform revenue, Stripe clearing), in one currency. The balance is
    never stored: it is the sum of the account's entries."""

    kind = models.CharField(max_length=20, choices=AccountKind.choices)
    currency = models.CharField(max_length=3)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger_accounts",
    )
    organization = models.ForeignKey(
        "accounts.Organization",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger_accounts",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                name="ledger_account_one_owner_at_most",
                condition=~Q(user__isnull=False, organization__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["kind", "currency", "user"],
                condition=Q(user__isnull=False),
                name="ledger_account_user_unique",
            ),
            models.UniqueConstraint(
                fields=["kind", "currency", "organization"],
                condition=Q(organization__isnull=False),
                name="ledger_account_org_unique",
            ),
            models.UniqueConstraint(
                fields=["kind", "currency"],
                condition=Q(user__isnull=True, organization__isnull=True),
                name="ledger_account_platform_unique",
            ),
        ]

    def __str__(self) -> str:
        owner = self.user or self.organization or "platform"
        return f"{owner} · {self.kind} · {self.currency}"


class LedgerTransaction(models.Model):
    """A balanced set of entries, posted once: ``key`` is its idempotency key (a
    revenue event, a payout step, a refund), so a retried task posts nothing twice."""

    # Time-ordered (UUIDv7): each new transaction's id, and its entries' references to
    # it, go at the right edge of their indexes.
    id = models.UUIDField(primary_key=True, default=uuid6.uuid7, editable=False)
    key = models.CharField(max_length=200)
    kind = models.CharField(max_length=30)
    memo = models.CharField(max_length=300, blank=True)
    meta = models.JSONField(default=dict, blank=True)
    # The database's default too: the bulk settlement's COPY leaves the column out
    # rather than have PostgreSQL parse a timestamp per row.
    created_at = models.DateTimeField(auto_now_add=True, db_index=True, db_default=Now())

    class Meta:
        ordering = ["-created_at", "id"]
        constraints = [
            # A constraint rather than unique=True: the same unique index, without the
            # varchar_pattern_ops copy Django adds for LIKE (keys are only looked up whole).
            models.UniqueConstraint(fields=["key"], name="ledger_transaction_unique_key"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.memo or self.key}"


class LedgerEntry(models.Model):
    """One signed amount on one account. Immutable: a correction is a new transaction.
    Credits to a party are positive; the platform's Stripe clearing account carries the
    matching negatives (money held at Stripe)."""

    # Both references are checked by the database once per INSERT or COPY statement, for
    # all its rows together (the ledger's statement trigger,
    # ``payments_transaction_balanced``), rather than by a foreign key's trigger per row,
    # which would run two queries for every entry: transactions and accounts cannot be
    # deleted, so existence when inserted is existence for good.
    transaction = models.ForeignKey(
        LedgerTransaction, on_delete=models.PROTECT, related_name="entries", db_constraint=False
    )
    # Indexed by the (account, created_at) index below: a second index on the account
    # alone would only slow every insert.
    account = models.ForeignKey(
        LedgerAccount,
        on_delete=models.PROTECT,
        related_name="entries",
        db_index=False,
        db_constraint=False,
    )
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    # Not indexed: the one query by work (``revenue_by_work``) selects the owners'
    # entries through the account index first, and an index here would cost every
    # posting one insert per entry, each at a random page.
    work_id = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_default=Now())

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["account", "created_at"])]
        verbose_name_plural = "ledger entries"

    def __str__(self) -> str:
        return f"{self.account}: {self.amount}"


class RevenueEvent(models.Model):
    """Money that came in, once: unique on (source, external id)."""

    # Time-ordered (UUIDv7): events are settled in id order, which is then the order
    # they were written in, page after page, and their transactions' keys
    # (``revenue:<id>``) go at the right edge of the key index.
    id = models.UUIDField(primary_key=True, default=uuid6.uuid7, editable=False)
    kind = models.CharField(max_length=20, choices=RevenueKind.choices)
    source = models.CharField(max_length=20)  # stripe | import | internal
    external_id = models.CharField(max_length=200)
    # Indexed only where set (see Meta.indexes): each event has a work or a grant, and
    # many no payer, so the indexes hold only the rows they can find. (Settling changes
    # no indexed column: see ``transaction`` below.)
    work = models.ForeignKey(
        "marketplace.Work",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    grant = models.ForeignKey(
        "licensing.Grant",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    payer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(
        max_length=10, choices=RevenueStatus.choices, default=RevenueStatus.RECEIVED
    )
    occurred_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    # The transaction keyed ``revenue:<event id>`` (unique), the only one an event is ever
    # linked to: that key keeps the link one-to-one. Not indexed, so settling (status and
    # this column) changes no indexed column and is a heap-only update that writes no
    # index entry; the table's fillfactor of 50 (set in SQL by a migration) leaves room
    # on each page for the new row version.
    transaction = models.ForeignKey(
        LedgerTransaction,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="revenue_events",
        related_query_name="revenue_event",
        db_index=False,
    )

    class Meta:
        ordering = ["-occurred_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"], name="revenue_event_unique_external"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="revenue_event_positive"),
        ]
        indexes = [
            models.Index(
                fields=["work"], condition=Q(work__isnull=False), name="revenue_event_work"
            ),
            models.Index(
                fields=["grant"], condition=Q(grant__isnull=False), name="revenue_event_grant"
            ),
            models.Index(
                fields=["payer"], condition=Q(payer__isnull=False), name="revenue_event_payer"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} {self.currency} ({self.source}:{self.external_id})"


class ConnectedAccount(models.Model):
    """A Stripe Connect account that receives payouts: a person's or an organization's."""

    stripe_account_id = models.CharField(max_length=64, unique=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="connected_account",
    )
    organization = models.OneToOneField(
        "accounts.Organization",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="connected_account",
    )
    country = models.CharField(max_length=2, blank=True)
    payouts_enabled = models.BooleanField(default=False)
    charges_enabled = models.BooleanField(default=False)
    details_submitted = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                name="connected_account_one_owner",
                condition=Q(user__isnull=False, organization__isnull=True)
                | Q(user__isnull=True, organization__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return f"{self.user or self.organization} ({self.stripe_account_id})"


class Payout(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    connected_account = models.ForeignKey(
        ConnectedAccount, on_delete=models.PROTECT, related_name="payouts"
    )
    account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="payouts")
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(
        max_length=10, choices=PayoutStatus.choices, default=PayoutStatus.CREATED
    )
    stripe_transfer_id = models.CharField(max_length=64, blank=True)
    failure_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payout_positive"),
            # one open payout per balance at a time: a second beat run cannot double pay
            models.UniqueConstraint(
                fields=["account"],
                condition=Q(status__in=["created"]),
                name="payout_one_open_per_account",
            ),
        ]

    def __str__(self) -> str:
        return f"payout {self.amount} {self.currency} ({self.status})"


class PayoutEvent(models.Model):
    payout = models.ForeignKey(Payout, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10)
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or '∅'} → {self.to_status}"


class StripeEvent(models.Model):
    """Every webhook event received, by Stripe's event id: a duplicate is dropped."""

    id = models.CharField(max_length=255, primary_key=True)
    type = models.CharField(max_length=100)
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    result = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.type} {self.id}"


class CheckoutSession(models.Model):
    """A Stripe Checkout Session we created: a licence fee or a tip."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    stripe_session_id = models.CharField(max_length=255, unique=True)
    purpose = models.CharField(max_length=20, choices=CheckoutPurpose.choices)
    payer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    grant = models.ForeignKey(
        "licensing.Grant", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    work = models.ForeignKey(
        "marketplace.Work", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(
        max_length=10, choices=CheckoutStatus.choices, default=CheckoutStatus.OPEN
    )
    url = models.URLField(max_length=1000)
    payment_intent_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "id"]

    def __str__(self) -> str:
        return f"{self.purpose} {self.amount} {self.currency} ({self.status})"


class Wallet(models.Model):
    """A creator's choices about paying per-generation fees. The wallet's money is in the
    ledger (the WALLET account per currency); this row exists once they choose."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="wallet"
    )
    # When the wallet is short, take the rest of a fee from available earnings.
    fees_from_earnings = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"wallet of {self.user}"


class FeeHold(models.Model):
    """The per-generation fees of one generation request in one currency, held from the
    creator's wallet (and earnings, if they opted in) when the request is made, captured
    once when its work publishes, released when it ends any other way. The ledger moves
    under keys ``hold:<id>``, ``capture:<id>`` (one revenue event per fee line) and
    ``release:<id>``; the status moves once, under a row lock."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    request_id = models.UUIDField()
    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="fee_holds"
    )
    currency = models.CharField(max_length=3)
    amount = models.BigIntegerField()
    from_wallet = models.BigIntegerField()
    from_earnings = models.BigIntegerField(default=0)
    # [{"character_id", "grant_id", "amount"}], in character id order.
    lines = models.JSONField(default=list)
    # How many times the policy check resized it (a prompt naming another character):
    # each resize moves money under its own key, ``hold:<id>:r<revision>``.
    revision = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(
        max_length=10, choices=FeeHoldStatus.choices, default=FeeHoldStatus.HELD
    )
    created_at = models.DateTimeField(auto_now_add=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["request_id", "currency"], name="fee_hold_one_per_request_currency"
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0)
                & Q(from_wallet__gte=0)
                & Q(from_earnings__gte=0)
                & Q(amount=models.F("from_wallet") + models.F("from_earnings")),
                name="fee_hold_parts_add_up",
            ),
        ]
        indexes = [models.Index(fields=["creator", "status"])]

    def __str__(self) -> str:
        return f"hold {self.amount} {self.currency} for {self.request_id} ({self.status})"


class Refund(models.Model):
    """Money we give back on our own initiative: a licence fee paid for a request that
    closed without the licence (declined, undecided by its deadline, withdrawn), or a
    payment that arrived for one no longer waiting for it. Written with the ledger's
    reversal in the transaction that closed the request, then submitted to Stripe (key
    ``refund-<id>``) by a task, and again by beat if that task was lost: the row is the
    promise that the refund happens, once."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    event = models.OneToOneField(RevenueEvent, on_delete=models.PROTECT, related_name="refund")
    payment_intent_id = models.CharField(max_length=255)
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    reason = models.CharField(max_length=300)
    status = models.CharField(max_length=10, choices=RefundStatus.choices, default=RefundStatus.DUE)
    stripe_refund_id = models.CharField(max_length=64, blank=True)
    failure_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="refund_positive")]

    def __str__(self) -> str:
        return f"refund {self.amount} {self.currency} ({self.status})"
