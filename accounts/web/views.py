from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from accounts import selectors, selectors_social, services, services_profile, services_social
from accounts.models import Notification, Organization, User
from accounts.web.forms import (
    DocumentForm,
    MemberForm,
    NotificationSettingsForm,
    OrganizationForm,
    ProfileForm,
)
from core.errors import DomainError


def _member_or_404(request: HttpRequest, slug: str):
    found = selectors.organization_for_member(slug=slug, user=request.user)
    if found is None:
        raise Http404("No such organization")
    return found


def _form_error(form, exc: DomainError) -> None:
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.detail)


@login_required
@require_http_methods(["GET", "POST"])
def profile_settings(request: HttpRequest) -> HttpResponse:
    """The name others see on your videos, profile and comments."""
    form = ProfileForm(request.POST or None, initial={"display_name": request.user.display_name})
    if request.method == "POST" and form.is_valid():
        try:
            services_profile.user_display_name_set(
                user=request.user, display_name=form.cleaned_data["display_name"]
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, f"Others now see you as {request.user.public_name}.")
            return redirect(reverse("accounts:profile_settings"))
    return render(request, "accounts/profile_settings.html", {"form": form})


@login_required
def organization_list(request: HttpRequest) -> HttpResponse:
    memberships = selectors.organization_list_for_user(user=request.user)
    return render(request, "accounts/organization_list.html", {"memberships": memberships})


@login_required
@require_http_methods(["GET", "POST"])
def organization_create(request: HttpRequest) -> HttpResponse:
    form = OrganizationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            organization = services.organization_create(by=request.user, **form.cleaned_data)
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, f"{organization.name} is created. You are its owner.")
            return redirect(organization)
    return render(request, "accounts/organization_form.html", {"form": form})


@login_required
def organization_detail(request: HttpRequest, slug: str) -> HttpResponse:
    organization, role = _member_or_404(request, slug)
    return _organization_page(request, organization, role)


def _organization_page(
    request: HttpRequest,
    organization: Organization,
    role: str,
    *,
    document_form: DocumentForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "organization": selectors.organization_with_counts(organization=organization),
        "role": role,
        "can_edit": selectors.role_can_edit(role=role),
        "is_owner": role == "owner",
        "members": selectors.organization_members(organization=organization),
        "documents": organization.documents.all(),
        "member_form": MemberForm(),
        "document_form": document_form or DocumentForm(),
    }
    return render(request, "accounts/organization_detail.html", context, status=status)


@login_required
@require_POST
def organization_member_set(request: HttpRequest, slug: str) -> HttpResponse:
    organization, _ = _member_or_404(request, slug)
    form = MemberForm(request.POST)
    if form.is_valid():
        try:
            membership = services.membership_set(
                organization=organization, by=request.user, **form.cleaned_data
            )
        except DomainError as exc:
            messages.error(request, exc.detail)
        else:
            messages.success(request, f"{membership.user.email} is now {membership.role}.")
    else:
        messages.error(request, "Enter a valid email address and role.")
    return redirect(organization)


@login_required
@require_POST
def organization_member_remove(request: HttpRequest, slug: str, user_id: str) -> HttpResponse:
    organization, _ = _member_or_404(request, slug)
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise Http404("No such member")
    try:
        services.membership_remove(organization=organization, by=request.user, user=user)
    except DomainError as exc:
        messages.error(request, exc.detail)
        return redirect(organization)
    messages.success(request, f"Removed {user.email}.")
    if user.pk == request.user.pk:
        return redirect("accounts:organization_list")
    return redirect(organization)


@login_required
@require_POST
def organization_document_add(request: HttpRequest, slug: str) -> HttpResponse:
    organization, role = _member_or_404(request, slug)
    form = DocumentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.organization_document_add(
                organization=organization,
                by=request.user,
                max_bytes=settings.ORGANIZATION_DOCUMENT_MAX_BYTES,
                **form.cleaned_data,
            )
        except DomainError as exc:
            form.add_error("file", exc.detail)
        else:
            messages.success(request, "Document uploaded.")
            return redirect(organization)
    # Refused: a 400, the page shown again with the reason next to the field.
    return _organization_page(request, organization, role, document_form=form, status=400)


@login_required
@require_POST
def organization_submit(request: HttpRequest, slug: str) -> HttpResponse:
    organization, _ = _member_or_404(request, slug)
    try:
        services.organization_submit_for_verification(organization=organization, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, "Sent to our staff for verification.")
    return redirect(organization)


NOTIFICATIONS_PAGE_SIZE = 50


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    """The user's notifications, newest first; unread ones are highlighted."""
    notes = Notification.objects.filter(user=request.user).order_by("-created_at", "id")
    page = Paginator(notes, NOTIFICATIONS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "accounts/notifications.html", {"page": page})


@login_required
@require_http_methods(["GET", "POST"])
def notification_settings(request: HttpRequest) -> HttpResponse:
    """Turn each kind of social notice (new followers, likes, comments) on or off."""
    current = selectors_social.notification_settings_for(user=request.user)
    if request.method == "POST":
        form = NotificationSettingsForm(request.POST)
        if form.is_valid():
            services_social.notification_settings_update(user=request.user, **form.cleaned_data)
            messages.success(request, "Notification settings saved.")
            return redirect(reverse("accounts:notification_settings"))
    else:
        form = NotificationSettingsForm(
            initial={
                "new_followers": current.new_followers,
                "likes": current.likes,
                "comments": current.comments,
            }
        )
    return render(request, "accounts/notification_settings.html", {"form": form})


@login_required
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    """Mark one notification read (``id``), or all of them."""
    one = request.POST.get("id")
    try:
        # Someone else's notification does not exist for this user: 404, not a
        # redirect that pretends it was marked.
        if one and not selectors.notification_exists_for(pk=one, user=request.user):
            raise Http404("No such notification")
        count = services.notifications_mark_read(user=request.user, ids=[one] if one else None)
    except ValidationError:
        raise Http404("No such notification") from None
    if not one:
        messages.success(request, f"Marked {count} notification{'s' if count != 1 else ''} read.")
    return redirect(reverse("accounts:notifications"))
