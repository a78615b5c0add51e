"""Upload validation shared by every app: the real type is read from the bytes,
never trusted from the name or the browser, and size and pixel limits are checked
before anything is decoded in full.

Polyglots (one file that is two formats: a PNG with a ZIP appended, a PDF that is also
an HTML page) are refused where they can be seen: bytes after the image's end, HTML
markup in a PDF, and a name whose extension says another type than the bytes are. What cannot
be seen (a payload inside an image's own metadata or private chunks) is dropped instead:
an accepted image is stored re-encoded (``reencode_image``): its pixels saved afresh by
Pillow, so nothing but the picture survives; this also drops EXIF, GPS included. Files
are stored under a name made from their detected type, never the uploader's, so the
storage never serves an upload as HTML.

Videos (``validate_video``) are recognised by their container's signature and opened
with PyAV forcing that demuxer (never FFmpeg's probing, which would follow a playlist's
links); an accepted video is stored re-muxed (``CheckedVideo.content``): its audio and
video packets written into a fresh container by PyAV, so bytes around them (a ZIP or an
HTML page appended, metadata) are not stored."""

import io
from dataclasses import dataclass
from enum import StrEnum

import av
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from PIL import Image, ImageOps, UnidentifiedImageError

from core import pdf

IMAGE_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
PDF_MAGIC = b"%PDF-"
# The extension each type is stored under, and the ones an upload's name may carry.
SUFFIXES = {
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg", ".jpe", ".jfif"),
    "image/webp": (".webp",),
    "application/pdf": (".pdf",),
    "video/webm": (".webm", ".mkv"),
    "video/mp4": (".mp4", ".mov", ".m4v", ".qt"),
}
# Extensions that name some other type: an upload called one of these is refused unless
# the bytes are that type. A neutral name (".bin", none) is fine, as the stored name is
# ours anyway.
_TELLING_SUFFIXES = {
    *(suffix for suffixes in SUFFIXES.values() for suffix in suffixes),
    *(".gif", ".svg", ".svgz", ".html", ".htm", ".xhtml", ".xml", ".js", ".mjs", ".zip"),
    *(".jar", ".exe", ".bmp", ".tif", ".tiff", ".heic", ".avif", ".txt", ".avi", ".gif"),
}
# Markup a browser would render if a PDF were ever served as, or sniffed as, HTML.
_HTML_IN_PDF = (b"<html", b"<script", b"<body", b"<!doctype html", b"<iframe", b"<svg")


class UploadError(StrEnum):
    """Why an upload was refused (the ValidationError's code)."""

    EMPTY = "empty"
    TOO_LARGE = "too_large"
    NAME_MISMATCH = "name_mismatch"
    DATA_AFTER_IMAGE = "data_after_image"
    UNSUPPORTED_TYPE = "unsupported_type"
    TOO_BIG_DIMENSIONS = "too_big_dimensions"
    NOT_AN_IMAGE = "not_an_image"
    HTML_IN_PDF = "html_in_pdf"
    ACTIVE_PDF = "active_pdf"
    UNREADABLE_PDF = "unreadable_pdf"
    NOT_A_VIDEO = "not_a_video"
    NO_VIDEO_STREAM = "no_video_stream"
    NO_AUDIO = "no_audio"
    TOO_LONG = "too_long"
    TOO_SHORT = "too_short"
    BAD_DIMENSIONS = "bad_dimensions"


@dataclass(frozen=True)
class CheckedUpload:
    content_type: str
    size_bytes: int
    width: int | None = None
    height: int | None = None


