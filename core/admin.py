"""Admin bases every app shares."""

from django.contrib import admin

from core.models import OutboxMessage


class ReadOnlyAdmin(admin.ModelAdmin):
    """For append-only records: staff read them; nobody adds, edits or deletes here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    """The outbox: what waits for the broker (unsent) and what was sent, with why a
    publish failed. The relay sends unsent ones by itself; nothing here to edit."""

    list_display = ["created_at", "task_name", "args", "sent_at", "attempts", "last_error"]
    list_filter = [("sent_at", admin.EmptyFieldListFilter), "task_name"]
    search_fields = ["task_name", "last_error"]
    date_hierarchy = "created_at"
