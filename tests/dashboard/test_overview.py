"""The rightsholder dashboard's overview: cards, the four server-drawn charts, who sees
what, the empty state and a query count that does not grow with the catalogue."""

import re
from contextlib import contextmanager
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.money import Money, format_minor
from dashboard import selectors as dashboard_selectors
from marketplace import services as marketplace_services
from marketplace.models import GenerationRequest
from payments import services as payments_services
from tests.factories import (
    CharacterFactory,
    MembershipFactory,
    OrganizationFactory,
    UserFactory,
    WorkFactory,
    editor_of,
    grant_for,
)

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("dashboard:overview")


# --- helpers ------------------------------------------------------------------------------


@contextmanager
def _at(moment):
    """Everything created inside happens at ``moment`` (auto_now_add included): the
    decision log is append-only, so its dates cannot be changed afterwards."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def _generate(creator, characters, prompt, *, territory="JP", at=None) -> GenerationRequest:
    """A generation request and its policy check, as the pipeline's first step runs it."""
    with _at(at or timezone.now()):
        request = marketplace_services.generation_request_create(
            creator=creator,
            prompt=prompt,
            character_ids=[c.pk for c in characters],
            territory=territory,
        )
        marketplace_services.generation_check(request_id=request.pk)
    return GenerationRequest.objects.get(pk=request.pk)


def _earn(work, amount: int, external_id: str) -> None:
    event, _ = payments_services.revenue_event_record(
        kind="tip",
        source="stripe",
        external_id=external_id,
        money=Money(amount, "USD"),
        work=work,
    )
    payments_services.revenue_event_settle(event=event)


def _old_work(*, creator, grants, title):
    """A published work whose request is older than the dashboard's period (so it adds
    nothing to the generations chart); its revenue arrives today."""
    work = WorkFactory(creator=creator, grants=grants, title=title)
    GenerationRequest.objects.filter(pk=work.request_id).update(
        created_at=timezone.now() - timedelta(days=40)
    )
    return work


def _figure(html: str, chart_id: str) -> str:
    match = re.search(rf'<figure[^>]*id="{chart_id}".*?</figure>', html, re.S)
    assert match, f"no figure #{chart_id}"
    return match.group(0)


def _card(html: str, card_id: str) -> str:
    match = re.search(
        rf'id="{card_id}">.*?<span class="stat-value">(.*?)</span><span class="small">',
        html,
        re.S,
    )
    assert match, f"no card #{card_id}"
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


def _chart_total(html: str) -> int:
    return int(re.search(r'class="chart-total">(\d+)<', html).group(1))


