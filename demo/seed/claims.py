"""One Content-ID-style claim, disputed by the creator and left open: the studio
claims a video (monetize), the creator disputes it, and from then on the video's
revenue waits in escrow until the studio (or staff) settles it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from demo.seed.data import CLAIM
from marketplace import selectors as marketplace_selectors
from marketplace import services as marketplace
from marketplace.enums import ClaimStatus

if TYPE_CHECKING:
    from accounts.models import User
    from licensing.models import Character
    from marketplace.models import Dispute, Work


def seed_claim(
    users: dict[str, User], characters: dict[str, Character], works: dict[str, Work]
) -> Dispute | None:
    """The claim and its dispute, made once. Returns None only if demo users settled
    the claim without a dispute since an earlier run."""
    work, character = works[CLAIM.work], characters[CLAIM.character]
    claim = marketplace_selectors.claim_on(work=work, character=character)
    if claim is None:
        claim = marketplace.claim_file(
            work=work,
            character=character,
            by=users[CLAIM.by],
            reason=CLAIM.reason,
            evidence=CLAIM.evidence,
            policy=CLAIM.policy,
        )
    if claim.status == ClaimStatus.ACTIVE:
        return marketplace.dispute_open(claim=claim, by=work.creator, reason=CLAIM.dispute)
    return getattr(claim, "dispute", None)
