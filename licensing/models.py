import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organization
from core.models import TimeStamped
from licensing.enums import (
    AliasMode,
    CharacterKind,
    CharacterStatus,
    ConsentStatus,
    FormOrigin,
    GrantStatus,
    LookalikeAction,
    NameConflictOn,
    NameConflictStatus,
    OfferStatus,
)
from licensing.terms import Terms


class Character(TimeStamped):
    """A licensable identity: a studio's character, or a person's own likeness. A
    character belongs to an organization; a likeness to the one person it depicts."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=10, choices=CharacterKind.choices)
    owner_organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="characters"
    )
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="likenesses",
    )
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    franchise = models.CharField(max_length=120, blank=True, db_index=True)
    disallowed = models.BooleanField(
        default=False,
        help_text="No generation at all, licensed or not; its names still screen prompts.",
    )
    status = models.CharField(
        max_length=10, choices=CharacterStatus.choices, default=CharacterStatus.ACTIVE
    )
    likeness_attested_at = models.DateTimeField(
        null=True, blank=True, help_text="When the person confirmed this likeness is their own."
    )
    likeness_verified_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When staff approved the person's consent video; cleared when the reference "
        "images change. A likeness is a draft without it.",
    )
    lookalike_action = models.CharField(
        max_length=10,
        choices=LookalikeAction.choices,
        default=LookalikeAction.REVIEW,
        # Also the database's: bulk loads (bench/make_data.py's COPY) leave it out.
        db_default=LookalikeAction.REVIEW,
        help_text="What a prompt that describes this character without naming it gets.",
    )

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                name="character_owner_matches_kind",
                condition=(
                    Q(kind="character", owner_organization__isnull=False, owner_user__isnull=True)
                    | Q(kind="likeness", owner_user__isnull=False, owner_organization__isnull=True)
                ),
            ),
            models.UniqueConstraint(
                fields=["owner_organization", "name"],
                condition=Q(owner_organization__isnull=False),
                name="character_unique_name_per_organization",
            ),
            models.UniqueConstraint(
                fields=["owner_user", "name"],
                condition=Q(owner_user__isnull=False),
                name="character_unique_name_per_person",
            ),
        ]
        indexes = [models.Index(fields=["status", "name"])]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("licensing:character_detail", kwargs={"pk": self.pk})

    @property
    def rightsholder_name(self) -> str:
        if self.owner_organization is not None:
            return self.owner_organization.name
        return str(self.owner_user)


class CharacterAlias(TimeStamped):
    character = models.ForeignKey(Character, on_delete=models.CASCADE, related_name="aliases")
    text = models.CharField(max_length=120)
    mode = models.CharField(max_length=12, choices=AliasMode.choices, default=AliasMode.NORMAL)
    held_by_conflict = models.BooleanField(
        default=False,
        help_text="Another proven owner already holds this alias: it screens no prompts "
        "(and has no derived forms) until staff decide the name conflict.",
    )

    class Meta:
        ordering = ["character_id", "text"]
        constraints = [
            models.UniqueConstraint(fields=["character", "text"], name="alias_unique_per_character")
        ]
        verbose_name_plural = "character aliases"

    def __str__(self) -> str:
        return self.text


class NameForm(TimeStamped):
    """A form of a name or alias derived at registration (a reading, a romanization, a
    long-vowel spelling, the other name order), screened like the name it came from.
    The rightsholder may switch off a derived form that is a common word; a switched-off
    form stays here so that deriving again does not bring it back."""

    character = models.ForeignKey(Character, on_delete=models.CASCADE, related_name="name_forms")
    source = models.CharField(max_length=120, help_text="The name or alias it was derived from.")
    text = models.CharField(max_length=240)
    origin = models.CharField(max_length=12, choices=FormOrigin.choices)
    mode = models.CharField(max_length=12, choices=AliasMode.choices, default=AliasMode.NORMAL)
    enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["character_id", "source", "text"]
        constraints = [
            models.UniqueConstraint(
                fields=["character", "text"], name="name_form_unique_per_character"
            )
        ]

    def __str__(self) -> str:
        return self.text


class NameConflict(TimeStamped):
    """A name or alias registered by one owner that another, proven owner already holds
    (the same text once normalised as screening does). Opened by the services when the
    later character registers it, or on a rightsholder's report; staff decide it with a
    reason: ``allowed`` (both keep it) or ``upheld`` (the earlier holder keeps it, the
    later registration loses it). While an automatically opened conflict on a name is
    open, the later character stays a draft; one on an alias holds just that alias."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    holder = models.ForeignKey(
        Character,
        on_delete=models.CASCADE,
        related_name="name_conflicts_held",
        help_text="The earlier character, whose owner is proven.",
    )
    later = models.ForeignKey(
        Character,
        on_delete=models.CASCADE,
        related_name="name_conflicts",
        help_text="The later registration.",
    )
    on = models.CharField(max_length=5, choices=NameConflictOn.choices)
    text = models.CharField(max_length=120, help_text="The name or alias as registered.")
    key = models.CharField(max_length=240, help_text="Its screening form.")
    holder_text = models.CharField(
        max_length=120, help_text="The holder's name or alias it matched."
    )
    status = models.CharField(
        max_length=8, choices=NameConflictStatus.choices, default=NameConflictStatus.OPEN
    )
    opened_at = models.DateTimeField(default=timezone.now, db_index=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Who reported it; empty when registration opened it.",
    )
    report_reason = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-opened_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["holder", "later", "key"],
                condition=Q(status="open"),
                name="name_conflict_one_open_per_pair_and_key",
            ),
            models.CheckConstraint(
                name="name_conflict_decided_with_reason",
                condition=Q(status="open", decided_at__isnull=True)
                | (~Q(status="open") & Q(decided_at__isnull=False) & ~Q(decision_reason="")),
            ),
            models.CheckConstraint(
                name="name_conflict_between_two_characters",
                condition=~Q(holder=models.F("later")),
            ),
        ]
        indexes = [models.Index(fields=["later", "status"])]

    def __str__(self) -> str:
        return f"“{self.text}”: {self.later} after {self.holder} ({self.status})"

    @property
    def automatic(self) -> bool:
        return self.reported_by_id is None