def _check_size(upload: UploadedFile, max_bytes: int) -> int:
    size = upload.size or 0
    if size == 0:
        raise ValidationError("The file is empty.", code=UploadError.EMPTY)
    if size > max_bytes:
        raise ValidationError(
            "The file is %(size)s MB; the limit is %(limit)s MB.",
            code=UploadError.TOO_LARGE,
            params={"size": round(size / 1_048_576, 1), "limit": max_bytes // 1_048_576},
        )
    return size


def _check_name(upload: UploadedFile, content_type: str) -> None:
    name = (upload.name or "").rsplit("/", 1)[-1]
    if "." not in name:
        return
    suffix = "." + name.rsplit(".", 1)[1].lower()
    if suffix in _TELLING_SUFFIXES and suffix not in SUFFIXES[content_type]:
        raise ValidationError(
            "The file is named %(name)s but it is a %(kind)s file.",
            code=UploadError.NAME_MISMATCH,
            params={"name": name, "kind": SUFFIXES[content_type][0][1:].upper()},
        )


def _png_end(data: bytes) -> int | None:
    position = 8
    while position + 12 <= len(data):
        length = int.from_bytes(data[position : position + 4], "big")
        kind = data[position + 4 : position + 8]
        position += 12 + length
        if kind == b"IEND":
            return position
    return None


def _jpeg_end(data: bytes) -> int | None:
    position = 2
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            return None
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker == 0xD9:  # end of image
            return position + 2
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:
            position += 2
            continue
        position += 2 + int.from_bytes(data[position + 2 : position + 4], "big")
        if marker == 0xDA:  # start of scan: entropy-coded data up to the next marker
            while position + 1 < len(data) and not (
                data[position] == 0xFF
                and data[position + 1] != 0
                and not 0xD0 <= data[position + 1] <= 0xD7
            ):
                position += 1
    return None


def _webp_end(data: bytes) -> int:
    size = int.from_bytes(data[4:8], "little")
    return 8 + size + (size & 1)


def _check_nothing_after_image(upload: UploadedFile, kind: str) -> None:
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    end = {"PNG": _png_end, "JPEG": _jpeg_end, "WEBP": _webp_end}[kind](data)
    if end is not None and data[end:].strip(b"\x00"):
        raise ValidationError(
            "The file has %(extra)s bytes after the image (another file appended to it?); "
            "upload the image alone.",
            code=UploadError.DATA_AFTER_IMAGE,
            params={"extra": len(data) - end},
        )


def validate_image(upload: UploadedFile, *, max_bytes: int, max_side: int) -> CheckedUpload:
    """Accept a PNG, JPEG or WebP no larger than ``max_bytes`` and ``max_side`` pixels
    on either side, named (if at all) for what it is, with nothing after the image.
    Refuses decompression bombs without decoding them."""
    size = _check_size(upload, max_bytes)
    upload.seek(0)
    try:
        with Image.open(upload) as image:
            kind = image.format
            width, height = image.size
            if kind not in IMAGE_TYPES:
                raise ValidationError(
                    "Upload a PNG, JPEG or WebP image.", code=UploadError.UNSUPPORTED_TYPE
                )
            if width > max_side or height > max_side:
                raise ValidationError(
                    "The image is %(w)s x %(h)s px; the limit is %(max)s px on each side.",
                    code=UploadError.TOO_BIG_DIMENSIONS,
                    params={"w": width, "h": height, "max": max_side},
                )
            image.verify()
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError) as exc:
        raise ValidationError(
            "The file is not a readable image.", code=UploadError.NOT_AN_IMAGE
        ) from exc
    finally:
        upload.seek(0)
    _check_name(upload, IMAGE_TYPES[kind])
    _check_nothing_after_image(upload, kind)
    return CheckedUpload(IMAGE_TYPES[kind], size, width, height)


def reencode_image(upload: UploadedFile, checked: CheckedUpload) -> ContentFile:
    """The validated image's pixels saved afresh in its own format (orientation applied,
    metadata and anything else dropped), named for its type. Store this, not the
    upload."""
    kind = next(k for k, v in IMAGE_TYPES.items() if v == checked.content_type)
    upload.seek(0)
    with Image.open(upload) as image:
        pixels = ImageOps.exif_transpose(image)
        if kind == "JPEG" and pixels.mode not in ("RGB", "L"):
            pixels = pixels.convert("RGB")
        buffer = io.BytesIO()
        pixels.save(buffer, kind, **({"optimize": True} if kind == "PNG" else {"quality": 95}))
    upload.seek(0)
    return ContentFile(buffer.getvalue(), name="image" + SUFFIXES[checked.content_type][0])


