"""Comments over the API: list and write them on a work, delete your own, report
someone else's, and (the rightsholders of the work's characters, and staff) hide or
show them again. A work or comment the caller cannot see answers 404."""

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import InputSerializer, example_request, example_response
from core.errors import DomainError
from core.schema import ErrorSerializer
from core.web import declared_length
from marketplace import selectors, selectors_social, services
from marketplace.api import examples as ex
from marketplace.enums import COMMENT_MAX_CHARS, COMMENT_MAX_REQUEST_BYTES, MarketplaceError
from marketplace.models import Comment

TAG = ["social"]
COMMENT_ID = "c0a8e1f2-3b4c-4d5e-8f6a-7b8c9d0e1f2a"


class CommentInputSerializer(InputSerializer):
    body = serializers.CharField(
        allow_blank=True,
        trim_whitespace=False,
        help_text=f"At most {COMMENT_MAX_CHARS:,} characters; no control characters but "
        "newline and tab. A comment with a link, repeated text or slurs is kept held.",
    )


class CommentReportInputSerializer(InputSerializer):
    reason = serializers.CharField(max_length=300, allow_blank=True, default="")


class CommentAuthorSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField(source="__str__")


class CommentOutputSerializer(serializers.ModelSerializer):
    work_id = serializers.UUIDField()
    author = CommentAuthorSerializer()

    class Meta:
        model = Comment
        fields = ["id", "work_id", "author", "body", "status", "held_reason", "created_at"]


class CommentListOutputSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Visible comments on the work")
    results = CommentOutputSerializer(many=True)


COMMENT = {
    "id": COMMENT_ID,
    "work_id": ex.WORK_ID,
    "author": {"id": ex.CREATOR_ID, "name": "Ken"},
    "body": "The rain in this one is gorgeous.",
    "status": "visible",
    "held_reason": "",
    "created_at": "2026-04-03T09:05:00Z",
}
HELD = {
    **COMMENT,
    "body": "Free followers at spam.example.com",
    "status": "held",
    "held_reason": "It looks like spam: it contains a link.",
}


def _work(request, pk):
    work = selectors.work_visible_to(pk=pk, user=request.user)
    if work is None:
        raise Http404("No such work")
    return work


def _comment(request, pk, comment_pk) -> Comment:
    work = _work(request, pk)
    comment = selectors_social.comment_visible_to(pk=comment_pk, work_id=work.pk, user=request.user)
    if comment is None:
        raise Http404("No such comment")
    return comment


def _or_404(action, **kwargs):
    """Run a moderation or author action; one the caller may not take is a 404."""
    try:
        return action(**kwargs)
    except DomainError as exc:
        if exc.status_code == status.HTTP_404_NOT_FOUND:
            raise Http404("No such comment") from None
        raise


class WorkCommentsView(APIView):
    """The comments you can see on a work, oldest first (``GET``: visible ones, plus
    your own and, for its moderators, held and hidden ones); or a new comment
    (``POST``, signed in). A comment screening holds is created ``held`` with its
    reason (201), seen only by you and the moderators. 400 for an empty or over-long
    body or control characters (a request over 16 KB is refused unread), 409 for a work
    that is not published."""

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "GET" else [IsAuthenticated()]

    @extend_schema(
        tags=TAG,
        responses={200: CommentListOutputSerializer},
        examples=[example_response("Comments", {"count": 1, "results": [COMMENT]})],
    )
    def get(self, request, pk):
        work = _work(request, pk)
        found = selectors_social.work_comments(work=work, user=request.user)
        return Response(
            CommentListOutputSerializer({"count": found.visible, "results": found.comments}).data
        )

    @extend_schema(
        tags=TAG,
        request=CommentInputSerializer,
        responses={201: CommentOutputSerializer, 400: ErrorSerializer, 409: ErrorSerializer},
        examples=[
            example_request("A comment", {"body": "The rain in this one is gorgeous."}),
            example_response("Posted", COMMENT, status=201),
            example_response("Held for review", HELD, status=201),
            example_response(
                "Too long",
                {
                    "code": "too_long",
                    "detail": "A comment is at most 2,000 characters; this one has 100,000.",
                    "field": "body",
                },
                status=400,
            ),
        ],
    )
    def post(self, request, pk):
        work = _work(request, pk)
        length = declared_length(request)
        if length > COMMENT_MAX_REQUEST_BYTES:
            # Refused on the header, before the body is read or parsed.
            raise DomainError(
                f"A comment is at most {COMMENT_MAX_CHARS:,} characters; this request "
                f"carries {length:,} bytes (at most {COMMENT_MAX_REQUEST_BYTES:,}).",
                code=MarketplaceError.TOO_LONG,
                field="body",
            )
        data = CommentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        comment = services.comment_create(
            work=work, author=request.user, body=data.validated_data["body"]
        )
        return Response(CommentOutputSerializer(comment).data, status=status.HTTP_201_CREATED)


class CommentDetailView(APIView):
    """Delete your own comment (``DELETE``); anyone else's is a 404."""

    @extend_schema(tags=TAG, request=None, responses={204: None})
    def delete(self, request, pk, comment_pk):
        comment = _comment(request, pk, comment_pk)
        _or_404(services.comment_delete, comment=comment, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CommentReportView(APIView):
    """Report a comment you can see, once: 409 ``duplicate`` the second time, 400 for
    your own. Three readers' reports hold it for the moderators."""

    @extend_schema(
        tags=TAG,
        request=CommentReportInputSerializer,
        responses={200: CommentOutputSerializer, 400: ErrorSerializer, 409: ErrorSerializer},
        examples=[
            example_request("A report", {"reason": "Spam"}),
            example_response("Reported", COMMENT),
            example_response(
                "Reported already",
                {
                    "code": "duplicate",
                    "detail": "You have already reported this comment.",
                    "field": None,
                },
                status=409,
            ),
        ],
    )
    def post(self, request, pk, comment_pk):
        comment = _comment(request, pk, comment_pk)
        data = CommentReportInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        comment = services.comment_report(
            comment=comment, by=request.user, reason=data.validated_data["reason"]
        )
        # The reporter sees the comment as it stands for them (held: no longer shown).
        return Response(CommentOutputSerializer(comment).data)


class CommentHideView(APIView):
    """Hide a comment (``POST``): the rightsholders of a character in the work, and
    staff; anyone else gets a 404."""

    @extend_schema(
        tags=TAG,
        request=None,
        responses={200: CommentOutputSerializer},
        examples=[example_response("Hidden", {**COMMENT, "status": "hidden"})],
    )
    def post(self, request, pk, comment_pk):
        comment = _comment(request, pk, comment_pk)
        comment = _or_404(services.comment_hide, comment=comment, by=request.user)
        return Response(CommentOutputSerializer(comment).data)


class CommentUnhideView(APIView):
    """Show a hidden or held comment again (``POST``): as for hiding."""

    @extend_schema(
        tags=TAG,
        request=None,
        responses={200: CommentOutputSerializer},
        examples=[example_response("Visible", COMMENT)],
    )
    def post(self, request, pk, comment_pk):
        comment = _comment(request, pk, comment_pk)
        comment = _or_404(services.comment_unhide, comment=comment, by=request.user)
        return Response(CommentOutputSerializer(comment).data)
