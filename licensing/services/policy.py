"""Running the policy engine on a request and recording its decision."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING

import pycountry
from django.db import transaction
from django.utils import timezone

from core.audit import PLATFORM, audit_record, owner_stream
from core.errors import DomainError, ErrorCode
from licensing import selectors
from licensing.models import Character, Grant, PolicyDecision
from licensing.policy.engine import evaluate
from licensing.policy.facts import Context, Decision, Lookalike, ParentFacts
from licensing.policy.lookalike import find_lookalikes
from licensing.policy.registry import get_registry
from licensing.policy.screening import WATCHLIST_PREFIX
from licensing.services.caps import caps_lock
from licensing.terms import RATINGS

if TYPE_CHECKING:
    from accounts.models import User


MAX_PROMPT_CHARS = 2_000


def territory_clean(*, territory: str | None) -> str:
    """The territory a creator declares, as an upper-case ISO 3166-1 alpha-2 code, or ""
    when none is given. Anything else is refused naming the field: a guess (or a code
    cut to two letters) could pass a territory check the creator is not in."""
    code = (territory or "").strip().upper()
    if not code:
        return ""
    if len(code) != 2 or not code.isascii() or pycountry.countries.get(alpha_2=code) is None:
        raise DomainError(
            f"{str(territory)[:20]!r} is not a country code: use the two-letter ISO 3166 code "
            "of where you are, e.g. JP or US.",
            field="territory",
        )
    return code


def _inputs_hash(
    *,
    prompt: str,
    user: User,
    requested: list[str],
    context: Context,
    facts,
    lookalikes: list[Lookalike],
) -> str:
    payload = {
        "prompt": prompt,
        "licensee": str(user.pk),
        "requested": requested,
        "context": context.to_dict(),
        "lookalikes": [[m.character_id, m.score] for m in lookalikes],
        "grants": sorted(
            (cid, f.grant.grant_id, f.grant.terms_hash) for cid, f in facts.items() if f.grant
        ),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


@transaction.atomic
def policy_screen(
    *,
    creator: User,
    prompt: str,
    character_ids: Iterable[str],
    territory: str | None = None,
    commercial: bool = False,
    rating: str = "all_ages",
    parent: ParentFacts | None = None,
    purpose: str = "screen",
    works_reserved: Callable[[list], Mapping] | None = None,
) -> tuple[Decision, PolicyDecision]:
    """Screen the prompt against every registered name and, by meaning, every
    character's description (lookalikes), evaluate every involved character's terms,
    and store the decision (append-only). Returns both.

    For a generation (``purpose="generation"``) the involved characters are locked
    (``caps_lock``) before their caps are counted, so concurrent checks take turns and
    an allowed decision is counted by the next one: call it inside the transaction
    that also moves the request on, so the lock lasts until then. ``works_reserved``
    says how many allowed generations per offer series have not made their work yet
    (see ``selectors.policy_facts``)."""
    prompt = prompt.strip()
    if not prompt:
        raise DomainError("Write a prompt first.", code=ErrorCode.REQUIRED, field="prompt")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise DomainError(f"Prompts are limited to {MAX_PROMPT_CHARS} characters.", field="prompt")
    if rating not in RATINGS:
        raise DomainError(f"Rating must be one of {', '.join(RATINGS)}.", field="rating")
    territory = territory_clean(territory=territory)
    try:
        requested = [str(uuid.UUID(str(c))) for c in dict.fromkeys(character_ids)]
    except ValueError as exc:
        raise DomainError("Character ids must be UUIDs.", field="character_ids") from exc
    mentions = get_registry().screen(prompt)
    involved = [
        *requested,
        *(m.character_id for m in mentions if not m.character_id.startswith(WATCHLIST_PREFIX)),
    ]
    if parent is not None:
        involved += list(parent.character_ids)
    lookalikes = find_lookalikes(prompt, exclude_ids=involved)
    if purpose == "generation":
        caps_lock(character_ids=involved)
    facts = selectors.policy_facts(
        user=creator,
        character_ids=[*involved, *(m.character_id for m in lookalikes)],
        works_reserved=works_reserved,
    )
    context = Context(
        now=timezone.now(),
        action="remix" if parent else "generate",
        commercial=commercial,
        territory=territory or None,
        rating=rating,
    )
    decision = evaluate(
        prompt=prompt,
        licensee_id=str(creator.pk),
        requested_ids=requested,
        mentions=mentions,
        characters=facts,
        context=context,
        parent=parent,
        lookalikes=lookalikes,
    )
    # The decision and its audit events commit together.
    with transaction.atomic():
        record = PolicyDecision.objects.create(
            creator=creator,
            prompt=prompt,
            inputs_hash=_inputs_hash(
                prompt=prompt,
                user=creator,
                requested=requested,
                context=context,
                facts=facts,
                lookalikes=lookalikes,
            ),
            allowed=decision.allowed,
            needs_review=decision.needs_review,
            reasons=[r.to_dict() for r in decision.reasons],
            character_ids=list(decision.character_ids),
            context={
                **context.to_dict(),
                "requested": requested,
                "mentions": [m.character_id for m in mentions],
                "lookalikes": [
                    {"character_id": m.character_id, "score": m.score} for m in lookalikes
                ],
            },
            engine_version=decision.engine_version,
            purpose=purpose,
        )
        record.characters.set(
            Character.objects.filter(pk__in=[c for c in decision.character_ids if c in facts])
        )
        record.grants.set(
            Grant.objects.filter(pk__in=[f.grant.grant_id for f in facts.values() if f.grant])
        )
        _audit_decision(record, character_ids=[c for c in decision.character_ids if c in facts])
    return decision, record


def _audit_decision(record: PolicyDecision, *, character_ids: list[str]) -> None:
    """Record the decision in the stream of each rightsholder whose characters it
    involved (the platform's when none), each seeing only the reasons about its own
    characters; the prompt stays in the decision log, referenced by id."""
    streams: dict[str, set[str]] = {}
    for pk, organization_id, user_id in Character.objects.filter(pk__in=character_ids).values_list(
        "pk", "owner_organization_id", "owner_user_id"
    ):
        stream = owner_stream(organization_id=organization_id, user_id=user_id)
        streams.setdefault(stream, set()).add(str(pk))
    for stream, own in sorted(streams.items()) or [(PLATFORM, set())]:
        audit_record(
            action="policy.allowed" if record.allowed else "policy.refused",
            actor=record.creator,
            subject=record,
            scope=stream,
            data={
                "purpose": record.purpose,
                "needs_review": record.needs_review,
                "characters": sorted(own),
                "territory": record.context.get("territory"),
                "reasons": [
                    r
                    for r in record.reasons
                    if not r.get("character_id") or r["character_id"] in own or not own
                ],
            },
        )
