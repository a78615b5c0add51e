"""Payments reads: the split of a work's revenue from its lineage, balances, statements."""

from __future__ import annotations

from django.conf import settings
from django.db.models import QuerySet

from accounts.models import User
from payments.models import LedgerAccount, LedgerEntry, Payout
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


def lineage(*, work) -> tuple[list[LicenseShare], list[Ancestor]]:
    """The licences a work's revenue owes (each with the level its character entered
    the lineage) and its upstream creators."""
    from marketplace import selectors as marketplace_selectors

    ancestors = marketplace_selectors.work_ancestors(work=work, with_licenses=True)
    own_by_level = [
        {lic.character_id for lic in ancestor.licenses.all() if not lic.inherited}
        for ancestor in ancestors
    ]
    rows = work.licenses.select_related(
        "offer", "character__owner_organization", "character__owner_user"
    ).order_by("id")
    shares = []
    for row in rows:
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
    if ancestors and any(lic.upstream_model == "relative" for lic in ancestors[0].licenses.all()):
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
