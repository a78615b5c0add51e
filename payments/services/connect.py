"""Stripe Connect: onboarding a creator or an organization, and learning from
``account.updated`` when the account can be paid."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from accounts import selectors as accounts_selectors
from core.errors import NotPermitted
from core.links import absolute_url
from payments.models import (
    ConnectedAccount,
)

if TYPE_CHECKING:
    from accounts.models import Organization, User


log = logging.getLogger(__name__)


def connect_onboarding_link(
    *, by: User, gateway, organization: Organization | None = None, country: str = "US"
) -> str:
    """Create (once) the Stripe Connect account of ``by`` or of an organization they own,
    and return a fresh onboarding link."""
    if organization is not None:
        if accounts_selectors.membership_role(organization=organization, user=by) != "owner":
            raise NotPermitted("Only an owner can connect the organization's bank account.")
        owner_filter: dict[str, Any] = {"organization": organization}
        key, email = f"connect-org-{organization.pk}", by.email
    else:
        owner_filter = {"user": by}
        key, email = f"connect-user-{by.pk}", by.email
    connected = ConnectedAccount.objects.filter(**owner_filter).first()
    if connected is None:
        account = gateway.account_create(
            key=key,
            email=email,
            country=country,
            metadata={k: str(getattr(v, "pk", v)) for k, v in owner_filter.items()},
        )
        connected, _ = ConnectedAccount.objects.get_or_create(
            stripe_account_id=account.id, defaults={**owner_filter, "country": country}
        )
    link = gateway.account_link_create(
        key=f"{key}-link-{connected.updated_at.timestamp():.0f}",
        account_id=connected.stripe_account_id,
        refresh_url=absolute_url("payments:connect"),
        return_url=absolute_url("payments:connect_return"),
    )
    return link.url


def connect_account_sync(*, stripe_account_id: str, gateway) -> ConnectedAccount | None:
    """``account.updated``: re-read the account and record whether it can be paid."""
    connected = ConnectedAccount.objects.filter(stripe_account_id=stripe_account_id).first()
    if connected is None:
        return None
    account = gateway.account_retrieve(stripe_account_id)
    connected.payouts_enabled = bool(account.payouts_enabled)
    connected.charges_enabled = bool(account.charges_enabled)
    connected.details_submitted = bool(account.details_submitted)
    connected.save(
        update_fields=["payouts_enabled", "charges_enabled", "details_submitted", "updated_at"]
    )
    return connected
