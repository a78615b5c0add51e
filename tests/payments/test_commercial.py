"""Earnings only where the terms allow: a work is commercial when every licence it uses
allows commercial use (the pipeline derives it; the studio's tick is only a request),
and a non-commercial work takes no tips (web, API) and no imported ad revenue."""

import html

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from core.money import Money
from marketplace import services as marketplace_services
from marketplace.models import Work
from payments import services
from payments.enums import AccountKind
from payments.models import CheckoutSession, RevenueEvent
from tests.factories import CharacterFactory, UserFactory, WorkFactory, grant_for
from tests.marketplace.conftest import signing, with_image  # noqa: F401 (a fixture)
from tests.marketplace.helpers import make_work, run_pipeline

REMIX = {"allowed_actions": ["generate", "remix", "publish"]}
TIP_PAGE_NOTE = "so it takes no tips or ad revenue"


def _pending(owner) -> int:
    return (
        services.balances_for(owner=owner).get((AccountKind.PENDING, "USD"), Money(0, "USD")).amount
    )


def _licensed(creator, *, commercial: bool, same_terms: bool = False, name: str):
    character = with_image(CharacterFactory(name=name))
    terms = {**REMIX, "commercial_use": commercial}
    if same_terms:
        terms["remix_policy"] = "same_terms"
    grant_for(character, creator, **terms)
    return character


# --- the pipeline derives it ---------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.usefixtures("signing")
def test_the_pipeline_makes_a_work_commercial_only_when_every_licence_allows_it():
    # given: a creator licensed for Hoshi commercially and for Kuro non-commercially
    creator = UserFactory()
    hoshi = _licensed(creator, commercial=True, name="Hoshi-chan")
    kuro = _licensed(creator, commercial=False, name="Kuro Neko")

    # when: three videos, none ticked "commercial"
    hoshi_only = make_work(creator=creator, characters=[hoshi], prompt="Hoshi-chan waves")
    both = make_work(creator=creator, characters=[hoshi, kuro], prompt="Hoshi-chan and Kuro Neko")
    kuro_only = make_work(creator=creator, characters=[kuro], prompt="Kuro Neko naps")

    # then: the terms decide, not the tick
    assert hoshi_only.commercial is True
    assert both.commercial is False
    assert kuro_only.commercial is False


@pytest.mark.django_db
@pytest.mark.usefixtures("signing")
def test_asking_for_commercial_use_under_a_non_commercial_licence_is_refused_by_name():
    # given
    creator = UserFactory()
    hoshi = _licensed(creator, commercial=True, name="Hoshi-chan")
    kuro = _licensed(creator, commercial=False, name="Kuro Neko")

    # when: the creator ticks "commercial" for a video with both
    request = marketplace_services.generation_request_create(
        creator=creator,
        prompt="Hoshi-chan and Kuro Neko sell lemonade",
        character_ids=[hoshi.pk, kuro.pk],
        commercial=True,
        enqueue=False,
    )
    request = run_pipeline(request_id=request.pk)

    # then: refused, naming Kuro's term; no work was made
    assert request.status == "refused"
    assert "Kuro Neko may be used only in non-commercial videos" in request.reason
    assert [r["term"] for r in request.reasons if r["severity"] == "refuse"] == ["commercial_use"]
    assert not Work.objects.filter(request=request).exists()


@pytest.mark.django_db
@pytest.mark.usefixtures("signing")
def test_a_remix_is_non_commercial_when_its_parents_same_terms_licence_is():
    # given: a parent made under Kuro's non-commercial, reciprocal (same_terms) licence
    maker, remixer = UserFactory(), UserFactory()
    kuro = _licensed(maker, commercial=False, same_terms=True, name="Kuro Neko")
    hoshi = _licensed(remixer, commercial=True, name="Hoshi-chan")
    kuro_offer = kuro.offers.get(status="published")
    grant_for(kuro, remixer, offer=kuro_offer)
    parent = make_work(creator=maker, characters=[kuro], prompt="Kuro Neko naps")

    # when: a remix adds Hoshi (commercial) and re-licenses nothing else
    remix = make_work(
        creator=remixer, characters=[hoshi], parent=parent, prompt="Hoshi-chan wakes Kuro"
    )

    # then: the parent's reciprocal non-commercial term binds the remix
    assert parent.commercial is False
    assert remix.commercial is False


