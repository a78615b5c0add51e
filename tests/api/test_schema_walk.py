"""Walk the OpenAPI schema and call every operation it lists, authorised as the person
who may call it, and check each answer against the schema.

RECIPES (tests/api/walk.py) maps every operationId to one call. The schema's operations
and the recipes must be the same set, so an endpoint added without a recipe (or a recipe
for an endpoint that went away) fails here."""

import json
import re

import pytest
from rest_framework.test import APIClient

from tests.api.openapi import openapi, operations, response_content, validate
from tests.api.walk import RECIPES, World, build_world
from tests.factories import PASSWORD, MembershipFactory, UserFactory
from tests.fakes.stripe_fake import FakeStripe, post_signed_event
from tests.mfa import totp_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build_world()


# --- the walk -----------------------------------------------------------------------------


def _tokens(client: APIClient, world: World) -> dict[str, str]:
    """Real tokens, from the token endpoint, for everyone who calls."""
    tokens = {}
    for name, user in world.users.items():
        # staff tokens are issued only with a code from their authenticator app
        code = {"code": totp_code(world.staff_totp_secret)} if user.is_staff else {}
        response = client.post(
            "/api/v1/auth/token/",
            {"email": user.email, "password": PASSWORD, **code},
            format="json",
        )
        assert response.status_code == 200, response.content
        tokens[name] = response.json()["token"]
    return tokens


def _check_against_schema(operation_id: str, operation: dict, response) -> None:
    content = response_content(operation, response.status_code)
    if content is None:
        assert response.content == b"", f"{operation_id} documents no body but sent one"
        return
    media_type = response["Content-Type"].split(";")[0].strip()
    assert media_type in content, f"{operation_id} sent {media_type}, documents {list(content)}"
    schema = content[media_type]["schema"]
    body = response.content.decode() if media_type == "text/plain" else json.loads(response.content)
    validate(body, schema)


def test_every_operation_in_the_schema_has_a_recipe():
    # given / when
    listed = set(operations(openapi()))

    # then
    assert listed == set(RECIPES), {
        "operations without a recipe": sorted(listed - set(RECIPES)),
        "recipes without an operation": sorted(set(RECIPES) - listed),
    }


def test_walk_calls_every_operation_authorised_and_each_answer_matches_the_schema(world, settings):
    # given
    document = openapi()
    ops = operations(document)
    client = APIClient()
    tokens = _tokens(client, world)
    called = []

    with FakeStripe(
        api_key=settings.STRIPE_SECRET_KEY, webhook_secret=settings.STRIPE_WEBHOOK_SECRET
    ) as fake:
        settings.STRIPE_API_BASE = fake.base_url
        world.stripe = fake
        for operation_id, (template, method, operation) in sorted(ops.items()):
            recipe = RECIPES[operation_id]
            assert set(recipe.params) == set(re.findall(r"{(\w+)}", template)), operation_id
            path = template.format(**{k: make(world) for k, make in recipe.params.items()})
            client.credentials(
                **({"HTTP_AUTHORIZATION": f"Token {tokens[recipe.actor]}"} if recipe.actor else {})
            )

            # when
            if operation_id == "v1_webhooks_stripe_create":
                response = post_signed_event(
                    client, path, secret=settings.STRIPE_WEBHOOK_SECRET, event_id="evt_schema_walk"
                )
            elif method == "get":
                query = recipe.query(world) if callable(recipe.query) else recipe.query
                response = client.get(path, query)
            else:
                assert not recipe.query, "query parameters are for GET recipes"
                body = recipe.body(world) if recipe.body else None
                response = getattr(client, method)(path, body, format=recipe.format)

            # then
            assert response.status_code == recipe.status, (
                operation_id,
                response.status_code,
                response.content[:500],
            )
            _check_against_schema(operation_id, operation, response)
            if recipe.then:
                recipe.then(world, response)
            called.append(operation_id)

    assert sorted(called) == sorted(ops)
    assert len(called) == len(RECIPES)


