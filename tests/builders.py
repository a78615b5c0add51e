"""The steps that build a whole world of objects in the states the services, the pipeline
and the claims flow leave them in. The access matrix's world (tests/access/world.py)
and the schema walk's (tests/api/walk.py, which the schemathesis run fuzzes in) are
both made of them: each says which people and objects it needs, these say how each is
made. Rows come from the factories (tests/factories.py)."""

from datetime import timedelta

from django.utils import timezone

from accounts.models import User
from core.money import Money
from licensing import services as licensing_services
from marketplace import services as marketplace_services
from marketplace.enums import GenerationStatus, WorkStatus
from marketplace.models import GenerationRequest, Work
from payments import services as payments_services
from payments.models import ConnectedAccount
from tests.factories import (
    CharacterFactory,
    MembershipFactory,
    OfferFactory,
    OrganizationFactory,
    UserFactory,
    WorkFactory,
    editor_of,
    grant_for,
)


def verified_studio(*, roles=("owner",), **fields):
    """A verified organization and one member per role in ``roles`` (in that order).
    Returns (organization, [users])."""
    organization = OrganizationFactory(verification_status="verified", **fields)
    members = [MembershipFactory(organization=organization, role=role).user for role in roles]
    return organization, members


def pending_studio(*, name: str = "Submitted Studio"):
    """An organization that uploaded a document and asked for verification, as its
    owner would through the dashboard: ``pending``, with something to look at.
    Returns (organization, owner)."""
    from django.conf import settings
    from django.core.files.uploadedfile import SimpleUploadedFile

    from accounts import services as accounts_services
    from tests.pdfs import plain_pdf

    owner = MembershipFactory(organization=OrganizationFactory(name=name), role="owner").user
    organization = owner.memberships.get().organization
    accounts_services.organization_document_add(
        organization=organization,
        by=owner,
        title="Copyright registration",
        file=SimpleUploadedFile("rights.pdf", plain_pdf(), content_type="application/pdf"),
        max_bytes=settings.ORGANIZATION_DOCUMENT_MAX_BYTES,
    )
    organization = accounts_services.organization_submit_for_verification(
        organization=organization, by=owner
    )
    return organization, owner


def waiting_for_payment(character, licensee, *, fee=2500):
    """``licensee`` accepts a new offer for ``character`` with an upfront ``fee``: the
    grant waits for the payment."""
    offer = OfferFactory(character=character, upfront_fee=fee)
    return licensing_services.grant_accept(
        offer=offer, by=licensee, max_fee=fee, max_rev_share_bps=0, max_generation_fee=0
    )


def waiting_for_approval(character, licensee):
    """``licensee`` accepts a new offer for ``character`` that approves each licensee: the
    grant waits for the rightsholder."""
    offer = OfferFactory(character=character, approval="per_licensee")
    return licensing_services.grant_accept(
        offer=offer, by=licensee, max_fee=0, max_rev_share_bps=0, max_generation_fee=0
    )


def pending_approval_work(*, creator, grant, character, title) -> Work:
    """A work waiting for its rightsholder's review, as the pipeline leaves it."""
    work = WorkFactory(creator=creator, grants=[grant], title=title)
    Work.objects.filter(pk=work.pk).update(status=WorkStatus.PENDING_APPROVAL, published_at=None)
    marketplace_services.feed_entries_sync(work_ids=[work.pk])  # out of the feed
    GenerationRequest.objects.filter(pk=work.request_id).update(
        status=GenerationStatus.AWAITING_APPROVAL
    )
    marketplace_services.work_approvals_open(
        work=work, character_ids=[character.pk], deadline=timezone.now() + timedelta(hours=72)
    )
    return Work.objects.get(pk=work.pk)


def claim_filed(work, character, by, policy="track"):
    """A claim by ``character``'s organization on ``work``, filed by ``by``."""
    return marketplace_services.claim_file(
        work=work,
        character=character,
        by=by,
        reason="terms_breach",
        evidence="A beer at 0:02.",
        policy=policy,
    )


def dispute_opened(work, character, *, claimant, reason):
    """A claim on ``work`` filed by ``claimant``, disputed by the work's creator."""
    return marketplace_services.dispute_open(
        claim=claim_filed(work, character, claimant), by=work.creator, reason=reason
    )


def tip_settled(work, external_id: str, *, amount=5_000):
    """A tip of ``amount`` US cents on ``work``, settled down its split."""
    event, _ = payments_services.revenue_event_record(
        kind="tip", source="stripe", external_id=external_id, money=Money(amount, "USD"), work=work
    )
    return payments_services.revenue_event_settle(event=event)


def paid_out(accounts: dict[str, dict]):
    """Release what is pending (two days on), connect ``accounts`` (a Stripe account id to
    its owner: ``{"user": ...}`` or ``{"organization": ...}``), ready for payouts, and
    make the payouts. Returns them."""
    payments_services.ledger_release_pending(now=timezone.now() + timedelta(days=2))
    for account_id, owner in accounts.items():
        ConnectedAccount.objects.create(
            stripe_account_id=account_id, payouts_enabled=True, charges_enabled=True, **owner
        )
    return payments_services.payouts_create(threshold=1)


def storyline_opened(
    character, *, offer=None, by=None, title="The night the stars fell", days=(-1, 30), **fields
):
    """A storyline of ``character`` (under ``offer``, a new published one by default),
    opened by its rightsholder through the service: started ``days[0]`` days from now,
    ending ``days[1]`` days from now. Returns the Storyline."""
    from tests.factories import editor_of

    now = timezone.now()
    return marketplace_services.storyline_create(
        by=by or editor_of(character),
        title=title,
        premise=fields.pop("premise", "Every star falls into the harbour."),
        cast=[(character, offer or OfferFactory(character=character))],
        starts_at=now + timedelta(days=days[0]),
        ends_at=now + timedelta(days=days[1]),
        **fields,
    )


def licensed_work(*, title: str = "Sunset duel", creator=None) -> tuple[Work, User]:
    """A published work licensing one studio character, and an owner of that studio:
    the rightsholder who moderates the work's comments."""
    creator = creator or UserFactory()
    character = CharacterFactory()
    work = WorkFactory(
        creator=creator,
        grants=[grant_for(character, creator)],
        title=title,
        published_at=timezone.now(),
    )
    return work, editor_of(character)
