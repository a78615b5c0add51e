"""The earnings statement speaks in words: each line says what happened and links to
what it is about, every amount is formatted for its currency in the viewer's locale,
it is paginated, and payouts have their own section near the top."""

import re
from html import unescape

import pytest
from django.urls import reverse

from core.money import Money, format_minor
from marketplace import services as marketplace_services
from marketplace.enums import GenerationStatus
from payments import selectors, selectors_statement, services
from payments.enums import AccountKind
from payments.models import Payout
from tests.builders import paid_out
from tests.factories import (
    CharacterFactory,
    UserFactory,
    WorkFactory,
    editor_of,
    fund_wallet,
    grant_for,
)

pytestmark = pytest.mark.django_db

RAW = re.compile(
    r"stripe:|internal:|generation:|pi_|revenue\.|payout\.|\brelease\b|\d USD|test\.fund"
)


def _text(html: str) -> str:
    """The page's visible text, roughly: tags, scripts and attributes dropped."""
    body = html.split("<main", 1)[-1]
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)))


def _tip(work, payer, external_id, amount=1_000, currency="USD"):
    event, _ = services.revenue_event_record(
        kind="tip",
        source="stripe",
        external_id=external_id,
        money=Money(amount, currency),
        work=work,
        payer=payer,
    )
    return services.revenue_event_settle(event=event)


@pytest.fixture
def duel():
    """Mika's commercial "Sunset duel" showing a studio's Hoshi (10%), tipped $10 by Ken."""
    hoshi = CharacterFactory(name="Hoshi-chan")
    creator = UserFactory(display_name="Mika Ito")
    work = WorkFactory(
        creator=creator,
        grants=[grant_for(hoshi, creator, rev_share_bps=1_000, commercial_use=True)],
        title="Sunset duel",
    )
    ken = UserFactory(display_name="Ken")
    _tip(work, ken, "pi_demo_tip_11")
    return creator, hoshi, work


def _mine(creator, kind=AccountKind.PENDING, currency="USD") -> int:
    return services.balances_for(owner=creator).get((kind, currency), Money(0, currency)).amount


def test_each_line_says_what_happened_and_links_to_it(client, duel):
    # given: the tip released to available and paid out
    creator, _, work = duel
    share = _mine(creator)
    [payout] = paid_out({"acct_mika": {"user": creator}})
    client.force_login(creator)

    # when
    html = client.get(reverse("payments:earnings")).content.decode()

    # then: the tip, its release and the payout, in words, each linked
    work_url = work.get_absolute_url()
    assert f'<a href="{work_url}">Tip from Ken on “Sunset duel”</a>' in html
    assert f'<a href="{work_url}">Now available: tip from Ken on “Sunset duel”</a>' in html
    assert f'href="/earnings/#payout-{payout.pk}">Payout to your bank (being prepared)</a>' in html
    # every amount as money, negatives included, never "270 USD"
    assert format_minor(share, "USD") in html and format_minor(-share, "USD") in html
    assert not RAW.search(_text(html)), RAW.search(_text(html))


def test_the_rightsholder_reads_its_share_of_the_tip(client, duel):
    _, hoshi, work = duel
    client.force_login(editor_of(hoshi))

    html = client.get(
        reverse("payments:earnings"), {"org": hoshi.owner_organization.slug}
    ).content.decode()

    assert (
        f'<a href="{work.get_absolute_url()}">Your share of the tip from Ken on “Sunset duel”</a>'
        in html
    )
    assert "$1.00" in html  # 10% of $10
    assert not RAW.search(_text(html))


def test_payouts_come_before_the_statement_with_their_status_in_words(client, duel):
    creator, _, _ = duel
    [payout] = paid_out({"acct_mika": {"user": creator}})
    Payout.objects.filter(pk=payout.pk).update(status="paid")
    client.force_login(creator)

    html = client.get(reverse("payments:earnings")).content.decode()

    assert html.index('id="payouts"') < html.index("<h2>Statement</h2>")
    row = html[html.index(f'id="payout-{payout.pk}"') :]
    assert row.index("Paid to your bank on") < row.index("</tr>")
    last = html[html.index("data-last-payout") :]
    assert last.index(format_minor(payout.amount, "USD")) < last.index("</dd>")


def test_amounts_follow_the_viewers_locale_and_yen_has_no_cents(client, duel):
    creator, _, work = duel
    _tip(work, None, "pi_yen", amount=500, currency="JPY")
    yen = _mine(creator, currency="JPY")
    usd = _mine(creator)
    client.force_login(creator)

    english = client.get(reverse("payments:earnings")).content.decode()
    french = client.get(
        reverse("payments:earnings"), HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9"
    ).content.decode()

    assert f"¥{yen}<" in english and f"¥{yen}.00" not in english
    assert "Tip on “Sunset duel”" in english  # no payer named
    assert format_minor(usd, "USD", locale="fr_FR") in french  # "8,00 $US"
    assert "8,00" in format_minor(usd, "USD", locale="fr_FR")
    assert format_minor(yen, "JPY", locale="fr_FR") in french
    assert format_minor(usd, "USD", locale="en_US") not in french


