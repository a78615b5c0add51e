"""Marketplace pages: home, studio with live progress, my works, work page with
lineage, the feed, and the public provenance check."""

import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from core.errors import DomainError, InsufficientFunds, NotPermitted
from core.money import Money
from core.ratelimit import rate_limit_response
from core.replicas import replica_reads
from core.uploads import validate_image
from marketplace import selectors, services
from marketplace import selectors_storylines as storyline_selectors
from marketplace.enums import TERMINAL_STATUSES, GenerationStatus, WorkStatus
from marketplace.models import GenerationRequest, Work
from marketplace.provenance.training import tdmrep_rules
from marketplace.provenance.verify import verify_media
from marketplace.refusals import refusal_advice, request_advice
from marketplace.web.cards import feed_cards
from marketplace.web.comments import comments_context
from marketplace.web.forms import StudioForm, VerifyForm

VERIFY_TYPES = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG": "image/png"}


@replica_reads
def home(request: HttpRequest) -> HttpResponse:
    works, _ = selectors.feed_page(size=6)
    return render(request, "marketplace/home.html", {"works": _with_social(works, request.user)})


def _studio_form(
    request: HttpRequest, data=None, initial: dict | None = None, *, remix: bool = False
) -> StudioForm:
    characters = selectors.active_grant_characters(user=request.user)
    return StudioForm(
        data,
        character_choices=[(str(c.pk), c.name) for c in characters],
        initial=initial or {},
        remix=remix,
    )


def _parent(request: HttpRequest, parent_id) -> Work | None:
    if not parent_id:
        return None
    try:
        parent_id = uuid.UUID(str(parent_id))
    except ValueError:
        raise Http404("No such work to remix") from None
    work = selectors.work_visible_to(pk=parent_id, user=request.user)
    if work is None or work.status != WorkStatus.PUBLISHED:
        raise Http404("No such work to remix")
    return work


def _again(request: HttpRequest) -> GenerationRequest | None:
    """The creator's own earlier request to fill the studio with (``?again=<id>``, the
    "Change the prompt" link of a refusal); someone else's is not found."""
    try:
        pk = uuid.UUID(request.GET.get("again", ""))
    except ValueError:
        return None
    return selectors.request_for_creator(pk=pk, user=request.user)


def _initial(again: GenerationRequest | None, parent: Work | None, backend: str = "") -> dict:
    """What the studio starts with: an earlier request as it was, or for a remix the
    parent's characters ticked in advance; ``?backend=`` picks the renderer."""
    initial: dict = {"parent": parent.pk if parent else None}
    if backend:
        initial["backend"] = backend
    if again is not None:
        initial |= {
            "backend": again.backend,
            "prompt": again.prompt,
            "characters": [str(c.pk) for c in again.characters.all()],
            "duration_s": again.duration_s,
            "commercial": again.commercial,
            "territory": again.territory,
            "rating": again.rating,
        }
    elif parent is not None:
        initial["characters"] = selectors.work_character_ids(work=parent)
    return initial


def _studio_storyline(request: HttpRequest, again: GenerationRequest | None):
    """The storyline a take is made for (``?storyline=<id>``, its "Make a take" button,
    or the earlier request's), or None."""
    raw = request.POST.get("storyline") or request.GET.get("storyline")
    if not raw and again is not None and again.storyline_id:
        raw = str(again.storyline_id)
    if not raw:
        return None
    try:
        storyline = storyline_selectors.storyline_get(pk=uuid.UUID(str(raw)))
    except ValueError:
        storyline = None
    if storyline is None:
        raise Http404("No such storyline")
    return storyline


def _studio_parent(
    request: HttpRequest, again: GenerationRequest | None, storyline=None
) -> Work | None:
    parent_id = request.POST.get("parent") or request.GET.get("parent")
    if not parent_id and storyline is not None and storyline.opening_id:
        # A take remixes the storyline's opening video.
        parent_id = storyline.opening_id
    if not parent_id and again is not None and again.parent_id:
        # The earlier request remixed a work: remix it again, if it is still published.
        parent = selectors.work_visible_to(pk=again.parent_id, user=request.user)
        return parent if parent and parent.status == WorkStatus.PUBLISHED else None
    return _parent(request, parent_id)


def _cost(cards: list, ticked: list[str]) -> dict:
    """What generating with the ticked characters costs before it starts: each fee as a
    line, and the total per currency."""
    lines, totals = [], {}
    for card in cards:
        if card.id not in ticked or not card.currency:
            continue
        if card.licence_fee:
            lines.append(
                (f"Licence for {card.name} (once)", Money(card.licence_fee, card.currency))
            )
        if card.per_video:
            lines.append((f"{card.name}, per video", Money(card.per_video, card.currency)))
    for _, money in lines:
        totals[money.currency] = totals.get(money.currency, Money.zero(money.currency)) + money
    return {"lines": lines, "totals": list(totals.values())}


