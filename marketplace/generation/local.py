"""The local backend: a deterministic, CPU-only scene renderer.

It does not generate imagery. It composes what the request already has: a gradient
background whose palette comes from (prompt, seed), each character's reference image
moving along its own path, the caption, the credits and the burned-in watermark, and
encodes the result as an H.264 MP4 with libx264. The same spec always gives the same
frames, so a re-render after a retry, or a test, sees exactly what the creator saw.

Every layer that does not move is drawn once; a frame is a background crop plus a few
masked pastes, so encoding dominates the cost. No Django imports: bench/render.py and
the tests use it as it is.
"""

from __future__ import annotations

import colorsys
import hashlib
import math
import os
import unicodedata
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from pathlib import Path

import av
from av.video.reformatter import VideoReformatter
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageOps

from marketplace.generation import text
from marketplace.generation.base import (
    FPS,
    HEIGHT,
    MAX_SECONDS,
    MIN_SECONDS,
    WATERMARK,
    WIDTH,
    CharacterRef,
    ParentRef,
    ProgressCallback,
    RenderFailed,
    RenderResult,
    RenderSpec,
)

RGB = tuple[int, int, int]
Box = tuple[int, int, int, int]

# libx264 tuned for throughput: "veryfast" keeps a 5 s clip well under real time on one
# core at this size, crf 23 is x264's default quality, and a keyframe every 2 s keeps
# seeking in the browser player cheap. Two settings are there for reproducibility:
# with mbtree on, this x264 build gave a different bitstream from run to run for the same
# input (its SIMD path; asm=0 or mbtree=0 cured it), and x264's output depends on its
# thread count, so one thread makes the file the same on every worker, whatever its cores.
X264_OPTIONS = {"preset": "veryfast", "crf": "23", "threads": "1", "x264-params": "mbtree=0"}
KEYFRAME_INTERVAL = 2 * FPS
# BT.601 limited range: what swscale's RGB -> yuv420p produces, written into the stream's
# VUI so that players do not have to guess (AVCOL_SPC_SMPTE170M, AVCOL_RANGE_MPEG).
COLORSPACE_SMPTE170M, COLOR_RANGE_MPEG = 6, 1

MARGIN = 14
BACKGROUND_PAN = 48  # px the background drifts over a clip; it is drawn this much larger
ZOOM_LEVELS = 15  # sprite sizes precomputed for the breathing zoom
ZOOM_AMPLITUDE = 0.06
CAPTION_TOP = 58
CAPTION_MAX_LINES = 3
CAPTION_MAX_CHARS = 90
CREDITS_MAX_HEIGHT = HEIGHT // 4
PATH_KINDS = ("glide", "hop", "orbit")
STAGE_TOP, STAGE_BOTTOM = 210, HEIGHT - 60  # where characters move
# A remix opens with its parent's last second, then dissolves into its own scene over
# half a second, so a viewer sees what it continues.
OPENING_FRAMES = FPS
DISSOLVE_FRAMES = FPS // 2


