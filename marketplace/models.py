import uuid
from datetime import datetime

from django.conf import settings
from django.db import models
from django.urls import reverse

from accounts.models import Organization
from core.models import TimeStamped
from licensing.models import Character
from marketplace.enums import (
    ApprovalStatus,
    ClaimPolicy,
    ClaimReason,
    ClaimStatus,
    CommentStatus,
    DisputeStatus,
    GenerationStatus,
    StorylineJoin,
    StorylineStatus,
    WorkStatus,
)


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
    # Until when a worker holds it; after that the sweeper dispatches it again
    # (marketplace/services/leases.py), counting the times in ``dispatches``.
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    dispatches = models.PositiveSmallIntegerField(default=0)
    # A take of this storyline (marketplace/services/storylines.py checks it).
    storyline = models.ForeignKey(
        "marketplace.Storyline",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="requests",
    )

    class Meta:
        ordering = ["-created_at", "id"]
        indexes = [
            models.Index(fields=["creator", "-created_at"]),
            models.Index(
                fields=["lease_expires_at"],
                condition=models.Q(status__in=["queued", "checking", "rendering", "signing"]),
                name="generation_leased",
            ),
        ]

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
    commercial = models.BooleanField(
        default=False,
        help_text="Whether every licence it uses allows commercial use (tips, ad revenue); "
        "derived from the terms when the work is made.",
    )
    published_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # A take of this storyline: its request's, copied when the work is made.
    storyline = models.ForeignKey(
        "marketplace.Storyline",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="takes",
    )
    # Counters kept by the services in the transaction that writes what they count
    # (marketplace/services/counters.py), so ranking and social reads never count rows.
    like_count = models.PositiveIntegerField(default=0)
    remix_count = models.PositiveIntegerField(default=0, help_text="Published children.")
    comment_count = models.PositiveIntegerField(default=0, help_text="Visible comments.")

    class Meta:
        ordering = ["-created_at", "id"]
        indexes = [
            models.Index(fields=["status", "-published_at", "id"]),
            # A storyline's most recent published takes, the window its ranking scores.
            models.Index(
                fields=["storyline", "-published_at", "-id"],
                condition=models.Q(status="published"),
                name="work_storyline_published",
            ),
        ]

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


class WorkApproval(TimeStamped):
    """A rightsholder's per-work review. Pending until decided; a request left pending
    past its deadline is denied by a beat task (default deny)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    work = models.ForeignKey(Work, on_delete=models.CASCADE, related_name="approvals")
    character = models.ForeignKey(Character, on_delete=models.PROTECT, related_name="approvals")
    status = models.CharField(
        max_length=10, choices=ApprovalStatus.choices, default=ApprovalStatus.PENDING
    )
    deadline = models.DateTimeField(db_index=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["deadline", "id"]
        constraints = [
            models.UniqueConstraint(fields=["work", "character"], name="work_approval_unique")
        ]

    def __str__(self) -> str:
        return f"{self.character} on {self.work_id} ({self.status})"


class Claim(TimeStamped):
    """A rightsholder's Content-ID-style claim against a published work. One per
    (work, character); every claim is kept, released or not."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    work = models.ForeignKey(Work, on_delete=models.PROTECT, related_name="claims")
    character = models.ForeignKey(Character, on_delete=models.PROTECT, related_name="claims")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="claims")
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(max_length=20, choices=ClaimReason.choices)
    evidence = models.TextField()
    policy = models.CharField(max_length=10, choices=ClaimPolicy.choices)
    status = models.CharField(
        max_length=12, choices=ClaimStatus.choices, default=ClaimStatus.ACTIVE
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    # Set when staff accept or reject a claim that waited for their review.
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.CharField(max_length=300, blank=True)
    # Why it waits for staff review: the video does not license the character, or the
    # claimant's claims keep being released on dispute.
    review_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["work", "character"], name="claim_one_per_work_and_character"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization} claims {self.character} ({self.policy}, {self.status})"

    @property
    def effective_from(self) -> datetime | None:
        """When the claim took effect (filed, or accepted by staff after review); None
        while it waits for review, or if staff rejected it."""
        if self.status in (ClaimStatus.STAFF_REVIEW, ClaimStatus.REJECTED):
            return None
        return self.reviewed_at or self.created_at


class Dispute(TimeStamped):
    """The creator's answer to a claim. While it is open, the claim's share of the work's
    revenue is held in escrow; the claimant releases or upholds it, staff settle
    escalations, and a dispute still undecided at its deadline (the claimant's, then
    staff's once escalated) is released."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    claim = models.OneToOneField(Claim, on_delete=models.PROTECT, related_name="dispute")
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField()
    status = models.CharField(
        max_length=10, choices=DisputeStatus.choices, default=DisputeStatus.OPEN
    )
    deadline = models.DateTimeField(db_index=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["deadline", "id"]

    def __str__(self) -> str:
        return f"dispute of {self.claim_id} ({self.status})"


class Like(models.Model):
    """A viewer likes a work, once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    work = models.ForeignKey(Work, on_delete=models.CASCADE, related_name="likes")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["work", "user"], name="like_once")]
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.user_id} likes {self.work_id}"


