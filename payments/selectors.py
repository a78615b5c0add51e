"""Payments reads: the split of a work's revenue from its lineage, balances, statements."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db.models import Prefetch, QuerySet, prefetch_related_objects

from accounts.models import User
from licensing import selectors as licensing_selectors
from marketplace import selectors as marketplace_selectors
from marketplace.models import Work, WorkLicense
from marketplace.selectors import MAX_LINEAGE
from payments.models import ConnectedAccount, LedgerAccount, LedgerEntry, Payout, Wallet
from payments.split import Ancestor, LicenseShare, Party, SplitLine, split_weights


def party_for_user(user) -> Party:
    return Party("user", str(user.pk), str(user))


def party_for_character(character) -> Party:
    if character.owner_organization_id:
        return Party(
            "organization", str(character.owner_organization_id), character.owner_organization.name
        )
    return Party("user", str(character.owner_user_id), str(character.owner_user))


def _terms_of(license_row):
    return license_row.offer.parsed_terms


# Where ``works_for_split`` puts a work's licence rows (with their offers and
# rightsholders), ordered by id: ``lineage`` reads them instead of querying.
SPLIT_LICENSES = "split_licenses"


def _license_rows(work) -> list:
    rows = getattr(work, SPLIT_LICENSES, None)
    if rows is not None:
        return rows
    return list(
        work.licenses.select_related(
            "offer", "character__owner_organization", "character__owner_user"
        ).order_by("id")
    )


def _ancestor_rows(work) -> list:
    """An ancestor's licence rows as already loaded: by ``works_for_split``, else
    prefetched by ``work_ancestors(with_licenses=True)``. No query either way."""
    rows = getattr(work, SPLIT_LICENSES, None)
    return list(work.licenses.all()) if rows is None else rows


def works_for_split(*, work_ids: Iterable) -> dict:
    """The works by id, each with what ``work_split_lines`` reads (its ancestors, their
    creators, every licence row with its offer and rightsholder) loaded in one query per
    lineage level plus one for the licences, so that computing the splits of many works
    (bulk settlement) reads nothing more per work. Same result as loading each alone."""
    works = Work.objects.select_related("creator").in_bulk(list(work_ids))
    loaded = dict(works)
    frontier = list(works.values())
    for _ in range(MAX_LINEAGE):
        wanted = {w.parent_id for w in frontier if w.parent_id and w.parent_id not in loaded}
        if not wanted:
            break
        parents = Work.objects.select_related("creator").in_bulk(wanted)
        loaded.update(parents)
        frontier = list(parents.values())
    for work in loaded.values():
        if work.parent_id is None:
            work.parent = None
        elif work.parent_id in loaded:
            work.parent = loaded[work.parent_id]
    rows = WorkLicense.objects.select_related(
        "offer", "character__owner_organization", "character__owner_user"
    ).order_by("id")
    prefetch_related_objects(
        list(loaded.values()), Prefetch("licenses", queryset=rows, to_attr=SPLIT_LICENSES)
    )
    return works


def lineage(*, work) -> tuple[list[LicenseShare], list[Ancestor]]:
    """The licences a work's revenue owes (each with the level its character entered
    the lineage) and its upstream creators."""
    # Loaded by works_for_split (bulk settlement): walk what is there; else one query.
    ancestors = marketplace_selectors.work_ancestors(
        work=work, with_licenses=True, use_loaded=hasattr(work, SPLIT_LICENSES)
    )
    own_by_level = [
        {row.character_id for row in _ancestor_rows(ancestor) if not row.inherited}
        for ancestor in ancestors
    ]
    shares = []
    for row in _license_rows(work):
        level = 0
        if row.inherited:
            level = next(
                (i + 1 for i, own in enumerate(own_by_level) if row.character_id in own),
                1,
            )
        terms = _terms_of(row)
        shares.append(
            LicenseShare(
                rightsholder=party_for_character(row.character),
                character=row.character.name,
                bps=row.rev_share_bps,
                model=row.upstream_model,
                level=level,
                max_stack_bps=terms.max_stack_bps,
            )
        )
    parent_model = "absolute"
    if ancestors and any(row.upstream_model == "relative" for row in _ancestor_rows(ancestors[0])):
        parent_model = "relative"
    upstream = [
        Ancestor(party_for_user(a.creator), level, parent_model)
        for level, a in enumerate(ancestors, start=1)
        if a.creator_id != work.creator_id
    ]
    return shares, upstream


def work_split_lines(*, work) -> list[SplitLine]:
    shares, upstream = lineage(work=work)
    return split_weights(
        creator=party_for_user(work.creator),
        licenses=shares,
        ancestors=upstream,
        platform_fee_bps=settings.PLATFORM_FEE_BPS,
        upstream_creator_bps=settings.UPSTREAM_CREATOR_BPS,
    )


def remix_split_lines(
    *, parent, extra_licenses: list[LicenseShare], creator: User
) -> list[SplitLine]:
    """The split a remix of ``parent`` would have: the parent's licences one level
    further up, the new characters' at level 0, and the parent's creators upstream."""
    shares, upstream = lineage(work=parent)
    moved = [
        LicenseShare(s.rightsholder, s.character, s.bps, s.model, s.level + 1, s.max_stack_bps)
        for s in shares
    ]
    parent_model = "relative" if any(s.model == "relative" for s in shares) else "absolute"
    ancestors = [Ancestor(party_for_user(parent.creator), 1, parent_model)] + [
        Ancestor(a.creator, a.level + 1, a.model) for a in upstream
    ]
    ancestors = [a for a in ancestors if a.creator.id != str(creator.pk)]
    known = {s.character for s in moved}
    return split_weights(
        creator=party_for_user(creator),
        licenses=moved + [s for s in extra_licenses if s.character not in known],
        ancestors=ancestors,
        platform_fee_bps=settings.PLATFORM_FEE_BPS,
        upstream_creator_bps=settings.UPSTREAM_CREATOR_BPS,
    )


def remix_split_preview(*, parent, character_ids: list[str], creator: User) -> list[SplitLine]:
    """The split a remix of ``parent`` with these extra characters would have, from the
    same engine that splits its revenue."""
    parent_characters = {str(lic.character_id) for lic in parent.licenses.all()}
    extra = []
    for grant in licensing_selectors.grants_active_for(
        licensee=creator,
        character_ids=[c for c in character_ids if str(c) not in parent_characters],
    ):
        terms = grant.offer.parsed_terms
        extra.append(
            LicenseShare(
                party_for_character(grant.character),
                grant.character.name,
                terms.rev_share_bps,
                terms.upstream_model,
                0,
                terms.max_stack_bps,
            )
        )
    return remix_split_lines(parent=parent, extra_licenses=extra, creator=creator)


def statement(
    *, owner, kind: str | None = None, currency: str | None = None
) -> QuerySet[LedgerEntry]:
    """The owner's ledger entries, newest first."""
    accounts = LedgerAccount.objects.filter(
        **({"user": owner} if isinstance(owner, User) else {"organization": owner})
    )
    if kind:
        accounts = accounts.filter(kind=kind)
    if currency:
        accounts = accounts.filter(currency=currency)
    return (
        LedgerEntry.objects.filter(account__in=accounts)
        .select_related("account", "transaction")
        .order_by("-created_at", "-id")
    )


