"""manage.py seed_demo: the demo marketplace it builds, that a second run changes
nothing, and that the logins it prints work.

Seeding renders and signs about twenty videos, so this module seeds once: the
``demo`` fixture runs the command inside a transaction held open for the module and
rolled back at its end (each test still runs in its own savepoint), with the media in
one folder for the module."""

import io
import re
from collections import Counter
from types import SimpleNamespace

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import transaction
from django.db.models import Max, Min, Sum
from django.test.utils import override_settings

from accounts.enums import VerificationStatus
from accounts.models import Follow, Membership, Notification, Organization, User
from demo.seed.data import CHARACTERS, WORKS
from licensing.enums import GrantStatus, OfferStatus
from licensing.models import (
    Character,
    CharacterAlias,
    CharacterEmbedding,
    CharacterImage,
    ConsentChallenge,
    Grant,
    GrantEvent,
    LikenessConsent,
    Offer,
    PolicyDecision,
    WatchlistEntry,
)
from licensing.services import watchlist_starter_rows
from licensing.terms import PRESETS_BY_KEY
from marketplace.enums import ClaimStatus, DisputeStatus, WorkStatus
from marketplace.models import (
    Claim,
    Dispute,
    GenerationEvent,
    GenerationRequest,
    Work,
    WorkApproval,
    WorkLicense,
)
from marketplace.services import generation_request_create
from payments.enums import AccountKind, PayoutStatus, RevenueKind, RevenueStatus
from payments.models import (
    CheckoutSession,
    ConnectedAccount,
    FeeHold,
    LedgerEntry,
    LedgerTransaction,
    Payout,
    PayoutEvent,
    RevenueEvent,
)
from payments.services import ledger_totals
from tests.factories import CharacterFactory, UserFactory

pytestmark = pytest.mark.django_db

LOGIN_LINE = re.compile(
    r"^\s+(?P<role>.+?)\s{2,}(?P<email>\S+@cocreate\.test)\s+try: (?P<hint>.+)$"
)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, provenance_keys, tmp_path_factory):
    media = tmp_path_factory.mktemp("demo-media")
    out = io.StringIO()
    with (
        django_db_blocker.unblock(),
        override_settings(
            MEDIA_ROOT=media,
            C2PA_CERT_CHAIN=str(provenance_keys.chain),
            C2PA_PRIVATE_KEY=str(provenance_keys.signer_key),
            C2PA_TRUST_ANCHORS=str(provenance_keys.root_cert),
        ),
        transaction.atomic(),
    ):
        call_command("seed_demo", stdout=out)
        yield SimpleNamespace(media=media, output=out.getvalue())
        transaction.set_rollback(True)


@pytest.fixture
def demo_media(demo, settings):
    """The module's media folder (the autouse fixture gives each test a fresh one)."""
    settings.MEDIA_ROOT = demo.media
    return demo.media


def _snapshot(media) -> dict:
    """Row counts of everything the seed makes, the ledger's totals per account kind,
    and the files in the media folder."""
    models = (
        User,
        Follow,
        Notification,
        Organization,
        Membership,
        Character,
        CharacterAlias,
        CharacterEmbedding,
        CharacterImage,
        ConsentChallenge,
        LikenessConsent,
        WatchlistEntry,
        Offer,
        Grant,
        GrantEvent,
        CheckoutSession,
        PolicyDecision,
        GenerationRequest,
        GenerationEvent,
        FeeHold,
        Work,
        WorkLicense,
        WorkApproval,
        Claim,
        Dispute,
        RevenueEvent,
        ConnectedAccount,
        Payout,
        PayoutEvent,
        LedgerTransaction,
        LedgerEntry,
    )
    counts = {model.__name__: model.objects.count() for model in models}
    counts["ledger_amounts"] = dict(
        LedgerEntry.objects.values_list("account__kind").order_by().annotate(total=Sum("amount"))
    )
    counts["files"] = sorted(str(path) for path in media.rglob("*") if path.is_file())
    return counts


