"""Every cap holds under 20 parallel requests (issue 17 §2): the licensee cap over the
API, the generations and works caps at the pipeline's steps run by 20 threads at once
(20 "workers", each on its own PostgreSQL connection), the works cap again where the
work is stored, and the hourly generation limit over the API. Each test prints its
figure ("CAPS …: granted N / allowed M of 20"; run with -s): README's table."""

import json
import urllib.error
import urllib.request

import pytest
from rest_framework.authtoken.models import Token

from licensing import services as licensing_services
from licensing.models import Grant, PolicyDecision
from marketplace import services
from marketplace.enums import GenerationStatus
from marketplace.models import GenerationRequest, Work
from tests.factories import CharacterFactory, UserFactory, publish_offer
from tests.marketplace.helpers import run_pipeline
from tests.race import PARALLEL, race, report

pytestmark = [pytest.mark.postgresql, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _steps_run_only_here(broker_down):
    """The pipeline's steps run in this test's threads and nowhere else: the slow
    tier's session worker (``celery_worker_process``) consumes the real broker, and
    would otherwise run the same requests' steps beside them. Enqueued steps stay in
    the outbox, unsent."""
    return broker_down


def _post(url: str, token: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(  # noqa: S310 - the live server, over http
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _accept(offer, user):
    return licensing_services.grant_accept(
        offer=offer, by=user, max_fee=0, max_rev_share_bps=0, max_generation_fee=0
    )


def _requests(creators, character, prompt="Hoshi-chan waves") -> list:
    return [
        services.generation_request_create(
            creator=creator, prompt=prompt, character_ids=[character.pk], duration_s=4
        ).pk
        for creator in creators
    ]


def _check(request_id):
    services.generation_check(request_id=request_id)
    return GenerationRequest.objects.get(pk=request_id).status


def test_licensee_cap_admits_exactly_its_number_of_20_parallel_acceptances(live_server):
    # given: an offer for three licensees and 20 creators, each with an API token
    offer = publish_offer(CharacterFactory(name="Hoshi-chan"), max_licensees=3)
    tokens = [Token.objects.create(user=UserFactory()).key for _ in range(PARALLEL)]
    url = f"{live_server.url}/api/v1/offers/{offer.pk}/accept/"

    # when: all accept at once
    answers = race(lambda token: _post(url, token, {"max_fee": 0, "max_rev_share_bps": 0}), tokens)

    # then: three licences, and 17 answers of 409 naming the cap
    granted = Grant.objects.filter(series=offer.series).count()
    report("max_licensees", granted=granted, allowed=3, attempts=PARALLEL)
    assert sorted(status for status, _ in answers) == [201] * 3 + [409] * 17, answers
    assert {body["code"] for status, body in answers if status == 409} == {"cap_licensees"}
    assert granted == 3


def test_generations_cap_allows_exactly_its_number_of_20_parallel_checks():
    # given: a licence for 4 generations and 20 requests queued under it
    hoshi = CharacterFactory(name="Hoshi-chan")
    creator = UserFactory()
    grant = _accept(publish_offer(hoshi, max_generations_per_licensee=4), creator)
    request_ids = _requests([creator] * PARALLEL, hoshi)

    # when: 20 workers check them at once
    statuses = race(_check, request_ids)

    # then: four go on to render, 16 are refused naming the cap
    allowed = PolicyDecision.objects.filter(grants=grant, purpose="generation", allowed=True)
    report("max_generations_per_licensee", granted=allowed.count(), allowed=4, attempts=PARALLEL)
    assert sorted(statuses) == ["refused"] * 16 + ["rendering"] * 4, statuses
    assert allowed.count() == 4
    for request in GenerationRequest.objects.filter(status="refused"):
        assert [r["code"] for r in request.reasons] == ["cap_generations"]
        assert [r["term"] for r in request.reasons] == ["max_generations_per_licensee"]
    # and the next request is refused at once, before it is queued
    with pytest.raises(licensing_services.CapReached) as refused:
        _requests([creator], hoshi)
    assert refused.value.code == "cap_generations"


def test_works_cap_makes_exactly_its_number_of_works_from_20_parallel_requests(signing):
    # given: an offer for two works in all and 20 licensees each asking for one
    hoshi = CharacterFactory(name="Hoshi-chan")
    offer = publish_offer(hoshi, max_works=2)
    creators = [UserFactory() for _ in range(PARALLEL)]
    for creator in creators:
        _accept(offer, creator)
    request_ids = _requests(creators, hoshi)

    # when: 20 workers check them at once, and workers run what passed to the end
    statuses = race(_check, request_ids)
    passed = [rid for rid, status in zip(request_ids, statuses, strict=True) if status != "refused"]
    ran = race(lambda rid: run_pipeline(request_id=rid).status, passed)

    # then: two works, published; the other 18 were refused by the check, naming the cap
    works = Work.objects.filter(licenses__offer__series=offer.series)
    report("max_works", granted=works.count(), allowed=2, attempts=PARALLEL)
    assert sorted(statuses) == ["refused"] * 18 + ["rendering"] * 2, statuses
    assert ran == ["published", "published"], ran
    assert sorted(works.values_list("status", flat=True)) == ["published", "published"]
    refused = GenerationRequest.objects.filter(status="refused")
    assert {r["term"] for q in refused for r in q.reasons} == {"max_works"}


def test_works_cap_holds_where_the_work_is_stored_for_20_requests_past_their_check(signing):
    # given: an offer for two works and 20 licensees whose requests are all past the
    # check at once and rendered (as any number of checks could let through before
    # the check counted works in flight): one real render, shared by all
    hoshi = CharacterFactory(name="Hoshi-chan")
    offer = publish_offer(hoshi, max_works=2)
    creators = [UserFactory() for _ in range(PARALLEL)]
    for creator in creators:
        _accept(offer, creator)
    request_ids = _requests(creators, hoshi)
    services.generation_check(request_id=request_ids[0])
    services.generation_render(request_id=request_ids[0])
    first = GenerationRequest.objects.get(pk=request_ids[0])
    GenerationRequest.objects.filter(pk__in=request_ids[1:]).update(
        status=GenerationStatus.SIGNING,
        decision=first.decision,
        reasons=first.reasons,
        effective_terms=first.effective_terms,
        render_output=first.render_output,
    )

    # when: 20 workers sign and store them at once
    signed = race(lambda rid: services.generation_sign(request_id=rid), request_ids)

    # then: two works; 18 requests failed, naming the cap
    made = Work.objects.filter(licenses__offer__series=offer.series).count()
    report("max_works (at storing)", granted=made, allowed=2, attempts=PARALLEL)
    assert made == 2, signed
    assert not [error for error in signed if isinstance(error, Exception)], signed
    failed = GenerationRequest.objects.filter(status="failed")
    assert failed.count() == 18
    for request in failed:
        assert request.reasons[-1]["code"] == "cap_works"
        assert request.reasons[-1]["term"] == "max_works"
        assert request.reason.startswith("Hoshi-chan has reached its limit of 2 published works")


@pytest.mark.redis
def test_hourly_generation_limit_lets_exactly_its_number_of_20_parallel_requests_through(
    live_server, settings
):
    # given: a limit of 5 generation requests an hour and a licensed creator
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "generate": "5/h"}
    hoshi = CharacterFactory(name="Hoshi-chan")
    creator = UserFactory()
    _accept(publish_offer(hoshi), creator)
    token = Token.objects.create(user=creator).key
    url = f"{live_server.url}/api/v1/generations/"
    body = {"prompt": "Hoshi-chan waves", "character_ids": [str(hoshi.pk)], "duration_s": 4}

    # when: 20 requests at once
    answers = race(lambda _: _post(url, token, body), range(PARALLEL))

    # then: five accepted, 15 refused with 429
    made = GenerationRequest.objects.filter(creator=creator).count()
    report("generate rate limit (5/h)", granted=made, allowed=5, attempts=PARALLEL)
    assert sorted(status for status, _ in answers) == [202] * 5 + [429] * 15, answers
    assert made == 5
