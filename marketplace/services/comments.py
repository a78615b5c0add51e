"""Comments on works: written by signed-in readers, screened like prompts, reported by
readers, hidden or released by the rightsholders of the work's characters and staff.

A comment is never refused for what it says: one carrying a blocked content category
(slurs and hate, found by the policy engine's lexicon) or a spam pattern (links,
repeated text, a flood of capitals, sales phrases) is stored *held*, seen only by its
author and its moderators with the reason, until a moderator releases it. What is
refused (400, nothing stored) is malformed input: an empty or over-long body, or control
characters."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework import status

from accounts.enums import SocialKind
from accounts.services_social import social_event_record, social_event_withdraw
from core.errors import DomainError, ErrorCode
from licensing.policy.lexicon import categories_in, phrases_in
from marketplace.enums import (
    COMMENT_MAX_CHARS,
    COMMENT_REPORTS_TO_HOLD,
    CommentStatus,
    MarketplaceError,
    WorkStatus,
)
from marketplace.models import Comment, CommentReport, Work
from marketplace.selectors_social import comment_moderator_of
from marketplace.services.counters import work_comments_moved

if TYPE_CHECKING:
    from accounts.models import User

# Content categories that hold a comment (a comment may name any character, and may
# talk about a fight or a kiss; it may not carry slurs).
HELD_CATEGORIES = ("hate",)
_LINK = re.compile(
    r"(https?://|www\.|\b[a-z0-9-]+\.(?:com|net|org|ru|xyz|top|click|biz|info|io|ly|gg)\b)",
    re.IGNORECASE,
)
_RUN = re.compile(r"(.)\1{11,}", re.DOTALL)
_SALES = (
    "buy now",
    "click here",
    "free followers",
    "free money",
    "promo code",
    "dm me for",
    "check my profile",
    "subscribe to my",
    "earn money",
    "crypto giveaway",
)
_ALLOWED_CONTROLS = frozenset("\n\t")


class CommentNotAllowed(DomainError):
    """The work takes no comments (not published): 409."""

    code = ErrorCode.INVALID_STATE
    status_code = status.HTTP_409_CONFLICT


class AlreadyReported(DomainError):
    """The reader reported this comment already: 409 ``duplicate``."""

    code = ErrorCode.DUPLICATE
    status_code = status.HTTP_409_CONFLICT


class NotYours(DomainError):
    """Acting on a comment one may not act on: 404 (as if it did not exist)."""

    code = ErrorCode.NOT_FOUND
    status_code = status.HTTP_404_NOT_FOUND


def comment_body_clean(*, body: str) -> str:
    """The body as stored: line ends made ``\\n`` and the ends trimmed. Raises a 400
    DomainError (field ``body``) for an empty body, one over ``COMMENT_MAX_CHARS``
    characters, or one with control characters other than newline and tab."""
    if not isinstance(body, str):
        raise DomainError("A comment is text.", field="body")
    if len(body) > COMMENT_MAX_CHARS * 4:
        # Counted before anything else looks at it: a huge body costs nothing more.
        raise DomainError(
            f"A comment is at most {COMMENT_MAX_CHARS:,} characters; this one has {len(body):,}.",
            code=MarketplaceError.TOO_LONG,
            field="body",
        )
    text = body.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        raise DomainError("Write something first.", code=ErrorCode.REQUIRED, field="body")
    if len(text) > COMMENT_MAX_CHARS:
        raise DomainError(
            f"A comment is at most {COMMENT_MAX_CHARS:,} characters; this one has {len(text):,}.",
            code=MarketplaceError.TOO_LONG,
            field="body",
        )
    bad = next(
        (c for c in text if unicodedata.category(c) == "Cc" and c not in _ALLOWED_CONTROLS),
        None,
    )
    if bad is not None:
        raise DomainError(
            f"A comment cannot contain control characters (found U+{ord(bad):04X}); "
            "only line breaks and tabs are allowed.",
            code=MarketplaceError.CONTROL_CHARACTERS,
            field="body",
        )
    return text


def comment_screen(*, body: str) -> str:
    """Why a comment is held, or "" if it is not: a blocked content category, or a
    spam pattern."""
    found = categories_in(body)
    for category in HELD_CATEGORIES:
        if category in found:
            hits = ", ".join(found[category][:3])
            return f"It contains language screened as {category} ({hits})."
    if _LINK.search(body):
        return "It looks like spam: it contains a link."
    sales = phrases_in(body, _SALES)
    if sales:
        return f"It looks like spam: “{sales[0]}”."
    if _RUN.search(body):
        return "It looks like spam: the same character repeated over and over."
    words = re.findall(r"\w+", body.casefold())
    if len(words) >= 8:
        _, top = Counter(words).most_common(1)[0]
        if top / len(words) > 0.5:
            return "It looks like spam: the same words repeated over and over."
    letters = [c for c in body if c.isalpha() and c.isascii()]
    if len(letters) >= 20 and sum(c.isupper() for c in letters) / len(letters) > 0.8:
        return "It looks like spam: mostly capital letters."
    return ""


def _source(comment: Comment) -> str:
    return f"comment:{comment.pk}"


@transaction.atomic
def comment_create(*, work: Work, author: User, body: str) -> Comment:
    """Comment on a published work. Malformed input is refused (400, nothing stored);
    a comment screening holds is stored held with the reason. A visible comment on
    someone else's work is told to its creator in the next batch of social notices."""
    text = comment_body_clean(body=body)
    if work.status != WorkStatus.PUBLISHED:
        raise CommentNotAllowed("Only published videos take comments.")
    reason = comment_screen(body=text)
    comment = Comment.objects.create(
        work=work,
        author=author,
        body=text,
        status=CommentStatus.HELD if reason else CommentStatus.VISIBLE,
        held_reason=reason,
    )
    if not reason:
        work_comments_moved(work_id=work.pk, by=1)
        social_event_record(
            recipient=work.creator,
            actor=author,
            kind=SocialKind.COMMENT,
            source=_source(comment),
            target=f"work:{work.pk}",
            target_title=work.title,
            target_url=f"{work.get_absolute_url()}#comments",
            excerpt=text[:200],
        )
    return comment


