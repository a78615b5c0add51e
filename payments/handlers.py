"""What payments does when a lower app publishes an event (core/events.py): the money a
generation or a dispute moves. Connected once, from ``PaymentsConfig.ready()``."""

from accounts import selectors as accounts_selectors
from core.events import IN_TRANSACTION, subscribe
from licensing.events import GrantRequestClosed
from marketplace.events import DisputeSettled, GenerationAllowed
from payments import services


@subscribe(GenerationAllowed, when=IN_TRANSACTION)
def generation_fees_due(event: GenerationAllowed) -> None:
    """Charge the allowed request's per-generation fees, once, in the same transaction
    that lets it render."""
    services.generation_fees_charge(
        request_id=event.request_id,
        creator=accounts_selectors.user_get(pk=event.creator_id),
        lines=[
            {"character_id": fee.character_id, "amount": fee.amount, "currency": fee.currency}
            for fee in event.fees
        ],
    )


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
