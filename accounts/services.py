"""Writes for people, organizations, memberships and follows. Every function checks
that ``by`` may do what it asks, and raises a DomainError naming the reason if not."""

from allauth.account.adapter import get_adapter
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from rest_framework import status
from rest_framework.authtoken.models import Token

from accounts import selectors
from accounts.adapter import LOCKED_OUT
from accounts.enums import (
    EDITOR_ROLES,
    AccountsError,
    MembershipRole,
    SocialKind,
    VerificationStatus,
)
from accounts.events import OrganizationVerificationChanged
from accounts.models import (
    Follow,
    Membership,
    Notification,
    Organization,
    OrganizationDocument,
    TokenSecondFactor,
    User,
)
from accounts.second_factor import totp_code_valid
from accounts.services_social import social_event_record, social_event_withdraw
from core import events, outbox
from core.audit import audit_record
from core.errors import DomainError, ErrorCode, NotPermitted, RateLimited
from core.uploads import reencode_image, validate_document


def user_authenticate(*, request: HttpRequest, email: str, password: str) -> User:
    """The user with this email and password, checked through django-allauth exactly as
    the web log-in checks them: a failure counts against the same per-account lockout
    (ACCOUNT_RATE_LIMITS["login_failed"]), and a locked account is refused here too.

    Raises RateLimited (429, with the seconds left) while locked out, and a DomainError
    coded "authorization" for a wrong email or password."""
    try:
        user = get_adapter(request).authenticate(request, email=email, password=password)
    except ValidationError as exc:
        if exc.code != LOCKED_OUT:
            raise
        raise RateLimited(
            exc.messages[0], retry_after=getattr(request, "rate_limited_retry_after", 60)
        ) from exc
    if user is None:
        raise DomainError(
            "Unable to log in with the email and password given.", code=AccountsError.AUTHORIZATION
        )
    return user


class EmailUnverified(DomainError):
    """The person has not confirmed their email address: 403 ``email_unverified``."""

    code = AccountsError.EMAIL_UNVERIFIED
    status_code = status.HTTP_403_FORBIDDEN


def user_require_verified_email(*, user: User, to: str) -> None:
    """Refuse (EmailUnverified, naming what was refused) unless ``user`` has confirmed
    their email address. The web log-in already asks for it (allauth's mandatory
    verification); this holds the same line for every other way in, such as API tokens
    issued before the rule."""
    if not selectors.user_email_verified(user=user):
        raise EmailUnverified(
            f"Verify your email address before you {to}: follow the link we sent to {user.email}."
        )


class SecondFactorRequired(DomainError):
    """A staff action (a staff API token) needs a code from an authenticator app: 403
    ``mfa_required``."""

    code = AccountsError.MFA_REQUIRED
    status_code = status.HTTP_403_FORBIDDEN


def user_api_token_issue(*, request: HttpRequest, email: str, password: str, code: str = "") -> str:
    """The API token of the user with this email and password (made on first use),
    checked as ``user_authenticate`` checks them. Only for a confirmed email address,
    as the web log-in requires: an unconfirmed one is refused (EmailUnverified) even
    with the right password.

    Staff powers need a second factor in every channel: a staff account gets a token
    only with ``code``, the current code of its authenticator app (SecondFactorRequired
    without one or without an app; a 400 on ``code`` for a wrong one). Each such issue
    replaces the account's token with a new one marked as issued with a second factor,
    so a token made without the code never becomes one that has it."""
    user = user_authenticate(request=request, email=email, password=password)
    user_require_verified_email(user=user, to="use the API")
    if not user.is_staff:
        token, _ = Token.objects.get_or_create(user=user)
        return token.key
    if not selectors.user_has_totp(user=user):
        raise SecondFactorRequired(
            "A staff account's API token needs two-factor authentication: set up an "
            "authenticator app (/accounts/2fa/totp/activate/), then send its code as "
            "`code`.",
            field="code",
        )
    if not code.strip():
        raise SecondFactorRequired(
            "A staff account's API token needs the code from its authenticator app: "
            "send it as `code`.",
            field="code",
        )
    if not totp_code_valid(user=user, code=code):
        raise DomainError(
            "That is not the current code of your authenticator app (each code works once).",
            code=ErrorCode.INVALID,
            field="code",
        )
    with transaction.atomic():
        Token.objects.filter(user=user).delete()
        token = Token.objects.create(user=user)
        TokenSecondFactor.objects.create(token=token)
    return token.key


