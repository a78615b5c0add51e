from django.db import models


class CharacterKind(models.TextChoices):
    CHARACTER = "character", "Character"
    LIKENESS = "likeness", "Likeness"


class CharacterStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    ARCHIVED = "archived", "Archived"


class AliasMode(models.TextChoices):
    NORMAL = "normal", "Match in any case"
    EXACT_CASE = "exact_case", "Match exact case only"
    REVIEW = "review", "Flag for review, do not refuse"


class OfferStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    SUPERSEDED = "superseded", "Superseded"
    ENDED = "ended", "Ended"


class GrantStatus(models.TextChoices):
    PENDING_PAYMENT = "pending_payment", "Pending payment"
    PENDING_APPROVAL = "pending_approval", "Pending approval"
    ACTIVE = "active", "Active"
    ENDED = "ended", "Ended"
    REVOKED = "revoked", "Revoked"


# Grants that hold a licensee slot and block a second acceptance of the same offer.
LIVE_GRANT_STATUSES = (
    GrantStatus.PENDING_PAYMENT,
    GrantStatus.PENDING_APPROVAL,
    GrantStatus.ACTIVE,
)

GRANT_TRANSITIONS: dict[str, frozenset[str]] = {
    GrantStatus.PENDING_PAYMENT: frozenset(
        {GrantStatus.ACTIVE, GrantStatus.PENDING_APPROVAL, GrantStatus.ENDED}
    ),
    GrantStatus.PENDING_APPROVAL: frozenset(
        {GrantStatus.ACTIVE, GrantStatus.REVOKED, GrantStatus.ENDED}
    ),
    GrantStatus.ACTIVE: frozenset({GrantStatus.ENDED, GrantStatus.REVOKED}),
    GrantStatus.ENDED: frozenset(),
    GrantStatus.REVOKED: frozenset(),
}


class ApprovalStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    DENIED = "denied", "Denied"
    EXPIRED = "expired", "Expired (not reviewed in time)"
    WITHDRAWN = "withdrawn", "Withdrawn (the video was deleted)"


class ClaimReason(models.TextChoices):
    UNLICENSED = "unlicensed", "Shows our character without a licence"
    TERMS_BREACH = "terms_breach", "Breaks the terms of its licence"
    BANNED_CONTENT = "banned_content", "Puts our character in banned content"
    LIKENESS = "likeness", "Misuses a likeness"
    OTHER = "other", "Other"


class ClaimPolicy(models.TextChoices):
    BLOCK = "block", "Block: delist it and stop playback"
    MONETIZE = "monetize", "Monetize: its future revenue goes to us"
    TRACK = "track", "Track: record only"


class ClaimStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    DISPUTED = "disputed", "Disputed"
    RELEASED = "released", "Released"
    UPHELD = "upheld", "Upheld"


class DisputeStatus(models.TextChoices):
    OPEN = "open", "Open"
    ESCALATED = "escalated", "Escalated to staff"
    RELEASED = "released", "Released (the creator was right)"
    UPHELD = "upheld", "Upheld (the claim stands)"


DISPUTE_WINDOW_DAYS = 30
DISPUTE_ANSWER_DAYS = 30
