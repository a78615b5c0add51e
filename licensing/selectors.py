"""Reads for the catalog, the dashboards and the policy engine's facts."""

import json
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime

from django.contrib.auth.models import AnonymousUser
from django.db import connections
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    JSONField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Trunc
from django.utils import timezone

from accounts import selectors as accounts_selectors
from accounts.enums import EDITOR_ROLES, VerificationStatus
from accounts.models import Follow, Membership, User
from licensing.enums import (
    CharacterStatus,
    ConsentStatus,
    FormOrigin,
    GrantStatus,
    NameConflictOn,
    NameConflictStatus,
    OfferStatus,
)
from licensing.models import (
    CatalogDocument,
    Character,
    CharacterAlias,
    CharacterImage,
    ConsentChallenge,
    Grant,
    LikenessConsent,
    NameConflict,
    NameForm,
    Offer,
    PolicyDecision,
)
from licensing.policy.facts import AudienceFacts, CharacterFacts, GrantFacts


def _published_offers() -> QuerySet[Offer]:
    return Offer.objects.filter(status=OfferStatus.PUBLISHED).order_by("upfront_fee", "id")


def catalog_characters(
    *,
    q: str = "",
    kind: str = "",
    franchise: str = "",
    commercial: bool | None = None,
    free: bool | None = None,
    viewer: User | None = None,
) -> "QuerySet[Character] | CatalogSearch":
    """Active, licensable characters with at least one published offer, newest first,
    with owners, first image and published offers loaded in a constant number of
    queries whatever the page size, and what a card says about each (``_card_facts``).
    With ``q``, a ``CatalogSearch`` (see there) unless the term matches more than
    ``SEARCH_IDS_MAX`` characters."""
    offers = Offer.objects.filter(character=OuterRef("pk"), status=OfferStatus.PUBLISHED)
    qs = Character.objects.filter(status=CharacterStatus.ACTIVE, disallowed=False).filter(
        Exists(offers)
    )
    if kind:
        qs = qs.filter(kind=kind)
    if franchise:
        qs = qs.filter(franchise__iexact=franchise)
    if commercial is not None:
        qs = qs.filter(Exists(offers.filter(commercial_use=commercial)))
    if free is True:
        qs = qs.filter(Exists(offers.filter(upfront_fee=0)))
    elif free is False:
        qs = qs.filter(Exists(offers.filter(upfront_fee__gt=0)))
    qs = qs.order_by("-created_at", "id")
    if q:
        qs = qs.filter(pk__in=_matching(q))
        ids = list(qs.values_list("pk", flat=True)[: SEARCH_IDS_MAX + 1])
        if len(ids) <= SEARCH_IDS_MAX:
            cards = _card_facts(_with_card_relations(Character.objects.all()), q=q, viewer=viewer)
            return CatalogSearch(ids, cards)
    return _card_facts(_with_card_relations(qs), q=q, viewer=viewer)


def _card_facts(qs: QuerySet[Character], *, q: str, viewer: User | None) -> QuerySet[Character]:
    """Annotations, so the page's one query carries them: ``romaji``, the reading of a
    Japanese name (its derived form, licensing/services/name_forms.py); with ``q``,
    ``matched_alias``, the alias the term found when the name itself does not hold it;
    for a signed-in viewer, ``licensed``, whether they hold an active licence for it."""
    romaji = NameForm.objects.filter(
        character=OuterRef("pk"), source=OuterRef("name"), origin=FormOrigin.ROMAJI
    ).order_by("text")
    qs = qs.annotate(romaji=Subquery(romaji.values("text")[:1]))
    if q:
        alias = CharacterAlias.objects.filter(character=OuterRef("pk"), text__icontains=q)
        qs = qs.annotate(
            matched_alias=Case(
                When(name__icontains=q, then=Value(None)),
                default=Subquery(alias.order_by("text").values("text")[:1]),
                output_field=CharField(),
            )
        )
    if viewer is not None and viewer.is_authenticated:
        active = Grant.objects.filter(
            character=OuterRef("pk"), licensee=viewer, status=GrantStatus.ACTIVE
        )
        qs = qs.annotate(licensed=Exists(active))
    return qs


def _with_card_relations(qs: QuerySet[Character]) -> QuerySet[Character]:
    """What a catalog card shows besides the character: its owner, published offers
    and images in order."""
    return qs.select_related("owner_organization", "owner_user").prefetch_related(
        Prefetch("offers", queryset=_published_offers(), to_attr="published_offers"),
        Prefetch(
            "images",
            queryset=CharacterImage.objects.order_by("position", "created_at"),
            to_attr="ordered_images",
        ),
    )


# A search matching more characters than this (a term of a letter or two) is paginated
# as a plain queryset, with a COUNT; below it, the ids are read once.
SEARCH_IDS_MAX = 5_000


