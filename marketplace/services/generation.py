"""The generation pipeline's writes: create a request, move it through its states,
and the idempotent step services the Celery chain calls (check, render, sign,
route). Each step returns at once if the request's status shows it already ran."""

from __future__ import annotations

import logging
import random
import uuid
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from core import events
from core.errors import DomainError, ErrorCode, InsufficientFunds
from core.storage import media_copy_to, media_delete, media_store, media_workdir
from licensing import selectors as licensing_selectors
from licensing import services as licensing_services
from licensing.policy.facts import ParentFacts
from licensing.terms import RATINGS, Terms
from marketplace.enums import (
    GenerationStatus,
    WorkStatus,
)
from marketplace.events import FeeLine, GenerationAllowed, GenerationRequested
from marketplace.generation import (
    CharacterRef,
    ParentRef,
    RenderFailed,
    RenderSpec,
    get_backend,
)
from marketplace.generation.base import MAX_SECONDS, MIN_SECONDS
from marketplace.models import (
    GenerationEvent,
    GenerationRequest,
    Storyline,
    Work,
    WorkLicense,
    work_media_path,
)
from marketplace.provenance.sign import (
    LicenseClaim,
    ParentIngredient,
    ProvenanceInfo,
    sign_media,
)
from marketplace.provenance.training import training_use
from marketplace.services import caps
from marketplace.services.approvals import work_approvals_open
from marketplace.services.backends import backend_supports
from marketplace.services.counters import work_publication_moved
from marketplace.services.feed import feed_entries_sync
from marketplace.services.leases import LeaseHeartbeat, generation_dispatch
from marketplace.services.storylines import (
    storyline_dates_refusals,
    storyline_take_precheck,
    storyline_take_refusals,
)
from marketplace.services.transitions import generation_fail, generation_transition

if TYPE_CHECKING:
    from accounts.models import User


log = logging.getLogger(__name__)
MAX_CHARACTERS = 4


def _enqueue(request_id: uuid.UUID) -> None:
    """check (and charge) → render → sign → route, each task on its own queue, written
    to the outbox in the caller's transaction (marketplace/services/leases.py)."""
    generation_dispatch(request_id=request_id)


@transaction.atomic
def generation_request_create(
    *,
    creator: User,
    prompt: str,
    character_ids: Iterable,
    duration_s: int = 5,
    parent: Work | None = None,
    commercial: bool = False,
    territory: str = "",
    rating: str = "all_ages",
    seed: int | None = None,
    backend: str = "",
    enqueue: bool = True,
    storyline: Storyline | None = None,
) -> GenerationRequest:
    """Record the request and enqueue the pipeline with it (sent once the transaction
    commits, through the outbox). Only
    the shape of the input is checked here; the policy check decides the rest.
    ``enqueue=False`` is for a caller that runs the pipeline's steps itself, in
    process (the demo seed): nothing is sent to the broker. A take of ``storyline``
    must keep its rules (marketplace/services/storylines.py)."""
    prompt = prompt.strip()
    if not prompt:
        raise DomainError("Describe the video you want.", code=ErrorCode.REQUIRED, field="prompt")
    if len(prompt) > 2_000:
        raise DomainError("Prompts are limited to 2,000 characters.", field="prompt")
    if not MIN_SECONDS <= duration_s <= MAX_SECONDS:
        raise DomainError(
            f"Videos last {MIN_SECONDS} to {MAX_SECONDS} seconds.", field="duration_s"
        )
    if rating not in RATINGS:
        raise DomainError(f"Rating must be one of {', '.join(RATINGS)}.", field="rating")
    territory = licensing_services.territory_clean(territory=territory)
    backend = backend or settings.VIDEO_BACKEND
    backend_supports(backend=backend, duration_s=duration_s, remix=parent is not None)
    ids = list(dict.fromkeys(str(c) for c in character_ids))
    if len(ids) > MAX_CHARACTERS:
        raise DomainError(f"Use at most {MAX_CHARACTERS} characters.", field="character_ids")
    characters = licensing_selectors.characters_by_ids(ids=ids)
    if len(characters) != len(ids):
        raise DomainError("One of the characters does not exist.", field="character_ids")
    if not ids and parent is None:
        raise DomainError(
            "Choose at least one character you hold a licence for.", field="character_ids"
        )
    if parent is not None and parent.status != WorkStatus.PUBLISHED:
        raise DomainError("Only a published work can be remixed.", field="parent_work_id")
    if storyline is not None:
        storyline_take_precheck(
            storyline=storyline,
            creator=creator,
            characters=characters,
            duration_s=duration_s,
            parent=parent,
        )
    caps.generation_caps_precheck(creator=creator, character_ids=ids)
    request = GenerationRequest.objects.create(
        creator=creator,
        prompt=prompt,
        parent=parent,
        duration_s=duration_s,
        commercial=commercial,
        territory=territory,
        rating=rating,
        backend=backend,
        storyline=storyline,
        seed=seed if seed is not None else random.SystemRandom().randrange(2**31),
    )
    request.characters.set(characters)
    GenerationEvent.objects.create(request=request, to_status=request.status, note="requested")
    # Payments holds the fees the requested characters' grants ask for, in this
    # transaction: InsufficientFunds (402) rolls the request back, before any work.
    events.publish(
        GenerationRequested(
            request_id=request.pk, creator_id=creator.pk, fees=_fees_owed(creator, ids)
        )
    )
    if enqueue:
        _enqueue(request.pk)
    return request


