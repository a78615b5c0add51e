from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, Value, When
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from core.admin import AuditedDeletesAdmin, KeepsHistoryAdmin, ReadOnlyAdmin
from core.errors import DomainError
from core.media import media_url
from licensing import services
from licensing.enums import ConsentStatus, NameConflictStatus
from licensing.models import (
    CatalogDocument,
    Character,
    CharacterAlias,
    CharacterEmbedding,
    CharacterImage,
    ConsentChallenge,
    Grant,
    GrantEvent,
    LikenessConsent,
    NameConflict,
    NameForm,
    Offer,
    PolicyDecision,
    WatchlistEntry,
)
from licensing.policy.registry import registry_changed
from licensing.services.watchlist import watchlist_entry_check

# What prompt screening reads: a change to any of these must reach every process.
SCREENED_MODELS = frozenset({Character, CharacterAlias, NameForm, WatchlistEntry})
SCREENED_CHARACTER_FIELDS = frozenset({"name", "kind", "disallowed", "status"})


def _rightsholder(obj):
    """The owner of the character ``obj`` is or belongs to (None for a watchlist entry):
    whose audit stream also records its deletion."""
    character = obj if isinstance(obj, Character) else getattr(obj, "character", None)
    if character is None:
        return None
    return character.owner_organization or character.owner_user


class RefreshesScreening(AuditedDeletesAdmin):
    """For the admins of what screening reads (names, aliases, derived forms, the
    disallowed flag): a save or delete here announces the change on commit, as the
    services do, so the next screen in every process sees it.

    Admin hooks rather than model signals: a signal would bump the registry version once
    per row of a bulk import (each process rebuilding its automaton of every name on its
    next screen, again and again), and neither sees ``QuerySet.update()``, which only the
    services use (and they announce the change themselves). Actions here call services.
    """

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if (
            not change
            or self._screened_fields & set(form.changed_data)
            or any(fs.model in SCREENED_MODELS and fs.has_changed() for fs in formsets)
        ):
            registry_changed()

    def audit_scope(self, obj):
        return _rightsholder(obj)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        registry_changed()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        registry_changed()

    @property
    def _screened_fields(self) -> frozenset[str]:
        if self.model is Character:
            return SCREENED_CHARACTER_FIELDS
        return frozenset(f.name for f in self.model._meta.fields)


class AliasInline(admin.TabularInline):
    model = CharacterAlias
    extra = 0
    # Held and released only by a name conflict's decision.
    readonly_fields = ["held_by_conflict"]


class NameFormInline(admin.TabularInline):
    """The forms derived from the name and aliases; staff may switch one off (a common
    word), never add or type one: deriving makes them."""

    model = NameForm
    extra = 0
    can_delete = False
    fields = ["source", "text", "origin", "mode", "enabled"]
    readonly_fields = ["source", "text", "origin", "mode"]
    verbose_name = "derived name form"

    def has_add_permission(self, request, obj=None):
        return False


class ImageInline(admin.TabularInline):
    model = CharacterImage
    extra = 0
    fields = ["preview", "position", "width", "height", "content_type", "size_bytes"]
    readonly_fields = ["preview", "width", "height", "content_type", "size_bytes"]
    viewer = None

    def get_formset(self, request, obj=None, **kwargs):
        # The admin makes its inlines afresh for every request: this one's preview
        # links are signed for the staff member asking (core/media.py).
        self.viewer = request.user
        return super().get_formset(request, obj, **kwargs)

    @admin.display(description="Preview")
    def preview(self, obj: CharacterImage) -> str:
        url = media_url(file=obj.thumbnail, viewer=self.viewer)
        return format_html('<img src="{}" alt="" style="height:64px">', url)


