"""The process-wide screening registry: every character's names and aliases, built
once per process and rebuilt when the registry version in the shared cache moves.

A write that changes names, aliases, the disallowed flag or status calls
``registry_changed()`` on commit; every web and worker process sees the new version on
its next screen, so a newly disallowed character is refused everywhere at once."""

import secrets
import threading

from django.core.cache import cache
from django.db import transaction

from licensing.models import Character, CharacterAlias
from licensing.policy.screening import Entry, Registry

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
    for pk, name in Character.objects.values_list("pk", "name").iterator(chunk_size=5000):
        yield Entry(str(pk), name, "normal")
    aliases = CharacterAlias.objects.values_list("character_id", "text", "mode")
    for character_id, text, mode in aliases.iterator(chunk_size=5000):
        yield Entry(str(character_id), text, mode)


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


def forget_local_registry() -> None:
    """Drop this process's copy; the next screen rebuilds it. For tests, whose database
    is rolled back under a registry built in an earlier test."""
    global _registry
    with _lock:
        _registry = None
