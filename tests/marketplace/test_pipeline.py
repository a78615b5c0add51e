"""End to end: a real Celery worker on Redis runs check → charge → render → sign →
route against the test database, and the tests read the results like a user would."""

import os
import signal
import time
from datetime import timedelta
from pathlib import Path

import av
from django.utils import timezone

from licensing import services as licensing_services
from marketplace import selectors
from marketplace.models import GenerationRequest, Work, WorkApproval
from marketplace.provenance.verify import verify_media
from payments.models import FeeHold
from tests.factories import (
    CharacterFactory,
    UserFactory,
    fund_wallet,
    grant_for,
    likeness_approved,
    proven_likeness,
    publish_offer,
)
from tests.marketplace.conftest import wait_for, with_image

REMIX_TERMS = {
    "commercial_use": True,
    "allowed_actions": ["generate", "remix", "publish"],
    "remix_policy": "same_terms",
    "rev_share_bps": 1_500,
    "max_rating": "mature",
}


def _generate(api_client, user, **body):
    api_client.force_authenticate(user)
    response = api_client.post("/api/v1/generations/", {"duration_s": 4, **body}, format="json")
    assert response.status_code == 202, response.json()
    return response.json()["id"]


def test_licensed_prompt_is_published_as_a_signed_playable_mp4(pipeline, api_client):
    _licensed_prompt_is_published_as_a_signed_playable_mp4(api_client)


def test_licensed_prompt_is_published_with_rabbitmq_as_the_broker(rabbitmq_pipeline, api_client):
    _licensed_prompt_is_published_as_a_signed_playable_mp4(api_client)


def _licensed_prompt_is_published_as_a_signed_playable_mp4(api_client):
    # given: the real pipeline on a broker (Redis, or RabbitMQ over AMQP)
    # and: a creator holding a licence for Hoshi-chan
    hoshi = with_image(CharacterFactory(name="Hoshi-chan"))
    creator = UserFactory()
    grant = grant_for(hoshi, creator, **REMIX_TERMS)

    # when
    request_id = _generate(
        api_client,
        creator,
        prompt="Hoshi-chan dances in the rain",
        character_ids=[str(hoshi.pk)],
        duration_s=5,
    )
    request = wait_for(request_id)

    # then: published, with every stage recorded
    assert request.status == "published", request.reason
    assert request.progress == 100
    assert list(request.events.values_list("to_status", flat=True)) == [
        "queued",
        "checking",
        "rendering",
        "signing",
        "published",
    ]
    work = Work.objects.get(request=request)
    with av.open(work.video.path) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
        assert (stream.codec_context.width, stream.codec_context.height) == (480, 854)
        assert stream.codec_context.name == "h264"
    assert frames == 120
    assert work.frame_count == 120 and abs(work.duration_s - 5.0) < 0.05
    # and: its C2PA manifest validates and names the licence
    result = verify_media(data=Path(work.video.path), mime="video/mp4")
    assert result.state == "Trusted", result.errors
    assert "c2pa.created" in result.actions
    assert result.licenses[0]["character_name"] == "Hoshi-chan"
    assert result.licenses[0]["grant_id"] == str(grant.pk)
    assert result.licenses[0]["terms_hash"] == grant.offer.terms_hash
    # its terms keep the default ai_training "not_allowed": the CAWG assertion says so
    assert result.training_mining["cawg.ai_generative_training"] == "notAllowed"
    assert verify_media(data=Path(work.poster.path), mime="image/jpeg").state == "Trusted"
    # and: the API reports it; no fee was asked, so nothing was held
    status = api_client.get(f"/api/v1/generations/{request_id}/").json()
    assert status["status"] == "published" and status["work_id"] == str(work.pk)
    assert not FeeHold.objects.filter(request_id=request.pk).exists()


def test_prompt_naming_an_unlicensed_character_is_refused_by_name(pipeline, api_client):
    hoshi = with_image(CharacterFactory(name="Hoshi-chan"))
    publish_offer(CharacterFactory(name="Kuro Neko"))
    creator = UserFactory()
    grant_for(hoshi, creator)

    request = wait_for(
        _generate(
            api_client, creator, prompt="Hoshi-chan chases Kuro Neko", character_ids=[str(hoshi.pk)]
        )
    )

    assert request.status == "refused"
    assert "Kuro Neko" in request.reason
    assert request.reasons[0]["code"] == "unlicensed_character"
    assert not Work.objects.filter(request=request).exists()
    assert not FeeHold.objects.filter(request_id=request.pk, status="captured").exists()