@admin.register(Character)
class CharacterAdmin(RefreshesScreening):
    list_display = ["name", "kind", "owner", "franchise", "status", "disallowed", "created_at"]
    list_filter = ["kind", "status", "disallowed", "lookalike_action"]
    search_fields = [
        "name",
        "aliases__text",
        "franchise",
        "owner_organization__name",
        "owner_user__email",
    ]
    list_select_related = ["owner_organization", "owner_user"]
    autocomplete_fields = ["owner_organization", "owner_user"]
    inlines = [AliasInline, NameFormInline, ImageInline]
    actions = ["mark_disallowed"]

    @admin.display(description="Owner")
    def owner(self, obj: Character) -> str:
        return obj.rightsholder_name

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Once the aliases are saved: a new name or alias gets its derived forms (and a
        # form switched off stays off); a change is announced on commit.
        services.name_forms_refresh(character=form.instance)

    @admin.action(description="Mark selected characters disallowed (screening refuses them)")
    def mark_disallowed(self, request, queryset):
        count = services.characters_mark_disallowed(
            character_ids=queryset.values_list("pk", flat=True), by=request.user
        )
        self.message_user(request, f"{count} character(s) are now disallowed.")


@admin.register(CharacterAlias)
class CharacterAliasAdmin(RefreshesScreening):
    list_display = ["text", "character", "mode", "held_by_conflict"]
    list_filter = ["mode", "held_by_conflict"]
    readonly_fields = ["held_by_conflict"]
    search_fields = ["text", "character__name"]
    autocomplete_fields = ["character"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.name_forms_refresh(character=obj.character)

    def delete_model(self, request, obj):
        character = obj.character
        super().delete_model(request, obj)
        services.name_forms_refresh(character=character)


@admin.register(NameForm)
class NameFormAdmin(RefreshesScreening):
    """Every derived form, to find one that is a common word and switch it off."""

    list_display = ["text", "source", "character", "origin", "mode", "enabled"]
    list_editable = ["enabled"]
    list_filter = ["origin", "enabled", "mode"]
    search_fields = ["text", "source", "character__name"]
    list_select_related = ["character"]
    fields = ["character", "source", "text", "origin", "mode", "enabled"]
    readonly_fields = ["character", "source", "text", "origin", "mode"]

    def has_add_permission(self, request):
        return False


class WatchlistEntryForm(forms.ModelForm):
    aliases = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One a line, in any script. Readings and romanizations are derived for "
        "you when you save (shown below).",
    )

    class Meta:
        model = WatchlistEntry
        fields = ["name", "aliases", "rightsholder", "note", "active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["aliases"] = "\n".join(self.instance.aliases)

    def clean_aliases(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["aliases"].splitlines() if line.strip()]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            watchlist_entry_check(
                entry=self.instance if self.instance.pk else None,
                name=data["name"],
                aliases=data["aliases"],
                rightsholder=data["rightsholder"],
                note=data["note"],
                active=data["active"],
            )
        except DomainError as exc:
            self.add_error(exc.field if exc.field in self.fields else None, exc.detail)
        return data


@admin.register(WatchlistEntry)
class WatchlistEntryAdmin(RefreshesScreening):
    """Well-known characters nobody has registered yet: prompts naming one are refused
    as not licensable on Cocreate yet. Saving derives the forms, as for a character."""

    form = WatchlistEntryForm
    list_display = ["name", "alias_list", "rightsholder", "active", "form_count", "updated_at"]
    list_filter = ["active"]
    search_fields = ["name", "aliases", "rightsholder", "note"]
    readonly_fields = ["derived_forms", "created_at", "updated_at"]
    actions = ["activate", "deactivate"]

    @admin.display(description="Aliases")
    def alias_list(self, obj: WatchlistEntry) -> str:
        return ", ".join(obj.aliases)

    @admin.display(description="Forms")
    def form_count(self, obj: WatchlistEntry) -> int:
        return len(obj.forms)

    @admin.display(description="Derived forms")
    def derived_forms(self, obj: WatchlistEntry) -> str:
        if not obj.forms:
            return "None yet: saving derives them."
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li>{} <small>({} of {})</small></li>",
                ((f["text"], f["origin"], f["source"]) for f in obj.forms),
            ),
        )

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        saved = services.watchlist_entry_save(
            by=request.user,
            entry=obj if change else None,
            name=data["name"],
            aliases=data["aliases"],
            rightsholder=data["rightsholder"],
            note=data["note"],
            active=data["active"],
        )
        # The admin logs and redirects with ``obj``: give it what the service stored.
        for field in WatchlistEntry._meta.concrete_fields:
            setattr(obj, field.attname, getattr(saved, field.attname))
        obj._state.adding = False

    @admin.action(description="Activate selected entries (screening refuses their names)")
    def activate(self, request, queryset):
        count = services.watchlist_entries_set_active(
            ids=queryset.values_list("pk", flat=True), active=True, by=request.user
        )
        self.message_user(
            request, f"{count} watchlist entr{'y' if count == 1 else 'ies'} activated."
        )

    @admin.action(description="Deactivate selected entries (their names screen nothing)")
    def deactivate(self, request, queryset):
        count = services.watchlist_entries_set_active(
            ids=queryset.values_list("pk", flat=True), active=False, by=request.user
        )
        self.message_user(
            request, f"{count} watchlist entr{'y' if count == 1 else 'ies'} deactivated."
        )