# --- tips: web --------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("signing")
def test_a_pipeline_made_non_commercial_work_cannot_be_tipped_and_a_commercial_one_can(
    client, fake_stripe
):
    # given: two published videos made by the pipeline
    creator, fan = UserFactory(), UserFactory()
    hoshi = _licensed(creator, commercial=True, name="Hoshi-chan")
    kuro = _licensed(creator, commercial=False, name="Kuro Neko")
    paid = make_work(creator=creator, characters=[hoshi], prompt="Hoshi-chan sings")
    free = make_work(creator=creator, characters=[kuro], prompt="Kuro Neko naps")
    client.force_login(fan)

    # then: the non-commercial page has no Tip button, and says why
    page = client.get(free.get_absolute_url()).content.decode()
    assert reverse("payments:tip", args=[free.pk]) not in page
    assert TIP_PAGE_NOTE in page
    assert (
        reverse("payments:tip", args=[paid.pk])
        in client.get(paid.get_absolute_url()).content.decode()
    )

    # when: the fan posts a tip to the non-commercial one anyway
    refused = client.post(
        reverse("payments:tip", args=[free.pk]), {"amount": "500", "currency": "USD"}
    )

    # then: 409 with the reason naming the licence; nothing reached Stripe
    text = html.unescape(refused.content.decode())
    assert refused.status_code == 409
    assert "the licence for Kuro Neko does not allow commercial use" in text
    assert "so it takes no tips" in text
    assert not CheckoutSession.objects.filter(work=free).exists()
    assert fake_stripe.requests_to("POST", "/v1/checkout/sessions") == []

    # when: the fan tips the commercial one and pays
    response = client.post(
        reverse("payments:tip", args=[paid.pk]), {"amount": "1000", "currency": "USD"}
    )
    session = CheckoutSession.objects.get(work=paid)
    fake_stripe.complete_checkout(session.stripe_session_id)

    # then: the tip is split (the licence takes no share: the platform 10%, the creator 90%)
    assert response.status_code == 302 and response.url == session.url
    assert RevenueEvent.objects.get(work=paid).amount == 1_000
    assert _pending(creator) == 900
    assert set(services.ledger_totals().values()) == {0}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body,field_text",
    [
        ({"amount": "500", "currency": "XYZ"}, "'XYZ' is not a currency"),
        ({"amount": "500", "currency": "usdollars"}, "'usdollars' is not a currency"),
        ({"amount": "-5", "currency": "USD"}, "whole number of minor units between 100"),
        ({"amount": "1e3", "currency": "USD"}, "whole number of minor units between 100"),
        ({"amount": "", "currency": "USD"}, "whole number of minor units between 100"),
        ({"amount": "9" * 40, "currency": "USD"}, "whole number of minor units between 100"),
        ({"amount": str(2**63), "currency": "USD"}, "whole number of minor units between 100"),
        ({"amount": "0", "currency": "USD"}, "Tips are between"),
        ({"amount": "100001", "currency": "USD"}, "Tips are between"),
    ],
)
def test_a_tip_out_of_bounds_is_a_400_naming_what_is_wrong(client, body, field_text):
    # given: a commercial work and a fan
    creator = UserFactory()
    work = WorkFactory(
        creator=creator, grants=[grant_for(CharacterFactory(), creator, commercial_use=True)]
    )
    client.force_login(UserFactory())

    # when
    response = client.post(reverse("payments:tip", args=[work.pk]), body)

    # then: refused before Stripe is asked (no session), with the reason on the page
    assert response.status_code == 400
    assert field_text in html.unescape(response.content.decode())
    assert not CheckoutSession.objects.exists()


@pytest.mark.django_db
def test_tipping_your_own_video_is_refused(client):
    creator = UserFactory()
    work = WorkFactory(
        creator=creator, grants=[grant_for(CharacterFactory(), creator, commercial_use=True)]
    )
    client.force_login(creator)

    response = client.post(
        reverse("payments:tip", args=[work.pk]), {"amount": "500", "currency": "USD"}
    )

    assert response.status_code == 403
    assert "You cannot tip your own video." in response.content.decode()
    assert not CheckoutSession.objects.exists()