@login_required
@require_http_methods(["GET", "POST"])
def studio(request: HttpRequest) -> HttpResponse:
    if request.method == "POST" and (refused := rate_limit_response(request, "generate")):
        return refused
    again = _again(request) if request.method == "GET" else None
    storyline = _studio_storyline(request, again)
    parent = _studio_parent(request, again, storyline)
    initial = _initial(again, parent, request.GET.get("backend", ""))
    if storyline is not None and again is None:
        # A take starts with the storyline's characters ticked.
        initial["characters"] = [str(m.character_id) for m in storyline.cast.all()]
    form = _studio_form(request, request.POST or None, initial=initial, remix=parent is not None)
    top_up = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            generation = services.generation_request_create(
                creator=request.user,
                prompt=data["prompt"],
                character_ids=data["characters"],
                duration_s=data["duration_s"],
                parent=parent,
                commercial=data["commercial"],
                territory=data["territory"],
                rating=data["rating"],
                backend=data["backend"],
                storyline=storyline,
            )
        except InsufficientFunds as exc:
            top_up = exc
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.detail)
        else:
            return redirect(generation)
    if request.method == "POST":
        ticked = request.POST.getlist("characters")
    else:
        ticked = initial.get("characters", [])
    parent_ids = selectors.work_character_ids(work=parent) if parent else []
    cards = selectors.studio_characters(user=request.user, extra_ids=parent_ids)
    # With a parent, the page shows the remix's split for the characters chosen so far.
    context = {
        "form": form,
        "top_up": top_up,
        "parent": parent,
        "storyline": storyline,
        "cards": cards,
        "ticked": ticked,
        "cost": _cost(cards, [*ticked, *parent_ids]),
        "split_characters": ticked,
    }
    return render(request, "marketplace/studio.html", context)


@login_required
@require_POST
def studio_check(request: HttpRequest) -> HttpResponse:
    """The "check terms" button: the policy decision without generating (htmx)."""
    refused = rate_limit_response(request, "screen", template="marketplace/_check_result.html")
    if refused:
        return refused
    parent = _parent(request, request.POST.get("parent"))
    form = _studio_form(request, request.POST, remix=parent is not None)
    context: dict = {"parent": parent}
    if not form.is_valid():
        context["problems"] = [
            f"{form[name].label}: {errors[0]}" if name in form.fields else errors[0]
            for name, errors in form.errors.items()
        ]
        return render(request, "marketplace/_check_result.html", context)
    data = form.cleaned_data
    try:
        decision = services.generation_preview_check(
            creator=request.user,
            prompt=data["prompt"],
            character_ids=data["characters"],
            parent=parent,
            territory=data["territory"],
            commercial=data["commercial"],
            rating=data["rating"],
        )
    except DomainError as exc:
        context["problems"] = [exc.detail]
    else:
        # A take must also keep its storyline's rules (dates, length, cast, offer).
        storyline = _studio_storyline(request, None)
        broken = (
            services.storyline_preview_check(
                storyline=storyline,
                creator=request.user,
                character_ids=data["characters"],
                duration_s=data["duration_s"],
            )
            if storyline is not None
            else []
        )
        context["decision"] = decision
        context["allowed"] = decision.allowed and not broken
        context["refusals"] = refusal_advice(
            [*broken, *decision.reasons], territory=data["territory"], again_url="#id_prompt"
        )
        context["reviews"] = refusal_advice(decision.reasons, severity="review")
    parent_ids = selectors.work_character_ids(work=parent) if parent else []
    cards = selectors.studio_characters(user=request.user, extra_ids=parent_ids)
    context["cost"] = _cost(cards, [*data["characters"], *parent_ids])
    context["split_characters"] = data["characters"]
    return render(request, "marketplace/_check_result.html", context)


@login_required
def generation_detail(request: HttpRequest, pk) -> HttpResponse:
    generation = selectors.request_for_creator(pk=pk, user=request.user)
    if generation is None:
        raise Http404("No such request")
    work = selectors.work_of_request(request=generation)
    ended = generation.status in (GenerationStatus.REFUSED, GenerationStatus.FAILED)
    context = {
        "generation": generation,
        "work": work,
        "done": generation.status in TERMINAL_STATUSES,
        # Refused or failed: what happened and what to do, instead of a progress bar.
        "advice": request_advice(generation) if ended else [],
        "reviewers": selectors.work_pending_reviewers(work=work)
        if work is not None and generation.status == GenerationStatus.AWAITING_APPROVAL
        else [],
    }
    if request.htmx:
        return render(request, "marketplace/_progress.html", context)
    return render(request, "marketplace/generation_detail.html", context)


@login_required
def my_works(request: HttpRequest) -> HttpResponse:
    generations = selectors.my_works_rows(user=request.user)
    likeness_works = selectors.works_showing_likeness_of(user=request.user)[:100]
    return render(
        request,
        "marketplace/my_works.html",
        {"generations": generations, "likeness_works": likeness_works},
    )


