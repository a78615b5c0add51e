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
3. one COPY writes the transactions (text) and one COPY all their entries (binary), so
   the ledger's statement trigger runs once per batch: every entry's account and
   transaction exist, and every transaction's entries sum to zero per currency.

The events' foreign key to their transaction is deferred: it is checked when the batch
commits, once the transactions the claim pointed them at exist.

A work with a claim may owe its revenue to escrow (an open dispute) or to the claimant (a
monetize claim), which ``settlement_lines`` decides per event; such works are few, so
their events go through ``revenue_event_settle`` itself, after the batches. Every event
the batches settle therefore has no hold: its meta says ``"escrow": false``."""

from __future__ import annotations

import struct
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Q

from core.money import Money, allocate
from licensing import selectors as licensing_selectors
from marketplace import selectors as marketplace_selectors
from payments import selectors
from payments.enums import AccountKind, RevenueKind, RevenueStatus
from payments.models import LedgerAccount, LedgerEntry, LedgerTransaction, RevenueEvent
from payments.services.revenue import revenue_event_settle, split_lines_for
from payments.split import SplitLine

# (owner type, owner id, account kind, currency); owner type "user", "organization" or
# None for the platform's own accounts, as ``account_for`` keys them.
AccountKey = tuple[str | None, str | None, str, str]
# ("fee" or "work", work id, grant id): what ``split_lines_for`` reads.
SplitKey = tuple[str, str | None, str | None]

FEE_KINDS = frozenset({RevenueKind.LICENSE_FEE, RevenueKind.GENERATION_FEE})
GENERATION_FEE = RevenueKind.GENERATION_FEE.value
KIND_LABELS = dict(RevenueKind.choices)
PARTS_CACHE_SIZE = 200_000

_EVENTS = RevenueEvent._meta.db_table
_TRANSACTIONS = LedgerTransaction._meta.db_table
_ENTRIES = LedgerEntry._meta.db_table
_CLAIMS = marketplace_selectors.CLAIMS_TABLE

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
# would, and the RETURNING says so: nothing is posted for that event. (A scalar subquery
# there, not EXISTS: PostgreSQL may run an EXISTS as a hash of the whole transactions
# table, built again for every batch; stale statistics during a long run invite it.)
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
RETURNING e.id::text, e.kind, e.source, e.external_id, e.work_id::text, e.grant_id::text,
          e.payer_id::text, e.amount, e.currency, e.transaction_id::text,
          COALESCE((SELECT TRUE FROM {_TRANSACTIONS} AS t WHERE t.id = e.transaction_id), FALSE)
"""  # noqa: S608 - table names from the models; values are parameters

# The transactions go as text COPY: rows built as strings (a tuple per event, no per-row
# objects), the only free text (the memo) escaped for COPY's text format. The entries,
# 4.5 per event and nothing but ids and numbers, go as binary COPY: PostgreSQL copies 16
# bytes per uuid and 8 per bigint instead of parsing their text. ``created_at`` is left
# to the column's default, the statement's timestamp.
_COPY_TRANSACTIONS = f"COPY {_TRANSACTIONS} (id, key, kind, memo, meta) FROM STDIN"
_COPY_ENTRIES = (
    f"COPY {_ENTRIES} (transaction_id, account_id, amount, currency, work_id)"
    " FROM STDIN (FORMAT BINARY)"
)
# Binary COPY framing: the signature with no flags and no header extension, a tuple as
# its field count then each field's byte length and bytes (length -1: NULL), the trailer.
_BINARY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
_BINARY_TRAILER = b"\xff\xff"
_ENTRY_START = struct.pack(">hi", 5, 16)  # five fields, the first a uuid (16 bytes)
_UUID_FIELD = struct.pack(">i", 16)
_NULL_FIELD = struct.pack(">i", -1)
_ENTRY_MIDDLE = struct.Struct(">iqiqi")  # account id, amount (bigints), currency length
_COPY_ESCAPE = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_COPY_CHUNK = 4_000  # events per write to the COPY stream
# For this transaction only: the balance trigger's transition table (a batch's entries,
# ~9 MB for 20,000 events) and its aggregates stay in memory instead of spilling to
# temporary files at the default 4 MB.
_WORK_MEM = "SET LOCAL work_mem = '64MB'"

