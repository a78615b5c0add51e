"""Licensing pages for rightsholders: register and edit characters and their images,
and the offer editor (draft, preview, publish a version, end an offer)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from accounts import selectors as accounts_selectors
from accounts.enums import EDITOR_ROLES
from core.errors import DomainError, NotPermitted
from core.money import format_minor
from licensing import selectors, services
from licensing.enums import CharacterKind, CharacterStatus, OfferStatus
from licensing.models import Character, CharacterImage, NameForm, Offer
from licensing.summary import price_points, summary_points
from licensing.terms import PRESETS_BY_KEY, Terms, preset_terms, validate_terms
from licensing.web import forms
from licensing.web.catalog import offer_summary

if TYPE_CHECKING:
    from accounts.models import User


# Service field names that a form shows under another name.
_FORM_FIELD_FOR = {"owner_organization": "owner", **forms.OfferTermsForm.FIELD_FOR_TERM}


_EFFECT = {
    "keep": "their videos stay up",
    "delist": "their videos are delisted",
    "delete": "their videos are deleted",
}


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
    if character is None or not selectors.character_can_edit(
        character=character, user=request.user
    ):
        raise Http404("No such character")
    return character


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
            organization = accounts_selectors.organization_by_slug(slug=owner[4:])
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
                    # Only a person's own likeness is attested; a studio's character never.
                    likeness_attested=data["likeness_attested"] and owner == "self",
                    lookalike_action=data["lookalike_action"],
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
        "lookalike_action": character.lookalike_action,
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
    consent_form: forms.ConsentVideoForm | None = None,
    status: int = 200,
) -> HttpResponse:
    if form is None:
        form = forms.CharacterEditForm(initial=_edit_initial(character))
    consent = {}
    if character.kind == CharacterKind.LIKENESS:
        challenge = selectors.consent_challenge_open(character=character, user=request.user)
        consent = {
            "consent": selectors.consent_latest(character=character),
            "challenge": challenge,
            "consent_form": consent_form
            or (
                forms.ConsentVideoForm(initial={"challenge_id": challenge.pk})
                if challenge
                else None
            ),
            "consent_max_seconds": settings.LIKENESS_CONSENT_MAX_SECONDS,
        }
    return render(
        request,
        "licensing/character_manage.html",
        {
            "character": character,
            "form": form,
            "image_form": image_form or forms.ImageForm(),
            "new_offer_form": forms.NewOfferForm(kind=character.kind),
            "offers": selectors.offers_for_character(character=character),
            "images": character.images.all(),
            "name_forms": selectors.name_forms_for_character(character=character),
            # Why it is a draft (owner not proven, a name conflict), and the aliases a
            # name conflict holds: the owner reads what waits for whom.
            "draft_reasons": services.character_draft_reasons(character=character)
            if character.status == CharacterStatus.DRAFT
            else [],
            "held_aliases": [a.text for a in character.aliases.all() if a.held_by_conflict],
            "status_words": _status_words(character),
            **consent,
        },
        status=status,
    )


def _status_words(character: Character) -> str:
    if character.disallowed:
        return "Refused: you refuse all generations of it, so no one may make videos of it."
    return forms.STATUS_LABELS[CharacterStatus(character.status)] + "."


@login_required
@require_POST
def name_form_toggle(request: HttpRequest, pk, form_pk) -> HttpResponse:
    """Switch one derived form of the character's names on or off."""
    character = _editable_character(request, pk)
    form = get_object_or_404(NameForm, pk=form_pk, character=character)
    enabled = request.POST.get("enabled") == "1"
    services.name_form_set_enabled(form=form, by=request.user, enabled=enabled)
    state = "screened again" if enabled else "no longer screened"
    messages.success(request, f"“{form.text}” is {state}.")
    return redirect(f"{reverse('licensing:character_manage', kwargs={'pk': character.pk})}#forms")


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
    if offer is None or not selectors.character_can_edit(
        character=offer.character, user=request.user
    ):
        raise Http404("No such offer")
    return offer


def _resolve_people_and_costars(form: forms.OfferTermsForm) -> tuple[list[str], list[str]] | None:
    emails = form.list_value("audience_allowlist")
    users = accounts_selectors.user_ids_by_email(emails=emails)
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
    emails = accounts_selectors.emails_of(user_ids=terms.audience_allowlist)
    costars = list(
        Character.objects.filter(pk__in=terms.banned_costars).values_list("name", flat=True)
    )
    return forms.OfferTermsForm.initial_from(
        terms, title=offer.title, emails=emails, costar_names=costars
    )