@admin.register(Offer)
class OfferAdmin(KeepsHistoryAdmin):
    list_display = [
        "title",
        "character",
        "version",
        "status",
        "commercial_use",
        "upfront_fee",
        "currency",
        "published_at",
    ]
    list_filter = ["status", "commercial_use", "preset", "currency"]
    search_fields = ["title", "character__name", "terms_hash", "series"]
    list_select_related = ["character"]
    readonly_fields = [
        "series",
        "version",
        "terms_hash",
        "published_at",
        "created_by",
        "created_at",
        "updated_at",
    ]
    autocomplete_fields = ["character"]

    def get_readonly_fields(self, request, obj=None):
        # A published version is immutable: staff may read it, not change its terms.
        if obj is not None and obj.status != "draft":
            return [f.name for f in self.model._meta.fields]
        return self.readonly_fields


class GrantEventInline(admin.TabularInline):
    model = GrantEvent
    extra = 0
    can_delete = False
    readonly_fields = ["from_status", "to_status", "actor", "note", "created_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Grant)
class GrantAdmin(KeepsHistoryAdmin):
    list_display = ["character", "licensee", "status", "offer", "created_at", "activated_at"]
    list_filter = ["status"]
    search_fields = ["character__name", "licensee__email", "id"]
    list_select_related = ["character", "licensee", "offer"]
    readonly_fields = [
        "offer",
        "series",
        "character",
        "licensee",
        "max_fee",
        "max_rev_share_bps",
        "max_generation_fee",
        "status",
        "activated_at",
        "ended_at",
        "end_reason",
    ]
    inlines = [GrantEventInline]


@admin.register(PolicyDecision)
class PolicyDecisionAdmin(ReadOnlyAdmin):
    """Read-only: the audit log is append-only."""

    list_display = [
        "created_at",
        "creator",
        "allowed",
        "needs_review",
        "purpose",
        "short_prompt",
        "engine_version",
    ]
    list_filter = ["allowed", "needs_review", "purpose", "engine_version"]
    search_fields = ["prompt", "creator__email", "inputs_hash"]
    date_hierarchy = "created_at"
    list_select_related = ["creator"]

    @admin.display(description="Prompt")
    def short_prompt(self, obj: PolicyDecision) -> str:
        return obj.prompt[:80]


@admin.register(GrantEvent)
class GrantEventAdmin(ReadOnlyAdmin):
    """Read-only: a grant's history is append-only."""

    list_display = ["created_at", "grant", "from_status", "to_status", "actor", "note"]
    list_filter = ["to_status"]
    search_fields = ["grant__id", "actor__email", "note"]
    list_select_related = ["grant__character", "grant__licensee", "actor"]


@admin.register(CharacterImage)
class CharacterImageAdmin(AuditedDeletesAdmin):
    list_display = ["character", "position", "width", "height", "content_type", "size_bytes"]
    list_filter = ["content_type"]
    search_fields = ["character__name"]
    list_select_related = ["character"]
    readonly_fields = ["width", "height", "content_type", "size_bytes"]

    def audit_scope(self, obj):
        return _rightsholder(obj)


@admin.register(CharacterEmbedding)
class CharacterEmbeddingAdmin(ReadOnlyAdmin):
    """Written by the embedding tasks only (licensing/services/embeddings.py); an edit
    made here would be overwritten. A description changed in this admin is embedded by
    beat's sweep."""

    list_display = ["character", "model_name", "digest", "updated_at"]
    list_filter = ["model_name"]
    search_fields = ["character__name", "digest"]
    list_select_related = ["character"]
    exclude = ["vector"]


class NameConflictDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("allow", "Allow: both keep the name"), ("uphold", "Uphold the earlier holder")]
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text="Both parties read it.",
    )


