"""Pictures the seed draws itself: character reference images, the scanned certificate
each studio uploads for verification, and the consent video each likeness owner
records. Deterministic per name."""

from __future__ import annotations

import io
import math
import random
from fractions import Fraction

import av
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw


def portrait(name: str, colours: tuple[str, str], look: str = "") -> SimpleUploadedFile:
    """A reference image: a simple character on a starry backdrop, with a ``look``
    (see LOOKS) so that a cat, a robot and a captain can be told apart."""
    rng = random.Random(name)  # noqa: S311 - deterministic art, not security
    background, accent = colours
    image = Image.new("RGB", (512, 512), background)
    draw = ImageDraw.Draw(image)
    for _ in range(24):
        x, y, r = rng.randrange(512), rng.randrange(512), rng.randrange(2, 6)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=accent)
    draw.ellipse((156, 120, 356, 320), fill=accent)  # head
    draw.rectangle((196, 320, 316, 470), fill=accent)  # body
    draw.ellipse((206, 190, 236, 220), fill=background)  # eyes
    draw.ellipse((276, 190, 306, 220), fill=background)
    draw.arc((216, 230, 296, 290), 20, 160, fill=background, width=6)  # smile
    if look:
        LOOKS[look](draw, accent, _shade(accent))
    return _png(image, f"{name}.png")


def _shade(colour: str, amount: float = 0.45) -> str:
    """``colour`` darkened: hair, caps and visors stand out from face and backdrop."""
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return "#{:02x}{:02x}{:02x}".format(*(int(c * (1 - amount)) for c in (r, g, b)))


def _ears(draw: ImageDraw.ImageDraw, accent: str, detail: str) -> None:
    draw.polygon([(166, 180), (186, 70), (246, 130)], fill=accent)
    draw.polygon([(346, 180), (326, 70), (266, 130)], fill=accent)


def _round_ears(draw: ImageDraw.ImageDraw, accent: str, detail: str) -> None:
    draw.ellipse((150, 90, 220, 160), fill=accent)
    draw.ellipse((292, 90, 362, 160), fill=accent)
    draw.ellipse((206, 236, 306, 276), outline=detail, width=5)  # a mask


def _cap(draw: ImageDraw.ImageDraw, accent: str, detail: str) -> None:
    draw.rectangle((146, 118, 366, 150), fill=detail)
    draw.polygon([(176, 118), (256, 50), (336, 118)], fill=detail)
    draw.ellipse((240, 76, 272, 108), fill=accent)  # the badge


def _antenna(draw: ImageDraw.ImageDraw, accent: str, detail: str) -> None:
    draw.line((256, 120, 256, 50), fill=accent, width=8)
    draw.ellipse((238, 30, 274, 66), fill=accent)
    draw.rectangle((196, 190, 316, 220), fill=detail)  # a visor


def _star(draw: ImageDraw.ImageDraw, accent: str, detail: str) -> None:
    points = [(256, 40), (276, 100), (336, 100), (288, 136), (306, 196)]
    points += [(256, 160), (206, 196), (224, 136), (176, 100), (236, 100)]
    draw.polygon(points, fill=detail, outline=accent)


def _spikes(draw: ImageDraw.ImageDraw, accent: str, detail: str) -> None:
    for x in range(150, 370, 36):
        draw.polygon([(x, 170), (x + 18, 80), (x + 36, 170)], fill=accent)


def _bun(draw: ImageDraw.ImageDraw, accent: str, detail: str) -> None:
    draw.ellipse((206, 60, 306, 150), fill=detail)
    draw.ellipse((150, 110, 362, 200), fill=detail)  # fringe
    draw.ellipse((300, 80, 340, 120), fill=accent)  # a flower


def _hair(draw: ImageDraw.ImageDraw, accent: str, detail: str) -> None:
    draw.chord((146, 100, 366, 260), 180, 360, fill=detail)


LOOKS = {
    "ears": _ears,
    "round_ears": _round_ears,
    "cap": _cap,
    "antenna": _antenna,
    "star": _star,
    "spikes": _spikes,
    "bun": _bun,
    "hair": _hair,
}


def certificate(organization: str) -> SimpleUploadedFile:
    """A plain 'certificate of registration' scan for an organization's verification."""
    image = Image.new("RGB", (850, 1100), "#fbfaf5")
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 40, 810, 1060), outline="#8d6e63", width=6)
    draw.text((90, 120), "CERTIFICATE OF COPYRIGHT REGISTRATION", fill="#3e2723")
    draw.text((90, 180), "Demo document: issued for the Cocreate demo only.", fill="#5d4037")
    for row in range(12):
        y = 260 + row * 50
        draw.line((90, y, 760 - (row % 3) * 80, y), fill="#bcaaa4", width=3)
    draw.ellipse((600, 860, 760, 1020), outline="#c62828", width=8)  # the seal
    return _png(image, f"{organization} certificate.png")


def _png(image: Image.Image, filename: str) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return SimpleUploadedFile(filename, buffer.getvalue(), content_type="image/png")


CONSENT_SECONDS = 3
_CLIP_FPS = 10
_CLIP_RATE = 48_000
_CLIP_SAMPLES = 960  # Opus's 20 ms frame


def consent_clip(name: str, colours: tuple[str, str]) -> SimpleUploadedFile:
    """A likeness owner's consent video as a browser records one (WebM: VP8 and Opus):
    three seconds of their portrait nodding, with a tone for the voice."""
    buffer = io.BytesIO()
    face = portrait(name, colours, "hair")
    face.seek(0)
    still = Image.open(face).convert("RGB").resize((320, 320))
    with av.open(buffer, mode="w", format="webm") as container:
        video = container.add_stream("libvpx", rate=_CLIP_FPS)
        video.width, video.height, video.pix_fmt = 320, 240, "yuv420p"
        audio = container.add_stream("libopus", rate=_CLIP_RATE)
        audio.layout = "mono"
        for index in range(CONSENT_SECONDS * _CLIP_FPS):
            frame_image = Image.new("RGB", (320, 240), colours[0])
            frame_image.paste(still.crop((0, 40, 320, 280)), (0, round(6 * math.sin(index))))
            frame = av.VideoFrame.from_image(frame_image)
            frame.pts, frame.time_base = index, Fraction(1, _CLIP_FPS)
            container.mux(video.encode(frame))
        container.mux(video.encode())
        for start in range(0, CONSENT_SECONDS * _CLIP_RATE, _CLIP_SAMPLES):
            frame = av.AudioFrame(format="s16", layout="mono", samples=_CLIP_SAMPLES)
            tone = (
                int(6000 * math.sin(2 * math.pi * 220 * (start + i) / _CLIP_RATE))
                for i in range(_CLIP_SAMPLES)
            )
            frame.planes[0].update(b"".join(v.to_bytes(2, "little", signed=True) for v in tone))
            frame.sample_rate, frame.pts = _CLIP_RATE, start
            frame.time_base = Fraction(1, _CLIP_RATE)
            container.mux(audio.encode(frame))
        container.mux(audio.encode())
    return SimpleUploadedFile(f"{name}.webm", buffer.getvalue(), content_type="video/webm")
