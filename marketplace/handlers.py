"""What marketplace does when a lower app publishes an event (core/events.py).
Connected once, from ``MarketplaceConfig.ready()``."""

from accounts.events import PublicNameChanged
from core.events import IN_TRANSACTION, subscribe
from licensing.events import CharacterRenamed, GrantEnded
from marketplace import services


@subscribe(GrantEnded, when=IN_TRANSACTION)
def works_follow_ended_grant(event: GrantEnded) -> None:
    """The works made under an ended licence are kept, delisted or deleted with it."""
    services.works_apply_revocation(
        grant_id=event.grant_id, policy=event.on_revoke, reason=event.reason
    )
    if event.cancel_generations:
        services.generations_fail_for_revoked_grant(grant_id=event.grant_id, reason=event.reason)


@subscribe(CharacterRenamed, when=IN_TRANSACTION)
def feed_follows_renamed_character(event: CharacterRenamed) -> None:
    """A feed card names the characters its work licenses: rewrite those cards with
    the rename, in its transaction."""
    services.feed_entries_for_character(character_id=event.character_id)


@subscribe(PublicNameChanged, when=IN_TRANSACTION)
def feed_follows_public_name(event: PublicNameChanged) -> None:
    """A feed card names its creator: rewrite their cards with the new name."""
    services.feed_entries_for_creator(creator_id=event.user_id)
