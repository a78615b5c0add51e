"""Every family of decisions records an audit event, in the stream of the rightsholder
it concerns (docs/compliance.md, "Audit trail"): one test per family, each through the
service that makes the decision."""

from datetime import timedelta

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from accounts import services as accounts_services
from core.audit import audit_verify
from core.models import AuditEvent
from core.money import Money
from licensing import services as licensing_services
from licensing.models import LikenessConsent, NameConflict, WatchlistEntry
from marketplace import services as marketplace_services
from payments import services as payments_services
from payments.enums import AccountKind
from tests.builders import (
    dispute_opened,
    paid_out,
    pending_approval_work,
    pending_studio,
    verified_studio,
    waiting_for_approval,
)
from tests.factories import (
    CharacterFactory,
    OfferFactory,
    UserFactory,
    WorkFactory,
    editor_of,
    fund_account,
    grant_for,
)

pytestmark = pytest.mark.django_db


def _org(character) -> str:
    return f"org:{character.owner_organization_id}"


def _actions(stream: str, prefix: str = "") -> list[str]:
    return list(
        AuditEvent.objects.filter(stream=stream, action__startswith=prefix)
        .order_by("seq")
        .values_list("action", flat=True)
    )


def test_a_policy_decision_is_in_each_rightsholders_stream_with_only_its_reasons():
    # given: two studios' characters, neither licensed
    kuro, shiro = CharacterFactory(name="Kuro Neko"), CharacterFactory(name="Shiro Inu")

    # when
    _, record = licensing_services.policy_screen(
        creator=UserFactory(), prompt="Kuro Neko chases Shiro Inu", character_ids=[]
    )

    # then: refused, once in each studio's stream, each naming only its own character
    assert not record.allowed
    for character in (kuro, shiro):
        [event] = AuditEvent.objects.filter(stream=_org(character), action="policy.refused")
        assert event.subject_id == str(record.pk)
        assert event.data["characters"] == [str(character.pk)]
        assert event.data["reasons"]
        assert {r.get("character_id") for r in event.data["reasons"]} <= {str(character.pk), None}


def test_a_decision_naming_no_rightsholder_is_in_the_platform_stream():
    _, record = licensing_services.policy_screen(
        creator=UserFactory(), prompt="a quiet lake", character_ids=[]
    )

    [event] = AuditEvent.objects.filter(subject_id=str(record.pk))
    assert (event.stream, event.action) == ("platform", "policy.allowed")


def test_licence_requests_record_approval_rejection_and_denial_by_deadline():
    # given
    character = CharacterFactory()
    licensor = editor_of(character)
    approved = waiting_for_approval(character, UserFactory())
    rejected = waiting_for_approval(character, UserFactory())
    expired = waiting_for_approval(character, UserFactory())

    # when
    licensing_services.grant_approve(grant=approved, by=licensor)
    licensing_services.grant_reject(grant=rejected, by=licensor, reason="Not our audience")
    licensing_services.grants_approval_expire(now=timezone.now() + timedelta(days=30))

    # then
    events = AuditEvent.objects.filter(stream=_org(character), action__startswith="grant.")
    by_grant = {(e.subject_id, e.action): e for e in events}
    assert by_grant[(str(approved.pk), "grant.active")].actor_id == licensor.pk
    assert by_grant[(str(rejected.pk), "grant.revoked")].reason == "Not our audience"
    denied = by_grant[(str(expired.pk), "grant.revoked")]
    assert denied.actor_label == "system"
    assert "did not decide in time" in denied.reason
    assert audit_verify()[1] == []


def test_offer_versions_published_and_ended_are_recorded():
    character = CharacterFactory()
    offer = OfferFactory(character=character)

    licensing_services.offer_end(offer=offer, by=editor_of(character))

    assert _actions(_org(character), "offer.") == ["offer.published", "offer.ended"]


def test_disallowing_a_character_is_recorded_by_its_owner_and_by_staff(staff):
    own, other = CharacterFactory(), CharacterFactory()

    licensing_services.character_update(character=own, by=editor_of(own), disallowed=True)
    licensing_services.characters_mark_disallowed(character_ids=[other.pk, own.pk], by=staff)

    assert _actions(_org(own), "character.") == ["character.disallowed"]
    [event] = AuditEvent.objects.filter(stream=_org(other), action="character.disallowed")
    assert event.actor_id == staff.pk


def test_watchlist_changes_are_recorded_in_the_platform_stream(staff):
    entry = licensing_services.watchlist_entry_save(by=staff, name="Totoro", note="Ghibli")
    licensing_services.watchlist_entries_set_active(ids=[entry.pk], active=False, by=staff)

    assert _actions("platform", "watchlist.") == ["watchlist.added", "watchlist.deactivated"]
    assert not WatchlistEntry.objects.get().active


def test_a_name_conflict_opened_and_decided_is_in_both_owners_streams(staff):
    # given: a second studio registers a name a verified studio holds
    holder = CharacterFactory(name="Sakura")
    organization, (owner,) = verified_studio(name="Later Studio")
    later = licensing_services.character_create(
        by=owner, name="Sakura", owner_organization=organization
    )

    # when
    licensing_services.name_conflict_decide(
        conflict=NameConflict.objects.get(), by=staff, allow=True, reason="A common name."
    )

    # then
    for stream in (_org(holder), _org(later)):
        assert _actions(stream, "name_conflict.") == [
            "name_conflict.opened",
            "name_conflict.allowed",
        ]


