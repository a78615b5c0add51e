from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse

from core.admin import KeepsHistoryAdmin, ReadOnlyAdmin, SignedMediaAdmin, percent_column
from core.errors import DomainError
from marketplace import services
from marketplace.enums import ClaimStatus
from marketplace.models import (
    Claim,
    Comment,
    CommentReport,
    Dispute,
    FeedEntry,
    GenerationEvent,
    GenerationRequest,
    Storyline,
    StorylineCharacter,
    Work,
    WorkApproval,
    WorkLicense,
)


class EventInline(admin.TabularInline):
    model = GenerationEvent
    extra = 0
    can_delete = False
    readonly_fields = ["from_status", "to_status", "note", "created_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(GenerationRequest)
class GenerationRequestAdmin(KeepsHistoryAdmin):
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
class WorkAdmin(SignedMediaAdmin, KeepsHistoryAdmin):
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
    list_display = ["work", "character", "rightsholder", "rev_share_bps_percent", "inherited"]
    rev_share_bps_percent = percent_column("rev_share_bps", description="Revenue share")
    list_filter = ["inherited", "upstream_model"]
    search_fields = ["work__title", "character__name", "terms_hash"]
    list_select_related = ["work", "character"]


@admin.register(GenerationEvent)
class GenerationEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "request", "from_status", "to_status", "note"]
    list_filter = ["to_status"]
    search_fields = ["request__id", "note"]


@admin.register(WorkApproval)
class WorkApprovalAdmin(KeepsHistoryAdmin):
    list_display = ["work", "character", "status", "deadline", "decided_by", "decided_at"]
    list_filter = ["status"]
    search_fields = ["work__title", "character__name"]
    list_select_related = ["work", "character", "decided_by"]
    readonly_fields = ["work", "character", "deadline", "decided_by", "decided_at", "status"]
    actions = ["approve_selected", "deny_selected"]

    def _decide(self, request, queryset, approve: bool) -> None:
        done = 0
        for approval in queryset.filter(status="pending"):
            try:
                services.work_approval_decide(
                    approval=approval, by=request.user, approve=approve, note="decided by staff"
                )
                done += 1
            except DomainError as exc:
                self.message_user(request, f"{approval}: {exc.detail}", level="warning")
        self.message_user(request, f"{'Approved' if approve else 'Denied'} {done} video(s).")

    @admin.action(description="Approve selected videos")
    def approve_selected(self, request, queryset):
        self._decide(request, queryset, True)

    @admin.action(description="Deny selected videos")
    def deny_selected(self, request, queryset):
        self._decide(request, queryset, False)


class DisputeInline(admin.StackedInline):
    model = Dispute
    extra = 0
    can_delete = False
    readonly_fields = [
        "opened_by",
        "reason",
        "status",
        "deadline",
        "resolved_by",
        "resolved_at",
        "resolution_note",
    ]

    def has_add_permission(self, request, obj=None):
        return False


class ClaimRejectForm(forms.Form):
    reason = forms.CharField(
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="The claimant reads this.",
    )


@admin.register(Claim)
class ClaimAdmin(KeepsHistoryAdmin):
    """Claims on works that do not license the character, and every claim of an
    organization whose claims keep being released on dispute, wait here for staff
    (filter by status "Awaiting staff review"; the review reason says which): accept one
    for processing, and it takes effect as if filed now; or reject it with a reason."""

    list_display = [
        "created_at",
        "organization",
        "character",
        "work",
        "policy",
        "status",
        "review_reason",
        "reviewed_by",
    ]
    list_filter = ["status", "policy", "reason"]
    search_fields = ["organization__name", "character__name", "work__title", "evidence"]
    list_select_related = ["organization", "character", "work", "reviewed_by"]
    readonly_fields = [f.name for f in Claim._meta.fields]
    inlines = [DisputeInline]
    actions = ["accept_for_processing", "reject_selected"]

    def has_add_permission(self, request):
        return False

    def audit_scope(self, obj):
        return obj.organization

    def _awaiting_review(self, request, queryset):
        waiting = queryset.filter(status=ClaimStatus.STAFF_REVIEW)
        skipped = queryset.count() - waiting.count()
        if skipped:
            self.message_user(
                request,
                f"Skipped {skipped} claim(s) not awaiting staff review.",
                level=messages.WARNING,
            )
        return waiting

    @admin.action(description="Accept for processing (the claim takes effect now)")
    def accept_for_processing(self, request, queryset):
        done = 0
        for claim in self._awaiting_review(request, queryset):
            try:
                services.claim_review_accept(claim=claim, by=request.user)
                done += 1
            except DomainError as exc:
                self.message_user(request, f"{claim}: {exc.detail}", level=messages.WARNING)
        self.message_user(request, f"Accepted {done} claim(s) for processing.")

    @admin.action(description="Reject (with a reason the claimant reads)")
    def reject_selected(self, request, queryset):
        form = ClaimRejectForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            done = 0
            for claim in self._awaiting_review(request, queryset):
                try:
                    services.claim_review_reject(
                        claim=claim, by=request.user, reason=form.cleaned_data["reason"]
                    )
                    done += 1
                except DomainError as exc:
                    self.message_user(request, f"{claim}: {exc.detail}", level=messages.WARNING)
            self.message_user(request, f"Rejected {done} claim(s).")
            return None
        waiting = queryset.filter(status=ClaimStatus.STAFF_REVIEW).select_related(
            "organization", "character", "work"
        )
        if not waiting.exists():
            self.message_user(
                request, "None of the selected claims awaits staff review.", level=messages.WARNING
            )
            return None
        return TemplateResponse(
            request,
            "admin/marketplace/claim/reject.html",
            {
                **self.admin_site.each_context(request),
                "title": "Reject claims awaiting review",
                "opts": self.model._meta,
                "claims": waiting,
                "skipped": queryset.count() - waiting.count(),
                "form": form,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            },
        )


