"""Settle many revenue events at once, with set-based SQL on PostgreSQL.

``revenue_events_settle_bulk`` promises exactly the ledger that calling
``revenue_event_settle`` on each event would leave: the same accounts, the same entries in
the same order per transaction (the split engine and ``allocate`` compute every part), the
same transaction key ``revenue:<event id>``, kind, memo and meta, and each event settled
and pointing at its transaction. Only the way the rows are written differs. Per batch,
in one database transaction:

1. one UPDATE claims up to ``batch`` RECEIVED events (``FOR UPDATE SKIP LOCKED``),
   marks them settled and gives each its transaction id, returning the events (events
   of a work under a claim are left out: see below);
2. the splits are computed in Python (weights cached per work and per grant, parts per
   weights and amount) and any missing accounts are created in one INSERT;
3. one COPY writes the transactions and one COPY all their entries, so the balance
   trigger runs once per batch and sees every entry of every transaction.

The foreign keys are deferred: they are checked when the batch commits, once the
transactions the events point at exist.

A work with a claim may owe its revenue to escrow (an open dispute) or to the claimant (a
monetize claim), which ``settlement_lines`` decides per event; such works are few, so
their events go through ``revenue_event_settle`` itself, after the batches. Every event
the batches settle therefore has no hold: its meta says ``"escrow": false``."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from psycopg.types.json import Jsonb

from licensing.models import Claim, Grant
from marketplace.models import Work
from payments.enums import AccountKind, RevenueKind, RevenueStatus
from payments.models import LedgerAccount, LedgerEntry, LedgerTransaction, RevenueEvent
from payments.money import Money, allocate
from payments.services.revenue import revenue_event_settle, split_lines_for
from payments.split import SplitLine

# (owner type, owner id, account kind, currency); owner type "user", "organization" or
# None for the platform's own accounts, as ``account_for`` keys them.
AccountKey = tuple[str | None, str | None, str, str]
SplitKey = tuple[str, uuid.UUID | None, uuid.UUID | None]

FEE_KINDS = frozenset({RevenueKind.LICENSE_FEE, RevenueKind.GENERATION_FEE})
KIND_LABELS = dict(RevenueKind.choices)
PARTS_CACHE_SIZE = 200_000

_EVENTS = RevenueEvent._meta.db_table
_TRANSACTIONS = LedgerTransaction._meta.db_table
_ENTRIES = LedgerEntry._meta.db_table
_CLAIMS = Claim._meta.db_table

# A time-ordered transaction id (the UUIDv7 layout: 48 bits of Unix milliseconds, the
# version, then random bits): the indexes on transaction ids (the transactions' primary
# key, the entries' and the events' foreign keys) grow at their right edge instead of at
# random pages, and the deferred foreign key checks find their rows in cache.
_UUID7 = """encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid())
    placing substring(int8send(floor(extract(epoch FROM clock_timestamp()) * 1000)::int8) FROM 3)
    FROM 1 FOR 6), 52, 1), 53, 1), 'hex')::uuid"""

# Claim, settle and assign transaction ids in one statement (an index scan: a batch
# costs the same whatever the table's size). A transaction already posted under the
# event's key (``ledger_post`` is idempotent on it) is linked, as ``revenue_event_settle``
# would, and the RETURNING says so: nothing is posted for that event.
_CLAIM = f"""
UPDATE {_EVENTS} AS e
   SET status = %(settled)s,
       transaction_id = COALESCE(
           (SELECT t.id FROM {_TRANSACTIONS} AS t WHERE t.key = 'revenue:' || e.id::text),
           {_UUID7})
 WHERE e.id = ANY(ARRAY(
           SELECT r.id FROM {_EVENTS} AS r
            WHERE r.status = %(received)s AND r.transaction_id IS NULL AND {{where}}
              AND NOT EXISTS (SELECT FROM {_CLAIMS} AS c WHERE c.work_id = r.work_id)
            ORDER BY r.id
            LIMIT %(limit)s
              FOR UPDATE SKIP LOCKED))
