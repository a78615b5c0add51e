"""The domain events licensing publishes (core/events.py explains the mechanism).
Licensing sits below marketplace and payments, so it never calls them: what they must
do when a licence changes, they do in their own handlers of these events."""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class GrantEnded:
    """A live grant ended (its offer's grace period passed, its licensee ended it, or
    its licensor revoked it).
    The works made under it now follow ``on_revoke`` (keep, delist or delete)."""

    grant_id: uuid.UUID
    on_revoke: str
    reason: str
    # The licensor revoked it: the licensee's generations of the character that have
    # not finished are failed with ``reason`` (their fee holds released with them).
    cancel_generations: bool = False


@dataclass(frozen=True)
class GrantRequestClosed:
    """A licence request closed without the licence ever becoming active: the
    rightsholder declined it, did not decide by its deadline, the licensee withdrew it,
    or its offer ended. Any fee paid for it is refunded (payments' handler)."""

    grant_id: uuid.UUID
    reason: str


@dataclass(frozen=True)
class CharacterRenamed:
    """A character's name changed: whatever shows it beside a work (the feed's cards,
    marketplace's read model) is rewritten."""

    character_id: uuid.UUID