def _unique_slug(name: str) -> str:
    base = slugify(name)[:50] or "org"
    slug, n = base, 2
    while Organization.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _require_role(*, organization: Organization, user: User, roles: frozenset[str]) -> str:
    role = selectors.membership_role(organization=organization, user=user)
    if role not in roles:
        raise NotPermitted("You do not have permission to do that for this organization.")
    return role


@transaction.atomic
def organization_create(
    *, by: User, name: str, description: str = "", website: str = ""
) -> Organization:
    """Create an unverified organization whose first owner is ``by``."""
    name = name.strip()
    if not name:
        raise DomainError("An organization needs a name.", code=ErrorCode.REQUIRED, field="name")
    organization = Organization.objects.create(
        name=name, slug=_unique_slug(name), description=description, website=website
    )
    Membership.objects.create(user=by, organization=organization, role=MembershipRole.OWNER)
    return organization


@transaction.atomic
def membership_set(*, organization: Organization, by: User, email: str, role: str) -> Membership:
    """Add the user with ``email`` to the organization, or change their role. Only an
    owner may; an organization always keeps at least one owner."""
    _require_role(organization=organization, user=by, roles=frozenset({MembershipRole.OWNER}))
    if role not in MembershipRole.values:
        raise DomainError(f"Unknown role {role!r}.", field="role")
    user = User.objects.filter(email__iexact=email.strip()).first()
    if user is None:
        raise DomainError(
            "No Cocreate account uses that email; ask them to sign up first.",
            code=ErrorCode.NOT_FOUND,
            field="email",
        )
    membership = (
        Membership.objects.select_for_update().filter(organization=organization, user=user).first()
    )
    if membership is None:
        return Membership.objects.create(organization=organization, user=user, role=role)
    if membership.role == MembershipRole.OWNER and role != MembershipRole.OWNER:
        _ensure_another_owner(organization=organization, leaving=user)
    membership.role = role
    membership.save(update_fields=["role", "updated_at"])
    return membership


def _ensure_another_owner(*, organization: Organization, leaving: User) -> None:
    owners = (
        Membership.objects.select_for_update()
        .filter(organization=organization, role=MembershipRole.OWNER)
        .exclude(user=leaving)
    )
    if not owners.exists():
        raise DomainError(
            "An organization must keep at least one owner.",
            code=AccountsError.LAST_OWNER,
            field="role",
        )


@transaction.atomic
def membership_remove(*, organization: Organization, by: User, user: User) -> None:
    """Remove ``user``. Owners may remove anyone; anyone may leave."""
    if by.pk != user.pk:
        _require_role(organization=organization, user=by, roles=frozenset({MembershipRole.OWNER}))
    membership = (
        Membership.objects.select_for_update().filter(organization=organization, user=user).first()
    )
    if membership is None:
        raise DomainError("That person is not a member.", code=ErrorCode.NOT_FOUND)
    if membership.role == MembershipRole.OWNER:
        _ensure_another_owner(organization=organization, leaving=user)
    membership.delete()


def organization_document_add(
    *, organization: Organization, by: User, title: str, file: UploadedFile, max_bytes: int
) -> OrganizationDocument:
    """Attach a validated PDF or image as verification evidence."""
    _require_role(organization=organization, user=by, roles=EDITOR_ROLES)
    try:
        checked = validate_document(file, max_bytes=max_bytes)
    except ValidationError as exc:
        raise DomainError(exc.messages[0], code=exc.code or "invalid", field="file") from exc
    # Stored under a name made from the detected type (an image re-encoded), never the
    # uploader's: a storage serving by extension never serves a document as a page.
    if checked.content_type == "application/pdf":
        stored: File = File(file, name="document.pdf")
    else:
        stored = reencode_image(file, checked)
    return OrganizationDocument.objects.create(
        organization=organization,
        title=title.strip() or file.name or "Document",
        file=stored,
        content_type=checked.content_type,
        size_bytes=checked.size_bytes,
        uploaded_by=by,
    )