@pytest.mark.django_db
def test_a_video_that_is_not_published_cannot_be_tipped(client):
    creator = UserFactory()
    work = WorkFactory(
        creator=creator,
        grants=[grant_for(CharacterFactory(), creator, commercial_use=True)],
        status="pending_approval",
    )
    client.force_login(UserFactory())

    response = client.post(reverse("payments:tip", args=[work.pk]), {"amount": "500"})

    assert response.status_code == 404


# --- tips: API --------------------------------------------------------------------------------


def _tip_api(api_client, work, body):
    return api_client.post(f"/api/v1/works/{work.pk}/tips/", body, format="json")


@pytest.mark.django_db(transaction=True)
def test_the_tip_api_opens_checkout_for_a_commercial_video(api_client, fake_stripe):
    # given
    creator, fan = UserFactory(), UserFactory()
    work = WorkFactory(
        creator=creator, grants=[grant_for(CharacterFactory(), creator, commercial_use=True)]
    )
    api_client.force_authenticate(fan)

    # when
    response = _tip_api(api_client, work, {"amount": 500, "currency": "usd"})

    # then
    assert response.status_code == 201, response.json()
    body = response.json()
    session = CheckoutSession.objects.get(work=work)
    assert (body["work"], body["amount"], body["currency"], body["url"]) == (
        str(work.pk),
        500,
        "USD",
        session.url,
    )
    fake_stripe.complete_checkout(session.stripe_session_id)
    assert RevenueEvent.objects.get(work=work).kind == "tip"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body,status,code,field",
    [
        ({"amount": 500, "currency": "XYZ"}, 400, "unsupported_currency", "currency"),
        ({"amount": 2**64, "currency": "USD"}, 400, "max_value", "amount"),
        ({"amount": 0, "currency": "USD"}, 400, "min_value", "amount"),
        ({"amount": -500}, 400, "min_value", "amount"),
        ({"amount": "500"}, 400, "invalid", "amount"),
        ({}, 400, "required", "amount"),
    ],
)
def test_the_tip_api_refuses_bad_input_naming_the_field(api_client, body, status, code, field):
    creator = UserFactory()
    work = WorkFactory(
        creator=creator, grants=[grant_for(CharacterFactory(), creator, commercial_use=True)]
    )
    api_client.force_authenticate(UserFactory())

    response = _tip_api(api_client, work, body)

    assert response.status_code == status, response.json()
    assert (response.json()["code"], response.json()["field"]) == (code, field)
    if code == "unsupported_currency":
        assert "'XYZ'" in response.json()["detail"]
    assert not CheckoutSession.objects.exists()


@pytest.mark.django_db
def test_the_tip_api_refuses_a_non_commercial_video_and_your_own(api_client):
    # given: a non-commercial video and a commercial one by the same creator
    creator, fan = UserFactory(), UserFactory()
    kuro = CharacterFactory(name="Kuro Neko")
    free = WorkFactory(creator=creator, grants=[grant_for(kuro, creator)], title="Kuro naps")
    paid = WorkFactory(
        creator=creator, grants=[grant_for(CharacterFactory(), creator, commercial_use=True)]
    )

    # when / then: a fan tipping the non-commercial one: 409 naming the licence
    api_client.force_authenticate(fan)
    response = _tip_api(api_client, free, {"amount": 500})
    assert response.status_code == 409
    assert response.json()["code"] == "non_commercial"
    assert "the licence for Kuro Neko does not allow commercial use" in response.json()["detail"]

    # and: the creator tipping their own: 403
    api_client.force_authenticate(creator)
    response = _tip_api(api_client, paid, {"amount": 500})
    assert (response.status_code, response.json()["code"]) == (403, "own_work")

    # and: anonymous: 401
    api_client.force_authenticate(None)
    assert _tip_api(api_client, paid, {"amount": 500}).status_code == 401
    assert not CheckoutSession.objects.exists()


# --- every way revenue comes in ---------------------------------------------------------------


