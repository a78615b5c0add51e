from enum import StrEnum

from django.db import models


class GenerationStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    CHECKING = "checking", "Checking the terms"
    REFUSED = "refused", "Refused"
    RENDERING = "rendering", "Rendering"
    SIGNING = "signing", "Signing provenance"
    AWAITING_APPROVAL = "awaiting_approval", "Awaiting approval"
    PUBLISHED = "published", "Published"
    FAILED = "failed", "Failed"


TERMINAL_STATUSES = frozenset(
    {GenerationStatus.REFUSED, GenerationStatus.PUBLISHED, GenerationStatus.FAILED}
)

# The one map of legal moves (STYLE.md "State machines"). A denied or expired
# approval ends as refused: the terms refused the work, after the fact.
GENERATION_TRANSITIONS: dict[str, frozenset[str]] = {
    GenerationStatus.QUEUED: frozenset({GenerationStatus.CHECKING, GenerationStatus.FAILED}),
    GenerationStatus.CHECKING: frozenset(
        {GenerationStatus.REFUSED, GenerationStatus.RENDERING, GenerationStatus.FAILED}
    ),
    GenerationStatus.RENDERING: frozenset({GenerationStatus.SIGNING, GenerationStatus.FAILED}),
    GenerationStatus.SIGNING: frozenset(
        {GenerationStatus.AWAITING_APPROVAL, GenerationStatus.PUBLISHED, GenerationStatus.FAILED}
    ),
    GenerationStatus.AWAITING_APPROVAL: frozenset(
        {GenerationStatus.PUBLISHED, GenerationStatus.REFUSED}
    ),
    GenerationStatus.REFUSED: frozenset(),
    GenerationStatus.PUBLISHED: frozenset(),
    GenerationStatus.FAILED: frozenset(),
}

# Rough share of the progress bar each stage owns.
STAGE_PROGRESS = {
    GenerationStatus.QUEUED: 0,
    GenerationStatus.CHECKING: 5,
    GenerationStatus.RENDERING: 10,
    GenerationStatus.SIGNING: 92,
    GenerationStatus.AWAITING_APPROVAL: 100,
    GenerationStatus.PUBLISHED: 100,
}


class WorkStatus(models.TextChoices):
    PENDING_APPROVAL = "pending_approval", "Waiting for approval"
    PUBLISHED = "published", "Published"
    DENIED = "denied", "Denied"
    DELISTED = "delisted", "Delisted"
    DELETED = "deleted", "Deleted"


class CommentStatus(models.TextChoices):
    VISIBLE = "visible", "Visible"
    # Screening or readers' reports held it: seen only by its author, the rightsholders
    # of the work's characters and staff, with the reason, until one of them releases it.
    HELD = "held", "Held for review"
    HIDDEN = "hidden", "Hidden by a rightsholder or staff"


# Comment limits (marketplace/services/comments.py).
COMMENT_MAX_CHARS = 2_000
# The most a comment request may send, read or not: a comment of 2,000 characters is at
# most 8,000 bytes of UTF-8, plus the form or JSON around it.
COMMENT_MAX_REQUEST_BYTES = 16 * 1024
# Distinct readers' reports that hold a visible comment for review.
COMMENT_REPORTS_TO_HOLD = 3


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
    # A claim on a work that does not license the character waits for staff, and does
    # nothing to the work until they accept it (then it is active) or reject it.
    STAFF_REVIEW = "staff_review", "Awaiting staff review"
    ACTIVE = "active", "Active"
    DISPUTED = "disputed", "Disputed"
    RELEASED = "released", "Released"
    UPHELD = "upheld", "Upheld"
    REJECTED = "rejected", "Rejected by staff"


# Claims that never took effect: the work's creator is not shown them.
CLAIM_STATUSES_WITHOUT_EFFECT = (ClaimStatus.STAFF_REVIEW, ClaimStatus.REJECTED)


class DisputeStatus(models.TextChoices):
    OPEN = "open", "Open"
    ESCALATED = "escalated", "Escalated to staff"
    RELEASED = "released", "Released (the creator was right)"
    UPHELD = "upheld", "Upheld (the claim stands)"


DISPUTE_WINDOW_DAYS = 30
DISPUTE_ANSWER_DAYS = 30
# Staff decide an escalated dispute within this many days; undecided, it is released
# (the creator keeps the video and its revenue, as when a claimant does not answer).
DISPUTE_ESCALATION_DAYS = 14
# A claimant whose claims were released on dispute this many times within the window
# has its next claims reviewed by staff before they take effect.
CLAIM_REVIEW_AFTER_RELEASES = 3
CLAIM_REVIEW_WINDOW_DAYS = 90


class MarketplaceError(StrEnum):
    """Refusal codes of marketplace's services (beside core.errors.ErrorCode)."""

    UNVERIFIED = "unverified"
    TOO_LATE = "too_late"
    TOO_LONG = "too_long"
    CONTROL_CHARACTERS = "control_characters"


class OutcomeCode(StrEnum):
    """Why a request ended without a published video, when the policy engine's reason
    codes do not say it: the words and the way forward are in marketplace/refusals.py."""

    APPROVAL_DENIED = "approval_denied"
    APPROVAL_EXPIRED = "approval_expired"
    DELETED_BEFORE_APPROVAL = "deleted_before_approval"
    LICENCE_ENDED = "licence_ended"
    FAILED = "failed"


class StorylineStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class StorylineJoin(models.TextChoices):
    """Which characters beside the storyline's own a take may bring in."""

    NONE = "none", "Only the storyline's characters"
    LICENSED = "licensed", "Any character the creator holds a licence for"
    LISTED = "listed", "Only the characters listed"


class StorylineCode(StrEnum):
    """Why a take of a storyline is refused: at the request (a DomainError with this
    code, nothing created) or, for the dates, again by the policy step (the request
    ends refused with this reason). Words in marketplace/refusals.py."""

    CLOSED = "storyline_closed"
    NOT_STARTED = "storyline_not_started"
    ENDED = "storyline_ended"
    TAKE_TOO_LONG = "take_too_long"
    CHARACTER_NOT_ALLOWED = "storyline_character_not_allowed"
    WRONG_OFFER = "storyline_wrong_offer"
    NO_CHARACTER = "storyline_no_character"