@transaction.atomic
def organization_submit_for_verification(*, organization: Organization, by: User) -> Organization:
    """Ask staff to verify the organization. It needs at least one document."""
    _require_role(organization=organization, user=by, roles=EDITOR_ROLES)
    organization = Organization.objects.select_for_update().get(pk=organization.pk)
    if organization.verification_status not in (
        VerificationStatus.UNVERIFIED,
        VerificationStatus.REJECTED,
    ):
        raise DomainError(
            f"The organization is already {organization.get_verification_status_display()}.",
            code=ErrorCode.INVALID_STATE,
        )
    if not organization.documents.exists():
        raise DomainError(
            "Upload at least one document proving your rights before asking for verification.",
            code=AccountsError.DOCUMENTS_REQUIRED,
            field="documents",
        )
    organization.verification_status = VerificationStatus.PENDING
    organization.save(update_fields=["verification_status", "updated_at"])
    return organization


def _staff_decide(*, organization: Organization, by: User, status: str, note: str) -> Organization:
    if not by.is_staff:
        raise NotPermitted("Only staff can verify organizations.")
    organization = Organization.objects.select_for_update().get(pk=organization.pk)
    organization.verification_status = status
    organization.verification_note = note
    organization.verified_at = timezone.now() if status == VerificationStatus.VERIFIED else None
    organization.verified_by = by if status == VerificationStatus.VERIFIED else None
    organization.save(
        update_fields=[
            "verification_status",
            "verification_note",
            "verified_at",
            "verified_by",
            "updated_at",
        ]
    )
    audit_record(
        action=f"organization.{status}",
        actor=by,
        subject=organization,
        scope=organization,
        reason=note,
    )
    events.publish(OrganizationVerificationChanged(organization_id=organization.pk, status=status))
    return organization


class VerificationStateError(DomainError):
    """The organization is not in a state this decision applies to: 409."""

    code = ErrorCode.INVALID_STATE
    status_code = status.HTTP_409_CONFLICT


@transaction.atomic
def organization_verify(*, organization: Organization, by: User) -> Organization:
    """Staff confirm the organization holds the rights it claims; it may then publish.
    Only an organization waiting for review (``pending``) and only on the documents it
    uploaded: a verification with nothing to look at is refused."""
    if not by.is_staff:
        raise NotPermitted("Only staff can verify organizations.")
    current = Organization.objects.select_for_update().get(pk=organization.pk)
    if current.verification_status != VerificationStatus.PENDING:
        raise VerificationStateError(
            f"Only an organization waiting for review can be verified; "
            f"{current.name} is {current.get_verification_status_display().lower()}."
        )
    if not current.documents.exists():
        raise DomainError(
            f"{current.name} has uploaded no documents: there is nothing to verify it on.",
            code=AccountsError.DOCUMENTS_REQUIRED,
            field="documents",
        )
    return _staff_decide(organization=current, by=by, status=VerificationStatus.VERIFIED, note="")


@transaction.atomic
def organization_reject(*, organization: Organization, by: User, note: str) -> Organization:
    """Staff refuse verification, with a reason the organization can read: an
    organization waiting for review, or a verified one whose rights turned out not to
    hold (its characters return to draft). Refused without a reason, and for an
    organization that asked for nothing (unverified) or is rejected already (409)."""
    if not by.is_staff:
        raise NotPermitted("Only staff can verify organizations.")
    note = (note or "").strip()
    if not note:
        raise DomainError(
            "Give the organization the reason for the rejection.",
            code=ErrorCode.REQUIRED,
            field="reason",
        )
    current = Organization.objects.select_for_update().get(pk=organization.pk)
    if current.verification_status not in (VerificationStatus.PENDING, VerificationStatus.VERIFIED):
        raise VerificationStateError(
            f"Only an organization waiting for review or verified can be rejected; "
            f"{current.name} is {current.get_verification_status_display().lower()}."
        )
    return _staff_decide(organization=current, by=by, status=VerificationStatus.REJECTED, note=note)


def follow_create(*, follower: User, followee: User) -> Follow:
    """Follow someone. Following twice is harmless and returns the same row (nothing
    changes); following yourself is refused. The followee hears of it in the next batch
    of social notices, unless they turned new-follower notices off."""
    if follower.pk == followee.pk:
        raise DomainError("You cannot follow yourself.", code=ErrorCode.INVALID)
    try:
        with transaction.atomic():
            follow, created = Follow.objects.get_or_create(follower=follower, followee=followee)
            if created:
                social_event_record(
                    recipient=followee,
                    actor=follower,
                    kind=SocialKind.FOLLOW,
                    source=_follow_source(follower=follower, followee=followee),
                    # The follower's profile page (the people pages are marketplace's:
                    # they list works), by URL name only.
                    target_url=reverse("marketplace:profile", args=[follower.pk]),
                )
    except IntegrityError:
        follow = Follow.objects.get(follower=follower, followee=followee)
    return follow


