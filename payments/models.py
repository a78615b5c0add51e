import uuid

from django.conf import settings
from django.db import models


class GenerationCharge(models.Model):
    """The per-generation fees charged for one generation request, once. The unique
    request id is the idempotency key: a retried pipeline finds the row and charges
    nothing more. (The ledger postings arrive with the payments issue.)"""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    request_id = models.UUIDField(unique=True)
    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    lines = models.JSONField(default=list)  # [{"character_id", "amount", "currency"}]
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "id"]

    def __str__(self) -> str:
        return f"charge for {self.request_id}"