def _party(character: Character, viewer) -> dict:
    """One side of a conflict as staff weigh it: who owns it, whether they are proven,
    and what proves it (an organization's documents, a likeness's reference images),
    each with a link signed for ``viewer``."""
    organization = character.owner_organization
    party = {
        "character": character,
        "admin_url": reverse("admin:licensing_character_change", args=[character.pk]),
        "owner": character.rightsholder_name,
        "documents": [],
        "images": [],
    }
    if organization is not None:
        party["verification"] = organization.get_verification_status_display()
        party["owner_url"] = reverse("admin:accounts_organization_change", args=[organization.pk])
        party["documents"] = [
            (document.title, media_url(file=document.file, viewer=viewer))
            for document in organization.documents.all()
        ]
    else:
        verified = character.likeness_verified_at
        party["verification"] = (
            f"Likeness verified {verified:%d %b %Y %H:%M} UTC" if verified else "Not verified"
        )
        party["images"] = [
            (
                media_url(file=image.thumbnail, viewer=viewer),
                media_url(file=image.image, viewer=viewer),
            )
            for image in character.images.all()
        ]
    return party


@admin.register(NameConflict)
class NameConflictAdmin(admin.ModelAdmin):
    """Staff decide who holds a name: the change page shows both parties side by side
    (owners, verification, documents or reference images) and takes a decision with a
    reason; the services do the rest (standing, held aliases, archiving, notices)."""

    list_display = [
        "text",
        "on",
        "later",
        "later_owner",
        "holder",
        "holder_owner",
        "status",
        "opened_by",
        "opened_at",
    ]
    list_filter = ["status", "on", ("reported_by", admin.EmptyFieldListFilter), "opened_at"]
    search_fields = ["text", "holder__name", "later__name", "key"]
    list_select_related = [
        "holder__owner_organization",
        "holder__owner_user",
        "later__owner_organization",
        "later__owner_user",
        "reported_by",
    ]
    readonly_fields = [
        "holder",
        "later",
        "on",
        "text",
        "key",
        "holder_text",
        "status",
        "opened_at",
        "reported_by",
        "report_reason",
        "decided_by",
        "decided_at",
        "decision_reason",
    ]
    fields = readonly_fields
    change_form_template = "admin/licensing/nameconflict/change_form.html"

    def get_queryset(self, request):
        # Open conflicts first: they are the work.
        open_first = Case(When(status=NameConflictStatus.OPEN, then=0), default=1)
        queryset = self.model._default_manager.get_queryset().annotate(open_first=open_first)
        return queryset.order_by(*self.get_ordering(request))

    def get_ordering(self, request):
        return ["open_first", "-opened_at", "id"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Later owner")
    def later_owner(self, obj: NameConflict) -> str:
        return obj.later.rightsholder_name

    @admin.display(description="Holder's owner")
    def holder_owner(self, obj: NameConflict) -> str:
        return obj.holder.rightsholder_name

    @admin.display(description="Opened by")
    def opened_by(self, obj: NameConflict) -> str:
        return f"report by {obj.reported_by}" if obj.reported_by else "registration"

    def get_urls(self):
        decide = path(
            "<uuid:pk>/decide/",
            self.admin_site.admin_view(self.decide_view),
            name="licensing_nameconflict_decide",
        )
        return [decide, *super().get_urls()]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        conflict = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if conflict is not None:
            holder = Character.objects.select_related("owner_organization", "owner_user")
            extra["parties"] = [
                ("Earlier holder", _party(holder.get(pk=conflict.holder_id), request.user)),
                ("Later registration", _party(holder.get(pk=conflict.later_id), request.user)),
            ]
            extra["decision_form"] = (
                NameConflictDecisionForm() if conflict.status == NameConflictStatus.OPEN else None
            )
            extra["decide_url"] = reverse("admin:licensing_nameconflict_decide", args=[conflict.pk])
        extra.update(
            show_save=False,
            show_save_and_continue=False,
            show_save_and_add_another=False,
            show_delete=False,
        )
        return super().change_view(request, object_id, form_url, extra)

    def decide_view(self, request, pk):
        conflict = self.get_object(request, str(pk))
        if conflict is None:
            raise Http404("No such name conflict")
        if not self.has_change_permission(request, conflict):
            raise PermissionDenied
        back = reverse("admin:licensing_nameconflict_change", args=[conflict.pk])
        if request.method != "POST":
            return HttpResponseRedirect(back)
        form = NameConflictDecisionForm(request.POST)
        if not form.is_valid():
            for field, errors in form.errors.items():
                self.message_user(
                    request, f"Not decided: {field}: {' '.join(errors)}", messages.ERROR
                )
            return HttpResponseRedirect(back)
        try:
            services.name_conflict_decide(
                conflict=conflict,
                by=request.user,
                allow=form.cleaned_data["decision"] == "allow",
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            self.message_user(request, f"Not decided: {exc.detail}", messages.ERROR)
        else:
            conflict.refresh_from_db()
            self.message_user(request, f"Decided: {conflict.get_status_display()}.")
        return HttpResponseRedirect(back)


@admin.register(LikenessConsent)
class LikenessConsentAdmin(admin.ModelAdmin):
    """The review queue for likeness consent videos, waiting ones first: the change page
    shows the video beside the reference images and the phrase to hear, and approves or
    rejects it (with a reason) through licensing/services/consent.py. Nothing is edited
    by hand. The staff page /staff/likeness-reviews/ shows the same queue."""

    list_display = ["character", "person", "status", "created_at", "duration_s", "reviewed_by"]
    list_filter = ["status"]
    search_fields = ["character__name", "character__owner_user__email", "challenge__phrase"]
    list_select_related = ["character__owner_user", "reviewed_by"]
    change_form_template = "admin/licensing/likenessconsent/change_form.html"
    fields = [
        "person",
        "character",
        "phrase",
        "status",
        "reason",
        "reviewed_by",
        "reviewed_at",
        "created_at",
        "duration_s",
        "width",
        "height",
        "size_bytes",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        waiting_first = Case(
            When(status=ConsentStatus.PENDING, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
        # Annotated before the ordering applies (ModelAdmin.get_queryset orders first).
        queryset = self.model._default_manager.get_queryset().annotate(waiting_first=waiting_first)
        return queryset.order_by(*self.get_ordering(request))

    def get_ordering(self, request):
        return ["waiting_first", "created_at"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Person")
    def person(self, obj: LikenessConsent) -> str:
        owner = obj.character.owner_user
        return f"{owner.display_name} <{owner.email}>" if owner else "-"

    @admin.display(description="Phrase to hear")
    def phrase(self, obj: LikenessConsent) -> str:
        return obj.challenge.phrase

    def change_view(self, request, object_id, form_url="", extra_context=None):
        decision = next((d for d in ("_approve", "_reject") if d in request.POST), None)
        if request.method == "POST" and decision is not None:
            return self._review(request, object_id, approve=decision == "_approve")
        consent = self.get_object(request, object_id)
        if consent is not None:
            # The video beside the reference images, on URLs signed for this staff member.
            extra_context = {
                **(extra_context or {}),
                "video_url": media_url(file=consent.video, viewer=request.user),
                "reference_images": [
                    (
                        media_url(file=i.image, viewer=request.user),
                        media_url(file=i.thumbnail, viewer=request.user),
                    )
                    for i in consent.character.images.all()
                ],
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def _review(self, request, object_id, *, approve: bool):
        consent = self.get_object(request, object_id)
        if consent is None or not self.has_view_permission(request, consent):
            return redirect(reverse("admin:licensing_likenessconsent_changelist"))
        reason = request.POST.get("review_reason", "")
        try:
            if approve:
                services.consent_approve(consent=consent, by=request.user, reason=reason)
            else:
                services.consent_reject(consent=consent, by=request.user, reason=reason)
        except DomainError as exc:
            self.message_user(request, exc.detail, level=messages.ERROR)
            return redirect(reverse("admin:licensing_likenessconsent_change", args=[consent.pk]))
        verb = "approved: the likeness is active" if approve else "rejected"
        self.message_user(request, f"{consent.character.name}'s consent video is {verb}.")
        return redirect(reverse("admin:licensing_likenessconsent_changelist"))


@admin.register(ConsentChallenge)
class ConsentChallengeAdmin(ReadOnlyAdmin):
    """The phrases people were given to read in consent videos: when, for which
    likeness, and whether (when) each was spent. Issued by the service only."""

    list_display = ["phrase", "character", "user", "created_at", "expires_at", "used_at"]
    search_fields = ["phrase", "character__name", "user__email"]
    list_select_related = ["character", "user"]


@admin.register(CatalogDocument)
class CatalogDocumentAdmin(ReadOnlyAdmin):
    """The catalog's read model, to look at: the services write it and
    ``manage.py read_models_rebuild`` remakes it, so nothing is edited here."""

    list_display = ["character", "kind", "franchise", "listed_at", "updated_at"]
    list_filter = ["kind", "has_commercial", "has_free"]
    search_fields = ["search_text"]
    list_select_related = ["character"]
