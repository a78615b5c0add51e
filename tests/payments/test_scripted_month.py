"""The scripted month (issue 16): thirty simulated days of a small marketplace, with
every money flow it has, through the same doors people use (the web pages, the API, the
Stripe fake's Checkout and webhooks, the pipeline's steps, a real worker SIGKILLed
mid-render), and at the end the checks that the money adds up:

- no person's or organization's account below zero;
- the ledger sums to zero in every currency;
- each user's and organization's balance, per (kind, currency), equals the sum of their
  statement, and is what the earnings page and the API show;
- every fee hold captured (its video published) or released (it was not), none held;
- no revenue event settled twice, nothing still pending once the hold has passed, the
  escrow empty once every dispute is settled;
- every Stripe idempotency key used for one request only (a retry repeats it exactly).

The script is deterministic (``SEED``): which fan tips what, how much, and who tops up
are drawn from one seeded generator. Time moves by the services' ``now=`` parameters:
the end of each simulated day is a mark on the real clock, and releasing pending money
on day d passes the ``now`` that makes day d-2's mark the cutoff (a 48-hour hold)."""

from __future__ import annotations

import random
import re
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Organization, User
from config.celery import app as celery_app
from core.money import Money, format_minor
from licensing import services as licensing_services
from marketplace import services as marketplace_services
from marketplace.models import GenerationRequest, Work, WorkApproval
from payments import selectors, services
from payments.enums import PARTY_KINDS, AccountKind
from payments.models import (
    CheckoutSession,
    ConnectedAccount,
    FeeHold,
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    Payout,
    RevenueEvent,
)
from payments.services.imports import revenue_import_csv
from payments.stripe_gateway import StripeGateway
from tests.builders import verified_studio
from tests.factories import UserFactory, likeness_approved, proven_likeness, publish_offer
from tests.faults.conftest import (  # noqa: F401 (fixtures)
    assert_generated_exactly_once,
    fault_media_root,
    fault_workers,
    faults,
    private_redis,
    wait_for_status,
    works_on_disk,
)
from tests.marketplace.conftest import with_image

pytestmark = [pytest.mark.slow, pytest.mark.postgresql, pytest.mark.redis]

SEED = 16
DAYS = 30
HOLD_HOURS = 48
FANS = 5


@dataclass
class Cast:
    hoshi_studio: Organization
    moonlit: Organization
    hoshi_owner: User
    moonlit_owner: User
    aiko: User
    mika: User
    jun: User
    priya: User
    leo: User  # a creator who never tops up
    fans: list[User]
    characters: dict = field(default_factory=dict)

    def people(self) -> list[User]:
        return [
            self.hoshi_owner,
            self.moonlit_owner,
            self.aiko,
            self.mika,
            self.jun,
            self.priya,
            self.leo,
            *self.fans,
        ]

    def organizations(self) -> list[Organization]:
        return [self.hoshi_studio, self.moonlit]

    def owner_of(self, organization: Organization) -> User:
        return self.hoshi_owner if organization == self.hoshi_studio else self.moonlit_owner


