"""Render through OpenAI's videos API (Sora): create a job, poll it, download the MP4,
then re-encode it with the credits and the watermark every Cocreate MP4 carries.

The job is created with an ``Idempotency-Key`` derived from the render request, so a
retried task asks for the same job again instead of paying for a second one. A remix
of a video this service made uses its remix operation (``videos.remix``) on the
parent's id; any other job gets an input reference: the characters' reference images,
or for a remix of a video made elsewhere, the parent's last frame, so it continues it.
"""

from __future__ import annotations

import contextlib
import io
import time
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

import av
import openai
from django.conf import settings
from PIL import Image, ImageOps

from marketplace.generation.base import (
    FPS,
    HEIGHT,
    WIDTH,
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
REFERENCE_SIZE = (720, 1280)  # the input reference must match the requested size
# Generation is most of the wait; the rest of the bar covers download and re-encoding.
GENERATION_SHARE = 0.8
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
        from marketplace.generation.local import burn_in  # PyAV, only when rendering

        stamp = burn_in(spec.credits)  # refuses credits too long, before paying for a job
        seconds = clip_seconds_for(spec.duration_s)
        remixing = self._remixes(spec)
        reference = "" if remixing else _reference_kind(spec)
        with _translate_api_errors():
            job = self._start(spec, seconds, remixing=remixing, reference=reference)
            job = self._wait_for(job, progress)
            spec.output_dir.mkdir(parents=True, exist_ok=True)
            hosted_path = spec.output_dir / "hosted.mp4"
            with self.client.videos.with_streaming_response.download_content(
                job.id, variant="video"
            ) as response:
                response.stream_to_file(hosted_path)
        video_path = spec.output_dir / "video.mp4"
        poster_path = spec.output_dir / "poster.jpg"
        try:
            probe = _probe_and_write_poster(hosted_path, poster_path)
            total = max(1, round(probe["duration_s"] * FPS))
            _reencode(hosted_path, video_path, poster_path, stamp, total, progress)
        finally:
            hosted_path.unlink(missing_ok=True)
        progress(1.0)
        return RenderResult(
            video_path=video_path,
            poster_path=poster_path,
            duration_s=total / FPS,
            width=WIDTH,
            height=HEIGHT,
            frame_count=total,
            metadata={
                "backend": self.name,
                "model": job.model or self.model,
                "openai_video_id": job.id,
                "provider_video_id": job.id,
                "remixed_from": spec.parent.provider_video_id if remixing and spec.parent else "",
                "input_reference": reference,
                "requested_seconds": seconds,
                "requested_size": PORTRAIT_SIZE,
                "hosted_size": f"{probe['width']}x{probe['height']}",
                "watermarked": True,
            },
        )

    def _remixes(self, spec: RenderSpec) -> bool:
        """Whether the service can remix the parent itself: only a video it made."""
        parent = spec.parent
        return bool(parent and parent.backend == self.name and parent.provider_video_id)

    def _start(self, spec: RenderSpec, seconds: VideoSeconds, *, remixing: bool, reference: str):
        headers = {"Idempotency-Key": f"cocreate-render-{spec.request_id}"}
        if remixing and spec.parent:
            return self.client.videos.remix(
                spec.parent.provider_video_id, prompt=_prompt_for(spec), extra_headers=headers
            )
        extra: dict[str, Any] = {}
        if reference:
            extra["input_reference"] = ("reference.png", _reference_png(spec), "image/png")
        return self.client.videos.create(
            model=self.model,
            prompt=_prompt_for(spec),
            seconds=seconds,
            size=PORTRAIT_SIZE,
            extra_headers=headers,
            **extra,
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


def _reference_kind(spec: RenderSpec) -> str:
    if spec.parent is not None:
        return "parent_last_frame"
    if any(character.image_paths for character in spec.characters):
        return "characters"
    return ""


def _reference_png(spec: RenderSpec) -> bytes:
    """The input reference, at the requested size: the parent's last frame, or the
    characters' reference images side by side on a neutral plate."""
    from marketplace.generation.local import parent_tail

    if spec.parent is not None:
        image = ImageOps.fit(parent_tail(spec.parent, 1)[-1], REFERENCE_SIZE)
    else:
        image = _characters_plate(spec)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _characters_plate(spec: RenderSpec) -> Image.Image:
    paths = [c.image_paths[0] for c in spec.characters if c.image_paths]
    plate = Image.new("RGB", REFERENCE_SIZE, (128, 128, 128))
    width, height = REFERENCE_SIZE
    cell = height // len(paths)
    for index, path in enumerate(paths):
        try:
            with Image.open(path) as source:
                picture = ImageOps.contain(source.convert("RGB"), (width, cell))
        except (OSError, ValueError, Image.DecompressionBombError) as exc:
            raise RenderFailed("A character's reference image could not be read.") from exc
        plate.paste(picture, ((width - picture.width) // 2, index * cell))
    return plate


def _reencode(source: Path, dest: Path, poster_path: Path, stamp, total: int, progress) -> None:
    """Re-encode ``source`` as our MP4 (our frame, FPS, the local encoder) with ``stamp``
    on every frame: each output frame is the source frame showing at its time."""
    from marketplace.generation.local import encode_mp4

    poster_index = total // 3
    with av.open(str(source)) as container:
        frames = container.decode(container.streams.video[0])
        current = next(frames)
        upcoming = next(frames, None)

        def frame_at(index: int) -> Image.Image:
            nonlocal current, upcoming
            at = Fraction(index, FPS)
            while upcoming is not None and upcoming.time is not None and upcoming.time <= at:
                current, upcoming = upcoming, next(frames, None)
            image = stamp(current.to_image())
            if index == poster_index:
                image.save(poster_path, format="JPEG", quality=88)
            return image

        def encoded(fraction: float) -> None:
            progress(GENERATION_SHARE + (1 - GENERATION_SHARE) * fraction * 0.99)

        encode_mp4(frame_at=frame_at, total=total, video_path=dest, progress=encoded)


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