def _fees_owed(creator: User, character_ids: Iterable) -> tuple[FeeLine, ...]:
    return tuple(
        FeeLine(**fee)
        for fee in licensing_selectors.generation_fees_owed(
            licensee=creator, character_ids=character_ids
        )
    )


# --- the pipeline steps ----------------------------------------------------------------


def parent_facts(parent: Work | None) -> ParentFacts | None:
    """The parent work's characters and the terms their licences carried."""
    if parent is None:
        return None
    licenses = list(parent.licenses.select_related("offer"))
    return ParentFacts(
        work_id=str(parent.pk),
        character_ids=tuple(str(lic.character_id) for lic in licenses),
        terms=tuple((str(lic.character_id), lic.offer.parsed_terms) for lic in licenses),
    )


def generation_preview_check(
    *,
    creator: User,
    prompt: str,
    character_ids: Iterable,
    parent: Work | None = None,
    territory: str = "",
    commercial: bool = False,
    rating: str = "all_ages",
):
    """The policy decision a generation (or a remix of ``parent``) would get, without
    generating: the studio's "Check terms". Recorded like every decision."""
    decision, _ = licensing_services.policy_screen(
        creator=creator,
        prompt=prompt,
        character_ids=[str(c) for c in character_ids],
        territory=territory or None,
        commercial=commercial,
        rating=rating,
        parent=parent_facts(parent),
    )
    return decision


def storyline_preview_check(
    *, storyline: Storyline, creator: User, character_ids: Iterable, duration_s: int
) -> list[dict]:
    """The storyline rules a take would break (the studio's "Check terms" for a take),
    as reasons in the policy engine's shape; empty when it keeps them all."""
    characters = licensing_selectors.characters_by_ids(ids=[str(c) for c in character_ids])
    return storyline_take_refusals(
        storyline=storyline, creator=creator, characters=characters, duration_s=duration_s
    )