def _matching(q: str) -> QuerySet:
    """The ids of characters matching ``q`` by name, franchise or description, united
    with those matching by alias and those of studios whose name matches: no join to
    the aliases, so no DISTINCT over the catalog, and each side can use its index (the
    ``*_trgm`` GIN indexes on PostgreSQL, created in licensing's migrations; studios
    are few, and their characters are found by the owner's foreign key)."""
    by_character = (
        Character.objects.filter(
            Q(name__icontains=q) | Q(franchise__icontains=q) | Q(description__icontains=q)
        )
        .order_by()
        .values("pk")
    )
    by_alias = CharacterAlias.objects.filter(text__icontains=q).order_by().values("character")
    by_studio = (
        Character.objects.filter(owner_organization__name__icontains=q).order_by().values("pk")
    )
    return by_character.union(by_alias, by_studio)


class CatalogSearch:
    """A search's matching characters in catalog order, for a paginator (Django's and
    DRF's take any sequence with ``len`` and slices).

    The search is run once, for the ordered ids of all its matches, which gives the
    count too; a page loads its characters by id. Given a queryset, the paginator would
    run the trigram scans twice, once for the page and again for its COUNT, and for a
    broad term (a franchise's hundreds of matches) those scans are the search's
    costliest part."""

    def __init__(self, ids: list, queryset: QuerySet[Character]) -> None:
        self.ids = ids
        self.queryset = queryset

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, index: slice) -> list[Character]:
        if not isinstance(index, slice):
            raise TypeError("a catalog search is read a page (a slice) at a time")
        ids = self.ids[index]
        if not ids:
            return []
        by_id = {character.pk: character for character in self.queryset.filter(pk__in=ids)}
        # A character deleted between the two queries is left out.
        return [by_id[pk] for pk in ids if pk in by_id]

    def prefetch_related(self, *lookups) -> "CatalogSearch":
        return CatalogSearch(self.ids, self.queryset.prefetch_related(*lookups))


# Joins a catalog document's searched texts (licensing/services/catalog.py).
SEARCH_SEPARATOR = "\x1f"


def catalog_documents(
    *,
    q: str = "",
    kind: str = "",
    franchise: str = "",
    commercial: bool | None = None,
    free: bool | None = None,
) -> "QuerySet[CatalogDocument] | None":
    """``catalog_characters``' characters, in its order, as their catalog documents
    (the read model, licensing/services/catalog.py): one table, one trigram index over
    everything the search matches. None for a term holding the texts' separator (read
    those with ``catalog_characters``, whose matches never span two texts)."""
    if SEARCH_SEPARATOR in q:
        return None
    qs = CatalogDocument.objects.all()
    if kind:
        qs = qs.filter(kind=kind)
    if franchise:
        qs = qs.filter(franchise__iexact=franchise)
    if commercial is True:
        qs = qs.filter(has_commercial=True)
    elif commercial is False:
        qs = qs.filter(has_noncommercial=True)
    if free is True:
        qs = qs.filter(has_free=True)
    elif free is False:
        qs = qs.filter(has_paid=True)
    if q:
        qs = qs.filter(search_text__icontains=q)
    return qs.order_by("-listed_at", "character_id")


_MAX_OFFSET = 2**62


class CatalogPayloads:
    """Catalog documents' payloads in catalog order, for a paginator (it takes any
    sequence with ``len`` and slices). Told which page the request asks for, it reads
    that page and the count in one query (``COUNT(*) OVER ()``); any other slice, or
    the count when that page is past the end, is a query of its own. ``windowed=False``
    counts and slices separately instead: for the whole catalog, where the index gives
    a page in order but a window would sort every row."""

    def __init__(
        self, queryset: QuerySet[CatalogDocument], *, offset: int | None, limit: int,
        windowed: bool = True, fields: tuple[str, ...] = ("payload",),
    ) -> None:  # fmt: skip
        self.queryset = queryset
        # A page beyond any catalog (an offset past SQL's bigint) is left to the
        # paginator, which finds it empty before slicing.
        in_range = offset is not None and offset <= _MAX_OFFSET
        self.offset = offset if windowed and in_range else None
        self.limit = limit
        # One field: each row is its value (the payload); more: a tuple of them.
        self.fields = fields
        self._count: int | None = None
        self._rows: list | None = None

    def _read_window(self) -> None:
        assert self.offset is not None
        rows = _window_rows(self.queryset, self.fields, offset=self.offset, limit=self.limit)
        self._rows = [row[0] if len(self.fields) == 1 else row[:-1] for row in rows]
        if rows:
            self._count = rows[0][-1]
        elif self.offset == 0:
            self._count = 0

    def __len__(self) -> int:
        if self._count is None and self._rows is None and self.offset is not None:
            self._read_window()
        if self._count is None:
            self._count = self.queryset.count()
        return self._count

    def __getitem__(self, index: slice) -> list:
        if not isinstance(index, slice):
            raise TypeError("catalog payloads are read a page (a slice) at a time")
        if self.offset is not None and index.start == self.offset and index.step is None:
            if self._rows is None:
                self._read_window()
            assert self._rows is not None
            stop = self.offset + self.limit if index.stop is None else index.stop
            return self._rows[: max(0, stop - self.offset)]
        if len(self.fields) == 1:
            return list(self.queryset.values_list(self.fields[0], flat=True)[index])
        return list(self.queryset.values_list(*self.fields)[index])