RETURNING e.id, e.kind, e.source, e.external_id, e.work_id, e.grant_id, e.payer_id,
          e.amount, e.currency, e.transaction_id,
          EXISTS (SELECT FROM {_TRANSACTIONS} AS t WHERE t.id = e.transaction_id)
"""  # noqa: S608 - table names from the models; values are parameters

_COPY_TRANSACTIONS = (
    f"COPY {_TRANSACTIONS} (id, key, kind, memo, meta, created_at) FROM STDIN (FORMAT BINARY)"
)
_TRANSACTION_TYPES = ["uuid", "varchar", "varchar", "varchar", "jsonb", "timestamptz"]
_COPY_ENTRIES = (
    f"COPY {_ENTRIES} (transaction_id, account_id, amount, currency, work_id, created_at)"
    " FROM STDIN (FORMAT BINARY)"
)
_ENTRY_TYPES = ["uuid", "int8", "int8", "varchar", "uuid", "timestamptz"]


@dataclass(frozen=True, slots=True)
class _Event:
    id: uuid.UUID
    kind: str
    source: str
    external_id: str
    work_id: uuid.UUID | None
    grant_id: uuid.UUID | None
    payer_id: uuid.UUID | None
    amount: int
    currency: str
    transaction_id: uuid.UUID
    already_posted: bool


def _split_key(event: _Event) -> SplitKey:
    # What ``split_lines_for`` reads: a fee's grant, or the work for tips and ad revenue.
    if event.kind in FEE_KINDS:
        return ("fee", event.grant_id, event.work_id)
    return ("work", event.work_id, event.grant_id)


def _party_key(line: SplitLine, currency: str) -> AccountKey:
    """The account ``settlement_lines`` credits for one split line."""
    if line.role == "platform":
        return (None, None, AccountKind.PLATFORM_REVENUE, currency)
    if line.party.kind == "platform":
        return (None, None, AccountKind.PENDING, currency)
    owner_type = "user" if line.party.kind == "user" else "organization"
    return (owner_type, str(line.party.id), AccountKind.PENDING, currency)


def _source_key(event: _Event) -> AccountKey:
    """The account ``settlement_lines`` debits: the payer's available balance for a
    per-generation fee, Stripe clearing for everything else."""
    if event.kind == RevenueKind.GENERATION_FEE:
        if event.payer_id is None:
            return (None, None, AccountKind.AVAILABLE, event.currency)
        return ("user", str(event.payer_id), AccountKind.AVAILABLE, event.currency)
    return (None, None, AccountKind.STRIPE_CLEARING, event.currency)


def _as_is(text: str) -> str:
    return text


class _Settler:
    """What one bulk run shares across its batches: split weights per work or grant
    (many events share one), the parts of each (weights, amount) already allocated, and
    account ids per (owner, kind, currency)."""

    def __init__(self) -> None:
        self.splits: dict[SplitKey, list[SplitLine]] = {}
        self.targets: dict[tuple[SplitKey, str], tuple[list[AccountKey], tuple[int, ...]]] = {}
        self.parts: dict[tuple[tuple[int, ...], int, str], list[int]] = {}
        self.accounts: dict[AccountKey, int] = {}

    def load_splits(self, events: list[_Event]) -> None:
        missing = {_split_key(e): e for e in events if _split_key(e) not in self.splits}
        if not missing:
            return
        works = Work.objects.select_related("creator", "parent__creator").in_bulk(
            {e.work_id for e in missing.values() if e.work_id is not None}
        )
        grants = Grant.objects.select_related(
            "character__owner_organization", "character__owner_user"
        ).in_bulk({e.grant_id for e in missing.values() if e.grant_id is not None})
        for key, event in missing.items():
            # The production function on a stand-in event with the same kind, work and
            # grant: what a creator is shown and what is paid stay one computation.
            stand_in = RevenueEvent(
                kind=event.kind,
                work=works.get(event.work_id) if event.work_id else None,
                grant=grants.get(event.grant_id) if event.grant_id else None,
            )
            self.splits[key] = split_lines_for(stand_in)

    def _allocated(self, weights: tuple[int, ...], amount: int, currency: str) -> list[int]:
        # ``allocate`` is a pure function of (total, weights): tips, fees and ad payouts
        # repeat the same amounts over works with the same weights.
        found = self.parts.get((weights, amount, currency))
        if found is None:
            found = [part.amount for part in allocate(Money(amount, currency), weights)]
            if len(self.parts) >= PARTS_CACHE_SIZE:
                self.parts.clear()
            self.parts[(weights, amount, currency)] = found
        return found

    def entries(self, event: _Event) -> list[tuple[AccountKey, int]]:
        """The event's entries, in ``settlement_lines`` order, zero parts dropped."""
        split = self.targets.get((_split_key(event), event.currency))
        if split is None:
            lines = self.splits[_split_key(event)]
            split = (
                [_party_key(line, event.currency) for line in lines],
                tuple(line.weight for line in lines),
            )
            self.targets[(_split_key(event), event.currency)] = split
        targets, weights = split
        parts = self._allocated(weights, event.amount, event.currency)
        entries = [(_source_key(event), -event.amount)]
        entries += [(t, part) for t, part in zip(targets, parts, strict=True) if part]
        return entries

    def _load_accounts(self, keys: set[AccountKey]) -> None:
        users = {k[1] for k in keys if k[0] == "user"}
        orgs = {k[1] for k in keys if k[0] == "organization"}
        owners = Q(user_id__in=users) | Q(organization_id__in=orgs)
        if any(k[0] is None for k in keys):
            owners |= Q(user__isnull=True, organization__isnull=True)
        rows = LedgerAccount.objects.filter(
            owners, kind__in={k[2] for k in keys}, currency__in={k[3] for k in keys}
        ).values_list("id", "kind", "currency", "user_id", "organization_id")
        for account_id, kind, currency, user_id, org_id in rows:
            if user_id is not None:
                key: AccountKey = ("user", str(user_id), kind, currency)
            elif org_id is not None:
                key = ("organization", str(org_id), kind, currency)
            else:
                key = (None, None, kind, currency)
            self.accounts[key] = account_id

    def ensure_accounts(self, keys: set[AccountKey]) -> None:
        """Cache the ids of ``keys``, creating the missing accounts in one INSERT, in a
        stable order (race-safe: a concurrent creator's row wins and is read back). A
        failed batch ends the run, so no id outlives the rollback of its account."""
        missing = {k for k in keys if k not in self.accounts}
        if not missing:
            return
        self._load_accounts(missing)
        absent = sorted((k for k in missing if k not in self.accounts), key=str)
        if not absent:
            return
        LedgerAccount.objects.bulk_create(
            [
                LedgerAccount(
                    kind=kind,
                    currency=currency,
                    user_id=owner_id if owner_type == "user" else None,
                    organization_id=owner_id if owner_type == "organization" else None,
                )
                for owner_type, owner_id, kind, currency in absent
            ],
            ignore_conflicts=True,
        )
        self._load_accounts(set(absent))