def _follow_source(*, follower: User, followee: User) -> str:
    return f"follow:{follower.pk}:{followee.pk}"


def follow_delete(*, follower: User, followee: User) -> None:
    """Stop following; a follow not yet told to the followee is never told."""
    with transaction.atomic():
        Follow.objects.filter(follower=follower, followee=followee).delete()
        social_event_withdraw(source=_follow_source(follower=follower, followee=followee))


def notify(*, users, kind: str, title: str, body: str = "", url: str = "", key: str = "") -> list:
    """Tell people something: an in-app notification each, and its email copy sent by a
    job (``accounts.notification_emails``) written to the outbox in this transaction, so
    the email goes out once it commits even if the broker or the mail server is down at
    the time (the relay and the task's retries carry it).

    With a ``key`` (what the notification is about), a person already told under that
    key is not told again: the same event replayed, or a retried task, notifies once.
    Returns the notifications created."""
    recipients = [u for u in dict.fromkeys(users) if u is not None and u.is_active]
    key = key[:200]
    if key:
        told = set(
            Notification.objects.filter(key=key, user__in=recipients).values_list(
                "user_id", flat=True
            )
        )
        recipients = [u for u in recipients if u.pk not in told]
    notes = Notification.objects.bulk_create(
        [
            Notification(user=u, kind=kind, title=title[:200], body=body, url=url[:300], key=key)
            for u in recipients
        ],
        # Two concurrent tellings of one event: the unique (user, key) keeps one.
        ignore_conflicts=bool(key),
    )
    if key and notes:
        notes = list(Notification.objects.filter(pk__in=[n.pk for n in notes]))
    if notes:
        outbox.enqueue("accounts.notification_emails", [[str(note.pk) for note in notes]])
    return notes


def notification_emails_send(*, ids) -> int:
    """Email each notification not emailed yet, marking it as it goes, so a retried job
    sends only what is left. Returns how many were sent."""
    sent = 0
    link_base = settings.SITE_URL.rstrip("/")
    for note in Notification.objects.filter(
        pk__in=list(ids), emailed_at__isnull=True
    ).select_related("user"):
        link = f"\n\n{link_base}{note.url}" if note.url else ""
        send_mail(
            subject=f"[Cocreate] {note.title}"[:200],
            message=f"{note.body}{link}",
            from_email=None,
            recipient_list=[note.user.email],
        )
        Notification.objects.filter(pk=note.pk).update(emailed_at=timezone.now())
        sent += 1
    return sent


def notifications_mark_read(*, user: User, ids=None) -> int:
    """Mark the user's notifications read (all, or the given ids). Returns how many."""
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())


def notifications_mark_handled(*, key_prefix: str) -> int:
    """Mark read, for everyone, the notifications asking for something now decided
    (a licence request approved or declined, a video reviewed): they are no longer
    new. Returns how many."""
    if not key_prefix:
        return 0
    return Notification.objects.filter(key__startswith=key_prefix, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def screening_user_ensure() -> User:
    """The inactive account that ``screen_prompt`` screens as when no creator is named:
    it holds no licences and cannot sign in."""
    user, _ = User.objects.get_or_create(
        email="screening@cocreate.invalid", defaults={"is_active": False}
    )
    return user


def user_create(
    *,
    email: str,
    display_name: str = "",
    password_hash: str | None = None,
    is_staff: bool = False,
    email_verified: bool = False,
) -> User:
    """An account made without the sign-up form (operators, the demo seed): with an
    already-hashed password (or none, so it cannot sign in with one), and its email
    recorded as the primary address, verified or not."""
    user = User.objects.create_user(
        email=email,
        password=None,
        display_name=display_name,
        is_staff=is_staff,
        is_superuser=is_staff,
    )
    if password_hash is not None:
        user.password = password_hash
        user.save(update_fields=["password"])
    EmailAddress.objects.get_or_create(
        user=user, email=email, defaults={"verified": email_verified, "primary": True}
    )
    return user
