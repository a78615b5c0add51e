from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Count, Q

from accounts import services
from accounts.enums import VerificationStatus
from accounts.models import (
    Follow,
    Membership,
    Notification,
    NotificationSettings,
    Organization,
    OrganizationDocument,
    SocialEvent,
    TokenSecondFactor,
    User,
)
from core.admin import AuditedDeletesAdmin, KeepsHistoryAdmin, ReadOnlyAdmin, SignedMediaAdmin
from core.errors import DomainError


@admin.register(User)
class UserAdmin(AuditedDeletesAdmin, DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "display_name", "is_staff", "is_active", "date_joined"]
    list_filter = ["is_staff", "is_superuser", "is_active"]
    search_fields = ["email", "display_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Profile", {"fields": ["display_name"]}),
        (
            "Permissions",
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]}),
    ]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


class DocumentInline(SignedMediaAdmin, admin.TabularInline):
    model = OrganizationDocument
    extra = 0
    fields = ["title", "file", "content_type", "size_bytes", "uploaded_by", "created_at"]
    readonly_fields = ["content_type", "size_bytes", "uploaded_by", "created_at"]


@admin.register(Organization)
class OrganizationAdmin(KeepsHistoryAdmin):
    list_display = [
        "name",
        "slug",
        "verification_status",
        "member_count",
        "document_count",
        "released_on_dispute",
        "created_at",
    ]
    list_filter = ["verification_status"]
    search_fields = ["name", "slug"]
    # Verification moves only through the actions below (documents required, the
    # organization's characters follow): never by editing the field.
    readonly_fields = [
        "verification_status",
        "verification_note",
        "verified_at",
        "verified_by",
        "created_at",
        "updated_at",
    ]
    inlines = [MembershipInline, DocumentInline]

    def audit_scope(self, obj):
        return obj

    actions = ["verify_selected", "reject_selected"]

    def get_queryset(self, request):
        released = Count(
            "claims",
            filter=Q(claims__status="released", claims__dispute__isnull=False),
            distinct=True,
        )
        return (
            super()
            .get_queryset(request)
            .annotate(
                member_count=Count("memberships", distinct=True),
                document_count=Count("documents", distinct=True),
                released_count=released,
            )
        )

    @admin.display(description="Claims released on dispute", ordering="released_count")
    def released_on_dispute(self, obj: Organization) -> int:
        """A false claim costs its filer trust: staff see how often this one's were."""
        return obj.released_count

    @admin.display(ordering="member_count")
    def member_count(self, obj: Organization) -> int:
        return obj.member_count

    @admin.display(description="Documents", ordering="document_count")
    def document_count(self, obj: Organization) -> int:
        return obj.document_count

    @admin.action(description="Verify selected organizations (pending, with documents)")
    def verify_selected(self, request, queryset):
        verified = 0
        for organization in queryset:
            try:
                services.organization_verify(organization=organization, by=request.user)
            except DomainError as exc:
                self.message_user(request, f"Not verified: {exc.detail}", level=messages.ERROR)
            else:
                verified += 1
        self.message_user(request, f"Verified {verified} organization(s).")

    @admin.action(description="Reject selected organizations (documents insufficient)")
    def reject_selected(self, request, queryset):
        pending = queryset.exclude(verification_status=VerificationStatus.VERIFIED)
        rejected = 0
        for organization in pending:
            try:
                services.organization_reject(
                    organization=organization,
                    by=request.user,
                    note="The documents did not establish the rights claimed.",
                )
            except DomainError as exc:
                self.message_user(request, f"Not rejected: {exc.detail}", level=messages.ERROR)
            else:
                rejected += 1
        skipped = queryset.count() - pending.count()
        self.message_user(request, f"Rejected {rejected} organization(s).")
        if skipped:
            self.message_user(
                request, f"Skipped {skipped} already verified.", level=messages.WARNING
            )


@admin.register(Membership)
class MembershipAdmin(AuditedDeletesAdmin):
    list_display = ["user", "organization", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__email", "organization__name"]
    autocomplete_fields = ["user", "organization"]

    def audit_scope(self, obj):
        return obj.organization


@admin.register(Follow)
class FollowAdmin(admin.ModelAdmin):
    list_display = ["follower", "followee", "created_at"]
    search_fields = ["follower__email", "followee__email"]
    autocomplete_fields = ["follower", "followee"]


@admin.register(OrganizationDocument)
class OrganizationDocumentAdmin(SignedMediaAdmin, AuditedDeletesAdmin):
    list_display = [
        "title",
        "organization",
        "content_type",
        "size_bytes",
        "uploaded_by",
        "created_at",
    ]
    list_filter = ["content_type"]
    search_fields = ["title", "organization__name"]
    list_select_related = ["organization", "uploaded_by"]
    readonly_fields = ["content_type", "size_bytes", "uploaded_by"]

    def audit_scope(self, obj):
        return obj.organization


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "user", "kind", "title", "read_at"]
    list_filter = ["kind"]
    search_fields = ["user__email", "title"]
    list_select_related = ["user"]
    readonly_fields = ["user", "kind", "title", "body", "url", "read_at", "created_at"]

    def has_add_permission(self, request):
        return False


@admin.register(NotificationSettings)
class NotificationSettingsAdmin(admin.ModelAdmin):
    list_display = ["user", "new_followers", "likes", "comments", "updated_at"]
    list_filter = ["new_followers", "likes", "comments"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
    autocomplete_fields = ["user"]


@admin.register(SocialEvent)
class SocialEventAdmin(ReadOnlyAdmin):
    """Follows, likes and comments waiting for the next batch of social notices."""

    list_display = ["created_at", "recipient", "actor", "kind", "target_title"]
    list_filter = ["kind"]
    search_fields = ["recipient__email", "actor__email", "target_title"]
    list_select_related = ["recipient", "actor"]


@admin.register(TokenSecondFactor)
class TokenSecondFactorAdmin(ReadOnlyAdmin):
    """Which API tokens were issued with a code from the owner's authenticator app
    (written only by the token endpoint)."""

    list_display = ["token_id", "owner", "created_at"]
    search_fields = ["token__user__email"]
    list_select_related = ["token__user"]

    @admin.display(description="Owner")
    def owner(self, obj: TokenSecondFactor) -> str:
        return obj.token.user.email
