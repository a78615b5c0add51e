"""Upload validation shared by every app: the real type is read from the bytes,
never trusted from the name or the browser, and size and pixel limits are checked
before anything is decoded in full."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from PIL import Image, UnidentifiedImageError

IMAGE_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
PDF_MAGIC = b"%PDF-"


@dataclass(frozen=True)
class CheckedUpload:
    content_type: str
    size_bytes: int
    width: int | None = None
    height: int | None = None


def _check_size(upload: UploadedFile, max_bytes: int) -> int:
    size = upload.size or 0
    if size == 0:
        raise ValidationError("The file is empty.", code="empty")
    if size > max_bytes:
        raise ValidationError(
            "The file is %(size)s MB; the limit is %(limit)s MB.",
            code="too_large",
            params={"size": round(size / 1_048_576, 1), "limit": max_bytes // 1_048_576},
        )
    return size


def validate_image(upload: UploadedFile, *, max_bytes: int, max_side: int) -> CheckedUpload:
    """Accept a PNG, JPEG or WebP no larger than ``max_bytes`` and ``max_side`` pixels
    on either side. Refuses decompression bombs without decoding them."""
    size = _check_size(upload, max_bytes)
    upload.seek(0)
    try:
        with Image.open(upload) as image:
            kind = image.format
            width, height = image.size
            if kind not in IMAGE_TYPES:
                raise ValidationError("Upload a PNG, JPEG or WebP image.", code="unsupported_type")
            if width > max_side or height > max_side:
                raise ValidationError(
                    "The image is %(w)s x %(h)s px; the limit is %(max)s px on each side.",
                    code="too_big_dimensions",
                    params={"w": width, "h": height, "max": max_side},
                )
            image.verify()
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError) as exc:
        raise ValidationError("The file is not a readable image.", code="not_an_image") from exc
    finally:
        upload.seek(0)
    return CheckedUpload(IMAGE_TYPES[kind], size, width, height)


def validate_document(upload: UploadedFile, *, max_bytes: int) -> CheckedUpload:
    """Accept a PDF, or an image of a scanned document (up to 10,000 px a side)."""
    size = _check_size(upload, max_bytes)
    upload.seek(0)
    head = upload.read(len(PDF_MAGIC))
    upload.seek(0)
    if head == PDF_MAGIC:
        return CheckedUpload("application/pdf", size)
    try:
        return validate_image(upload, max_bytes=max_bytes, max_side=10_000)
    except ValidationError as exc:
        if exc.code == "not_an_image":
            raise ValidationError(
                "Upload a PDF, or a PNG, JPEG or WebP scan.", code="unsupported_type"
            ) from exc
        raise
