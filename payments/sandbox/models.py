"""What the sandbox's "Stripe" holds: its objects, the saved answers of idempotent
requests, balances, and the events it sends. None of this is Cocreate's money: the
ledger (payments.models) is, and learns of these only through webhooks."""

from django.db import models


class SandboxObject(models.Model):
    """One Stripe object (account, checkout.session, payment_intent, charge, transfer,
    transfer_reversal, refund, account_link) as Stripe would answer it (``data``), and
    the sandbox's own bookkeeping about it that Stripe would not show (``private``)."""

    id = models.CharField(max_length=100, primary_key=True)
    object = models.CharField(max_length=40, db_index=True)
    data = models.JSONField()
    private = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.object} {self.id}"


class SandboxRequest(models.Model):
    """The answer to an idempotent POST, saved under its Idempotency-Key: the same key
    and parameters replay it byte for byte; other parameters are an idempotency_error."""

    key = models.CharField(max_length=300, unique=True)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=300)
    params = models.JSONField()
    status = models.PositiveSmallIntegerField()
    body = models.JSONField()
    request_id = models.CharField(max_length=40)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.method} {self.path} ({self.key})"


class SandboxBalance(models.Model):
    """Available funds of the platform (``account`` empty) or of a connected account,
    per currency: a completed Checkout adds, a transfer moves, a refund takes."""

    account = models.CharField(max_length=100, blank=True)
    currency = models.CharField(max_length=3)
    available = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["account", "currency"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "currency"], name="sandbox_balance_unique_account_currency"
            )
        ]

    def __str__(self) -> str:
        return f"{self.account or 'platform'}: {self.available} {self.currency}"


class SandboxEvent(models.Model):
    """An event the sandbox sent (or is sending) to the webhook endpoint, signed."""

    id = models.CharField(max_length=100, primary_key=True)
    type = models.CharField(max_length=100)
    payload = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    attempts = models.PositiveIntegerField(default=0)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.type} {self.id}"