@transaction.atomic  # the caps lock taken by the check lasts until the request moves on
def generation_check(*, request_id) -> None:
    """Step 1: the policy check. Refused requests stop here with every reason; allowed
    ones have their fee hold matched to the decision (GenerationAllowed) and move on to
    rendering, in one transaction, or are refused if the hold cannot grow to cover a
    character the prompt named."""
    request = GenerationRequest.objects.select_related("creator", "parent", "storyline").get(
        pk=request_id
    )
    if request.status == GenerationStatus.QUEUED:
        request = generation_transition(request_id=request_id, to=GenerationStatus.CHECKING)
    if request.status != GenerationStatus.CHECKING or request.decision_id:
        return
    # A take waits in the queue: its storyline may have closed or ended meanwhile.
    late = storyline_dates_refusals(storyline=request.storyline) if request.storyline else []
    if late:
        message = late[0]["message"]
        generation_transition(
            request_id=request_id,
            to=GenerationStatus.REFUSED,
            note=message,
            reason=message,
            reasons=late,
        )
        return
    decision, record = licensing_services.policy_screen(
        creator=request.creator,
        prompt=request.prompt,
        character_ids=[str(c) for c in request.characters.values_list("pk", flat=True)],
        territory=request.territory or None,
        commercial=request.commercial,
        rating=request.rating,
        parent=parent_facts(request.parent),
        purpose="generation",
        works_reserved=caps.works_in_flight,
    )
    reasons = [r.to_dict() for r in decision.reasons]
    if not decision.allowed:
        message = " ".join(r.message for r in decision.refusals)
        generation_transition(
            request_id=request_id,
            to=GenerationStatus.REFUSED,
            note=message,
            reason=message,
            reasons=reasons,
            decision=record,
        )
        return
    try:
        with transaction.atomic():
            GenerationRequest.objects.filter(pk=request_id).update(
                decision=record, reasons=reasons, effective_terms=decision.effective
            )
            # Payments makes the fee hold match what the decision found due, in this
            # transaction: the request renders only with its fees secured, and a re-run
            # finds the decision.
            events.publish(
                GenerationAllowed(
                    request_id=request.pk,
                    creator_id=request.creator_id,
                    fees=_fees_owed(request.creator, record.character_ids),
                )
            )
            generation_transition(request_id=request_id, to=GenerationStatus.RENDERING)
    except InsufficientFunds as exc:
        # The prompt named a licensed character whose fee the hold does not cover.
        reasons.append(
            {
                "code": str(exc.code),
                "term": "per_generation_fee",
                "message": exc.detail,
                "character_id": None,
                "character_name": None,
                "severity": "refuse",
                "matched_as": None,
            }
        )
        generation_transition(
            request_id=request_id,
            to=GenerationStatus.REFUSED,
            note=exc.detail,
            reason=exc.detail,
            reasons=reasons,
            decision=record,
        )


# Namespace of the works' ids, derived from their requests' (uuid5).
WORK_ID_NAMESPACE = uuid.UUID("6f1c2b8e-3d0a-5e47-9b21-c0c0a7e5f1d2")


def _render_name(request_id, filename: str) -> str:
    """Where a request's rendered (unsigned) files wait in storage between the render and
    the sign step, which may run on different hosts. Served to nobody (no media kind)."""
    return f"renders/{request_id}/{filename}"


def _character_refs(request: GenerationRequest, *, folder: Path) -> tuple[CharacterRef, ...]:
    """The characters to draw, each with its first reference image copied from storage
    into ``folder`` (the renderers read local files)."""
    ids = set(request.characters.values_list("pk", flat=True))
    if request.parent is not None:
        ids |= set(request.parent.licenses.values_list("character_id", flat=True))
    refs = []
    for character in licensing_selectors.characters_with_images(ids=ids):
        paths = tuple(
            media_copy_to(
                name=str(img.image.name),
                dest=folder / str(character.pk) / Path(str(img.image.name)).name,
            )
            for img in character.images.all()[:1]
        )
        refs.append(CharacterRef(str(character.pk), character.name, paths))
    return tuple(refs)


def _parent_ref(parent: Work | None) -> ParentRef | None:
    """The parent as a renderer reads it: its video opened from storage as a stream, and
    the id its hosted renderer gave it (kept in its request's render output)."""
    if parent is None:
        return None
    metadata = (parent.request.render_output or {}).get("metadata") or {}
    return ParentRef(
        work_id=str(parent.pk),
        title=parent.title,
        backend=parent.backend,
        open_video=lambda: parent.video.storage.open(str(parent.video.name), "rb"),
        provider_video_id=str(metadata.get("provider_video_id") or ""),
    )


