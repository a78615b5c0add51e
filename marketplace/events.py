"""The domain events marketplace publishes (core/events.py explains the mechanism).
Payments sits above marketplace: the money a generation or a dispute moves is moved by
payments' handlers of these events (payments/handlers.py)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class FeeLine:
    """A per-generation fee one character's terms ask for (the version the creator's
    grant holds), in minor units."""

    character_id: str
    grant_id: str
    amount: int
    currency: str


@dataclass(frozen=True)
class GenerationRequested:
    """A generation request is being created: the fees it will owe must be secured
    (held) before it is queued. A handler that cannot secure them raises
    ``core.errors.InsufficientFunds``, and the request is not created."""

    request_id: uuid.UUID
    creator_id: uuid.UUID
    fees: tuple[FeeLine, ...]


@dataclass(frozen=True)
class GenerationAllowed:
    """The policy check allowed a generation request, finding these fees due (its
    prompt may name more characters than it asked for). The hold must match them before
    it renders; InsufficientFunds from a handler refuses the request instead."""

    request_id: uuid.UUID
    creator_id: uuid.UUID
    fees: tuple[FeeLine, ...]


@dataclass(frozen=True)
class GenerationEnded:
    """A generation request reached a final state: ``published`` (its fees are earned)
    or not (refused, failed, its work denied: its fees go back). Published once, in the
    transaction of the final move."""

    request_id: uuid.UUID
    published: bool
    reason: str


@dataclass(frozen=True)
class DisputeSettled:
    """A dispute was released or upheld: its claim's share of the revenue the work held
    in escrow goes to the original recipients (released) or to the claimant organization
    (upheld); other claims' shares stay held until their own disputes settle."""

    dispute_id: uuid.UUID
    claim_id: uuid.UUID
    work_id: uuid.UUID
    upheld: bool
    claimant_organization_id: uuid.UUID
