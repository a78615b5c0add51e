import pytest
from django.template.loader import render_to_string
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_home_page_renders_with_navigation_and_htmx(client):
    response = client.get(reverse("home"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Remix the characters you love" in html
    assert 'href="/accounts/login/"' in html
    assert "/static/django_htmx/htmx-2.min.js" in html
    assert "/static/css/app.css" in html


def test_navigation_shows_rightsholder_and_staff_sections_by_role(client, staff, owner_membership):
    client.force_login(owner_membership.user)
    rightsholder_nav = client.get(reverse("home")).content.decode()
    client.force_login(staff)
    staff_nav = client.get(reverse("home")).content.decode()

    assert "Rightsholder" in rightsholder_nav
    assert reverse("admin:index") not in rightsholder_nav
    assert reverse("admin:index") in staff_nav
    assert reverse("ops-status") in staff_nav


def test_unknown_page_gets_the_styled_404(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert b"find that page" in response.content
    assert b"/static/css/app.css" in response.content


def test_500_page_renders_standalone_in_the_same_style():
    html = render_to_string("500.html")

    assert "Something went wrong on our side" in html
    assert "/static/css/app.css" in html


def test_flash_messages_are_shown(client, user):
    client.force_login(user)

    response = client.post(
        reverse("accounts:organization_create"), {"name": "Flash Studio"}, follow=True
    )

    assert b"Flash Studio is created" in response.content


@pytest.mark.django_db(databases=["default", "replica"])
def test_healthz_checks_the_database_broker_cache_and_replica(client):
    # the test settings configure a replica alias (a mirror of the test database)
    response = client.get("/healthz/")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "broker": "ok",
        "cache": "ok",
        "replica": "ok",
    }


def test_healthz_names_a_replica_that_is_down(client, monkeypatch):
    # given: the replica refuses connections
    from django.db import OperationalError, connections

    def refuse():
        raise OperationalError("connection refused")

    monkeypatch.setattr(connections["replica"], "cursor", refuse)

    # when
    response = client.get("/healthz/")

    # then: taken out of the load balancer, saying which dependency
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response.json()["replica"] == "down"
    assert response.json()["database"] == "ok"


def test_healthz_without_a_replica_does_not_mention_one(client, monkeypatch):
    # given: no DATABASE_REPLICA_URL
    from django.conf import settings

    monkeypatch.delitem(settings.DATABASES, "replica")

    # when
    body = client.get("/healthz/").json()

    # then
    assert "replica" not in body and body["status"] == "ok"


def test_api_ping_answers_through_drf_without_a_query(api_client, django_assert_num_queries):
    # the latency floor of bench/api_latency.py: DRF's whole stack, no database
    with django_assert_num_queries(0):
        response = api_client.get("/api/v1/ping/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