def _claim(cursor, *, where: str, params: dict, limit: int) -> list[_Event]:
    cursor.execute(
        _CLAIM.format(where=where),
        {
            **params,
            "settled": RevenueStatus.SETTLED,
            "received": RevenueStatus.RECEIVED,
            "limit": limit,
        },
    )
    return [_Event(*row) for row in cursor.fetchall()]


def _post(cursor, settler: _Settler, events: list[_Event]) -> None:
    """Write the transactions and entries of claimed events: two COPY statements."""
    settler.load_splits(events)
    postings = [(e, settler.entries(e)) for e in events]
    settler.ensure_accounts({key for _, entries in postings for key, _ in entries})
    accounts = settler.accounts
    now = timezone.now()
    with cursor.copy(_COPY_TRANSACTIONS) as copy:
        copy.set_types(_TRANSACTION_TYPES)
        for e, _ in postings:
            memo = f"{KIND_LABELS.get(e.kind, e.kind)} {e.source}:{e.external_id}"[:300]
            work = e.work_id or ""
            meta = Jsonb(f'{{"event": "{e.id}", "escrow": false, "work": "{work}"}}', dumps=_as_is)
            copy.write_row(
                (e.transaction_id, f"revenue:{e.id}", f"revenue.{e.kind}", memo, meta, now)
            )
    # Every entry of the batch in one statement: the balance trigger checks them together.
    with cursor.copy(_COPY_ENTRIES) as copy:
        copy.set_types(_ENTRY_TYPES)
        write = copy.write_row
        for e, entries in postings:
            for key, amount in entries:
                write((e.transaction_id, accounts[key], amount, e.currency, e.work_id, now))