def payouts_for(*, owner) -> QuerySet[Payout]:
    field = (
        "connected_account__user" if isinstance(owner, User) else "connected_account__organization"
    )
    return Payout.objects.filter(**{field: owner}).order_by("-created_at", "id")


def _owned_by(owner, prefix: str) -> dict:
    # An owner is an organization or a person (a likeness owner, a creator).
    kind = "user" if isinstance(owner, User) else "organization"
    return {f"{prefix}{kind}": owner}


def entries_of_in(*, owner, start, end) -> QuerySet[LedgerEntry]:
    """The organization's (or person's) ledger entries made in [start, end)."""
    return (
        LedgerEntry.objects.filter(
            **_owned_by(owner, "account__"), created_at__gte=start, created_at__lt=end
        )
        .select_related("account", "transaction")
        .order_by("created_at", "id")
    )


def payouts_of_in(*, owner, start, end) -> QuerySet[Payout]:
    """The organization's (or person's) payouts made in [start, end)."""
    return Payout.objects.filter(
        **_owned_by(owner, "connected_account__"), created_at__gte=start, created_at__lt=end
    ).order_by("created_at", "id")


def connected_account_of(*, user: User) -> ConnectedAccount | None:
    return ConnectedAccount.objects.filter(user=user).first()


def first_payout_of(*, connected: ConnectedAccount) -> Payout | None:
    return Payout.objects.filter(connected_account=connected).order_by("created_at").first()


def wallet_fees_from_earnings(*, user) -> bool:
    """Whether the user lets available earnings pay fees their wallet cannot."""
    return Wallet.objects.filter(user=user, fees_from_earnings=True).exists()
