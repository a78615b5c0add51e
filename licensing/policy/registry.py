"""The process-wide screening registry: every character's names, aliases and enabled
derived forms, and the platform watchlist, built once per process and rebuilt when the
registry version in the shared cache moves.

A write that changes names, aliases, forms, the disallowed flag, status or the watchlist
calls
``registry_changed()`` on commit; every web and worker process sees the new version on
its next screen, so a newly disallowed character is refused everywhere at once."""

import secrets
import threading

from django.core.cache import cache
from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from licensing.enums import CharacterStatus, NameConflictOn, NameConflictStatus
from licensing.models import Character, CharacterAlias, NameConflict, NameForm, WatchlistEntry
from licensing.policy.screening import WATCHLIST_PREFIX, Entry, Registry

VERSION_KEY = "licensing:registry-version"

_lock = threading.Lock()
_registry: Registry | None = None


def registry_version() -> int:
    """The shared version. When the cache has lost it (a flush, a new Redis), a random
    start makes every process rebuild rather than trust a copy numbered the same."""
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, secrets.randbits(62), timeout=None)
        version = cache.get(VERSION_KEY, 0)
    return int(version)


def _bump() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:
        cache.add(VERSION_KEY, secrets.randbits(62), timeout=None)


def registry_changed() -> None:
    """Announce a change to the names registry, once the transaction commits."""
    transaction.on_commit(_bump)


def _entries():
    # A draft's names screen no one (its owner is not proven: services/standing.py);
    # suspended and archived characters' names still protect them, except a character
    # whose name staff found to be another's (an upheld name conflict), and an alias
    # held by an open one.
    lost = NameConflict.objects.filter(
        later=OuterRef("pk"),
        on=NameConflictOn.NAME,
        status=NameConflictStatus.UPHELD,
        text=OuterRef("name"),
    )
    lost_ids = list(
        Character.objects.filter(status=CharacterStatus.ARCHIVED)
        .filter(Exists(lost))
        .values_list("pk", flat=True)
    )
    characters = Character.objects.exclude(status=CharacterStatus.DRAFT).exclude(pk__in=lost_ids)
    for pk, name in characters.values_list("pk", "name").iterator(chunk_size=5000):
        yield Entry(str(pk), name, "normal")
    drafts = Q(character__status=CharacterStatus.DRAFT) | Q(character_id__in=lost_ids)
    aliases = (
        CharacterAlias.objects.exclude(drafts)
        .exclude(held_by_conflict=True)
        .values_list("character_id", "text", "mode")
    )
    for character_id, text, mode in aliases.iterator(chunk_size=5000):
        yield Entry(str(character_id), text, mode)
    forms = (
        NameForm.objects.filter(enabled=True)
        .exclude(drafts)
        .values_list("character_id", "text", "mode", "source", "origin")
    )
    for character_id, text, mode, source, origin in forms.iterator(chunk_size=5000):
        yield Entry(str(character_id), text, mode, source, origin)
    yield from _watchlist_entries()


def _watchlist_entries():
    watched = WatchlistEntry.objects.filter(active=True).values_list(
        "pk", "name", "aliases", "forms"
    )
    for pk, name, aliases, forms in watched.iterator(chunk_size=5000):
        key = f"{WATCHLIST_PREFIX}{pk}"
        yield Entry(key, name, "normal", name)
        for alias in aliases or ():
            if isinstance(alias, str) and alias.strip():
                yield Entry(key, alias, "normal", name)
        for form in forms or ():
            if isinstance(form, dict) and form.get("text"):
                yield Entry(key, form["text"], "normal", name, str(form.get("origin", "")))


def get_registry() -> Registry:
    """The current registry, rebuilding it if another process changed the names."""
    global _registry
    version = registry_version()
    current = _registry
    if current is not None and current.version == version:
        return current
    with _lock:
        if _registry is None or _registry.version != version:
            _registry = Registry(_entries(), version=version)
        return _registry


def registry_snapshot() -> Registry:
    """The registry as this transaction sees it, built for one caller and not kept: for
    a write that checks its names against everyone else's (name conflicts) before its
    transaction commits, when the process copy cannot know of rows written since and a
    copy built now could hold rows that roll back. It costs a full build (seconds for
    100,000 characters), so only registrations use it, never a prompt."""
    return Registry(_entries(), version=-1)


def forget_local_registry() -> None:
    """Drop this process's copy; the next screen rebuilds it. For tests, whose database
    is rolled back under a registry built in an earlier test."""
    global _registry
    with _lock:
        _registry = None
