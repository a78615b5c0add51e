"""Comments on a work page: the list (a fragment the page includes and htmx reloads),
the form, and the author's, readers' and moderators' actions on a comment.

Every form POSTs with CSRF and comes back to the work page without JavaScript; with htmx
the comments section swaps itself. A signed-out reader is sent to log in and back."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import DomainError
from core.web import declared_length
from marketplace import selectors_social, services
from marketplace.enums import COMMENT_MAX_CHARS, COMMENT_MAX_REQUEST_BYTES
from marketplace.models import Comment, Work
from marketplace.web.social import _to_login, _work


def _anchor(work: Work) -> str:
    return f"{work.get_absolute_url()}#comments"


def comments_context(request: HttpRequest, work: Work, **extra) -> dict:
    found = selectors_social.work_comments(work=work, user=request.user)
    return {
        "work": work,
        "comments": found.comments,
        "comment_count": found.visible,
        "moderator": found.moderator,
        "max_chars": COMMENT_MAX_CHARS,
        **extra,
    }


def _section(request: HttpRequest, work: Work, **extra) -> HttpResponse:
    return render(request, "marketplace/_comments.html", comments_context(request, work, **extra))


def _refused(request: HttpRequest, work: Work, detail: str, body: str = "") -> HttpResponse:
    """The reason beside the form: in the section htmx swaps in (a 200, since htmx
    swaps no 4xx), or on the work page it redirects to."""
    if request.htmx:
        return _section(request, work, error=detail, draft=body)
    messages.error(request, detail)
    return redirect(_anchor(work))


@require_http_methods(["GET", "POST"])
def work_comments(request: HttpRequest, pk) -> HttpResponse:
    """GET: the comments section (htmx reloads it). POST ``body``: comment, signed in;
    a comment screening holds is kept for review and its author told why."""
    work = _work(request, pk)
    if request.method == "GET":
        return _section(request, work)
    if not request.user.is_authenticated:
        return _to_login(request, _anchor(work))
    if declared_length(request) > COMMENT_MAX_REQUEST_BYTES:
        return _refused(
            request,
            work,
            f"A comment is at most {COMMENT_MAX_CHARS:,} characters; this one is far longer.",
        )
    body = request.POST.get("body", "")
    try:
        comment = services.comment_create(work=work, author=request.user, body=body)
    except DomainError as exc:
        return _refused(request, work, exc.detail, body=body[:COMMENT_MAX_CHARS])
    notice = (
        f"Your comment is held for review: {comment.held_reason}"
        if comment.held_reason
        else "Comment posted."
    )
    if request.htmx:
        return _section(request, work, notice=notice)
    if comment.held_reason:
        messages.warning(request, notice)
    else:
        messages.success(request, notice)
    return redirect(_anchor(work))


def _comment(request: HttpRequest, pk, comment_pk) -> tuple[Work, Comment]:
    work = _work(request, pk)
    comment = selectors_social.comment_visible_to(pk=comment_pk, work_id=work.pk, user=request.user)
    if comment is None:
        raise Http404("No such comment")
    return work, comment


def _act(request: HttpRequest, pk, comment_pk, action, done: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return _to_login(request, _anchor(_work(request, pk)))
    work, comment = _comment(request, pk, comment_pk)
    try:
        action(comment=comment, by=request.user)
    except DomainError as exc:
        if exc.status_code == 404:
            raise Http404("No such comment") from None
        return _refused(request, work, exc.detail)
    if request.htmx:
        return _section(request, work, notice=done)
    messages.success(request, done)
    return redirect(_anchor(work))


@require_POST
def comment_delete(request: HttpRequest, pk, comment_pk) -> HttpResponse:
    return _act(request, pk, comment_pk, services.comment_delete, "Comment deleted.")


@require_POST
def comment_report(request: HttpRequest, pk, comment_pk) -> HttpResponse:
    def report(*, comment: Comment, by) -> None:
        services.comment_report(comment=comment, by=by, reason=request.POST.get("reason", ""))

    return _act(request, pk, comment_pk, report, "Thanks: the comment is reported.")


@require_POST
def comment_hide(request: HttpRequest, pk, comment_pk) -> HttpResponse:
    return _act(request, pk, comment_pk, services.comment_hide, "Comment hidden.")


@require_POST
def comment_unhide(request: HttpRequest, pk, comment_pk) -> HttpResponse:
    return _act(request, pk, comment_pk, services.comment_unhide, "Comment shown again.")
