"""The rightsholder chooses what a lookalike of each character gets, in the dashboard
editor and over the API (default: review)."""

import pytest
from django.urls import reverse

from licensing.models import Character
from tests.factories import CharacterFactory, MembershipFactory, editor_of

pytestmark = pytest.mark.django_db

DESCRIPTION = "A blue hedgehog who runs at supersonic speed in red sneakers."


def test_the_registration_form_offers_the_three_choices_and_saves_the_one_chosen(client):
    membership = MembershipFactory(role="manager")
    client.force_login(membership.user)
    create = reverse("licensing:character_create")

    html = client.get(create).content.decode()
    response = client.post(
        create,
        {
            "owner": f"org:{membership.organization.slug}",
            "name": "Azure Dash",
            "description": DESCRIPTION,
            "lookalike_action": "refuse",
        },
    )

    assert 'name="lookalike_action"' in html
    assert '<option value="review" selected>Send it to my approvals queue</option>' in html
    assert '<option value="refuse">Refuse it</option>' in html
    assert response.status_code == 302
    character = Character.objects.get()
    assert (character.description, character.lookalike_action) == (DESCRIPTION, "refuse")


def test_the_editor_changes_it_and_leaves_it_alone_when_not_sent(client):
    character = CharacterFactory(name="Azure Dash", description=DESCRIPTION)
    client.force_login(editor_of(character))
    manage = reverse("licensing:character_manage", args=[character.pk])
    form = {"name": "Azure Dash", "description": DESCRIPTION, "status": "active"}

    client.post(manage, {**form, "lookalike_action": "allow"})
    character.refresh_from_db()
    assert character.lookalike_action == "allow"
    assert '<option value="allow" selected>' in client.get(manage).content.decode()

    client.post(manage, form)
    character.refresh_from_db()
    assert character.lookalike_action == "allow"


def test_the_api_registers_and_edits_it_and_refuses_an_unknown_choice(api_client):
    membership = MembershipFactory(role="manager")
    api_client.force_authenticate(membership.user)

    created = api_client.post(
        "/api/v1/characters/",
        {"organization": membership.organization.slug, "name": "Azure Dash"},
        format="json",
    ).json()
    url = f"/api/v1/characters/{created['id']}/"
    changed = api_client.patch(url, {"lookalike_action": "refuse"}, format="json")
    unknown = api_client.patch(url, {"lookalike_action": "shrug"}, format="json")

    assert created["lookalike_action"] == "review"
    assert changed.status_code == 200 and changed.json()["lookalike_action"] == "refuse"
    assert unknown.status_code == 400
    assert unknown.json()["field"] == "lookalike_action"
    assert Character.objects.get().lookalike_action == "refuse"
