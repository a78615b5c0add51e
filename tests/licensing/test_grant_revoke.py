"""A rightsholder revokes one person's licence: after the offer's grace period it ends,
the works made under it follow ``on_revoke``, and the person's generations of the
character that have not finished are failed (their fee holds released). Only the
licensor may; only an active licence; by service, API and the approvals page."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from core.errors import NotPermitted
from licensing import services
from licensing.models import Grant
from marketplace import services as marketplace_services
from marketplace.enums import GenerationStatus, WorkStatus
from marketplace.models import GenerationRequest, Work
from payments.enums import AccountKind
from payments.models import FeeHold
from payments.services import balance
from payments.services.ledger import account_for
from tests.factories import (
    CharacterFactory,
    UserFactory,
    WorkFactory,
    editor_of,
    fund_wallet,
    grant_for,
)

pytestmark = pytest.mark.django_db


def _request(creator, characters, prompt="Hoshi-chan waves"):
    return marketplace_services.generation_request_create(
        creator=creator,
        prompt=prompt,
        character_ids=[c.pk for c in characters],
        enqueue=False,
        backend="local",
    )


def _wallet(user) -> int:
    return balance(account=account_for(owner=user, kind=AccountKind.WALLET, currency="USD")).amount


def test_revoking_with_no_grace_ends_the_licence_fails_unfinished_generations_and_releases_fees():
    # given: a creator with a paid-per-generation licence, one published work, one
    # generation rendering and one queued; and a queued generation of another character
    hoshi, kuro = CharacterFactory(name="Hoshi-chan"), CharacterFactory(name="Kuro Neko")
    creator = UserFactory()
    grant = grant_for(hoshi, creator, per_generation_fee=50, grace_days=0, on_revoke="delist")
    grant_for(kuro, creator)
    fund_wallet(creator, 200)
    work = WorkFactory(creator=creator, grants=[grant])
    rendering = _request(creator, [hoshi])
    marketplace_services.generation_transition(
        request_id=rendering.pk, to=GenerationStatus.CHECKING
    )
    marketplace_services.generation_transition(
        request_id=rendering.pk, to=GenerationStatus.RENDERING
    )
    queued = _request(creator, [hoshi], prompt="Hoshi-chan jumps")
    other = _request(creator, [kuro], prompt="Kuro Neko naps")
    assert _wallet(creator) == 100  # two fees of 50 held

    # when
    revoked = services.grant_revoke(grant=grant, by=editor_of(hoshi), reason="Misused in ads")

    # then: the licence has ended with the reason
    assert revoked.status == "revoked"
    assert revoked.end_reason == "Misused in ads"
    # its works follow on_revoke (delist)
    assert Work.objects.get(pk=work.pk).status == WorkStatus.DELISTED
    # the unfinished generations of Hoshi-chan failed with the reason, the other stays
    for request in (rendering, queued):
        request.refresh_from_db()
        assert request.status == GenerationStatus.FAILED
        assert "Misused in ads" in request.reason
    assert GenerationRequest.objects.get(pk=other.pk).status == GenerationStatus.QUEUED
    # their fee holds were released back to the wallet
    assert set(
        FeeHold.objects.filter(request_id__in=[rendering.pk, queued.pk]).values_list(
            "status", flat=True
        )
    ) == {"released"}
    assert _wallet(creator) == 200
    # and the creator was told
    assert creator.notifications.filter(kind="grant.revoking").exists()


def test_revoking_waits_for_the_grace_period_then_beat_ends_it():
    # given
    hoshi = CharacterFactory(name="Hoshi-chan")
    creator = UserFactory()
    grant = grant_for(hoshi, creator, grace_days=7, on_revoke="keep")
    work = WorkFactory(creator=creator, grants=[grant])

    # when: revoked; the licence runs on through the grace period
    revoked = services.grant_revoke(grant=grant, by=editor_of(hoshi), reason="Ending it")
    queued = _request(creator, [hoshi])

    # then
    assert revoked.status == "active"
    left = revoked.revoke_at - timezone.now()
    assert timedelta(days=7) - timedelta(minutes=1) < left <= timedelta(days=7)
    assert services.grants_revoke_due() == 0
    assert GenerationRequest.objects.get(pk=queued.pk).status == GenerationStatus.QUEUED

    # when: the grace period has passed and beat runs
    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1)):
        assert services.grants_revoke_due() == 1

    # then: ended, its generation stopped, the works kept as on_revoke says
    assert Grant.objects.get(pk=grant.pk).status == "revoked"
    assert GenerationRequest.objects.get(pk=queued.pk).status == GenerationStatus.FAILED
    assert Work.objects.get(pk=work.pk).status == WorkStatus.PUBLISHED


def test_only_the_licensor_revokes_and_only_an_active_licence():
    # given
    hoshi = CharacterFactory(name="Hoshi-chan")
    creator = UserFactory()
    grant = grant_for(hoshi, creator)
    licensor = editor_of(hoshi)

    # then: the licensee and a stranger may not
    for someone in (creator, UserFactory()):
        with pytest.raises(NotPermitted):
            services.grant_revoke(grant=grant, by=someone, reason="No")
    assert Grant.objects.get(pk=grant.pk).revoke_at is None

    # and: once being revoked, or ended, it cannot be revoked again (409)
    services.grant_revoke(grant=grant, by=licensor, reason="First")
    with pytest.raises(services.GrantNotRevocable):
        services.grant_revoke(grant=grant, by=licensor, reason="Again")
    ended = grant_for(hoshi, UserFactory())
    services.grant_end_by_licensee(grant=ended, by=ended.licensee)
    with pytest.raises(services.GrantNotRevocable) as refused:
        services.grant_revoke(grant=ended, by=licensor, reason="Late")
    assert refused.value.status_code == 409


def test_api_revoke_answers_200_403_404_and_409(api_client):
    # given
    hoshi = CharacterFactory(name="Hoshi-chan")
    creator = UserFactory()
    grant = grant_for(hoshi, creator, grace_days=0)
    url = f"/api/v1/grants/{grant.pk}/revoke/"

    # when / then: the licensee is refused, a stranger finds nothing
    api_client.force_authenticate(creator)
    assert api_client.post(url, {"reason": "x"}, format="json").status_code == 403
    api_client.force_authenticate(UserFactory())
    assert api_client.post(url, {"reason": "x"}, format="json").status_code == 404

    # the licensor must say why
    api_client.force_authenticate(editor_of(hoshi))
    missing = api_client.post(url, {}, format="json")
    assert missing.status_code == 400 and missing.json()["field"] == "reason"

    # and revokes
    response = api_client.post(url, {"reason": "Against our terms"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "revoked"
    assert response.json()["revoke_reason"] == "Against our terms"

    # a second time: 409
    again = api_client.post(url, {"reason": "Again"}, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "invalid_state"


def test_the_approvals_page_lists_active_licences_and_revokes_one(client):
    # given
    hoshi = CharacterFactory(name="Hoshi-chan")
    creator = UserFactory(email="mika@example.com")
    grant = grant_for(hoshi, creator, grace_days=3)
    licensor = editor_of(hoshi)
    client.force_login(licensor)

    # when
    page = client.get(reverse("marketplace:approvals")).content.decode()

    # then
    assert "mika@example.com" in page
    assert reverse("licensing:grant_revoke", args=[grant.pk]) in page

    # when: revoked with a reason
    response = client.post(
        reverse("licensing:grant_revoke", args=[grant.pk]), {"reason": "Misuse"}, follow=True
    )

    # then
    grant.refresh_from_db()
    assert grant.revoke_reason == "Misuse" and grant.status == "active"
    html = response.content.decode()
    assert "Revoked mika@example.com&#x27;s licence for Hoshi-chan" in html
    assert "revoked: ends" in html


def test_the_revoke_page_action_needs_a_reason_and_is_hidden_from_others(client):
    # given
    hoshi = CharacterFactory(name="Hoshi-chan")
    creator = UserFactory()
    grant = grant_for(hoshi, creator)
    url = reverse("licensing:grant_revoke", args=[grant.pk])

    # when: the licensee tries
    client.force_login(creator)
    assert client.post(url, {"reason": "Mine"}).status_code == 404

    # when: the licensor gives no reason
    client.force_login(editor_of(hoshi))
    client.post(url, {"reason": "  "})

    # then: nothing changed
    assert Grant.objects.get(pk=grant.pk).revoke_at is None