class CharacterEmbedding(models.Model):
    """The sentence embedding of a character's description, for lookalike screening.
    ``digest`` is the hash of the text (and model) it was computed from, so a stale
    vector is recognised and recomputed."""

    character = models.OneToOneField(
        Character, on_delete=models.CASCADE, primary_key=True, related_name="embedding"
    )
    model_name = models.CharField(max_length=80)
    digest = models.CharField(max_length=64)
    vector = models.BinaryField(help_text="float16, L2-normalised.")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.model_name} embedding of {self.character_id}"


class WatchlistEntry(TimeStamped):
    """A well-known character nobody has registered on Cocreate yet, kept by staff:
    prompts naming it are refused as not licensable here yet. ``forms`` holds the forms
    derived from the name and aliases, as for a registered character."""

    name = models.CharField(max_length=120, unique=True)
    aliases = models.JSONField(default=list, blank=True)
    forms = models.JSONField(default=list, blank=True, editable=False)
    rightsholder = models.CharField(
        max_length=120, blank=True, help_text="Who owns it, where known (shown to staff)."
    )
    note = models.CharField(max_length=200, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "watchlist"

    def __str__(self) -> str:
        return self.name


def character_image_path(instance: "CharacterImage", filename: str) -> str:
    return f"characters/{instance.character_id}/{uuid.uuid4().hex}{_suffix(filename)}"


def character_thumbnail_path(instance: "CharacterImage", filename: str) -> str:
    return f"characters/{instance.character_id}/thumbs/{uuid.uuid4().hex}.jpg"


def _suffix(filename: str) -> str:
    return "." + filename.rsplit(".", 1)[-1].lower()[:5] if "." in filename else ""


class CharacterImage(TimeStamped):
    """A validated reference image, with a JPEG thumbnail for lists."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    character = models.ForeignKey(Character, on_delete=models.CASCADE, related_name="images")
    image = models.ImageField(
        upload_to=character_image_path, width_field="width", height_field="height"
    )
    thumbnail = models.ImageField(upload_to=character_thumbnail_path)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    content_type = models.CharField(max_length=30)
    size_bytes = models.PositiveIntegerField()
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["character_id", "position", "created_at"]

    def __str__(self) -> str:
        return f"{self.character} image {self.position}"


class ConsentChallenge(models.Model):
    """A phrase the person must read aloud in their consent video: good for one attempt
    by that person for that likeness, until ``expires_at``, so that an old or borrowed
    video cannot be submitted again."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    character = models.ForeignKey(
        Character, on_delete=models.CASCADE, related_name="consent_challenges"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="consent_challenges"
    )
    phrase = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "id"]

    def __str__(self) -> str:
        return self.phrase


