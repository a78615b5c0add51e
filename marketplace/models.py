import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse

from accounts.models import TimeStamped
from marketplace.enums import GenerationStatus, WorkStatus


class GenerationRequest(TimeStamped):
    """A creator's request for a video: prompt, characters and optional parent work.
    Its status moves only through ``marketplace.services.generation_transition``."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="generation_requests"
    )
    prompt = models.TextField()
    characters = models.ManyToManyField("licensing.Character", related_name="+", blank=True)
    parent = models.ForeignKey(
        "marketplace.Work", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    duration_s = models.PositiveSmallIntegerField(default=5)
    seed = models.PositiveIntegerField()
    commercial = models.BooleanField(default=False)
    territory = models.CharField(max_length=2, blank=True)
    rating = models.CharField(max_length=10, default="all_ages")
    backend = models.CharField(max_length=20, default="local")
    status = models.CharField(
        max_length=20, choices=GenerationStatus.choices, default=GenerationStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(default=0)
    reason = models.TextField(blank=True, help_text="Why it was refused or failed.")
    reasons = models.JSONField(default=list, blank=True)
    decision = models.ForeignKey(
        "licensing.PolicyDecision",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    effective_terms = models.JSONField(default=dict, blank=True)
    render_output = models.JSONField(default=dict, blank=True)
    render_attempts = models.PositiveSmallIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "id"]
        indexes = [models.Index(fields=["creator", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.prompt[:40]} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("marketplace:generation_detail", kwargs={"pk": self.pk})


class GenerationEvent(models.Model):
    request = models.ForeignKey(GenerationRequest, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or '∅'} → {self.to_status}"


def work_media_path(instance: "Work", filename: str) -> str:
    return f"works/{instance.pk}/{filename}"


class Work(TimeStamped):
    """A generated video with signed provenance. Exactly one per generation request
    (the one-to-one is what makes a retried pipeline create it once)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    request = models.OneToOneField(GenerationRequest, on_delete=models.PROTECT, related_name="work")
    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="works"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    depth = models.PositiveSmallIntegerField(default=0, help_text="0 for an original work.")
    title = models.CharField(max_length=120)
    prompt = models.TextField()
    status = models.CharField(max_length=20, choices=WorkStatus.choices)
    video = models.FileField(upload_to=work_media_path)
    poster = models.FileField(upload_to=work_media_path)
    duration_s = models.FloatField()
    width = models.PositiveSmallIntegerField()
    height = models.PositiveSmallIntegerField()
    frame_count = models.PositiveIntegerField()
    backend = models.CharField(max_length=20)
    manifest = models.JSONField(default=dict, blank=True)
    commercial = models.BooleanField(default=False)
    published_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "id"]
        indexes = [models.Index(fields=["status", "-published_at", "id"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("marketplace:work_detail", kwargs={"pk": self.pk})


class WorkLicense(models.Model):
    """A licence a work relies on: the character, the grant and the exact offer
    version (terms hash) in force when it was made. Inherited rows come from the
    parent work (a remix carries its parent's obligations)."""

    work = models.ForeignKey(Work, on_delete=models.CASCADE, related_name="licenses")
    character = models.ForeignKey("licensing.Character", on_delete=models.PROTECT, related_name="+")
    grant = models.ForeignKey(
        "licensing.Grant", on_delete=models.PROTECT, related_name="work_licenses"
    )
    offer = models.ForeignKey("licensing.Offer", on_delete=models.PROTECT, related_name="+")
    terms_hash = models.CharField(max_length=64)
    rightsholder = models.CharField(max_length=200)
    rev_share_bps = models.PositiveIntegerField()
    upstream_model = models.CharField(max_length=10)
    inherited = models.BooleanField(default=False)

    class Meta:
        ordering = ["work_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["work", "character"], name="work_license_unique")
        ]

    def __str__(self) -> str:
        return f"{self.work} · {self.character}"
