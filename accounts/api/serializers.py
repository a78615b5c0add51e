from rest_framework import serializers

from accounts.models import Membership, Organization, User
from core.api import InputSerializer


class TokenRequestSerializer(InputSerializer):
    email = serializers.EmailField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)
    code = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        max_length=16,
        help_text="Staff only: the current code of your authenticator app (TOTP). "
        "Staff tokens work only when issued with it.",
    )


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField()


class MembershipOutputSerializer(serializers.ModelSerializer):
    organization = serializers.CharField(source="organization.slug")
    organization_name = serializers.CharField(source="organization.name")
    verification_status = serializers.CharField(source="organization.verification_status")

    class Meta:
        model = Membership
        fields = ["organization", "organization_name", "verification_status", "role"]


class MeOutputSerializer(serializers.ModelSerializer):
    memberships = MembershipOutputSerializer(many=True)

    class Meta:
        model = User
        fields = ["id", "email", "display_name", "is_staff", "memberships"]


class OrganizationRejectInputSerializer(InputSerializer):
    reason = serializers.CharField(
        max_length=2000, help_text="Why, in words the organization's people read."
    )


class OrganizationVerificationOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = [
            "id",
            "name",
            "slug",
            "verification_status",
            "verification_note",
            "verified_at",
        ]


class UserFollowOutputSerializer(serializers.Serializer):
    user_id = serializers.UUIDField()
    following = serializers.BooleanField(help_text="Whether you follow them now")
    followers = serializers.IntegerField(help_text="How many people follow them")
    following_count = serializers.IntegerField(help_text="How many people they follow")