def _locked(comment: Comment) -> Comment:
    return Comment.objects.select_for_update().select_related("work").get(pk=comment.pk)


@transaction.atomic
def comment_delete(*, comment: Comment, by: User) -> None:
    """The author deletes their comment (anyone else: 404). Its notice, if not told yet,
    is never told."""
    if comment.author_id != by.pk:
        raise NotYours("No such comment.")
    locked = Comment.objects.select_for_update().filter(pk=comment.pk).first()
    if locked is None:
        return
    social_event_withdraw(source=_source(locked))
    if locked.status == CommentStatus.VISIBLE:
        work_comments_moved(work_id=locked.work_id, by=-1)
    locked.delete()


@transaction.atomic
def comment_report(*, comment: Comment, by: User, reason: str = "") -> Comment:
    """A reader reports a comment they can see, once (twice: 409, nothing changes).
    ``COMMENT_REPORTS_TO_HOLD`` distinct reports not yet reviewed hold a visible comment
    for review (a moderator's release reviews the reports before it)."""
    if comment.author_id == by.pk:
        raise DomainError("You cannot report your own comment; delete it instead.")
    reason = (reason or "").strip()
    if len(reason) > 300:
        raise DomainError("A report's reason is at most 300 characters.", field="reason")
    comment = _locked(comment)
    try:
        with transaction.atomic():
            CommentReport.objects.create(comment=comment, reporter=by, reason=reason)
    except IntegrityError:
        raise AlreadyReported("You have already reported this comment.") from None
    reports = comment.reports.filter(reviewed_at__isnull=True).count()
    if comment.status == CommentStatus.VISIBLE and reports >= COMMENT_REPORTS_TO_HOLD:
        comment.status = CommentStatus.HELD
        comment.held_reason = f"Reported by {reports} readers."
        comment.save(update_fields=["status", "held_reason", "updated_at"])
        work_comments_moved(work_id=comment.work_id, by=-1)
        social_event_withdraw(source=_source(comment))
    return comment


def _require_moderator(comment: Comment, by: User) -> None:
    if not comment_moderator_of(work=comment.work, user=by):
        raise NotYours("No such comment.")


@transaction.atomic
def comment_hide(*, comment: Comment, by: User) -> Comment:
    """A rightsholder of a character in the work, or staff, hides a comment (anyone
    else: 404). Hiding a hidden one changes nothing."""
    _require_moderator(comment, by)
    comment = _locked(comment)
    if comment.status != CommentStatus.HIDDEN:
        if comment.status == CommentStatus.VISIBLE:
            work_comments_moved(work_id=comment.work_id, by=-1)
        comment.status = CommentStatus.HIDDEN
        comment.hidden_by = by
        comment.hidden_at = timezone.now()
        comment.save(update_fields=["status", "hidden_by", "hidden_at", "updated_at"])
        social_event_withdraw(source=_source(comment))
    return comment


@transaction.atomic
def comment_unhide(*, comment: Comment, by: User) -> Comment:
    """A moderator (as for ``comment_hide``) makes a hidden or held comment visible
    again; releasing a held one clears its reason and marks its reports reviewed."""
    _require_moderator(comment, by)
    comment = _locked(comment)
    if comment.status != CommentStatus.VISIBLE:
        # The moderator has seen the reports so far: they hold it again only with
        # as many new readers' reports.
        comment.reports.filter(reviewed_at__isnull=True).update(reviewed_at=timezone.now())
        work_comments_moved(work_id=comment.work_id, by=1)
        comment.status = CommentStatus.VISIBLE
        comment.held_reason = ""
        comment.hidden_by = None
        comment.hidden_at = None
        comment.save(
            update_fields=["status", "held_reason", "hidden_by", "hidden_at", "updated_at"]
        )
    return comment