def _window_rows(
    queryset: QuerySet[CatalogDocument], fields: tuple[str, ...], *, offset: int, limit: int
) -> list[tuple]:
    """A page of ``fields`` in catalog order, each row ending with the count of all the
    matches. Django compiles the filters (a plain one-table WHERE); the window and the
    page are written around it here. Through the ORM (``Window`` filtered on, which
    Django compiles as a QUALIFY subquery) compiling the query cost more than running
    it: it was the search's costliest Python. The matches are windowed in a subquery
    with the page's ORDER BY and LIMIT outside: beside a LIMIT, PostgreSQL costs the
    window as if it could stop early and walks the order index through the whole
    catalog (2.3 s for a franchise at 100,000 characters) instead of the trigram index
    (87 ms)."""
    order = ("listed_at", "character_id")
    columns = fields + tuple(name for name in order if name not in fields)
    matches = queryset.order_by().values_list(*columns)
    connection = connections[matches.db]
    inner, params = matches.query.get_compiler(using=matches.db).as_sql()
    quote = connection.ops.quote_name
    select = ", ".join(quote(name) for name in fields)
    total = quote("total")
    # Column names are this module's, quoted; the values stay parameters.
    sql = (
        f"SELECT {select}, {total} FROM (SELECT *, COUNT(*) OVER () AS {total} "  # noqa: S608
        f"FROM ({inner}) {quote('matches')}) {quote('counted')} "
        f"ORDER BY {quote('listed_at')} DESC, {quote('character_id')} LIMIT %s OFFSET %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, (*params, limit, offset))
        rows = cursor.fetchall()
    convert = [_from_db(name) for name in fields]
    return [
        (*(to(value) for to, value in zip(convert, row[:-1], strict=True)), row[-1]) for row in rows
    ]


def _from_db(name: str) -> Callable:
    """How a raw cursor's value of a catalog document's field becomes the ORM's: the
    JSON payload arrives as text (Django reads jsonb so), a UUID as a string on SQLite."""
    field = next(f for f in CatalogDocument._meta.concrete_fields if f.attname == name)
    if isinstance(field, JSONField):
        return lambda value: json.loads(value) if isinstance(value, str) else value
    return field.to_python


def catalog_licensed_ids(*, user: User | AnonymousUser, character_ids: Iterable) -> set[str]:
    """Which of these characters ``user`` holds an active licence for (as strings, the
    catalog documents' ids): one query for a page of cards, none for an anonymous
    visitor."""
    ids = list(character_ids)
    if not ids or not user.is_authenticated:
        return set()
    held = Grant.objects.filter(
        licensee=user, status=GrantStatus.ACTIVE, character_id__in=ids
    ).values_list("character_id", flat=True)
    return {str(pk) for pk in held}


def catalog_franchises() -> list[str]:
    return list(
        Character.objects.filter(status=CharacterStatus.ACTIVE)
        .exclude(franchise="")
        .order_by("franchise")
        .values_list("franchise", flat=True)
        .distinct()
    )


def character_detail(*, pk) -> Character | None:
    return (
        Character.objects.select_related("owner_organization", "owner_user")
        .prefetch_related(
            Prefetch("offers", queryset=_published_offers(), to_attr="published_offers"),
            "images",
            "aliases",
        )
        .filter(pk=pk)
        .first()
    )


def character_can_edit(*, character: Character, user: User) -> bool:
    """A likeness is edited only by its person; a character by its organization's
    owners and managers."""
    if not user.is_authenticated:
        return False
    if character.owner_user_id is not None:
        return character.owner_user_id == user.pk
    organization = character.owner_organization
    if organization is None:
        return False
    role = accounts_selectors.membership_role(organization=organization, user=user)
    return role in EDITOR_ROLES


def character_visible_to(*, pk, user: User) -> Character | None:
    """The character's page: an active character for anyone; a suspended or archived
    one only for the people who manage it (to anyone else it does not exist)."""
    character = character_detail(pk=pk)
    if character is None:
        return None
    if character.status != CharacterStatus.ACTIVE and not character_can_edit(
        character=character, user=user
    ):
        return None
    return character


def characters_with_counts(qs: QuerySet[Character]) -> QuerySet[Character]:
    """``qs`` by name, with owners and the counts the dashboards show: active licences
    (``live_grants``) and published offers (``offer_count``)."""
    return (
        qs.select_related("owner_organization", "owner_user")
        .annotate(
            live_grants=Count("grants", filter=Q(grants__status=GrantStatus.ACTIVE), distinct=True),
            offer_count=Count(
                "offers", filter=Q(offers__status=OfferStatus.PUBLISHED), distinct=True
            ),
        )
        .order_by("name", "id")
    )


def editable_organization_ids(*, user: User, verified_only: bool = False) -> set:
    """The organizations where the user is an owner or manager (verified ones only, if
    asked)."""
    memberships = Membership.objects.filter(user=user, role__in=EDITOR_ROLES)
    if verified_only:
        memberships = memberships.filter(
            organization__verification_status=VerificationStatus.VERIFIED
        )
    return set(memberships.values_list("organization_id", flat=True))


def characters_managed_by(*, user: User) -> QuerySet[Character]:
    """Characters the user may edit: their likenesses and their organizations'."""
    organizations = Membership.objects.filter(user=user, role__in=EDITOR_ROLES).values(
        "organization"
    )
    return characters_with_counts(
        Character.objects.filter(Q(owner_user=user) | Q(owner_organization__in=organizations))
    )


def offers_for_character(*, character: Character) -> QuerySet[Offer]:
    return character.offers.order_by("series", "-version")


def name_forms_for_character(*, character: Character) -> list[tuple[str, list[NameForm]]]:
    """The character's derived name forms, grouped by the name or alias each came from
    (in the order the names are shown), for the rightsholder to review."""
    groups: dict[str, list[NameForm]] = {}
    for form in character.name_forms.order_by("source", "origin", "text"):
        groups.setdefault(form.source, []).append(form)
    return list(groups.items())


def current_offer(*, series) -> Offer | None:
    return Offer.objects.filter(series=series, status=OfferStatus.PUBLISHED).first()


def grants_for_licensee(*, user: User) -> QuerySet[Grant]:
    return (
        Grant.objects.filter(licensee=user)
        .select_related("offer", "character__owner_organization", "character__owner_user")
        .order_by("-created_at", "id")
    )


def grants_for_licensor(*, user: User, status: str | None = None) -> QuerySet[Grant]:
    """Grants on characters the user manages, optionally of one status."""
    qs = Grant.objects.filter(character__in=characters_managed_by(user=user).values("pk"))
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("offer", "character", "licensee").order_by("created_at", "id")


def grant_visible_to(*, grant_id, user: User) -> Grant | None:
    """The grant if the user is its licensee, the person whose likeness it licenses, or
    a member (any role: viewers read) of the organization that owns its character.
    Acting on it is the services' decision: ending is the licensee's, deciding the
    character's editors'."""
    grant = (
        Grant.objects.select_related("offer", "character__owner_organization", "licensee")
        .filter(pk=grant_id)
        .first()
    )
    if grant is None or not user.is_authenticated:
        return None
    if grant.licensee_id == user.pk:
        return grant
    character = grant.character
    if character.owner_user_id is not None:
        return grant if character.owner_user_id == user.pk else None
    organization_id = character.owner_organization_id
    if organization_id is None:
        return None
    is_member = Membership.objects.filter(organization_id=organization_id, user=user).exists()
    return grant if is_member else None


# --- facts for the policy engine --------------------------------------------------------


def _rightsholder_user_ids(character: Character) -> list:
    if character.owner_user_id:
        return [character.owner_user_id]
    return list(
        Membership.objects.filter(
            organization=character.owner_organization, role__in=EDITOR_ROLES
        ).values_list("user_id", flat=True)
    )


def audience_facts(*, character: Character, user: User) -> AudienceFacts:
    """How ``user`` stands with the character's rightsholder. For an organization,
    following (or being mutuals with) any of its owners or managers counts."""
    if character.owner_user_id == user.pk:
        return AudienceFacts(is_owner=True, is_follower=True, is_mutual=True)
    if (
        character.owner_organization_id
        and Membership.objects.filter(
            organization_id=character.owner_organization_id, user=user
        ).exists()
    ):
        return AudienceFacts(is_owner=True, is_follower=True, is_mutual=True)
    holders = _rightsholder_user_ids(character)
    follows = set(
        Follow.objects.filter(follower=user, followee__in=holders).values_list(
            "followee_id", flat=True
        )
    )
    followed_back = set(
        Follow.objects.filter(follower__in=follows, followee=user).values_list(
            "follower_id", flat=True
        )
    )
    return AudienceFacts(is_follower=bool(follows), is_mutual=bool(followed_back))


# Works that count against an offer's total-works cap: made, and not denied or deleted.
COUNTED_WORK_STATUSES = ("pending_approval", "published", "delisted")


def works_counted_per_series(*, series: Iterable) -> dict:
    """How many works that count against ``max_works`` (COUNTED_WORK_STATUSES) were
    made under each offer series, across all its licensees."""
    series = list(series)
    if not series:
        return {}
    rows = (
        Grant.objects.filter(series__in=series)
        .values("series")
        .annotate(
            works=Count(
                "work_licenses__work",
                filter=Q(work_licenses__work__status__in=COUNTED_WORK_STATUSES),
                distinct=True,
            )
        )
    )
    return {row["series"]: row["works"] for row in rows}


def policy_facts(
    *,
    user: User,
    character_ids: Iterable[str],
    works_reserved: Callable[[list], Mapping] | None = None,
) -> dict[str, CharacterFacts]:
    """Facts for each character id: its state, what a lookalike of it gets, the user's
    live grant (if any) with its usage, and the user's standing with the
    rightsholder. ``works_reserved``, given the grants' series, answers how many
    generations already allowed under each are still on their way to a work: they
    count against ``max_works`` as if made."""
    ids = list(dict.fromkeys(str(i) for i in character_ids))
    characters = Character.objects.filter(pk__in=ids).select_related(
        "owner_organization", "owner_user"
    )
    grants: dict[str, Grant] = {}
    for g in (
        Grant.objects.filter(
            licensee=user,
            character_id__in=ids,
            status__in=[
                GrantStatus.ACTIVE,
                GrantStatus.PENDING_APPROVAL,
                GrantStatus.PENDING_PAYMENT,
            ],
        )
        .select_related("offer")
        .annotate(
            generations_used=Count(
                "policy_decisions",
                filter=Q(policy_decisions__purpose="generation", policy_decisions__allowed=True),
            )
        )
        .order_by("-activated_at", "-created_at")
    ):
        current = grants.get(str(g.character_id))
        if current is None or (g.status == GrantStatus.ACTIVE and not current.is_active):
            grants[str(g.character_id)] = g
    facts = {}
    series = [g.series for g in grants.values()]
    works_by_series = works_counted_per_series(series=series)
    capped = [g.series for g in grants.values() if g.offer.parsed_terms.max_works is not None]
    if works_reserved is not None and capped:
        for key, count in works_reserved(capped).items():
            works_by_series[key] = works_by_series.get(key, 0) + count
    for character in characters:
        grant = grants.get(str(character.pk))
        grant_facts = None
        if grant is not None:
            grant_facts = GrantFacts(
                grant_id=str(grant.pk),
                status=grant.status,
                offer_id=str(grant.offer_id),
                terms_hash=grant.offer.terms_hash,
                terms=grant.offer.parsed_terms,
                generations_used=getattr(grant, "generations_used", 0),  # annotated above
                works_total=works_by_series.get(grant.series, 0),
            )
        facts[str(character.pk)] = CharacterFacts(
            id=str(character.pk),
            name=character.name,
            kind=character.kind,
            rightsholder=character.rightsholder_name,
            disallowed=character.disallowed,
            status=character.status,
            grant=grant_facts,
            audience=audience_facts(character=character, user=user),
            description=character.description,
            lookalike_action=character.lookalike_action,
        )
    return facts


def character_licensors(*, character: Character) -> list[User]:
    """Whom to tell about a character's licences: the person, or the organization's
    owners and managers."""
    if character.owner_user is not None:
        return [character.owner_user]
    return accounts_selectors.organization_people(organization=character.owner_organization)


def characters_licensed_to(*, user: User) -> QuerySet[Character]:
    """The characters the user may generate with: those of their active grants."""
    return (
        Character.objects.filter(grants__licensee=user, grants__status=GrantStatus.ACTIVE)
        .distinct()
        .order_by("name")
    )


def grants_active_for(*, licensee: User, character_ids: Iterable[str]) -> QuerySet[Grant]:
    """The licensee's active grants on these characters, with offers and rightsholders."""
    return Grant.objects.filter(
        licensee=licensee, status=GrantStatus.ACTIVE, character_id__in=list(character_ids)
    ).select_related("offer", "character__owner_organization", "character__owner_user")


def offer_visible_to(*, pk, user: User) -> Offer | None:
    """The offer version if the user may see it: published and superseded versions are
    public; drafts only to their character's editors."""
    offer = (
        Offer.objects.select_related("character__owner_organization", "character__owner_user")
        .filter(pk=pk)
        .first()
    )
    if offer is None:
        return None
    if offer.status == OfferStatus.DRAFT and not character_can_edit(
        character=offer.character, user=user
    ):
        return None
    return offer


def character_with_owner(*, pk) -> Character | None:
    """The character with its owning organization, or None."""
    return Character.objects.select_related("owner_organization").filter(pk=pk).first()


def offer_acceptable(*, pk, character_id) -> Offer | None:
    """A published or superseded version of one of the character's offers: what an
    accept form may post (accepting takes the series' current version)."""
    return Offer.objects.filter(
        pk=pk,
        character_id=character_id,
        status__in=[OfferStatus.PUBLISHED, OfferStatus.SUPERSEDED],
    ).first()


def grant_active_latest(*, licensee: User, character_id) -> Grant | None:
    """The licensee's most recently activated active grant on the character."""
    return (
        Grant.objects.filter(
            licensee=licensee, character_id=character_id, status=GrantStatus.ACTIVE
        )
        .order_by("-activated_at")
        .first()
    )


def generation_fees_owed(*, licensee: User, character_ids: Iterable) -> list[dict]:
    """The per-generation fee a generation by ``licensee`` owes for each of these
    characters: the fee of the terms version their latest active grant holds (a
    character used without the licensee's own grant, such as one a remix inherits, owes
    nothing here). One {"character_id", "grant_id", "amount", "currency"} per fee."""
    latest: dict[str, Grant] = {}
    for grant in (
        Grant.objects.filter(
            licensee=licensee,
            status=GrantStatus.ACTIVE,
            character_id__in=[str(c) for c in character_ids],
        )
        .select_related("offer")
        .order_by("character_id", "-activated_at")
    ):
        latest.setdefault(str(grant.character_id), grant)
    fees = []
    for character_id, grant in sorted(latest.items()):
        terms = grant.offer.parsed_terms
        if terms.per_generation_fee:
            fees.append(
                {
                    "character_id": character_id,
                    "grant_id": str(grant.pk),
                    "amount": terms.per_generation_fee,
                    "currency": terms.currency,
                }
            )
    return fees


def grants_by_id(*, ids: Iterable) -> dict:
    """Grants by id, with their characters' rightsholders (for splitting revenue)."""
    return Grant.objects.select_related(
        "character__owner_organization", "character__owner_user"
    ).in_bulk(list(ids))


def characters_by_ids(*, ids: Iterable) -> list[Character]:
    return list(Character.objects.filter(pk__in=list(ids)))


def characters_with_images(*, ids: Iterable) -> QuerySet[Character]:
    """The characters with their reference images, by name."""
    return Character.objects.filter(pk__in=list(ids)).prefetch_related("images").order_by("name")


def characters_with_owners(*, ids: Iterable) -> QuerySet[Character]:
    return Character.objects.filter(pk__in=list(ids)).select_related(
        "owner_organization", "owner_user"
    )


def offer_versions(*, ids: Iterable) -> dict:
    """Each offer version's number, by offer id."""
    return dict(Offer.objects.filter(pk__in=list(ids)).values_list("pk", "version"))


def characters_of_organization(*, organization) -> QuerySet[Character]:
    return Character.objects.filter(owner_organization=organization)


def likenesses_of(*, user) -> QuerySet[Character]:
    """The characters a person owns: their likeness(es)."""
    return Character.objects.filter(owner_user=user)


def decisions_involving(*, character_ids: Iterable, start, end) -> QuerySet[PolicyDecision]:
    """Policy decisions made in [start, end) that involved any of these characters."""
    return (
        PolicyDecision.objects.filter(
            characters__in=list(character_ids), created_at__gte=start, created_at__lt=end
        )
        .distinct()
        .order_by("created_at", "id")
        .prefetch_related("characters")
    )


def grants_live_in(*, character_ids: Iterable, start, end) -> QuerySet[Grant]:
    """Grants on these characters made in [start, end), or active at its end."""
    return (
        Grant.objects.filter(character__in=list(character_ids))
        .filter(
            Q(created_at__gte=start, created_at__lt=end)
            | Q(activated_at__lt=end, ended_at__isnull=True)
        )
        .select_related("character", "offer", "licensee")
        .order_by("created_at", "id")
    )


def character_named(*, name: str, owner_user=None, owner_organization=None) -> Character | None:
    """The person's or the organization's character called ``name``, if any."""
    if owner_user is not None:
        return Character.objects.filter(owner_user=owner_user, name=name).first()
    return Character.objects.filter(owner_organization=owner_organization, name=name).first()


def grant_first_for(*, licensee: User, character: Character) -> Grant | None:
    """The licensee's first grant on the character, in any state."""
    return (
        Grant.objects.filter(licensee=licensee, character=character).order_by("created_at").first()
    )


def decision_licences(*, decision_ids: Iterable) -> dict:
    """For each policy decision, the grants it read that belong to the characters it
    involved, as ``(series, character id)`` pairs: the licences its work will carry."""
    decisions = PolicyDecision.objects.filter(pk__in=list(decision_ids)).prefetch_related(
        Prefetch("grants", queryset=Grant.objects.only("id", "series", "character_id"))
    )
    out: dict = {}
    for decision in decisions:
        involved = {str(c) for c in decision.character_ids}
        out[decision.pk] = [
            (g.series, str(g.character_id))
            for g in decision.grants.all()
            if str(g.character_id) in involved
        ]
    return out


# --- training and data mining opt-outs (the offer's ``ai_training`` term) ---------
# A term that is missing or anything but "allowed" reserves the rights: the schema's
# default is "not_allowed", and a reservation is the safe reading of a doubt.


def offers_reserving_training() -> QuerySet[Offer]:
    """Every offer version (any status) whose terms reserve AI training and data
    mining: a work keeps the terms of the version it was made under."""
    return Offer.objects.exclude(terms__ai_training="allowed")


def offer_training_terms(*, ids: Iterable) -> dict:
    """Each offer's ``ai_training`` term (``allowed`` or ``not_allowed``), by offer id."""
    rows = Offer.objects.filter(pk__in=list(ids)).values_list("pk", "terms__ai_training")
    return {pk: "allowed" if value == "allowed" else "not_allowed" for pk, value in rows}


def character_training_reservation(*, character_id) -> tuple[bool, Offer | None]:
    """Whether a character's reference images are reserved from AI training and data
    mining, and the published offer that says so (for its ODRL policy). They are
    reserved unless the character has published offers and every one of them allows
    training: a rightsholder who has published no terms has granted nothing."""
    published = Offer.objects.filter(character_id=character_id, status=OfferStatus.PUBLISHED)
    reserving = published.exclude(terms__ai_training="allowed").order_by("published_at", "id")
    offer = reserving.first()
    if offer is not None:
        return True, offer
    return not published.exists(), None


def characters_reserving_training() -> list[tuple]:
    """(character id, reserving published offer id or None) for every active character
    with reference images whose images are reserved (as in
    ``character_training_reservation``), in one query."""
    published = Offer.objects.filter(character=OuterRef("pk"), status=OfferStatus.PUBLISHED)
    reserving = published.exclude(terms__ai_training="allowed").order_by("published_at", "id")
    rows = (
        Character.objects.filter(status=CharacterStatus.ACTIVE)
        .filter(Exists(CharacterImage.objects.filter(character=OuterRef("pk"))))
        .annotate(
            has_published=Exists(published),
            reserving_offer=reserving.values("pk")[:1],
        )
        .filter(Q(reserving_offer__isnull=False) | Q(has_published=False))
        .order_by("id")
        .values_list("pk", "reserving_offer")
    )
    return list(rows)


def name_conflicts_blocking_name(*, character: Character) -> list[NameConflict]:
    """The conflicts that keep ``character`` from being active under its current name:
    one opened on its registration and still open, or one staff upheld against it (a
    report alone holds nothing)."""
    if character._state.adding:
        return []
    return list(
        NameConflict.objects.filter(later=character, on=NameConflictOn.NAME, text=character.name)
        .filter(
            Q(status=NameConflictStatus.OPEN, reported_by__isnull=True)
            | Q(status=NameConflictStatus.UPHELD)
        )
        .select_related("holder__owner_organization")
    )


def consent_latest(*, character: Character) -> LikenessConsent | None:
    """The likeness's most recent consent video (what its page and the API report)."""
    return (
        LikenessConsent.objects.filter(character=character)
        .exclude(status=ConsentStatus.SUPERSEDED)
        .select_related("challenge")
        .order_by("-created_at", "-id")
        .first()
    )


def consent_review_queue() -> QuerySet[LikenessConsent]:
    """The consent videos waiting for staff, oldest first, with what the review shows
    beside each (the person, the phrase, the reference images)."""
    return (
        LikenessConsent.objects.filter(status=ConsentStatus.PENDING)
        .select_related("character", "character__owner_user", "challenge")
        .prefetch_related("character__images")
        .order_by("created_at", "id")
    )


def consent_challenge_open(*, character: Character, user: User) -> ConsentChallenge | None:
    """The phrase ``user`` was last given for this likeness, while it can still be used."""
    return (
        ConsentChallenge.objects.filter(
            character=character, user=user, used_at__isnull=True, expires_at__gt=timezone.now()
        )
        .order_by("-created_at")
        .first()
    )


def cheapest_published_offer(*, character: Character) -> Offer | None:
    """The character's published offer with the lowest upfront fee (the studio's "from"
    price for a character the creator has no licence for)."""
    return _published_offers().filter(character=character).first()


def decision_totals(*, start, end) -> list[dict]:
    """Policy decisions made in [start, end), counted allowed and refused: overall, per
    refusal reason code, per kind of character involved, and per requester country
    (the territory the request was screened for, "" when unknown). Rows of
    ``{"dimension", "key", "allowed", "refused"}``; aggregated in the database except
    the reason codes, read from a narrow column iterator."""
    decisions = PolicyDecision.objects.filter(created_at__gte=start, created_at__lt=end)
    rows: dict[tuple[str, str], dict] = {}

    def add(dimension: str, key: str, allowed: bool, n: int) -> None:
        row = rows.setdefault(
            (dimension, key), {"dimension": dimension, "key": key, "allowed": 0, "refused": 0}
        )
        row["allowed" if allowed else "refused"] += n

    for overall in decisions.values("allowed").annotate(n=Count("id")).order_by():
        add("all", "", overall["allowed"], overall["n"])
    by_country = (
        decisions.annotate(country=KT("context__territory"))
        .values("country", "allowed")
        .annotate(n=Count("id"))
        .order_by()
    )
    for country in by_country:
        add("country", country["country"] or "", country["allowed"], country["n"])
    by_kind = (
        PolicyDecision.characters.through.objects.filter(
            policydecision__created_at__gte=start, policydecision__created_at__lt=end
        )
        .values("character__kind", "policydecision__allowed")
        .annotate(n=Count("policydecision", distinct=True))
        .order_by()
    )
    for kind in by_kind:
        add("character_kind", kind["character__kind"], kind["policydecision__allowed"], kind["n"])
    for code, n in refusal_codes(start=start, end=end):
        add("reason", code, False, n)
    return sorted(rows.values(), key=lambda r: (r["dimension"], r["key"]))


def _involving(decisions: QuerySet[PolicyDecision], character_ids: Iterable | None):
    if character_ids is None:
        return decisions
    through = PolicyDecision.characters.through.objects.filter(
        policydecision_id=OuterRef("pk"), character_id__in=list(character_ids)
    )
    return decisions.filter(Exists(through))


def refusal_codes(*, start, end, character_ids: Iterable | None = None) -> list[tuple[str, int]]:
    """(reason code, refused decisions) for the decisions made in [start, end), a
    decision once per code, most frequent first (ties by code). With ``character_ids``,
    only decisions involving them and only the reasons about them (or about no
    character in particular), so a rightsholder sees none of another's reasons. Read
    from a narrow column iterator (the codes are inside a JSON list)."""
    decisions = _involving(
        PolicyDecision.objects.filter(created_at__gte=start, created_at__lt=end, allowed=False),
        character_ids,
    )
    own = None if character_ids is None else {str(i) for i in character_ids}
    counts: dict[str, int] = {}
    for reasons in decisions.values_list("reasons", flat=True).iterator(chunk_size=2000):
        codes = {
            r.get("code", "")
            for r in reasons or []
            if own is None or not r.get("character_id") or r["character_id"] in own
        }
        for code in codes:
            counts[code] = counts.get(code, 0) + 1
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def decisions_per_period(
    *, start, end, unit: str, character_ids: Iterable | None = None
) -> list[tuple[datetime, int, int]]:
    """(bucket start, allowed, refused) for the policy decisions made in [start, end),
    per ``unit`` ("day", "week" from Monday, or "month"; UTC), oldest first, only the
    buckets that have any (callers fill the gaps). With ``character_ids``, only the
    decisions involving them. Grouped in the database."""
    decisions = _involving(
        PolicyDecision.objects.filter(created_at__gte=start, created_at__lt=end), character_ids
    )
    rows = (
        decisions.annotate(bucket=Trunc("created_at", unit, tzinfo=UTC))
        .values("bucket")
        .annotate(
            allowed_n=Count("id", filter=Q(allowed=True)),
            refused_n=Count("id", filter=Q(allowed=False)),
        )
        .order_by("bucket")
    )
    return [(r["bucket"], r["allowed_n"], r["refused_n"]) for r in rows]


def offers_published_managed_by(*, user: User) -> QuerySet[Offer]:
    """The published offers of the characters the user may edit, with their character,
    by character name: what a storyline's cast is chosen from."""
    return (
        Offer.objects.filter(
            status=OfferStatus.PUBLISHED,
            character__in=characters_managed_by(user=user).values("pk"),
            character__status=CharacterStatus.ACTIVE,
        )
        .select_related("character__owner_organization", "character__owner_user")
        .order_by("character__name", "title", "id")
    )


def offers_by_ids(*, ids: Iterable) -> list[Offer]:
    """These offers with their characters and owners (unknown ids are left out)."""
    return list(
        Offer.objects.filter(pk__in=list(ids))
        .select_related("character__owner_organization", "character__owner_user")
        .order_by("id")
    )


def characters_licensable(*, limit: int = 300) -> list[tuple]:
    """(id, name) of active characters with a published offer, by name: the characters
    a storyline may let join its takes."""
    return list(
        Character.objects.filter(status=CharacterStatus.ACTIVE, disallowed=False)
        .filter(
            Exists(Offer.objects.filter(character=OuterRef("pk"), status=OfferStatus.PUBLISHED))
        )
        .order_by("name", "id")
        .values_list("pk", "name")[:limit]
    )
