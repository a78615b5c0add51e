"""Money: viewer tips, ad revenue imported by staff, and a paid payout. Licence fees
and per-generation fees were already settled by the licences and the pipeline.

Everything goes through the payments services: revenue events are recorded once per
(source, external id) and settled once, the CSV import is the staff path, and the
payout moves created → submitted → paid through the same services the payout task and
the transfer webhook use, with OfflineStripe standing in for the network."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.management.base import CommandError
from django.utils import timezone

from core.money import Money
from demo.seed.data import AD_REVENUE, PAYEE, TIP_AFTER_PAYOUT, TIPS, WORKS, Tip
from payments import selectors as payments_selectors
from payments import services as payments
from payments.enums import AccountKind, PayoutStatus, RevenueKind
from payments.sandbox.adopt import sandbox_adopt
from payments.services.imports import revenue_import_csv

if TYPE_CHECKING:
    from accounts.models import User
    from marketplace.models import Work
    from payments.models import Payout


CURRENCY = "USD"


# What each demo creator adds to their wallet before generating: per-generation fees
# are held from it when a video is asked for.
WALLET_TOP_UP = 2_000


def seed_wallets(users: dict[str, User], *, gateway) -> None:
    """Each creator who makes a demo video tops up their wallet through Checkout
    (``gateway`` stands in for Stripe), once: the webhook's handler credits it."""
    for key in sorted({spec.creator for spec in WORKS}):
        user = users[key]
        if payments.wallet_lines(user=user):
            continue
        session = payments.wallet_top_up_start(
            user=user, amount=WALLET_TOP_UP, currency=CURRENCY, gateway=gateway
        )
        payments.checkout_completed(session_id=session.stripe_session_id, gateway=gateway)


def seed_tips(users: dict[str, User], works: dict[str, Work]) -> None:
    """Viewer tips, recorded and settled as the Checkout webhook does (source stripe,
    keyed by the payment intent id)."""
    for tip in TIPS:
        _tip(tip, users, works)


def _tip(tip: Tip, users: dict[str, User], works: dict[str, Work]) -> None:
    event, _ = payments.revenue_event_record(
        kind=RevenueKind.TIP,
        source="stripe",
        external_id=tip.external_id,
        money=Money(tip.amount, CURRENCY),
        work=works[tip.work],
        payer=users[tip.payer],
    )
    payments.revenue_event_settle(event=event)


def seed_ad_revenue(works: dict[str, Work]) -> None:
    """A month of ad revenue, imported as staff would import the ad network's CSV."""
    lines = ["external_id,work_id,amount,currency,occurred_at"]
    lines += [
        f"{row.external_id},{works[row.work].pk},{row.amount},{CURRENCY},{row.occurred_on}"
        for row in AD_REVENUE
    ]
    report = revenue_import_csv(text="\n".join(lines) + "\n")
    if report.errors or report.refused:
        raise CommandError(f"The demo ad revenue did not import: {report.errors or report.refused}")


def seed_payout(users: dict[str, User], *, gateway) -> Payout:
    """The payee onboards with Connect (``account.updated`` enables payouts), and is
    paid out their available balance: reserved, transferred, confirmed."""
    payee = users[PAYEE]
    connected = payments_selectors.connected_account_of(user=payee)
    if connected is None:
        payments.connect_onboarding_link(by=payee, gateway=gateway)
        connected = payments_selectors.connected_account_of(user=payee)
        assert connected is not None  # onboarding made it
    if not connected.payouts_enabled:
        payments.connect_account_sync(
            stripe_account_id=connected.stripe_account_id, gateway=gateway
        )
    payout = payments_selectors.first_payout_of(connected=connected)
    if payout is None:
        # What beat does once the hold has passed: pending revenue becomes available,
        # then the payout run takes every balance at or above the threshold.
        hold = timedelta(hours=settings.PENDING_HOLD_HOURS)
        payments.ledger_release_pending(now=timezone.now() + hold)
        payments.payouts_create()
        payout = payments_selectors.first_payout_of(connected=connected)
        if payout is None:
            raise CommandError(f"{payee} has nothing available to pay out.")
    if payout.status == PayoutStatus.CREATED:
        payout = payments.payout_submit(payout_id=payout.pk, gateway=gateway)
    if payout.status == PayoutStatus.SUBMITTED:
        confirmed = payments.payout_confirm(transfer_id=payout.stripe_transfer_id)
        assert confirmed is not None  # the payout was found by this very transfer id
        payout = confirmed
    return payout


def seed_sandbox(users: dict[str, User]) -> bool:
    """In test mode, hand the payments sandbox what this history left at "Stripe" (the
    payee's connected account, and the money the ledger says Stripe holds), so that it
    can be paid out from the running app. Once: False when done before."""
    payee = users[PAYEE]
    connected = payments_selectors.connected_account_of(user=payee)
    assert connected is not None  # seed_payout connected it
    held = payments.balances_for(owner=None).get(
        (AccountKind.STRIPE_CLEARING, CURRENCY), Money(0, CURRENCY)
    )
    return sandbox_adopt(
        key="demo",
        accounts=[(connected.stripe_account_id, payee.email, connected.country or "US")],
        funds={CURRENCY: -held.amount},
    )


def seed_after_payout(users: dict[str, User], works: dict[str, Work]) -> None:
    """A tip that arrives after the payout, so the payee has something pending."""
    _tip(TIP_AFTER_PAYOUT, users, works)
