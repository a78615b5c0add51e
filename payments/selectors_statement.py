"""The earnings statement in words: each ledger entry as a sentence saying what happened
("Tip from Ken on “Sunset duel”"), with a link to what it is about (the work, the
character, the payout, the video request). The ledger keeps keys and kinds for
machines; people read these. A page of entries is described with a fixed number of
queries, whatever its length."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from django.urls import reverse

from accounts import selectors as accounts_selectors
from core.money import Money
from marketplace.enums import ClaimStatus
from marketplace.models import Claim, GenerationRequest, Work
from payments.enums import AccountKind, PayoutStatus, RevenueKind
from payments.models import LedgerEntry, LedgerTransaction, Payout, RevenueEvent

T = TypeVar("T")

# How the statement names each balance (the ledger's account kinds).
BALANCE_WORDS: dict[str, str] = {
    AccountKind.PENDING: "Pending",
    AccountKind.AVAILABLE: "Available",
    AccountKind.WALLET: "Wallet",
    AccountKind.HOLD: "Held for videos",
}


@dataclass(frozen=True)
class StatementLine:
    created_at: datetime
    balance: str
    text: str
    url: str  # "" when there is nothing to link to
    money: Money


def payout_status_words(payout: Payout) -> str:
    """Where a payout stands, as its owner would say it."""
    if payout.status == PayoutStatus.PAID:
        when = payout.paid_at or payout.updated_at
        return f"Paid to your bank on {when:%-d %b %Y}"
    if payout.status == PayoutStatus.FAILED:
        return "Failed: the money is back in your available balance"
    if payout.status == PayoutStatus.SUBMITTED:
        return "On its way to your bank"
    return "Being prepared"


def _quoted(title: str) -> str:
    return f"“{title}”"


def _uuid(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        return None


def _pick(found: Mapping[uuid.UUID, T], value) -> T | None:
    """The row of ``found`` whose id is ``value`` (a UUID or its text), if any."""
    key = _uuid(value)
    return found.get(key) if key is not None else None


def _ids(values: Iterable) -> set[uuid.UUID]:
    return {found for found in (_uuid(v) for v in values if v) if found is not None}


def _request_id(event: RevenueEvent) -> uuid.UUID | None:
    """The video request a per-generation fee was paid for (its external id is
    ``generation:<request>:<character>``, fee_holds.py)."""
    if event.kind != RevenueKind.GENERATION_FEE or event.source != "internal":
        return None
    parts = event.external_id.split(":")
    return _uuid(parts[1]) if len(parts) == 3 else None


class _Context:
    """Everything the sentences of one page name, loaded in bulk."""

    def __init__(self, entries: Sequence[LedgerEntry]):
        self.txns = {e.transaction.key: e.transaction for e in entries}
        self._load_origins()
        metas = [t.meta for t in self.txns.values()]
        self.events = RevenueEvent.objects.select_related(
            "payer", "work", "grant__character", "grant__licensee"
        ).in_bulk(_ids(m.get("event") for m in metas))
        self.claims = Claim.objects.select_related("work", "organization").in_bulk(
            _ids(m.get("claim") for m in metas)
        )
        self.payouts = Payout.objects.in_bulk(_ids(m.get("payout") for m in metas))
        request_ids = _ids(m.get("request") for m in metas) | {
            r for r in (_request_id(e) for e in self.events.values()) if r
        }
        self.requests = GenerationRequest.objects.in_bulk(request_ids)
        self.request_works = {
            w.request_id: w for w in Work.objects.filter(request_id__in=request_ids)
        }
        self.works = Work.objects.in_bulk(
            _ids(e.work_id for e in entries) | _ids(m.get("work") for m in metas)
        )

    def _load_origins(self) -> None:
        """A release or an escrow move is about the transaction it came from (``of``);
        a release of an escrow move, about that one's origin too: two levels."""
        for _ in range(2):
            wanted = {t.meta.get("of") for t in self.txns.values() if t.meta.get("of")} - set(
                self.txns
            )
            if not wanted:
                return
            self.txns.update({t.key: t for t in LedgerTransaction.objects.filter(key__in=wanted)})

    def event(self, txn: LedgerTransaction) -> RevenueEvent | None:
        return _pick(self.events, txn.meta.get("event"))

    def origin(self, txn: LedgerTransaction) -> LedgerTransaction | None:
        return self.txns.get(txn.meta.get("of", ""))

    def request(self, value) -> GenerationRequest | None:
        return _pick(self.requests, value)

    def request_title(self, request: GenerationRequest) -> str:
        work = self.request_works.get(request.pk)
        if work is not None:
            return work.title
        prompt = " ".join(request.prompt.split())
        return prompt if len(prompt) <= 60 else prompt[:59] + "…"


def _owns_work(owner, work: Work | None) -> bool:
    return (
        work is not None
        and not accounts_selectors.is_organization(owner)
        and work.creator_id == owner.pk
    )