def generation_render(*, request_id) -> None:
    """Step 2: render with the configured backend in a temporary folder of this worker,
    then store the video and poster under the request's own names (``renders/<id>/``),
    so a re-run (after a crash or redelivery) replaces them instead of duplicating, and
    the sign step finds them from any host."""
    request = GenerationRequest.objects.select_related("parent__request").get(pk=request_id)
    if request.status != GenerationStatus.RENDERING:
        return
    GenerationRequest.objects.filter(pk=request_id).update(
        render_attempts=request.render_attempts + 1
    )
    with media_workdir(prefix=f"cocreate-render-{request_id}-") as folder:
        output = folder / "output"
        output.mkdir()
        spec = RenderSpec(
            request_id=str(request.pk),
            prompt=request.prompt,
            seed=request.seed,
            duration_s=request.duration_s,
            characters=_character_refs(request, folder=folder / "references"),
            output_dir=output,
            credits=tuple(request.effective_terms.get("credits", [])),
            parent=_parent_ref(request.parent),
        )
        backend, result = _render_with(request=request, spec=spec)
        video = media_store(name=_render_name(request_id, "video.mp4"), path=result.video_path)
        poster = media_store(name=_render_name(request_id, "poster.jpg"), path=result.poster_path)
    generation_transition(
        request_id=request_id,
        to=GenerationStatus.SIGNING,
        render_output={
            "video": video,
            "poster": poster,
            "duration_s": result.duration_s,
            "width": result.width,
            "height": result.height,
            "frame_count": result.frame_count,
            "backend": backend.name,
            "metadata": result.metadata,
        },
    )


def _render_with(*, request: GenerationRequest, spec: RenderSpec):
    """Run the request's backend on ``spec``, reporting progress (and renewing the
    lease) as it goes."""
    request_id = request.pk
    last = {"pct": -1}
    lease = LeaseHeartbeat(request_id)

    def progress(fraction: float) -> None:
        lease.beat()
        pct = 10 + int(80 * min(max(fraction, 0.0), 1.0))
        if pct >= last["pct"] + 3 or fraction >= 1.0:
            last["pct"] = pct
            GenerationRequest.objects.filter(pk=request_id, progress__lt=pct).update(progress=pct)

    backend = get_backend(request.backend)
    return backend, backend.render(spec, progress)


def _licenses_for(request: GenerationRequest) -> list[dict]:
    """The licences the work relies on: the creator's grants for its own characters,
    plus the parent's (inherited) for characters only the parent brought in."""
    parent_ids: set[str] = set()
    if request.parent is not None:
        parent_ids = {
            str(c) for c in request.parent.licenses.values_list("character_id", flat=True)
        }
    involved = [str(c) for c in request.decision.character_ids] if request.decision else []
    requested = {str(c) for c in request.characters.values_list("pk", flat=True)}
    # The remix's own characters: those it asked for or its prompt names anew. The
    # parent's characters it does not re-request are inherited.
    own_ids = [c for c in involved if c in requested or c not in parent_ids]
    facts = licensing_selectors.policy_facts(
        user=request.creator, character_ids=[*own_ids, *parent_ids]
    )
    characters = {str(c.pk): c for c in licensing_selectors.characters_with_owners(ids=facts)}
    rows = []
    for cid, fact in facts.items():
        if fact.grant is None or fact.grant.status != "active":
            continue
        terms: Terms = fact.grant.terms
        rows.append(
            {
                "character": characters[cid],
                "grant_id": fact.grant.grant_id,
                "offer_id": fact.grant.offer_id,
                "terms_hash": fact.grant.terms_hash,
                "rightsholder": fact.rightsholder,
                "rev_share_bps": terms.rev_share_bps,
                "upstream_model": terms.upstream_model,
                "commercial_use": terms.commercial_use,
                "inherited": cid in parent_ids and cid not in own_ids,
            }
        )
    return rows