# --- the world ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once for the module, inside a transaction held open for it and rolled back
    at its end: each test runs in its own savepoint within it and only reads."""
    from django.core.cache import cache

    from licensing.policy.lookalike import forget_local_index
    from licensing.policy.registry import forget_local_registry

    # Built before the per-test fixture that empties these: an earlier test's registry
    # of names would not know this world's characters.
    cache.clear()
    forget_local_registry()
    forget_local_index()
    with django_db_blocker.unblock(), transaction.atomic():
        yield _build_world()
        transaction.set_rollback(True)


def _build_world():
    """Studio A (Hoshi: no "blood", Japan only; Kuro) with licensees, generations over
    the last 30 days and before, two works earning revenue, a pending licence and a
    claim; studio B (Zedonius) with its own generations, refusals and revenue."""
    now = timezone.now()
    hoshi = CharacterFactory(name="Hoshi")
    organization = hoshi.owner_organization
    kuro = CharacterFactory(name="Kuro", owner_organization=organization)
    studio = editor_of(hoshi)
    creator, second, third = UserFactory(), UserFactory(), UserFactory()
    hoshi_grant = grant_for(
        hoshi,
        creator,
        banned_words=["blood"],
        territory_mode="allow",
        territories=["JP"],
        rev_share_bps=1_000,
        commercial_use=True,
    )
    kuro_grant = grant_for(kuro, creator, rev_share_bps=500, commercial_use=True)
    grant_for(hoshi, second)
    pending = grant_for(hoshi, third, approval="per_licensee")
    assert pending.status == "pending_approval"

    zed = CharacterFactory(name="Zedonius")
    zed_owner = editor_of(zed)
    zed_grant = grant_for(
        zed, second, banned_words=["rain"], rev_share_bps=2_000, commercial_use=True
    )

    # Today: two allowed, one refused for a banned word.
    _generate(creator, [hoshi], "Hoshi waves hello")
    _generate(creator, [kuro], "Kuro naps in the sun")
    _generate(creator, [hoshi], "Hoshi covered in blood")
    # Three days ago: four refused.
    earlier = now - timedelta(days=3)
    _generate(creator, [hoshi], "Hoshi sings a song", territory="US", at=earlier)
    _generate(creator, [hoshi], "A blood moon over Hoshi", territory="US", at=earlier)
    _generate(creator, [hoshi], "Hoshi paints with blood", at=earlier)
    # Names studio B's character, which the creator holds no licence for: refused for
    # a reason about Zedonius, not about Kuro.
    _generate(creator, [kuro], "Kuro meets Zedonius", at=earlier)
    # Outside the period.
    _generate(creator, [hoshi], "Hoshi and blood", at=now - timedelta(days=40))

    # Studio B's own activity.
    _generate(second, [zed], "Zedonius dances")
    _generate(second, [zed], "Zedonius in the rain")
    _generate(second, [zed], "Zedonius in the rain again", at=earlier)

    beach = _old_work(creator=creator, grants=[hoshi_grant], title="Hoshi at the beach")
    nap = _old_work(creator=creator, grants=[kuro_grant], title="Kuro's long nap")
    secret = _old_work(creator=second, grants=[zed_grant], title="Studio B secret work")
    for n in range(3):
        _earn(beach, 1_000, f"pi_beach_{n}")  # 10% of $10, three times: $3.00 to A
    _earn(nap, 2_000, "pi_nap")  # 5% of $20: $1.00 to A
    _earn(secret, 5_000, "pi_secret")  # 20% of $50: $10.00 to B
    payments_services.ledger_release_pending()
    marketplace_services.claim_file(
        work=nap,
        character=kuro,
        by=studio,
        reason="other",
        evidence="We would like to follow this one.",
        policy="track",
    )
    return {
        "now": now,
        "organization": organization,
        "studio": studio,
        "hoshi": hoshi,
        "kuro": kuro,
        "creator": creator,
        "zed": zed,
        "zed_owner": zed_owner,
        "beach": beach,
        "nap": nap,
    }


# --- what the rightsholder sees -----------------------------------------------------------


def test_cards_show_the_rightsholders_numbers(client, world):
    # given
    client.force_login(world["studio"])

    # when
    response = client.get(DASHBOARD)
    html = response.content.decode()

    # then
    assert response.status_code == 200
    assert _card(html, "card-characters") == "2"
    assert _card(html, "card-licensees") == "2"  # creator and second (third is pending)
    assert "3 active licences" in html
    assert _card(html, "card-generations") == "7"
    assert _card(html, "card-works") == "2"
    assert _card(html, "card-approvals") == "1"
    assert _card(html, "card-claims") == "1"
    assert _card(html, "card-balance") == "$4.00"
    assert f'href="{reverse("marketplace:approvals")}" id="card-approvals"' in html
    assert f'href="{reverse("marketplace:claims_dashboard")}" id="card-claims"' in html
    assert f'href="{reverse("payments:earnings")}" id="card-balance"' in html


def test_generations_chart_counts_each_day_allowed_and_refused(client, world):
    client.force_login(world["studio"])

    response = client.get(DASHBOARD)
    html = response.content.decode()

    today = timezone.localdate(world["now"])
    rows = {
        day: (total, allowed, refused)
        for day, total, allowed, refused in response.context["generations"]["rows"]
    }
    assert len(rows) == 30 and max(rows) == today
    assert rows[today] == (3, 2, 1)
    assert rows[today - timedelta(days=3)] == (4, 0, 4)
    assert sum(total for total, _, _ in rows.values()) == 7  # the 40-day-old one is out
    figure = _figure(html, "chart-generations")
    assert _chart_total(figure) == 7
    assert 'role="img"' in figure and "7 in total, 2 allowed, 5 refused" in figure
    assert figure.count("<title>") >= 30  # every day has its tooltip
    assert "<figcaption>" in figure and "<details>" in figure


def test_decisions_chart_lists_the_top_refusal_terms_in_order(client, world):
    client.force_login(world["studio"])

    response = client.get(DASHBOARD)
    figure = _figure(response.content.decode(), "chart-decisions")

    # banned word refused three generations, territory two (one refused for both);
    # Zedonius's missing licence and studio B's "rain" are not Hoshi's or Kuro's terms.
    assert response.context["decisions"]["reasons"] == [("banned word", 3), ("territory", 2)]
    assert "2 allowed, 5 refused" in figure
    assert "Top refusal reasons: banned word 3; territory 2" in figure
    assert figure.index("Refused for banned word") < figure.index("Refused for territory")
    assert "no active licence" not in figure


def test_earnings_and_top_works_charts(client, world):
    client.force_login(world["studio"])

    response = client.get(DASHBOARD)
    html = response.content.decode()

    earnings = _figure(html, "chart-earnings")
    today = timezone.localdate(world["now"])
    assert dict(response.context["earnings"]["rows"])[today] == Money(400, "USD")
    assert "$4.00 in total" in earnings and 'role="img"' in earnings
    top = _figure(html, "chart-top-works")
    assert [(w.title, str(m)) for w, m in response.context["top_works"]["rows"]] == [
        ("Hoshi at the beach", "$3.00"),
        ("Kuro's long nap", "$1.00"),
    ]
    assert top.index("Hoshi at the beach") < top.index("Kuro&#x27;s long nap")
    assert world["beach"].get_absolute_url() in top


def test_dashboard_links_to_where_the_rightsholder_acts(client, world):
    client.force_login(world["studio"])

    html = client.get(DASHBOARD).content.decode()

    slug = world["organization"].slug
    assert reverse("licensing:character_manage", args=[world["hoshi"].pk]) in html
    assert reverse("marketplace:approvals") in html
    assert reverse("marketplace:claims_dashboard") in html
    assert f"{reverse('payments:earnings')}?org={slug}" in html
    assert reverse("dashboard:compliance_download", args=[slug]) in html


# --- who sees what ------------------------------------------------------------------------


def test_another_organizations_data_never_appears(client, world):
    # given: studio B's owner
    client.force_login(world["zed_owner"])

    # when
    response = client.get(DASHBOARD)
    html = response.content.decode()

    # then: only Zedonius's generations (two today, one three days ago), and the
    # refusals that concern Zedonius, including studio A's creator naming it...
    assert _chart_total(html) == 3
    assert response.context["decisions"]["reasons"] == [
        ("banned word", 2),
        ("no active licence", 1),
    ]
    assert _card(html, "card-balance") == "$10.00"
    assert "Studio B secret work" in _figure(html, "chart-top-works")
    # ...and nothing of studio A's
    for name in ("Hoshi", "Kuro", "at the beach"):
        assert name not in html
    assert reverse("dashboard:compliance_download", args=[world["organization"].slug]) not in html


def test_studio_a_never_sees_studio_b(client, world):
    client.force_login(world["studio"])

    html = client.get(DASHBOARD).content.decode()

    assert "Zedonius" not in html and "Studio B secret work" not in html
    assert "$10.00" not in html


def test_a_viewer_member_sees_the_overview_but_no_edit_links(client, world):
    viewer = MembershipFactory(organization=world["organization"], role="viewer").user
    client.force_login(viewer)

    response = client.get(DASHBOARD)
    html = response.content.decode()

    assert response.status_code == 200
    assert _chart_total(html) == 7
    assert response.context["decisions"]["reasons"] == [("banned word", 3), ("territory", 2)]
    assert _card(html, "card-balance") == "$4.00"
    assert world["hoshi"].get_absolute_url() in html
    assert reverse("licensing:character_manage", args=[world["hoshi"].pk]) not in html
    assert _card(html, "card-approvals") == "0"  # only editors decide approvals


def test_anonymous_visitor_is_sent_to_log_in(client):
    response = client.get(DASHBOARD)

    assert response.status_code == 302
    assert response["Location"].startswith(f"{reverse('account_login')}?next=")


def test_user_with_nothing_to_manage_gets_a_helpful_empty_state(client):
    client.force_login(UserFactory())

    response = client.get(DASHBOARD)
    html = response.content.decode()

    assert response.status_code == 200
    assert "Nothing to manage yet" in html
    assert reverse("licensing:character_create") in html
    assert reverse("accounts:organization_create") in html
    assert "<svg" not in html.split("<main", 1)[-1] and "chart-generations" not in html


def test_member_of_an_organization_without_characters_is_asked_to_register_one(client):
    membership = MembershipFactory(role="manager")
    client.force_login(membership.user)

    html = client.get(DASHBOARD).content.decode()

    assert "Nothing to manage yet" in html and "chart-generations" not in html
    assert reverse("accounts:organization_create") not in html
    assert reverse("dashboard:compliance_download", args=[membership.organization.slug]) in html


def test_a_likeness_owner_sees_their_own_likeness(client):
    person = UserFactory()
    likeness = CharacterFactory(
        name="Aiko", kind="likeness", owner_organization=None, owner_user=person
    )
    creator = UserFactory()
    grant_for(likeness, creator)
    _generate(creator, [likeness], "Aiko waves")
    client.force_login(person)

    html = client.get(DASHBOARD).content.decode()

    assert reverse("licensing:character_manage", args=[likeness.pk]) in html
    assert _chart_total(html) == 1


# --- queries ------------------------------------------------------------------------------


def _add_characters(organization, creator, count: int, start: int) -> None:
    for n in range(start, start + count):
        character = CharacterFactory(name=f"Star {n}", owner_organization=organization)
        grant = grant_for(character, creator, rev_share_bps=1_000, commercial_use=True)
        _generate(creator, [character], f"Star {n} smiles")
        _generate(creator, [character], f"Star {n} frowns")
        work = _old_work(creator=creator, grants=[grant], title=f"Work {n}")
        _earn(work, 1_000, f"pi_star_{n}")


def test_query_count_does_not_grow_with_characters_and_works(client, django_assert_num_queries):
    # given: one character with a licence, generations, a work and revenue
    organization = OrganizationFactory(verification_status="verified")
    owner = MembershipFactory(organization=organization, role="owner").user
    creator = UserFactory()
    _add_characters(organization, creator, 1, start=0)
    client.force_login(owner)
    client.get(DASHBOARD)  # warm the session and the content types

    with CaptureQueriesContext(connection) as one:
        small = client.get(DASHBOARD)
    with django_assert_num_queries(OVERVIEW_QUERIES):
        dashboard_selectors.dashboard_overview(user=owner)
    # when: ten of each
    _add_characters(organization, creator, 9, start=1)
    with CaptureQueriesContext(connection) as ten:
        large = client.get(DASHBOARD)

    # then: the same number of queries for the page, and a fixed number for the
    # overview's reads (the rest are the session, the user and the site navigation)
    assert small.status_code == large.status_code == 200
    assert _chart_total(large.content.decode()) == 20
    assert len(large.context["characters"]) == 10
    assert len(large.context["top_works"]["rows"]) == 5
    assert len(one.captured_queries) == len(ten.captured_queries)
    with django_assert_num_queries(OVERVIEW_QUERIES):
        dashboard_selectors.dashboard_overview(user=owner)


# memberships, characters, generations per day, decisions, refusal terms, licensees,
# pending licences, pending works, claims, published works, balances, earnings per
# day, revenue per work, the top works themselves
OVERVIEW_QUERIES = 14


def test_dashboard_amounts_follow_the_viewers_locale(client, world):
    client.force_login(world["studio"])

    html = client.get(DASHBOARD, HTTP_ACCEPT_LANGUAGE="fr-FR").content.decode()

    four = format_minor(400, "USD", locale="fr_FR")  # "4,00 $US"
    assert _card(html, "card-balance") == four
    earnings = _figure(html, "chart-earnings")
    assert f"<strong>{four}</strong>" in earnings
    assert f'<td class="num">{format_minor(300, "USD", locale="fr_FR")}</td>' in html
    assert "$4.00" not in html
    # the chart's columns are a readable width, not one slab across the card
    widths = [float(w) for w in re.findall(r'<rect class="seg-value"[^>]* width="([\d.]+)"', html)]
    assert widths and max(widths) <= 40
