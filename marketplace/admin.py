from django.contrib import admin, messages

from licensing.admin import ReadOnlyAdmin
from marketplace import services
from marketplace.models import GenerationEvent, GenerationRequest, Work, WorkLicense


class EventInline(admin.TabularInline):
    model = GenerationEvent
    extra = 0
    can_delete = False
    readonly_fields = ["from_status", "to_status", "note", "created_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(GenerationRequest)
class GenerationRequestAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "creator",
        "status",
        "progress",
        "short_prompt",
        "render_attempts",
    ]
    list_filter = ["status", "commercial"]
    search_fields = ["prompt", "creator__email", "id"]
    list_select_related = ["creator"]
    readonly_fields = [f.name for f in GenerationRequest._meta.fields]
    inlines = [EventInline]

    @admin.display(description="Prompt")
    def short_prompt(self, obj):
        return obj.prompt[:70]


class LicenseInline(admin.TabularInline):
    model = WorkLicense
    extra = 0
    can_delete = False
    readonly_fields = [
        "character",
        "grant",
        "offer",
        "terms_hash",
        "rightsholder",
        "rev_share_bps",
        "inherited",
    ]
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Work)
class WorkAdmin(admin.ModelAdmin):
    list_display = ["title", "creator", "status", "depth", "backend", "published_at"]
    list_filter = ["status", "backend", "commercial"]
    search_fields = ["title", "prompt", "creator__email", "id"]
    list_select_related = ["creator"]
    readonly_fields = [
        "request",
        "creator",
        "parent",
        "depth",
        "manifest",
        "frame_count",
        "duration_s",
    ]
    inlines = [LicenseInline]
    actions = ["delete_works"]

    @admin.action(description="Delete selected works (staff moderation)")
    def delete_works(self, request, queryset):
        for work in queryset:
            services.work_delete(work=work, by=request.user)
        messages.success(request, f"Deleted {queryset.count()} work(s).")


@admin.register(WorkLicense)
class WorkLicenseAdmin(ReadOnlyAdmin):
    list_display = ["work", "character", "rightsholder", "rev_share_bps", "inherited"]
    list_filter = ["inherited", "upstream_model"]
    search_fields = ["work__title", "character__name", "terms_hash"]
    list_select_related = ["work", "character"]


@admin.register(GenerationEvent)
class GenerationEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "request", "from_status", "to_status", "note"]
    list_filter = ["to_status"]
    search_fields = ["request__id", "note"]
