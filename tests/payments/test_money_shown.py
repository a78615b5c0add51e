"""Every amount outside the statement is money too: the admin's lists, the tip buttons,
the wallet's top-up choices, Checkout's thank-you page, in the viewer's locale."""

import pytest
from django.urls import reverse

from core.money import Money, format_minor
from payments import services
from payments.models import CheckoutSession
from tests.builders import paid_out, tip_settled
from tests.factories import CharacterFactory, UserFactory, WorkFactory, grant_for, publish_offer

pytestmark = pytest.mark.django_db


def test_the_admin_lists_amounts_as_money_never_minor_units(staff_client):
    creator = UserFactory()
    work = WorkFactory(
        creator=creator,
        grants=[grant_for(CharacterFactory(), creator, rev_share_bps=1_250, commercial_use=True)],
    )
    tip_settled(work, "pi_admin", amount=2_000)
    event, _ = services.revenue_event_record(
        kind="tip", source="stripe", external_id="pi_yen", money=Money(500, "JPY"), work=work
    )
    services.revenue_event_settle(event=event)
    [payout, *_] = paid_out({"acct_admin": {"user": creator}})

    pages = {
        name: staff_client.get(reverse(f"admin:{name}_changelist")).content.decode()
        for name in (
            "payments_payout",
            "payments_revenueevent",
            "payments_ledgerentry",
            "payments_ledgeraccount",
            "marketplace_worklicense",
        )
    }

    assert format_minor(payout.amount, payout.currency) in pages["payments_payout"]
    assert "$20.00" in pages["payments_revenueevent"] and "¥500" in pages["payments_revenueevent"]
    assert "¥500.00" not in pages["payments_revenueevent"]
    assert "-$20.00" in pages["payments_ledgerentry"]
    assert (
        "Balance" in pages["payments_ledgeraccount"]
        and "minor units" not in pages["payments_ledgeraccount"]
    )
    assert "12.5%" in pages["marketplace_worklicense"]


def test_tip_buttons_and_top_up_choices_are_money_in_the_viewers_locale(client):
    creator = UserFactory()
    work = WorkFactory(
        creator=creator, grants=[grant_for(CharacterFactory(), creator, commercial_use=True)]
    )
    client.force_login(UserFactory())

    page = client.get(work.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="fr-FR").content.decode()
    earnings = client.get(reverse("payments:earnings"), HTTP_ACCEPT_LANGUAGE="fr-FR")

    assert f"Tip {format_minor(200, 'USD', locale='fr_FR')}" in page
    assert "Tip $2<" not in page
    assert f">{format_minor(1_000, 'USD', locale='fr_FR')}</option>" in earnings.content.decode()


def test_the_thank_you_page_states_the_payment_as_money(client):
    payer = UserFactory()
    session = CheckoutSession.objects.create(
        stripe_session_id="cs_thanks",
        purpose="wallet_top_up",
        payer=payer,
        amount=1_000,
        currency="JPY",
        status="complete",
        url="https://checkout.test/cs_thanks",
    )
    client.force_login(payer)

    html = client.get(reverse("payments:checkout_done"), {"session": session.stripe_session_id})

    assert "Your payment of ¥1,000 is confirmed." in html.content.decode()


def test_the_catalog_and_character_page_price_licences_as_money(client):
    hoshi = CharacterFactory(name="Hoshi-chan")
    publish_offer(hoshi, upfront_fee=2_500, currency="JPY")
    client.force_login(UserFactory())

    catalog = client.get(
        reverse("licensing:catalog"), HTTP_ACCEPT_LANGUAGE="fr-FR"
    ).content.decode()
    page = client.get(hoshi.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="fr-FR").content.decode()

    yen = format_minor(2_500, "JPY", locale="fr_FR")  # "2 500 JPY": no decimals
    assert f"data-price>{yen} licence</span>" in catalog
    assert f'class="agreed-prices">{yen} upfront' in page and ",00" not in yen
