"""Builders for objects in the states the pipeline and the claims flow leave them in,
shared by the tests that need a whole world of them (tests/api/test_schema_walk.py,
tests/access/)."""

from datetime import timedelta

from django.utils import timezone

from marketplace import services as marketplace_services
from marketplace.enums import GenerationStatus, WorkStatus
from marketplace.models import GenerationRequest, Work
from tests.factories import WorkFactory


def pending_approval_work(*, creator, grant, character, title) -> Work:
    """A work waiting for its rightsholder's review, as the pipeline leaves it."""
    work = WorkFactory(creator=creator, grants=[grant], title=title)
    Work.objects.filter(pk=work.pk).update(status=WorkStatus.PENDING_APPROVAL, published_at=None)
    GenerationRequest.objects.filter(pk=work.request_id).update(
        status=GenerationStatus.AWAITING_APPROVAL
    )
    marketplace_services.work_approvals_open(
        work=work, character_ids=[character.pk], deadline=timezone.now() + timedelta(hours=72)
    )
    return Work.objects.get(pk=work.pk)


def claim_filed(work, character, by, policy="track"):
    """A claim by ``character``'s organization on ``work``, filed by ``by``."""
    return marketplace_services.claim_file(
        work=work,
        character=character,
        by=by,
        reason="terms_breach",
        evidence="A beer at 0:02.",
        policy=policy,
    )
