from django.http import Http404
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, selectors_social, services
from accounts.api.serializers import (
    MeOutputSerializer,
    OrganizationRejectInputSerializer,
    OrganizationVerificationOutputSerializer,
    TokenRequestSerializer,
    TokenResponseSerializer,
    UserFollowOutputSerializer,
)
from accounts.models import Organization, User
from core.api import example_request, example_response
from core.ratelimit import ActionRateThrottle
from core.schema import ErrorSerializer


class TokenObtainView(APIView):
    """Exchange an email and password for an API token. Limited per address
    (RATE_LIMITS["token"]); failed attempts count against the same per-account lockout
    as the web log-in, and a locked account gets 429 here too. Only a confirmed email
    address gets a token (403 ``email_unverified`` otherwise); a staff account only with
    ``code`` from its authenticator app (403 ``mfa_required`` otherwise)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [ActionRateThrottle]
    throttle_scope = "token"

    @extend_schema(
        request=TokenRequestSerializer,
        responses={200: TokenResponseSerializer, 403: ErrorSerializer},
        examples=[
            OpenApiExample(
                "Log in",
                value={"email": "creator@cocreate.test", "password": "cocreate-demo"},
                request_only=True,
            ),
            OpenApiExample(
                "Token",
                value={"token": "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"},
                response_only=True,
            ),
            OpenApiExample(
                "Email not confirmed",
                value={
                    "code": "email_unverified",
                    "detail": "Verify your email address before you use the API: follow "
                    "the link we sent to creator@cocreate.test.",
                    "field": None,
                },
                response_only=True,
                status_codes=["403"],
            ),
        ],
        tags=["auth"],
    )
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token = services.user_api_token_issue(
            request=request._request,
            email=serializer.validated_data["email"],
            password=serializer.validated_data["password"],
            code=serializer.validated_data["code"],
        )
        return Response({"token": token}, status=status.HTTP_200_OK)


class MeView(APIView):
    """The authenticated user and their organization memberships."""

    @extend_schema(
        responses={200: MeOutputSerializer},
        tags=["auth"],
        examples=[
            OpenApiExample(
                "A studio owner",
                value={
                    "id": "5b6c7d8e-9f0a-4b1c-8d2e-3f4a5b6c7d8e",
                    "email": "studio@cocreate.test",
                    "display_name": "Kenji Mori",
                    "is_staff": False,
                    "memberships": [
                        {
                            "organization": "hoshi-studio",
                            "organization_name": "Hoshi Studio",
                            "verification_status": "verified",
                            "role": "owner",
                        }
                    ],
                },
                response_only=True,
            )
        ],
    )
    def get(self, request):
        user = User.objects.prefetch_related("memberships__organization").get(pk=request.user.pk)
        return Response(MeOutputSerializer(user).data)


_ORGANIZATION_ID = "3f2b1c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
_VERIFIED = {
    "id": _ORGANIZATION_ID,
    "name": "Hoshi Studio",
    "slug": "hoshi-studio",
    "verification_status": "verified",
    "verification_note": "",
    "verified_at": "2026-05-01T09:30:00Z",
}


def _organization(pk) -> Organization:
    organization = selectors.organization_by_pk(pk=pk)
    if organization is None:
        raise Http404("No such organization")
    return organization


class OrganizationVerifyView(APIView):
    """Staff verify an organization waiting for review, on the documents it uploaded
    (staff only, with a second factor: a token issued with a code, or a session signed
    in with one). Its characters leave draft. 400 ``documents_required`` when it
    uploaded none, 409 ``invalid_state`` when it is not waiting for review, 403 for
    anyone but staff, 404 for an unknown organization."""

    @extend_schema(
        tags=["organizations"],
        request=None,
        responses={
            200: OrganizationVerificationOutputSerializer,
            400: ErrorSerializer,
            403: ErrorSerializer,
            404: ErrorSerializer,
            409: ErrorSerializer,
        },
        examples=[
            example_response("Verified", _VERIFIED),
            example_response(
                "No documents",
                {
                    "code": "documents_required",
                    "detail": "Hoshi Studio has uploaded no documents: there is nothing to "
                    "verify it on.",
                    "field": "documents",
                },
                status=400,
            ),
            example_response(
                "Not waiting for review",
                {
                    "code": "invalid_state",
                    "detail": "Only an organization waiting for review can be verified; "
                    "Hoshi Studio is verified.",
                    "field": None,
                },
                status=409,
            ),
        ],
    )
    def post(self, request, pk):
        organization = services.organization_verify(organization=_organization(pk), by=request.user)
        return Response(OrganizationVerificationOutputSerializer(organization).data)


class OrganizationRejectView(APIView):
    """Staff reject an organization waiting for review (or withdraw a verification),
    with a reason its people read; its characters return to draft. Staff only, with a
    second factor. 400 without a reason, 409 ``invalid_state`` for an organization that
    asked for nothing or is rejected already, 403 for anyone but staff, 404 for an
    unknown organization."""

    @extend_schema(
        tags=["organizations"],
        request=OrganizationRejectInputSerializer,
        responses={
            200: OrganizationVerificationOutputSerializer,
            400: ErrorSerializer,
            403: ErrorSerializer,
            404: ErrorSerializer,
            409: ErrorSerializer,
        },
        examples=[
            example_request("Reject", {"reason": "The registration names another company."}),
            example_response(
                "Rejected",
                {
                    **_VERIFIED,
                    "verification_status": "rejected",
                    "verification_note": "The registration names another company.",
                    "verified_at": None,
                },
            ),
        ],
    )
    def post(self, request, pk):
        organization = _organization(pk)
        serializer = OrganizationRejectInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        organization = services.organization_reject(
            organization=organization, by=request.user, note=serializer.validated_data["reason"]
        )
        return Response(OrganizationVerificationOutputSerializer(organization).data)


def _follow_state(person: User, viewer: User) -> dict:
    counts = selectors_social.follow_counts(user=person, viewer=viewer)
    return {
        "user_id": person.pk,
        "following": counts.viewer_follows,
        "followers": counts.followers,
        "following_count": counts.following,
    }


FOLLOWING = {
    "user_id": "5b6c7d8e-9f0a-4b1c-8d2e-3f4a5b6c7d8e",
    "following": True,
    "followers": 40,
    "following_count": 12,
}


class UserFollowView(APIView):
    """Follow a person (``POST``) or stop (``DELETE``). Following someone you follow
    already changes nothing (200, the same state); following yourself is 400
    ``invalid``. 404 for an unknown or deactivated account. They hear of a new follow in
    the next batch of social notices, unless they turned those off."""

    def _person(self, pk) -> User:
        person = selectors_social.active_user(pk=pk)
        if person is None:
            raise Http404("No such person")
        return person

    @extend_schema(
        tags=["social"],
        request=None,
        responses={200: UserFollowOutputSerializer, 400: ErrorSerializer},
        examples=[
            example_response("Following", FOLLOWING),
            example_response(
                "Yourself",
                {"code": "invalid", "detail": "You cannot follow yourself.", "field": None},
                status=400,
            ),
        ],
    )
    def post(self, request, pk):
        person = self._person(pk)
        services.follow_create(follower=request.user, followee=person)
        return Response(UserFollowOutputSerializer(_follow_state(person, request.user)).data)

    @extend_schema(
        tags=["social"],
        request=None,
        responses={200: UserFollowOutputSerializer},
        examples=[
            example_response("Not following", {**FOLLOWING, "following": False, "followers": 39})
        ],
    )
    def delete(self, request, pk):
        person = self._person(pk)
        services.follow_delete(follower=request.user, followee=person)
        return Response(UserFollowOutputSerializer(_follow_state(person, request.user)).data)