def consent_video_path(instance: "LikenessConsent", filename: str) -> str:
    return f"consent-videos/{instance.character_id}/{uuid.uuid4().hex}{_suffix(filename)}"


class LikenessConsent(TimeStamped):
    """A person's video of themselves reading a challenge phrase, which staff compare
    with the likeness's reference images. Private: only the person and staff see it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    character = models.ForeignKey(Character, on_delete=models.CASCADE, related_name="consents")
    challenge = models.OneToOneField(
        ConsentChallenge, on_delete=models.PROTECT, related_name="consent"
    )
    video = models.FileField(upload_to=consent_video_path)
    content_type = models.CharField(max_length=40)
    size_bytes = models.PositiveIntegerField()
    duration_s = models.FloatField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    status = models.CharField(
        max_length=12, choices=ConsentStatus.choices, default=ConsentStatus.PENDING
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="consents_reviewed",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "id"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"Consent video for {self.character} ({self.get_status_display().lower()})"


class Offer(TimeStamped):
    """One version of a character's licence offer. Versions of the same offer share a
    ``series``. A draft is editable; publishing freezes it, keyed by ``terms_hash``,
    and supersedes the previous published version. Published terms never change."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    character = models.ForeignKey(Character, on_delete=models.PROTECT, related_name="offers")
    series = models.UUIDField(default=uuid.uuid4, db_index=True)
    version = models.PositiveIntegerField(default=1)
    status = models.CharField(max_length=12, choices=OfferStatus.choices, default=OfferStatus.DRAFT)
    title = models.CharField(max_length=120)
    preset = models.CharField(max_length=40, blank=True)
    terms = models.JSONField()
    terms_hash = models.CharField(max_length=64, blank=True, db_index=True)
    # Denormalised from terms for catalog filters.
    commercial_use = models.BooleanField(default=False)
    upfront_fee = models.PositiveBigIntegerField(default=0)
    currency = models.CharField(max_length=3, default="USD")
    published_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["character_id", "series", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["series", "version"], name="offer_unique_version"),
            models.UniqueConstraint(
                fields=["series"], condition=Q(status="draft"), name="offer_one_draft_per_series"
            ),
            models.UniqueConstraint(
                fields=["series"],
                condition=Q(status="published"),
                name="offer_one_published_per_series",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | ~Q(terms_hash=""),
                name="offer_published_has_hash",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.version} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("licensing:character_detail", kwargs={"pk": self.character_id})

    @property
    def parsed_terms(self) -> Terms:
        return Terms.from_dict(self.terms)


