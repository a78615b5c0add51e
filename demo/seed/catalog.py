"""The catalog: characters with drawn reference images, one published offer each (every
preset in licensing.terms is used), and the creators' licences, paid through Checkout
where the offer has a fee and approved by the licensor where the offer asks for that."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.management.base import CommandError

from accounts import selectors as accounts_selectors
from demo.seed import art
from demo.seed.data import CHARACTERS, GRANTS, PENDING_LIKENESS, STUDIOS, CharacterSpec
from demo.seed.progress import Progress
from licensing import selectors as licensing_selectors
from licensing import services as licensing
from licensing.enums import CharacterKind, ConsentStatus, GrantStatus, OfferStatus
from licensing.terms import preset_terms
from payments import services as payments

if TYPE_CHECKING:
    from accounts.models import Organization, User
    from licensing.models import Character, Grant, LikenessConsent


def seed_characters(
    users: dict[str, User], studios: dict[str, Organization], *, progress: Progress
) -> dict[str, Character]:
    """Each character once, with an image and a published offer on its preset, and its
    description embedded for lookalike screening (here, as the workers would after
    commit, so that the demo's own videos are screened by it too)."""
    owners = {studio.key: users[studio.owner] for studio in STUDIOS}
    characters = {}
    for spec in progress.each("Registering characters and their offers", CHARACTERS):
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
            character = _likeness_proven(character, spec, staff=users["staff"])
        if not character.offers.filter(preset=spec.preset).exists():
            terms = preset_terms(spec.preset, credit_text=credit).to_dict()
            draft = licensing.offer_create_draft(
                character=character, by=by, terms=terms, preset=spec.preset
            )
            licensing.offer_publish(offer=draft, by=by)
        characters[spec.name] = character
    progress.stage("Embedding the characters' descriptions for lookalike screening")
    licensing.character_embeddings_refresh(character_ids=[c.pk for c in characters.values()])
    return characters


def _consent_recorded(character: Character, spec: CharacterSpec) -> LikenessConsent:
    """The person reads the phrase they are given in a short video (drawn by the seed),
    sent through the service as the page sends one: validated, re-muxed, private."""
    by = character.owner_user
    challenge = licensing.consent_challenge_issue(character=character, by=by)
    return licensing.consent_video_submit(
        challenge_id=challenge.pk,
        character=character,
        by=by,
        file=art.consent_clip(spec.name, spec.colours),
    )


def _likeness_proven(character: Character, spec: CharacterSpec, *, staff: User) -> Character:
    """The demo's people proved their likenesses: staff approved their consent videos.
    Without it a likeness stays a draft that screens no one."""
    consent = licensing_selectors.consent_latest(character=character)
    if consent is None or consent.status != ConsentStatus.PENDING:
        consent = _consent_recorded(character, spec)
    approved = licensing.consent_approve(
        consent=consent, by=staff, reason="Same person as the reference image; phrase heard."
    )
    return approved.character


def seed_pending_likeness(users: dict[str, User]) -> Character:
    """A likeness whose consent video waits in the staff queue (/staff/likeness-reviews/):
    a draft, so it has no offer yet."""
    spec = PENDING_LIKENESS
    by = users[spec.owner]
    character = licensing_selectors.character_named(owner_user=by, name=spec.name)
    if character is None:
        character = licensing.character_create(
            by=by,
            kind=CharacterKind.LIKENESS,
            name=spec.name,
            aliases=spec.aliases,
            description=spec.description,
            likeness_attested=True,
        )
    if not character.images.exists():
        licensing.character_image_add(
            character=character, by=by, file=art.portrait(spec.name, spec.colours, spec.look)
        )
    if licensing_selectors.consent_latest(character=character) is None:
        _consent_recorded(character, spec)
    return character


def seed_grants(
    users: dict[str, User], characters: dict[str, Character], *, gateway, progress: Progress
) -> dict[tuple[str, str], Grant]:
    """Each creator's licences, taken to active the way a person would: accept, pay the
    upfront fee through Checkout (``gateway`` stands in for Stripe), or be approved."""
    presets = {spec.name: spec.preset for spec in CHARACTERS}
    grants = {}
    wanted = [(creator_key, name) for creator_key, names in GRANTS.items() for name in names]
    for creator_key, name in progress.each("Licensing characters to creators", wanted):
        creator = users[creator_key]
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