# A claimed event, as the claim returns it (ids as text): id, kind, source, external id,
# work, grant, payer, amount, currency, transaction id, already posted.
_Event = tuple[str, str, str, str, str | None, str | None, str | None, int, str, str, bool]
# What makes two events post alike: kind, work, grant, the payer when it pays (a
# per-generation fee), currency.
PlanKey = tuple[str, str | None, str | None, str | None, str]


@dataclass(slots=True)
class _Plan:
    """How the events of one ``PlanKey`` post: the source account, the split's target
    accounts and weights, and per amount the entries' middle fields (account, amount,
    currency) already encoded for binary COPY, zero parts dropped."""

    source: int
    targets: tuple[int, ...]
    weights: tuple[int, ...]
    currency: bytes
    blocks: dict[int, list[bytes]]


def _plan_key(event: _Event) -> PlanKey:
    kind = event[1]
    return (kind, event[4], event[5], event[6] if kind == GENERATION_FEE else None, event[8])


def _split_key(key: PlanKey) -> SplitKey:
    # What ``split_lines_for`` reads: a fee's grant, or the work for tips and ad revenue.
    return ("fee" if key[0] in FEE_KINDS else "work", key[1], key[2])


def _party_key(line: SplitLine, currency: str) -> AccountKey:
    """The account ``settlement_lines`` credits for one split line."""
    if line.role == "platform":
        return (None, None, AccountKind.PLATFORM_REVENUE, currency)
    if line.party.kind == "platform":
        return (None, None, AccountKind.PENDING, currency)
    owner_type = "user" if line.party.kind == "user" else "organization"
    return (owner_type, str(line.party.id), AccountKind.PENDING, currency)


def _source_key(key: PlanKey) -> AccountKey:
    """The account ``settlement_lines`` debits: the payer's hold for a per-generation
    fee (held when the request was made), Stripe clearing for everything else."""
    kind, payer, currency = key[0], key[3], key[4]
    if kind == GENERATION_FEE:
        if payer is None:
            return (None, None, AccountKind.HOLD, currency)
        return ("user", payer, AccountKind.HOLD, currency)
    return (None, None, AccountKind.STRIPE_CLEARING, currency)


class _Settler:
    """What one bulk run shares across its batches: split weights per work or grant
    (many events share one), a posting plan per ``PlanKey``, the parts of each
    (weights, amount) already allocated, and account ids per (owner, kind, currency)."""

    def __init__(self) -> None:
        self.splits: dict[SplitKey, list[SplitLine]] = {}
        self.plans: dict[PlanKey, _Plan] = {}
        self.parts: dict[tuple[tuple[int, ...], int], list[int]] = {}
        self.accounts: dict[AccountKey, int] = {}
        self.work_fields: dict[str | None, bytes] = {}
        self.cached_blocks = 0

    def work_field(self, work: str | None) -> bytes:
        """An entry's last field, its work id (or NULL), in binary COPY's encoding."""
        field = _NULL_FIELD if work is None else _UUID_FIELD + uuid.UUID(work).bytes
        if len(self.work_fields) >= PARTS_CACHE_SIZE:
            self.work_fields.clear()
        self.work_fields[work] = field
        return field

    def load_splits(self, keys: Iterable[SplitKey]) -> None:
        missing = [key for key in set(keys) if key not in self.splits]
        if not missing:
            return
        works = selectors.works_for_split(work_ids={key[1] for key in missing if key[1]})
        grants = licensing_selectors.grants_by_id(
            ids={key[2] for key in missing if key[2] is not None}
        )
        for key in missing:
            fee, work_id, grant_id = key
            # The production function on a stand-in event with the same kind, work and
            # grant: what a creator is shown and what is paid stay one computation.
            stand_in = RevenueEvent(
                kind=RevenueKind.LICENSE_FEE if fee == "fee" else RevenueKind.TIP,
                work=works[uuid.UUID(work_id)] if work_id else None,
                grant=grants[uuid.UUID(grant_id)] if grant_id else None,
            )
            self.splits[key] = split_lines_for(stand_in)

    def prepare(self, events: list[_Event]) -> None:
        """Make sure every event's plan exists: its split loaded, its accounts created."""
        missing = {key for key in map(_plan_key, events) if key not in self.plans}
        if not missing:
            return
        self.load_splits(_split_key(key) for key in missing)
        wanted = {}
        for key in missing:
            lines = self.splits[_split_key(key)]
            wanted[key] = (_source_key(key), [_party_key(line, key[4]) for line in lines], lines)
        self.ensure_accounts(
            {k for source, targets, _ in wanted.values() for k in (source, *targets)}
        )
        accounts = self.accounts
        for key, (source, targets, lines) in wanted.items():
            self.plans[key] = _Plan(
                source=accounts[source],
                targets=tuple(accounts[t] for t in targets),
                weights=tuple(line.weight for line in lines),
                currency=key[4].encode(),
                blocks={},
            )

    def block(self, plan: _Plan, amount: int, currency: str) -> list[bytes]:
        """The entries of an event of ``amount`` under ``plan``, in ``settlement_lines``
        order (source first, zero parts dropped), as their middle fields (account,
        amount, currency) in binary COPY's encoding."""
        parts = self.parts.get((plan.weights, amount))
        if parts is None:
            # ``allocate`` is a pure function of (total, weights): tips, fees and ad
            # payouts repeat the same amounts over works with the same weights.
            parts = [part.amount for part in allocate(Money(amount, currency), plan.weights)]
            if len(self.parts) >= PARTS_CACHE_SIZE:
                self.parts.clear()
            self.parts[(plan.weights, amount)] = parts
        lines = [(plan.source, -amount)]
        lines += [(t, part) for t, part in zip(plan.targets, parts, strict=True) if part]
        code, pack = plan.currency, _ENTRY_MIDDLE.pack
        block = [pack(8, account, 8, part, len(code)) + code for account, part in lines]
        if self.cached_blocks >= PARTS_CACHE_SIZE:
            for other in self.plans.values():
                other.blocks.clear()
            self.cached_blocks = 0
        plan.blocks[amount] = block
        self.cached_blocks += 1
        return block

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
    return cursor.fetchall()