def validate_document(upload: UploadedFile, *, max_bytes: int) -> CheckedUpload:
    """Accept a PDF with no HTML in it and nothing that could act (JavaScript, launch
    actions, embedded files: core.pdf), or an image of a scanned document (up to 10,000
    px a side)."""
    size = _check_size(upload, max_bytes)
    upload.seek(0)
    head = upload.read(len(PDF_MAGIC))
    upload.seek(0)
    if head == PDF_MAGIC:
        _check_name(upload, "application/pdf")
        data = upload.read().lower()
        upload.seek(0)
        if any(marker in data for marker in _HTML_IN_PDF):
            raise ValidationError(
                "The PDF contains HTML markup; upload a plain PDF.", code=UploadError.HTML_IN_PDF
            )
        upload.seek(0)
        raw = upload.read()
        upload.seek(0)
        try:
            active = pdf.active_content(raw)
        except pdf.UnreadablePdf:
            raise ValidationError(
                "The PDF could not be read (damaged, or protected by a password); save it "
                "again as a plain PDF.",
                code=UploadError.UNREADABLE_PDF,
            ) from None
        if active:
            raise ValidationError(
                f"The PDF contains {' and '.join(active)}; upload a plain PDF (print it to "
                "PDF, or scan it).",
                code=UploadError.ACTIVE_PDF,
            )
        return CheckedUpload("application/pdf", size)
    try:
        return validate_image(upload, max_bytes=max_bytes, max_side=10_000)
    except ValidationError as exc:
        if exc.code == "not_an_image":
            raise ValidationError(
                "Upload a PDF, or a PNG, JPEG or WebP scan.", code=UploadError.UNSUPPORTED_TYPE
            ) from exc
        raise


