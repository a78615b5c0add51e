import uuid

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from accounts.enums import MembershipRole, SocialKind, VerificationStatus
from accounts.names import placeholder_name
from core.models import TimeStamped


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra) -> "User":
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra) -> "User":
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra) -> "User":
        extra.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person. Logs in with email (django-allauth); may be a creator, a member of
    rightsholder organizations, the owner of their own likeness, or staff."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField("email address", unique=True)
    display_name = models.CharField(max_length=80, blank=True)
    is_staff = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []  # createsuperuser asks only for email and password

    class Meta:
        ordering = ["date_joined", "id"]

    def __str__(self) -> str:
        return self.public_name

    @property
    def public_name(self) -> str:
        """The name others see (feed, profiles, comments, notices): the display name,
        or a stable placeholder made from the account's id. Never the email address,
        which is private; staff find it in the admin."""
        return self.display_name or placeholder_name(self.pk)

    def clean(self) -> None:
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    def get_full_name(self) -> str:
        return str(self)

    def get_short_name(self) -> str:
        return str(self)


class Organization(TimeStamped):
    """A rightsholder: a studio or agency that owns characters. Staff verify it,
    from its documents, before it may publish offers."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    description = models.TextField(blank=True)
    website = models.URLField(blank=True)
    verification_status = models.CharField(
        max_length=12, choices=VerificationStatus.choices, default=VerificationStatus.UNVERIFIED
    )
    verification_note = models.TextField(
        blank=True, help_text="Staff's reason for a rejection, shown to the organization."
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    members = models.ManyToManyField(User, through="Membership", related_name="organizations")

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("accounts:organization_detail", kwargs={"slug": self.slug})

    @property
    def is_verified(self) -> bool:
        return self.verification_status == VerificationStatus.VERIFIED


def organization_document_path(instance: "OrganizationDocument", filename: str) -> str:
    return f"org-documents/{instance.organization_id}/{uuid.uuid4().hex}/{filename}"


class OrganizationDocument(TimeStamped):
    """Evidence of rights (registration, trademark, contract) that staff review."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="documents"
    )
    title = models.CharField(max_length=120)
    file = models.FileField(upload_to=organization_document_path)
    content_type = models.CharField(max_length=60)
    size_bytes = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.title


class Membership(TimeStamped):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=MembershipRole.choices)

    class Meta:
        ordering = ["organization_id", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.organization} ({self.role})"


class Follow(TimeStamped):
    """``follower`` follows ``followee``. Two follows in opposite directions make
    the users mutuals; likeness audiences use both relations."""

    follower = models.ForeignKey(User, on_delete=models.CASCADE, related_name="following")
    followee = models.ForeignKey(User, on_delete=models.CASCADE, related_name="followers")

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["follower", "followee"], name="follow_unique"),
            models.CheckConstraint(condition=~Q(follower=F("followee")), name="follow_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.follower} → {self.followee}"


class Notification(models.Model):
    """Something a person should know: shown in the app, and emailed."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=40)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    # What it is about ("generation.published:<id>"): one notification per person and
    # key, so a replayed event or retried task does not tell them twice; and the key
    # by which it is marked read once what it asks for is handled.
    key = models.CharField(max_length=200, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # When its email copy went out (accounts.notification_emails, through the outbox).
    emailed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "id"]
        indexes = [models.Index(fields=["user", "read_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "key"], condition=~models.Q(key=""), name="notification_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.title}"


class NotificationSettings(TimeStamped):
    """Which social notices a person wants (all of them until they say otherwise). A
    kind turned off is not recorded at all, so turning it back on tells nothing old."""

    user = models.OneToOneField(
        User, primary_key=True, on_delete=models.CASCADE, related_name="notification_settings"
    )
    new_followers = models.BooleanField(default=True)
    likes = models.BooleanField(default=True)
    comments = models.BooleanField(default=True)

    class Meta:
        ordering = ["user_id"]
        verbose_name_plural = "notification settings"

    def __str__(self) -> str:
        return f"notification settings of {self.user_id}"


class SocialEvent(models.Model):
    """A follow, like or comment waiting to be told, in a batch, to the person it
    concerns (accounts.services_social). Deleted once told, or when taken back first
    (an unlike, an unfollow, a deleted comment), so a withdrawn one is never told."""

    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    actor = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=SocialKind.choices)
    # What it is about ("work:<id>"), empty for a follow (it is about the recipient).
    target = models.CharField(max_length=100, blank=True)
    target_title = models.CharField(max_length=200, blank=True)
    target_url = models.CharField(max_length=300, blank=True)
    # What made it ("like:<work>:<user>", "comment:<id>"): one pending event each, and
    # the handle by which it is withdrawn.
    source = models.CharField(max_length=200, unique=True)
    excerpt = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["recipient", "kind", "target"])]

    def __str__(self) -> str:
        return f"{self.actor_id} {self.kind} → {self.recipient_id} {self.target}"


class TokenSecondFactor(models.Model):
    """An API token issued with a code from its owner's authenticator app. Staff tokens
    work only with one (accounts.api.authentication): staff powers need a second factor
    in every channel, as the admin and staff web sessions do."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    token = models.OneToOneField(
        "authtoken.Token", on_delete=models.CASCADE, related_name="second_factor"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"second factor for {self.token_id[:6]}…"
