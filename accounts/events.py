"""The domain events accounts publishes (core/events.py explains the mechanism).
Accounts sits below every other app, so what they must do when an organization's
standing changes, they do in their own handlers of these events."""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class OrganizationVerificationChanged:
    """Staff verified an organization, or rejected it. Its characters become active
    once it is verified, and drafts again when it no longer is."""

    organization_id: uuid.UUID
    status: str


@dataclass(frozen=True)
class PublicNameChanged:
    """A person set or cleared their display name. What shows their name elsewhere
    (feed cards, catalog documents of their likeness) is rewritten with it."""

    user_id: uuid.UUID
