"""Per-generation fees: charged once per generation request, and posted to the ledger
as revenue events (from the creator's available balance to the rightsholders)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction

from core.money import Money
from licensing import selectors as licensing_selectors
from payments.enums import RevenueKind
from payments.models import GenerationCharge
from payments.services.revenue import revenue_event_record, revenue_event_settle

if TYPE_CHECKING:
    from accounts.models import User


def generation_fees_charge(
    *, request_id, creator: User, lines: list[dict]
) -> tuple[GenerationCharge, bool]:
    """Charge a generation's per-generation fees exactly once per request.

    Each line ({"character_id", "amount", "currency"}) becomes a generation-fee revenue
    event keyed by request and character, settled at once. Returns (charge, created); a
    second call for the same request, from a retried or redelivered task, returns the
    first charge and posts nothing."""
    existing = GenerationCharge.objects.filter(request_id=request_id).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            charge = GenerationCharge.objects.create(
                request_id=request_id, creator=creator, lines=lines
            )
            for line in lines:
                if not line["amount"]:
                    continue
                grant = licensing_selectors.grant_active_latest(
                    licensee=creator, character_id=line["character_id"]
                )
                event, _ = revenue_event_record(
                    kind=RevenueKind.GENERATION_FEE,
                    source="internal",
                    external_id=f"generation:{request_id}:{line['character_id']}",
                    money=Money(line["amount"], line["currency"]),
                    grant=grant,
                    payer=creator,
                )
                revenue_event_settle(event=event)
    except IntegrityError:
        return GenerationCharge.objects.get(request_id=request_id), False
    return charge, True
