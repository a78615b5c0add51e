"""The domain events marketplace publishes (core/events.py explains the mechanism).
Payments sits above marketplace: the money a generation or a dispute moves is moved by
payments' handlers of these events (payments/handlers.py)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class FeeLine:
    """A per-generation fee one character's terms ask for, in minor units."""

    character_id: str
    amount: int
    currency: str


@dataclass(frozen=True)
class GenerationAllowed:
    """The policy check allowed a generation request; its per-generation fees are due
    before it renders. Published once per request."""

    request_id: uuid.UUID
    creator_id: uuid.UUID
    fees: tuple[FeeLine, ...]


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
