"""Abstract bases every app's models share, and the transactional outbox's rows."""

import uuid6
from django.db import models


class TimeStamped(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class OutboxMessage(models.Model):
    """A Celery task to send, written in the transaction that decided it must run
    (core/outbox.py). ``sent_at`` stays empty until the broker took it; the relay
    sends whatever stayed unsent."""

    id = models.UUIDField(primary_key=True, default=uuid6.uuid7, editable=False)
    task_name = models.CharField(max_length=200)
    args = models.JSONField(default=list, blank=True)
    kwargs = models.JSONField(default=dict, blank=True)
    # Tasks that follow it, each called with the same args (a Celery chain of immutable
    # signatures): the generation pipeline from a given step.
    then = models.JSONField(default=list, blank=True)
    queue = models.CharField(max_length=50, blank=True, help_text="Empty: the task's own.")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=models.Q(sent_at__isnull=True),
                name="outbox_unsent",
            )
        ]

    def __str__(self) -> str:
        return f"{self.task_name}{tuple(self.args)} ({'sent' if self.sent_at else 'unsent'})"
