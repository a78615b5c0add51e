"""Name conflicts (issue 18 §1): registering a name or alias that a proven owner already
holds, after screening's normalisation, opens a conflict for staff; the later name waits
(a draft, or a held alias) until staff allow it or uphold the earlier holder, with a
reason."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from accounts import services as accounts_services
from accounts.models import Notification
from core.errors import DomainError, NotPermitted
from licensing import services
from licensing.models import Character, CharacterAlias, NameConflict, NameForm
from licensing.policy.registry import forget_local_registry
from tests.builders import pending_studio, verified_studio
from tests.factories import CharacterFactory, UserFactory, proven_likeness
from tests.media import fetch, media_url_of, media_urls

pytestmark = pytest.mark.django_db

# Session, user and second factor, the counts and the rows (one query, both owners
# joined): the same for 3 conflicts as for 300.
CHANGELIST_QUERIES = 8


def _register(name, *, aliases=(), studio="Later Studio"):
    """A verified studio's owner registers ``name``: a studio nothing else holds back."""
    organization, (owner,) = verified_studio(name=studio)
    character = services.character_create(
        by=owner, name=name, owner_organization=organization, aliases=list(aliases)
    )
    return character, owner


def _png() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "teal").save(buffer, "PNG")
    return SimpleUploadedFile("ref.png", buffer.getvalue(), content_type="image/png")


def _named_in(prompt):
    """The ids of the characters screening finds in ``prompt`` (as the registry stands
    now in this transaction)."""
    forget_local_registry()
    decision, _ = services.policy_screen(creator=UserFactory(), prompt=prompt, character_ids=[])
    return {r.character_id for r in decision.refusals if r.code == "unlicensed_character"}


@pytest.fixture
def sakura():
    """The earlier holder: "Sakura", of a verified studio."""
    return CharacterFactory(name="Sakura", owner_organization__name="Blossom Pictures")


def test_registering_a_verified_owners_name_opens_a_conflict_and_stays_a_draft(sakura):
    # when: another (verified) studio registers the same name
    later, owner = _register("Sakura")

    # then: a conflict waits for staff; the later character is a draft that says why
    conflict = NameConflict.objects.get()
    assert (conflict.holder, conflict.later, conflict.on, conflict.status) == (
        sakura,
        later,
        "name",
        "open",
    )
    assert (conflict.text, conflict.holder_text, conflict.reported_by) == ("Sakura", "Sakura", None)
    assert later.status == "draft"
    assert services.character_draft_reasons(character=later) == [
        "Its name “Sakura” is also registered by Blossom Pictures; our staff are deciding "
        "who holds it."
    ]
    # and: screening knows only the holder's entry
    assert _named_in("Sakura dances in the rain") == {str(sakura.pk)}
    # and: the later owner is told
    note = Notification.objects.get(user=owner, kind="name_conflict.opened")
    assert note.title == "“Sakura” is also registered by Blossom Pictures"


def test_an_owner_cannot_activate_a_character_whose_name_waits_on_a_conflict(sakura):
    # given
    later, owner = _register("Sakura")

    # when
    with pytest.raises(DomainError) as refused:
        services.character_update(character=later, by=owner, status="active")

    # then
    assert refused.value.code == "invalid_state"
    assert "our staff are deciding" in str(refused.value)
    assert Character.objects.get(pk=later.pk).status == "draft"


def test_renaming_an_active_character_to_a_held_name_makes_it_a_draft(sakura):
    # given: an active character of another studio
    later, owner = _register("Hana")
    assert later.status == "active"

    # when
    later = services.character_update(character=later, by=owner, name="SAKURA")

    # then
    assert Character.objects.get(pk=later.pk).status == "draft"
    assert NameConflict.objects.get().text == "SAKURA"


def test_an_alias_of_an_active_character_that_another_holds_is_held(sakura):
    # given: an active character of another studio
    later, owner = _register("Hana")

    # when: its owner gives it two aliases, one of them the holder's name
    services.character_aliases_set(character=later, by=owner, aliases=["Sakura", "Blossom"])

    # then: only that alias waits; the character stays active
    conflict = NameConflict.objects.get()
    assert (conflict.on, conflict.text, conflict.holder) == ("alias", "Sakura", sakura)
    held = dict(
        CharacterAlias.objects.filter(character=later).values_list("text", "held_by_conflict")
    )
    assert held == {"Sakura": True, "Blossom": False}
    assert Character.objects.get(pk=later.pk).status == "active"
    assert not NameForm.objects.filter(character=later, source="Sakura").exists()
    assert _named_in("Sakura in bloom") == {str(sakura.pk)}
    assert _named_in("Blossom in bloom") == {str(later.pk)}


