"""What licensing does when a lower app publishes an event (core/events.py).
Connected once, from ``LicensingConfig.ready()``."""

from accounts import selectors as accounts_selectors
from accounts.events import OrganizationVerificationChanged, PublicNameChanged
from core.events import IN_TRANSACTION, subscribe
from licensing.models import Character
from licensing.services.catalog import catalog_documents_refresh
from licensing.services.standing import characters_standing_refresh


@subscribe(OrganizationVerificationChanged, when=IN_TRANSACTION)
def characters_follow_verification(event: OrganizationVerificationChanged) -> None:
    """A verified organization's characters leave draft; a rejected one's return to it."""
    characters_standing_refresh(
        organization=accounts_selectors.organization_get(pk=event.organization_id)
    )


@subscribe(PublicNameChanged, when=IN_TRANSACTION)
def catalog_follows_public_name(event: PublicNameChanged) -> None:
    """A likeness's catalog document names its owner: rewrite it with the new name."""
    owned = Character.objects.filter(owner_user_id=event.user_id).values_list("pk", flat=True)
    catalog_documents_refresh(character_ids=list(owned))
