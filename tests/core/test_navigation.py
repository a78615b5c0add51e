"""The top navigation (templates/base.html): staff find the admin and the status page
in it, not in the Account menu; nobody else sees them. Its layout on a phone is
checked in a real browser (tests/browser/test_navigation.py)."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _nav(html: str) -> tuple[str, str]:
    """(the top-level items, the Account menu) of the main navigation."""
    nav = re.search(r'<nav class="site-nav".*?</nav>', html, re.S).group(0)
    menu = re.search(r"<details>.*?</details>", nav, re.S).group(0)
    return nav.replace(menu, ""), menu


def test_staff_see_admin_and_status_in_the_top_navigation(client, staff):
    client.force_login(staff)

    top, menu = _nav(client.get(reverse("marketplace:feed")).content.decode())

    assert f'href="{reverse("admin:index")}">Admin</a>' in top
    assert f'href="{reverse("ops-status")}"' in top and ">Status</a>" in top
    assert "Admin" not in menu and "Status" not in menu
    assert "Likeness reviews" in menu


def test_the_status_link_is_marked_current_on_the_status_page(client, staff):
    client.force_login(staff)

    top, _ = _nav(client.get(reverse("ops-status")).content.decode())

    assert f'href="{reverse("ops-status")}" aria-current="page">Status</a>' in top


def test_others_see_neither(client, user):
    client.force_login(user)

    html = client.get(reverse("marketplace:feed")).content.decode()

    assert reverse("admin:index") not in html
    assert reverse("ops-status") not in html
