import pytest

from accounts import selectors, services
from core.errors import DomainError
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_follow_is_directional_and_two_follows_make_mutuals():
    ana, ben = UserFactory(), UserFactory()

    services.follow_create(follower=ana, followee=ben)

    assert selectors.user_follows(follower=ana, followee=ben)
    assert not selectors.user_follows(follower=ben, followee=ana)
    assert not selectors.users_are_mutuals(a=ana, b=ben)
    assert list(selectors.follower_ids(user=ben)) == [ana.pk]

    services.follow_create(follower=ben, followee=ana)

    assert selectors.users_are_mutuals(a=ana, b=ben)
    assert list(selectors.mutual_ids(user=ana)) == [ben.pk]


def test_following_twice_is_harmless_and_self_follow_is_refused():
    ana, ben = UserFactory(), UserFactory()

    first = services.follow_create(follower=ana, followee=ben)
    second = services.follow_create(follower=ana, followee=ben)

    assert first.pk == second.pk
    with pytest.raises(DomainError):
        services.follow_create(follower=ana, followee=ana)


def test_unfollow_breaks_mutuality():
    ana, ben = UserFactory(), UserFactory()
    services.follow_create(follower=ana, followee=ben)
    services.follow_create(follower=ben, followee=ana)

    services.follow_delete(follower=ben, followee=ana)

    assert not selectors.users_are_mutuals(a=ana, b=ben)
