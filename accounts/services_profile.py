"""A person's public profile: the name others see."""

from django.db import transaction

from accounts.events import PublicNameChanged
from accounts.models import User
from accounts.names import display_name_problem
from core import events
from core.errors import DomainError


@transaction.atomic
def user_display_name_set(*, user: User, display_name: str) -> User:
    """Set the name others see (empty: the placeholder, never the email). Whatever
    shows the name elsewhere is rewritten in the same transaction (``PublicNameChanged``)."""
    name = display_name.strip()
    problem = display_name_problem(name)
    if problem:
        raise DomainError(problem, field="display_name")
    if name == user.display_name:
        return user
    user.display_name = name
    user.save(update_fields=["display_name"])
    events.publish(PublicNameChanged(user_id=user.pk))
    return user
