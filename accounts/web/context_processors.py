from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def nav_unread(request: HttpRequest) -> dict:
    """How many unread notifications the user has, for the nav badge: one query, run
    only when a template shows it (htmx fragments do not)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_unread": 0}
    return {
        "nav_unread": SimpleLazyObject(
            lambda: user.notifications.filter(read_at__isnull=True).count()
        )
    }


def navigation(request: HttpRequest) -> dict:
    """Which navigation sections to show. Rightsholder links appear for members of an
    organization; the admin link for staff; the unread notifications count."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_is_rightsholder": False, "nav_is_staff": False, **nav_unread(request)}
    return {
        "nav_is_rightsholder": user.memberships.exists(),
        "nav_is_staff": user.is_staff,
        **nav_unread(request),
    }
