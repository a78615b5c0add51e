"""Conflict reports over the API (issue 18 §1): the owner of a proven character reports
another owner's character that uses its name; every bad request is a clear 4xx and
stores nothing."""

import uuid

import pytest

from accounts.models import Notification
from licensing import services
from licensing.models import NameConflict
from tests.builders import pending_studio, verified_studio
from tests.factories import CharacterFactory, editor_of

pytestmark = pytest.mark.django_db

REASON = "Same character, same pink hair, registered by a fan account."


def _url(character) -> str:
    pk = character if isinstance(character, str) else character.pk
    return f"/api/v1/characters/{pk}/conflict-reports/"


@pytest.fixture
def parties():
    """Blossom Pictures' proven "Sakura" and another studio's active "Sakura Chan"
    (different names to screening, so no conflict opened by itself)."""
    sakura = CharacterFactory(name="Sakura", owner_organization__name="Blossom Pictures")
    other = CharacterFactory(name="Sakura Chan", owner_organization__name="Fan Studio")
    return sakura, other


def test_the_owner_of_a_proven_character_reports_another_owners_character(api_client, parties):
    # given
    sakura, other = parties
    other_owner = editor_of(other)
    api_client.force_authenticate(editor_of(sakura))

    # when
    response = api_client.post(
        _url(other), {"character_id": str(sakura.pk), "reason": REASON}, format="json"
    )

    # then: open for staff, with who reported it; the reported character keeps its standing
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["character"], body["basis"], body["status"]) == (
        str(other.pk),
        str(sakura.pk),
        "open",
    )
    conflict = NameConflict.objects.get()
    assert (conflict.reported_by, conflict.report_reason) == (editor_of(sakura), REASON)
    other.refresh_from_db()
    assert other.status == "active"
    # and: the reported owner is told
    note = Notification.objects.get(user=other_owner, kind="name_conflict.reported")
    assert note.title == "Blossom Pictures says Sakura Chan uses their name"


def _refused(api_client, user, path, body):
    api_client.force_authenticate(user)
    response = api_client.post(path, body, format="json")
    assert not NameConflict.objects.exists()
    return response.status_code, response.json()["code"]


def test_a_report_needs_a_reason(api_client, parties):
    sakura, other = parties
    editor = editor_of(sakura)

    missing = _refused(api_client, editor, _url(other), {"character_id": str(sakura.pk)})
    blank = _refused(
        api_client, editor, _url(other), {"character_id": str(sakura.pk), "reason": "  "}
    )

    assert (missing, blank) == ((400, "required"), (400, "blank"))


def test_reporting_ones_own_character_is_refused(api_client, parties):
    # given: the reporter's organization owns both characters
    sakura, _ = parties
    own = CharacterFactory(name="Sakura Two", owner_organization=sakura.owner_organization)

    # then: either way round
    body = {"character_id": str(sakura.pk), "reason": REASON}
    assert _refused(api_client, editor_of(sakura), _url(own), body) == (400, "own_character")
    assert _refused(api_client, editor_of(sakura), _url(sakura), body) == (400, "own_character")


def test_reporting_with_a_character_you_do_not_manage_is_refused(api_client, parties):
    # given: a third studio's owner names Blossom Pictures' character as the basis
    sakura, other = parties
    _, (stranger,) = verified_studio(name="Stranger Studio")

    # then
    body = {"character_id": str(sakura.pk), "reason": REASON}
    assert _refused(api_client, stranger, _url(other), body) == (403, "permission_denied")


def test_a_draft_is_no_basis_for_a_report(api_client, parties):
    # given: an unverified organization's "Momo" (a draft)
    _, other = parties
    organization, owner = pending_studio(name="Squatters Inc")
    draft = services.character_create(by=owner, name="Momo", owner_organization=organization)

    # then
    body = {"character_id": str(draft.pk), "reason": REASON}
    assert _refused(api_client, owner, _url(other), body) == (400, "character_draft")


def test_unknown_or_malformed_ids_are_refused(api_client, parties):
    sakura, other = parties
    editor = editor_of(sakura)
    body = {"character_id": str(sakura.pk), "reason": REASON}

    assert _refused(api_client, editor, _url(str(uuid.uuid4())), body) == (404, "not_found")
    api_client.force_authenticate(editor)
    assert api_client.post(_url("not-a-uuid"), body, format="json").status_code == 404
    unknown_basis = {"character_id": str(uuid.uuid4()), "reason": REASON}
    assert _refused(api_client, editor, _url(other), unknown_basis) == (404, "not_found")
    malformed_basis = {"character_id": "sakura", "reason": REASON}
    assert _refused(api_client, editor, _url(other), malformed_basis) == (400, "invalid")
    assert not NameConflict.objects.exists()


def test_a_draft_of_another_owner_cannot_be_reported_as_it_is_not_seen(api_client, parties):
    # given: a draft only its owner sees
    sakura, _ = parties
    organization, owner = pending_studio(name="Squatters Inc")
    draft = services.character_create(by=owner, name="Sakura Z", owner_organization=organization)

    # then
    body = {"character_id": str(sakura.pk), "reason": REASON}
    assert _refused(api_client, editor_of(sakura), _url(draft), body) == (404, "not_found")


def test_the_same_report_twice_is_a_conflict(api_client, parties):
    # given: a report waiting for staff
    sakura, other = parties
    api_client.force_authenticate(editor_of(sakura))
    body = {"character_id": str(sakura.pk), "reason": REASON}
    first = api_client.post(_url(other), body, format="json")

    # when
    again = api_client.post(_url(other), body, format="json")

    # then
    assert first.status_code == 201
    assert (again.status_code, again.json()["code"]) == (409, "duplicate")
    assert NameConflict.objects.count() == 1


def test_staff_upholding_a_report_archive_the_reported_character(api_client, parties, staff):
    # given: a report waiting for staff
    sakura, other = parties
    api_client.force_authenticate(editor_of(sakura))
    api_client.post(_url(other), {"character_id": str(sakura.pk), "reason": REASON}, format="json")

    # when
    services.name_conflict_decide(
        conflict=NameConflict.objects.get(), by=staff, allow=False, reason="A copy of Sakura."
    )

    # then: archived, and it cannot come back under that name
    other.refresh_from_db()
    assert other.status == "archived"
    assert services.character_draft_reasons(character=other) == [
        "Our staff found its name “Sakura Chan” belongs to Blossom Pictures: rename it."
    ]
