"""The caps an offer's terms set, held where concurrent requests serialize.

Every request that may use a character's caps (accepting a licence, the generation
policy check, storing a work) first locks that character's row with ``caps_lock``: a
character's offers, their licensees, generations and works all hang from it, so the
row is the one lock every competitor for any of its caps takes. Counts are read after
the lock is granted, and the write that consumes the cap (the grant, the allowed
decision, the work) commits before the lock is released, so the next competitor counts
it. What each cap counts:

- ``max_licensees``: grants of the offer's series that are live (waiting for payment,
  waiting for approval, or active); ended and revoked ones free their place.
- ``max_generations_per_licensee``: the licensee's generations the policy check allowed
  under that grant. A generation counts when it is allowed (its per-generation fee is
  charged then), whatever happens to its render after.
- ``max_works``: works made under the offer's series, by every licensee, that are
  waiting for approval, published or delisted (denied and deleted ones do not count);
  at the policy check, generations allowed and still on their way to a work count too,
  so no more generations start than works may be made.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from core.errors import DomainError
from licensing.enums import LicensingError
from licensing.models import Character, Grant
from licensing.policy.facts import Reason
from licensing.selectors import policy_facts, works_counted_per_series


class CapReached(DomainError):
    """A cap of the terms is used up: 409 with the cap's code."""

    status_code = 409


def caps_lock(*, character_ids: Iterable) -> None:
    """Lock the characters' rows, in a stable order so that two requests locking
    several never deadlock, until the caller's transaction ends."""
    assert transaction.get_connection().in_atomic_block, "caps_lock needs a transaction"
    ids = sorted({str(c) for c in character_ids})
    if ids:
        list(Character.objects.select_for_update().filter(pk__in=ids).order_by("pk").values("pk"))


def works_cap_refusal(*, grant_ids: Iterable) -> Reason | None:
    """Why one more work under these grants would exceed a works cap (a ``cap_works``
    reason naming ``max_works``), or None when it fits. Locks the grants' characters
    first: call it in the transaction that stores the work, so the count and the new
    work are one step."""
    grants = list(Grant.objects.filter(pk__in=list(grant_ids)).select_related("offer", "character"))
    caps_lock(character_ids=[g.character_id for g in grants])
    capped = [g for g in grants if g.offer.parsed_terms.max_works is not None]
    made = works_counted_per_series(series=[g.series for g in capped])
    for grant in sorted(capped, key=lambda g: str(g.character_id)):
        cap = grant.offer.parsed_terms.max_works
        if made.get(grant.series, 0) >= cap:
            return Reason(
                code=LicensingError.CAP_WORKS,
                term="max_works",
                message=f"{grant.character.name} has reached its limit of {cap} published "
                "works; this video was not stored.",
                character_id=str(grant.character_id),
                character_name=grant.character.name,
            )
    return None


def generation_caps_refusal(*, creator, character_ids: Iterable) -> CapReached | None:
    """A quick look, without locks, at whether the creator's licences for these
    characters have a generation or works cap already used up: the request can be
    refused at once rather than after queueing. The policy check decides under the
    lock; this only spares a request that cannot pass."""
    for fact in policy_facts(user=creator, character_ids=character_ids).values():
        grant = fact.grant
        if grant is None:
            continue
        cap = grant.terms.max_generations_per_licensee
        if cap is not None and grant.generations_used >= cap:
            return CapReached(
                f"You have used all {cap} generations your licence for {fact.name} allows.",
                code=LicensingError.CAP_GENERATIONS,
                field="character_ids",
            )
        cap = grant.terms.max_works
        if cap is not None and grant.works_total >= cap:
            return CapReached(
                f"{fact.name} has reached its limit of {cap} published works.",
                code=LicensingError.CAP_WORKS,
                field="character_ids",
            )
    return None