def _settle_batch(settler: _Settler, *, where: str, params: dict, limit: int) -> list[_Event]:
    """Claim and settle up to ``limit`` events in one database transaction. Returns them,
    those linked to an earlier posting included."""
    with transaction.atomic(), connection.connection.cursor() as cursor:
        events = _claim(cursor, where=where, params=params, limit=limit)
        todo = [e for e in events if not e.already_posted]
        if todo:
            _post(cursor, settler, todo)
    return events


def _sorted_chunks(event_ids: Iterable[uuid.UUID], size: int) -> Iterator[Sequence[uuid.UUID]]:
    ids = sorted({uuid.UUID(str(i)) for i in event_ids})
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _settle_each(*, event_ids: Iterable[uuid.UUID] | None, batch: int) -> int:
    """Other databases (SQLite in development): the per-event service, event by event."""
    pending = RevenueEvent.objects.filter(
        status=RevenueStatus.RECEIVED, transaction__isnull=True
    ).order_by("pk")
    settled = 0
    if event_ids is not None:
        for chunk in _sorted_chunks(event_ids, 500):
            for event in pending.filter(pk__in=chunk):
                revenue_event_settle(event=event)
                settled += 1
        return settled
    last = None
    while page := list((pending.filter(pk__gt=last) if last else pending)[:batch]):
        last = page[-1].pk
        for event in page:
            revenue_event_settle(event=event)
            settled += 1
    return settled


def _settle_claimed_works(*, event_ids: list[uuid.UUID] | None) -> int:
    """The per-event path for RECEIVED events of works with a claim (the batches leave
    them out): it decides whether their revenue is held."""
    held = RevenueEvent.objects.filter(
        status=RevenueStatus.RECEIVED,
        transaction__isnull=True,
        work__in=Claim.objects.values("work_id"),
    )
    settled = 0
    for chunk in _sorted_chunks(event_ids, 500) if event_ids is not None else [None]:
        events = held if chunk is None else held.filter(pk__in=chunk)
        for event in events.order_by("pk"):
            revenue_event_settle(event=event)
            settled += 1
    return settled


def revenue_events_settle_bulk(
    *, event_ids: Iterable[uuid.UUID] | None = None, batch: int = 20_000
) -> int:
    """Settle every RECEIVED event (or those of ``event_ids`` still RECEIVED), ``batch``
    at a time, each batch in one database transaction. Returns how many it settled.

    Idempotent, and safe beside ``revenue_event_settle`` or other bulk runs: settled
    events are not selected, events another transaction holds are skipped (left to it),
    and an event whose ``revenue:<id>`` transaction exists is linked to it, not posted
    again. Events of claimed works, and every event on SQLite, go through
    ``revenue_event_settle`` one by one."""
    if batch < 1:
        raise ValueError("batch must be at least 1")
    ids = None if event_ids is None else list(event_ids)
    if connection.vendor != "postgresql":
        return _settle_each(event_ids=ids, batch=batch)
    settler = _Settler()
    settled = 0
    if ids is not None:
        for chunk in _sorted_chunks(ids, batch):
            events = _settle_batch(
                settler, where="r.id = ANY(%(ids)s::uuid[])", params={"ids": chunk}, limit=batch
            )
            settled += len(events)
    else:
        last: uuid.UUID | None = None
        while True:
            if last is None:
                events = _settle_batch(settler, where="TRUE", params={}, limit=batch)
            else:
                events = _settle_batch(
                    settler, where="r.id > %(last)s", params={"last": last}, limit=batch
                )
            if not events:
                break
            settled += len(events)
            # Keyset paging: an event skipped here (locked elsewhere) is left to its holder.
            last = max(e.id for e in events)
    # After the batches, so a claim filed while they ran is honoured too.
    return settled + _settle_claimed_works(event_ids=ids)