# Operations anyone signed in may call on these objects: accepting a public offer,
# screening or generating (the policy check refuses what the terms refuse), tipping a
# published video, liking, commenting on it and following people, and "me" and their own wallet.
OPEN_TO_ANY_USER = {
    "v1_me_retrieve",
    "v1_offers_accept_create",
    "v1_screen_create",
    "v1_generations_create",
    "v1_works_tips_create",
    # liking a published video and following its creator
    "v1_works_like_create",
    "v1_works_like_destroy",
    "v1_works_follow_create",
    "v1_works_follow_destroy",
    # commenting on it, reporting a comment they can see, following a person
    "v1_works_comments_create",
    "v1_works_comments_report_create",
    "v1_users_follow_create",
    "v1_users_follow_destroy",
    # the caller's own wallet: there is no one else's to reach
    "v1_wallet_retrieve",
    "v1_wallet_partial_update",
    "v1_wallet_top_ups_create",
}
# Lists of "your own" things: a stranger gets an empty list, not someone else's.
OWN_LISTS = {
    "v1_grants_list",
    "v1_generations_list",
    "v1_approvals_list",
    "v1_claims_list",
    "v1_ledger_list",
    "v1_payouts_list",
    "v1_balance_list",
    "v1_feed_following_retrieve",
}


# Actions on "your own" money: a stranger acts on theirs (no bank connected), and is
# told so with a 409 that names the reason, changing nothing.
OWN_ACTIONS = {"v1_payouts_create": "no_connected_account"}


# Reads a viewer-role member of the studio may make: its grants (read-only; acting on
# them is for owners and managers).
VIEWER_READS = {"v1_grants_retrieve", "v1_grants_odrl_retrieve"}


@pytest.mark.parametrize("stranger", ["outsider", "viewer"])
def test_every_signed_in_operation_refuses_people_it_does_not_belong_to(world, stranger):
    """The walk's calls, made by a creator with no part in them, or by a viewer-role
    member of the studio (who may read its claims, not manage anything): 403 or 404, or
    an empty list."""
    # given
    outsider = UserFactory()
    viewer = MembershipFactory(organization=world.org, role="viewer").user
    client = APIClient()
    client.force_authenticate(outsider if stranger == "outsider" else viewer)
    ops = operations(openapi())
    refused, emptied, readable = [], [], []

    for operation_id, (template, method, _operation) in sorted(ops.items()):
        recipe = RECIPES[operation_id]
        if recipe.actor is None or operation_id in OPEN_TO_ANY_USER:
            continue
        path = template.format(**{k: make(world) for k, make in recipe.params.items()})

        # when
        if method == "get":
            query = recipe.query(world) if callable(recipe.query) else recipe.query
            response = client.get(path, query)
        else:
            body = recipe.body(world) if recipe.body else None
            response = getattr(client, method)(path, body, format=recipe.format)

        # then
        if operation_id == "v1_claims_list" and stranger == "viewer":
            # any member reads their organization's claims; managing them is another matter
            assert {c["organization"] for c in response.json()["results"]} == {world.org.slug}
            emptied.append(operation_id)
        elif operation_id in VIEWER_READS and stranger == "viewer":
            assert response.status_code == 200, (operation_id, response.content)
            readable.append(operation_id)
        elif operation_id in OWN_ACTIONS:
            assert response.status_code == 409, (operation_id, response.content)
            assert response.json()["code"] == OWN_ACTIONS[operation_id]
            emptied.append(operation_id)
        elif operation_id in OWN_LISTS:
            assert response.status_code == 200, (operation_id, response.content)
            body = response.json()
            assert (body["results"] if isinstance(body, dict) else body) == [], operation_id
            emptied.append(operation_id)
        else:
            assert response.status_code in (403, 404), (operation_id, response.status_code)
            assert set(response.json()) >= {"code", "detail", "field"}, operation_id
            refused.append(operation_id)

    assert sorted(emptied) == sorted([*OWN_LISTS, *OWN_ACTIONS])
    assert sorted(readable) == (sorted(VIEWER_READS) if stranger == "viewer" else [])
    assert len(refused) >= 20 - len(readable)