def test_banned_category_prompt_is_refused_naming_the_term(pipeline, api_client):
    hoshi = with_image(CharacterFactory(name="Hoshi-chan"))
    creator = UserFactory()
    grant_for(hoshi, creator, banned_categories=["violence"])

    request = wait_for(
        _generate(
            api_client,
            creator,
            prompt="Hoshi-chan starts a bloody massacre",
            character_ids=[str(hoshi.pk)],
        )
    )

    assert request.status == "refused"
    assert request.reasons[0]["term"] == "banned_categories"
    assert "violence" in request.reason


def _likeness_with_approved_creator():
    person = UserFactory()
    likeness = proven_likeness(person, "Aiko Tanaka")
    with_image(likeness, (0, 200, 255))
    likeness = likeness_approved(likeness)  # the image sent it back to review
    offer = publish_offer(
        likeness, audience="approved", approval="per_work", approval_deadline_hours=1
    )
    creator = UserFactory()
    grant = licensing_services.grant_accept(
        offer=offer, by=creator, max_fee=0, max_rev_share_bps=0, max_generation_fee=0
    )
    licensing_services.grant_approve(grant=grant, by=person)
    return person, likeness, creator


def test_per_work_approval_approved_then_published(pipeline, api_client):
    person, likeness, creator = _likeness_with_approved_creator()

    request = wait_for(
        _generate(api_client, creator, prompt="Aiko waves hello", character_ids=[str(likeness.pk)])
    )

    assert request.status == "awaiting_approval"
    approval = WorkApproval.objects.get(work__request=request)
    assert approval.status == "pending" and approval.deadline > timezone.now()
    # the likeness owner sees it, drafts included, and approves it through the API
    assert list(selectors.works_showing_likeness_of(user=person)) == [approval.work]
    api_client.force_authenticate(person)
    assert [a["id"] for a in api_client.get("/api/v1/approvals/").json()["results"]] == [
        str(approval.pk)
    ]
    decided = api_client.post(
        f"/api/v1/approvals/{approval.pk}/decide/", {"decision": "approve"}, format="json"
    )
    assert decided.status_code == 200
    request.refresh_from_db()
    assert request.status == "published"
    assert Work.objects.get(request=request).status == "published"


def test_per_work_approval_left_past_its_deadline_is_denied(pipeline, api_client):
    _, likeness, creator = _likeness_with_approved_creator()
    request = wait_for(
        _generate(api_client, creator, prompt="Aiko reads a book", character_ids=[str(likeness.pk)])
    )
    assert request.status == "awaiting_approval"
    WorkApproval.objects.filter(work__request=request).update(
        deadline=timezone.now() - timedelta(minutes=1)
    )

    # when: beat's task runs (through the real worker)
    from marketplace.tasks import approvals_expire

    assert approvals_expire.delay().get(timeout=30, disable_sync_subtasks=False) == 1

    request.refresh_from_db()
    assert request.status == "refused"
    assert "did not review the video in time" in request.reason
    assert Work.objects.get(request=request).status == "denied"


def test_remix_chain_of_three_keeps_lineage_and_inherited_terms(pipeline, api_client):
    hoshi = with_image(CharacterFactory(name="Hoshi-chan"))
    offer = publish_offer(hoshi, **{**REMIX_TERMS, "commercial_use": False})
    makers = [UserFactory(), UserFactory(), UserFactory()]
    for maker in makers:
        licensing_services.grant_accept(
            offer=offer, by=maker, max_fee=0, max_rev_share_bps=1_500, max_generation_fee=0
        )

    first = wait_for(
        _generate(
            api_client, makers[0], prompt="Hoshi-chan on a beach", character_ids=[str(hoshi.pk)]
        )
    )
    a = Work.objects.get(request=first)
    second = wait_for(
        _generate(
            api_client,
            makers[1],
            prompt="Hoshi-chan surfs the same beach",
            parent_work_id=str(a.pk),
        )
    )
    b = Work.objects.get(request=second)
    # a commercial remix of non-commercial, same-terms work is refused by the parent's term
    commercial = wait_for(
        _generate(
            api_client,
            makers[2],
            prompt="An ad with Hoshi-chan",
            parent_work_id=str(b.pk),
            commercial=True,
        )
    )
    third = wait_for(
        _generate(
            api_client, makers[2], prompt="Hoshi-chan sails at night", parent_work_id=str(b.pk)
        )
    )
    c = Work.objects.get(request=third)

    assert [first.status, second.status, third.status] == ["published"] * 3
    assert (c.parent, b.parent, a.parent) == (b, a, None)
    assert [c.depth, b.depth, a.depth] == [2, 1, 0]
    assert selectors.work_ancestors(work=c) == [b, a]
    assert selectors.work_descendants(work=a) == [b, c]
    assert commercial.status == "refused"
    assert {r["term"] for r in commercial.reasons} >= {"parent:commercial_use"}
    lineage = api_client.get(f"/api/v1/works/{c.pk}/").json()
    assert lineage["ancestors"] == [str(b.pk), str(a.pk)]
    remix = verify_media(data=Path(c.video.path), mime="video/mp4")
    assert remix.state == "Trusted"
    assert "c2pa.opened" in remix.actions
    assert remix.parent_work_id == str(b.pk)
    split = api_client.get(f"/api/v1/works/{c.pk}/split/").json()
    assert sum(line["bps"] for line in split) == 10_000
    assert [line["role"] for line in split][-1] == "creator"


