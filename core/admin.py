"""Admin bases every app shares."""

import functools
from typing import Any

from django.contrib import admin
from django.contrib.admin.models import DELETION, LogEntry
from django.contrib.admin.options import BaseModelAdmin
from django.contrib.admin.widgets import AdminFileWidget
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models.fields.files import FieldFile

from core.audit import audit_admin_action, audit_admin_deletions
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


class AuditedActionsAdmin(admin.ModelAdmin):
    """For admins of models that carry rights or money: each custom admin action run on
    a selection is an ``admin.action`` audit event per object selected (who, when,
    which action on what), recorded once the action has run (not when it only shows a
    page asking for a reason). The services the action calls record what they
    decided; this records that staff ran it, which a service called without the staff
    member (a payout retried) cannot. Not inside one transaction with the action:
    actions that call payment providers commit as they go."""

    def audit_scope(self, obj: Any) -> Any:
        """The rightsholder whose stream also records the event (None: platform only)."""
        return None

    def get_action(self, action):
        found = super().get_action(action)
        if found is None or found[1] == "delete_selected":
            return found
        func, name, description = found

        @functools.wraps(func)  # keeps allowed_permissions, which filter the actions
        def audited(modeladmin, request, queryset):
            objects = list(queryset)
            response = func(modeladmin, request, queryset)
            if response is None:  # a page to fill in first (a reason) is not the action yet
                audit_admin_action(
                    objects=objects,
                    actor=request.user,
                    action=name,
                    description=str(description),
                    scope_of=self.audit_scope,
                )
            return response

        return audited, name, description


class KeepsHistoryAdmin(AuditedActionsAdmin):
    """For rows whose deletion would lose rights or money history (grants, offers,
    claims, disputes, payouts, approvals, organizations, works...): nobody deletes them
    in the admin, one by one or in bulk; staff end, revoke, release or reject them
    through the admin actions, which call the services that record why."""

    def has_delete_permission(self, request, obj=None):
        return False


class AuditedDeletesAdmin(AuditedActionsAdmin):
    """For admins whose deletions change rights or money yet are allowed: every object
    deleted, from its page or with "delete selected", is an ``admin.deleted`` audit
    event with a copy of its fields, committed with the deletion or not at all.

    Django logs a deletion before making it (``log_deletions``) and, for several rows,
    with one ``bulk_create`` that the audit hook on ``LogEntry.post_save`` never sees;
    here the log entries, the audit events and the deletion happen together in
    ``delete_model``/``delete_queryset`` instead, one event per object."""

    def log_deletions(self, request, queryset):
        return []

    def delete_model(self, request, obj):
        with transaction.atomic():
            self._record_deletions(request, [obj], how="deleted from its admin page")
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            self._record_deletions(request, list(queryset), how="admin action delete selected")
            super().delete_queryset(request, queryset)

    def _record_deletions(self, request, objects: list, *, how: str) -> None:
        content_type = ContentType.objects.get_for_model(self.model, for_concrete_model=False)
        LogEntry.objects.bulk_create(
            LogEntry(
                user_id=request.user.pk,
                content_type_id=content_type.pk,
                object_id=str(obj.pk),
                object_repr=str(obj)[:200],
                action_flag=DELETION,
                change_message=how,
            )
            for obj in objects
        )
        audit_admin_deletions(
            objects=objects, actor=request.user, how=how, scope_of=self.audit_scope
        )


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
