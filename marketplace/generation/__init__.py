"""Video generation backends, selected by settings.VIDEO_BACKEND ("local" or "openai")."""

from django.conf import settings

from marketplace.generation.base import (
    Backend,
    CharacterRef,
    RenderFailed,
    RenderResult,
    RenderSpec,
)


def get_backend() -> Backend:
    name = settings.VIDEO_BACKEND
    if name == "local":
        from marketplace.generation.local import LocalBackend

        return LocalBackend()
    if name == "openai":
        from marketplace.generation.openai_backend import OpenAIBackend

        return OpenAIBackend.from_settings()
    raise RenderFailed(f"Unknown video backend {name!r}; set VIDEO_BACKEND to local or openai.")


__all__ = ["Backend", "CharacterRef", "RenderFailed", "RenderResult", "RenderSpec", "get_backend"]