def _post(cursor, settler: _Settler, events: list[_Event]) -> None:
    """Write the transactions and entries of claimed events: two COPY statements."""
    settler.prepare(events)
    plans, block_for, work_fields = settler.plans, settler.block, settler.work_fields
    transactions: list[str] = []
    entries: list[bytes] = [_BINARY_HEADER]
    for event in events:
        eid, kind, source, external, work, _, _, amount, currency, tid, _ = event
        memo = f"{KIND_LABELS.get(kind, kind)} {source}:{external}"[:300].translate(_COPY_ESCAPE)
        transactions.append(
            f'{tid}\trevenue:{eid}\trevenue.{kind}\t{memo}\t{{"event": "{eid}", '
            f'"escrow": false, "work": "{work or ""}"}}\n'
        )
        plan = plans[_plan_key(event)]
        block = plan.blocks.get(amount) or block_for(plan, amount, currency)
        head = _ENTRY_START + bytes.fromhex(tid.replace("-", ""))
        tail = work_fields.get(work) or settler.work_field(work)
        entries.append(head + (tail + head).join(block) + tail)
    entries.append(_BINARY_TRAILER)
    with cursor.copy(_COPY_TRANSACTIONS) as copy:
        for start in range(0, len(transactions), _COPY_CHUNK):
            copy.write("".join(transactions[start : start + _COPY_CHUNK]))
    # Every entry of the batch in one statement: the balance trigger checks them together.
    with cursor.copy(_COPY_ENTRIES) as copy:
        for start in range(0, len(entries), _COPY_CHUNK):
            copy.write(b"".join(entries[start : start + _COPY_CHUNK]))


def _settle_batch(settler: _Settler, *, where: str, params: dict, limit: int) -> list[_Event]:
    """Claim and settle up to ``limit`` events in one database transaction. Returns them,
    those linked to an earlier posting included."""
    with transaction.atomic(), connection.connection.cursor() as cursor:
        cursor.execute(_WORK_MEM)
        events = _claim(cursor, where=where, params=params, limit=limit)
        todo = [e for e in events if not e[10]]
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
        work__in=marketplace_selectors.claimed_work_ids(),
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
        last: str | None = None
        while True:
            if last is None:
                events = _settle_batch(settler, where="TRUE", params={}, limit=batch)
            else:
                events = _settle_batch(
                    settler, where="r.id > %(last)s::uuid", params={"last": last}, limit=batch
                )
            if not events:
                break
            settled += len(events)
            # Keyset paging: an event skipped here (locked elsewhere) is left to its holder.
            last = max(e[0] for e in events)
    # After the batches, so a claim filed while they ran is honoured too.
    return settled + _settle_claimed_works(event_ids=ids)
