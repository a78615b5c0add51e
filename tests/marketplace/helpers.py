"""Make real works in-process, without a worker: the pipeline's four steps run inline;
and read the marketplace's pages."""

import re
from datetime import datetime

from django.core.files.base import ContentFile

from marketplace import services
from marketplace.enums import GenerationStatus, WorkStatus
from marketplace.models import GenerationEvent, GenerationRequest, Work, WorkLicense

SETTLED_WITH_A_WORK = (GenerationStatus.PUBLISHED, GenerationStatus.AWAITING_APPROVAL)


def run_pipeline(*, request_id) -> GenerationRequest:
    """Check (and charge), render, sign and route one request, as the Celery chain
    would."""
    for step in (
        services.generation_check,
        services.generation_render,
        services.generation_sign,
        services.generation_route,
    ):
        step(request_id=request_id)
    return GenerationRequest.objects.get(pk=request_id)


def make_work(
    *, creator, characters=(), prompt: str, parent: Work | None = None, duration_s: int = 4, **kw
) -> Work:
    """A rendered, signed work: published, or awaiting approval when its terms say so.
    Needs MEDIA_ROOT and the C2PA settings (see the ``signing`` fixture in the tests)."""
    request = services.generation_request_create(
        creator=creator,
        prompt=prompt,
        character_ids=[c.pk for c in characters],
        parent=parent,
        duration_s=duration_s,
        **kw,
    )
    request = run_pipeline(request_id=request.pk)
    assert request.status in SETTLED_WITH_A_WORK, (request.status, request.reason)
    return Work.objects.get(request=request)


def copy_published_work(*, work: Work, title: str, published_at: datetime) -> Work:
    """A further published work sharing ``work``'s rendered files and licences, for
    pages that need many works: rendering each would make the tests slow."""
    request = GenerationRequest.objects.create(
        creator=work.creator,
        prompt=title,
        duration_s=work.request.duration_s,
        seed=work.request.seed,
        status=GenerationStatus.PUBLISHED,
        progress=100,
        finished_at=published_at,
    )
    request.characters.set(work.request.characters.all())
    GenerationEvent.objects.create(request=request, to_status=request.status, note="copied")
    copy = Work.objects.create(
        request=request,
        creator=work.creator,
        title=title,
        prompt=title,
        status=WorkStatus.PUBLISHED,
        video=work.video.name,
        poster=work.poster.name,
        duration_s=work.duration_s,
        width=work.width,
        height=work.height,
        frame_count=work.frame_count,
        backend=work.backend,
        manifest=work.manifest,
        commercial=work.commercial,
        published_at=published_at,
    )
    WorkLicense.objects.bulk_create(
        WorkLicense(
            work=copy,
            character_id=lic.character_id,
            grant_id=lic.grant_id,
            offer_id=lic.offer_id,
            terms_hash=lic.terms_hash,
            rightsholder=lic.rightsholder,
            rev_share_bps=lic.rev_share_bps,
            upstream_model=lic.upstream_model,
            inherited=lic.inherited,
        )
        for lic in work.licenses.all()
    )
    # Its feed card, as the pipeline writes it when it publishes a work.
    services.feed_entries_sync(work_ids=[copy.pk])
    return copy


def store_files(work: Work) -> Work:
    """Store stand-ins for the video and poster a work made as rows names, under those
    names in its storage (MEDIA_ROOT, or a bucket): for tests that check a work's files
    are kept, served or removed, and never play them."""
    for field, data in (
        (work.video, b"stands for a video"),
        (work.poster, b"stands for a poster"),
    ):
        if field.storage.exists(field.name):
            field.storage.delete(field.name)
        stored = field.storage.save(field.name, ContentFile(data))
        assert stored == field.name, (stored, field.name)
    return work


# --- reading pages --------------------------------------------------------------------------


def field_chunk(html: str, name: str) -> str:
    """The markup of one field as rendered by accounts/_field.html."""
    chunks = re.split(r'(?=<div class="field)', html)
    matching = [c for c in chunks if f'name="{name}"' in c]
    assert matching, f"no field {name!r} on the page"
    return matching[0]


def field_errors(html: str, name: str) -> list[str]:
    return re.findall(r'<small class="error" role="alert">(.*?)</small>', field_chunk(html, name))


def section(html: str, start: str, end: str | None = None) -> str:
    """The part of ``html`` from ``start`` up to ``end`` (or the end)."""
    assert start in html, f"{start!r} not on the page"
    rest = html.split(start, 1)[1]
    return rest.split(end, 1)[0] if end else rest
