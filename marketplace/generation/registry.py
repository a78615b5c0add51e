"""Video backends as plug-ins: each one an entry point in the ``cocreate.video_backends``
group naming a ``BackendInfo`` (what it can do, and how to build it).

A package adds a backend by declaring an entry point; no code here changes. The
registry imports only these small descriptors: a backend's own module (PyAV, an SDK)
is imported when it is built, so a process pays only for the one it uses.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points

from marketplace.generation.base import Backend, RenderFailed

GROUP = "cocreate.video_backends"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Capabilities:
    """What a backend supports; the studio and the request checks offer only these."""

    durations: tuple[int, ...]  # clip lengths in whole seconds
    sizes: tuple[str, ...]  # "WIDTHxHEIGHT" of the MP4 it delivers
    reference_images: bool  # uses the characters' reference images
    remix: bool  # builds a remix on its parent's video


@dataclass(frozen=True)
class BackendInfo:
    name: str
    label: str  # how the studio names it
    capabilities: Capabilities
    factory: Callable[[], Backend]
    # None when it can run here, else why not (a missing key, say).
    unavailable_reason: Callable[[], str | None] = lambda: None

    def durations_text(self) -> str:
        """ "4 to 15 seconds" for a range, "4, 8 or 12 seconds" for a few lengths."""
        durations = self.capabilities.durations
        if len(durations) > 3 and durations == tuple(range(durations[0], durations[-1] + 1)):
            return f"{durations[0]} to {durations[-1]} seconds"
        *rest, last = (str(d) for d in durations)
        return f"{', '.join(rest)} or {last} seconds" if rest else f"{last} seconds"


@functools.cache
def backends() -> dict[str, BackendInfo]:
    """Every backend the installed packages declare, by name (cached per process)."""
    found: dict[str, BackendInfo] = {}
    for point in entry_points(group=GROUP):
        try:
            info = point.load()
        except Exception:  # one broken plug-in must not take the others down
            log.exception("video backend entry point %s could not be loaded", point.name)
            continue
        if not isinstance(info, BackendInfo) or info.name != point.name:
            log.error("video backend entry point %s is not a BackendInfo named so", point.name)
            continue
        found[point.name] = info
    if "local" not in found:
        # An install made before the entry points were declared: keep the built-ins
        # working, and say how to refresh the metadata.
        from marketplace.generation import plugins

        log.warning("no %s entry points found; run `make install-dev` to refresh them", GROUP)
        found = {info.name: info for info in plugins.BUILT_IN} | found
    return found


def backend_info(name: str) -> BackendInfo:
    info = backends().get(name)
    if info is None:
        raise RenderFailed(
            f"Unknown video backend {name!r}; installed: {', '.join(sorted(backends()))}."
        )
    return info


def available_backends() -> list[str]:
    """The backends that can run here, in the order their names sort, local first."""
    names = [n for n, info in backends().items() if info.unavailable_reason() is None]
    return sorted(names, key=lambda n: (n != "local", n))


def get_backend(name: str) -> Backend:
    info = backend_info(name)
    reason = info.unavailable_reason()
    if reason is not None:
        raise RenderFailed(reason)
    return info.factory()
