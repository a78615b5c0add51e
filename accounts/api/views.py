from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.api.serializers import (
    MeOutputSerializer,
    TokenRequestSerializer,
    TokenResponseSerializer,
)
from accounts.models import User
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