class Grant(TimeStamped):
    """A creator's acceptance of one published offer version."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    offer = models.ForeignKey(Offer, on_delete=models.PROTECT, related_name="grants")
    series = models.UUIDField(db_index=True)
    character = models.ForeignKey(Character, on_delete=models.PROTECT, related_name="grants")
    licensee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="grants"
    )
    status = models.CharField(max_length=20, choices=GrantStatus.choices)
    max_fee = models.PositiveBigIntegerField(
        help_text="The most the creator agreed to pay upfront."
    )
    max_rev_share_bps = models.PositiveIntegerField()
    max_generation_fee = models.PositiveBigIntegerField(
        default=0, help_text="The most the creator agreed to pay per generated video."
    )
    activated_at = models.DateTimeField(null=True, blank=True)
    # While the request waits for the rightsholder (pending_approval): undecided by
    # then, it is declined (review defaults to deny, as per-work approvals do).
    approval_deadline = models.DateTimeField(null=True, blank=True, db_index=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=200, blank=True)
    # Set when the licensor revokes this one licence: it ends then (after the offer's
    # grace period), with ``revoke_reason``; beat's licensing.grants_revoke_due ends it.
    revoke_at = models.DateTimeField(null=True, blank=True, db_index=True)
    revoke_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["licensee", "series"],
                condition=Q(status__in=["pending_payment", "pending_approval", "active"]),
                name="grant_one_live_per_licensee_and_offer",
            ),
        ]
        indexes = [models.Index(fields=["licensee", "status"])]

    def __str__(self) -> str:
        return f"{self.licensee} · {self.character} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status == GrantStatus.ACTIVE


class GrantEvent(models.Model):
    """One status change of a grant: who, when, why. Append-only."""

    grant = models.ForeignKey(Grant, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or '∅'} → {self.to_status}"


class PolicyDecision(models.Model):
    """Every decision the policy engine makes, with its inputs. Append-only: the
    audit trail that compliance reports export."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    prompt = models.TextField()
    inputs_hash = models.CharField(max_length=64, db_index=True)
    allowed = models.BooleanField()
    needs_review = models.BooleanField(default=False)
    reasons = models.JSONField(default=list)
    character_ids = models.JSONField(default=list)
    context = models.JSONField(default=dict)
    engine_version = models.CharField(max_length=20)
    purpose = models.CharField(
        max_length=12,
        choices=[("screen", "Screen only"), ("generation", "Generation")],
        default="screen",
    )
    characters = models.ManyToManyField(Character, related_name="policy_decisions", blank=True)
    grants = models.ManyToManyField(Grant, related_name="policy_decisions", blank=True)

    class Meta:
        ordering = ["-created_at", "id"]

    def __str__(self) -> str:
        return f"{'allowed' if self.allowed else 'refused'} at {self.created_at:%Y-%m-%d %H:%M}"


class CatalogDocument(models.Model):
    """The catalog's read model: one row per listed character (active, not disallowed,
    with at least one published offer), written by the licensing services in the
    transaction that changes any of its sources (licensing/services/catalog.py), and by
    ``manage.py read_models_rebuild``. A catalog page is one query over this table.

    ``search_text`` holds what the search matches (the name, franchise, description,
    aliases and studio name, joined by ``SEARCH_SEPARATOR``) under one GIN trigram
    index (licensing/migrations/0014); ``payload`` is the API's representation of the
    character, with its media as stored names (signed per request when served)."""

    character = models.OneToOneField(
        Character, on_delete=models.CASCADE, primary_key=True, related_name="catalog_document"
    )
    # The character's created_at: the catalog's order.
    listed_at = models.DateTimeField()
    kind = models.CharField(max_length=10, choices=CharacterKind.choices)
    franchise = models.CharField(max_length=120, blank=True)
    search_text = models.TextField()
    # Which published offers it has, for the catalog's filters.
    has_commercial = models.BooleanField()
    has_noncommercial = models.BooleanField()
    has_free = models.BooleanField()
    has_paid = models.BooleanField()
    # The reading of a Japanese name (its romaji form), and the first image's thumbnail.
    romaji = models.CharField(max_length=200, blank=True)
    thumbnail = models.CharField(max_length=255, blank=True)
    payload = models.JSONField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-listed_at", "character_id"]
        indexes = [
            models.Index(fields=["-listed_at", "character"], name="licensing_catalog_order"),
        ]

    def __str__(self) -> str:
        return f"catalog document of {self.character_id}"
