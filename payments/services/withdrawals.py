"""Withdraw on demand: an account holder asks for their available balance now instead
of waiting for the hourly run. The same path as the run: the money is reserved in the
ledger (``payout:<id>:reserve``) and the transfer carries ``payout-<id>``, sent by a
money task once the payout is committed (and by the next hourly run if that task is
lost), confirmed by the transfer's webhook."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from rest_framework import status

from accounts import selectors as accounts_selectors
from core import outbox
from core.errors import DomainError, NotPermitted
from payments.enums import AccountKind, PaymentsError
from payments.models import LedgerAccount, Payout
from payments.selectors_payouts import payout_outlook
from payments.services.payouts import payout_open

if TYPE_CHECKING:
    from accounts.models import Organization, User


class PayoutRefused(DomainError):
    """Nothing can be paid out now; ``code`` and ``detail`` say why (409)."""

    status_code = status.HTTP_409_CONFLICT


def payout_withdraw(*, by: User, organization: Organization | None = None) -> list[Payout]:
    """Pay out now every available balance (one per currency) of ``by`` or of an
    organization ``by`` owns that is at or above the minimum payout. Two requests at
    once make one payout: each balance row is locked while its payout is made, and the
    second finds the first's payout open or nothing left. Refuses with the reason
    (PayoutRefused: no connected account, payouts not enabled yet, a payout already on
    its way, below the minimum) when there is nothing to pay; refuses an organization's
    withdrawal to anyone but an owner (NotPermitted)."""
    if (
        organization is not None
        and accounts_selectors.membership_role(organization=organization, user=by) != "owner"
    ):
        raise NotPermitted("Only an owner can withdraw the organization's earnings.")
    owner = organization or by
    outlook = payout_outlook(owner=owner)
    connected = outlook.connected
    if connected is None or not connected.payouts_enabled or not outlook.due:
        _refuse(owner)
    assert connected is not None  # _refuse raised otherwise
    made: list[Payout] = []
    with transaction.atomic():
        accounts = LedgerAccount.objects.filter(
            kind=AccountKind.AVAILABLE,
            currency__in=[m.currency for m in outlook.due],
            **({"organization": organization} if organization else {"user": by}),
        ).order_by("pk")
        for account in accounts:
            payout = payout_open(connected=connected, account=account, minimum=outlook.minimum)
            if payout is not None:
                made.append(payout)
        for payout in made:
            # Through the outbox: a broker that is down delays the transfer, never
            # turns a made payout into an error page (and the hourly run submits every
            # payout still created).
            _submit(payout.pk)
    if not made:  # another request got there first
        _refuse(owner)
    return made


def _refuse(owner) -> None:
    reason = payout_outlook(owner=owner).blocking
    if reason is None:  # the balance changed between the two reads: say what is true
        raise PayoutRefused(
            "There is nothing to pay out right now.", code=PaymentsError.BELOW_MINIMUM
        )
    raise PayoutRefused(reason.text, code=reason.code)


def _submit(payout_id) -> None:
    # By name: payments/tasks.py calls the services, so it is not imported here.
    outbox.enqueue("payments.payout_submit", [str(payout_id)])
