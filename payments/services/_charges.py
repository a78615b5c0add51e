"""Payments writes. For now: the idempotent per-generation charge record, which the
ledger (payments issue) turns into postings."""

from django.db import IntegrityError, transaction

from accounts.models import User
from payments.models import GenerationCharge


def generation_fees_charge(
    *, request_id, creator: User, lines: list[dict]
) -> tuple[GenerationCharge, bool]:
    """Charge a generation's per-generation fees exactly once per request.

    Returns (charge, created). A second call for the same request, from a retried or
    redelivered task, returns the first charge and charges nothing."""
    existing = GenerationCharge.objects.filter(request_id=request_id).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            return GenerationCharge.objects.create(
                request_id=request_id, creator=creator, lines=lines
            ), True
    except IntegrityError:
        return GenerationCharge.objects.get(request_id=request_id), False