def test_seed_builds_three_verified_studios_and_two_likeness_owners(demo):
    studios = Organization.objects.filter(verification_status=VerificationStatus.VERIFIED)
    assert studios.count() == 3
    assert all(studio.documents.exists() for studio in studios)
    likenesses = Character.objects.filter(kind="likeness", status="active")
    assert likenesses.count() == 2
    assert len({c.owner_user_id for c in likenesses}) == 2
    approved = Offer.objects.get(
        character__in=likenesses, status=OfferStatus.PUBLISHED, terms__audience="approved"
    )
    assert approved.character.name == "Aiko Tanaka"
    # The Japanese studio's characters are named in Japanese, with romaji aliases.
    hana = Character.objects.get(name="桜ハナ")
    assert "Sakura Hana" in hana.aliases.values_list("text", flat=True)
    assert hana.owner_organization.name.startswith("Studio Sakura")


def test_every_character_has_an_image_and_a_published_offer_and_every_preset_is_used(
    demo, demo_media
):
    characters = list(
        Character.objects.filter(status="active").prefetch_related("images", "offers")
    )
    assert len(characters) >= 12
    for character in characters:
        image = character.images.first()
        assert image is not None, character.name
        assert default_storage.exists(image.image.name), character.name
        assert any(o.status == OfferStatus.PUBLISHED for o in character.offers.all()), character
    used = set(Offer.objects.filter(status=OfferStatus.PUBLISHED).values_list("preset", flat=True))
    assert used == set(PRESETS_BY_KEY)


def test_the_likenesses_were_proven_by_consent_videos_and_one_waits_for_staff(demo, demo_media):
    # Each active likeness: a real video, re-muxed and stored, approved by the demo staff.
    staff = User.objects.get(email="staff@cocreate.test")
    for likeness in Character.objects.filter(kind="likeness", status="active"):
        consent = LikenessConsent.objects.get(character=likeness)
        assert consent.status == "approved" and consent.reviewed_by == staff
        assert likeness.likeness_verified_at is not None
        assert consent.video.name.endswith(".webm") and default_storage.exists(consent.video.name)
        assert consent.duration_s >= 2 and consent.challenge.used_at is not None
    # Priya's likeness is a draft: her video is in the staff queue, with no offer.
    pending = Character.objects.get(kind="likeness", name="Priya Nair")
    assert pending.status == "draft" and not pending.offers.exists()
    assert LikenessConsent.objects.get(character=pending).status == "pending"
    assert "/staff/likeness-reviews/" in demo.output


def test_the_starter_watchlist_is_in_place_with_derived_forms(demo):
    entries = WatchlistEntry.objects.filter(active=True)
    assert entries.count() == len(watchlist_starter_rows()) >= 20
    pikachu = entries.get(name="Pikachu")
    assert {"text": "pikachuu", "origin": "romaji", "source": "ピカチュウ"} in pikachu.forms
    assert "more on the watchlist" in demo.output


def test_several_creators_hold_active_licences_including_paid_and_approved_ones(demo):
    active = Grant.objects.filter(status=GrantStatus.ACTIVE)
    assert active.values("licensee").distinct().count() >= 3
    paid = active.filter(offer__upfront_fee__gt=0)
    assert paid.exists()
    assert all(
        CheckoutSession.objects.filter(grant=grant, status="complete").exists() for grant in paid
    )
    assert active.filter(character__name="Aiko Tanaka").exists()  # approved by Aiko


def test_at_least_twenty_published_works_with_their_files_on_storage(demo, demo_media):
    works = list(Work.objects.filter(status=WorkStatus.PUBLISHED))
    assert len(works) >= 20
    for work in works:
        assert work.backend == "local"
        assert default_storage.exists(work.video.name), work.title
        assert default_storage.exists(work.poster.name), work.title
        assert default_storage.size(work.video.name) > 10_000
        assert work.manifest  # signed provenance
    # One likeness video still waits in its owner's approval queue.
    assert Work.objects.filter(status=WorkStatus.PENDING_APPROVAL).count() == 1


