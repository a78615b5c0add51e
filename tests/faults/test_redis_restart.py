"""The broker (Redis) dies with ``kill -9`` while a request is mid-pipeline and comes
back on the same port and data folder: the request still reaches ``published``,
exactly once. The private Redis runs with an fsynced append-only file, as a broker
must in production (see ``RedisServer`` in conftest.py)."""

import time

import pytest

from marketplace import services
from marketplace.models import GenerationRequest
from tests.factories import CharacterFactory, UserFactory, fund_wallet, grant_for
from tests.faults.conftest import assert_generated_exactly_once, wait_for_status, works_on_disk
from tests.marketplace.conftest import with_image

pytestmark = [pytest.mark.postgresql, pytest.mark.redis]


def test_redis_killed_and_restarted_while_rendering_the_request_is_published_once(
    faults, private_redis, fault_media_root
):
    # given: a worker and a request on its way
    worker = faults.live()
    before = works_on_disk(fault_media_root)
    hoshi = with_image(CharacterFactory(name="Hoshi-chan"))
    creator = UserFactory()
    grant_for(hoshi, creator, per_generation_fee=50)
    fund_wallet(creator, 50)
    request = services.generation_request_create(
        creator=creator, prompt="Hoshi-chan sails home", character_ids=[hoshi.pk], duration_s=6
    )

    # when: Redis is killed while the render runs (the renderer has reported progress),
    # and restarted a moment later
    wait_for_status(request.pk, {"rendering"}, worker=worker)
    while GenerationRequest.objects.get(pk=request.pk).progress <= 10:
        time.sleep(0.02)
    private_redis.kill()
    time.sleep(1)
    private_redis.start()

    # then
    request = wait_for_status(request.pk, {"published", "failed", "refused"}, worker=worker)
    assert_generated_exactly_once(request, media_root=fault_media_root, works_before=before)
    assert worker.alive()  # the same worker reconnected and carried on
    # and: every message was acknowledged, none is left to be redelivered later
    broker = private_redis.client(0)
    deadline = time.monotonic() + 10
    while broker.hlen("unacked") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert broker.hlen("unacked") == 0
