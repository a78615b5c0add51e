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


def publish_offer(character, **terms):
    """Create and publish an offer for ``character``: the given terms over the defaults,
    crediting the rightsholder. Returns the published Offer."""
    from licensing import services

    by = editor_of(character)
    data = {"credit_text": character.rightsholder_name, **terms}
    offer = services.offer_create_draft(character=character, by=by, terms=data)
    return services.offer_publish(offer=offer, by=by)


def grant_for(character, licensee, **terms):
    """Publish an offer with ``terms`` and have ``licensee`` accept it. Returns the Grant."""
    from licensing import services

    offer = publish_offer(character, **terms)
    parsed = offer.parsed_terms
    return services.grant_accept(
        offer=offer, by=licensee, max_fee=parsed.upfront_fee, max_rev_share_bps=parsed.rev_share_bps
    )