def test_screening_normalisation_decides_what_is_the_same_name():
    # given: the holder registered "Sakura Haruno"
    holder = CharacterFactory(name="Sakura Haruno")

    # when: another studio registers it in full-width capitals with a hyphen
    later, _ = _register("ＳＡＫＵＲＡ-haruno")

    # then
    conflict = NameConflict.objects.get()
    assert (conflict.holder, conflict.later, conflict.key) == (holder, later, "sakuraharuno")
    assert later.status == "draft"


def test_a_name_only_alike_is_no_conflict(sakura):
    # when: a name that contains the holder's, and its plural
    first, _ = _register("Sakura Blossom")
    second, _ = _register("Sakuras", studio="Other Studio")

    # then
    assert not NameConflict.objects.exists()
    assert (first.status, second.status) == ("active", "active")


def test_no_conflict_with_a_draft_nor_with_ones_own_characters():
    # given: an unverified organization's "Sakura" (a draft), and a verified studio's "Hana"
    organization, squatter = pending_studio(name="Squatters Inc")
    draft = services.character_create(by=squatter, name="Sakura", owner_organization=organization)
    hana, owner = _register("Hana")

    # when: the verified studio registers "Sakura", and another character aliased "Hana"
    later = services.character_create(
        by=owner, name="Sakura", owner_organization=hana.owner_organization
    )
    own = services.character_create(
        by=owner, name="Hana Two", owner_organization=hana.owner_organization, aliases=["Hana"]
    )

    # then: neither opens a conflict; both are active
    assert draft.status == "draft"
    assert not NameConflict.objects.exists()
    assert (later.status, own.status) == ("active", "active")


def test_a_squatter_verified_later_does_not_take_a_name_proven_meanwhile(staff):
    # given: a squatter registers "Sakura" while unverified (a draft); then the real
    # studio, verified, registers it (no conflict with a draft)
    organization, squatter = pending_studio(name="Squatters Inc")
    squatted = services.character_create(
        by=squatter, name="Sakura", owner_organization=organization, aliases=["Tokyo Girl"]
    )
    real, _ = _register("Sakura", aliases=["Tokyo Girl"], studio="Blossom Pictures")
    assert not NameConflict.objects.exists()

    # when: staff verify the squatter's organization
    accounts_services.organization_verify(organization=organization, by=staff)

    # then: the name was proven first by the real studio; the squatter's waits for staff
    squatted.refresh_from_db()
    assert squatted.status == "draft"
    opened = {(c.holder_id, c.later_id, c.on) for c in NameConflict.objects.all()}
    assert opened == {(real.pk, squatted.pk, "name"), (real.pk, squatted.pk, "alias")}
    assert CharacterAlias.objects.get(character=squatted).held_by_conflict
    assert _named_in("Sakura in Tokyo") == {str(real.pk)}


def test_a_verified_likeness_holds_its_name_against_a_studio():
    # given: a person's approved likeness
    person = UserFactory()
    likeness = proven_likeness(person, "Aiko Tanaka")

    # when: a studio registers a character of that name
    later, _ = _register("aiko tanaka")

    # then: the person is not named to the studio
    conflict = NameConflict.objects.get()
    assert conflict.holder == likeness
    assert services.character_draft_reasons(character=later) == [
        "Its name “aiko tanaka” is also registered by a verified person; our staff are "
        "deciding who holds it."
    ]


def test_staff_allowing_a_name_make_the_later_character_active(sakura, staff):
    # given
    later, owner = _register("Sakura")
    conflict = NameConflict.objects.get()

    # when
    decided = services.name_conflict_decide(
        conflict=conflict, by=staff, allow=True, reason="A common given name; no confusion."
    )

    # then: recorded, the later character active, and both names screen
    assert (decided.status, decided.decided_by, decided.decision_reason) == (
        "allowed",
        staff,
        "A common given name; no confusion.",
    )
    assert decided.decided_at is not None
    assert Character.objects.get(pk=later.pk).status == "active"
    assert _named_in("Sakura waves") == {str(sakura.pk), str(later.pk)}
    note = Notification.objects.get(user=owner, kind="name_conflict.allowed")
    assert "A common given name" in note.body


def test_staff_upholding_the_holder_archive_the_later_character(sakura, staff):
    # given
    later, owner = _register("Sakura")

    # when
    services.name_conflict_decide(
        conflict=NameConflict.objects.get(),
        by=staff,
        allow=False,
        reason="Blossom Pictures' character since 2019.",
    )

    # then: archived, its name screens nothing, and it cannot be made active again
    later.refresh_from_db()
    assert later.status == "archived"
    assert _named_in("Sakura waves") == {str(sakura.pk)}
    with pytest.raises(DomainError) as refused:
        services.character_update(character=later, by=owner, status="active")
    assert "belongs to Blossom Pictures" in str(refused.value)
    assert Notification.objects.filter(user=owner, kind="name_conflict.upheld").exists()