def generation_sign(*, request_id) -> None:
    """Step 3: sign the video and poster (C2PA) and create the Work, exactly once:
    the Work's one-to-one with the request makes a re-run find it instead."""
    request = GenerationRequest.objects.select_related("creator", "parent", "decision").get(
        pk=request_id
    )
    if request.status != GenerationStatus.SIGNING or Work.objects.filter(request=request).exists():
        return
    licenses = _licenses_for(request)
    # The request's one work always has this id, so a re-run after a crash signs the
    # same id into the manifest and writes to the same folder (see _work_store).
    work_id = uuid.uuid5(WORK_ID_NAMESPACE, str(request.pk))
    rendered = request.render_output
    # Signing reads and writes local files: the rendered ones (and a remix's parent) are
    # copied from storage into this worker's temporary folder, and the signed ones
    # stored from it.
    with media_workdir(prefix=f"cocreate-sign-{request_id}-") as folder:
        try:
            video = media_copy_to(name=rendered["video"], dest=folder / "rendered" / "video.mp4")
            poster = media_copy_to(name=rendered["poster"], dest=folder / "rendered" / "poster.jpg")
        except FileNotFoundError:
            # A late copy of this step, after another stored the work and routing
            # removed the rendered files: nothing left to do.
            if Work.objects.filter(request_id=request_id).exists():
                return
            raise
        parent_video = None
        if request.parent is not None:
            parent_video = media_copy_to(
                name=str(request.parent.video.name), dest=folder / "parent" / "video.mp4"
            )
        info = _provenance(request, work_id=work_id, licenses=licenses, parent_video=parent_video)
        signed_video, signed_poster = folder / "signed.mp4", folder / "signed.jpg"
        manifest = sign_media(source=video, dest=signed_video, mime="video/mp4", info=info)
        sign_media(source=poster, dest=signed_poster, mime="image/jpeg", info=info)
        _work_store(
            request_id=request_id,
            work_id=work_id,
            manifest=manifest,
            video=signed_video,
            poster=signed_poster,
            licenses=licenses,
        )


def _provenance(
    request: GenerationRequest,
    *,
    work_id: uuid.UUID,
    licenses: list[dict],
    parent_video: Path | None,
):
    """What the C2PA manifest says: the work, its creator, the renderer, each licence
    (character, offer version, terms hash, grant, rightsholder) and the parent."""
    versions = licensing_selectors.offer_versions(ids=[r["offer_id"] for r in licenses])
    training = licensing_selectors.offer_training_terms(ids=[r["offer_id"] for r in licenses])
    return ProvenanceInfo(
        work_id=str(work_id),
        title=request.prompt[:120],
        creator=str(request.creator),
        generator=f"Cocreate ({request.render_output['backend']} renderer)",
        licenses=tuple(
            LicenseClaim(
                character_id=str(r["character"].pk),
                character_name=r["character"].name,
                offer_id=str(r["offer_id"]),
                offer_version=versions.get(uuid.UUID(str(r["offer_id"])), 0),
                terms_hash=r["terms_hash"],
                grant_id=str(r["grant_id"]),
                rightsholder=r["rightsholder"],
            )
            for r in licenses
        ),
        parent=ParentIngredient(
            work_id=str(request.parent.pk),
            title=request.parent.title,
            video_file=parent_video,
        )
        if request.parent is not None and parent_video is not None
        else None,
        training_use=training_use(ai_training_terms=training.values()),
    )


def _commercial_by_terms(*, request: GenerationRequest, licenses: list[dict]) -> bool:
    """Whether the work may earn commercially (tips, ad revenue): only if every licence
    it uses allows commercial use, its own and inherited ones and the parent's
    ``same_terms`` ones (merged into the decision's effective terms). The creator's
    "commercial" tick is only a request, which the policy check refused if a term
    forbade it; an unticked request under commercial terms is commercial too."""
    if not request.effective_terms.get("commercial_use"):
        return False
    return all(row["commercial_use"] for row in licenses)