class LocalBackend:
    name = "local"

    def render(self, spec: RenderSpec, progress: ProgressCallback) -> RenderResult:
        """Write ``video.mp4`` and ``poster.jpg`` into ``spec.output_dir``.

        Refuses a duration outside MIN_SECONDS..MAX_SECONDS, an unreadable reference
        image and credits too long to fit, each with a final RenderFailed. Encoder or
        disk errors are transient. Files appear under their final names only when
        complete.
        """
        duration = spec.duration_s
        if isinstance(duration, bool) or not isinstance(duration, int):
            raise RenderFailed(f"The duration must be a whole number of seconds, not {duration!r}.")
        if not MIN_SECONDS <= duration <= MAX_SECONDS:
            raise RenderFailed(
                f"The duration must be between {MIN_SECONDS} and {MAX_SECONDS} seconds, "
                f"not {duration}."
            )
        total = duration * FPS
        scene = _Scene.build(spec)
        opening = parent_tail(spec.parent, OPENING_FRAMES) if spec.parent else []
        frame_at = _with_opening(scene, opening, total)

        output_dir = Path(spec.output_dir)
        try:
            output_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RenderFailed(
                "The output folder could not be created; please try again.", transient=True
            ) from exc
        video_path = output_dir / "video.mp4"
        poster_path = output_dir / "poster.jpg"
        encode_mp4(frame_at=frame_at, total=total, video_path=video_path, progress=progress)
        # The poster shows the new scene, past the parent's opening.
        poster_index = min(max(total // 3, len(opening) + DISSOLVE_FRAMES), total - 1)
        poster = frame_at(poster_index)
        _write_atomically(poster_path, lambda tmp: poster.save(tmp, "JPEG", quality=88))

        return RenderResult(
            video_path=video_path,
            poster_path=poster_path,
            duration_s=total / FPS,
            width=WIDTH,
            height=HEIGHT,
            frame_count=total,
            metadata={
                "backend": self.name,
                "seed": spec.seed,
                "palette": [_hex(c) for c in scene.palette],
                "codec": "h264",
                "pix_fmt": "yuv420p",
                "fps": FPS,
                "encoder": {**X264_OPTIONS, "keyint": KEYFRAME_INTERVAL},
                "colorspace": "bt601",
                "caption": scene.caption,
                "characters": [
                    {"id": c.id, "name": c.name, "path": m.kind, "placeholder": not c.image_paths}
                    for c, m in zip(spec.characters, scene.motions, strict=True)
                ],
                "poster_frame": poster_index,
                **(
                    {"parent": {"work_id": spec.parent.work_id, "opening_frames": len(opening)}}
                    if spec.parent
                    else {}
                ),
            },
        )


def scene_palette(*, prompt: str, seed: int) -> tuple[RGB, RGB, RGB]:
    """The background's two gradient colours and the accent colour for (prompt, seed)."""
    draws = _draws("palette", prompt, seed)
    hue = next(draws)
    second_hue = (hue + 0.18 + 0.3 * next(draws)) % 1.0
    top = _hsv(hue, 0.45 + 0.35 * next(draws), 0.55 + 0.3 * next(draws))
    bottom = _hsv(second_hue, 0.55 + 0.35 * next(draws), 0.22 + 0.25 * next(draws))
    accent = _hsv((hue + 0.5) % 1.0, 0.65, 0.42)
    return top, bottom, accent


def caption_for(spec: RenderSpec) -> str:
    """The line shown in the scene: the spec's caption, else the prompt, shortened."""
    line = " ".join((spec.caption or spec.prompt).split())
    line = "".join(ch for ch in line if unicodedata.category(ch)[0] != "C")
    if len(line) <= CAPTION_MAX_CHARS:
        return line
    cut = line[: CAPTION_MAX_CHARS - 1]
    if " " in cut[CAPTION_MAX_CHARS // 2 :]:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,.;:、。") + "…"


@lru_cache(maxsize=1)
def watermark_box() -> Box:
    """The (left, top, right, bottom) pixels the watermark plate covers on every frame."""
    return _watermark_layer()[0]


# Scene ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Layer:
    """A pre-drawn overlay: RGB pixels and their alpha, pasted at ``position``."""

    image: Image.Image
    mask: Image.Image
    position: tuple[int, int]

    @classmethod
    def from_rgba(cls, rgba: Image.Image, offset: tuple[int, int] = (0, 0)) -> _Layer | None:
        bbox = rgba.getbbox(alpha_only=True)
        if bbox is None:
            return None
        part = rgba.crop(bbox)
        return cls(
            part.convert("RGB"), part.getchannel("A"), (offset[0] + bbox[0], offset[1] + bbox[1])
        )


@dataclass(frozen=True)
class _Sprite:
    """One character at every zoom level, with a soft drop shadow per level."""

    levels: tuple[tuple[Image.Image, Image.Image, Image.Image], ...]  # rgb, mask, shadow
    width: int
    height: int


@dataclass(frozen=True)
class _Motion:
    kind: str
    anchor: tuple[float, float]
    drift: tuple[float, float]
    amplitude: tuple[float, float]
    cycles: tuple[float, float]
    phase: tuple[float, float]
    bob: float
    bob_hz: float
    zoom_cycles: float
    zoom_phase: float
    bounds: tuple[float, float, float, float]  # min/max centre x, min/max centre y

    def at(self, frame: int, total: int) -> tuple[float, float, float]:
        """Centre x, centre y and zoom in [-1, 1] at ``frame``."""
        p = frame / max(total - 1, 1)
        t = frame / FPS
        tau = 2 * math.pi
        x = self.anchor[0] + self.drift[0] * (2 * p - 1)
        y = self.anchor[1] + self.drift[1] * (2 * p - 1)
        if self.kind == "orbit":
            x += self.amplitude[0] * math.cos(tau * self.cycles[0] * p + self.phase[0])
            y += self.amplitude[1] * math.sin(tau * self.cycles[0] * p + self.phase[0])
        else:
            x += self.amplitude[0] * math.sin(tau * self.cycles[0] * p + self.phase[0])
            y += self.amplitude[1] * math.sin(tau * self.cycles[1] * p + self.phase[1])
        wave = tau * self.bob_hz * t + self.phase[1]
        y -= self.bob * (abs(math.sin(wave)) if self.kind == "hop" else math.sin(wave))
        x = min(max(x, self.bounds[0]), self.bounds[1])
        y = min(max(y, self.bounds[2]), self.bounds[3])
        zoom = math.sin(tau * self.zoom_cycles * p + self.zoom_phase)
        return x, y, zoom


@dataclass(frozen=True)
class _Scene:
    palette: tuple[RGB, RGB, RGB]
    caption: str
    background: Image.Image  # WIDTH + BACKGROUND_PAN wide and high
    pan: tuple[int, int]  # direction of the background drift, each -1 or 1
    sprites: tuple[_Sprite, ...]
    motions: tuple[_Motion, ...]
    overlays: tuple[_Layer, ...]

    @classmethod
    def build(cls, spec: RenderSpec) -> _Scene:
        palette = scene_palette(prompt=spec.prompt, seed=spec.seed)
        caption = caption_for(spec)
        draws = _draws("scene", spec.prompt, spec.seed)
        pan = (1 if next(draws) < 0.5 else -1, 1 if next(draws) < 0.5 else -1)
        count = len(spec.characters)
        sprites = tuple(
            _load_sprite(character, index, count, spec)
            for index, character in enumerate(spec.characters)
        )
        motions = tuple(
            _motion_for(sprite, index, count, spec) for index, sprite in enumerate(sprites)
        )
        overlays = tuple(
            layer
            for layer in (
                _caption_layer(caption, palette[2]),
                _credits_layer(spec.credits),
                _watermark_layer()[1],
            )
            if layer is not None
        )
        return cls(
            palette=palette,
            caption=caption,
            background=_background(palette, spec),
            pan=pan,
            sprites=sprites,
            motions=motions,
            overlays=overlays,
        )

    def frame(self, index: int, total: int) -> Image.Image:
        shift = round(BACKGROUND_PAN * index / max(total - 1, 1))
        left = shift if self.pan[0] > 0 else BACKGROUND_PAN - shift
        top = shift if self.pan[1] > 0 else BACKGROUND_PAN - shift
        image = self.background.crop((left, top, left + WIDTH, top + HEIGHT))
        for sprite, motion in zip(self.sprites, self.motions, strict=True):
            cx, cy, zoom = motion.at(index, total)
            level = round((zoom + 1) / 2 * (ZOOM_LEVELS - 1))
            rgb, mask, shadow = sprite.levels[level]
            x, y = round(cx - rgb.width / 2), round(cy - rgb.height / 2)
            offset = max(4, rgb.width // 40)
            pad = (shadow.width - rgb.width) // 2
            image.paste((0, 0, 0), (x + offset - pad, y + 2 * offset - pad), shadow)
            image.paste(rgb, (x, y), mask)
        for layer in self.overlays:
            image.paste(layer.image, layer.position, layer.mask)
        return image


def burn_in(credits: tuple[str, ...]) -> Callable[[Image.Image], Image.Image]:
    """Put the credits and the watermark on a frame made elsewhere (a hosted render),
    exactly where a local render has them. Refuses credits too long to fit."""
    layers = tuple(
        layer for layer in (_credits_layer(credits), _watermark_layer()[1]) if layer is not None
    )

    def stamp(image: Image.Image) -> Image.Image:
        if image.size != (WIDTH, HEIGHT):
            image = ImageOps.fit(image, (WIDTH, HEIGHT), Image.Resampling.LANCZOS)
        image = image.convert("RGB")
        for layer in layers:
            image.paste(layer.image, layer.position, layer.mask)
        return image

    return stamp


def parent_tail(parent: ParentRef, count: int) -> list[Image.Image]:
    """The parent video's last ``count`` frames, as RGB images of our frame size.

    A parent of another size (a hosted render) is scaled to cover the frame and cropped.
    """
    tail: deque[av.VideoFrame] = deque(maxlen=count)
    try:
        with parent.open_video() as stream, av.open(stream) as container:
            if not container.streams.video:
                raise RenderFailed("The video being remixed has no picture in it.")
            for frame in container.decode(container.streams.video[0]):
                tail.append(frame)
            images = [frame.to_image() for frame in tail]
    except (av.FFmpegError, OSError) as exc:
        raise RenderFailed(
            "The video being remixed could not be read; please try again.", transient=True
        ) from exc
    if not images:
        raise RenderFailed("The video being remixed has no frames.")
    return [
        image.convert("RGB")
        if image.size == (WIDTH, HEIGHT)
        else ImageOps.fit(image.convert("RGB"), (WIDTH, HEIGHT), Image.Resampling.LANCZOS)
        for image in images
    ]


def _with_opening(
    scene: _Scene, opening: list[Image.Image], total: int
) -> Callable[[int], Image.Image]:
    """Frame ``index`` of the clip: the parent's frames first (with our watermark), then a
    dissolve from its last frame into the scene, then the scene."""
    opening = opening[: max(total - DISSOLVE_FRAMES, 0)]
    watermark = _watermark_layer()[1]

    def frame_at(index: int) -> Image.Image:
        if index < len(opening):
            image = opening[index].copy()
            image.paste(watermark.image, watermark.position, watermark.mask)
            return image
        image = scene.frame(index, total)
        step = index - len(opening) + 1
        if opening and step <= DISSOLVE_FRAMES:
            image = Image.blend(opening[-1], image, step / (DISSOLVE_FRAMES + 1))
        return image

    return frame_at


def encode_mp4(
    *,
    frame_at: Callable[[int], Image.Image],
    total: int,
    video_path: Path,
    progress: ProgressCallback,
) -> None:
    """Encode ``frame_at(0..total-1)`` (RGB, WIDTH x HEIGHT) as the backend's MP4.

    H.264 (libx264, X264_OPTIONS), yuv420p, FPS frames a second, ``+faststart``; the file
    appears at ``video_path`` only when complete. ``progress`` gets the fraction done after
    every frame. bench/render.py calls this directly for its encode-only baseline.
    """

    def write(tmp: Path) -> None:
        with av.open(str(tmp), "w", format="mp4", options={"movflags": "+faststart"}) as container:
            stream = container.add_stream("libx264", rate=FPS, options=dict(X264_OPTIONS))
            stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
            stream.codec_context.gop_size = KEYFRAME_INTERVAL
            stream.codec_context.time_base = Fraction(1, FPS)
            stream.codec_context.colorspace = COLORSPACE_SMPTE170M
            stream.codec_context.color_range = COLOR_RANGE_MPEG
            reformatter = VideoReformatter()
            for index in range(total):
                frame = reformatter.reformat(
                    av.VideoFrame.from_image(frame_at(index)), format="yuv420p", threads=1
                )
                frame.pts = index
                frame.time_base = Fraction(1, FPS)
                container.mux(stream.encode(frame))
                progress((index + 1) / total)
            container.mux(stream.encode(None))

    try:
        _write_atomically(video_path, write)
    except av.FFmpegError as exc:
        raise RenderFailed(
            "The video could not be encoded; please try again.", transient=True
        ) from exc


def _write_atomically(path: Path, write: Callable[[Path], None]) -> None:
    tmp = path.with_name(f".{path.name}.part")
    try:
        write(tmp)
        os.replace(tmp, path)
    except OSError as exc:
        raise RenderFailed(
            "The rendered files could not be written; please try again.", transient=True
        ) from exc
    finally:
        tmp.unlink(missing_ok=True)


# Layers ---------------------------------------------------------------------------------


def _background(palette: tuple[RGB, RGB, RGB], spec: RenderSpec) -> Image.Image:
    """A vertical gradient with a few soft discs, drawn once, larger than the frame."""
    width, height = WIDTH + BACKGROUND_PAN, HEIGHT + BACKGROUND_PAN
    gradient = Image.linear_gradient("L").resize((width, height), Image.Resampling.BILINEAR)
    top, bottom, _ = palette
    image = Image.composite(
        Image.new("RGB", (width, height), bottom), Image.new("RGB", (width, height), top), gradient
    )
    draws = _draws("background", spec.prompt, spec.seed)
    glow = Image.new("L", (width // 4, height // 4))
    draw = ImageDraw.Draw(glow)
    for _ in range(7):
        cx, cy = next(draws) * glow.width, next(draws) * glow.height
        radius = 8 + next(draws) * 30
        draw.ellipse(
            (cx - radius, cy - radius, cx + radius, cy + radius), fill=int(30 + 50 * next(draws))
        )
    glow = glow.filter(ImageFilter.GaussianBlur(6)).resize(
        (width, height), Image.Resampling.BILINEAR
    )
    light = _mix(top, (255, 255, 255), 0.55)
    return Image.composite(Image.new("RGB", (width, height), light), image, glow)


def _caption_layer(caption: str, accent: RGB) -> _Layer | None:
    if not caption:
        return None
    font = text.font(26, caption)
    lines = text.wrap(caption, font, WIDTH - 4 * MARGIN)
    if len(lines) > CAPTION_MAX_LINES:
        lines = lines[:CAPTION_MAX_LINES]
        lines[-1] = text.fit(lines[-1] + "…", font, WIDTH - 4 * MARGIN)
    line_height = text.line_height(font)
    height = line_height * len(lines) + 2 * MARGIN
    layer = Image.new("RGBA", (WIDTH - 2 * MARGIN, height))
    draw = ImageDraw.Draw(layer)
    draw.rounded_rectangle((0, 0, layer.width - 1, height - 1), radius=16, fill=(*accent, 170))
    for number, line in enumerate(lines):
        draw.text(
            (layer.width / 2, MARGIN + number * line_height),
            line,
            font=font,
            fill=(255, 255, 255, 255),
            anchor="ma",
            stroke_width=2,
            stroke_fill=(0, 0, 0, 255),
        )
    return _Layer.from_rgba(layer, (MARGIN, CAPTION_TOP))


def _credits_layer(credits: tuple[str, ...]) -> _Layer | None:
    texts = [" ".join(line.split()) for line in credits if line.strip()]
    if not texts:
        return None
    for size in (14, 13, 12, 11, 10):
        font = text.font(size, " ".join(texts))
        lines = [part for line in texts for part in text.wrap(line, font, WIDTH - 4 * MARGIN)]
        line_height = text.line_height(font)
        height = line_height * len(lines) + MARGIN
        if height <= CREDITS_MAX_HEIGHT:
            break
    else:
        # Attribution the terms require is never dropped silently.
        raise RenderFailed("The credits are too long to fit on the video; shorten them and retry.")
    layer = Image.new("RGBA", (WIDTH, height + MARGIN))
    draw = ImageDraw.Draw(layer)
    draw.rectangle((0, 0, WIDTH, layer.height), fill=(0, 0, 0, 120))
    for number, line in enumerate(lines):
        draw.text(
            (2 * MARGIN, MARGIN // 2 + number * line_height),
            line,
            font=font,
            fill=(235, 235, 235, 255),
        )
    return _Layer.from_rgba(layer, (0, HEIGHT - layer.height))


@lru_cache(maxsize=1)
def _watermark_layer() -> tuple[Box, _Layer]:
    font = text.font(16, WATERMARK)
    left, top, right, bottom = (math.ceil(v) for v in font.getbbox(WATERMARK))
    pad_x, pad_y = 10, 6
    width, height = right - left + 2 * pad_x, bottom - top + 2 * pad_y
    layer = Image.new("RGBA", (width, height))
    draw = ImageDraw.Draw(layer)
    draw.rounded_rectangle((0, 0, width - 1, height - 1), radius=height // 2, fill=(0, 0, 0, 165))
    draw.text((pad_x - left, pad_y - top), WATERMARK, font=font, fill=(255, 255, 255, 255))
    x, y = WIDTH - MARGIN - width, MARGIN
    return (x, y, x + width, y + height), _Layer(
        layer.convert("RGB"), layer.getchannel("A"), (x, y)
    )


# Characters -----------------------------------------------------------------------------


def _load_sprite(character: CharacterRef, index: int, count: int, spec: RenderSpec) -> _Sprite:
    draws = _draws("sprite", spec.prompt, spec.seed, index, character.id)
    max_width = WIDTH * (0.40 + 0.15 * next(draws))
    max_height = (STAGE_BOTTOM - STAGE_TOP) * (0.62 if count > 1 else 0.75)
    if character.image_paths:
        source = _read_reference(character)
        scale = min(max_width / source.width, max_height / source.height)
        size = (max(1, round(source.width * scale)), max(1, round(source.height * scale)))
        base = source.resize(size, Image.Resampling.LANCZOS)
        base.putalpha(ImageChops.multiply(base.getchannel("A"), _soft_mask(base.size)))
    else:
        base = _placeholder(character, round(min(max_width, max_height)), spec)
    levels = []
    for level in range(ZOOM_LEVELS):
        factor = 1 + ZOOM_AMPLITUDE * (2 * level / (ZOOM_LEVELS - 1) - 1)
        size = (max(1, round(base.width * factor)), max(1, round(base.height * factor)))
        scaled = base.resize(size, Image.Resampling.BILINEAR) if factor != 1 else base
        alpha = scaled.getchannel("A")
        blur = max(3, size[0] // 30)
        shadow = Image.new("L", (size[0] + 4 * blur, size[1] + 4 * blur))
        shadow.paste(alpha.point(lambda v: v * 45 // 100), (2 * blur, 2 * blur))
        levels.append((scaled.convert("RGB"), alpha, shadow.filter(ImageFilter.GaussianBlur(blur))))
    return _Sprite(levels=tuple(levels), width=base.width, height=base.height)


def _read_reference(character: CharacterRef) -> Image.Image:
    path = character.image_paths[0]
    try:
        with Image.open(path) as image:
            image.draft("RGB", (WIDTH * 2, HEIGHT * 2))
            image.load()
            image.thumbnail((WIDTH * 2, HEIGHT * 2))
            return image.convert("RGBA")
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise RenderFailed(f"The reference image for {character.name} could not be read.") from exc


def _soft_mask(size: tuple[int, int]) -> Image.Image:
    """A rounded rectangle with feathered edges, so a photo does not look cut out."""
    width, height = size
    feather = max(2, min(size) // 40)
    mask = Image.new("L", size)
    ImageDraw.Draw(mask).rounded_rectangle(
        (feather, feather, width - 1 - feather, height - 1 - feather),
        radius=min(size) // 6,
        fill=255,
    )
    return mask.filter(ImageFilter.GaussianBlur(feather))


def _placeholder(character: CharacterRef, diameter: int, spec: RenderSpec) -> Image.Image:
    """A coloured disc with the character's initial, for a character with no image."""
    draws = _draws("placeholder", character.id, character.name)
    colour = _hsv(next(draws), 0.6, 0.85)
    image = Image.new("RGBA", (diameter, diameter))
    draw = ImageDraw.Draw(image)
    draw.ellipse(
        (0, 0, diameter - 1, diameter - 1),
        fill=(*colour, 255),
        outline=(255, 255, 255, 255),
        width=6,
    )
    initial = (character.name.strip() or "?")[0].upper()
    font = text.font(diameter // 2, initial)
    draw.text(
        (diameter / 2, diameter / 2),
        initial,
        font=font,
        fill=(255, 255, 255, 255),
        anchor="mm",
        stroke_width=3,
        stroke_fill=(0, 0, 0, 255),
    )
    return image


def _motion_for(sprite: _Sprite, index: int, count: int, spec: RenderSpec) -> _Motion:
    draws = _draws("motion", spec.prompt, spec.seed, index)
    # The first kind comes from the scene, the rest follow it, so characters differ.
    first = int(next(_draws("paths", spec.prompt, spec.seed)) * len(PATH_KINDS))
    kind = PATH_KINDS[(first + index) % len(PATH_KINDS)]
    # A sprite may leave the frame by up to 15% of its width, never more.
    min_x, max_x = sprite.width * 0.35, WIDTH - sprite.width * 0.35
    min_y = STAGE_TOP + sprite.height / 2
    max_y = max(min_y, STAGE_BOTTOM - sprite.height / 2)
    slack_x, slack_y = (max_x - min_x) / 2, (max_y - min_y) / 2
    anchor_x = min_x + (max_x - min_x) * (index + 0.5) / count
    anchor_y = min_y + (max_y - min_y) * (0.3 + 0.4 * next(draws))
    direction = 1 if (next(draws) < 0.5) == (index % 2 == 0) else -1
    return _Motion(
        kind=kind,
        anchor=(anchor_x, anchor_y),
        drift=(
            direction * slack_x * (0.2 + 0.2 * next(draws)),
            slack_y * (0.3 * next(draws) - 0.15),
        ),
        amplitude=(slack_x * (0.3 + 0.3 * next(draws)), slack_y * (0.25 + 0.35 * next(draws))),
        cycles=(0.6 + 0.9 * next(draws), 0.5 + next(draws)),
        phase=(2 * math.pi * next(draws), 2 * math.pi * next(draws)),
        bob=6 + 12 * next(draws),
        bob_hz=0.8 + 0.8 * next(draws),
        zoom_cycles=0.5 + next(draws),
        zoom_phase=2 * math.pi * next(draws),
        bounds=(min_x, max_x, min_y, max_y),
    )


# Small helpers --------------------------------------------------------------------------


def _draws(*parts: object) -> Iterator[float]:
    """An endless, deterministic stream of floats in [0, 1) keyed by ``parts``."""
    key = "\x1f".join(str(part) for part in parts).encode()
    counter = 0
    while True:
        block = hashlib.sha256(key + counter.to_bytes(8, "big")).digest()
        for start in range(0, len(block), 4):
            yield int.from_bytes(block[start : start + 4], "big") / 2**32
        counter += 1


def _hsv(hue: float, saturation: float, value: float) -> RGB:
    r, g, b = colorsys.hsv_to_rgb(hue, saturation, value)
    return round(r * 255), round(g * 255), round(b * 255)


def _mix(a: RGB, b: RGB, amount: float) -> RGB:
    return (
        round(a[0] + (b[0] - a[0]) * amount),
        round(a[1] + (b[1] - a[1]) * amount),
        round(a[2] + (b[2] - a[2]) * amount),
    )


def _hex(colour: RGB) -> str:
    return "#{:02x}{:02x}{:02x}".format(*colour)
