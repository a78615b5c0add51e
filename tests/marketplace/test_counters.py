"""Each work's counters (likes, published remixes, visible comments) stay equal to a
fresh count of their rows along every path that writes those rows, and the reconcile
recounts counters that drifted."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from marketplace import services
from marketplace.enums import (
    COMMENT_REPORTS_TO_HOLD,
    CommentStatus,
    GenerationStatus,
    WorkStatus,
)
from marketplace.models import Comment, GenerationRequest, Like, Work
from marketplace.services.likes import AlreadyLiked
from tests.builders import claim_filed, licensed_work
from tests.factories import (
    CharacterFactory,
    UserFactory,
    WorkFactory,
    editor_of,
    grant_for,
)

pytestmark = pytest.mark.django_db


def _counted(work) -> tuple[int, int, int]:
    """The work's (likes, remixes, comments) counters, checked against a fresh count."""
    row = Work.objects.get(pk=work.pk)
    fresh = (
        Like.objects.filter(work=work).count(),
        Work.objects.filter(parent=work, status=WorkStatus.PUBLISHED).count(),
        Comment.objects.filter(work=work, status=CommentStatus.VISIBLE).count(),
    )
    counters = (row.like_count, row.remix_count, row.comment_count)
    assert counters == fresh
    return counters


def _remix(parent, **fields):
    creator = UserFactory()
    character = CharacterFactory()
    work = WorkFactory(
        parent=parent, creator=creator, grants=[grant_for(character, creator)], **fields
    )
    return work, character


# --- likes --------------------------------------------------------------------------------------


def test_likes_and_unlikes_move_the_like_counter():
    # given
    work = WorkFactory()
    ann, bob = UserFactory(), UserFactory()

    # when: two likes, one refused twice-like, one taken back twice
    services.like_work(work=work, user=ann)
    services.like_work(work=work, user=bob)
    with pytest.raises(AlreadyLiked):
        services.like_work(work=work, user=ann)
    assert _counted(work)[0] == 2
    services.unlike_work(work=work, user=ann)
    services.unlike_work(work=work, user=ann)

    # then
    assert _counted(work)[0] == 1


# --- comments -----------------------------------------------------------------------------------


def test_visible_comments_are_counted_and_held_ones_are_not():
    # given
    work, _ = licensed_work()

    # when
    services.comment_create(work=work, author=UserFactory(), body="Lovely light.")
    held = services.comment_create(work=work, author=UserFactory(), body="buy now at spam.com")

    # then
    assert held.status == CommentStatus.HELD
    assert _counted(work)[2] == 1


def test_hiding_releasing_and_deleting_comments_move_the_comment_counter():
    # given: two visible comments and a held one
    work, moderator = licensed_work()
    author = UserFactory()
    first = services.comment_create(work=work, author=author, body="First!")
    second = services.comment_create(work=work, author=UserFactory(), body="Second.")
    held = services.comment_create(work=work, author=author, body="click here for more")
    assert _counted(work)[2] == 2

    # hidden (twice: counted once), released, a held one released
    services.comment_hide(comment=first, by=moderator)
    services.comment_hide(comment=first, by=moderator)
    assert _counted(work)[2] == 1
    services.comment_unhide(comment=first, by=moderator)
    services.comment_unhide(comment=first, by=moderator)
    assert _counted(work)[2] == 2
    services.comment_unhide(comment=held, by=moderator)
    assert _counted(work)[2] == 3

    # a hidden comment deleted leaves the counter; a visible one takes one off
    services.comment_hide(comment=second, by=moderator)
    services.comment_delete(comment=Comment.objects.get(pk=second.pk), by=second.author)
    assert _counted(work)[2] == 2
    services.comment_delete(comment=first, by=author)
    services.comment_delete(comment=first, by=author)
    assert _counted(work)[2] == 1


def test_a_comment_held_by_reports_leaves_the_counter():
    # given
    work, _ = licensed_work()
    comment = services.comment_create(work=work, author=UserFactory(), body="Hmm.")

    # when
    for _ in range(COMMENT_REPORTS_TO_HOLD):
        services.comment_report(comment=comment, by=UserFactory())

    # then
    assert Comment.objects.get(pk=comment.pk).status == CommentStatus.HELD
    assert _counted(work)[2] == 0


# --- remixes: a child moving into or out of "published" -----------------------------------------


