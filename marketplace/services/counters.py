"""Each work's counters: its likes, its published remixes (children) and its visible
comments. The services that write what a counter counts move it with an F() expression
in the same transaction, so two writers never lose each other's step and a rolled-back
write takes its step with it; ``work_counters_reconcile`` recounts them all from the
rows (after a bulk load, or rows edited outside the services)."""

from __future__ import annotations

from django.db import connection
from django.db.models import F
from django.db.models.functions import Greatest

from marketplace.enums import CommentStatus, WorkStatus
from marketplace.models import Comment, Like, Work

COUNTERS = ("like_count", "remix_count", "comment_count")


def _move(*, work_id, field: str, by: int) -> None:
    # Never below zero: a counter that drifted (rows edited by hand) waits for the
    # reconcile instead of failing the reader's write on the column's CHECK.
    Work.objects.filter(pk=work_id).update(**{field: Greatest(F(field) + by, 0)})


def work_likes_moved(*, work_id, by: int) -> None:
    """A like was added (+1) or taken back (-1)."""
    _move(work_id=work_id, field="like_count", by=by)


def work_comments_moved(*, work_id, by: int) -> None:
    """A comment became visible (+1) or stopped being visible (-1)."""
    _move(work_id=work_id, field="comment_count", by=by)


def work_publication_moved(*, parent_id, was_published: bool, published: bool) -> None:
    """A work moved into or out of ``published``: its parent's ``remix_count`` follows.
    Nothing for an original (no parent) or a move that left it as it was."""
    if parent_id is None or was_published == published:
        return
    _move(work_id=parent_id, field="remix_count", by=1 if published else -1)


def work_counters_sql() -> list[tuple[str, list]]:
    """One UPDATE ... FROM (SELECT ... GROUP BY) per counter (PostgreSQL and SQLite),
    writing only the works whose counter differs from its rows' count."""
    work, like, comment = (m._meta.db_table for m in (Work, Like, Comment))

    def update(field: str, joined: str, on: str) -> str:
        return (
            f'UPDATE "{work}" SET {field} = c.n FROM ('  # noqa: S608 - names from the models
            f'SELECT w.id AS id, COUNT(x.id) AS n FROM "{work}" w'
            f' LEFT JOIN "{joined}" x ON {on} GROUP BY w.id) AS c'
            f' WHERE "{work}".id = c.id AND "{work}".{field} <> c.n'
        )

    return [
        (update("like_count", like, "x.work_id = w.id"), []),
        (
            update("remix_count", work, "x.parent_id = w.id AND x.status = %s"),
            [WorkStatus.PUBLISHED.value],
        ),
        (
            update("comment_count", comment, "x.work_id = w.id AND x.status = %s"),
            [CommentStatus.VISIBLE.value],
        ),
    ]


def work_counters_reconcile() -> dict[str, int]:
    """Recount every work's counters from the rows; returns, per counter, how many works
    it corrected (0 everywhere when the services kept them)."""
    fixed = {}
    with connection.cursor() as cursor:
        for field, (sql, params) in zip(COUNTERS, work_counters_sql(), strict=True):
            cursor.execute(sql, params)
            fixed[field] = cursor.rowcount
    return fixed
