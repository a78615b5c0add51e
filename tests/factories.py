"""factory_boy factories for the rows tests build on. Offers and grants go through the
licensing services, as a rightsholder and a creator make them; works and their requests
are rows made without rendering (tests/marketplace/helpers.py renders real ones)."""

import uuid

import factory
from allauth.account.models import EmailAddress

from accounts.enums import MembershipRole
from accounts.models import Membership, Organization, User

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    display_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified(obj, create, extracted, **kwargs):
        obj.save()
        if create and extracted is not False:
            EmailAddress.objects.create(user=obj, email=obj.email, verified=True, primary=True)


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Studio {n}")
    slug = factory.Sequence(lambda n: f"studio-{n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = MembershipRole.OWNER


class CharacterFactory(factory.django.DjangoModelFactory):
    """A studio character owned by a verified organization."""

    class Meta:
        model = "licensing.Character"

    kind = "character"
    owner_organization = factory.SubFactory(OrganizationFactory, verification_status="verified")
    name = factory.Sequence(lambda n: f"Character {n}")
    franchise = "Star Diary"


def editor_of(character) -> User:
    """A user who may manage ``character``: its person, or an owner of its organization."""
    if character.owner_user_id:
        return character.owner_user
    membership = character.owner_organization.memberships.filter(role="owner").first()
    if membership is None:
        membership = MembershipFactory(organization=character.owner_organization)
    return membership.user


class OfferFactory(factory.django.DjangoModelFactory):
    """A character's offer, made the way its rightsholder makes one: through the licensing
    services, so the terms are validated and hashed. Published unless ``status="draft"``;
    any other keyword is a term over the defaults (the credit names the rightsholder).
    ``by`` is who acts (an editor of the character by default)."""

    class Meta:
        model = "licensing.Offer"

    character = factory.SubFactory(CharacterFactory)

    @classmethod
    def _create(cls, model_class, *, character, status="published", by=None, title="", **terms):
        from licensing import services

        by = by or editor_of(character)
        data = {"credit_text": character.rightsholder_name, **terms}
        offer = services.offer_create_draft(character=character, by=by, terms=data, title=title)
        if status == "draft":
            return offer
        return services.offer_publish(offer=offer, by=by)


class GrantFactory(factory.django.DjangoModelFactory):
    """A licensee's acceptance of a published offer, through ``grant_accept`` (agreeing to
    the offer's own fee and share): active, or waiting for payment or approval when the
    terms say so. Without ``offer``, one is published for ``character`` (a new one by
    default) with the other keywords as its terms."""

    class Meta:
        model = "licensing.Grant"

    licensee = factory.SubFactory(UserFactory)

    @classmethod
    def _create(cls, model_class, *, licensee, offer=None, character=None, **terms):
        from licensing import services

        if offer is None:
            offer = OfferFactory(character=character or CharacterFactory(), **terms)
        parsed = offer.parsed_terms
        return services.grant_accept(
            offer=offer,
            by=licensee,
            max_fee=parsed.upfront_fee,
            max_rev_share_bps=parsed.rev_share_bps,
            max_generation_fee=parsed.per_generation_fee,
        )


class GenerationRequestFactory(factory.django.DjangoModelFactory):
    """A generation request as a row, in the state given (published by default); nothing
    is checked, charged or rendered."""

    class Meta:
        model = "marketplace.GenerationRequest"

    creator = factory.SubFactory(UserFactory)
    prompt = factory.Sequence(lambda n: f"A video {n}")
    seed = 1
    status = "published"
    parent = None


class WorkFactory(factory.django.DjangoModelFactory):
    """A work made as rows without rendering, for tests that read no video: its request,
    the work (published by default, naming files under works/<id>/ that were never
    rendered: tests/marketplace/helpers.py's ``store_files`` writes stand-ins) and one
    licence row per grant in ``grants``. With ``inherit``, a remix also carries its
    parent's licences as inherited rows, as the pipeline records them. Unless given,
    ``commercial`` follows from those licences, as the pipeline derives it: commercial
    only if there are some and every one allows commercial use."""

    class Meta:
        model = "marketplace.Work"

    id = factory.LazyFunction(uuid.uuid4)
    creator = factory.SubFactory(UserFactory)
    parent = None
    title = "A video"
    request = factory.SubFactory(
        GenerationRequestFactory,
        creator=factory.SelfAttribute("..creator"),
        prompt=factory.SelfAttribute("..title"),
        parent=factory.SelfAttribute("..parent"),
    )
    depth = factory.LazyAttribute(lambda o: (o.parent.depth + 1) if o.parent else 0)
    prompt = factory.SelfAttribute("title")
    status = "published"
    published_at = None
    video = factory.LazyAttribute(lambda o: f"works/{o.id}/video.mp4")
    poster = factory.LazyAttribute(lambda o: f"works/{o.id}/poster.jpg")
    duration_s = 4.0
    width = 480
    height = 854
    frame_count = 96
    backend = "local"

    @classmethod
    def _create(cls, model_class, *args, grants=(), inherit=False, **kwargs):
        from marketplace import services
        from marketplace.models import WorkLicense
        from marketplace.services.counters import work_publication_moved

        offers = [grant.offer for grant in grants]
        parent = kwargs.get("parent")
        if inherit and parent is not None:
            own = {g.character_id for g in grants}
            offers += [r.offer for r in parent.licenses.all() if r.character_id not in own]
        kwargs.setdefault(
            "commercial", bool(offers) and all(o.parsed_terms.commercial_use for o in offers)
        )
        work = super()._create(model_class, *args, **kwargs)
        rows = []
        for grant in grants:
            terms = grant.offer.parsed_terms
            rows.append(
                WorkLicense(
                    work=work,
                    character=grant.character,
                    grant=grant,
                    offer=grant.offer,
                    terms_hash=grant.offer.terms_hash,
                    rightsholder=grant.character.rightsholder_name,
                    rev_share_bps=terms.rev_share_bps,
                    upstream_model=terms.upstream_model,
                )
            )
        if inherit and work.parent is not None:
            own = {g.character_id for g in grants}
            for row in work.parent.licenses.all():
                if row.character_id not in own:
                    row.pk, row.work, row.inherited = None, work, True
                    rows.append(row)
        WorkLicense.objects.bulk_create(rows)
        # Its parent's remix counter and its feed card, as the pipeline writes them when
        # it publishes a work.
        work_publication_moved(
            parent_id=work.parent_id, was_published=False, published=work.status == "published"
        )
        services.feed_entries_sync(work_ids=[work.pk])
        return work


def publish_offer(character, **terms):
    """Shorthand for ``OfferFactory(character=character, **terms)``: a published offer."""
    return OfferFactory(character=character, **terms)


def grant_for(character, licensee, **terms):
    """Shorthand for ``GrantFactory``: ``licensee`` accepts a new offer for ``character``
    with ``terms``. Returns the Grant."""
    return GrantFactory(character=character, licensee=licensee, **terms)


def fund_wallet(user, amount: int, currency: str = "USD"):
    """Credit ``user``'s wallet as a completed top-up would (Stripe clearing → wallet),
    without a Checkout session. Returns the ledger transaction."""
    from payments.enums import AccountKind

    return fund_account(user, AccountKind.WALLET, amount, currency)


def fund_account(owner, kind: str, amount: int, currency: str = "USD"):
    """Credit one of ``owner``'s ledger accounts from Stripe clearing: money that got
    there the way the test does not care about (a top-up, fees held for generations)."""
    from core.money import Money
    from payments.enums import AccountKind
    from payments.services.ledger import Line, account_for, ledger_post, platform_account

    money = Money(amount, currency)
    txn, _ = ledger_post(
        key=f"test-fund:{uuid.uuid4()}",
        kind="test.fund",
        lines=[
            Line(platform_account(kind=AccountKind.STRIPE_CLEARING, currency=currency), -money),
            Line(account_for(owner=owner, kind=kind, currency=currency), money),
        ],
        memo=f"test: {kind} funded",
    )
    return txn


def proven_likeness(person, name: str, *, images=(), **fields):
    """``person`` registers their likeness through the service, adds ``images`` (uploaded
    files) as its reference images, and staff approve their consent video: an active
    likeness whose names screen prompts. (Registration alone leaves a draft, and a
    reference image added after approval sends it back to review:
    licensing/services/standing.py, consent.py.) tests/licensing/test_likeness_consent.py
    goes through the consent video itself."""

    from licensing import services

    likeness = services.character_create(
        by=person, kind="likeness", name=name, likeness_attested=True, **fields
    )
    for image in images:
        services.character_image_add(character=likeness, by=person, file=image)
    return likeness_approved(likeness)


def likeness_approved(likeness):
    """Staff approve the likeness as it stands now (its reference images included):
    it is active again after an image change sent it back to review."""
    from django.utils import timezone

    from licensing import services

    likeness.likeness_verified_at = timezone.now()
    likeness.save(update_fields=["likeness_verified_at"])
    return services.character_standing_refresh(character=likeness)
