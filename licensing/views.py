"""Licensing web pages: catalog, character page and accept flow (creators); the
rightsholder dashboard (characters, offer editor, approvals; the overview is in
views_dashboard); my grants."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from accounts import selectors as accounts_selectors
from accounts.enums import EDITOR_ROLES
from accounts.models import Organization, User
from core.errors import DomainError, NotPermitted
from core.money import format_bps, format_minor
from licensing import forms, selectors, services
from licensing.enums import CharacterKind, OfferStatus
from licensing.models import Character, CharacterImage, Offer
from licensing.summary import summary_points
from licensing.terms import PRESETS_BY_KEY, Terms, preset_terms, validate_terms

CATALOG_PAGE_SIZE = 24


def _bool_filter(value: str, yes: str, no: str) -> bool | None:
    return True if value == yes else False if value == no else None


def catalog(request: HttpRequest) -> HttpResponse:
    form = forms.CatalogFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    characters = selectors.catalog_characters(
        q=filters.get("q", "").strip(),
        kind=filters.get("kind", ""),
        franchise=filters.get("franchise", "").strip(),
        commercial=_bool_filter(filters.get("use", ""), "commercial", "noncommercial"),
        free=_bool_filter(filters.get("price", ""), "free", "paid"),
    )
    page = Paginator(characters, CATALOG_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    template = "licensing/_catalog_results.html" if request.htmx else "licensing/catalog.html"
    return render(
        request,
        template,
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "franchises": selectors.catalog_franchises(),
        },
    )


def _summary(offer: Offer, character: Character) -> list[str]:
    return summary_points(
        offer.parsed_terms, kind=character.kind, rightsholder=character.rightsholder_name
    )


def character_detail(request: HttpRequest, pk) -> HttpResponse:
    character = selectors.character_visible_to(pk=pk, user=request.user)
    if character is None:
        raise Http404("No such character")
    can_edit = services.character_can_edit(character=character, user=request.user)
    offers = [
        {
            "offer": offer,
            "terms": offer.parsed_terms,
            "summary": _summary(offer, character),
            "form": forms.AcceptForm(
                initial={
                    "max_fee": offer.upfront_fee,
                    "max_rev_share_bps": offer.parsed_terms.rev_share_bps,
                }
            ),
        }
        for offer in character.published_offers
    ]
    held = set()
    if request.user.is_authenticated:
        held = set(
            selectors.grants_for_licensee(user=request.user)
            .filter(
                character=character, status__in=["active", "pending_payment", "pending_approval"]
            )
            .values_list("series", flat=True)
        )
    return render(
        request,
        "licensing/character_detail.html",
        {"character": character, "offers": offers, "can_edit": can_edit, "held_series": held},
    )


def _price_changed_message(offer: Offer, exc: DomainError) -> str:
    current = selectors.current_offer(series=offer.series)
    if current is None:
        return f"Not accepted: {exc.detail}"
    terms = current.parsed_terms
    return (
        f"Not accepted: the terms changed. Version {current.version} now costs "
        f"{format_minor(terms.upfront_fee, terms.currency)} upfront with a "
        f"{format_bps(terms.rev_share_bps)} revenue share. Nothing was charged; "
        "read the new terms and accept again if they suit you."
    )


@login_required
@require_POST
def offer_accept(request: HttpRequest, pk, offer_pk) -> HttpResponse:
    # A page opened before a newer version was published still posts the old version;
    # grant_accept judges the series' current version against the price agreed.
    offer = Offer.objects.filter(
        pk=offer_pk,
        character_id=pk,
        status__in=[OfferStatus.PUBLISHED, OfferStatus.SUPERSEDED],
    ).first()
    if offer is None:
        messages.error(request, "That offer is no longer available.")
        return redirect("licensing:character_detail", pk=pk)
    form = forms.AcceptForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The acceptance was incomplete; please try again.")
        return redirect("licensing:character_detail", pk=pk)
    try:
        grant = services.grant_accept(offer=offer, by=request.user, **form.cleaned_data)
    except services.PriceChanged as exc:
        messages.error(request, _price_changed_message(offer, exc))
        return redirect("licensing:character_detail", pk=pk)
    except DomainError as exc:
        messages.error(request, f"Not accepted: {exc.detail}")
        return redirect("licensing:character_detail", pk=pk)
    notes = {
        "active": f"Your licence for {grant.character.name} is active.",
        "pending_approval": (
            f"Requested. {grant.character.name}'s rightsholder will review your request."
        ),
        "pending_payment": "Accepted. Payment is needed before the licence becomes active.",
    }
    messages.success(request, notes.get(grant.status, "Accepted."))
    return redirect("licensing:my_grants")


@login_required
def my_grants(request: HttpRequest) -> HttpResponse:
    grants = selectors.grants_for_licensee(user=request.user)
    return render(request, "licensing/my_grants.html", {"grants": grants})


@login_required
@require_POST
def grant_end(request: HttpRequest, pk) -> HttpResponse:
    # Only the licensee ends a licence; to anyone else it does not exist.
    grant = selectors.grants_for_licensee(user=request.user).filter(pk=pk).first()
    if grant is None:
        raise Http404("No such grant")
    try:
        services.grant_end_by_licensee(grant=grant, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, f"Your licence for {grant.character.name} has ended.")
    return redirect("licensing:my_grants")


# --- rightsholder dashboard -----------------------------------------------------------


def _owner_choices(user: User) -> list[tuple[str, str]]:
    choices = [
        (f"org:{m.organization.slug}", m.organization.name)
        for m in accounts_selectors.organization_list_for_user(user=user)
        if m.role in EDITOR_ROLES
    ]
    return [*choices, ("self", "My own likeness")]


def _editable_character(request: HttpRequest, pk) -> Character:
    character = (
        Character.objects.select_related("owner_organization", "owner_user").filter(pk=pk).first()
    )
    if character is None or not services.character_can_edit(character=character, user=request.user):
        raise Http404("No such character")
    return character


# Service field names that a form shows under another name.
_FORM_FIELD_FOR = {"owner_organization": "owner"}


def _form_errors(form, exc: DomainError) -> None:
    errors = getattr(exc, "errors", None) or {exc.field: [exc.detail]}
    for field, messages_ in errors.items():
        field = _FORM_FIELD_FOR.get(field, field)
        target = field if field in form.fields else None
        for message in messages_:
            form.add_error(
                target, message if target else f"{field}: {message}" if field else message
            )


@login_required
@require_http_methods(["GET", "POST"])
def character_create(request: HttpRequest) -> HttpResponse:
    owners = _owner_choices(request.user)
    posted_owner = request.POST.get("owner", "")
    if posted_owner.startswith("org:") and posted_owner not in dict(owners):
        # The form offers only organizations the user edits; another one is refused as
        # the API refuses it (403), not re-rendered as a form error on a 200 page.
        raise NotPermitted("You cannot add characters to that organization.")
    form = forms.CharacterForm(request.POST or None, request.FILES or None, owners=owners)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        owner = data["owner"]
        organization = None
        if owner.startswith("org:"):
            organization = Organization.objects.filter(slug=owner[4:]).first()
        try:
            # One transaction, so that a refused image leaves no character behind.
            with transaction.atomic():
                character = services.character_create(
                    by=request.user,
                    kind=CharacterKind.LIKENESS if owner == "self" else CharacterKind.CHARACTER,
                    owner_organization=organization,
                    name=data["name"],
                    aliases=data["aliases"],
                    description=data["description"],
                    franchise=data["franchise"],
                    disallowed=data["disallowed"],
                    likeness_attested=data["likeness_attested"],
                )
                if data.get("image"):
                    services.character_image_add(
                        character=character, by=request.user, file=data["image"]
                    )
        except DomainError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, f"{character.name} is registered. Now publish an offer.")
            return redirect("licensing:character_manage", pk=character.pk)
    # A refused submission is a 400, the form shown again with its errors.
    status = 400 if request.method == "POST" else 200
    return render(request, "licensing/character_form.html", {"form": form}, status=status)


def _edit_initial(character: Character) -> dict:
    return {
        "name": character.name,
        "aliases": forms.format_aliases(character.aliases.all()),
        "franchise": character.franchise,
        "description": character.description,
        "status": character.status,
        "disallowed": character.disallowed,
    }


@login_required
@require_http_methods(["GET", "POST"])
def character_manage(request: HttpRequest, pk) -> HttpResponse:
    character = _editable_character(request, pk)
    form = forms.CharacterEditForm(
        request.POST or None,
        initial=_edit_initial(character),
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        aliases = data.pop("aliases")
        try:
            with transaction.atomic():
                services.character_update(character=character, by=request.user, **data)
                services.character_aliases_set(
                    character=character, by=request.user, aliases=aliases
                )
        except DomainError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, "Saved. Prompt screening uses the new names at once.")
            return redirect("licensing:character_manage", pk=character.pk)
    return _manage_page(request, character, form=form)


def _manage_page(
    request: HttpRequest,
    character: Character,
    *,
    form: forms.CharacterEditForm | None = None,
    image_form: forms.ImageForm | None = None,
    status: int = 200,
) -> HttpResponse:
    if form is None:
        form = forms.CharacterEditForm(initial=_edit_initial(character))
    return render(
        request,
        "licensing/character_manage.html",
        {
            "character": character,
            "form": form,
            "image_form": image_form or forms.ImageForm(),
            "new_offer_form": forms.NewOfferForm(),
            "offers": selectors.offers_for_character(character=character),
            "images": character.images.all(),
        },
        status=status,
    )


@login_required
@require_POST
def character_image_add(request: HttpRequest, pk) -> HttpResponse:
    character = _editable_character(request, pk)
    form = forms.ImageForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.character_image_add(
                character=character, by=request.user, file=form.cleaned_data["image"]
            )
        except DomainError as exc:
            form.add_error("image", exc.detail)
        else:
            messages.success(request, "Image added.")
            return redirect("licensing:character_manage", pk=pk)
    # Refused: a 400, the page shown again with the reason next to the image field.
    return _manage_page(request, character, image_form=form, status=400)


@login_required
@require_POST
def character_image_delete(request: HttpRequest, pk, image_pk) -> HttpResponse:
    character = _editable_character(request, pk)
    image = CharacterImage.objects.filter(pk=image_pk, character=character).first()
    if image is None:
        raise Http404("No such image")
    services.character_image_delete(image=image, by=request.user)
    messages.success(request, "Image removed.")
    return redirect("licensing:character_manage", pk=pk)


@login_required
@require_POST
def offer_create(request: HttpRequest, pk) -> HttpResponse:
    character = _editable_character(request, pk)
    form = forms.NewOfferForm(request.POST)
    preset = form.cleaned_data["preset"] if form.is_valid() else ""
    terms = (
        preset_terms(preset, credit_text=character.rightsholder_name)
        if preset
        else Terms(credit_text=character.rightsholder_name)
    )
    offer = services.offer_create_draft(
        character=character, by=request.user, terms=terms.to_dict(), preset=preset
    )
    return redirect("licensing:offer_edit", pk=offer.pk)


def editable_offer_or_404(request: HttpRequest, pk) -> Offer:
    offer = (
        Offer.objects.select_related("character__owner_organization", "character__owner_user")
        .filter(pk=pk)
        .first()
    )
    if offer is None or not services.character_can_edit(
        character=offer.character, user=request.user
    ):
        raise Http404("No such offer")
    return offer


def _resolve_people_and_costars(form: forms.OfferTermsForm) -> tuple[list[str], list[str]] | None:
    emails = form.list_value("audience_allowlist")
    users = {
        u.email.lower(): str(u.pk)
        for u in User.objects.filter(email__in=[e.lower() for e in emails])
    }
    unknown = [e for e in emails if e.lower() not in users]
    if unknown:
        form.add_error("audience_allowlist", f"No account uses: {', '.join(unknown)}.")
    names = form.list_value("banned_costars")
    found = {c.name.lower(): str(c.pk) for c in Character.objects.filter(name__in=names)}
    missing = [n for n in names if n.lower() not in found]
    if missing:
        form.add_error("banned_costars", f"No character called: {', '.join(missing)}.")
    if unknown or missing:
        return None
    return [users[e.lower()] for e in emails], [found[n.lower()] for n in names]


def _offer_form_initial(offer: Offer) -> dict:
    terms = offer.parsed_terms
    emails = list(
        User.objects.filter(pk__in=terms.audience_allowlist).values_list("email", flat=True)
    )
    costars = list(
        Character.objects.filter(pk__in=terms.banned_costars).values_list("name", flat=True)
    )
    return forms.OfferTermsForm.initial_from(
        terms, title=offer.title, emails=emails, costar_names=costars
    )


@login_required
@require_http_methods(["GET", "POST"])
def offer_edit(request: HttpRequest, pk) -> HttpResponse:
    offer = editable_offer_or_404(request, pk)
    if offer.status != OfferStatus.DRAFT:
        try:
            draft = services.offer_new_version(offer=offer, by=request.user)
        except DomainError as exc:
            messages.error(request, exc.detail)
            return redirect("licensing:character_manage", pk=offer.character_id)
        messages.info(
            request, f"Version {offer.version} is {offer.status} and frozen; this is a new draft."
        )
        return redirect("licensing:offer_edit", pk=draft.pk)
    form = forms.OfferTermsForm(request.POST or None, initial=_offer_form_initial(offer))
    if request.method == "POST" and form.is_valid():
        resolved = _resolve_people_and_costars(form)
        if resolved is not None:
            allowlist, costars = resolved
            try:
                services.offer_update_draft(
                    offer=offer,
                    by=request.user,
                    terms=form.to_terms(allowlist_ids=allowlist, costar_ids=costars),
                    title=form.cleaned_data["title"],
                )
                if request.POST.get("publish"):
                    services.offer_publish(offer=offer, by=request.user)
            except DomainError as exc:
                _form_errors(form, exc)
            else:
                if request.POST.get("publish"):
                    messages.success(request, f"Version {offer.version} is published.")
                    return redirect("licensing:character_manage", pk=offer.character_id)
                messages.success(request, "Draft saved.")
                return redirect("licensing:offer_edit", pk=offer.pk)
    preview = _summary(offer, offer.character)
    return render(
        request,
        "licensing/offer_edit.html",
        {"offer": offer, "form": form, "preview": preview, "presets": PRESETS_BY_KEY.values()},
    )


@login_required
@require_POST
def offer_preview(request: HttpRequest, pk) -> HttpResponse:
    """The live plain-language preview while editing (htmx)."""
    offer = editable_offer_or_404(request, pk)
    form = forms.OfferTermsForm(request.POST)
    points: list[str] = []
    problems: list[str] = []
    if form.is_valid():
        data = form.to_terms(allowlist_ids=[], costar_ids=[])
        errors = validate_terms(data)
        if errors:
            problems = [f"{field.replace('_', ' ')}: {msgs[0]}" for field, msgs in errors.items()]
        else:
            character = offer.character
            points = summary_points(
                Terms.from_dict(data), kind=character.kind, rightsholder=character.rightsholder_name
            )
    else:
        problems = [f"{field.replace('_', ' ')}: {errs[0]}" for field, errs in form.errors.items()]
    return render(
        request, "licensing/_summary_preview.html", {"preview": points, "problems": problems}
    )


@login_required
@require_POST
def offer_publish(request: HttpRequest, pk) -> HttpResponse:
    offer = editable_offer_or_404(request, pk)
    try:
        services.offer_publish(offer=offer, by=request.user)
    except DomainError as exc:
        messages.error(request, f"Not published: {exc.detail}")
    else:
        messages.success(request, f"Version {offer.version} is published.")
    return redirect("licensing:character_manage", pk=offer.character_id)


def _uuid_or_404(value: str | None) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise Http404("No such licence request") from None


@login_required
@require_http_methods(["GET", "POST"])
def approvals(request: HttpRequest) -> HttpResponse:
    if request.method == "POST" and request.POST.get("work_approval"):
        return _decide_work_approval(request)
    if request.method == "POST":
        # Only the rightsholder decides; to anyone else (the licensee too) the request
        # does not exist.
        grant = (
            selectors.grants_for_licensor(user=request.user)
            .filter(pk=_uuid_or_404(request.POST.get("grant")))
            .first()
        )
        form = forms.GrantDecisionForm(request.POST)
        if grant is None:
            raise Http404("No such licence request")
        if form.is_valid():
            try:
                if form.cleaned_data["decision"] == "approve":
                    services.grant_approve(grant=grant, by=request.user)
                    messages.success(
                        request, f"{grant.licensee.email} may now use {grant.character.name}."
                    )
                else:
                    services.grant_reject(
                        grant=grant, by=request.user, reason=form.cleaned_data["reason"]
                    )
                    messages.success(request, f"Declined {grant.licensee.email}.")
            except DomainError as exc:
                messages.error(request, exc.detail)
        return redirect(reverse("licensing:approvals"))
    pending = selectors.grants_for_licensor(user=request.user, status="pending_approval")
    works = selectors.work_approvals_for_licensor(user=request.user)
    return render(
        request, "licensing/approvals.html", {"pending": pending, "work_approvals": works}
    )


def _decide_work_approval(request: HttpRequest) -> HttpResponse:
    approval = selectors.work_approval_for_licensor(
        pk=_uuid_or_404(request.POST.get("work_approval")), user=request.user
    )
    if approval is None:
        raise Http404("No such review")
    form = forms.GrantDecisionForm(request.POST)
    if form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        try:
            services.work_approval_decide(
                approval=approval,
                by=request.user,
                approve=approve,
                note=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            messages.error(request, exc.detail)
        else:
            messages.success(request, "Approved and published." if approve else "Denied.")
    return redirect(reverse("licensing:approvals"))