def test_a_remix_chain_three_deep(demo):
    deepest = Work.objects.filter(status=WorkStatus.PUBLISHED).order_by("-depth").first()
    chain = [deepest]
    while chain[-1].parent is not None:
        chain.append(chain[-1].parent)
    assert len(chain) >= 3
    assert [w.depth for w in chain] == list(range(len(chain) - 1, -1, -1))
    # The chain is made by different creators, each remixing the one before.
    assert len({w.creator_id for w in chain}) >= 3


def test_revenue_of_every_kind_is_settled(demo):
    events = RevenueEvent.objects.all()
    assert set(events.values_list("kind", flat=True)) == set(RevenueKind.values)
    assert not events.exclude(status=RevenueStatus.SETTLED).exists()
    assert all(event.transaction_id for event in events)


def test_one_claim_is_disputed_and_its_revenue_waits_in_escrow(demo):
    dispute = Dispute.objects.get()
    assert dispute.status == DisputeStatus.OPEN
    claim = dispute.claim
    assert claim.status == ClaimStatus.DISPUTED
    assert dispute.opened_by == claim.work.creator
    escrow = LedgerEntry.objects.filter(
        account__kind=AccountKind.ESCROW, work_id=claim.work_id
    ).aggregate(total=Sum("amount"))["total"]
    assert escrow > 0


def test_one_payout_is_paid_with_its_ledger_entries(demo):
    payout = Payout.objects.get()
    assert payout.status == PayoutStatus.PAID
    assert payout.connected_account.payouts_enabled
    assert payout.stripe_transfer_id.startswith("tr_demo_")
    steps = list(payout.events.order_by("created_at").values_list("to_status", flat=True))
    assert steps == [PayoutStatus.CREATED, PayoutStatus.SUBMITTED, PayoutStatus.PAID]
    reserve = LedgerTransaction.objects.get(key=f"payout:{payout.pk}:reserve")
    by_kind = {e.account.kind: e.amount for e in reserve.entries.select_related("account")}
    assert by_kind == {
        AccountKind.AVAILABLE: -payout.amount,
        AccountKind.STRIPE_CLEARING: payout.amount,
    }


def test_the_ledger_is_balanced_overall_and_per_transaction(demo):
    assert ledger_totals() and all(total == 0 for total in ledger_totals().values())
    per_transaction = Counter()
    for txn_id, currency, amount in LedgerEntry.objects.values_list(
        "transaction_id", "currency", "amount"
    ):
        per_transaction[(txn_id, currency)] += amount
    assert set(per_transaction.values()) == {0}


def test_every_description_is_embedded_and_no_demo_video_describes_another_character(demo):
    # The seed embeds the descriptions before making the videos, as the workers would
    # have by then, so the demo's own prompts pass lookalike screening too.
    # Drafts are not in the lookalike index (licensing/services/embeddings.py).
    described = Character.objects.exclude(description="").exclude(status="draft")
    assert CharacterEmbedding.objects.count() == described.count()
    assert Character.objects.exclude(description="").count() == Character.objects.count()
    generation = PolicyDecision.objects.filter(purpose="generation")
    assert generation.count() >= 20
    embedded_by = CharacterEmbedding.objects.aggregate(last=Max("updated_at"))["last"]
    assert embedded_by < generation.aggregate(first=Min("created_at"))["first"]
    assert all(d.context["lookalikes"] == [] for d in generation)


def test_a_second_run_changes_nothing(demo, demo_media):
    before = _snapshot(demo_media)
    out = io.StringIO()

    call_command("seed_demo", stdout=out)

    assert _snapshot(demo_media) == before
    assert "Demo marketplace ready" in out.getvalue()


