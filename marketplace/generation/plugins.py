"""The built-in backends' descriptors, named by the entry points in pyproject.toml."""

from __future__ import annotations

from django.conf import settings

from marketplace.generation.base import HEIGHT, MAX_SECONDS, MIN_SECONDS, WIDTH, Backend
from marketplace.generation.registry import BackendInfo, Capabilities


def _local() -> Backend:
    from marketplace.generation.local import LocalBackend

    return LocalBackend()


def _openai() -> Backend:
    from marketplace.generation.openai_backend import OpenAIBackend

    return OpenAIBackend.from_settings()


def _openai_missing_key() -> str | None:
    return None if settings.OPENAI_API_KEY else "The openai video backend needs OPENAI_API_KEY."


LOCAL = BackendInfo(
    name="local",
    label="Cocreate (local)",
    capabilities=Capabilities(
        durations=tuple(range(MIN_SECONDS, MAX_SECONDS + 1)),
        sizes=(f"{WIDTH}x{HEIGHT}",),
        reference_images=True,
        remix=True,  # opens with the parent's last second
    ),
    factory=_local,
)

OPENAI = BackendInfo(
    name="openai",
    label="OpenAI Sora",
    capabilities=Capabilities(
        durations=(4, 8, 12),  # openai.types.VideoSeconds
        sizes=(f"{WIDTH}x{HEIGHT}",),  # re-encoded to our frame with the watermark
        reference_images=True,  # as the input reference
        remix=True,  # videos.remix for its own videos, the parent's last frame otherwise
    ),
    factory=_openai,
    unavailable_reason=_openai_missing_key,
)

BUILT_IN = (LOCAL, OPENAI)
