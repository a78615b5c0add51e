"""Who may see a work's files (its video and poster, under ``works/<work id>/``), for
core/media.py's signed URLs and media view.

A published work: everyone. Waiting for approval, or denied by its reviewer: its
creator, the rightsholders of the characters it shows (a likeness owner included) and
staff. Blocked by a claim or delisted, or deleted (withdrawn): its creator and staff
only. The rule is read again on every request, so a URL issued before a work was
blocked stops working when it is."""

from __future__ import annotations

import uuid

from core.media import MediaKind, Viewer, staff_viewer
from marketplace import selectors
from marketplace.enums import WorkStatus
from marketplace.models import Work
from marketplace.provenance.training import work_tdm_headers

FOLDER = "works"
_FOR_PARTIES = frozenset({WorkStatus.PENDING_APPROVAL, WorkStatus.DENIED})
_RULE_FIELDS = ("id", "status", "creator_id", "request_id", "video", "poster")


def work_files_public(work: Work) -> bool:
    return work.status == WorkStatus.PUBLISHED


def work_files_visible_to(*, work: Work, user: Viewer) -> bool:
    """Whether ``user`` may see ``work``'s video and poster now."""
    if work.status == WorkStatus.PUBLISHED:
        return True
    if not user.is_authenticated:
        return False
    if staff_viewer(user) or work.creator_id == user.pk:
        return True
    return work.status in _FOR_PARTIES and selectors.work_rightsholder_of(work=work, user=user)


def _work_id(name: str) -> uuid.UUID | None:
    parts = name.split("/")
    if len(parts) != 3:
        return None
    try:
        return uuid.UUID(parts[1])
    except ValueError:
        return None


def work_file_visible_to(*, name: str, user: Viewer) -> bool:
    """Whether ``name`` is the current video or poster of a work ``user`` may see."""
    pk = _work_id(name)
    if pk is None:
        return False
    # Only what the rule reads: this runs for every file a page shows.
    work = Work.objects.only(*_RULE_FIELDS).filter(pk=pk).first()
    if work is None or name not in (work.video.name, work.poster.name):
        return False
    return work_files_visible_to(work=work, user=user)


def work_file_headers(*, name: str, base_url: str) -> dict[str, str]:
    """The TDMRep reservation of a work's files, when its licences reserve training."""
    pk = _work_id(name)
    return {} if pk is None else work_tdm_headers(work_id=pk, base_url=base_url)


KIND = MediaKind(
    folder=FOLDER,
    model=Work,
    is_public=work_files_public,
    visible_to=work_file_visible_to,
    headers=work_file_headers,
)
