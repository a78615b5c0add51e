from enum import StrEnum

from django.db import models


class CharacterKind(models.TextChoices):
    CHARACTER = "character", "Character"
    LIKENESS = "likeness", "Likeness"


class CharacterStatus(models.TextChoices):
    # Registered, but its owner is not verified yet (an organization by staff, a
    # likeness by a reviewed consent video) or one of its names waits on a name
    # conflict: only its owner sees it, and its names screen no one's prompts.
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    ARCHIVED = "archived", "Archived"


class NameConflictStatus(models.TextChoices):
    """A name conflict waits for staff (open), who let both keep the name (allowed) or
    find it belongs to the earlier holder (upheld)."""

    OPEN = "open", "Open"
    ALLOWED = "allowed", "Allowed: both keep the name"
    UPHELD = "upheld", "Upheld: the earlier holder keeps it"


class NameConflictOn(models.TextChoices):
    """Whether the later registration used the text as its name or as an alias."""

    NAME = "name", "Name"
    ALIAS = "alias", "Alias"


class ConsentStatus(models.TextChoices):
    """A likeness consent video's review (licensing/services/consent.py)."""

    PENDING = "pending", "Waiting for review"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    # A newer video replaced it before anyone reviewed it.
    SUPERSEDED = "superseded", "Replaced by a newer video"


class AliasMode(models.TextChoices):
    NORMAL = "normal", "Match in any case"
    EXACT_CASE = "exact_case", "Match exact case only"
    REVIEW = "review", "Flag for review, do not refuse"


class LookalikeAction(models.TextChoices):
    """What a prompt that describes a character without naming it gets."""

    REFUSE = "refuse", "Refuse it"
    REVIEW = "review", "Send it to my approvals queue"
    ALLOW = "allow", "Allow it"


class FormOrigin(models.TextChoices):
    """How a name form was derived from a registered name or alias."""

    ROMAJI = "romaji", "Romaji reading"
    HIRAGANA = "hiragana", "Hiragana reading"
    KATAKANA = "katakana", "Katakana reading"
    LONG_VOWEL = "long_vowel", "Long-vowel spelling"
    HANGUL = "hangul", "Korean romanization"
    PINYIN = "pinyin", "Chinese romanization"
    NAME_ORDER = "name_order", "Family name first"


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


class LicensingError(StrEnum):
    """Refusal codes of licensing's services (beside core.errors.ErrorCode)."""

    INVALID_TERMS = "invalid_terms"
    PRICE_CHANGED = "price_changed"
    IMMUTABLE = "immutable"
    DISALLOWED = "disallowed"
    ORGANIZATION_UNVERIFIED = "organization_unverified"
    CHARACTER_DRAFT = "character_draft"
    CHALLENGE_INVALID = "challenge_invalid"
    CHALLENGE_USED = "challenge_used"
    CHALLENGE_EXPIRED = "challenge_expired"
    OFFER_UNAVAILABLE = "offer_unavailable"
    UNAVAILABLE = "unavailable"
    CAP_LICENSEES = "cap_licensees"
    CAP_GENERATIONS = "cap_generations"
    CAP_WORKS = "cap_works"
    EMPTY = "empty"
    NAME_TAKEN = "name_taken"
    OWN_CHARACTER = "own_character"
