from django.contrib import admin
from django.utils.html import format_html

from core.admin import ReadOnlyAdmin
from licensing import services
from licensing.models import (
    Character,
    CharacterAlias,
    CharacterEmbedding,
    CharacterImage,
    Grant,
    GrantEvent,
    Offer,
    PolicyDecision,
)


class AliasInline(admin.TabularInline):
    model = CharacterAlias
    extra = 0


class ImageInline(admin.TabularInline):
    model = CharacterImage
    extra = 0
    fields = ["preview", "position", "width", "height", "content_type", "size_bytes"]
    readonly_fields = ["preview", "width", "height", "content_type", "size_bytes"]

    @admin.display(description="Preview")
    def preview(self, obj: CharacterImage) -> str:
        return format_html('<img src="{}" alt="" style="height:64px">', obj.thumbnail.url)


@admin.register(Character)
class CharacterAdmin(admin.ModelAdmin):
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
    inlines = [AliasInline, ImageInline]
    actions = ["mark_disallowed"]

    @admin.display(description="Owner")
    def owner(self, obj: Character) -> str:
        return obj.rightsholder_name

    @admin.action(description="Mark selected characters disallowed (screening refuses them)")
    def mark_disallowed(self, request, queryset):
        count = services.characters_mark_disallowed(
            character_ids=queryset.values_list("pk", flat=True), by=request.user
        )
        self.message_user(request, f"{count} character(s) are now disallowed.")


@admin.register(CharacterAlias)
class CharacterAliasAdmin(admin.ModelAdmin):
    list_display = ["text", "character", "mode"]
    list_filter = ["mode"]
    search_fields = ["text", "character__name"]
    autocomplete_fields = ["character"]


@admin.register(Offer)
class OfferAdmin(admin.ModelAdmin):
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
class GrantAdmin(admin.ModelAdmin):
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
class CharacterImageAdmin(admin.ModelAdmin):
    list_display = ["character", "position", "width", "height", "content_type", "size_bytes"]
    list_filter = ["content_type"]
    search_fields = ["character__name"]
    list_select_related = ["character"]
    readonly_fields = ["width", "height", "content_type", "size_bytes"]


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