def test_the_statement_is_paginated_and_a_bad_page_is_not_an_error(client, duel):
    creator, _, work = duel
    for n in range(29):
        _tip(work, None, f"pi_page_{n}")  # 30 tips: 30 lines in pending
    client.force_login(creator)

    first = client.get(reverse("payments:earnings")).content.decode()
    second = client.get(reverse("payments:earnings"), {"page": "2"}).content.decode()
    nonsense = client.get(reverse("payments:earnings"), {"page": "abc"})
    beyond = client.get(reverse("payments:earnings"), {"page": "999", "kind": "pending"})

    statement = first[first.index("<h2>Statement</h2>") :]
    assert statement.count("<tr><td") == 25
    assert 'href="?page=2"' in first and 'rel="next"' in first
    assert second[second.index("<h2>Statement</h2>") :].count("<tr><td") == 5
    assert nonsense.status_code == 200 and beyond.status_code == 200
    assert 'aria-current="page">2<' in beyond.content.decode()
    assert "kind=pending" in beyond.content.decode()  # the filter kept in the page links


def test_per_video_fees_are_described_from_the_wallet_to_the_rightsholder(client):
    hoshi = CharacterFactory(name="Hoshi-chan")
    creator = UserFactory()
    grant_for(hoshi, creator, per_generation_fee=50)
    fund_wallet(creator, 120)
    request = marketplace_services.generation_request_create(
        creator=creator,
        prompt="Hoshi-chan waves at the sea",
        character_ids=[hoshi.pk],
        enqueue=False,
        backend="local",
    )
    marketplace_services.generation_check(request_id=request.pk)
    for status in (GenerationStatus.SIGNING, GenerationStatus.PUBLISHED):
        marketplace_services.generation_transition(request_id=request.pk, to=status)

    client.force_login(creator)
    mine = client.get(reverse("payments:earnings")).content.decode()
    client.force_login(editor_of(hoshi))
    studio = client.get(
        reverse("payments:earnings"), {"org": hoshi.owner_organization.slug}
    ).content.decode()

    url = request.get_absolute_url()
    assert "Balance adjustment" in mine  # the test's own funding, not a raw kind
    assert f'<a href="{url}">Held for the per-video fees of “Hoshi-chan waves at the sea”' in mine
    assert (
        f'<a href="{url}">Per-video fee for Hoshi-chan in “Hoshi-chan waves at the sea”</a>' in mine
    )
    assert "Held for videos" in mine
    assert (
        f'<a href="{url}">Your share of the per-video fee for “Hoshi-chan waves at the sea”</a>'
        in studio
    )
    assert not RAW.search(_text(mine)) and not RAW.search(_text(studio))


@pytest.mark.parametrize(
    ("decision", "reader", "words"),
    [
        ("uphold", "studio", "Paid to you from escrow: your claim on “Beach day” was upheld"),
        ("release", "creator", "Released from escrow after the claim on “Beach day” was released"),
    ],
)
def test_escrow_lines_name_the_claim_and_how_it_ended(client, decision, reader, words):
    hoshi = CharacterFactory(name="Hoshi-chan")
    creator = UserFactory()
    work = WorkFactory(
        creator=creator,
        grants=[grant_for(hoshi, creator, rev_share_bps=1_000, commercial_use=True)],
        title="Beach day",
    )
    claim = marketplace_services.claim_file(
        work=work,
        character=hoshi,
        by=editor_of(hoshi),
        reason="terms_breach",
        evidence="A beer at 0:02.",
        policy="track",
    )
    dispute = marketplace_services.dispute_open(claim=claim, by=creator, reason="Fine.")
    _tip(work, None, "pi_escrow")
    client.force_login(editor_of(hoshi))
    client.post(reverse("marketplace:dispute_resolve", args=[dispute.pk]), {"decision": decision})

    if reader == "studio":
        page = client.get(reverse("payments:earnings"), {"org": hoshi.owner_organization.slug})
    else:
        client.force_login(creator)
        page = client.get(reverse("payments:earnings"))

    html = page.content.decode()
    assert f'<a href="{work.get_absolute_url()}">{words}</a>' in html
    assert not RAW.search(_text(html))


def test_a_licence_fee_and_its_refund_are_named_with_the_character(client):
    hoshi = CharacterFactory(name="Hoshi-chan")
    ken = UserFactory(display_name="Ken")
    grant = grant_for(hoshi, ken, upfront_fee=2_500)
    event, _ = services.revenue_event_record(
        kind="license_fee",
        source="stripe",
        external_id="pi_licence",
        money=Money(2_500, "USD"),
        grant=grant,
        payer=ken,
    )
    services.revenue_event_settle(event=event)
    services.revenue_reverse(event=event, reason="refunded", key="refund:pi_licence")
    client.force_login(editor_of(hoshi))

    html = client.get(
        reverse("payments:earnings"), {"org": hoshi.owner_organization.slug}
    ).content.decode()

    url = hoshi.get_absolute_url()
    assert f'<a href="{url}">Licence fee from Ken for Hoshi-chan</a>' in html
    assert f'<a href="{url}">Refunded: licence fee from Ken for Hoshi-chan</a>' in html
    assert not RAW.search(_text(html))


def test_a_page_of_lines_is_described_in_a_fixed_number_of_queries(
    duel, django_assert_max_num_queries
):
    creator, _, work = duel
    for n in range(40):
        _tip(work, UserFactory(), f"pi_many_{n}")
    services.ledger_release_pending()
    page = list(selectors.statement(owner=creator)[:25])

    with django_assert_max_num_queries(8):
        lines = selectors_statement.statement_lines(entries=page, owner=creator)

    assert len(lines) == 25 and all(line.url == work.get_absolute_url() for line in lines)
