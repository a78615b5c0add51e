"""The world the API is exercised in, and one recipe per operation: who calls it, on which
object, with what body, and what it answers.

tests/api/test_schema_walk.py calls every recipe once; tests/hostile/test_schemathesis.py
fuzzes every operation in the same world, taking its path parameters from the recipes.
RECIPES maps every operationId to one call."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import Follow
from licensing import services as licensing_services
from licensing.enums import GrantStatus, OfferStatus
from licensing.models import Character
from marketplace import services as marketplace_services
from marketplace.enums import ClaimStatus, DisputeStatus, WorkStatus
from marketplace.models import GenerationRequest, Work, WorkApproval
from payments import services as payments_services
from payments.models import ConnectedAccount, Payout, StripeEvent
from tests.builders import (
    claim_filed,
    dispute_opened,
    paid_out,
    pending_approval_work,
    pending_studio,
    storyline_opened,
    tip_settled,
    verified_studio,
    waiting_for_approval,
    waiting_for_payment,
)
from tests.factories import (
    PASSWORD,
    CharacterFactory,
    OfferFactory,
    UserFactory,
    WorkFactory,
    grant_for,
    publish_offer,
)
from tests.fakes.stripe_fake import FakeStripe
from tests.mfa import totp_activate
from tests.videos import clip

# --- the world every call runs in ---------------------------------------------------------


@dataclass
class World:
    """Everything the recipes need: people, and one object per state-changing call (so
    no call depends on the order of the others)."""

    users: dict[str, Any] = field(default_factory=dict)
    o: dict[str, Any] = field(default_factory=dict)  # objects by name
    stripe: FakeStripe | None = None

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["o"][name]
        except KeyError:
            raise AttributeError(name) from None


def build_world() -> World:
    """The people and objects every operation is called on."""
    w = World()
    # people: a verified studio's owner and manager, two creators
    org, (studio, manager) = verified_studio(roles=("owner", "manager"))
    creator, creator2 = UserFactory(), UserFactory()
    w.users = {"studio": studio, "manager": manager, "creator": creator, "creator2": creator2}
    w.o["org"] = org

    # characters and offers
    hoshi = CharacterFactory(owner_organization=org, name="Hoshi-chan")
    kuro = CharacterFactory(owner_organization=org, name="Kuro Neko")
    nami = CharacterFactory(owner_organization=org, name="Captain Nami")
    momo = CharacterFactory(owner_organization=org, name="Momo")
    yuki = CharacterFactory(owner_organization=org, name="Yuki")
    sora = CharacterFactory(owner_organization=org, name="Sora")
    grant = grant_for(hoshi, creator, commercial_use=True, rev_share_bps=1500)
    waiting = waiting_for_payment(kuro, creator2, fee=2500)
    w.o.update(
        hoshi=hoshi,
        nami=nami,
        grant=grant,
        offer=grant.offer,
        fee_offer=waiting.offer,
        waiting_for_payment=waiting,
        waiting_for_approval=waiting_for_approval(yuki, creator2),
        grant_to_end=grant_for(momo, creator),
        grant_to_revoke=grant_for(kuro, creator, grace_days=0),
        draft=OfferFactory(character=nami, status="draft", credit_text="Hoshi Studio"),
        draft_to_publish=OfferFactory(
            character=nami, status="draft", credit_text="Hoshi Studio", max_works=100
        ),
        published_for_new_version=publish_offer(nami),
        offer_to_end=publish_offer(sora, on_revoke="delist"),
    )

    # works: one published with revenue, a remix of it, one per claim, one to delete, one
    # awaiting approval
    work = WorkFactory(creator=creator, grants=[grant], title="Hoshi-chan dances")
    WorkFactory(creator=creator, grants=[grant], parent=work, title="Hoshi-chan dances again")
    works = {
        name: WorkFactory(creator=creator, grants=[grant], title=name)
        for name in ("to_dispute", "to_release", "to_resolve", "to_escalate", "to_claim", "gone")
    }
    w.o.update(work=work, work_to_claim=works["to_claim"], work_to_delete=works["gone"])
    w.o["generation"] = GenerationRequest.objects.get(pk=work.request_id)
    pending = pending_approval_work(
        creator=creator, grant=grant, character=hoshi, title="Waiting for Hoshi's studio"
    )
    w.o["approval"] = WorkApproval.objects.get(work=pending)

    # claims and disputes
    w.o["claim_to_dispute"] = claim_filed(works["to_dispute"], hoshi, studio)
    w.o["claim_to_release"] = claim_filed(works["to_release"], hoshi, studio, policy="block")
    w.o["dispute_to_resolve"] = dispute_opened(
        works["to_resolve"], hoshi, claimant=studio, reason="It is soda."
    )
    w.o["dispute_to_escalate"] = dispute_opened(
        works["to_escalate"], hoshi, claimant=studio, reason="It is juice."
    )

    # money: a tip settled, released from pending and paid out
    tip_settled(work, "pi_walk")
    (w.o["payout"],) = paid_out({"acct_walk": {"user": creator}})
    # and a creator whose tip is available, with a bank connected, to withdraw it
    earner = UserFactory()
    w.users["earner"] = earner
    tip_settled(
        WorkFactory(creator=earner, grants=[grant_for(hoshi, earner, commercial_use=True)]),
        "pi_walk_earner",
    )
    payments_services.ledger_release_pending(now=timezone.now() + timedelta(days=2))
    ConnectedAccount.objects.create(
        stripe_account_id="acct_walk_earner", payouts_enabled=True, user=earner
    )
    # staff, with an authenticator app (their token is issued with its code), and two
    # organizations waiting for review; another studio's character to report
    staff = UserFactory(is_staff=True, is_superuser=True)
    w.users["staff"] = staff
    w.o["staff_totp_secret"] = totp_activate(staff)
    w.o["org_to_verify"], _ = pending_studio(name="Walk Pending Studio")
    w.o["org_to_reject"], _ = pending_studio(name="Walk Doubtful Studio")
    w.o["rival"] = CharacterFactory(name="Rival Starlet")

    # comments on the published work by the second creator: one each to report, delete
    # and hide, and one screening held (for the studio to show)
    for name, body in (
        ("comment_to_report", "Lovely light"),
        ("comment_to_delete", "Oops, typo"),
        ("comment_to_hide", "Meh"),
        ("comment_held", "More at spam.example.com"),
    ):
        w.o[name] = marketplace_services.comment_create(work=work, author=creator2, body=body)

    # a likeness, its consent video waiting for staff, and a phrase for the next one
    person = UserFactory()
    w.users["person"] = person
    likeness = licensing_services.character_create(
        by=person, kind="likeness", name="Aiko Tanaka", likeness_attested=True
    )
    first = licensing_services.consent_challenge_issue(character=likeness, by=person)
    licensing_services.consent_video_submit(
        challenge_id=first.pk,
        character=likeness,
        by=person,
        file=SimpleUploadedFile("consent.webm", clip(), content_type="video/webm"),
    )
    w.o["likeness"] = likeness
    w.o["challenge"] = licensing_services.consent_challenge_issue(character=likeness, by=person)

    # a storyline of Hoshi-chan, under the offer the creator holds (its work a take:
    # one more work would give the feed a second page)
    w.o["storyline"] = storyline_opened(hoshi, offer=grant.offer)
    Work.objects.filter(pk=work.pk).update(storyline=w.storyline)
    return w


# --- recipes ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    actor: str | None  # a key of World.users; None is anonymous
    status: int
    params: dict[str, Callable[[World], Any]] = field(default_factory=dict)
    body: Callable[[World], Any] | None = None
    query: Callable[[World], dict[str, Any]] | dict[str, Any] = field(default_factory=dict)
    # then: a further check of the outcome, beyond the status and the schema
    then: Callable[[World, Any], None] | None = None
    format: str = "json"  # "multipart" for a file upload


def _id(name: str) -> Callable[[World], Any]:
    return lambda w: getattr(w, name).pk


def _field(name: str, expected: Any) -> Callable[[World, Any], None]:
    def check(w: World, response) -> None:
        assert response.json()[name] == expected, response.json()

    return check


def _then_followed_only(w: World, response) -> None:
    followed = {
        str(pk)
        for pk in Follow.objects.filter(follower=w.users["creator2"]).values_list(
            "followee_id", flat=True
        )
    }
    assert {card["creator_id"] for card in response.json()["results"]} <= followed


def _then_phrase(w: World, response) -> None:
    assert len(response.json()["phrase"].split()) == 6, response.json()


def _then_works_list(w: World, response) -> None:
    results = response.json()["results"]
    assert results
    assert {r["creator_id"] for r in results} == {str(w.users["creator"].pk)}
    assert {r["status"] for r in results} == {WorkStatus.PUBLISHED}
    assert all(str(w.hoshi.pk) in {lic["character"] for lic in r["licenses"]} for r in results)


def _then_payouts(w: World, response) -> None:
    assert [p["id"] for p in response.json()["results"]] == [str(w.payout.pk)]


def _then_withdrawn(w: World, response) -> None:
    [body] = response.json()
    payout = Payout.objects.get(pk=body["id"])
    assert (payout.connected_account.user, payout.status) == (w.users["earner"], "created")
    assert body["amount"] == payout.amount > 0


def _then_checkout(w: World, response) -> None:
    assert response.json()["status"] == GrantStatus.PENDING_PAYMENT
    assert response.json()["checkout_url"].startswith(w.stripe.base_url)


def _then_checkout_page(w: World, response) -> None:
    assert response.json()["url"].startswith(w.stripe.base_url), response.json()


def _then_webhook(w: World, response) -> None:
    assert response.content == b"ok"
    assert StripeEvent.objects.filter(pk="evt_schema_walk").exists()


RECIPES: dict[str, Call] = {
    # accounts
    "v1_auth_token_create": Call(
        None, 200, body=lambda w: {"email": w.users["creator"].email, "password": PASSWORD}
    ),
    "v1_me_retrieve": Call("creator", 200),
    "v1_ping_retrieve": Call(None, 200),
    # catalog and characters
    "v1_characters_list": Call(None, 200, query={"kind": "character", "commercial": "true"}),
    "v1_characters_retrieve": Call(None, 200, params={"id": _id("hoshi")}),
    "v1_characters_create": Call(
        "studio",
        201,
        body=lambda w: {
            "organization": w.org.slug,
            "name": "Shiro",
            "aliases": [{"text": "しろ", "mode": "normal"}],
            "franchise": "Star Diary",
        },
        then=lambda w, r: Character.objects.get(pk=r.json()["id"]),
    ),
    # a likeness's consent video
    "v1_characters_consent_challenge_create": Call(
        "person",
        201,
        params={"id": _id("likeness")},
        then=_then_phrase,
    ),
    "v1_characters_consent_retrieve": Call(
        "person", 200, params={"id": _id("likeness")}, then=_field("status", "pending")
    ),
    "v1_characters_consent_create": Call(
        "person",
        201,
        params={"id": _id("likeness")},
        body=lambda w: {
            "challenge_id": str(w.challenge.pk),
            "video": SimpleUploadedFile("consent.webm", clip(), content_type="video/webm"),
        },
        format="multipart",
        then=_field("status", "pending"),
    ),
    "v1_characters_partial_update": Call(
        "studio",
        200,
        params={"id": _id("nami")},
        body=lambda w: {"description": "Captain of the Blue Gull", "disallowed": False},
    ),
    # offers
    "v1_characters_offers_create": Call(
        "studio",
        201,
        params={"id": _id("hoshi")},
        body=lambda w: {"preset": "commercial_remix", "terms": {"credit_text": "Hoshi Studio"}},
    ),
    "v1_offers_retrieve": Call(None, 200, params={"id": _id("offer")}),
    "v1_offers_odrl_retrieve": Call(None, 200, params={"id": _id("offer")}),
    "v1_offers_partial_update": Call(
        "manager",
        200,
        params={"id": _id("draft")},
        body=lambda w: {"title": "Fan videos", "terms": {"credit_text": "Hoshi Studio"}},
    ),
    "v1_offers_publish_create": Call(
        "studio",
        200,
        params={"id": _id("draft_to_publish")},
        then=_field("status", OfferStatus.PUBLISHED),
    ),
    "v1_offers_new_version_create": Call(
        "studio", 201, params={"id": _id("published_for_new_version")}
    ),
    "v1_offers_end_create": Call("studio", 200, params={"id": _id("offer_to_end")}),
    "v1_offers_accept_create": Call(
        "creator",
        201,
        params={"id": _id("fee_offer")},
        body=lambda w: {"max_fee": 2500, "max_rev_share_bps": 0},
        then=_then_checkout,
    ),
    # grants
    "v1_grants_list": Call("creator", 200, query={"status": "active"}),
    "v1_grants_retrieve": Call("creator", 200, params={"id": _id("grant")}),
    "v1_grants_odrl_retrieve": Call("creator", 200, params={"id": _id("grant")}),
    "v1_grants_end_create": Call(
        "creator", 200, params={"id": _id("grant_to_end")}, body=lambda w: {"reason": "Done"}
    ),
    "v1_grants_revoke_create": Call(
        "manager",
        200,
        params={"id": _id("grant_to_revoke")},
        body=lambda w: {"reason": "Used against our terms"},
        then=_field("status", GrantStatus.REVOKED),
    ),
    "v1_grants_decide_create": Call(
        "manager",
        200,
        params={"id": _id("waiting_for_approval")},
        body=lambda w: {"decision": "approve"},
        then=_field("status", GrantStatus.ACTIVE),
    ),
    "v1_grants_checkout_create": Call(
        "creator2",
        200,
        params={"id": _id("waiting_for_payment")},
        then=_then_checkout_page,
    ),
    "v1_screen_create": Call(
        "creator",
        200,
        body=lambda w: {"prompt": "Hoshi-chan dances", "character_ids": [str(w.hoshi.pk)]},
        then=_field("allowed", True),
    ),
    # generation, works, feed, approvals
    "v1_generations_create": Call(
        "creator",
        202,
        body=lambda w: {
            "prompt": "Hoshi-chan dances in the snow",
            "character_ids": [str(w.hoshi.pk)],
            "parent_work_id": str(w.work.pk),
            "duration_s": 4,
        },
        then=lambda w, r: GenerationRequest.objects.get(pk=r.json()["id"], status="queued"),
    ),
    "v1_generations_list": Call("creator", 200),
    "v1_generations_retrieve": Call("creator", 200, params={"id": _id("generation")}),
    "v1_works_list": Call(
        None,
        200,
        query=lambda w: {"creator": w.users["creator"].pk, "character": w.hoshi.pk},
        then=_then_works_list,
    ),
    "v1_works_retrieve": Call(None, 200, params={"id": _id("work")}),
    "v1_works_destroy": Call(
        "creator",
        204,
        params={"id": _id("work_to_delete")},
        then=lambda w, r: Work.objects.get(pk=w.work_to_delete.pk, status=WorkStatus.DELETED),
    ),
    "v1_works_split_list": Call(None, 200, params={"id": _id("work")}),
    "v1_works_like_create": Call(
        "creator2", 200, params={"id": _id("work")}, then=_field("liked", True)
    ),
    "v1_works_like_destroy": Call(
        "creator2", 200, params={"id": _id("work")}, then=_field("liked", False)
    ),
    "v1_works_follow_create": Call(
        "creator2", 200, params={"id": _id("work")}, then=_field("following", True)
    ),
    "v1_works_follow_destroy": Call(
        "creator2", 200, params={"id": _id("work")}, then=_field("following", False)
    ),
    "v1_works_comments_retrieve": Call(None, 200, params={"id": _id("work")}),
    "v1_works_comments_create": Call(
        "creator2",
        201,
        params={"id": _id("work")},
        body=lambda w: {"body": "The rain looks real"},
        then=_field("status", "visible"),
    ),
    "v1_works_comments_destroy": Call(
        "creator2", 204, params={"id": _id("work"), "comment_pk": _id("comment_to_delete")}
    ),
    "v1_works_comments_report_create": Call(
        "creator",
        200,
        params={"id": _id("work"), "comment_pk": _id("comment_to_report")},
        body=lambda w: {"reason": "Rude"},
    ),
    "v1_works_comments_hide_create": Call(
        "studio",
        200,
        params={"id": _id("work"), "comment_pk": _id("comment_to_hide")},
        then=_field("status", "hidden"),
    ),
    "v1_works_comments_unhide_create": Call(
        "studio",
        200,
        params={"id": _id("work"), "comment_pk": _id("comment_held")},
        then=_field("status", "visible"),
    ),
    "v1_users_follow_create": Call(
        "creator2",
        200,
        params={"id": lambda w: w.users["creator"].pk},
        then=_field("following", True),
    ),
    "v1_users_follow_destroy": Call(
        "creator2",
        200,
        params={"id": lambda w: w.users["creator"].pk},
        then=_field("following", False),
    ),
    "v1_feed_retrieve": Call(None, 200),
    "v1_feed_following_retrieve": Call("creator2", 200, then=_then_followed_only),
    "v1_approvals_list": Call("studio", 200),
    "v1_approvals_decide_create": Call(
        "manager",
        200,
        params={"id": _id("approval")},
        body=lambda w: {"decision": "approve", "note": "Lovely"},
        then=lambda w, r: Work.objects.get(pk=w.approval.work_id, status=WorkStatus.PUBLISHED),
    ),
    # claims and disputes
    "v1_works_claims_create": Call(
        "studio",
        201,
        params={"id": _id("work_to_claim")},
        body=lambda w: {
            "character_id": str(w.hoshi.pk),
            "reason": "terms_breach",
            "evidence": "A beer at 0:02.",
            "policy": "monetize",
        },
    ),
    "v1_claims_list": Call("studio", 200, query={"role": "claimant"}),
    "v1_claims_dispute_create": Call(
        "creator",
        201,
        params={"id": _id("claim_to_dispute")},
        body=lambda w: {"reason": "It is a soda can."},
    ),
    "v1_claims_release_create": Call(
        "studio",
        200,
        params={"id": _id("claim_to_release")},
        then=_field("status", ClaimStatus.RELEASED),
    ),
    "v1_characters_conflict_reports_create": Call(
        "studio",
        201,
        params={"id": _id("rival")},
        body=lambda w: {
            "character_id": str(w.hoshi.pk),
            "reason": "A copy of Hoshi-chan under another name.",
        },
        then=_field("status", "open"),
    ),
    # organization verification, by staff
    "v1_organizations_verify_create": Call(
        "staff",
        200,
        params={"id": _id("org_to_verify")},
        then=_field("verification_status", "verified"),
    ),
    "v1_organizations_reject_create": Call(
        "staff",
        200,
        params={"id": _id("org_to_reject")},
        body=lambda w: {"reason": "The registration names another company."},
        then=_field("verification_status", "rejected"),
    ),
    "v1_disputes_resolve_create": Call(
        "studio",
        200,
        params={"id": _id("dispute_to_resolve")},
        body=lambda w: {"decision": "release", "note": "Fair enough"},
    ),
    "v1_disputes_escalate_create": Call(
        "creator",
        200,
        params={"id": _id("dispute_to_escalate")},
        then=_field("status", DisputeStatus.ESCALATED),
    ),
    # money
    "v1_balance_list": Call("creator", 200),
    "v1_ledger_list": Call("creator", 200, query={"currency": "usd"}),
    "v1_payouts_list": Call(
        "creator",
        200,
        then=_then_payouts,
    ),
    "v1_payouts_create": Call("earner", 201, then=_then_withdrawn),
    "v1_works_tips_create": Call(
        "creator2",
        201,
        params={"id": _id("work")},
        body=lambda w: {"amount": 500, "currency": "USD"},
        then=_then_checkout_page,
    ),
    "v1_wallet_retrieve": Call("creator", 200, then=_field("fees_from_earnings", False)),
    "v1_wallet_partial_update": Call(
        "creator2",
        200,
        body=lambda w: {"fees_from_earnings": True},
        then=_field("fees_from_earnings", True),
    ),
    "v1_wallet_top_ups_create": Call(
        "creator2",
        201,
        body=lambda w: {"amount": 2_000, "currency": "USD"},
        then=_then_checkout_page,
    ),
    "v1_webhooks_stripe_create": Call(None, 200, then=_then_webhook),
    # storylines
    "v1_storylines_list": Call(None, 200),
    "v1_storylines_create": Call(
        "studio",
        201,
        body=lambda w: {
            "title": "The night the stars fell, part two",
            "premise": "The stars fall again.",
            "cast": [{"character_id": str(w.hoshi.pk), "offer_id": str(w.offer.pk)}],
            "starts_at": timezone.now().isoformat(),
            "ends_at": (timezone.now() + timedelta(days=7)).isoformat(),
        },
        then=_field("status", "open"),
    ),
    "v1_storylines_takes_list": Call(None, 200, params={"id": _id("storyline")}),
}