def test_the_seed_says_what_it_is_making_n_of_n_as_it_goes(demo):
    lines = demo.output.splitlines()

    videos = [line for line in lines if line.startswith("Rendering demo videos: ")]
    assert videos == [
        f"Rendering demo videos: {n} of {len(WORKS)}" for n in range(1, len(WORKS) + 1)
    ]
    characters = [line for line in lines if line.startswith("Registering characters")]
    assert (
        characters[-1]
        == f"Registering characters and their offers: {len(CHARACTERS)} of {len(CHARACTERS)}"
    )
    assert any(line.startswith("Licensing characters to creators: 1 of ") for line in lines)
    # progress comes before the summary, which comes last
    ready = next(i for i, line in enumerate(lines) if "Demo marketplace ready" in line)
    assert lines.index(videos[-1]) < ready
    assert "Paying out a creator…" in lines[:ready]


def test_a_quiet_run_prints_nothing(demo, demo_media):
    out = io.StringIO()

    call_command("seed_demo", verbosity=0, stdout=out)

    assert out.getvalue() == ""


def test_the_printed_logins_work_and_their_first_page_opens(demo, client):
    logins = [m.groupdict() for m in map(LOGIN_LINE.match, demo.output.splitlines()) if m]
    roles = {login["role"] for login in logins}
    assert {"staff", "viewer"} <= roles
    assert sum(role.startswith("creator:") for role in roles) >= 3
    assert sum(role.startswith("studio:") for role in roles) == 3
    assert sum(role.startswith("likeness owner") for role in roles) == 2
    assert "cocreate-demo" in demo.output
    for login in logins:
        response = client.post(
            "/accounts/login/", {"login": login["email"], "password": "cocreate-demo"}
        )
        assert response.status_code == 302, login["email"]
        assert client.session["_auth_user_id"] == str(User.objects.get(email=login["email"]).pk)
        first_page = login["hint"].split(":")[0]
        assert client.get(first_page).status_code == 200, (login["email"], first_page)
        client.logout()


def test_feed_and_catalog_list_the_seeded_content(demo, client):
    feed = client.get("/feed/").content.decode()
    catalog = client.get("/catalog/").content.decode()

    assert "Hoshi-chan turns the stargazing party into a sunrise parade" in feed
    assert "桜ハナ" in catalog and "Leo Martins" in catalog


@pytest.mark.parametrize(("enqueue", "callbacks"), [(True, 1), (False, 0)])
def test_a_request_made_for_inline_steps_is_not_sent_to_the_broker(
    enqueue, callbacks, django_capture_on_commit_callbacks
):
    # given a creator and a character
    creator, character = UserFactory(), CharacterFactory()

    # when the seed's way (enqueue=False) or the web's way makes a request
    with django_capture_on_commit_callbacks() as captured:
        generation_request_create(
            creator=creator, prompt="A walk", character_ids=[character.pk], enqueue=enqueue
        )

    # then only the web's way enqueues the pipeline when the transaction commits
    assert len(captured) == callbacks


def test_seed_refuses_production_settings(settings):
    from django.core.management.base import CommandError

    settings.IS_PRODUCTION = True
    with pytest.raises(CommandError, match="production settings"):
        call_command("seed_demo")


def test_a_studio_storyline_runs_with_ranked_takes(demo):
    # given / when: the seeded storyline
    from marketplace.models import Storyline
    from marketplace.selectors_storylines import storyline_takes_ranked

    storyline = Storyline.objects.get(title="The night the stars fell")

    # then: Hoshi Studio's, opened on its own video, with three creators' takes
    assert storyline.owner_organization.name == "Hoshi Studio"
    assert storyline.opening is not None and storyline.opening.status == WorkStatus.PUBLISHED
    takes = storyline_takes_ranked(storyline=storyline)
    assert len(takes) == 3
    assert all(take.parent_id == storyline.opening_id for take in takes)
    assert len({take.creator_id for take in takes}) == 3
    # featured first, and every take licenses Hoshi-chan under the storyline's offer
    assert takes[0].rank.featured
    series = storyline.cast.get().offer.series
    for take in takes:
        assert any(lic.offer.series == series for lic in take.licenses.all())
    # and a conversation under the takes, visible to everyone, by people other than
    # their makers
    from marketplace.models import Comment

    comments = Comment.objects.filter(work__storyline=storyline)
    assert comments.count() == 3
    assert all(c.status == "visible" and c.author_id != c.work.creator_id for c in comments)
