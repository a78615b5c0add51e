"""Render through OpenAI's videos API (Sora): create a job, poll it, download the MP4.

The job is created with an ``Idempotency-Key`` derived from the render request, so a
retried task asks for the same job again instead of paying for a second one.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import av
import openai
from django.conf import settings

from marketplace.generation.base import (
    ProgressCallback,
    RenderFailed,
    RenderResult,
    RenderSpec,
)

if TYPE_CHECKING:
    from openai.types import Video, VideoSeconds, VideoSize

# The values openai.types.VideoSeconds and VideoSize allow (openai 3.52).
SUPPORTED_SECONDS: dict[int, VideoSeconds] = {4: "4", 8: "8", 12: "12"}
# The smallest portrait size; our frame (base.WIDTH x base.HEIGHT) is portrait 9:16 too.
PORTRAIT_SIZE: VideoSize = "720x1280"
REQUEST_TIMEOUT_S = 60.0
# Generation is most of the wait; the rest of the bar covers download and checks.
GENERATION_SHARE = 0.9
_MODERATION_CODES = {"moderation_blocked", "content_policy_violation", "content_filter"}
_MODERATION_WORDS = ("moderation", "policy")


def clip_seconds_for(duration_s: float) -> VideoSeconds:
    """The supported clip length closest to ``duration_s``; a tie goes to the longer one."""
    return SUPPORTED_SECONDS[min(SUPPORTED_SECONDS, key=lambda s: (abs(s - duration_s), -s))]


class OpenAIBackend:
    name = "openai"

    def __init__(self, *, client: openai.OpenAI, model: str, timeout_s: float, poll_s: float):
        self.client = client
        self.model = model
        self.timeout_s = timeout_s
        self.poll_s = poll_s

    @classmethod
    def from_settings(cls) -> OpenAIBackend:
        if not settings.OPENAI_API_KEY:
            raise RenderFailed("The openai video backend needs OPENAI_API_KEY.")
        client = openai.OpenAI(
            api_key=settings.OPENAI_API_KEY,
            base_url=settings.OPENAI_BASE_URL,
            max_retries=2,
            timeout=REQUEST_TIMEOUT_S,
        )
        return cls(
            client=client,
            model=settings.OPENAI_VIDEO_MODEL,
            timeout_s=settings.OPENAI_VIDEO_TIMEOUT_S,
            poll_s=settings.OPENAI_VIDEO_POLL_S,
        )

    def render(self, spec: RenderSpec, progress: ProgressCallback) -> RenderResult:
        """Write ``video.mp4`` and ``poster.jpg`` into ``spec.output_dir``.

        Raises RenderFailed with a reason a creator can read; ``transient`` is set only
        for failures a retry can fix (timeouts, 5xx, rate limits).
        """
        seconds = clip_seconds_for(spec.duration_s)
        with _translate_api_errors():
            job = self.client.videos.create(
                model=self.model,
                prompt=_prompt_for(spec),
                seconds=seconds,
                size=PORTRAIT_SIZE,
                extra_headers={"Idempotency-Key": f"cocreate-render-{spec.request_id}"},
            )
            job = self._wait_for(job, progress)
            spec.output_dir.mkdir(parents=True, exist_ok=True)
            video_path = spec.output_dir / "video.mp4"
            with self.client.videos.with_streaming_response.download_content(
                job.id, variant="video"
            ) as response:
                response.stream_to_file(video_path)
        poster_path = spec.output_dir / "poster.jpg"
        probe = _probe_and_write_poster(video_path, poster_path)
        progress(1.0)
        return RenderResult(
            video_path=video_path,
            poster_path=poster_path,
            duration_s=probe["duration_s"],
            width=probe["width"],
            height=probe["height"],
            frame_count=probe["frame_count"],
            metadata={
                "backend": self.name,
                "model": job.model or self.model,
                "openai_video_id": job.id,
                "requested_seconds": seconds,
                "requested_size": PORTRAIT_SIZE,
            },
        )

    def _wait_for(self, job: Video, progress: ProgressCallback) -> Video:
        deadline = time.monotonic() + self.timeout_s
        reported = -1.0
        while True:
            fraction = GENERATION_SHARE * min(max(job.progress or 0, 0), 100) / 100
            if fraction > reported:
                progress(fraction)
                reported = fraction
            if job.status not in ("queued", "in_progress"):
                break
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RenderFailed(
                    f"The video service did not finish within {_span(self.timeout_s)}.",
                    transient=True,
                )
            time.sleep(min(self.poll_s, remaining))
            job = self.client.videos.retrieve(job.id)
        if job.status == "failed":
            raise _failed_job(job)
        if job.status != "completed":
            raise RenderFailed(f"The video service ended the job as {job.status!r}.")
        return job


def _prompt_for(spec: RenderSpec) -> str:
    names = [character.name for character in spec.characters]
    if not names:
        return spec.prompt
    return f"{spec.prompt}\n\nCharacters in this scene: {', '.join(names)}."


def _span(seconds: float) -> str:
    if seconds >= 60:
        minutes = round(seconds / 60)
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{seconds:g} second{'s' if seconds != 1 else ''}"


def _is_moderation(code: str | None, message: str | None) -> bool:
    text = (message or "").lower()
    return (code or "") in _MODERATION_CODES or any(w in text for w in _MODERATION_WORDS)


def _failed_job(job: Video) -> RenderFailed:
    if job.error is None:
        return RenderFailed("The video service failed without saying why.")
    if _is_moderation(job.error.code, job.error.message):
        return RenderFailed(
            f"The video service refused the prompt under its content policy: {job.error.message}"
        )
    return RenderFailed(f"The video service failed: {job.error.message}")


def _error_message(exc: openai.APIStatusError) -> str:
    body = exc.body if isinstance(exc.body, dict) else {}
    message = body.get("message")
    return message if isinstance(message, str) and message else f"HTTP {exc.status_code}"


def _status_failure(exc: openai.APIStatusError) -> RenderFailed:
    status, message = exc.status_code, _error_message(exc)
    if status == 401:
        return RenderFailed("The video service rejected our API key.")
    if status >= 500:
        return RenderFailed(
            f"The video service had an error (HTTP {status}); it is worth trying again.",
            transient=True,
        )
    if status == 429:
        if exc.code == "insufficient_quota":
            return RenderFailed(f"The video service account has run out of credit: {message}")
        return RenderFailed(
            "The video service is rate limiting us (HTTP 429); it is worth trying again.",
            transient=True,
        )
    if status in (400, 422) and _is_moderation(exc.code, message):
        return RenderFailed(
            f"The video service refused the prompt under its content policy: {message}"
        )
    if status == 403:
        return RenderFailed(f"The video service refused our account access (HTTP 403): {message}")
    if status in (404, 410):
        return RenderFailed(
            f"The video service does not offer this model or endpoint (HTTP {status}): {message}"
        )
    if status in (408, 409):
        return RenderFailed(
            f"The video service could not take the request now (HTTP {status}).", transient=True
        )
    return RenderFailed(f"The video service rejected the request (HTTP {status}): {message}")


@contextlib.contextmanager
def _translate_api_errors() -> Iterator[None]:
    try:
        yield
    except openai.APITimeoutError as exc:
        raise RenderFailed("The video service did not answer in time.", transient=True) from exc
    except openai.APIConnectionError as exc:
        raise RenderFailed("We could not reach the video service.", transient=True) from exc
    except openai.APIStatusError as exc:
        raise _status_failure(exc) from exc
    except openai.OpenAIError as exc:
        raise RenderFailed(f"The video service call failed: {exc}") from exc


def _probe_and_write_poster(video_path: Path, poster_path: Path) -> dict[str, Any]:
    """Decode the whole MP4 (proving it plays), measure it and save a poster frame.

    A file that does not decode is removed, so nothing downstream mistakes it for a video.
    """
    try:
        return _probe(video_path, poster_path)
    except av.FFmpegError as exc:
        video_path.unlink(missing_ok=True)
        raise RenderFailed("The video service sent a file that is not a playable MP4.") from exc
    except RenderFailed:
        video_path.unlink(missing_ok=True)
        raise


def _probe(video_path: Path, poster_path: Path) -> dict[str, Any]:
    with av.open(str(video_path)) as container:
        if not container.streams.video:
            raise RenderFailed("The video service sent a file with no video in it.")
        stream = container.streams.video[0]
        poster_index = (stream.frames or 0) // 3  # past any fade-in, when the count is known
        frame_count, poster = 0, None
        for frame in container.decode(stream):
            if poster is None or frame_count == poster_index:
                poster = frame
            frame_count += 1
        if poster is None:
            raise RenderFailed("The video service sent a video with no frames.")
        if stream.duration is not None and stream.time_base is not None:
            duration_s = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            duration_s = container.duration / av.time_base
        else:
            duration_s = frame_count / float(stream.average_rate or 24)
        poster.to_image().convert("RGB").save(poster_path, format="JPEG", quality=85)
        return {
            "duration_s": duration_s,
            "width": stream.codec_context.width,
            "height": stream.codec_context.height,
            "frame_count": frame_count,
        }
