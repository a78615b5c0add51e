from django.http import HttpRequest


def navigation(request: HttpRequest) -> dict:
    """Which navigation sections to show. Rightsholder links appear for members of an
    organization; the admin link for staff."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_is_rightsholder": False, "nav_is_staff": False}
    return {
        "nav_is_rightsholder": user.memberships.exists(),
        "nav_is_staff": user.is_staff,
    }
