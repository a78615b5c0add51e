"""Reads for the rightsholder dashboard's overview: what the user may see (the
characters of every organization they belong to, any role, and their own likenesses)
and the numbers and series the cards and charts show. Everything is counted in the
database, in a number of queries that does not grow with the characters or works."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from accounts.enums import EDITOR_ROLES
from accounts.models import Membership, Organization, User
from licensing.enums import GrantStatus
from licensing.models import Character, Grant, PolicyDecision
from licensing.selectors import characters_with_counts
from marketplace import selectors_stats as marketplace_stats
from marketplace import selectors_storylines as storyline_selectors
from marketplace.enums import ApprovalStatus, ClaimStatus, DisputeStatus
from marketplace.models import Claim, Storyline, WorkApproval
from payments import selectors_stats as payments_stats

if TYPE_CHECKING:
    from marketplace.models import Work

PERIOD_DAYS = 30
TOP_REASONS = 5
TOP_WORKS = 5


@dataclass
class DashboardScope:
    user: User
    memberships: list[Membership]
    characters: Sequence[Character]  # annotated: live_grants, offer_count, can_edit

    @property
    def character_ids(self) -> list[str]:
        return [str(c.pk) for c in self.characters]

    def can_edit(self, character: Character) -> bool:
        """A likeness by its person; a character by its organization's owners and
        managers (viewers see it here but cannot change it)."""
        if character.owner_user_id is not None:
            return character.owner_user_id == self.user.pk
        return any(
            m.organization_id == character.owner_organization_id and m.role in EDITOR_ROLES
            for m in self.memberships
        )

    @property
    def editable_ids(self) -> list[str]:
        return [str(c.pk) for c in self.characters if self.can_edit(c)]

    @property
    def organizations(self) -> list[Organization]:
        return [m.organization for m in self.memberships]

    @property
    def owners(self) -> list[User | Organization]:
        """Whose money the dashboard shows: every organization, and the user when they
        license their own likeness."""
        owners: list[User | Organization] = list(self.organizations)
        if any(c.owner_user_id == self.user.pk for c in self.characters):
            owners.append(self.user)
        return owners


def dashboard_scope(*, user: User) -> DashboardScope:
    """The user's memberships (any role) and every character they may view here, each
    marked with whether they may also edit it. Two queries."""
    memberships = list(
        Membership.objects.filter(user=user)
        .select_related("organization")
        .order_by("organization__name", "organization_id")
    )
    characters = list(
        characters_with_counts(
            Character.objects.filter(
                Q(owner_user=user)
                | Q(owner_organization__in=[m.organization_id for m in memberships])
            )
        )
    )
    scope = DashboardScope(user=user, memberships=memberships, characters=characters)
    for character in characters:
        character.can_edit = scope.can_edit(character)  # type: ignore[attr-defined]
    return scope


def _decisions_involving(character_ids: list[str], since: datetime):
    through = PolicyDecision.characters.through.objects.filter(
        policydecision_id=OuterRef("pk"), character_id__in=character_ids
    )
    return PolicyDecision.objects.filter(purpose="generation", created_at__gte=since).filter(
        Exists(through)
    )


def refusal_reasons(
    *, character_ids: list[str], since: datetime, limit: int = TOP_REASONS
) -> list[tuple[str, int]]:
    """(term, refused decisions) for the terms that refused generations involving the
    characters most often since ``since``: only reasons about these characters count,
    a decision once per term, most frequent first (ties by term). The reasons are a
    JSON list on each decision, unnested and grouped in the database."""
    if not character_ids:
        return []
    refused = (
        PolicyDecision.objects.filter(purpose="generation", allowed=False, created_at__gte=since)
        .values("id")
        .query.sql_with_params()
    )
    sub_sql, sub_params = refused
    table = connection.ops.quote_name(PolicyDecision._meta.db_table)
    # Django has no expression for unnesting a JSON array, hence raw SQL per backend.
    # Only the quoted table name, the ORM's own subquery and placeholders are spliced
    # in; every value travels as a parameter.
    if connection.vendor == "postgresql":
        sql = (
            f"SELECT r.value ->> 'term' AS term, COUNT(DISTINCT d.id) AS n "  # noqa: S608
            f"FROM {table} d CROSS JOIN LATERAL jsonb_array_elements(d.reasons) AS r(value) "
            f"WHERE d.id IN ({sub_sql}) AND r.value ->> 'severity' = 'refuse' "
            f"AND r.value ->> 'character_id' = ANY(%s) "
            f"GROUP BY 1 ORDER BY n DESC, term LIMIT %s"
        )
        params = [*sub_params, list(character_ids), limit]
    else:
        marks = ", ".join(["%s"] * len(character_ids))
        sql = (
            f"SELECT json_extract(r.value, '$.term') AS term, COUNT(DISTINCT d.id) AS n "  # noqa: S608
            f"FROM {table} d, json_each(d.reasons) AS r "
            f"WHERE d.id IN ({sub_sql}) AND json_extract(r.value, '$.severity') = 'refuse' "
            f"AND json_extract(r.value, '$.character_id') IN ({marks}) "
            f"GROUP BY 1 ORDER BY n DESC, term LIMIT %s"
        )
        params = [*sub_params, *character_ids, limit]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(term, n) for term, n in cursor.fetchall()]


@dataclass
class DashboardOverview:
    scope: DashboardScope
    days: list[date] = field(default_factory=list)
    # (day, requests, allowed, refused) for every day of the period, zeros included
    generations: list[tuple[date, int, int, int]] = field(default_factory=list)
    decisions_allowed: int = 0
    decisions_refused: int = 0
    top_reasons: list[tuple[str, int]] = field(default_factory=list)
    active_grants: int = 0
    active_licensees: int = 0
    pending_licences: int = 0
    pending_works: int = 0
    open_claims: int = 0
    open_disputes: int = 0
    published_works: int = 0
    available: dict[str, int] = field(default_factory=dict)
    currency: str | None = None
    earnings: list[tuple[date, int]] = field(default_factory=list)  # every day, in currency
    top_works: list[tuple[Work, int]] = field(default_factory=list)  # all time, in currency

    @property
    def generations_total(self) -> int:
        return sum(total for _, total, _, _ in self.generations)

    @property
    def earnings_total(self) -> int:
        return sum(amount for _, amount in self.earnings)


def _period(now: datetime) -> tuple[datetime, list[date]]:
    today = timezone.localdate(now)
    days = [today - timedelta(days=n) for n in range(PERIOD_DAYS - 1, -1, -1)]
    since = timezone.make_aware(datetime.combine(days[0], datetime.min.time()))
    return since, days


def dashboard_overview(*, user: User, now: datetime | None = None) -> DashboardOverview:
    """Everything the overview shows for the user's scope over the last PERIOD_DAYS
    days (today included): generations per day, policy decisions and their top refusal
    terms, licensees, pending approvals, open claims, works, balances, earnings per day
    and the works that earned the most. A user with no character gets only the scope."""
    scope = dashboard_scope(user=user)
    overview = DashboardOverview(scope=scope)
    ids = scope.character_ids
    if not ids:
        return overview
    since, overview.days = _period(now or timezone.now())

    per_day = {
        day: (day, total, allowed, refused)
        for day, total, allowed, refused in marketplace_stats.generation_counts_by_day(
            character_ids=ids, since=since
        )
    }
    overview.generations = [per_day.get(day, (day, 0, 0, 0)) for day in overview.days]

    decisions = _decisions_involving(ids, since).aggregate(
        n_allowed=Count("id", filter=Q(allowed=True)),
        n_refused=Count("id", filter=Q(allowed=False)),
    )
    overview.decisions_allowed = decisions["n_allowed"]
    overview.decisions_refused = decisions["n_refused"]
    overview.top_reasons = refusal_reasons(character_ids=ids, since=since)

    grants = Grant.objects.filter(character_id__in=ids, status=GrantStatus.ACTIVE).aggregate(
        grants=Count("id"), licensees=Count("licensee", distinct=True)
    )
    overview.active_grants = grants["grants"]
    overview.active_licensees = grants["licensees"]
    # Approvals count only where the user can decide them (the queue shows no more).
    editable = scope.editable_ids
    if editable:
        overview.pending_licences = Grant.objects.filter(
            character_id__in=editable, status=GrantStatus.PENDING_APPROVAL
        ).count()
        overview.pending_works = WorkApproval.objects.filter(
            character_id__in=editable, status=ApprovalStatus.PENDING
        ).count()
    claims = Claim.objects.filter(organization__in=scope.organizations).aggregate(
        open=Count(
            "id",
            filter=Q(
                status__in=[ClaimStatus.STAFF_REVIEW, ClaimStatus.ACTIVE, ClaimStatus.DISPUTED]
            ),
        ),
        disputes=Count(
            "id", filter=Q(dispute__status__in=[DisputeStatus.OPEN, DisputeStatus.ESCALATED])
        ),
    )
    overview.open_claims = claims["open"]
    overview.open_disputes = claims["disputes"]
    overview.published_works = marketplace_stats.published_work_count(character_ids=ids)

    owners = scope.owners
    overview.available = payments_stats.balances_of(owners=owners)
    earned: dict[str, dict[date, int]] = {}
    for day, currency, total in payments_stats.earnings_by_day(owners=owners, since=since):
        earned.setdefault(currency, {})[day] = total
    if earned:
        overview.currency = max(sorted(earned), key=lambda c: sum(earned[c].values()))
    elif overview.available:
        overview.currency = max(sorted(overview.available), key=overview.available.__getitem__)
    if overview.currency:
        daily = earned.get(overview.currency, {})
        overview.earnings = [(day, daily.get(day, 0)) for day in overview.days]
        ranked = payments_stats.revenue_by_work(
            owners=owners,
            work_ids=marketplace_stats.work_ids_featuring(character_ids=ids),
            currency=overview.currency,
            limit=TOP_WORKS,
        )
        works = marketplace_stats.works_by_ids(ids=[work_id for work_id, _ in ranked])
        overview.top_works = [(works[w], total) for w, total in ranked if w in works]
    return overview


# The storyline section: for each storyline the user runs, its takes per day over the
# period, what refused takes of it, and what its takes earned the storyline's owner:
# four queries, and one per storyline for its earnings (at most MAX_STORYLINES).
MAX_STORYLINES = 10


@dataclass(frozen=True)
class StorylineAnalytics:
    storyline: Storyline
    days: list[tuple[date, int]]  # published takes on each day of the period, zeros included
    takes_total: int  # all time
    refusals: list[tuple[str, int]]  # (reason code, refused requests), most first
    earnings: dict[str, int]  # currency → minor units its takes earned the owner


def storyline_analytics(*, user: User, now: datetime | None = None) -> list[StorylineAnalytics]:
    """The storylines the user runs (the newest MAX_STORYLINES), each with its numbers."""
    storylines = list(storyline_selectors.storylines_managed_by(user=user)[:MAX_STORYLINES])
    if not storylines:
        return []
    today = timezone.localdate(now or timezone.now())
    period = [today - timedelta(days=n) for n in range(PERIOD_DAYS - 1, -1, -1)]
    result = []
    for stats in storyline_selectors.storyline_stats(storylines=storylines):
        storyline = stats.storyline
        owner: User | Organization | None = storyline.owner_organization or storyline.owner_user
        per_day = dict(stats.takes_by_day)
        result.append(
            StorylineAnalytics(
                storyline=storyline,
                days=[(day, per_day.get(day, 0)) for day in period],
                takes_total=stats.takes_total,
                refusals=stats.refusals,
                earnings=payments_stats.earned_from_works(
                    owners=[owner] if owner else [], work_ids=stats.take_ids
                ),
            )
        )
    return result
