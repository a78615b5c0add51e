"""Video generation backends: plug-ins found through the ``cocreate.video_backends``
entry points (marketplace/generation/registry.py), chosen per request or by
settings.VIDEO_BACKEND."""

from django.conf import settings

from marketplace.generation import registry
from marketplace.generation.base import (
    Backend,
    CharacterRef,
    ParentRef,
    RenderFailed,
    RenderResult,
    RenderSpec,
)
from marketplace.generation.registry import BackendInfo, Capabilities, available_backends


def get_backend(name: str | None = None) -> Backend:
    return registry.get_backend(name or settings.VIDEO_BACKEND)


def backend_info(name: str | None = None) -> BackendInfo:
    return registry.backend_info(name or settings.VIDEO_BACKEND)


__all__ = [
    "Backend",
    "BackendInfo",
    "Capabilities",
    "CharacterRef",
    "ParentRef",
    "RenderFailed",
    "RenderResult",
    "RenderSpec",
    "available_backends",
    "backend_info",
    "get_backend",
]
