"""Territory and rating: what a creator declares is checked against every licence's
terms before anything is made, and shown to the rightsholder beside the work. Cocreate
cannot verify a declaration; it refuses one that is malformed or missing where the
terms limit territory."""

import pytest
from django.urls import reverse

from core.errors import DomainError
from marketplace import services as marketplace_services
from marketplace.models import GenerationRequest
from tests.factories import CharacterFactory, UserFactory, editor_of, grant_for
from tests.marketplace.conftest import signing, with_image  # noqa: F401 (a fixture)
from tests.marketplace.helpers import make_work

pytestmark = pytest.mark.django_db


def _generate(api_client, creator, character, **body):
    api_client.force_authenticate(creator)
    return api_client.post(
        "/api/v1/generations/",
        {"prompt": "A calm walk", "character_ids": [str(character.pk)], **body},
        format="json",
    )


@pytest.mark.parametrize(
    "territory,detail",
    [
        ("JPN", "no more than 2 characters"),
        ("zz", "'zz' is not a country code"),
        ("1", "'1' is not a country code"),
        ("é", "not a country code"),
    ],
)
def test_a_territory_that_is_not_a_country_code_is_refused_naming_the_field(
    api_client, territory, detail
):
    creator = UserFactory()
    hoshi = CharacterFactory()
    grant_for(hoshi, creator)

    response = _generate(api_client, creator, hoshi, territory=territory)

    assert response.status_code == 400
    assert response.json()["field"] == "territory"
    assert detail in response.json()["detail"]
    assert not GenerationRequest.objects.exists()


def test_the_studio_refuses_a_code_it_would_otherwise_have_cut_to_two_letters():
    # the service itself, as the studio and the demo call it: "JPN" is not cut to "JP"
    creator = UserFactory()
    with pytest.raises(DomainError, match="'JPN' is not a country code"):
        marketplace_services.generation_request_create(
            creator=creator, prompt="A calm walk", character_ids=[], territory="JPN"
        )


def test_a_lower_case_country_code_is_stored_as_the_code(api_client):
    creator = UserFactory()
    hoshi = CharacterFactory()
    grant_for(hoshi, creator)

    response = _generate(api_client, creator, hoshi, territory="jp")

    assert response.status_code == 202
    assert GenerationRequest.objects.get().territory == "JP"


def test_screening_refuses_a_malformed_territory_too(api_client):
    creator = UserFactory()
    hoshi = CharacterFactory()
    grant_for(hoshi, creator)
    api_client.force_authenticate(creator)

    response = api_client.post(
        "/api/v1/screen/",
        {"prompt": "A calm walk", "character_ids": [str(hoshi.pk)], "territory": "XX"},
        format="json",
    )

    assert (response.status_code, response.json()["field"]) == (400, "territory")


@pytest.mark.parametrize(
    "territory,refused_code",
    [("", "territory_unknown"), ("DE", "territory"), ("JP", None)],
)
def test_a_block_list_refuses_the_listed_territory_and_an_undeclared_one(territory, refused_code):
    # given: a licence for everywhere but Germany
    creator = UserFactory()
    hoshi = CharacterFactory(name="Hoshi-chan")
    grant_for(hoshi, creator, territory_mode="block", territories=["DE"])

    # when: the pipeline's check runs on what the creator declared
    request = marketplace_services.generation_request_create(
        creator=creator,
        prompt="Hoshi-chan walks",
        character_ids=[hoshi.pk],
        territory=territory,
        enqueue=False,
    )
    marketplace_services.generation_check(request_id=request.pk)
    request.refresh_from_db()

    # then
    if refused_code is None:
        assert request.status == "rendering"
    else:
        assert request.status == "refused"
        assert [r["code"] for r in request.reasons] == [refused_code]
        assert "Hoshi-chan" in request.reason


def test_a_rating_above_the_terms_is_refused_by_name():
    creator = UserFactory()
    hoshi = CharacterFactory(name="Hoshi-chan")
    grant_for(hoshi, creator, max_rating="teen")

    request = marketplace_services.generation_request_create(
        creator=creator,
        prompt="Hoshi-chan walks",
        character_ids=[hoshi.pk],
        rating="mature",
        enqueue=False,
    )
    marketplace_services.generation_check(request_id=request.pk)
    request.refresh_from_db()

    assert request.status == "refused"
    assert "rated teen or milder; this one is mature" in request.reason


@pytest.mark.usefixtures("signing")
def test_the_rightsholder_sees_the_creators_declarations_beside_the_work(client, api_client):
    # given: a likeness licensed only in Japan, all ages, each video reviewed
    owner = UserFactory()
    aiko = with_image(
        CharacterFactory(
            name="Aiko Tanaka", kind="likeness", owner_user=owner, owner_organization=None
        )
    )
    creator = UserFactory()
    grant_for(
        aiko,
        creator,
        approval="per_work",
        territory_mode="allow",
        territories=["JP"],
        max_rating="all_ages",
    )

    # when: the creator, declaring Japan and all ages, makes a video
    work = make_work(
        creator=creator,
        characters=[aiko],
        prompt="Aiko Tanaka waves",
        territory="JP",
        rating="all_ages",
    )
    assert work.status == "pending_approval"

    # then: the owner's approvals queue shows what was declared and what the terms allow
    client.force_login(owner)
    queue = client.get(reverse("marketplace:approvals")).content.decode()
    assert "territory JP" in queue and "rated all ages" in queue
    assert "Its licences allow only JP, rated all ages or milder" in queue
    assert "Cocreate cannot verify where they are" in queue
    # and: the API's queue
    api_client.force_authenticate(owner)
    [listed] = api_client.get("/api/v1/approvals/").json()["results"]
    assert listed["declared"] == {
        "territory": "JP",
        "rating": "all ages",
        "commercial_asked": False,
        "commercial": False,
        "territories_allowed": ["JP"],
        "territories_blocked": [],
        "max_rating": "all ages",
    }
    # and: so does the work's page, for the owner and the creator
    for person in (owner, creator):
        client.force_login(person)
        assert "territory JP" in client.get(work.get_absolute_url()).content.decode()

    # when: approved and published, a viewer's page does not show the declarations
    approval = work.approvals.get()
    marketplace_services.work_approval_decide(approval=approval, by=owner, approve=True)
    client.force_login(UserFactory())
    page = client.get(work.get_absolute_url())
    assert page.status_code == 200
    assert "Declared by the creator" not in page.content.decode()


def test_the_approvals_queue_reads_a_constant_number_of_queries(
    client, django_assert_max_num_queries
):
    # given: a rightsholder with several videos waiting
    from tests.builders import pending_approval_work

    owner = UserFactory()
    aiko = CharacterFactory(kind="likeness", owner_user=owner, owner_organization=None)
    for n in range(6):
        creator = UserFactory()
        grant = grant_for(aiko, creator, approval="per_work")
        pending_approval_work(creator=creator, grant=grant, character=aiko, title=f"Video {n}")
    client.force_login(owner)
    assert editor_of(aiko) == owner

    # when / then: the page's queries do not grow with the number of videos
    with django_assert_max_num_queries(20):
        response = client.get(reverse("marketplace:approvals"))
    assert response.content.decode().count("Declared by the creator") == 6
