"""The one interface every video backend implements.

``render(spec, progress) -> RenderResult``: turn a RenderSpec into an MP4 and a JPEG
poster in ``spec.output_dir``, calling ``progress(fraction)`` (0.0..1.0) as it goes.
A backend raises ``RenderFailed`` with a reason a creator can read; ``transient=True``
marks a failure worth retrying (a timeout, a 5xx), anything else is final.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol

ProgressCallback = Callable[[float], None]

WIDTH, HEIGHT, FPS = 480, 854, 24
MIN_SECONDS, MAX_SECONDS = 4, 15
WATERMARK = "Cocreate · AI-generated"


@dataclass(frozen=True)
class CharacterRef:
    """A character as the renderer needs it: a name and its reference image files."""

    id: str
    name: str
    image_paths: tuple[Path, ...] = ()


@dataclass(frozen=True)
class ParentRef:
    """The work a remix builds on. Its video is read through ``open_video()`` (a binary
    stream from wherever the work's storage keeps it), never through a path."""

    work_id: str
    title: str
    backend: str  # the backend that made it
    open_video: Callable[[], AbstractContextManager[IO[bytes]]]
    provider_video_id: str = ""  # the hosted service's id for it, when it made it


@dataclass(frozen=True)
class RenderSpec:
    request_id: str
    prompt: str
    seed: int
    duration_s: int  # MIN_SECONDS..MAX_SECONDS
    characters: tuple[CharacterRef, ...]
    output_dir: Path
    caption: str = ""  # shown in the scene; defaults to a line derived from the prompt
    credits: tuple[str, ...] = ()  # attribution lines the terms require
    parent: ParentRef | None = None  # for a remix: the work it continues


@dataclass(frozen=True)
class RenderResult:
    video_path: Path  # H.264 MP4, yuv420p, +faststart
    poster_path: Path  # JPEG
    duration_s: float
    width: int
    height: int
    frame_count: int
    metadata: dict[str, Any] = field(default_factory=dict)


class RenderFailed(Exception):
    def __init__(self, reason: str, *, transient: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.transient = transient


class Backend(Protocol):
    name: str

    def render(self, spec: RenderSpec, progress: ProgressCallback) -> RenderResult: ...