@replica_reads
def work_detail(request: HttpRequest, pk) -> HttpResponse:
    work = selectors.work_visible_to(pk=pk, user=request.user)
    if work is None:
        raise Http404("No such work")
    can_delete = request.user.is_authenticated and (
        work.creator_id == request.user.pk
        or request.user.is_staff
        or services.works._shows_likeness_of(work, request.user)
    )
    sees_declared = request.user.is_authenticated and (
        work.creator_id == request.user.pk
        or selectors.work_rightsholder_of(work=work, user=request.user)
    )
    _with_social([work], request.user)
    context = {
        "work": work,
        "ancestors": selectors.work_ancestors(work=work),
        "descendants": selectors.work_descendants(work=work),
        "can_delete": can_delete,
        # The creator's declarations (territory among them) are for the parties only.
        "declared": selectors.work_declared(work=work) if sees_declared else None,
        **comments_context(request, work),
    }
    return render(request, "marketplace/work_detail.html", context)


@login_required
@require_POST
def work_delete(request: HttpRequest, pk) -> HttpResponse:
    work = selectors.work_visible_to(pk=pk, user=request.user)
    if work is None:
        raise Http404("No such work")
    try:
        services.work_delete(work=work, by=request.user)
    except NotPermitted:
        # The same answer as for a work they cannot see: nothing to act on here.
        raise Http404("No such work") from None
    messages.success(request, "The video is deleted.")
    # The approvals queue sends its own page back; anything else goes to "my works".
    next_url = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        return redirect(next_url)
    return redirect("marketplace:my_works")


def _with_social(works: list, user) -> list:
    """Each work (a ``Work`` or a feed card) with ``.social``: its likes and its
    creator's followers, for the viewer."""
    social = selectors.works_social(works=works, user=user)
    for work in works:
        work.social = social[work.pk]  # type: ignore[attr-defined]
    return works


@replica_reads
def feed(request: HttpRequest) -> HttpResponse:
    """The feed from its read model: a page of stored cards (one query) and their social
    counts (two), whatever the page's length."""
    payloads, next_cursor = selectors.feed_entries_page(cursor=request.GET.get("cursor"))
    works = _with_social(feed_cards(payloads), request.user)
    template = "marketplace/_feed_items.html" if request.htmx else "marketplace/feed.html"
    return render(request, template, {"works": works, "next_cursor": next_cursor})


@require_safe
def tdmrep(request: HttpRequest) -> HttpResponse:
    """``/.well-known/tdmrep.json`` (W3C TDMRep): the media whose rightsholders reserve
    text and data mining, AI training included, with the policy to license it."""
    rules = tdmrep_rules(base_url=request.build_absolute_uri("/"))
    response = JsonResponse(rules, safe=False)
    response["Cache-Control"] = "public, max-age=300"
    return response


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """Anyone checks a file's (or a work's) C2PA provenance and the licences it names."""
    if request.method == "POST":
        form = VerifyForm(request.POST, request.FILES)
    elif "work" in request.GET:
        # The work page's "Verify provenance" link: check that work straight away.
        form = VerifyForm({"work": request.GET["work"]})
    else:
        form = VerifyForm()
    result = None
    if form.is_bound and form.is_valid():
        upload, work_id = form.cleaned_data.get("file"), form.cleaned_data.get("work")
        if upload is not None:
            limit = settings.VERIFY_MAX_BYTES
            if upload.size > limit:
                form.add_error("file", f"The file is larger than {limit // 1_048_576} MB.")
            else:
                head = upload.read(16)
                upload.seek(0)
                mime = next(
                    (m for magic, m in VERIFY_TYPES.items() if head.startswith(magic)), None
                )
                if mime is None and head[4:8] == b"ftyp":
                    mime = "video/mp4"
                if mime is None:
                    form.add_error("file", "Upload an MP4, JPEG or PNG.")
                elif mime != "video/mp4" and (refusal := _image_refusal(upload, limit)):
                    form.add_error("file", refusal)
                else:
                    result = verify_media(data=upload.read(), mime=mime)
        else:
            work = selectors.work_visible_to(pk=work_id, user=request.user)
            if work is None:
                form.add_error("work", "No published work has that id.")
            else:
                # Read through the storage API: the file may be in an object store.
                with work.video.storage.open(work.video.name, "rb") as video:
                    result = verify_media(data=video, mime="video/mp4")
    # A refused upload (or work id) is a 400, the form shown again with the reason.
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request, "marketplace/verify.html", {"form": form, "result": result}, status=status
    )


def _image_refusal(upload, max_bytes: int) -> str | None:
    """Why a JPEG or PNG to verify is refused (the checks every image upload gets:
    a decompression bomb, data appended after the image, a name of another type)."""
    try:
        validate_image(upload, max_bytes=max_bytes, max_side=10_000)
    except ValidationError as exc:
        return exc.messages[0]
    return None