def test_a_likeness_verification_decision_is_in_the_persons_stream(staff):
    # given: a person's likeness whose consent video waits for staff
    person = UserFactory()
    likeness = licensing_services.character_create(
        by=person, kind="likeness", name="Aiko Tanaka", likeness_attested=True
    )
    challenge = licensing_services.consent_challenge_issue(character=likeness, by=person)
    consent = LikenessConsent.objects.create(
        character=likeness,
        challenge=challenge,
        video="consents/test.webm",
        content_type="video/webm",
        size_bytes=1,
        duration_s=3,
        width=64,
        height=64,
    )

    # when
    licensing_services.consent_reject(consent=consent, by=staff, reason="Too dark to see.")

    # then
    [event] = AuditEvent.objects.filter(stream=f"person:{person.pk}")
    assert (event.action, event.reason, event.actor_id) == (
        "likeness_verification.rejected",
        "Too dark to see.",
        staff.pk,
    )


def test_organization_verification_is_recorded(staff):
    organization, _ = pending_studio()

    accounts_services.organization_verify(organization=organization, by=staff)

    assert _actions(f"org:{organization.pk}") == ["organization.verified"]


def test_per_work_approvals_record_decisions_and_denial_by_deadline():
    # given: two videos waiting for the studio's review
    character = CharacterFactory()
    creator = UserFactory()
    grant = grant_for(character, creator, approval="per_work")
    denied = pending_approval_work(creator=creator, grant=grant, character=character, title="A")
    pending_approval_work(creator=creator, grant=grant, character=character, title="B")

    # when: one denied, the other left past its deadline
    marketplace_services.work_approval_decide(
        approval=denied.approvals.get(), by=editor_of(character), approve=False, note="Off brand"
    )
    marketplace_services.work_approvals_expire(now=timezone.now() + timedelta(days=5))

    # then
    events = list(
        AuditEvent.objects.filter(stream=_org(character), action__startswith="work_approval.")
    )
    assert [(e.action, e.actor_label != "beat") for e in events] == [
        ("work_approval.denied", True),
        ("work_approval.expired", False),
    ]
    assert events[0].reason == "Off brand"


def test_claims_and_disputes_record_each_step_with_the_resolution():
    # given
    organization, (owner,) = verified_studio()
    character = CharacterFactory(owner_organization=organization)
    creator = UserFactory()
    work = WorkFactory(creator=creator, grants=[grant_for(character, creator)])

    # when
    dispute = dispute_opened(work, character, claimant=owner, reason="Parody")
    marketplace_services.dispute_resolve(dispute=dispute, by=owner, uphold=False, note="Fair")

    # then
    assert [
        a for a in _actions(f"org:{organization.pk}") if a.startswith(("claim", "dispute"))
    ] == [
        "claim.active",
        "dispute.opened",
        "dispute.released",
    ]
    released = AuditEvent.objects.get(action="dispute.released")
    assert (released.reason, released.data["claim_status"]) == ("Fair", "released")


def test_payouts_are_recorded_in_the_payees_stream():
    creator = UserFactory()
    fund_account(creator, AccountKind.AVAILABLE, 5_000)

    [payout] = paid_out({"acct_audit": {"user": creator}})

    [event] = AuditEvent.objects.filter(stream=f"person:{creator.pk}", action="payout.created")
    assert (event.subject_id, event.data["amount"]) == (str(payout.pk), 5_000)


def test_a_staff_action_in_the_admin_is_recorded(staff_client, staff):
    # given: staff change an organization in the admin
    organization, _ = verified_studio(name="Admin Studio")

    # when
    LogEntry.objects.log_actions(
        user_id=staff.pk,
        queryset=[organization],
        action_flag=CHANGE,
        change_message=[{"changed": {"fields": ["Name"]}}],
        single_object=True,
    )

    # then
    [event] = AuditEvent.objects.filter(action="admin.changed")
    assert (event.stream, event.subject_type, event.subject_id, event.actor_id) == (
        "platform",
        ContentType.objects.get_for_model(organization).app_label + ".organization",
        str(organization.pk),
        staff.pk,
    )
    assert "Name" in event.reason


def test_a_licence_fee_refund_is_recorded_in_the_payers_stream():
    # given: a fee paid through Stripe for a licence request
    character = CharacterFactory()
    creator = UserFactory()
    grant = grant_for(character, creator)
    payments_services.revenue_event_record(
        kind="license_fee",
        source="stripe",
        external_id="pi_audit_refund",
        money=Money(2_000, "USD"),
        grant=grant,
        payer=creator,
    )

    # when
    [refund] = payments_services.licence_fees_refund(grant_id=grant.pk, reason="declined")
    payments_services.licence_fees_refund(grant_id=grant.pk, reason="declined")

    # then: once, however often it runs
    [event] = AuditEvent.objects.filter(stream=f"person:{creator.pk}", action="refund.due")
    assert (event.subject_id, event.data["amount"], event.reason) == (
        str(refund.pk),
        2_000,
        "declined",
    )