def _work_store(
    *,
    request_id,
    work_id: uuid.UUID,
    manifest,
    video: Path,
    poster: Path,
    licenses: list[dict],
) -> None:
    """Create the Work with its signed files and licences, unless a re-run already did."""
    with transaction.atomic():
        request = GenerationRequest.objects.select_for_update().get(pk=request_id)
        if Work.objects.filter(request=request).exists():
            return
        # Failed while it was being signed (its licence revoked, say): no work.
        if request.status != GenerationStatus.SIGNING:
            return
        if caps.work_store_refused(request=request, licenses=licenses):
            return
        rendered = request.render_output
        work = Work(
            id=work_id,
            request=request,
            creator=request.creator,
            parent=request.parent,
            storyline_id=request.storyline_id,
            depth=(request.parent.depth + 1) if request.parent else 0,
            title=request.prompt[:120],
            prompt=request.prompt,
            status=WorkStatus.PENDING_APPROVAL,
            duration_s=rendered["duration_s"],
            width=rendered["width"],
            height=rendered["height"],
            frame_count=rendered["frame_count"],
            backend=rendered["backend"],
            manifest=manifest,
            commercial=_commercial_by_terms(request=request, licenses=licenses),
        )
        # No work exists for the request, so files at its paths are what a worker killed
        # between storing them and committing left behind: replace them instead of
        # storing beside them under new names.
        for name in ("video.mp4", "poster.jpg"):
            path = work_media_path(work, name)
            if work.video.storage.exists(path):
                work.video.storage.delete(path)
        with video.open("rb") as video_file, poster.open("rb") as poster_file:
            work.video.save("video.mp4", File(video_file), save=False)
            work.poster.save("poster.jpg", File(poster_file), save=False)
        work.save()
        WorkLicense.objects.bulk_create(
            WorkLicense(
                work=work,
                character=r["character"],
                grant_id=r["grant_id"],
                offer_id=r["offer_id"],
                terms_hash=r["terms_hash"],
                rightsholder=r["rightsholder"],
                rev_share_bps=r["rev_share_bps"],
                upstream_model=r["upstream_model"],
                inherited=r["inherited"],
            )
            for r in licenses
        )


def generation_route(*, request_id) -> None:
    """Step 4: publish, or send the work to its rightsholders' approval queues when a
    term demands per-work review (or a likeness owner approves each use)."""
    request = GenerationRequest.objects.get(pk=request_id)
    if request.status != GenerationStatus.SIGNING:
        return
    work = Work.objects.filter(request=request).first()
    if work is None:
        return
    needs_review = request.effective_terms.get("approval_per_work") or []
    review_ids = set(needs_review)
    for reason in request.reasons:
        if reason.get("severity") == "review" and reason.get("character_id"):
            review_ids.add(reason["character_id"])
    if review_ids:
        hours = min(
            (
                lic.offer.parsed_terms.approval_deadline_hours
                for lic in work.licenses.select_related("offer")
                if str(lic.character_id) in review_ids
            ),
            default=72,
        )
        with transaction.atomic():
            work_approvals_open(
                work=work,
                character_ids=sorted(review_ids),
                deadline=timezone.now() + timedelta(hours=hours),
            )
            generation_transition(request_id=request_id, to=GenerationStatus.AWAITING_APPROVAL)
    else:
        with transaction.atomic():
            published = (
                Work.objects.filter(pk=work.pk)
                .exclude(status=WorkStatus.PUBLISHED)
                .update(status=WorkStatus.PUBLISHED, published_at=timezone.now())
            )
            work_publication_moved(
                parent_id=work.parent_id, was_published=False, published=bool(published)
            )
            feed_entries_sync(work_ids=[work.pk])
            generation_transition(request_id=request_id, to=GenerationStatus.PUBLISHED)
    # The work holds its signed files: the unsigned ones the render step stored have
    # served their purpose (a re-run of this step returns above, before reading them).
    rendered = request.render_output or {}
    media_delete(names=[rendered.get("video", ""), rendered.get("poster", "")])


def render_failed(*, request_id, error: RenderFailed) -> None:
    log.warning("render failed for %s: %s", request_id, error.reason)
    generation_fail(request_id=request_id, reason=error.reason)
