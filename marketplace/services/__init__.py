"""Marketplace writes. Import from here: ``from marketplace import services``."""

from marketplace.services.approvals import (
    work_approval_decide,
    work_approval_settled,
    work_approvals_expire,
    work_approvals_open,
    work_approvals_withdraw,
)
from marketplace.services.claims import (
    claim_file,
    claim_release,
    claim_review_accept,
    claim_review_reject,
    dispute_escalate,
    dispute_open,
    dispute_resolve,
    disputes_expire,
)
from marketplace.services.comments import (
    comment_create,
    comment_delete,
    comment_hide,
    comment_report,
    comment_unhide,
)
from marketplace.services.counters import work_counters_reconcile, work_counters_sql
from marketplace.services.feed import (
    feed_entries_for_character,
    feed_entries_for_creator,
    feed_entries_rebuild,
    feed_entries_sync,
)
from marketplace.services.generation import (
    generation_check,
    generation_preview_check,
    generation_render,
    generation_request_create,
    generation_route,
    generation_sign,
    parent_facts,
    render_failed,
    storyline_preview_check,
)
from marketplace.services.leases import (
    generation_dispatch,
    generation_lease_take,
    generation_sweep,
)
from marketplace.services.likes import like_work, unlike_work
from marketplace.services.storylines import (
    storyline_can_manage,
    storyline_close,
    storyline_create,
    storyline_take_feature,
    storyline_take_unfeature,
    storyline_update,
)
from marketplace.services.transitions import generation_fail, generation_transition
from marketplace.services.works import (
    generations_fail_for_revoked_grant,
    work_block,
    work_delete,
    work_unblock,
    works_apply_revocation,
)

__all__ = [
    "claim_file",
    "claim_release",
    "claim_review_accept",
    "claim_review_reject",
    "comment_create",
    "comment_delete",
    "comment_hide",
    "comment_report",
    "comment_unhide",
    "dispute_escalate",
    "dispute_open",
    "dispute_resolve",
    "disputes_expire",
    "feed_entries_for_character",
    "feed_entries_for_creator",
    "feed_entries_rebuild",
    "feed_entries_sync",
    "generation_check",
    "generation_dispatch",
    "generation_fail",
    "generation_lease_take",
    "generation_preview_check",
    "generation_render",
    "generation_request_create",
    "generation_route",
    "generation_sign",
    "generation_sweep",
    "generation_transition",
    "generations_fail_for_revoked_grant",
    "like_work",
    "parent_facts",
    "render_failed",
    "storyline_can_manage",
    "storyline_close",
    "storyline_create",
    "storyline_preview_check",
    "storyline_take_feature",
    "storyline_take_unfeature",
    "storyline_update",
    "unlike_work",
    "work_approval_decide",
    "work_approval_settled",
    "work_approvals_expire",
    "work_approvals_open",
    "work_approvals_withdraw",
    "work_block",
    "work_counters_reconcile",
    "work_counters_sql",
    "work_delete",
    "work_unblock",
    "works_apply_revocation",
]