def test_remix_forbidden_by_the_parents_remix_policy_is_refused(pipeline, api_client):
    nami = with_image(CharacterFactory(name="Captain Nami"))
    offer = publish_offer(nami, allowed_actions=["generate", "publish"], remix_policy="none")
    maker, remixer = UserFactory(), UserFactory()
    for user in (maker, remixer):
        licensing_services.grant_accept(
            offer=offer, by=user, max_fee=0, max_rev_share_bps=0, max_generation_fee=0
        )
    original = Work.objects.get(
        request=wait_for(
            _generate(
                api_client, maker, prompt="Captain Nami at the helm", character_ids=[str(nami.pk)]
            )
        )
    )

    remix = wait_for(
        _generate(api_client, remixer, prompt="Nami again", parent_work_id=str(original.pk))
    )

    assert remix.status == "refused"
    assert {r["code"] for r in remix.reasons} >= {"remix_not_allowed"}
    assert "does not allow remixes" in remix.reason


def _pool_children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def test_a_worker_killed_mid_render_finishes_the_request_exactly_once(pipeline, api_client):
    hoshi = with_image(CharacterFactory(name="Hoshi-chan"))
    creator = UserFactory()
    grant_for(hoshi, creator, per_generation_fee=50)
    fund_wallet(creator, 50)
    request_id = _generate(
        api_client,
        creator,
        prompt="Hoshi-chan runs a marathon",
        character_ids=[str(hoshi.pk)],
        duration_s=12,
    )

    # when: the pool process rendering it is killed (SIGKILL) half way through
    deadline = time.monotonic() + 60
    while True:
        request = GenerationRequest.objects.get(pk=request_id)
        if request.status == "rendering" and request.progress >= 25:
            break
        assert time.monotonic() < deadline, f"never reached mid-render: {request.status}"
        time.sleep(0.05)
    children = _pool_children(pipeline.pid)
    assert len(children) == 1
    os.kill(children[0], signal.SIGKILL)

    # then: acks_late + reject_on_worker_lost redeliver it; it finishes exactly once
    request = wait_for(request_id, timeout=180)
    assert request.status == "published", request.reason
    assert request.render_attempts == 2
    assert Work.objects.filter(request=request).count() == 1
    hold = FeeHold.objects.get(request_id=request.pk)
    assert hold.status == "captured" and hold.amount == 50
    assert [line["amount"] for line in hold.lines] == [50]
    assert list(request.events.values_list("to_status", flat=True)).count("signing") == 1
    assert (
        "WorkerLostError" in pipeline.log_path.read_text()
        or "SIGKILL" in pipeline.log_path.read_text()
    )


def test_openai_backend_through_the_pipeline_success_and_refusal(pipeline, api_client, fake_openai):
    hoshi = with_image(CharacterFactory(name="Hoshi-chan"))
    creator = UserFactory()
    grant_for(hoshi, creator)

    ok = wait_for(
        _generate(
            api_client,
            creator,
            prompt="Hoshi-chan paints a mural",
            character_ids=[str(hoshi.pk)],
            backend="openai",
        )
    )
    refused = wait_for(
        _generate(
            api_client,
            creator,
            prompt="Hoshi-chan [fake:moderation]",
            character_ids=[str(hoshi.pk)],
            backend="openai",
        )
    )

    assert ok.status == "published", ok.reason
    work = Work.objects.get(request=ok)
    assert work.backend == "openai"
    assert verify_media(data=Path(work.video.path), mime="video/mp4").state == "Trusted"
    assert fake_openai.creates, "the fake saw no create call"
    assert refused.status == "failed"
    assert "content policy" in refused.reason
    assert not Work.objects.filter(request=refused).exists()