def test_allowing_an_alias_releases_it_and_editing_aliases_does_not_hold_it_again(sakura, staff):
    # given: a held alias, allowed by staff
    later, owner = _register("Hana", aliases=["Sakura"])
    services.name_conflict_decide(
        conflict=NameConflict.objects.get(), by=staff, allow=True, reason="Fan nickname, fine."
    )
    assert not CharacterAlias.objects.get(character=later).held_by_conflict

    # when: the owner edits the aliases again, keeping it
    services.character_aliases_set(character=later, by=owner, aliases=["Sakura", "Hanachan"])

    # then: no new conflict, the alias is not held, and it screens
    assert NameConflict.objects.count() == 1
    assert not CharacterAlias.objects.get(character=later, text="Sakura").held_by_conflict
    assert str(later.pk) in _named_in("Sakura waves")


def test_upholding_an_alias_removes_it_and_it_cannot_be_added_again(sakura, staff):
    # given
    later, owner = _register("Hana", aliases=["Sakura", "Hanachan"])

    # when
    services.name_conflict_decide(
        conflict=NameConflict.objects.get(), by=staff, allow=False, reason="Theirs."
    )

    # then: the alias is gone, the character active, and adding it back is refused
    assert list(later.aliases.values_list("text", flat=True)) == ["Hanachan"]
    assert Character.objects.get(pk=later.pk).status == "active"
    with pytest.raises(DomainError) as refused:
        services.character_aliases_set(character=later, by=owner, aliases=["Sakura"])
    assert refused.value.code == "name_taken"
    assert list(later.aliases.values_list("text", flat=True)) == ["Hanachan"]


def test_a_decision_needs_staff_a_reason_and_an_open_conflict(sakura, staff):
    # given
    _, owner = _register("Sakura")
    conflict = NameConflict.objects.get()

    # when / then: without a reason, nothing changes
    with pytest.raises(DomainError) as no_reason:
        services.name_conflict_decide(conflict=conflict, by=staff, allow=True, reason="  ")
    assert (no_reason.value.code, no_reason.value.field) == ("required", "reason")
    assert NameConflict.objects.get().status == "open"
    # and: only staff decide
    with pytest.raises(NotPermitted):
        services.name_conflict_decide(conflict=conflict, by=owner, allow=True, reason="Mine")
    # and: a decided conflict is not decided again
    services.name_conflict_decide(conflict=conflict, by=staff, allow=True, reason="Fine.")
    with pytest.raises(DomainError) as again:
        services.name_conflict_decide(conflict=conflict, by=staff, allow=False, reason="No.")
    assert again.value.status_code == 409
    assert NameConflict.objects.get().status == "allowed"


# --- the admin --------------------------------------------------------------------------------


@pytest.fixture
def documented_conflict(staff):
    """Two studios that each proved their rights with a document: the earlier one holds
    "Sakura", the later one registers it."""
    holder_org, holder_owner = pending_studio(name="Blossom Pictures")
    later_org, later_owner = pending_studio(name="Later Studio")
    holder_org, later_org = (
        accounts_services.organization_verify(organization=organization, by=staff)
        for organization in (holder_org, later_org)
    )
    services.character_create(by=holder_owner, name="Sakura", owner_organization=holder_org)
    services.character_create(by=later_owner, name="Sakura", owner_organization=later_org)
    return NameConflict.objects.select_related("holder", "later").get()


def test_staff_see_both_parties_and_their_documents_side_by_side(staff_client, documented_conflict):
    # given
    conflict = documented_conflict
    documents = [
        conflict.holder.owner_organization.documents.get(),
        conflict.later.owner_organization.documents.get(),
    ]

    # when
    response = staff_client.get(reverse("admin:licensing_nameconflict_change", args=[conflict.pk]))

    # then: both owners, their standing, and a working link to each document
    page = response.content.decode()
    assert response.status_code == 200
    assert "Blossom Pictures" in page and "Later Studio" in page
    assert "Earlier holder" in page and "Later registration" in page
    links = media_urls(page)
    for document in documents:
        opened = fetch(staff_client, media_url_of(links, document.file.name))
        assert opened.status_code == 200
        assert opened.body.startswith(b"%PDF")
    assert 'action="' + reverse("admin:licensing_nameconflict_decide", args=[conflict.pk]) in page


