"""Schemathesis against every operation of the API, as a creator and as a rightsholder.

The schema is the one /api/schema/ serves, generated in-process by drf-spectacular, and
the requests go through Django's WSGI application in-process (no server, no network).
They run in the world the schema walk uses (tests/api/walk.py): a verified organization
whose owner is the rightsholder, characters with published offers, a creator with an
active licence, published works, claims, disputes, a payout; with the Stripe fake
answering on loopback.

Each generated case runs inside a savepoint that is rolled back, so every case starts
from the same world and nothing one case does (publishing, ending, deleting) hides an
answer from the next; on_commit callbacks (the generation pipeline's enqueue) never run.
Path parameters: half the cases keep the generated id, the other half name the object
the schema walk's recipe uses for that operation (the one its rightful caller may act
on), so the fuzzing reaches the services and not only the 404s.

Every schemathesis check runs but ``positive_data_acceptance``: it expects any request
that matches the schema to succeed, and this API refuses schema-valid requests for
reasons the schema cannot express (a Stripe signature that does not verify, a feed cursor
the server never issued, a licence the caller does not hold) with a documented 400.
On top, ``no_undocumented_response_fields`` validates every JSON answer with objects
closed (tests/api/openapi.py): a field the schema does not list fails.

Every case is counted; the last test asserts the total (at least MIN_CASES, every
operation as both people) and prints it."""

import copy
import hashlib
from collections import Counter

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token

from tests.api.openapi import openapi, operations, validate
from tests.api.walk import RECIPES, build_world
from tests.fakes.stripe_fake import FakeStripe

pytestmark = pytest.mark.django_db

ACTORS = {"creator": "creator", "rightsholder": "studio"}  # who -> World.users key
MIN_CASES = 2_000
# Hypothesis examples per operation, generation mode and person for the fuzzing phase;
# the examples and coverage phases add their own deterministic cases.
MAX_EXAMPLES = 12
SEED = 20261121
# A client address, as any WSGI server sets REMOTE_ADDR (the per-address limits read it).
CLIENT = {"REMOTE_ADDR": "198.51.100.7"}

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "generation": {
            "mode": "all",
            "max-examples": MAX_EXAMPLES,
            "deterministic": True,
            "database": "none",
        },
        "phases": {"stateful": {"enabled": False}},
        "checks": {"positive_data_acceptance": {"enabled": False}},
    }
)
schema = schemathesis.openapi.from_dict(copy.deepcopy(openapi()), config=CONFIG)
schema.app = get_wsgi_application()

OPERATIONS = {
    f"{method.upper()} {path}": operation
    for path, method, operation in operations(openapi()).values()
}
CASES: Counter[tuple[str, str]] = Counter()


@schemathesis.check
def no_undocumented_response_fields(ctx, response, case) -> bool | None:
    """The JSON body validates against its documented schema with every object closed."""
    # The coverage phase also sends methods the operation lacks (OPTIONS, TRACE...), which
    # unsupported_method judges; only the operation's own method has a documented body.
    operation = OPERATIONS.get(f"{case.method.upper()} {case.operation.path}")
    documented = operation and operation["responses"].get(str(response.status_code))
    content = (documented or {}).get("content", {})
    media_type = (response.headers.get("content-type") or [""])[0].split(";")[0].strip()
    if media_type != "application/json" or media_type not in content:
        return None  # status_code_conformance and content_type_conformance say why
    validate(response.json(), content[media_type]["schema"])
    return True


@pytest.fixture
def fuzz_world(settings):
    """The schema walk's world, real tokens for both people, the Stripe fake, and limits
    high enough not to cut the fuzzing short (429 stays documented)."""
    settings.RATE_LIMITS = {"generate": "100000/m", "screen": "100000/m", "token": "100000/m"}
    settings.ACCOUNT_RATE_LIMITS = {
        "login": "100000/m/ip",
        "login_failed": "100000/m/ip,100000/5m/key",
        "signup": "100000/m/ip",
    }
    # Django's test client does this too: the app runs inside the test's transaction,
    # and closing "old" connections at the end of a request would end it.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        with FakeStripe(
            api_key=settings.STRIPE_SECRET_KEY, webhook_secret=settings.STRIPE_WEBHOOK_SECRET
        ) as fake:
            settings.STRIPE_API_BASE = fake.base_url
            world = build_world()
            world.stripe = fake
            world.o["tokens"] = {
                who: Token.objects.create(user=world.users[key]).key for who, key in ACTORS.items()
            }
            yield world
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _path_parameters(case, world) -> None:
    """Half the cases (chosen by a hash of the generated values, so runs repeat) name the
    recipe's object instead of a random id."""
    recipe = RECIPES[case.operation.definition.raw["operationId"]]
    if not case.path_parameters or not recipe.params:
        return
    digest = hashlib.sha256(repr(sorted(case.path_parameters.items())).encode()).digest()
    if digest[0] % 2:
        case.path_parameters = {name: str(make(world)) for name, make in recipe.params.items()}


@pytest.mark.parametrize("actor", list(ACTORS))
@schema.parametrize()
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_api(case, actor, fuzz_world):
    # given
    _path_parameters(case, fuzz_world)
    CASES[case.operation.definition.raw["operationId"], actor] += 1

    # when / then: every check, inside a savepoint that is always rolled back
    with transaction.atomic():
        try:
            case.call_and_validate(
                headers={"Authorization": f"Token {fuzz_world.tokens[actor]}"},
                environ_base=CLIENT,
            )
        finally:
            transaction.set_rollback(True)


def test_the_fuzzing_ran_every_operation_as_both_people_for_at_least_2000_cases():
    """Runs after test_api (pytest keeps the file's order); run the whole file."""
    # given
    expected = {(operation_id, actor) for operation_id in RECIPES for actor in ACTORS}

    # when
    total = sum(CASES.values())
    print(
        f"\nschemathesis: {total} cases over {len(RECIPES)} operations "
        f"as {' and '.join(ACTORS)} (fewest for one: {min(CASES.values(), default=0)})"
    )

    # then
    assert set(CASES) == expected, sorted(expected - set(CASES))
    assert total >= MIN_CASES
