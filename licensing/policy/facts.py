"""The inputs and outputs of the policy engine: plain immutable values, so the engine
is a pure function that tests can call without a database."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from licensing.terms import Terms


@dataclass(frozen=True)
class AudienceFacts:
    """How the creator stands with the character's rightsholder."""

    is_owner: bool = False
    is_follower: bool = False
    is_mutual: bool = False


@dataclass(frozen=True)
class GrantFacts:
    grant_id: str
    status: str
    offer_id: str
    terms_hash: str
    terms: Terms
    generations_used: int = 0  # by this licensee under this grant
    works_total: int = 0  # published works under this offer, all licensees


@dataclass(frozen=True)
class CharacterFacts:
    id: str
    name: str
    kind: str
    rightsholder: str
    disallowed: bool = False
    status: str = "active"
    grant: GrantFacts | None = None
    audience: AudienceFacts = field(default_factory=AudienceFacts)
    description: str = ""  # what makes it recognisable (lookalike refusals quote it)
    lookalike_action: str = "review"  # refuse | review | allow: what a lookalike gets


@dataclass(frozen=True)
class Lookalike:
    """A character whose description the prompt resembles in meaning (cosine similarity
    of sentence embeddings, at or above the configured threshold)."""

    character_id: str
    score: float


@dataclass(frozen=True)
class ParentFacts:
    """The work being remixed: its characters and the terms their grants carried."""

    work_id: str
    character_ids: tuple[str, ...]
    terms: tuple[tuple[str, Terms], ...]  # (character id, terms) per licensed character


@dataclass(frozen=True)
class Context:
    now: datetime
    action: str = "generate"  # generate | remix
    commercial: bool = False
    territory: str | None = None  # ISO 3166-1 alpha-2 of the creator
    rating: str = "all_ages"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["now"] = self.now.isoformat()
        return data


@dataclass(frozen=True)
class Reason:
    """Why the engine refused (or flagged) a request: which term, for which character."""

    code: str
    term: str
    message: str
    character_id: str | None = None
    character_name: str | None = None
    severity: str = "refuse"  # refuse | review
    # How the prompt wrote the name, when the character was found by name in it.
    matched_as: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reasons: tuple[Reason, ...]
    engine_version: str
    character_ids: tuple[str, ...] = ()  # every character the request involves
    needs_review: bool = False
    effective: dict[str, Any] = field(default_factory=dict)  # the merged, strictest terms

    @property
    def refusals(self) -> tuple[Reason, ...]:
        return tuple(r for r in self.reasons if r.severity == "refuse")

    def to_dict(self) -> dict[str, Any]:
        return {
            "allowed": self.allowed,
            "needs_review": self.needs_review,
            "engine_version": self.engine_version,
            "character_ids": list(self.character_ids),
            "reasons": [r.to_dict() for r in self.reasons],
            "effective": self.effective,
        }
