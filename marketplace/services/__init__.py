"""Marketplace writes. Import from here: ``from marketplace import services``."""

from marketplace.services.generation import (
    generation_charge,
    generation_check,
    generation_fail,
    generation_render,
    generation_request_create,
    generation_route,
    generation_sign,
    generation_transition,
    parent_facts,
    render_failed,
)
from marketplace.services.works import (
    work_approval_settled,
    work_block,
    work_delete,
    work_unblock,
    works_apply_revocation,
)

__all__ = [
    "generation_charge",
    "generation_check",
    "generation_fail",
    "generation_render",
    "generation_request_create",
    "generation_route",
    "generation_sign",
    "generation_transition",
    "parent_facts",
    "render_failed",
    "work_approval_settled",
    "work_block",
    "work_delete",
    "work_unblock",
    "works_apply_revocation",
]
