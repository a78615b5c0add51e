"""Staff deletions and admin actions on what carries rights or money reach the audit
trail (core/admin.py): rows whose history must stay cannot be deleted in the admin at
all; the others are deleted with one ``admin.deleted`` event per object (a bulk
"delete selected" included, which Django logs without ``post_save``), and every custom
action records who ran it on which object."""

import pytest
from django.contrib import admin
from django.contrib.admin.models import DELETION, LogEntry
from django.test import RequestFactory
from django.urls import reverse

from core.admin import AuditedActionsAdmin, AuditedDeletesAdmin
from core.audit import PLATFORM, audit_verify, stream_for
from core.models import AuditEvent
from licensing import services
from licensing.models import Character, CharacterAlias, Grant, Offer, WatchlistEntry
from marketplace.models import Work
from tests.factories import CharacterFactory, UserFactory, WorkFactory, grant_for

pytestmark = pytest.mark.django_db

# Registered admins whose rows hold neither rights nor money: deleted like any row
# (the social plumbing, and the sign-in plumbing of Django, DRF and allauth).
NEITHER_RIGHTS_NOR_MONEY = {
    "auth.group",
    "authtoken.tokenproxy",
    "account.emailaddress",
    "mfa.authenticator",
    "accounts.follow",
    "accounts.notification",
    "accounts.notificationsettings",
    "marketplace.comment",
    "marketplace.storyline",
}


def _superuser_request():
    request = RequestFactory().get("/admin/")
    request.user = UserFactory(is_staff=True, is_superuser=True)
    return request


def test_every_admin_of_rights_or_money_refuses_deletion_or_audits_it():
    # given
    request = _superuser_request()
    unaudited = []

    # when
    for model, model_admin in admin.site._registry.items():
        if model._meta.label_lower in NEITHER_RIGHTS_NOR_MONEY:
            continue
        deletes = model_admin.has_delete_permission(request)
        acts = {name for name in model_admin.get_actions(request) if name != "delete_selected"}
        if (deletes and not isinstance(model_admin, AuditedDeletesAdmin)) or (
            acts and not isinstance(model_admin, AuditedActionsAdmin)
        ):
            unaudited.append(model._meta.label_lower)

    # then
    assert unaudited == []


@pytest.mark.parametrize(
    ("model", "make"),
    [
        (Grant, lambda: grant_for(CharacterFactory(), UserFactory())),
        (Offer, lambda: grant_for(CharacterFactory(), UserFactory()).offer),
        (Work, lambda: WorkFactory()),
    ],
)
def test_rows_that_keep_rights_or_money_history_cannot_be_deleted_in_the_admin(
    staff_client, model, make
):
    # given
    row = make()
    opts = model._meta

    # when
    page = staff_client.post(
        reverse(f"admin:{opts.app_label}_{opts.model_name}_delete", args=[row.pk]),
        {"post": "yes"},
    )
    bulk = staff_client.post(
        reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"),
        {"action": "delete_selected", "_selected_action": [str(row.pk)], "post": "yes"},
    )

    # then
    assert page.status_code == 403
    assert bulk.status_code in (200, 302)
    assert model.objects.filter(pk=row.pk).exists()
    assert not AuditEvent.objects.filter(action="admin.deleted").exists()


def test_a_bulk_delete_records_one_event_per_character_in_both_streams(
    staff_client, staff, django_capture_on_commit_callbacks
):
    # given
    kuro, shiro = CharacterFactory(name="Kuro"), CharacterFactory(name="Shiro")

    # when
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(
            reverse("admin:licensing_character_changelist"),
            {
                "action": "delete_selected",
                "_selected_action": [str(kuro.pk), str(shiro.pk)],
                "post": "yes",
            },
        )

    # then: who, when, what (every field) and how, per object
    assert not Character.objects.filter(pk__in=[kuro.pk, shiro.pk]).exists()
    platform = AuditEvent.objects.filter(stream=PLATFORM, action="admin.deleted")
    assert {e.subject_id for e in platform} == {str(kuro.pk), str(shiro.pk)}
    for event in platform:
        assert event.actor_id == staff.pk and event.subject_type == "licensing.character"
        assert event.data["fields"]["name"] in {"Kuro", "Shiro"}
        assert event.reason == "admin action delete selected (2 selected)"
    kuro_stream = stream_for(kuro.owner_organization)
    [own] = AuditEvent.objects.filter(stream=kuro_stream, action="admin.deleted")
    assert own.subject_id == str(kuro.pk)
    assert LogEntry.objects.filter(action_flag=DELETION).count() == 2
    assert audit_verify()[1] == []


def test_deleting_one_alias_from_its_page_is_recorded_once(
    staff_client, staff, django_capture_on_commit_callbacks
):
    # given
    character = CharacterFactory(name="Hoshi-chan")
    alias = CharacterAlias.objects.create(character=character, text="Star Girl")

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse("admin:licensing_characteralias_delete", args=[alias.pk]), {"post": "yes"}
        )

    # then
    assert response.status_code == 302
    [event] = AuditEvent.objects.filter(stream=PLATFORM, action="admin.deleted")
    assert (event.subject_type, event.subject_id) == ("licensing.characteralias", str(alias.pk))
    assert event.data["fields"]["text"] == "Star Girl"
    assert event.reason == "deleted from its admin page"
    assert audit_verify()[1] == []


def test_a_user_deleted_in_the_admin_leaves_no_password_hash_in_the_trail(staff_client):
    # given
    gone = UserFactory(email="gone@example.com")

    # when
    staff_client.post(reverse("admin:accounts_user_delete", args=[gone.pk]), {"post": "yes"})

    # then
    [event] = AuditEvent.objects.filter(action="admin.deleted", subject_type="accounts.user")
    assert event.data["fields"]["email"] == "gone@example.com"
    assert "password" not in event.data["fields"]


def test_a_custom_admin_action_records_who_ran_it_on_each_object(
    staff_client, staff, django_capture_on_commit_callbacks
):
    # given
    services.watchlist_import(rows=[{"name": "Totoro"}, {"name": "Shrek"}])
    entries = list(WatchlistEntry.objects.order_by("name"))

    # when
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(
            reverse("admin:licensing_watchlistentry_changelist"),
            {"action": "deactivate", "_selected_action": [str(e.pk) for e in entries]},
        )

    # then: the service's decisions, and that this staff member ran the action
    ran = AuditEvent.objects.filter(action="admin.action", stream=PLATFORM)
    assert {e.subject_id for e in ran} == {str(e.pk) for e in entries}
    assert all(e.actor_id == staff.pk and e.data["admin_action"] == "deactivate" for e in ran)
    assert AuditEvent.objects.filter(action="watchlist.deactivated").count() == 2
    assert audit_verify()[1] == []


def test_an_action_run_on_a_character_is_also_in_its_rightsholders_stream(staff_client, staff):
    # given
    character = CharacterFactory(name="Hoshi-chan")

    # when
    staff_client.post(
        reverse("admin:licensing_character_changelist"),
        {"action": "mark_disallowed", "_selected_action": [str(character.pk)]},
    )

    # then
    own = AuditEvent.objects.filter(stream=stream_for(character.owner_organization))
    assert {"admin.action", "character.disallowed"} <= set(own.values_list("action", flat=True))
    assert audit_verify()[1] == []
