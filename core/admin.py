"""Admin bases every app shares."""

from typing import Any

from django.contrib import admin
from django.contrib.admin.options import BaseModelAdmin
from django.contrib.admin.widgets import AdminFileWidget
from django.db import models
from django.db.models.fields.files import FieldFile

from core.media import media_url
from core.models import AuditEvent, OutboxMessage
from core.money import format_bps, format_minor


class ReadOnlyAdmin(admin.ModelAdmin):
    """For append-only records: staff read them; nobody adds, edits or deletes here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def money_column(field: str = "amount", *, currency: str = "currency", description: str = ""):
    """A list_display column showing ``field`` (minor units) as money in the row's
    ``currency`` ("$2.70", "¥500"), sortable by the field: staff never read cents."""

    @admin.display(description=description or field.replace("_", " ").capitalize(), ordering=field)
    def column(self, obj) -> str:
        value = getattr(obj, field)
        return "" if value is None else format_minor(value, getattr(obj, currency))

    column.__name__ = f"{field}_money"
    return column


def percent_column(field: str, *, description: str = ""):
    """A list_display column showing basis points as a percentage ("12.5%")."""

    @admin.display(
        description=description or field.removesuffix("_bps").replace("_", " ").capitalize(),
        ordering=field,
    )
    def column(self, obj) -> str:
        return format_bps(getattr(obj, field) or 0)

    column.__name__ = f"{field}_percent"
    return column


class _SignedFile:
    """What the admin's file widget prints for a stored file: its name, and as ``url``
    the signed URL for the staff member viewing the form."""

    def __init__(self, name: str, url: str) -> None:
        self.name, self.url = name, url

    def __str__(self) -> str:
        return self.name


class SignedFileWidget(AdminFileWidget):
    """The admin's file input, linking the current file through a signed URL (a plain
    ``.url`` serves nothing: core/media.py)."""

    def __init__(self, *args: Any, viewer: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.viewer = viewer

    def format_value(self, value: Any) -> Any:
        if isinstance(value, FieldFile) and value:
            return _SignedFile(value.name, media_url(file=value, viewer=self.viewer))
        return super().format_value(value)


class SignedMediaAdmin(BaseModelAdmin):
    """For admins (and inlines) of models with files: their links are signed for the
    staff member viewing the page."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if isinstance(db_field, models.FileField):
            kwargs["widget"] = SignedFileWidget(viewer=request.user)
        return super().formfield_for_dbfield(db_field, request, **kwargs)


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    """The outbox: what waits for the broker (unsent) and what was sent, with why a
    publish failed. The relay sends unsent ones by itself; nothing here to edit."""

    list_display = ["created_at", "task_name", "args", "sent_at", "attempts", "last_error"]
    list_filter = [("sent_at", admin.EmptyFieldListFilter), "task_name"]
    search_fields = ["task_name", "last_error"]
    date_hierarchy = "created_at"


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """The audit trail (append-only, hash-chained): staff read and search it here;
    ``manage.py audit_verify`` checks its chains."""

    list_display = ("occurred_at", "stream", "seq", "action", "actor_label", "subject_type")
    list_filter = ("action", "subject_type")
    search_fields = ("stream", "subject_id", "actor_label", "action", "reason")
    date_hierarchy = "occurred_at"
    readonly_fields = [field.name for field in AuditEvent._meta.fields]
