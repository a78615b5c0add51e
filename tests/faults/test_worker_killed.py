"""A whole worker (main process and pool child) dies with SIGKILL while it runs each
stage of the generation pipeline; a fresh worker then finishes the request exactly
once: one Work, one charge, balanced ledger, one video and one poster on disk."""

import time

import pytest

from marketplace import services
from tests.factories import CharacterFactory, UserFactory, fund_wallet, grant_for
from tests.faults.conftest import (
    assert_generated_exactly_once,
    wait_for_status,
    works_on_disk,
)
from tests.marketplace.conftest import with_image

pytestmark = [pytest.mark.postgresql, pytest.mark.redis]

# The stages of marketplace/tasks.py, by their task names.
STAGES = [
    "marketplace.generation_check",
    "marketplace.generation_render",
    "marketplace.generation_sign",
    "marketplace.generation_route",
]


def _request(prompt: str):
    hoshi = with_image(CharacterFactory(name="Hoshi-chan"))
    creator = UserFactory()
    grant_for(hoshi, creator, per_generation_fee=50)
    fund_wallet(creator, 50)
    return services.generation_request_create(
        creator=creator, prompt=prompt, character_ids=[hoshi.pk], duration_s=4
    )


@pytest.mark.parametrize("stage", STAGES)
def test_a_worker_killed_as_it_starts_a_stage_is_replaced_and_the_request_finishes_once(
    faults, fault_media_root, stage
):
    # given: a live worker that will die (SIGKILL, whole process group) on entering
    # the stage, before the stage's code runs
    victim = faults.live()
    faults.kill_at(stage)
    before = works_on_disk(fault_media_root)

    # when: a request goes through the pipeline
    request = _request(f"Hoshi-chan crosses a bridge ({stage})")
    faults.wait_for_death(victim)

    # then: a fresh worker gets the unacknowledged message back and finishes it once
    replacement = faults.fresh()
    request = wait_for_status(request.pk, {"published", "failed", "refused"}, worker=replacement)
    assert_generated_exactly_once(request, media_root=fault_media_root, works_before=before)
    assert "SIGKILL" not in replacement.log()  # the replacement itself was never killed


def test_a_worker_killed_mid_render_is_replaced_and_the_request_finishes_once(
    faults, fault_media_root
):
    # given: a live worker
    victim = faults.live()
    before = works_on_disk(fault_media_root)

    # when: it is killed from outside while the render is under way (the status says
    # rendering and the renderer has reported progress)
    request = _request("Hoshi-chan runs a marathon")
    wait_for_status(request.pk, {"rendering"}, worker=victim)
    from marketplace.models import GenerationRequest

    while GenerationRequest.objects.get(pk=request.pk).progress <= 10:
        assert victim.alive()
        time.sleep(0.02)
    victim.kill()

    # then: a fresh worker renders it again from scratch and finishes it once
    replacement = faults.fresh()
    request = wait_for_status(request.pk, {"published", "failed", "refused"}, worker=replacement)
    work = assert_generated_exactly_once(request, media_root=fault_media_root, works_before=before)
    assert request.render_attempts == 2
    assert work.frame_count == 96