def _revenue(event: RevenueEvent, entry_kind: str, owner, ctx: _Context) -> tuple[str, str]:
    """A revenue event as the owner sees it: theirs whole, or their share of it."""
    payer = str(event.payer) if event.payer_id else ""
    work = event.work
    url = work.get_absolute_url() if work else ""
    if event.kind == RevenueKind.GENERATION_FEE:
        request = _pick(ctx.requests, _request_id(event))
        title = ctx.request_title(request) if request else ""
        made = ctx.request_works.get(request.pk) if request else None
        url = made.get_absolute_url() if made else (request.get_absolute_url() if request else "")
        if entry_kind == AccountKind.HOLD:
            grant = event.grant
            name = grant.character.name if grant else "a character"
            return f"Per-video fee for {name} in {_quoted(title)}", url
        return f"Your share of the per-video fee for {_quoted(title)}", url
    if event.kind == RevenueKind.LICENSE_FEE:
        character = event.grant.character if event.grant else None
        name = character.name if character else "your character"
        by = f" from {payer}" if payer else ""
        return f"Licence fee{by} for {name}", character.get_absolute_url() if character else ""
    title = _quoted(work.title) if work else "a video"
    if event.kind == RevenueKind.TIP:
        what = f"tip from {payer} on {title}" if payer else f"tip on {title}"
    else:
        what = f"ad revenue from {title}"
    if _owns_work(owner, work):
        return what[0].upper() + what[1:], url
    return f"Your share of the {what}", url


def _escrow_out(txn: LedgerTransaction, owner, ctx: _Context) -> tuple[str, str]:
    claim = _pick(ctx.claims, txn.meta.get("claim"))
    work = claim.work if claim else _pick(ctx.works, txn.meta.get("work"))
    title = _quoted(work.title) if work else "a video"
    url = work.get_absolute_url() if work else ""
    if claim is not None and claim.status == ClaimStatus.UPHELD:
        if claim.organization_id == getattr(owner, "pk", None):
            return f"Paid to you from escrow: your claim on {title} was upheld", url
        return (
            f"Paid from escrow to {claim.organization.name}: its claim on {title} was upheld",
            url,
        )
    return f"Released from escrow after the claim on {title} was released", url


def _payout(txn: LedgerTransaction, ctx: _Context) -> tuple[str, str]:
    payout = _pick(ctx.payouts, txn.meta.get("payout"))
    anchor = f"{reverse('payments:earnings')}#payout-{payout.pk}" if payout else ""
    if txn.kind == "payout.return":
        return "Payout to your bank failed: the money is back in your balance", anchor
    status = payout_status_words(payout).lower() if payout else ""
    return f"Payout to your bank{f' ({status})' if status else ''}", anchor


def _fees(txn: LedgerTransaction, ctx: _Context) -> tuple[str, str]:
    request = ctx.request(txn.meta.get("request"))
    title = _quoted(ctx.request_title(request)) if request else "a video"
    url = request.get_absolute_url() if request else ""
    if txn.kind == "fee.release":
        return f"Per-video fees returned: {title} was not published", url
    if txn.key.startswith("hold:") and txn.key.count(":") > 1:
        return (
            f"More held for the per-video fees of {title}: the prompt names another character",
            url,
        )
    return f"Held for the per-video fees of {title} until it publishes", url


def _describe(
    txn: LedgerTransaction, entry_kind: str, owner, ctx: _Context, depth: int = 0
) -> tuple[str, str]:
    """(sentence, link) for one transaction as seen from one of the owner's balances."""
    kind = txn.kind
    if kind.startswith("revenue.") and kind != "revenue.reversal":
        event = ctx.event(txn)
        if event is None:
            return "Earnings", ""
        text, url = _revenue(event, entry_kind, owner, ctx)
        if txn.meta.get("escrow") and entry_kind != AccountKind.HOLD:
            text += " (part held in escrow while a claim is disputed)"
        return text, url
    if kind == "revenue.reversal":
        event = ctx.event(txn)
        text, url = _revenue(event, entry_kind, owner, ctx) if event else ("a payment", "")
        what = text[0].lower() + text[1:]
        if "chargeback" in txn.memo:
            return f"Taken back after a chargeback: {what}", url
        return f"Refunded: {what}", url
    if kind == "release" and depth < 2:
        origin = ctx.origin(txn)
        if origin is None:
            return "Now available", ""
        text, url = _describe(origin, AccountKind.PENDING, owner, ctx, depth + 1)
        return f"Now available: {text[0].lower() + text[1:]}", url
    if kind == "escrow.out":
        return _escrow_out(txn, owner, ctx)
    if kind.startswith("payout."):
        return _payout(txn, ctx)
    if kind == "wallet.top_up":
        return "Added to your wallet", f"{reverse('payments:earnings')}#wallet"
    if kind == "wallet.top_up_reversal":
        return "Wallet top-up refunded", f"{reverse('payments:earnings')}#wallet"
    if kind in ("fee.hold", "fee.release"):
        return _fees(txn, ctx)
    return "Balance adjustment", ""


def statement_lines(*, entries: Sequence[LedgerEntry], owner) -> list[StatementLine]:
    """The owner's entries (one page of ``selectors.statement``) in words."""
    entries = list(entries)
    ctx = _Context(entries)
    lines = []
    for entry in entries:
        kind = entry.account.kind
        text, url = _describe(entry.transaction, kind, owner, ctx)
        lines.append(
            StatementLine(
                created_at=entry.created_at,
                balance=BALANCE_WORDS.get(kind, entry.account.get_kind_display()),
                text=text,
                url=url,
                money=Money(entry.amount, entry.currency),
            )
        )
    return lines