# The editor's sections: (title, what it holds, its fields, open at first).
OFFER_SECTIONS = (
    (
        "Who may use it",
        "the audience and your approval",
        ("title", "audience", "audience_allowlist", "approval", "approval_deadline_hours"),
        True,
    ),
    (
        "What creators may do",
        "actions, commercial use, remixes",
        (
            "allowed_actions",
            "commercial_use",
            "remix_policy",
            "transferable",
            "sublicensable",
        ),
        True,
    ),
    (
        "Price and your share",
        "fees and your share of earnings",
        (
            "currency",
            "upfront_fee",
            "per_generation_fee",
            "rev_share_percent",
            "upstream_model",
            "max_stack_percent",
        ),
        True,
    ),
    (
        "Content rules",
        "what videos may not show",
        ("banned_categories", "banned_words", "banned_costars", "max_rating", "ai_training"),
        False,
    ),
    ("Credit", "the credit shown with every video", ("attribution_required", "credit_text"), False),
    (
        "Where and when",
        "countries and dates",
        ("territory_mode", "territories", "starts_at", "ends_at"),
        False,
    ),
    (
        "Limits",
        "how many videos and creators",
        ("max_generations_per_licensee", "max_licensees", "max_works"),
        False,
    ),
    (
        "Ending",
        "what happens when a licence or the offer ends",
        ("on_revoke", "grace_days", "termination_notice_days"),
        False,
    ),
)


def _shown_money(form: forms.OfferTermsForm, terms: Terms) -> dict[str, str]:
    """Each fee formatted as creators will read it ("$20.00", "¥500"): the typed amount
    once it is valid, else the saved one."""
    data = form.cleaned_data if form.is_bound and hasattr(form, "cleaned_data") else {}
    currency = data.get("currency") or terms.currency
    shown = {}
    for name in forms.MONEY_FIELDS:
        amount = data.get(name) if form.is_bound else getattr(terms, name)
        shown[name] = format_minor(amount, currency) if isinstance(amount, int) else ""
    return shown


def _offer_sections(form: forms.OfferTermsForm, shown: dict[str, str]) -> list[dict]:
    sections = []
    for title, hint, names, opened in OFFER_SECTIONS:
        fields = [(form[name], shown.get(name)) for name in names]
        has_errors = any(field.errors for field, _ in fields)
        sections.append(
            {"title": title, "hint": hint, "fields": fields, "open": opened or has_errors}
        )
    return sections


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
            except DomainError as exc:
                _form_errors(form, exc)
            else:
                if request.POST.get("publish"):
                    # Saved: publishing is confirmed on a page of its own.
                    return redirect("licensing:offer_publish", pk=offer.pk)
                messages.success(request, "Draft saved.")
                return redirect("licensing:offer_edit", pk=offer.pk)
    terms = offer.parsed_terms
    refused = request.method == "POST"
    return render(
        request,
        "licensing/offer_edit.html",
        {
            "offer": offer,
            "form": form,
            "sections": _offer_sections(form, _shown_money(form, terms)),
            "preview": [] if refused else offer_summary(offer, offer.character),
            "refused": refused,
            "presets": PRESETS_BY_KEY.values(),
        },
        # A refused submission is a 400, the form shown again with its errors.
        status=400 if refused else 200,
    )


def _checked_terms(form: forms.OfferTermsForm) -> tuple[dict | None, dict[str, list[str]]]:
    """The terms if the form and the terms are valid, and every problem under the field
    that shows it (an empty list for a field without any)."""
    errors: dict[str, list[str]] = {name: list(form.errors.get(name, [])) for name in form.fields}
    if not form.is_valid():
        return None, errors
    data = form.to_terms(allowlist_ids=[], costar_ids=[])
    for term, messages_ in validate_terms(data).items():
        errors.setdefault(_FORM_FIELD_FOR.get(term, term), []).extend(messages_)
    return (None if any(errors.values()) else data), errors