# Videos: the containers accepted, by the bytes they start with (Matroska/WebM's EBML
# header; an ISO media file's first box), each opened with its own demuxer.
_EBML_MAGIC = b"\x1a\x45\xdf\xa3"
_ISO_FIRST_BOXES = (b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip")
# The codecs each stored container takes as they are: a video is re-muxed into WebM when
# its codecs fit (a browser's MediaRecorder: VP8/VP9 and Opus), else into MP4 (a phone's
# H.264/HEVC and AAC). Anything else is refused rather than transcoded.
_STORED_CONTAINERS = (
    ("webm", "video/webm", {"vp8", "vp9", "av1"}, {"opus", "vorbis"}),
    ("mp4", "video/mp4", {"h264", "hevc", "av1", "vp9", "mpeg4"}, {"aac", "mp3", "opus", "alac"}),
)
VIDEO_MIN_SIDE = 64
VIDEO_MAX_SIDE = 4096
_NOT_A_VIDEO = "The file is not a video we can read: record it again, or upload an MP4 or WebM."


@dataclass(frozen=True)
class CheckedVideo:
    """An accepted video and the re-muxed copy to store in its place."""

    content_type: str
    duration_s: float
    width: int
    height: int
    content: ContentFile

    @property
    def size_bytes(self) -> int:
        return self.content.size


def _video_demuxer(upload: UploadedFile) -> tuple[str, str]:
    """The demuxer to open the upload with and the type family its name must agree with,
    read from its first bytes: never left to FFmpeg's probing."""
    upload.seek(0)
    head = upload.read(12)
    upload.seek(0)
    if head[:4] == _EBML_MAGIC:
        return "matroska", "video/webm"
    if head[4:8] in _ISO_FIRST_BOXES:
        return "mov", "video/mp4"
    raise ValidationError(_NOT_A_VIDEO, code=UploadError.NOT_A_VIDEO)


def _stored_container(video_codec: str, audio_codec: str | None) -> tuple[str, str]:
    for muxer, content_type, video_codecs, audio_codecs in _STORED_CONTAINERS:
        if video_codec in video_codecs and (audio_codec is None or audio_codec in audio_codecs):
            return muxer, content_type
    raise ValidationError(
        "The video is encoded as %(codec)s, which we cannot keep: record it in the browser, "
        "or upload an MP4 (H.264) or WebM (VP8/VP9) video.",
        code=UploadError.UNSUPPORTED_TYPE,
        params={"codec": f"{video_codec}/{audio_codec}" if audio_codec else video_codec},
    )


def validate_video(
    upload: UploadedFile,
    *,
    max_bytes: int,
    max_seconds: float,
    min_seconds: float,
    require_audio: bool = False,
) -> CheckedVideo:
    """Accept a Matroska/WebM or MP4/QuickTime video of at most ``max_bytes``, lasting
    ``min_seconds`` to ``max_seconds``, ``VIDEO_MIN_SIDE`` to ``VIDEO_MAX_SIDE`` pixels
    a side, whose first frame decodes (and with a sound track when ``require_audio``).
    Returns it re-muxed (``CheckedVideo.content``): only its first video and audio
    streams' packets, in a fresh WebM or MP4 container. Store that, not the upload."""
    _check_size(upload, max_bytes)
    demuxer, family = _video_demuxer(upload)
    _check_name(upload, family)
    upload.seek(0)
    try:
        with av.open(upload, mode="r", format=demuxer) as source:
            video = next((s for s in source.streams.video), None)
            if video is None:
                raise ValidationError(
                    "The file has no picture: upload a video.", code=UploadError.NO_VIDEO_STREAM
                )
            audio = next((s for s in source.streams.audio), None)
            if require_audio and audio is None:
                raise ValidationError(
                    "The video has no sound: record it with your microphone on.",
                    code=UploadError.NO_AUDIO,
                )
            width, height = video.codec_context.width, video.codec_context.height
            if not (
                VIDEO_MIN_SIDE <= width <= VIDEO_MAX_SIDE
                and VIDEO_MIN_SIDE <= height <= VIDEO_MAX_SIDE
            ):
                raise ValidationError(
                    "The video is %(w)s x %(h)s px; it must be %(min)s to %(max)s px a side.",
                    code=UploadError.BAD_DIMENSIONS,
                    params={"w": width, "h": height, "min": VIDEO_MIN_SIDE, "max": VIDEO_MAX_SIDE},
                )
            muxer, content_type = _stored_container(
                video.codec_context.name, audio.codec_context.name if audio else None
            )
            kept = {video.index, *([audio.index] if audio else [])}
            packets, decoded, start, end = [], False, None, 0.0
            for packet in source.demux(*(s for s in source.streams if s.index in kept)):
                if packet.dts is None or packet.pts is None:
                    continue  # the demuxer's end-of-stream marker
                begins = float(packet.pts * packet.time_base)
                start = begins if start is None else min(start, begins)
                end = max(end, float((packet.pts + (packet.duration or 0)) * packet.time_base))
                if end - start > max_seconds + 1:
                    break  # long enough to refuse: read no further
                if packet.stream.index == video.index and not decoded:
                    decoded = bool(video.codec_context.decode(packet))
                packets.append(packet)
            duration = end - (start or 0.0)
            if not packets or not decoded:
                raise ValidationError(_NOT_A_VIDEO, code=UploadError.NOT_A_VIDEO)
            if duration > max_seconds:
                raise ValidationError(
                    "The video lasts %(s)s seconds; the limit is %(max)s.",
                    code=UploadError.TOO_LONG,
                    params={"s": round(duration), "max": round(max_seconds)},
                )
            if duration < min_seconds:
                raise ValidationError(
                    "The video lasts %(s)s seconds; it must last at least %(min)s.",
                    code=UploadError.TOO_SHORT,
                    params={"s": round(duration, 1), "min": round(min_seconds)},
                )
            content = _remux(packets, video=video, audio=audio, muxer=muxer)
    except (av.FFmpegError, ValueError, IndexError, OverflowError) as exc:
        raise ValidationError(_NOT_A_VIDEO, code=UploadError.NOT_A_VIDEO) from exc
    finally:
        upload.seek(0)
    return CheckedVideo(content_type, round(duration, 2), width, height, content)


def _remux(packets: list, *, video, audio, muxer: str) -> ContentFile:
    """The packets written into a fresh container: nothing else of the upload is kept."""
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=muxer) as target:
        streams = {video.index: target.add_stream_from_template(video)}
        if audio is not None:
            streams[audio.index] = target.add_stream_from_template(audio)
        for packet in packets:
            packet.stream = streams[packet.stream.index]
            target.mux(packet)
    suffix = SUFFIXES["video/webm" if muxer == "webm" else "video/mp4"][0]
    return ContentFile(buffer.getvalue(), name="video" + suffix)
