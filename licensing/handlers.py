"""What licensing does when a lower app publishes an event (core/events.py).
Connected once, from ``LicensingConfig.ready()``."""

from accounts import selectors as accounts_selectors
from accounts.events import OrganizationVerificationChanged
from core.events import IN_TRANSACTION, subscribe
from licensing.services.standing import characters_standing_refresh


@subscribe(OrganizationVerificationChanged, when=IN_TRANSACTION)
def characters_follow_verification(event: OrganizationVerificationChanged) -> None:
    """A verified organization's characters leave draft; a rejected one's return to it."""
    characters_standing_refresh(
        organization=accounts_selectors.organization_get(pk=event.organization_id)
    )