@login_required
@require_POST
def offer_preview(request: HttpRequest, pk) -> HttpResponse:
    """The live plain-language preview while editing (htmx), and each field's errors
    swapped in next to that field (out of band), never in the preview."""
    offer = editable_offer_or_404(request, pk)
    form = forms.OfferTermsForm(request.POST)
    data, errors = _checked_terms(form)
    points: list[str] = []
    if data is not None:
        character = offer.character
        points = summary_points(
            Terms.from_dict(data), kind=character.kind, rightsholder=character.rightsholder_name
        )
    # Problems no field shows (a form-wide one, an unknown term) stay in the panel.
    problems = [*form.non_field_errors()] + [
        f"{name.replace('_', ' ')}: {msgs[0]}"
        for name, msgs in errors.items()
        if msgs and name not in form.fields
    ]
    field_errors = [(name, msgs) for name, msgs in errors.items() if name in form.fields]
    return render(
        request,
        "licensing/_summary_preview.html",
        {
            "preview": points,
            "problems": problems,
            "fix_count": sum(1 for _, msgs in field_errors if msgs),
            "oob_errors": field_errors,
            "oob_shown": _shown_money(form, offer.parsed_terms).items(),
        },
    )


def _publish_page(
    request: HttpRequest, offer: Offer, *, error: str = "", status: int = 200
) -> HttpResponse:
    terms = offer.parsed_terms
    refusal = services.offer_publish_refusal(offer=offer)
    return render(
        request,
        "licensing/offer_publish.html",
        {
            "offer": offer,
            # Said before the button is pressed: what stops publishing now.
            "refusal": refusal.detail if refusal else "",
            "error": error,
            "points": offer_summary(offer, offer.character),
            "prices": price_points(
                upfront_fee=terms.upfront_fee,
                per_generation_fee=terms.per_generation_fee,
                rev_share_bps=terms.rev_share_bps,
                currency=terms.currency,
            ),
            "previous": selectors.current_offer(series=offer.series),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def offer_publish(request: HttpRequest, pk) -> HttpResponse:
    """A page of its own that says in plain words what will be published, at what
    price (GET); publishing is its POST."""
    offer = editable_offer_or_404(request, pk)
    if offer.status != OfferStatus.DRAFT:
        messages.info(request, f"Version {offer.version} is {offer.get_status_display().lower()}.")
        return redirect("licensing:character_manage", pk=offer.character_id)
    if request.method == "GET":
        return _publish_page(request, offer)
    try:
        services.offer_publish(offer=offer, by=request.user)
    except DomainError as exc:
        return _publish_page(request, offer, error=exc.detail, status=400)
    messages.success(request, f"Version {offer.version} of “{offer.title}” is published.")
    return redirect("licensing:character_manage", pk=offer.character_id)


@login_required
@require_POST
def offer_end(request: HttpRequest, pk) -> HttpResponse:
    offer = editable_offer_or_404(request, pk)
    try:
        ended = services.offer_end(offer=offer, by=request.user)
    except DomainError as exc:
        messages.error(request, f"Not ended: {exc.detail}")
    else:
        terms = ended.parsed_terms
        messages.success(
            request,
            f"“{ended.title}” is ended: no one can accept it from now. Existing licences end "
            f"in {terms.grace_days} days, and then {_EFFECT[terms.on_revoke]}.",
        )
    return redirect("licensing:character_manage", pk=offer.character_id)


@login_required
@require_POST
def grant_revoke(request: HttpRequest, pk) -> HttpResponse:
    """The rightsholder revokes one person's active licence (with a reason) from the
    approvals page's list of active licences."""
    # Only the character's rightsholder acts on it; to anyone else it does not exist.
    grant = selectors.grants_for_licensor(user=request.user).filter(pk=pk).first()
    if grant is None:
        raise Http404("No such licence")
    form = forms.GrantRevokeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why you revoke this licence: the creator reads it.")
        return redirect("marketplace:approvals")
    try:
        grant = services.grant_revoke(
            grant=grant, by=request.user, reason=form.cleaned_data["reason"]
        )
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        if grant.status == "revoked":
            done = "it has ended"
        else:
            done = f"it ends on {grant.revoke_at:%d %b %Y}, after the offer's grace period"
        messages.success(
            request, f"Revoked {grant.licensee.email}'s licence for {grant.character.name}: {done}."
        )
    return redirect("marketplace:approvals")
