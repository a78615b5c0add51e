"""Licensing writes. Import the functions from here: ``from licensing import services``."""

from licensing.services.caps import (
    CapReached,
    caps_lock,
    generation_caps_refusal,
    works_cap_refusal,
)
from licensing.services.catalog import catalog_documents_rebuild, catalog_documents_refresh
from licensing.services.characters import (
    character_aliases_set,
    character_create,
    character_image_add,
    character_image_delete,
    character_update,
    characters_mark_disallowed,
)
from licensing.services.consent import (
    consent_approve,
    consent_challenge_issue,
    consent_reject,
    consent_video_submit,
    likeness_review_reopen,
)
from licensing.services.embeddings import (
    character_embeddings_refresh,
    character_embeddings_refresh_stale,
    embeddings_enqueue,
)
from licensing.services.grants import (
    PriceChanged,
    grant_accept,
    grant_approve,
    grant_end,
    grant_reject,
    grant_transition,
    grants_approval_expire,
)
from licensing.services.name_conflict_detection import name_conflicts_detect
from licensing.services.name_conflicts import (
    NameConflictDecided,
    NameConflictExists,
    name_conflict_decide,
    name_conflict_report,
)
from licensing.services.name_forms import name_form_set_enabled, name_forms_refresh
from licensing.services.offers import (
    TermsInvalid,
    offer_create_draft,
    offer_new_version,
    offer_publish,
    offer_publish_refusal,
    offer_update_draft,
)
from licensing.services.policy import policy_screen, territory_clean
from licensing.services.revocation import (
    GrantNotRevocable,
    grant_end_by_licensee,
    grant_revoke,
    grants_revoke_due,
    offer_end,
)
from licensing.services.standing import (
    character_draft_reasons,
    character_standing,
    character_standing_refresh,
    characters_standing_refresh,
)
from licensing.services.watchlist import (
    watchlist_entries_set_active,
    watchlist_entry_save,
    watchlist_import,
    watchlist_starter_rows,
)

__all__ = [
    "CapReached",
    "GrantNotRevocable",
    "NameConflictDecided",
    "NameConflictExists",
    "PriceChanged",
    "TermsInvalid",
    "caps_lock",
    "catalog_documents_rebuild",
    "catalog_documents_refresh",
    "character_aliases_set",
    "character_create",
    "character_draft_reasons",
    "character_embeddings_refresh",
    "character_embeddings_refresh_stale",
    "character_image_add",
    "character_image_delete",
    "character_standing",
    "character_standing_refresh",
    "character_update",
    "characters_mark_disallowed",
    "characters_standing_refresh",
    "consent_approve",
    "consent_challenge_issue",
    "consent_reject",
    "consent_video_submit",
    "embeddings_enqueue",
    "generation_caps_refusal",
    "grant_accept",
    "grant_approve",
    "grant_end",
    "grant_end_by_licensee",
    "grant_reject",
    "grant_revoke",
    "grant_transition",
    "grants_approval_expire",
    "grants_revoke_due",
    "likeness_review_reopen",
    "name_conflict_decide",
    "name_conflict_report",
    "name_conflicts_detect",
    "name_form_set_enabled",
    "name_forms_refresh",
    "offer_create_draft",
    "offer_end",
    "offer_new_version",
    "offer_publish",
    "offer_publish_refusal",
    "offer_update_draft",
    "policy_screen",
    "territory_clean",
    "watchlist_entries_set_active",
    "watchlist_entry_save",
    "watchlist_import",
    "watchlist_starter_rows",
    "works_cap_refusal",
]
