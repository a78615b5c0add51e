"""Jobs that always finish: real faults with Redis keeping its production visibility
timeout (an hour), so a message a killed worker held, or one lost while the broker was
away, is out of reach for the whole test. What brings each request or webhook back is
the outbox relay and the lease sweeper beat runs (every second here, leases of 4 s).
Each test records, for the README's fault table, how many requests finished of those
started and the worst time one took, from the end of the fault."""

import json
import time
import uuid

import pytest

from marketplace import services
from marketplace.models import GenerationRequest
from marketplace.services.generation import WORK_ID_NAMESPACE
from payments.models import CheckoutSession, StripeEvent
from payments.sandbox.delivery import signature_header
from tests.factories import CharacterFactory, UserFactory, fund_wallet, grant_for
from tests.faults.conftest import (
    LEASE_SECONDS,
    SWEEP_SECONDS,
    assert_generated_exactly_once,
    wait_for_status,
    works_on_disk,
)
from tests.marketplace.conftest import with_image

pytestmark = [pytest.mark.postgresql, pytest.mark.redis]
FINAL = {"published", "failed", "refused"}
# Beyond the lease and a sweep, what finishing takes here: the steps left (a 4 s clip
# renders in a few seconds) and the relay.
WORK_BUDGET_S = 45


def _requests(n: int, prompt: str) -> list[GenerationRequest]:
    hoshi = with_image(CharacterFactory(name="Hoshi-chan"))
    made = []
    for i in range(n):
        creator = UserFactory()
        grant_for(hoshi, creator, per_generation_fee=50)
        fund_wallet(creator, 50)
        made.append(
            services.generation_request_create(
                creator=creator, prompt=f"Hoshi-chan {prompt} ({i})", character_ids=[hoshi.pk],
                duration_s=4,
            )
        )  # fmt: skip
    return made


def _wait_all(requests, since: float, worker) -> tuple[list[GenerationRequest], float]:
    """Wait for every request to finish; returns them and the worst time from ``since``."""
    done, worst = [], 0.0
    for request in requests:
        done.append(wait_for_status(request.pk, FINAL, timeout=120, worker=worker))
        worst = max(worst, time.monotonic() - since)
    return done, worst


def _assert_each_once(done, *, media_root, before: set[str]) -> None:
    ids = {str(uuid.uuid5(WORK_ID_NAMESPACE, str(r.pk))) for r in done}
    for request in done:
        own = str(uuid.uuid5(WORK_ID_NAMESPACE, str(request.pk)))
        assert_generated_exactly_once(
            request, media_root=media_root, works_before=before | (ids - {own})
        )


def _progress(request_id) -> int:
    return GenerationRequest.objects.get(pk=request_id).progress


def test_a_worker_group_killed_mid_render_is_swept_and_each_request_finishes_once(
    lease_faults, fault_media_root, private_redis, fault_figures
):
    # given: a worker and three requests, the first rendering
    victim = lease_faults.live()
    before = works_on_disk(fault_media_root)
    requests = _requests(3, "runs a marathon")
    wait_for_status(requests[0].pk, {"rendering"}, worker=victim)
    while _progress(requests[0].pk) <= 10:
        time.sleep(0.02)

    # when: the whole worker (main process and pool child) is SIGKILLed mid-render and
    # a new one starts; the render's message stays unacknowledged in Redis for an hour
    victim.kill()
    replacement = lease_faults.fresh()
    since = time.monotonic()

    # then: every request finishes, exactly once, well within the hour
    done, worst = _wait_all(requests, since, replacement)
    fault_figures.record(
        "worker process group SIGKILLed mid-render",
        started=len(requests), finished=sum(r.status == "published" for r in done),
        worst_s=worst,
    )  # fmt: skip
    _assert_each_once(done, media_root=fault_media_root, before=before)
    assert worst < LEASE_SECONDS + SWEEP_SECONDS + WORK_BUDGET_S
    first = GenerationRequest.objects.get(pk=requests[0].pk)
    assert first.dispatches == 1 and first.render_attempts == 2
    # and: it was the sweeper, not Redis's redelivery: the dead worker's message is still
    # held in Redis's unacknowledged set
    assert private_redis.client(0).hlen("unacked") >= 1


