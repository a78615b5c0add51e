"""The generation pipeline's side of the terms' caps (licensing/services/caps.py says
what each cap counts and which lock holds it).

- At request creation, a request whose licence has a cap already used up is refused at
  once (409 with the cap's code) instead of queueing: a quick look without locks.
- At the policy check, the involved characters are locked and the caps counted,
  including generations allowed earlier that have not made their work yet
  (``works_in_flight``), and the allowed decision commits with the request's move to
  rendering: the check's decision is the one that holds.
- When the work is stored, the works cap is counted again under the same lock, and a
  request that would exceed it fails naming the cap, so the cap holds even for a
  request whose check was made before a change the check could not see.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING

from licensing import selectors as licensing_selectors
from licensing import services as licensing_services
from marketplace.enums import GenerationStatus
from marketplace.models import GenerationRequest
from marketplace.services.transitions import generation_transition

if TYPE_CHECKING:
    from accounts.models import User

# A request in these states has passed its policy check and has no work yet while it
# has none: its allowed generation holds a place under each works cap it is subject to.
IN_FLIGHT_STATUSES = (GenerationStatus.RENDERING, GenerationStatus.SIGNING)


def works_in_flight(series: list) -> dict:
    """How many allowed generations per offer series are still on their way to a work
    (rendering, or signing before the work is stored). Read under the check's lock."""
    wanted = {str(s) for s in series}
    decision_ids = (
        GenerationRequest.objects.filter(
            status__in=IN_FLIGHT_STATUSES,
            work__isnull=True,
            decision__allowed=True,
            decision__grants__series__in=list(wanted),
        )
        .values_list("decision_id", flat=True)
        .distinct()
    )
    counts: Counter = Counter()
    for licences in licensing_selectors.decision_licences(decision_ids=decision_ids).values():
        for key in {s for s, _ in licences if str(s) in wanted}:
            counts[key] += 1
    return dict(counts)


def generation_caps_precheck(*, creator: User, character_ids: Iterable) -> None:
    """Refuse a new request at once (CapReached, 409) when a licence it needs has its
    generations or works cap used up already. The policy check decides under the
    lock; this spares queueing a request that cannot pass."""
    refusal = licensing_services.generation_caps_refusal(
        creator=creator, character_ids=[str(c) for c in character_ids]
    )
    if refusal is not None:
        raise refusal


def work_store_refused(*, request: GenerationRequest, licenses: list[dict]) -> bool:
    """Fail the request, naming the cap, when storing its work would exceed a works
    cap of the licences it carries; False when it fits. Locks their characters: call
    it in the transaction that stores the work, after locking the request."""
    reason = licensing_services.works_cap_refusal(grant_ids=[r["grant_id"] for r in licenses])
    if reason is None:
        return False
    generation_transition(
        request_id=request.pk,
        to=GenerationStatus.FAILED,
        note=reason.message,
        reason=reason.message,
        reasons=[*request.reasons, reason.to_dict()],
    )
    return True
