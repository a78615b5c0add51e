"""Reads for people, organizations and the follow graph."""

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.db.models import Count, QuerySet

from accounts.enums import EDITOR_ROLES
from accounts.models import Follow, Membership, Notification, Organization, User


def user_email_verified(*, user: User) -> bool:
    """Whether the user has confirmed an email address (the one allauth asks for before
    the first log-in)."""
    return EmailAddress.objects.filter(user=user, verified=True).exists()


def membership_role(*, organization: Organization, user: User) -> str | None:
    """The user's role in the organization, or None for a non-member."""
    if not user.is_authenticated:
        return None
    return (
        Membership.objects.filter(organization=organization, user=user)
        .values_list("role", flat=True)
        .first()
    )


def organization_list_for_user(*, user: User) -> QuerySet[Membership]:
    """The user's memberships, each with its organization, for 'my organizations'."""
    return (
        Membership.objects.filter(user=user)
        .select_related("organization")
        .order_by("organization__name")
    )


def organization_for_member(*, slug: str, user: User) -> tuple[Organization, str] | None:
    """The organization and the user's role in it, or None if it does not exist or the
    user is not a member: private pages treat both the same (404)."""
    if not user.is_authenticated:
        return None
    membership = (
        Membership.objects.filter(organization__slug=slug, user=user)
        .select_related("organization")
        .first()
    )
    if membership is None:
        return None
    return membership.organization, membership.role


def organization_members(*, organization: Organization) -> QuerySet[Membership]:
    return organization.memberships.select_related("user").order_by("role", "user__email")


def organization_with_counts(*, organization: Organization) -> Organization:
    return Organization.objects.annotate(
        member_count=Count("memberships", distinct=True),
        document_count=Count("documents", distinct=True),
    ).get(pk=organization.pk)


def role_can_edit(*, role: str | None) -> bool:
    return role in EDITOR_ROLES


def user_follows(*, follower: User, followee: User) -> bool:
    return Follow.objects.filter(follower=follower, followee=followee).exists()


def users_are_mutuals(*, a: User, b: User) -> bool:
    return user_follows(follower=a, followee=b) and user_follows(follower=b, followee=a)


def follower_ids(*, user: User) -> QuerySet:
    return Follow.objects.filter(followee=user).values_list("follower_id", flat=True)


def followee_ids(*, user: User) -> QuerySet:
    """The ids of the people ``user`` follows (a subquery)."""
    return Follow.objects.filter(follower=user).values_list("followee_id", flat=True)


def mutual_ids(*, user: User) -> QuerySet:
    return Follow.objects.filter(
        followee=user, follower__in=Follow.objects.filter(follower=user).values("followee")
    ).values_list("follower_id", flat=True)


def user_has_totp(*, user: User) -> bool:
    """Whether ``user`` has an authenticator app (TOTP) set up with allauth."""
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def notification_exists_for(*, pk, user: User) -> bool:
    """Whether ``pk`` is one of the user's notifications (read or not). A malformed id
    raises ValidationError, as a lookup by it would."""
    return Notification.objects.filter(pk=pk, user=user).exists()


def user_get(*, pk) -> User:
    return User.objects.get(pk=pk)


def organization_get(*, pk) -> Organization:
    return Organization.objects.get(pk=pk)


def organization_by_pk(*, pk) -> Organization | None:
    return Organization.objects.filter(pk=pk).first()


def organization_ids_for_member(*, user: User) -> QuerySet:
    """The ids of the organizations the user belongs to, in any role (a subquery)."""
    return Membership.objects.filter(user=user).values("organization")


def organization_people(*, organization: Organization | None, roles=EDITOR_ROLES) -> list[User]:
    """The members of an organization with one of ``roles`` (whom to notify)."""
    if organization is None:
        return []
    return [m.user for m in organization.memberships.filter(role__in=roles).select_related("user")]


def is_organization(owner) -> bool:
    """Whether a money owner (a user or an organization) is an organization."""
    return isinstance(owner, Organization)


def organization_by_slug(*, slug: str) -> Organization | None:
    return Organization.objects.filter(slug=slug).first()


def organizations_by_slug(*, slugs) -> dict[str, Organization]:
    return {o.slug: o for o in Organization.objects.filter(slug__in=list(slugs))}


def user_by_email(*, email: str) -> User | None:
    """The user with this email, whatever its case."""
    return User.objects.filter(email__iexact=email).first()


def user_ids_by_email(*, emails) -> dict[str, str]:
    """The ids of the users with these emails, by lower-cased email."""
    return {
        u.email.lower(): str(u.pk)
        for u in User.objects.filter(email__in=[e.lower() for e in emails])
    }


def emails_of(*, user_ids) -> list[str]:
    return list(User.objects.filter(pk__in=list(user_ids)).values_list("email", flat=True))


def owner_get(*, kind: str, pk) -> User | Organization:
    """A money owner by its party kind ("user" or "organization") and id."""
    model = User if kind == "user" else Organization
    return model.objects.get(pk=pk)


def organization_named(*, name: str) -> Organization | None:
    return Organization.objects.filter(name=name).first()


def staff_user_ids() -> list:
    """The ids of every staff account (the platform report's staff actions)."""
    return list(User.objects.filter(is_staff=True).values_list("pk", flat=True))


def organization_editor_ids(*, organization_id) -> set:
    """The ids of the organization's owners and managers (who act for it)."""
    return set(
        Membership.objects.filter(
            organization_id=organization_id, role__in=EDITOR_ROLES
        ).values_list("user_id", flat=True)
    )