@pytest.mark.parametrize("stage", ["render", "sign"])
def test_redis_restarted_mid_step_loses_the_next_message_and_the_request_finishes_once(
    lease_faults, fault_media_root, private_redis, fault_figures, stage
):
    # given: a worker and two requests, the first in the middle of the stage (its
    # rendering reported progress, or its signing task started)
    worker = lease_faults.live()
    before = works_on_disk(fault_media_root)
    paused = lease_faults.pause_at("marketplace.generation_sign", 2) if stage == "sign" else None
    requests = _requests(2, f"sails home ({stage})")
    if paused is not None:
        while not paused.exists():
            time.sleep(0.02)
    else:
        wait_for_status(requests[0].pk, {"rendering"}, worker=worker)
        while _progress(requests[0].pk) <= 10:
            time.sleep(0.02)

    # when: Redis is killed, stays away while the step ends (so the chain's next message
    # cannot be published), and restarts from its append-only file
    private_redis.kill()
    time.sleep(8)
    private_redis.start()
    since = time.monotonic()

    # then
    done, worst = _wait_all(requests, since, worker)
    fault_figures.record(
        f"Redis killed mid-{stage}, down 8 s, restarted",
        started=len(requests), finished=sum(r.status == "published" for r in done),
        worst_s=worst,
    )  # fmt: skip
    _assert_each_once(done, media_root=fault_media_root, before=before)
    assert worst < LEASE_SECONDS + SWEEP_SECONDS + WORK_BUDGET_S
    assert worker.alive()  # the same worker reconnected


def test_a_webhook_arriving_while_the_broker_is_down_is_answered_and_handled_once_it_is_back(
    lease_faults, client, settings, private_redis, fault_figures
):
    # given: an open Checkout, and the broker down (only the broker: this process's
    # cache, which the web side also uses, stays up)
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    lease_faults.live()
    session = CheckoutSession.objects.create(
        stripe_session_id="cs_test_broker_down", purpose="tip", payer=UserFactory(),
        amount=500, currency="USD", url="https://checkout.stripe.com/c/pay/cs_test_broker_down",
    )  # fmt: skip
    private_redis.kill()

    # when: Stripe delivers the session's expiry
    event = {
        "id": "evt_broker_down",
        "object": "event",
        "type": "checkout.session.expired",
        "created": int(time.time()),
        "data": {"object": {"id": session.stripe_session_id, "object": "checkout.session"}},
    }
    body = json.dumps(event).encode()
    response = client.post(
        "/api/v1/webhooks/stripe/", data=body, content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature_header(body, settings.STRIPE_WEBHOOK_SECRET, None),
    )  # fmt: skip

    # then: answered 2xx once stored, its handling waiting in the outbox
    assert response.status_code == 200 and response.content == b"ok"
    stored = StripeEvent.objects.get(pk="evt_broker_down")
    assert stored.processed_at is None

    # when: the broker comes back
    time.sleep(2)
    private_redis.start()
    since = time.monotonic()

    # then: the relay publishes it and the worker handles it, once
    deadline = since + LEASE_SECONDS + SWEEP_SECONDS + WORK_BUDGET_S
    while not StripeEvent.objects.filter(pk=stored.pk, processed_at__isnull=False).exists():
        assert time.monotonic() < deadline, "the webhook was never handled"
        time.sleep(0.05)
    took = time.monotonic() - since
    stored.refresh_from_db()
    session.refresh_from_db()
    fault_figures.record(
        "broker down when a webhook arrives (down 2 s after it)",
        started=1, finished=1, worst_s=took,
    )  # fmt: skip
    assert stored.result == "checkout expired" and session.status == "expired"
    # and: a redelivery by Stripe now is a duplicate that changes nothing
    again = client.post(
        "/api/v1/webhooks/stripe/", data=body, content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature_header(body, settings.STRIPE_WEBHOOK_SECRET, None),
    )  # fmt: skip
    assert again.content == b"duplicate"