def test_a_likeness_party_shows_its_reference_images_and_verification(staff_client):
    # given: a verified likeness holds the name; a studio registers it
    person = UserFactory()
    likeness = proven_likeness(person, "Aiko Tanaka", images=[_png()])
    _register("Aiko Tanaka")
    conflict = NameConflict.objects.get()

    # when
    page = staff_client.get(
        reverse("admin:licensing_nameconflict_change", args=[conflict.pk])
    ).content.decode()

    # then
    image = likeness.images.get()
    assert "Likeness verified" in page
    opened = fetch(staff_client, media_url_of(media_urls(page), image.image.name))
    assert opened.status_code == 200
    assert opened.body.startswith(b"\x89PNG")


def test_staff_decide_in_the_admin_with_a_reason(staff_client, staff, documented_conflict):
    # given
    conflict = documented_conflict
    decide = reverse("admin:licensing_nameconflict_decide", args=[conflict.pk])

    # when: first without a reason, then upholding with one
    refused = staff_client.post(decide, {"decision": "uphold", "reason": ""}, follow=True)
    still_open = NameConflict.objects.get().status
    staff_client.post(decide, {"decision": "uphold", "reason": "Theirs since 2019."})

    # then
    assert still_open == "open"
    assert any("Not decided" in str(m) for m in refused.context["messages"])
    conflict.refresh_from_db()
    assert (conflict.status, conflict.decided_by, conflict.decision_reason) == (
        "upheld",
        staff,
        "Theirs since 2019.",
    )
    assert Character.objects.get(pk=conflict.later_id).status == "archived"


def test_staff_allow_in_the_admin(staff_client, documented_conflict):
    # given
    conflict = documented_conflict

    # when
    staff_client.post(
        reverse("admin:licensing_nameconflict_decide", args=[conflict.pk]),
        {"decision": "allow", "reason": "Different franchises, no confusion."},
    )

    # then
    assert NameConflict.objects.get().status == "allowed"
    assert Character.objects.get(pk=conflict.later_id).status == "active"


def test_the_changelist_lists_open_conflicts_first_in_few_queries(
    staff_client, staff, django_assert_max_num_queries
):
    # given: one decided conflict and two open ones
    for n, name in enumerate(["Sakura", "Hana", "Momo"]):
        CharacterFactory(name=name)
        _register(name, studio=f"Later {n}")
    first = NameConflict.objects.get(text="Sakura")
    services.name_conflict_decide(conflict=first, by=staff, allow=True, reason="Fine.")

    # when
    with django_assert_max_num_queries(CHANGELIST_QUERIES):
        response = staff_client.get(reverse("admin:licensing_nameconflict_changelist"))

    # then: the decided one comes last
    assert response.status_code == 200
    shown = [c.text for c in response.context["cl"].result_list]
    assert shown[-1] == "Sakura" and set(shown[:2]) == {"Hana", "Momo"}


# --- the owner's side -------------------------------------------------------------------------


def test_the_owner_reads_why_on_the_manage_page_and_renaming_frees_the_character(sakura, client):
    # given: a draft held back by a conflict on its name, with a held alias
    CharacterFactory(name="Blossom", owner_organization=sakura.owner_organization)
    later, owner = _register("Sakura", aliases=["Blossom", "Sakura Chan"])
    client.force_login(owner)
    page = reverse("licensing:character_manage", kwargs={"pk": later.pk})

    # when: the owner looks, then renames it through the same form
    before = client.get(page).content.decode()
    response = client.post(
        page,
        {
            "name": "Hana",
            "aliases": "Blossom\nSakura Chan",
            "franchise": "",
            "description": "",
            "lookalike_action": "review",
            "status": "draft",
        },
    )

    # then: the page said why; under a name nobody holds it is active
    assert "is also registered by Blossom Pictures; our staff are deciding" in before
    assert "Another owner already holds “Blossom”" in before
    assert response.status_code == 302, response.content.decode()[:2000]
    later.refresh_from_db()
    assert (later.name, later.status) == ("Hana", "active")
    # and: the alias stays held until staff decide it
    assert CharacterAlias.objects.get(character=later, text="Blossom").held_by_conflict
    assert NameConflict.objects.filter(later=later).count() == 2


def test_upholding_a_name_the_later_character_gave_up_archives_nothing(sakura, staff):
    # given: the later character renamed itself while the conflict waited
    later, owner = _register("Sakura")
    services.character_update(character=later, by=owner, name="Hana")

    # when
    services.name_conflict_decide(
        conflict=NameConflict.objects.get(), by=staff, allow=False, reason="Theirs."
    )

    # then: recorded, and the character keeps its new name and standing
    assert NameConflict.objects.get().status == "upheld"
    assert Character.objects.get(pk=later.pk).status == "active"
