"""What payments does when a lower app publishes an event (core/events.py): the money a
generation or a dispute moves. Connected once, from ``PaymentsConfig.ready()``."""

from accounts import selectors as accounts_selectors
from core.events import IN_TRANSACTION, subscribe
from licensing.events import GrantRequestClosed
from marketplace.events import (
    DisputeSettled,
    GenerationAllowed,
    GenerationEnded,
    GenerationRequested,
)
from payments import services


def _lines(fees) -> list[dict]:
    return [
        {
            "character_id": fee.character_id,
            "grant_id": fee.grant_id,
            "amount": fee.amount,
            "currency": fee.currency,
        }
        for fee in fees
    ]


@subscribe(GenerationRequested, when=IN_TRANSACTION)
def generation_fees_held(event: GenerationRequested) -> None:
    """Hold the new request's per-generation fees, in the transaction that creates it:
    InsufficientFunds rolls the request back."""
    services.fee_holds_place(
        request_id=event.request_id,
        creator=accounts_selectors.user_get(pk=event.creator_id),
        lines=_lines(event.fees),
    )


@subscribe(GenerationAllowed, when=IN_TRANSACTION)
def generation_fees_secured(event: GenerationAllowed) -> None:
    """Match the hold to the fees the policy check found due, before rendering."""
    services.fee_holds_secure(
        request_id=event.request_id,
        creator=accounts_selectors.user_get(pk=event.creator_id),
        lines=_lines(event.fees),
    )


@subscribe(GenerationEnded, when=IN_TRANSACTION)
def generation_fees_settled(event: GenerationEnded) -> None:
    """Capture the fees of a published generation; release those of any other end."""
    if event.published:
        services.fee_holds_capture(request_id=event.request_id)
    else:
        services.fee_holds_release(request_id=event.request_id, reason=event.reason)


@subscribe(DisputeSettled, when=IN_TRANSACTION)
def escrow_follows_dispute(event: DisputeSettled) -> None:
    """Release the claim's share of the work's escrow to its recipients, or pay it to
    the claimant; other claims' shares stay held."""
    claimant = (
        accounts_selectors.organization_get(pk=event.claimant_organization_id)
        if event.upheld
        else None
    )
    services.escrow_settle(work_id=event.work_id, claim_id=event.claim_id, to_claimant=claimant)


@subscribe(GrantRequestClosed, when=IN_TRANSACTION)
def licence_fee_refunded(event: GrantRequestClosed) -> None:
    """A licence request closed without the licence: refund any fee paid for it (the
    ledger with the closing, Stripe once it commits)."""
    services.licence_fees_refund(grant_id=event.grant_id, reason=event.reason)
