"""Pictures the seed draws itself: character reference images and the scanned
certificate each studio uploads for verification. Deterministic per name."""

from __future__ import annotations

import io
import random

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw


def portrait(name: str, colours: tuple[str, str]) -> SimpleUploadedFile:
    """A reference image: a simple character on a starry backdrop."""
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
    return _png(image, f"{name}.png")


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