class Month:
    """The script's hands: each method does one thing a person (or Stripe, or beat)
    does, through the door they use, and counts it."""

    def __init__(self, *, client, fake, workers, media_root, cast: Cast):
        self.client, self.fake, self.faults, self.media_root = client, fake, workers, media_root
        self.cast = cast
        self.rng = random.Random(SEED)
        self.tally: Counter[str] = Counter()
        self.marks: dict[int, datetime] = {}
        self.day = 0
        self.works: dict[str, Work] = {}

    # --- time ---------------------------------------------------------------------------

    def release_pending(self, day: int) -> int:
        """Beat's release on ``day``: what was settled up to the end of day - 2 (the
        48-hour hold) moves from pending to available."""
        mark = self.marks.get(day - HOLD_HOURS // 24)
        if mark is None:
            return 0
        released = services.ledger_release_pending(now=mark + timedelta(hours=HOLD_HOURS))
        self.tally["pending releases"] += released
        return released

    def now(self, day: int) -> datetime:
        """The simulated clock on ``day`` (its start), for services taking ``now=``."""
        return self.marks[0] + timedelta(days=day)

    # --- people ---------------------------------------------------------------------------

    def api(self, user) -> APIClient:
        api = APIClient()
        api.force_authenticate(user)
        return api

    def top_up(self, user, amount: int, currency: str = "USD", *, replays: int = 0):
        self.client.force_login(user)
        response = self.client.post(
            reverse("payments:wallet_top_up"), {"amount": str(amount), "currency": currency}
        )
        session = CheckoutSession.objects.filter(payer=user, purpose="wallet_top_up").latest(
            "created_at"
        )
        assert response.status_code == 302 and response["Location"] == session.url
        [completed] = self.fake.complete_checkout(session.stripe_session_id)
        if replays:
            self.fake.deliver(completed["id"], times=replays)
            self.tally["webhooks replayed"] += replays
        session.refresh_from_db()
        assert session.status == "complete"
        self.tally["top-ups"] += 1
        return session

    def licence(self, creator, offer, *, replays: int = 0):
        """Accept an offer; pay its upfront fee through Checkout when it has one."""
        terms = offer.parsed_terms
        grant = licensing_services.grant_accept(
            offer=offer,
            by=creator,
            max_fee=terms.upfront_fee,
            max_rev_share_bps=terms.rev_share_bps,
            max_generation_fee=terms.per_generation_fee,
        )
        self.tally["licences accepted"] += 1
        if not terms.upfront_fee:
            return grant
        self.client.force_login(creator)
        self.client.post(reverse("payments:grant_pay", args=[grant.pk]))
        session = CheckoutSession.objects.get(grant=grant)
        [completed] = self.fake.complete_checkout(session.stripe_session_id)
        if replays:
            self.fake.deliver(completed["id"], times=replays)
            self.tally["webhooks replayed"] += replays
        self.tally["licence fees paid"] += 1
        grant.refresh_from_db()
        return grant

    def generate(self, creator, characters, prompt: str, *, expect: str, name: str = ""):
        """Ask for a video over the API; the pipeline's tasks run eagerly, in process
        (check, render with the local backend, sign, route)."""
        response = self.api(creator).post(
            "/api/v1/generations/",
            {
                "prompt": prompt,
                "character_ids": [str(c.pk) for c in characters],
                "duration_s": 4,
                "backend": "local",
            },
            format="json",
        )
        if expect == "402":
            assert response.status_code == 402, response.content
            assert response.json()["code"] == "insufficient_funds"
            self.tally["generations refused for want of funds (402)"] += 1
            return None
        assert response.status_code == 202, response.content
        request = GenerationRequest.objects.get(pk=response.json()["id"])
        assert request.status == expect, (request.status, request.reason)
        self.tally[f"generations {expect}"] += 1
        if request.status in ("published", "awaiting_approval"):
            work = Work.objects.get(request=request)
            self.works[name or prompt] = work
        return request

    def generate_through_a_killed_worker(self, creator, characters, prompt: str, *, name: str):
        """A request sent to a real worker on the broker, which is SIGKILLed while it
        renders; a fresh worker finishes it."""
        victim = self.faults.live()
        before = works_on_disk(self.media_root)
        celery_app.conf.task_always_eager = False
        try:
            response = self.api(creator).post(
                "/api/v1/generations/",
                {
                    "prompt": prompt,
                    "character_ids": [str(c.pk) for c in characters],
                    "duration_s": 4,
                    "backend": "local",
                },
                format="json",
            )
        finally:
            celery_app.conf.task_always_eager = True
        assert response.status_code == 202, response.content
        request_id = response.json()["id"]
        wait_for_status(request_id, {"rendering"}, worker=victim)
        while GenerationRequest.objects.get(pk=request_id).progress <= 10:
            assert victim.alive(), victim.log()[-4000:]
            time.sleep(0.02)  # polling the worker, not moving the script's clock
        victim.kill()
        self.tally["workers SIGKILLed mid-render"] += 1
        replacement = self.faults.fresh()
        request = wait_for_status(
            request_id, {"published", "failed", "refused"}, worker=replacement
        )
        work = assert_generated_exactly_once(
            request, media_root=self.media_root, works_before=before
        )
        assert request.render_attempts == 2
        self.faults.stop()
        self.tally["generations published"] += 1
        self.works[name] = work
        return work

    def decide(self, work, *, approve: bool):
        approval = WorkApproval.objects.get(work=work)
        response = self.api(self.cast.aiko).post(
            f"/api/v1/approvals/{approval.pk}/decide/",
            {"decision": "approve" if approve else "deny", "note": "" if approve else "No."},
            format="json",
        )
        assert response.status_code == 200, response.content
        self.tally["approvals approved" if approve else "approvals denied"] += 1
        return GenerationRequest.objects.get(pk=work.request_id)

    def claim_and_dispute(self, work, character, claimant, policy: str):
        claim = marketplace_services.claim_file(
            work=work,
            character=character,
            by=claimant,
            reason="terms_breach",
            evidence="Off model at 0:02.",
            policy=policy,
        )
        self.tally["claims filed"] += 1
        dispute = marketplace_services.dispute_open(
            claim=claim, by=work.creator, reason="It is on model."
        )
        self.tally["disputes opened"] += 1
        return dispute

    def tip(self, fan, work, amount: int, currency: str = "USD"):
        self.client.force_login(fan)
        response = self.client.post(
            reverse("payments:tip", args=[work.pk]),
            {"amount": str(amount), "currency": currency},
        )
        if not work.commercial:
            assert response.status_code == 409
            assert "so it takes no tips" in response.content.decode()
            self.tally["tips refused (non-commercial)"] += 1
            return None
        assert response.status_code == 302, response.content
        session = CheckoutSession.objects.filter(work=work, payer=fan).latest("created_at")
        self.fake.complete_checkout(session.stripe_session_id)
        session.refresh_from_db()
        self.tally["tips"] += 1
        return session

    def random_tips(self):
        """Zero to two tips today, from random fans to random commercial works."""
        # in the order the script made them (their ids are random, so never by id)
        commercial = [w for w in self.works.values() if _published(w) and w.commercial]
        for _ in range(self.rng.randint(0, 2)):
            if not commercial:
                return
            work = self.rng.choice(commercial)
            fan = self.rng.choice(self.cast.fans)
            currency = self.rng.choice(["USD", "USD", "USD", "EUR"])
            self.tip(fan, work, self.rng.randrange(100, 2_500, 50), currency)

    def import_ads(self, rows: list[tuple[str, Work, int, str]], *, refused: int):
        lines = ["external_id,work_id,amount,currency,occurred_at"]
        lines += [
            f"{ext},{work.pk},{amount},{currency},{self.now(self.day).date().isoformat()}"
            for ext, work, amount, currency in rows
        ]
        report = revenue_import_csv(text="\n".join(lines) + "\n")
        assert report.errors == [], report.errors
        assert len(report.refused) == refused, report.refused
        self.tally["ad revenue lines imported"] += report.imported
        self.tally["ad revenue lines refused (non-commercial)"] += len(report.refused)
        self.tally["ad revenue lines already imported"] += report.already
        return report

    def connect(self, user, organization=None):
        self.client.force_login(user)
        data = {"country": "US", **({"org": organization.slug} if organization else {})}
        self.client.post(reverse("payments:connect"), data)
        connected = ConnectedAccount.objects.get(
            **({"organization": organization} if organization else {"user": user})
        )
        self.fake.onboard_account(connected.stripe_account_id)
        connected.refresh_from_db()
        assert connected.payouts_enabled
        self.tally["bank accounts connected"] += 1
        return connected

    def withdraw(self, user, organization=None) -> list[Payout]:
        path = "/api/v1/payouts/" + (f"?organization={organization.slug}" if organization else "")
        response = self.api(user).post(path, format="json")
        assert response.status_code == 201, response.content
        self.fake.wait_for_deliveries()
        payouts = [Payout.objects.get(pk=body["id"]) for body in response.json()]
        assert all(p.status == "paid" for p in payouts), [
            (p.status, p.failure_reason) for p in payouts
        ]
        self.tally["withdrawals paid"] += len(payouts)
        return payouts

    def payout_run(self):
        """Beat's hourly payout run."""
        made = services.payouts_run(gateway=StripeGateway.from_settings())
        self.fake.wait_for_deliveries()
        self.tally["payouts by the hourly run"] += len(made)
        return made

    def refund(self, session: CheckoutSession, what: str):
        """Refunded from Stripe's Dashboard: ``charge.refunded`` comes back."""
        session.refresh_from_db()
        self.fake.refund_charge(session.payment_intent_id)
        self.fake.wait_for_deliveries()
        session.refresh_from_db()
        assert session.status == "refunded"
        self.tally[f"refunds of a {what}"] += 1

    def chargeback(self, session: CheckoutSession):
        session.refresh_from_db()
        charge = self.fake.payment_intents[session.payment_intent_id]["latest_charge"]
        self.fake.dispute_charge(charge)
        self.fake.wait_for_deliveries()
        self.tally["chargebacks"] += 1

    def end_of_day(self):
        self.marks[self.day] = timezone.now()


def _published(work: Work) -> bool:
    work.refresh_from_db()
    return work.status == "published"


def _cast() -> Cast:
    hoshi_studio, [hoshi_owner] = verified_studio(name="Hoshi Studio", slug="hoshi-studio")
    moonlit, [moonlit_owner] = verified_studio(name="Moonlit Works", slug="moonlit-works")
    aiko = UserFactory(display_name="Aiko Tanaka")
    cast = Cast(
        hoshi_studio=hoshi_studio,
        moonlit=moonlit,
        hoshi_owner=hoshi_owner,
        moonlit_owner=moonlit_owner,
        aiko=aiko,
        mika=UserFactory(display_name="Mika Ito"),
        jun=UserFactory(display_name="Jun Park"),
        priya=UserFactory(display_name="Priya Nair"),
        leo=UserFactory(display_name="Leo Martins"),
        fans=[UserFactory(display_name=f"Fan {n}") for n in range(FANS)],
    )

    def studio_character(organization, owner, name, colour, **terms):
        character = licensing_services.character_create(
            by=owner, name=name, owner_organization=organization
        )
        with_image(character, colour)
        offer = publish_offer(character, **terms)
        cast.characters[name] = (character, offer)

    studio_character(
        hoshi_studio,
        hoshi_owner,
        "Hoshi-chan",
        (255, 120, 180),
        commercial_use=True,
        per_generation_fee=300,
        rev_share_bps=1_500,
    )
    studio_character(
        hoshi_studio,
        hoshi_owner,
        "Kuro Neko",
        (40, 40, 40),
        per_generation_fee=50,
        banned_words=["storm"],
    )
    studio_character(
        hoshi_studio,
        hoshi_owner,
        "Captain Nami",
        (0, 90, 200),
        commercial_use=True,
        per_generation_fee=120,
    )
    studio_character(
        moonlit,
        moonlit_owner,
        "Pip-9",
        (200, 200, 0),
        commercial_use=True,
        currency="EUR",
        upfront_fee=2_000,
        per_generation_fee=100,
        rev_share_bps=1_000,
    )
    studio_character(
        moonlit,
        moonlit_owner,
        "Sir Bramble",
        (0, 140, 60),
        upfront_fee=1_500,
        approval="per_licensee",
    )
    likeness = proven_likeness(aiko, "Aiko Tanaka")
    with_image(likeness, (0, 200, 255))
    likeness = likeness_approved(likeness)  # the image sent it back to review
    offer = publish_offer(
        likeness,
        audience="approved",
        approval="per_work",
        approval_deadline_hours=24,
        commercial_use=True,
        per_generation_fee=200,
    )
    cast.characters["Aiko Tanaka"] = (likeness, offer)
    return cast


# --- the month ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_scripted_month_ends_with_every_balance_true(client, fake_stripe, settings, request):
    # The fault tests' real workers on their private Redis (fixtures imported above).
    workers = request.getfixturevalue("faults")
    media_root = request.getfixturevalue("fault_media_root")
    started = time.monotonic()
    settings.PENDING_HOLD_HOURS = HOLD_HOURS
    cast = _cast()
    month = Month(
        client=client, fake=fake_stripe, workers=workers, media_root=media_root, cast=cast
    )
    ch = {name: character for name, (character, _) in cast.characters.items()}
    offer = {name: offer for name, (_, offer) in cast.characters.items()}
    mika, jun, priya, leo, aiko = cast.mika, cast.jun, cast.priya, cast.leo, cast.aiko
    fans = cast.fans
    sessions: dict[str, CheckoutSession] = {}
    month.end_of_day()  # day 0: the marketplace as it opens

    def day(n: int) -> None:
        month.day = n
        month.release_pending(n)

    # day 1: licences (one paid in EUR through Checkout, its webhook replayed), top-ups
    day(1)
    for creator in (mika, jun, priya, leo):
        month.licence(creator, offer["Hoshi-chan"])
    for creator in (mika, jun):
        month.licence(creator, offer["Kuro Neko"])
    month.licence(mika, offer["Captain Nami"])
    month.licence(jun, offer["Pip-9"], replays=2)
    for creator in (mika, priya):
        grant = month.licence(creator, offer["Aiko Tanaka"])
        licensing_services.grant_approve(grant=grant, by=aiko)
    sessions["mika top-up"] = month.top_up(mika, 2_000, replays=2)
    month.top_up(jun, 1_500)
    month.top_up(jun, 1_000, "EUR")
    month.top_up(priya, 500)
    services.wallet_settings_set(user=priya, fees_from_earnings=True)
    month.end_of_day()

    # day 2: the first videos
    day(2)
    month.generate(
        mika, [ch["Hoshi-chan"]], "Hoshi-chan waves from a lighthouse", expect="published",
        name="lighthouse",
    )  # fmt: skip
    month.generate(
        mika, [ch["Kuro Neko"]], "Kuro Neko naps on a windowsill", expect="published",
        name="windowsill",
    )  # fmt: skip
    month.generate(leo, [ch["Hoshi-chan"]], "Hoshi-chan juggles", expect="402")
    month.end_of_day()

    # day 3: a remix of two studios' characters (fees in two currencies), a refusal by the
    # terms, and Priya pays for a licence Moonlit must approve
    day(3)
    month.generate(
        jun, [ch["Hoshi-chan"], ch["Pip-9"]], "Hoshi-chan races Pip-9 across the bay",
        expect="published", name="race",
    )  # fmt: skip
    refused = month.generate(
        mika, [ch["Kuro Neko"]], "Kuro Neko dances in a storm", expect="refused"
    )
    assert refused.reasons[0]["term"] == "banned_words"
    bramble = month.licence(priya, offer["Sir Bramble"], replays=1)
    assert bramble.status == "pending_approval"
    month.random_tips()
    month.end_of_day()

    # day 4: Moonlit declines Priya's request (the fee goes back), Priya's likeness video
    # waits for Aiko
    day(4)
    licensing_services.grant_reject(grant=bramble, by=cast.moonlit_owner, reason="Not this year")
    fake_stripe.wait_for_deliveries()
    month.tally["licence requests declined (fee refunded)"] += 1
    assert RevenueEvent.objects.get(grant=bramble).status == "refunded"
    month.generate(
        priya, [ch["Aiko Tanaka"]], "Aiko Tanaka waves hello", expect="awaiting_approval",
        name="aiko waves",
    )  # fmt: skip
    month.generate(
        priya, [ch["Aiko Tanaka"]], "Aiko Tanaka reads a long novel",
        expect="awaiting_approval", name="aiko reads",
    )  # fmt: skip
    month.random_tips()
    month.end_of_day()

    # day 5: Aiko approves one and denies the other
    day(5)
    assert month.decide(month.works["aiko waves"], approve=True).status == "published"
    assert month.decide(month.works["aiko reads"], approve=False).status == "refused"
    month.tip(fans[0], month.works["windowsill"], 500)  # refused: not commercial
    month.random_tips()
    month.end_of_day()

    # day 6: a render that fails (Captain Nami's stored reference image is damaged)
    day(6)
    image = ch["Captain Nami"].images.first().image
    with image.storage.open(image.name, "wb") as damaged:
        damaged.write(b"not an image any more")
    failed = month.generate(
        mika, [ch["Captain Nami"]], "Captain Nami steers through fog", expect="failed"
    )
    assert "could not be read" in failed.reason
    month.random_tips()
    month.end_of_day()

    # day 7: a worker is SIGKILLed mid-render; a fresh one publishes it once
    day(7)
    month.generate_through_a_killed_worker(
        jun, [ch["Hoshi-chan"]], "Hoshi-chan runs a marathon", name="marathon"
    )
    month.random_tips()
    month.end_of_day()

    # day 8: banks connected (Mika, both studios)
    day(8)
    month.connect(mika)
    month.connect(cast.hoshi_owner, cast.hoshi_studio)
    month.connect(cast.moonlit_owner, cast.moonlit)
    sessions["lighthouse tip"] = month.tip(fans[0], month.works["lighthouse"], 2_000)
    month.random_tips()
    month.end_of_day()

    # day 9: more videos; one more is refused for want of funds
    day(9)
    month.generate(
        mika, [ch["Hoshi-chan"]], "Hoshi-chan sails a paper boat", expect="published",
        name="paper boat",
    )  # fmt: skip
    month.generate(leo, [ch["Hoshi-chan"]], "Hoshi-chan bakes bread", expect="402")
    month.random_tips()
    month.end_of_day()

    # day 10: Hoshi Studio claims the paper boat (monetize) and Moonlit the race (track);
    # both creators dispute
    day(10)
    boat, race = month.works["paper boat"], month.works["race"]
    boat_dispute = month.claim_and_dispute(boat, ch["Hoshi-chan"], cast.hoshi_owner, "monetize")
    race_dispute = month.claim_and_dispute(race, ch["Pip-9"], cast.moonlit_owner, "track")
    month.end_of_day()

    # days 11-13: tips land on the disputed videos (escrow), and elsewhere
    for n in (11, 12, 13):
        day(n)
        month.tip(fans[n % FANS], boat, 700 + 100 * n)
        month.tip(fans[(n + 1) % FANS], race, 300 + 100 * n, "EUR" if n == 12 else "USD")
        month.random_tips()
        if n == 12:
            # Mika and Hoshi Studio withdraw, then the lighthouse tip (in both payouts)
            # is refunded: what they no longer hold is clawed back from the transfers
            month.withdraw(mika)
            month.withdraw(cast.hoshi_owner, cast.hoshi_studio)
            reversals = len(fake_stripe.transfer_reversals)
            month.refund(sessions["lighthouse tip"], "tip after its payout")
            assert len(fake_stripe.transfer_reversals) == reversals + 2
            month.generate(
                jun, [ch["Kuro Neko"], ch["Hoshi-chan"]], "Kuro Neko chases Hoshi-chan",
                expect="published", name="chase",
            )  # fmt: skip
        month.end_of_day()

    # day 14: ad revenue for the fortnight (the non-commercial video's line refused);
    # beat's payout run; a likeness video waits for Aiko, who does not answer
    day(14)
    month.import_ads(
        [
            ("ads-w2-lighthouse", month.works["lighthouse"], 1_250, "USD"),
            ("ads-w2-windowsill", month.works["windowsill"], 800, "USD"),
            ("ads-w2-race", race, 2_100, "USD"),
            ("ads-w2-marathon", month.works["marathon"], 900, "USD"),
            ("ads-w2-boat", boat, 1_500, "USD"),
            ("ads-w2-aiko", month.works["aiko waves"], 640, "EUR"),
        ],
        refused=1,
    )
    month.payout_run()
    month.generate(
        mika, [ch["Aiko Tanaka"]], "Aiko Tanaka sings on a rooftop", expect="awaiting_approval",
        name="aiko sings",
    )  # fmt: skip
    month.random_tips()
    month.end_of_day()

    day(15)
    month.random_tips()
    month.end_of_day()

    # day 16: Aiko's review deadline (24 hours) has passed: beat denies the video
    day(16)
    assert marketplace_services.work_approvals_expire(now=timezone.now() + timedelta(hours=25)) == 1
    month.tally["approvals expired (denied)"] += 1
    assert GenerationRequest.objects.get(pk=month.works["aiko sings"].request_id).status == (
        "refused"
    )
    # Hoshi Studio upholds its claim: the boat's escrow goes to the studio
    marketplace_services.dispute_resolve(dispute=boat_dispute, by=cast.hoshi_owner, uphold=True)
    month.tally["disputes upheld"] += 1
    month.random_tips()
    month.end_of_day()

    day(17)
    month.random_tips()
    month.end_of_day()

    # day 18: Moonlit releases its claim: the race's escrow goes to its recipients
    day(18)
    marketplace_services.dispute_resolve(dispute=race_dispute, by=cast.moonlit_owner, uphold=False)
    month.tally["disputes released"] += 1
    month.random_tips()
    month.end_of_day()

    day(19)
    month.random_tips()
    month.end_of_day()

    # day 20: Jun's USD top-up is refunded after he spent part of it
    day(20)
    jun_top_up = CheckoutSession.objects.get(payer=jun, purpose="wallet_top_up", currency="USD")
    month.refund(jun_top_up, "top-up")
    month.random_tips()
    month.end_of_day()

    # day 21: beat's payout run; more videos
    day(21)
    month.payout_run()
    month.generate(
        priya, [ch["Hoshi-chan"]], "Hoshi-chan plants a garden", expect="published",
        name="garden",
    )  # fmt: skip
    month.random_tips()
    month.end_of_day()

    day(22)
    month.random_tips()
    month.end_of_day()

    # days 23-27: ordinary days
    for n in range(23, 28):
        day(n)
        if n == 24:
            marathon_tip = month.tip(fans[3], month.works["marathon"], 1_200)
            month.chargeback(marathon_tip)
            month.connect(jun)
        if n == 25:
            month.withdraw(jun)
        if n == 26:
            month.top_up(priya, 1_000, replays=1)
            month.generate(
                priya, [ch["Aiko Tanaka"], ch["Hoshi-chan"]], "Aiko Tanaka and Hoshi-chan wave",
                expect="awaiting_approval", name="duo",
            )  # fmt: skip
        if n == 27:
            assert month.decide(month.works["duo"], approve=True).status == "published"
        month.random_tips()
        month.end_of_day()

    # day 28: beat's payout run; the month's second ad import (one line already imported)
    day(28)
    month.payout_run()
    month.import_ads(
        [
            ("ads-w2-lighthouse", month.works["lighthouse"], 1_250, "USD"),
            ("ads-w4-lighthouse", month.works["lighthouse"], 990, "USD"),
            ("ads-w4-windowsill", month.works["windowsill"], 300, "USD"),
            ("ads-w4-garden", month.works["garden"], 450, "USD"),
            ("ads-w4-race", race, 1_100, "EUR"),
            ("ads-w4-chase", month.works["chase"], 700, "USD"),
        ],
        refused=2,  # the windowsill, and the chase: Kuro Neko's licence is not commercial
    )
    month.end_of_day()

    for n in (29, 30):
        day(n)
        month.random_tips()
        month.end_of_day()

    # after the month: every webhook Stripe ever sent is delivered once more
    before = LedgerTransaction.objects.count()
    for event in list(fake_stripe.events):
        fake_stripe.deliver(event["id"])
    month.tally["webhooks replayed"] += len(fake_stripe.events)
    assert LedgerTransaction.objects.count() == before

    # and the hold on the last days' revenue passes
    day(DAYS + 2)
    elapsed = time.monotonic() - started

    _assert_the_money_adds_up(month)
    _print_summary(month, elapsed)


# --- the checks -----------------------------------------------------------------------------


def _owners(cast: Cast) -> list:
    return [*cast.people(), *cast.organizations()]


def _statement_sums(owner) -> dict[tuple[str, str], int]:
    sums: dict[tuple[str, str], int] = defaultdict(int)
    rows = (
        selectors.statement(owner=owner)
        .values("account__kind", "account__currency")
        .annotate(total=Sum("amount"))
    )
    for row in rows:
        sums[(row["account__kind"], row["account__currency"])] += row["total"]
    return dict(sums)


STAT = re.compile(
    r'<p class="stat-value" data-balance="(?P<kind>\w+)" data-currency="(?P<currency>[A-Z]{3})">'
    r"(?P<shown>[^<]*)</p>"
)
WALLET = re.compile(r'data-(?P<what>wallet|held)="(?P<currency>[A-Z]{3})">(?P<shown>[^<]*)<')


def _page(client, cast: Cast, owner) -> str:
    if isinstance(owner, Organization):
        client.force_login(cast.owner_of(owner))
        response = client.get(reverse("payments:earnings"), {"org": owner.slug})
    else:
        client.force_login(owner)
        response = client.get(reverse("payments:earnings"))
    assert response.status_code == 200
    return response.content.decode()


def _api_balances(cast: Cast, owner) -> tuple[dict, dict]:
    api = APIClient()
    if isinstance(owner, Organization):
        api.force_authenticate(cast.owner_of(owner))
        balance = api.get("/api/v1/balance/", {"organization": owner.slug})
        wallet = None
    else:
        api.force_authenticate(owner)
        balance = api.get("/api/v1/balance/")
        wallet = api.get("/api/v1/wallet/")
    assert balance.status_code == 200
    by_key = {(row["kind"], row["currency"]): row["amount"] for row in balance.json()}
    lines = {}
    if wallet is not None:
        assert wallet.status_code == 200
        lines = {row["currency"]: row for row in wallet.json()["balances"]}
    return by_key, lines


def _assert_the_money_adds_up(month: Month) -> None:
    cast, client, fake = month.cast, month.client, month.fake

    # no person's or organization's account below zero
    for account in LedgerAccount.objects.filter(kind__in=PARTY_KINDS):
        assert services.balance(account=account).amount >= 0, account

    # the ledger sums to zero in every currency (two were used)
    totals = services.ledger_totals()
    assert set(totals) == {"USD", "EUR"} and set(totals.values()) == {0}, totals

    # each owner's balances are their statement's sums, and what the page and API show
    for owner in _owners(cast):
        balances = {key: money.amount for key, money in services.balances_for(owner=owner).items()}
        assert _statement_sums(owner) == balances, owner
        page = _page(client, cast, owner)
        shown = {(m["kind"], m["currency"]): m["shown"] for m in STAT.finditer(page)}
        assert shown == {key: format_minor(amount, key[1]) for key, amount in balances.items()}, (
            owner
        )
        api_balance, api_wallet = _api_balances(cast, owner)
        assert api_balance == balances, owner
        if isinstance(owner, User):
            wallet_shown = {(m["what"], m["currency"]): m["shown"] for m in WALLET.finditer(page)}
            for currency, line in api_wallet.items():
                wallet = balances.get((AccountKind.WALLET, currency), 0)
                held = balances.get((AccountKind.HOLD, currency), 0)
                assert (line["wallet"], line["held"]) == (wallet, held), owner
                assert wallet_shown[("wallet", currency)] == format_minor(wallet, currency)
                assert wallet_shown[("held", currency)] == format_minor(held, currency)
            assert len(wallet_shown) == 2 * len(api_wallet)

    # each fee hold captured (its video published) or released (it was not); none held
    assert not FeeHold.objects.filter(status="held").exists()
    holds = list(FeeHold.objects.all())
    statuses = dict(
        GenerationRequest.objects.filter(pk__in=[h.request_id for h in holds]).values_list(
            "pk", "status"
        )
    )
    assert len(statuses) == len({h.request_id for h in holds})
    for hold in holds:
        published = statuses[hold.request_id] == "published"
        assert hold.status == ("captured" if published else "released"), statuses[hold.request_id]
    for account in LedgerAccount.objects.filter(kind=AccountKind.HOLD):
        assert services.balance(account=account).amount == 0, account

    # no revenue event settled twice; each settled once under its own key
    settled = RevenueEvent.objects.exclude(transaction=None)
    assert settled.count() == RevenueEvent.objects.count()
    for event in settled.select_related("transaction"):
        assert event.transaction.key == f"revenue:{event.pk}"
    revenue_txns = LedgerTransaction.objects.filter(kind__startswith="revenue.").exclude(
        kind="revenue.reversal"
    )
    assert revenue_txns.count() == settled.count()
    assert (
        LedgerTransaction.objects.filter(kind="revenue.reversal").count()
        == RevenueEvent.objects.filter(status="refunded").count()
    )

    # once the hold has passed nothing is pending, and with every dispute settled the
    # escrow is empty
    for account in LedgerAccount.objects.filter(kind=AccountKind.PENDING):
        assert services.balance(account=account).amount == 0, account
    for account in LedgerAccount.objects.filter(kind=AccountKind.ESCROW):
        assert services.balance(account=account).amount == 0, account

    # each Stripe idempotency key names one request: a retry repeats it exactly
    by_key: dict[tuple, set] = defaultdict(set)
    for request in fake.requests:
        if request.method == "POST" and request.idempotency_key:
            signature = (request.path, repr(sorted(request.params.items())))
            by_key[(request.stripe_account, request.idempotency_key)].add(signature)
    assert by_key and all(len(requests) == 1 for requests in by_key.values())
    # and each payout's transfer went out once, under the payout's own key
    for payout in Payout.objects.exclude(stripe_transfer_id=""):
        calls = [
            r
            for r in fake.requests_to("POST", "/v1/transfers")
            if r.idempotency_key == f"payout-{payout.pk}"
        ]
        assert calls and {r.params["amount"] for r in calls} == {str(payout.amount)}
    assert len(fake.transfers) == Payout.objects.exclude(stripe_transfer_id="").count()


def _print_summary(month: Month, elapsed: float) -> None:
    totals = services.ledger_totals()
    platform = {
        kind: {
            currency: services.balance(
                account=services.platform_account(kind=kind, currency=currency)
            ).amount
            for currency in sorted(totals)
        }
        for kind in (
            AccountKind.PLATFORM_REVENUE,
            AccountKind.STRIPE_CLEARING,
            AccountKind.RECEIVABLE,
            AccountKind.ESCROW,
        )
    }
    print(f"\nScripted month (seed {SEED}, {DAYS} days) in {elapsed:.1f} s: what it did")
    for what, count in sorted(month.tally.items()):
        print(f"  {what}: {count}")
    print("And what the database holds after it:")

    def counted(rows) -> str:
        return ", ".join(f"{value} {count}" for value, count in sorted(Counter(rows).items()))

    requests = GenerationRequest.objects.values_list("status", flat=True)
    print(f"  generation requests by status: {counted(requests)}")
    print(f"  fee holds: {counted(FeeHold.objects.values_list('status', flat=True))}")
    events = RevenueEvent.objects.values_list("kind", "status")
    print(f"  revenue events: {counted(f'{kind} ({status})' for kind, status in events)}")
    print(f"  payouts: {counted(Payout.objects.values_list('status', flat=True))}")
    print(f"  transfer reversals (clawbacks): {len(month.fake.transfer_reversals)}")
    print(f"  ledger transactions: {LedgerTransaction.objects.count()}")
    print(f"  ledger entries: {LedgerEntry.objects.count()}")
    print(f"  Stripe API requests: {len(month.fake.requests)}")
    print(f"  webhook deliveries: {len(month.fake.deliveries)}")
    print(f"  ledger totals per currency: {totals}")
    for kind, amounts in platform.items():
        shown = ", ".join(str(Money(a, c)) for c, a in amounts.items())
        print(f"  platform {kind}: {shown}")
