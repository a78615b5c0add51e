"""Lookalikes end to end: a creator posts a prompt that describes a registered character
without naming it (``POST /api/v1/generations/``), and reads what happened the way they
would (``GET /api/v1/generations/{id}/``, the rightsholder's ``/api/v1/approvals/``).

The characters are registered through the service, so their descriptions are embedded
by the real task, enqueued on commit (run inline here). The fast tests run the
pipeline's steps in this process, as the demo seed does; the last test runs it on a real
worker, which also embeds the description and has loaded the model as it started."""

import time

import pytest

from licensing import services as licensing_services
from licensing.models import CharacterEmbedding
from marketplace import services
from marketplace.models import Work, WorkApproval
from tests.factories import (
    CharacterFactory,
    MembershipFactory,
    UserFactory,
    editor_of,
    grant_for,
    publish_offer,
)
from tests.marketplace.conftest import wait_for, with_image

DASH = (
    "A blue anthropomorphic hedgehog with spiky quills and green eyes who runs at "
    "supersonic speed in red sneakers with white straps, collecting golden rings."
)
DESCRIBES_DASH = "Hoshi-chan races the blue hedgehog who runs fast in red sneakers"
STEPS = (
    services.generation_check,
    services.generation_render,
    services.generation_sign,
    services.generation_route,
)


def register_dash(capture, **fields):
    """Azure Dash, registered by its studio's owner; its description embedded on commit."""
    owner = MembershipFactory(organization__verification_status="verified")
    with capture(execute=True):
        dash = licensing_services.character_create(
            by=owner.user,
            owner_organization=owner.organization,
            name="Azure Dash",
            description=DASH,
            **fields,
        )
    assert CharacterEmbedding.objects.filter(character=dash).exists()
    return dash, owner.user


@pytest.fixture
def hoshi_creator():
    """A creator licensed for Hoshi-chan, who has a reference image."""
    hoshi = with_image(CharacterFactory(name="Hoshi-chan", description=""))
    creator = UserFactory()
    grant_for(hoshi, creator)
    return hoshi, creator


def generate(api_client, creator, character, prompt=DESCRIBES_DASH, steps=STEPS[:1]):
    api_client.force_authenticate(creator)
    response = api_client.post(
        "/api/v1/generations/",
        {"prompt": prompt, "character_ids": [str(character.pk)], "duration_s": 4},
        format="json",
    )
    assert response.status_code == 202, response.json()
    request_id = response.json()["id"]
    for step in steps:
        step(request_id=request_id)
    return api_client.get(f"/api/v1/generations/{request_id}/").json()


@pytest.mark.django_db
def test_describing_a_character_whose_rightsholder_refuses_lookalikes_is_refused(
    api_client, hoshi_creator, eager_celery, django_capture_on_commit_callbacks
):
    hoshi, creator = hoshi_creator
    register_dash(django_capture_on_commit_callbacks, lookalike_action="refuse")

    status = generate(api_client, creator, hoshi)

    assert status["status"] == "refused"
    (reason,) = status["reasons"]
    assert (reason["code"], reason["character_name"]) == ("lookalike", "Azure Dash")
    assert status["reason"].startswith("The prompt describes Azure Dash (a blue anthropomorphic")
    assert "you hold no licence for them" in status["reason"]


@pytest.mark.django_db
def test_describing_a_character_sent_to_review_waits_in_its_owners_approvals_queue(
    api_client, hoshi_creator, eager_celery, django_capture_on_commit_callbacks, signing
):
    hoshi, creator = hoshi_creator
    dash, dash_owner = register_dash(django_capture_on_commit_callbacks)  # review: the default

    status = generate(api_client, creator, hoshi, steps=STEPS)

    assert status["status"] == "awaiting_approval"
    assert [r["code"] for r in status["reasons"]] == ["lookalike_needs_review"]
    approval = WorkApproval.objects.get(work__request_id=status["id"])
    assert (approval.character, approval.status) == (dash, "pending")
    assert Work.objects.get(request_id=status["id"]).status == "pending_approval"
    # The lookalike's rightsholder reviews it; nobody else sees it in their queue.
    api_client.force_authenticate(dash_owner)
    queue = api_client.get("/api/v1/approvals/").json()["results"]
    assert [(a["id"], a["character_name"]) for a in queue] == [(str(approval.pk), "Azure Dash")]
    for other in (editor_of(hoshi), creator):
        api_client.force_authenticate(other)
        assert api_client.get("/api/v1/approvals/").json()["results"] == []


@pytest.mark.django_db
def test_an_innocent_prompt_sharing_some_traits_is_not_held(
    api_client, hoshi_creator, eager_celery, django_capture_on_commit_callbacks
):
    hoshi, creator = hoshi_creator
    register_dash(django_capture_on_commit_callbacks, lookalike_action="refuse")

    status = generate(
        api_client, creator, hoshi, prompt="Hoshi-chan finds a hedgehog eating slugs in her garden"
    )

    assert status["status"] == "rendering"  # checked, allowed, on to the renderer
    assert status["reasons"] == []


@pytest.mark.django_db
def test_describing_a_disallowed_character_is_refused_even_if_lookalikes_are_allowed(
    api_client, hoshi_creator, eager_celery, django_capture_on_commit_callbacks
):
    hoshi, creator = hoshi_creator
    register_dash(django_capture_on_commit_callbacks, lookalike_action="allow", disallowed=True)

    status = generate(api_client, creator, hoshi)

    assert status["status"] == "refused"
    assert [r["code"] for r in status["reasons"]] == ["lookalike_disallowed"]
    assert "Azure Dash is disallowed by its rightsholder" in status["reason"]


@pytest.mark.django_db
def test_a_creator_licensed_for_the_described_character_is_not_bothered(
    api_client, hoshi_creator, eager_celery, django_capture_on_commit_callbacks
):
    hoshi, creator = hoshi_creator
    dash, _ = register_dash(django_capture_on_commit_callbacks, lookalike_action="refuse")
    publish_offer(dash)
    grant_for(dash, creator)

    status = generate(api_client, creator, hoshi)

    assert status["status"] == "rendering"
    assert status["reasons"] == []


def test_a_real_worker_embeds_the_description_and_holds_a_lookalike_for_review(
    pipeline, api_client
):
    # given: the description is embedded by the worker (enqueued on commit, for real)
    hoshi = with_image(CharacterFactory(name="Hoshi-chan", description=""))
    creator = UserFactory()
    grant_for(hoshi, creator)
    owner = MembershipFactory(organization__verification_status="verified")
    dash = licensing_services.character_create(
        by=owner.user, owner_organization=owner.organization, name="Azure Dash", description=DASH
    )
    deadline = time.monotonic() + 60
    while not CharacterEmbedding.objects.filter(character=dash).exists():
        assert time.monotonic() < deadline, pipeline.log()
        time.sleep(0.1)

    # when
    api_client.force_authenticate(creator)
    response = api_client.post(
        "/api/v1/generations/",
        {"prompt": DESCRIBES_DASH, "character_ids": [str(hoshi.pk)], "duration_s": 4},
        format="json",
    )
    request = wait_for(response.json()["id"])

    # then
    assert request.status == "awaiting_approval", request.reason
    assert WorkApproval.objects.get(work__request=request).character == dash
    assert "lookalike model ready" in pipeline.log()  # loaded as the worker started