@pytest.mark.django_db
def test_no_tip_or_ad_revenue_is_recorded_for_a_non_commercial_work_whatever_the_path():
    # given
    creator = UserFactory()
    free = WorkFactory(creator=creator, grants=[grant_for(CharacterFactory(), creator)])

    # when / then: the one recording service refuses it, for tips and for ads
    for kind in ("tip", "ad_revenue"):
        with pytest.raises(services.NotCommercial, match="is non-commercial"):
            services.revenue_event_record(
                kind=kind,
                source="stripe" if kind == "tip" else "import",
                external_id=f"{kind}-1",
                money=Money(500, "USD"),
                work=free,
            )
    assert not RevenueEvent.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_tip_paid_after_its_work_stopped_being_commercial_is_refunded_not_kept(
    client, fake_stripe
):
    # given: a tip begun on a commercial work, which staff then mark non-commercial
    creator, fan = UserFactory(), UserFactory()
    work = WorkFactory(
        creator=creator, grants=[grant_for(CharacterFactory(), creator, commercial_use=True)]
    )
    client.force_login(fan)
    client.post(reverse("payments:tip", args=[work.pk]), {"amount": "700", "currency": "USD"})
    session = CheckoutSession.objects.get(work=work)
    Work.objects.filter(pk=work.pk).update(commercial=False)

    # when: the fan pays, and the webhook arrives (twice)
    [completed] = fake_stripe.complete_checkout(session.stripe_session_id)
    fake_stripe.deliver(completed["id"], times=1)

    # then: nothing was recorded; Stripe refunded the payment once
    session.refresh_from_db()
    assert session.status == "refunded"
    assert not RevenueEvent.objects.exists()
    assert len(fake_stripe.refunds) == 1
    refund = next(iter(fake_stripe.refunds.values()))
    assert refund["amount"] == 700
    assert set(services.ledger_totals().values()) <= {0}


# --- ad revenue imports -------------------------------------------------------------------


@pytest.mark.django_db
def test_an_ad_import_refuses_the_lines_of_non_commercial_works_with_the_reason(tmp_path, capsys):
    # given: a commercial and a non-commercial published work
    creator = UserFactory()
    kuro = CharacterFactory(name="Kuro Neko")
    studio_character = CharacterFactory(name="Hoshi-chan")
    paid = WorkFactory(
        creator=creator,
        grants=[grant_for(studio_character, creator, commercial_use=True, rev_share_bps=1_000)],
    )
    free = WorkFactory(creator=creator, grants=[grant_for(kuro, creator)], title="Kuro naps")
    path = tmp_path / "ads.csv"
    path.write_text(
        "external_id,work_id,amount,currency,occurred_at\n"
        f"ad-1,{paid.pk},1000,USD,2026-11-01\n"
        f"ad-2,{free.pk},400,USD,2026-11-01\n"
        f"ad-3,{paid.pk},500,USD,2026-11-02\n"
    )

    # when: imported twice
    call_command("import_revenue", str(path))
    call_command("import_revenue", str(path))

    # then: the commercial rows imported once; the other was refused each time, by line,
    # with its reason
    out = capsys.readouterr().out
    assert "2 imported, 0 already imported, 1 refused." in out
    assert "0 imported, 2 already imported, 1 refused." in out
    assert (
        "row 3 refused: “Kuro naps” is non-commercial: the licence for Kuro Neko does not "
        "allow commercial use, so it takes no ad revenue." in out
    )
    assert sorted(RevenueEvent.objects.values_list("external_id", flat=True)) == ["ad-1", "ad-3"]
    assert _pending(studio_character.owner_organization) == 150
    assert _pending(creator) == 1_200
    assert set(services.ledger_totals().values()) == {0}


@pytest.mark.django_db
def test_a_malformed_row_still_rejects_the_whole_file_and_lists_no_refusals(tmp_path, capsys):
    creator = UserFactory()
    free = WorkFactory(creator=creator, grants=[grant_for(CharacterFactory(), creator)])
    path = tmp_path / "ads.csv"
    path.write_text(
        "external_id,work_id,amount,currency,occurred_at\n"
        f"ad-1,{free.pk},400,USD,2026-11-01\n"
        f"ad-2,{free.pk},12.5,USD,2026-11-01\n"
    )

    with pytest.raises(CommandError, match="Nothing imported: 1 bad row"):
        call_command("import_revenue", str(path))

    captured = capsys.readouterr()
    assert "row 3: amount '12.5'" in captured.err
    assert "refused" not in captured.out
    assert not RevenueEvent.objects.exists()
