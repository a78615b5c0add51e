"""Video generation backends, selected by settings.VIDEO_BACKEND ("local" or "openai")."""

from django.conf import settings

from marketplace.generation.base import (
    Backend,
    CharacterRef,
    RenderFailed,
    RenderResult,
    RenderSpec,
)


def available_backends() -> list[str]:
    """The local renderer always; OpenAI's video API when a key is configured."""
    return ["local", "openai"] if settings.OPENAI_API_KEY else ["local"]


def get_backend(name: str | None = None) -> Backend:
    name = name or settings.VIDEO_BACKEND
    # Each backend is imported when chosen: a process pays only for the one it uses
    # (PyAV and the encoder for local, the OpenAI SDK for openai).
    if name == "local":
        from marketplace.generation.local import LocalBackend

        return LocalBackend()
    if name == "openai":
        from marketplace.generation.openai_backend import OpenAIBackend

        return OpenAIBackend.from_settings()
    raise RenderFailed(f"Unknown video backend {name!r}; set VIDEO_BACKEND to local or openai.")


__all__ = [
    "Backend",
    "CharacterRef",
    "RenderFailed",
    "RenderResult",
    "RenderSpec",
    "available_backends",
    "get_backend",
]