def test_a_remix_published_by_the_pipeline_counts_once_for_its_parent():
    # given: a remix signed and stored, not yet routed
    parent = WorkFactory()
    child, _ = _remix(parent, status=WorkStatus.PENDING_APPROVAL)
    GenerationRequest.objects.filter(pk=child.request_id).update(
        status=GenerationStatus.SIGNING, effective_terms={}, reasons=[], render_output={}
    )
    assert _counted(parent)[1] == 0

    # when: routed, and routed again (a redelivered task)
    services.generation_route(request_id=child.request_id)
    services.generation_route(request_id=child.request_id)

    # then
    assert Work.objects.get(pk=child.pk).status == WorkStatus.PUBLISHED
    assert _counted(parent)[1] == 1


def test_an_approved_remix_counts_for_its_parent():
    # given: a remix waiting for its rightsholder
    parent = WorkFactory()
    child, character = _remix(parent, status=WorkStatus.PENDING_APPROVAL)
    GenerationRequest.objects.filter(pk=child.request_id).update(
        status=GenerationStatus.AWAITING_APPROVAL
    )
    services.work_approvals_open(
        work=child, character_ids=[character.pk], deadline=timezone.now() + timedelta(hours=72)
    )

    # when
    services.work_approval_decide(
        approval=child.approvals.get(), by=editor_of(character), approve=True
    )

    # then
    assert _counted(parent)[1] == 1


def test_a_remix_blocked_by_a_claim_and_relisted_moves_its_parents_counter():
    # given
    parent = WorkFactory()
    child, character = _remix(parent)
    assert _counted(parent)[1] == 1

    # when: a blocking claim delists it (a second block changes nothing)
    claim_filed(child, character, editor_of(character), policy="block")
    services.work_block(work=child, reason="again")

    # then
    assert Work.objects.get(pk=child.pk).status == WorkStatus.DELISTED
    assert _counted(parent)[1] == 0

    # when: the block is lifted by hand with the claim still standing (nothing), then
    # relisted once no blocking claim stands
    services.work_unblock(work=child)
    assert _counted(parent)[1] == 0
    child.claims.update(status="released")
    services.work_unblock(work=child)
    services.work_unblock(work=child)
    assert _counted(parent)[1] == 1


def test_a_deleted_remix_leaves_its_parents_counter_once():
    # given: a published remix and a delisted one
    parent = WorkFactory()
    published, _ = _remix(parent)
    delisted, _ = _remix(parent, status=WorkStatus.DELISTED)
    assert _counted(parent)[1] == 1

    # when
    services.work_delete(work=delisted, by=delisted.creator)
    services.work_delete(work=published, by=published.creator)
    services.work_delete(work=published, by=published.creator)

    # then
    assert _counted(parent)[1] == 0


def test_a_revoked_licence_that_deletes_or_delists_its_works_moves_their_parents_counters():
    # given: two remixes under one grant, another under a second
    parent = WorkFactory()
    creator = UserFactory()
    grant = grant_for(CharacterFactory(), creator)
    other = grant_for(CharacterFactory(), creator)
    for _ in range(2):
        WorkFactory(parent=parent, creator=creator, grants=[grant])
    WorkFactory(parent=parent, creator=creator, grants=[other])
    assert _counted(parent)[1] == 3

    # when
    deleted = services.works_apply_revocation(grant_id=grant.pk, policy="delete", reason="x")
    delisted = services.works_apply_revocation(grant_id=other.pk, policy="delist", reason="y")

    # then
    assert (deleted, delisted) == (2, 1)
    assert _counted(parent)[1] == 0


# --- the reconcile ------------------------------------------------------------------------------


def test_the_rebuild_command_recounts_counters_that_drifted():
    # given: counters kept by the services, then edited by hand
    parent = WorkFactory()
    _remix(parent)
    services.like_work(work=parent, user=UserFactory())
    services.comment_create(work=parent, author=UserFactory(), body="Nice.")
    untouched = WorkFactory()
    Work.objects.filter(pk=parent.pk).update(like_count=7, remix_count=0, comment_count=3)
    Work.objects.filter(pk=untouched.pk).update(like_count=2)

    # when
    out = StringIO()
    call_command("read_models_rebuild", only="counters", stdout=out)

    # then: each counter equals its rows again, and it says how many it corrected
    assert _counted(parent) == (1, 1, 1)
    assert _counted(untouched) == (0, 0, 0)
    assert "like_count 2, remix_count 1, comment_count 1" in out.getvalue()
    assert services.work_counters_reconcile() == {
        "like_count": 0,
        "remix_count": 0,
        "comment_count": 0,
    }
