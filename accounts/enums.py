from enum import StrEnum

from django.db import models


class VerificationStatus(models.TextChoices):
    UNVERIFIED = "unverified", "Unverified"
    PENDING = "pending", "Pending review"
    VERIFIED = "verified", "Verified"
    REJECTED = "rejected", "Rejected"


class MembershipRole(models.TextChoices):
    OWNER = "owner", "Owner"
    MANAGER = "manager", "Manager"
    VIEWER = "viewer", "Viewer"


# Roles that may change an organization's catalogue, members and documents.
EDITOR_ROLES = frozenset({MembershipRole.OWNER, MembershipRole.MANAGER})


class AccountsError(StrEnum):
    """Refusal codes of accounts' services (beside core.errors.ErrorCode)."""

    AUTHORIZATION = "authorization"
    EMAIL_UNVERIFIED = "email_unverified"
    MFA_REQUIRED = "mfa_required"
    DOCUMENTS_REQUIRED = "documents_required"
    LAST_OWNER = "last_owner"


class SocialKind(models.TextChoices):
    """What someone did that the person it concerns is told about, in a batch."""

    FOLLOW = "follow", "New followers"
    LIKE = "like", "Likes on your videos"
    COMMENT = "comment", "Comments on your videos"
