"""The catalog: characters with drawn reference images, one published offer each (every
preset in licensing.terms is used), and the creators' licences, paid through Checkout
where the offer has a fee and approved by the licensor where the offer asks for that."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.management.base import CommandError
from django.utils import timezone

from accounts import selectors as accounts_selectors
from demo.seed import art
from demo.seed.data import CHARACTERS, GRANTS, STUDIOS
from licensing import selectors as licensing_selectors
from licensing import services as licensing
from licensing.enums import CharacterKind, GrantStatus, OfferStatus
from licensing.terms import preset_terms
from payments import services as payments

if TYPE_CHECKING:
    from accounts.models import Organization, User
    from licensing.models import Character, Grant


def seed_characters(
    users: dict[str, User], studios: dict[str, Organization]
) -> dict[str, Character]:
    """Each character once, with an image and a published offer on its preset, and its
    description embedded for lookalike screening (here, as the workers would after
    commit, so that the demo's own videos are screened by it too)."""
    owners = {studio.key: users[studio.owner] for studio in STUDIOS}
    characters = {}
    for spec in CHARACTERS:
        if spec.likeness:
            by = users[spec.owner]
            character = licensing_selectors.character_named(owner_user=by, name=spec.name)
            credit = by.display_name
        else:
            by = owners[spec.owner]
            organization = studios[spec.owner]
            character = licensing_selectors.character_named(
                owner_organization=organization, name=spec.name
            )
            credit = organization.name
        if character is None:
            character = licensing.character_create(
                by=by,
                kind=CharacterKind.LIKENESS if spec.likeness else CharacterKind.CHARACTER,
                owner_organization=None if spec.likeness else organization,
                name=spec.name,
                aliases=spec.aliases,
                franchise=spec.franchise,
                description=spec.description or f"{spec.name} from {spec.franchise}.",
                likeness_attested=spec.likeness,
            )
        if not character.images.exists():
            licensing.character_image_add(
                character=character, by=by, file=art.portrait(spec.name, spec.colours, spec.look)
            )
        if spec.likeness and character.likeness_verified_at is None:
            character = _likeness_verified(character)
        if not character.offers.filter(preset=spec.preset).exists():
            terms = preset_terms(spec.preset, credit_text=credit).to_dict()
            draft = licensing.offer_create_draft(
                character=character, by=by, terms=terms, preset=spec.preset
            )
            licensing.offer_publish(offer=draft, by=by)
        characters[spec.name] = character
    licensing.character_embeddings_refresh(character_ids=[c.pk for c in characters.values()])
    return characters


def _likeness_verified(character: Character) -> Character:
    """The demo's people proved their likenesses (staff approved their consent
    videos): without it a likeness stays a draft that screens no one."""
    character.likeness_verified_at = timezone.now()
    character.save(update_fields=["likeness_verified_at", "updated_at"])
    return licensing.character_standing_refresh(character=character)


def seed_grants(
    users: dict[str, User], characters: dict[str, Character], *, gateway
) -> dict[tuple[str, str], Grant]:
    """Each creator's licences, taken to active the way a person would: accept, pay the
    upfront fee through Checkout (``gateway`` stands in for Stripe), or be approved."""
    presets = {spec.name: spec.preset for spec in CHARACTERS}
    grants = {}
    for creator_key, names in GRANTS.items():
        creator = users[creator_key]
        for name in names:
            character = characters[name]
            grant = licensing_selectors.grant_first_for(licensee=creator, character=character)
            if grant is None:
                offer = character.offers.get(status=OfferStatus.PUBLISHED, preset=presets[name])
                terms = offer.parsed_terms
                grant = licensing.grant_accept(
                    offer=offer,
                    by=creator,
                    max_fee=terms.upfront_fee,
                    max_rev_share_bps=terms.rev_share_bps,
                    max_generation_fee=terms.per_generation_fee,
                )
            if grant.status == GrantStatus.PENDING_PAYMENT:
                session = payments.checkout_for_grant(grant=grant, by=creator, gateway=gateway)
                payments.checkout_completed(session_id=session.stripe_session_id, gateway=gateway)
                grant.refresh_from_db()
            if grant.status == GrantStatus.PENDING_APPROVAL:
                grant = licensing.grant_approve(grant=grant, by=_licensor(character))
            grants[(creator_key, name)] = grant
    return grants


def _licensor(character: Character) -> User:
    """The person who decides on the character's licences: its owner, or the first
    owner of the organization that holds it."""
    if character.owner_user is not None:
        return character.owner_user
    return accounts_selectors.organization_people(
        organization=character.owner_organization, roles=("owner",)
    )[0]


def seed_watchlist() -> int:
    """The starter watchlist shipped with Cocreate: well-known characters nobody in the
    demo registered, whose names screening refuses as not licensable here yet. Returns
    how many entries it holds."""
    report = licensing.watchlist_import(rows=licensing.watchlist_starter_rows())
    if report.errors:
        raise CommandError(f"The starter watchlist has bad rows: {report.errors}")
    return report.created + report.updated + report.unchanged