class Storyline(TimeStamped):
    """A rightsholder's canonical beat that creators remix into takes: a title, a
    premise, the owner's characters each licensed under a named offer (``cast``), an
    optional opening video, dates and rules. Owned like a character: by an
    organization or by the person whose likeness it uses."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner_organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="storylines"
    )
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="storylines",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(max_length=120)
    premise = models.TextField()
    opening = models.ForeignKey(
        Work,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The canonical video every take remixes (optional).",
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    max_take_s = models.PositiveSmallIntegerField(default=15)
    join_policy = models.CharField(
        max_length=10, choices=StorylineJoin.choices, default=StorylineJoin.NONE
    )
    joiners = models.ManyToManyField(
        "licensing.Character",
        related_name="+",
        blank=True,
        help_text="The other characters a take may bring in, when the policy is 'listed'.",
    )
    featured = models.ManyToManyField(Work, related_name="+", blank=True)
    status = models.CharField(
        max_length=10, choices=StorylineStatus.choices, default=StorylineStatus.OPEN
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                name="storyline_one_owner",
                condition=(
                    models.Q(owner_organization__isnull=False, owner_user__isnull=True)
                    | models.Q(owner_organization__isnull=True, owner_user__isnull=False)
                ),
            ),
            models.CheckConstraint(
                name="storyline_ends_after_start",
                condition=models.Q(ends_at__gt=models.F("starts_at")),
            ),
        ]
        indexes = [models.Index(fields=["status", "-starts_at"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("marketplace:storyline_detail", kwargs={"pk": self.pk})

    @property
    def owner_name(self) -> str:
        if self.owner_organization is not None:
            return self.owner_organization.name
        return str(self.owner_user)


class StorylineCharacter(models.Model):
    """One of the storyline's own characters and the offer a take must hold it under
    (the offer's series: any version of it)."""

    storyline = models.ForeignKey(Storyline, on_delete=models.CASCADE, related_name="cast")
    character = models.ForeignKey("licensing.Character", on_delete=models.PROTECT, related_name="+")
    offer = models.ForeignKey("licensing.Offer", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["storyline_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["storyline", "character"], name="storyline_character_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.character_id} in {self.storyline_id}"


class FeedEntry(models.Model):
    """The feed's read model: one row per published work with what a feed card shows
    (the API's representation, with its video and poster as stored names, signed per
    request when served). Written by the marketplace services in the transaction that
    publishes, delists, relists or deletes the work (marketplace/services/feed.py), when
    a character it licenses is renamed, and by ``manage.py read_models_rebuild``. Likes
    stay out of it: the card's counts are not part of the feed's representation."""

    work = models.OneToOneField(
        Work, on_delete=models.CASCADE, primary_key=True, related_name="feed_entry"
    )
    # The work's (null only for rows made outside the pipeline, which sorts them first
    # as the works' own index does).
    published_at = models.DateTimeField(null=True)
    # The work's creator, copied so that the Following tab reads each creator's entries
    # newest first from an index (``selectors._feed_entry_rows``). No constraint
    # and no cascade of its own: the entry goes with its work, whose creator is checked.
    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    payload = models.JSONField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-published_at", "-work_id"]
        indexes = [
            models.Index(fields=["-published_at", "-work"], name="marketplace_feed_order"),
            models.Index(
                fields=["creator", "-published_at", "-work"], name="marketplace_feed_creator"
            ),
        ]

    def __str__(self) -> str:
        return f"feed entry of {self.work_id}"


class Comment(TimeStamped):
    """A reader's comment on a work. Screened like a prompt when written: one carrying a
    blocked category (slurs, hate) or a spam pattern is stored held, with the reason,
    not refused. Readers' reports hold it too; rightsholders of the work's characters
    and staff hide it or release it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    work = models.ForeignKey(Work, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comments"
    )
    body = models.TextField()
    status = models.CharField(
        max_length=10, choices=CommentStatus.choices, default=CommentStatus.VISIBLE
    )
    held_reason = models.CharField(max_length=300, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    hidden_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["work", "status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.author_id} on {self.work_id}: {self.body[:40]}"


class CommentReport(models.Model):
    """A reader reports a comment, once."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # When a moderator released the comment after this report: a reviewed report no
    # longer counts towards holding it again (new readers' reports do).
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["comment", "reporter"], name="comment_report_once")
        ]

    def __str__(self) -> str:
        return f"{self.reporter_id} reports {self.comment_id}"
