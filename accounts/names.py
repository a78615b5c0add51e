"""Public names: what others see of a person. The email address is private (staff find
it in the admin); a person without a display name is shown by a placeholder made from
their account's id."""

import re

MAX_LENGTH = 80
PLACEHOLDER_PREFIX = "Creator "
# Control characters (a name is one line) and the invisible formatting
# ones that disguise a name (zero-width, bidirectional overrides).
_HIDDEN = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")


def placeholder_name(pk) -> str:
    """The public name of an account without a display name: "Creator" and the first
    six hex digits of its id. ``placeholder_name_sql`` builds the same in SQL."""
    return f"{PLACEHOLDER_PREFIX}{str(pk).replace('-', '')[:6]}"


def placeholder_name_sql(id_column: str) -> str:
    """SQL for ``placeholder_name`` of a UUID column (PostgreSQL)."""
    return f"'{PLACEHOLDER_PREFIX}' || left(replace({id_column}::text, '-', ''), 6)"


def display_name_problem(name: str) -> str | None:
    """Why ``name`` (already stripped) cannot be a display name, or None. An empty
    name is allowed: it means the placeholder."""
    if len(name) > MAX_LENGTH:
        return f"A display name has at most {MAX_LENGTH} characters (this one has {len(name)})."
    if _HIDDEN.search(name):
        return "A display name cannot hold control or invisible formatting characters."
    if "@" in name:
        return "A display name cannot hold “@”: it must not look like an email address."
    return None
