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


class AuditEvent(models.Model):
    """One decision or staff action about rights or money (core/audit.py): who, when,
    what, about what, and why. Append-only (PostgreSQL refuses UPDATE and DELETE) and
    hash-chained per ``stream``: ``hash`` covers every field and ``prev_hash``, the
    previous event's ``hash`` in the same stream, so editing or removing one breaks
    the chain at that row (``manage.py audit_verify``).

    A stream is one rightsholder's scope (``org:<id>``, ``person:<id>``) or
    ``platform``; a report for a scope reads its stream through (stream, occurred_at)."""

    id = models.UUIDField(primary_key=True, default=uuid6.uuid7, editable=False)
    stream = models.CharField(max_length=64)
    seq = models.PositiveBigIntegerField()
    occurred_at = models.DateTimeField()
    actor_id = models.UUIDField(null=True, blank=True, help_text="The user, when a person acted.")
    actor_label = models.CharField(max_length=254, help_text='E-mail, or "system" / "beat".')
    action = models.CharField(max_length=80, db_index=True)
    subject_type = models.CharField(max_length=80)
    subject_id = models.CharField(max_length=64)
    data = models.JSONField(default=dict, blank=True)
    reason = models.TextField(blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["stream", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["stream", "seq"], name="audit_event_stream_seq")
        ]
        indexes = [
            models.Index(fields=["stream", "occurred_at"], name="audit_event_stream_time"),
            models.Index(fields=["occurred_at"], name="audit_event_time"),
            models.Index(fields=["subject_type", "subject_id"], name="audit_event_subject"),
        ]

    def __str__(self) -> str:
        return f"{self.stream}#{self.seq} {self.action} {self.subject_type}:{self.subject_id}"