@admin.register(Dispute)
class DisputeAdmin(KeepsHistoryAdmin):
    """Staff resolve escalated disputes here (or any open one), by their deadline:
    an escalated dispute staff have not decided by then is released."""

    list_display = ["deadline", "claim", "status", "opened_by", "resolved_by"]
    list_filter = ["status"]
    search_fields = ["claim__organization__name", "claim__work__title", "reason"]
    list_select_related = ["claim__organization", "claim__character", "opened_by", "resolved_by"]
    readonly_fields = [f.name for f in Dispute._meta.fields]
    actions = ["release_selected", "uphold_selected"]

    def has_add_permission(self, request):
        return False

    def audit_scope(self, obj):
        return obj.claim.organization

    def _resolve(self, request, queryset, uphold: bool) -> None:
        done = 0
        for dispute in queryset.filter(status__in=["open", "escalated"]):
            try:
                services.dispute_resolve(
                    dispute=dispute, by=request.user, uphold=uphold, note="decided by staff"
                )
                done += 1
            except DomainError as exc:
                self.message_user(request, f"{dispute}: {exc.detail}", level="warning")
        self.message_user(request, f"{'Upheld' if uphold else 'Released'} {done} dispute(s).")

    @admin.action(description="Release: the creator was right (escrow to recipients)")
    def release_selected(self, request, queryset):
        self._resolve(request, queryset, False)

    @admin.action(description="Uphold: the claim stands (escrow to the claimant)")
    def uphold_selected(self, request, queryset):
        self._resolve(request, queryset, True)


class StorylineCharacterInline(admin.TabularInline):
    model = StorylineCharacter
    extra = 0
    can_delete = False
    readonly_fields = ["character", "offer"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Storyline)
class StorylineAdmin(admin.ModelAdmin):
    """Storylines are run by their rightsholders (their pages and the API); staff look,
    and may close one (the service's rules: no new takes)."""

    list_display = ["title", "owner_name", "status", "starts_at", "ends_at", "max_take_s"]
    list_filter = ["status", "join_policy"]
    search_fields = ["title", "premise", "owner_organization__name", "owner_user__email"]
    list_select_related = ["owner_organization", "owner_user"]
    readonly_fields = [f.name for f in Storyline._meta.fields]
    inlines = [StorylineCharacterInline]
    actions = ["close_storylines"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Close the selected storylines")
    def close_storylines(self, request, queryset):
        closed = 0
        for storyline in queryset:
            if storyline.status != "closed":
                services.storyline_close(storyline=storyline, by=request.user)
                closed += 1
        self.message_user(request, f"Closed {closed} storyline(s).", messages.SUCCESS)


@admin.register(FeedEntry)
class FeedEntryAdmin(ReadOnlyAdmin):
    """The feed's read model, to look at: the services write it and
    ``manage.py read_models_rebuild`` remakes it, so nothing is edited here."""

    list_display = ["work", "published_at", "updated_at"]
    search_fields = ["work__title"]
    list_select_related = ["work"]


class CommentReportInline(admin.TabularInline):
    model = CommentReport
    extra = 0
    can_delete = False
    readonly_fields = ["reporter", "reason", "created_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    """Comments on works; held ones (screening or readers' reports) wait for a
    moderator: filter by status, then show them again or hide them."""

    list_display = ["created_at", "author", "work", "status", "held_reason"]
    list_filter = ["status"]
    search_fields = ["body", "author__email", "work__title"]
    list_select_related = ["author", "work"]
    readonly_fields = [f.name for f in Comment._meta.fields]
    inlines = [CommentReportInline]
    actions = ["hide_selected", "show_selected"]

    def has_add_permission(self, request):
        return False

    def _each(self, request, queryset, action, done: str) -> None:
        for comment in queryset.select_related("work"):
            action(comment=comment, by=request.user)
        self.message_user(request, f"{queryset.count()} comment(s) {done}.", messages.SUCCESS)

    @admin.action(description="Hide the selected comments")
    def hide_selected(self, request, queryset):
        self._each(request, queryset, services.comment_hide, "hidden")

    @admin.action(description="Show the selected comments again")
    def show_selected(self, request, queryset):
        self._each(request, queryset, services.comment_unhide, "shown")


@admin.register(CommentReport)
class CommentReportAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "reporter", "comment", "reason"]
    search_fields = ["reporter__email", "reason", "comment__body"]
    list_select_related = ["reporter", "comment"]
