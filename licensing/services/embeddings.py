"""Description embeddings for lookalike screening (licensing/policy/lookalike.py).

A character's embedding is computed when its description changes: the services that
write descriptions enqueue ``licensing.characters_embed`` through the outbox (sent once
their transaction commits, and by the relay if the broker was down then). Anything an
enqueue still missed (a task that expired) is found by the sweep, which beat
runs every ten minutes and ``manage.py embed_descriptions`` runs on demand (the
backfill). Both are idempotent: the digest of the text and model says whether a stored
vector is current, so nothing is computed twice."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from core import outbox
from licensing.enums import CharacterStatus
from licensing.models import Character, CharacterEmbedding
from licensing.policy import lookalike

log = logging.getLogger(__name__)


def _batched(items: Sequence, size: int) -> Iterable[Sequence]:
    return (items[start : start + size] for start in range(0, len(items), size))


# Characters per enqueued task, and per batch of the sweep: each batch is embedded in
# one call and written in one transaction.
ENQUEUE_BATCH = 100
SWEEP_BATCH = 256


def embeddings_enqueue(*, character_ids: Iterable) -> None:
    """Have a worker bring these characters' embeddings up to date, once the caller's
    transaction commits (through the outbox: a broker that cannot be reached delays
    it, and the edit stands)."""
    ids = [str(pk) for pk in dict.fromkeys(character_ids)]
    # By name: licensing/tasks.py calls this module, so it is not imported here.
    for chunk in _batched(ids, ENQUEUE_BATCH):
        outbox.enqueue("licensing.characters_embed", [list(chunk)])


def character_embeddings_refresh(*, character_ids: Iterable) -> int:
    """Bring these characters' embeddings up to date with their descriptions: compute
    the missing and stale ones, and drop those of characters left without a
    description. Returns how many were written or dropped.

    Safe to run twice, and beside an edit: the model runs outside any transaction, and
    a vector is stored only if, with the character row locked, the description it was
    computed from is still the current one (the edit's own task stores the newer)."""
    ids = list(dict.fromkeys(str(pk) for pk in character_ids))
    if not ids:
        return 0
    stored = dict(
        CharacterEmbedding.objects.filter(
            character_id__in=ids, model_name=lookalike.model_name()
        ).values_list("character_id", "digest")
    )
    todo: dict = {}  # character pk -> (text, digest)
    drop, current = [], []
    rows = Character.objects.filter(pk__in=ids).values_list("pk", "description", "status")
    for pk, description, status in rows:
        text = lookalike.embedding_text(_screened(description, status))
        if not text:
            drop.append(pk)
            continue
        digest = lookalike.description_digest(text)
        if stored.get(pk) == digest:
            current.append(pk)
        else:
            todo[pk] = (text, digest)
    vectors = lookalike.embed([text for text, _ in todo.values()]) if todo else ()
    with transaction.atomic():
        locked = {
            pk: _screened(description, status)
            for pk, description, status in Character.objects.select_for_update()
            .filter(pk__in=[*todo, *drop])
            .order_by("pk")
            .values_list("pk", "description", "status")
        }
        name = lookalike.model_name()
        writes = [
            CharacterEmbedding(
                character_id=pk, model_name=name, digest=digest, vector=lookalike.to_stored(vector)
            )
            for (pk, (text, digest)), vector in zip(todo.items(), vectors, strict=True)
            if pk in locked and lookalike.embedding_text(locked[pk]) == text
        ]
        CharacterEmbedding.objects.bulk_create(
            writes,
            update_conflicts=True,
            unique_fields=["character"],
            update_fields=["model_name", "digest", "vector", "updated_at"],
        )
        dropping = list(
            CharacterEmbedding.objects.filter(
                character_id__in=[pk for pk in drop if pk in locked and not locked[pk].strip()]
            ).values_list("character_id", flat=True)
        )
        dropped, _ = CharacterEmbedding.objects.filter(character_id__in=dropping).delete()
        # Checked and current: no longer a candidate for the sweep (see below).
        CharacterEmbedding.objects.filter(character_id__in=current).update(
            updated_at=timezone.now()
        )
        changed = [w.character_id for w in writes] + dropping
        if changed:
            lookalike.embeddings_changed(changed)
    return len(writes) + dropped


def _screened(description: str, status: str) -> str:
    """The description lookalike screening uses: none for a draft, whose owner is not
    proven yet (licensing/services/standing.py)."""
    return "" if status == CharacterStatus.DRAFT else description


def characters_needing_embeddings():
    """The ids of characters whose embedding may be missing or stale, in pk order: a
    description and no embedding of the current model, or edited since it was computed;
    or an embedding left after the description was removed. (Edited since may mean
    another field changed: the digest decides, and a current vector is marked
    checked.)"""
    described = ~Q(description="") & ~Q(status=CharacterStatus.DRAFT)
    return (
        Character.objects.filter(
            (
                described
                & (
                    Q(embedding__isnull=True)
                    | ~Q(embedding__model_name=lookalike.model_name())
                    | Q(updated_at__gt=F("embedding__updated_at"))
                )
            )
            | (~described & Q(embedding__isnull=False))
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def character_embeddings_refresh_stale(
    *, batch_size: int = SWEEP_BATCH, progress: Callable[[int, int], None] | None = None
) -> int:
    """Embed every description that needs it (``characters_needing_embeddings``), in
    batches of ``batch_size``, calling ``progress(done, total)`` after each. Returns how
    many embeddings were written or dropped."""
    ids = list(characters_needing_embeddings())
    changed = 0
    for done, batch in enumerate(_batched(ids, batch_size), start=1):
        changed += character_embeddings_refresh(character_ids=batch)
        if progress is not None:
            progress(min(done * batch_size, len(ids)), len(ids))
    if ids:
        log.info("embedded descriptions: %d checked, %d written or dropped", len(ids), changed)
    return changed
