"""What a PDF can do besides being read: run JavaScript, launch a program, carry other
files. Verification documents are opened by staff, so a PDF that can do any of these is
refused (core.uploads.validate_document).

Every object of the file is read through pypdf (those in compressed object streams
too, with names like ``/J#61vaScript`` decoded), and the raw bytes are searched as
well, so that neither compression nor a cross-reference table that hides objects
carries one past the check."""

import io
import logging
import re
from collections.abc import Iterator

from pypdf import PdfReader
from pypdf.errors import PdfReadError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, PdfObject

# pypdf reports every repair of an untidy (but readable) file as a warning.
logging.getLogger("pypdf").setLevel(logging.ERROR)

# What each finding is called in the refusal.
JAVASCRIPT = "JavaScript"
LAUNCH = "a launch action"
EMBEDDED = "embedded files"

# Dictionary keys that only exist to hold these.
_KEYS = {
    "/JS": JAVASCRIPT,
    "/JavaScript": JAVASCRIPT,
    "/EmbeddedFiles": EMBEDDED,
    "/EF": EMBEDDED,
}
# Action types (/S) and object types (/Type, /Subtype).
_ACTIONS = {"/JavaScript": JAVASCRIPT, "/Launch": LAUNCH}
_TYPES = {"/EmbeddedFile": EMBEDDED, "/FileAttachment": EMBEDDED}
_RAW = [
    (re.compile(rb"/(JS|JavaScript)(?![A-Za-z0-9])"), JAVASCRIPT),
    (re.compile(rb"/Launch(?![A-Za-z0-9])"), LAUNCH),
    (re.compile(rb"/(EmbeddedFiles?|EF|FileAttachment)(?![A-Za-z0-9])"), EMBEDDED),
]
_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_MAX_NESTING = 100


class UnreadablePdf(Exception):
    """pypdf could not read the file, or it is encrypted with a password."""


def _decode_names(data: bytes) -> bytes:
    return _NAME_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), data)


def _findings_in(obj: PdfObject, depth: int = 0) -> Iterator[str]:
    """Findings in one object and its direct (not indirect) children; indirect ones are
    read on their own."""
    if depth > _MAX_NESTING or isinstance(obj, IndirectObject):
        return
    if isinstance(obj, DictionaryObject):
        for key, value in obj.items():
            if key in _KEYS:
                yield _KEYS[key]
            if key == "/S" and str(value) in _ACTIONS:
                yield _ACTIONS[str(value)]
            if key in ("/Type", "/Subtype") and str(value) in _TYPES:
                yield _TYPES[str(value)]
            yield from _findings_in(value, depth + 1)
    elif isinstance(obj, ArrayObject):
        for item in obj:
            yield from _findings_in(item, depth + 1)


def _object_numbers(reader: PdfReader) -> set[int]:
    numbers = {number for table in reader.xref.values() for number in table}
    return numbers | set(reader.xref_objStm)


def active_content(data: bytes) -> list[str]:
    """What in ``data`` (a PDF) could act rather than be read, each named once, in a
    stable order: [] for a plain document. Raises UnreadablePdf."""
    found = {name for pattern, name in _RAW if pattern.search(_decode_names(data))}
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise UnreadablePdf("encrypted")
        found.update(_findings_in(reader.trailer))
        for number in sorted(_object_numbers(reader)):
            obj = reader.get_object(number)
            if obj is not None:
                found.update(_findings_in(obj))
    except UnreadablePdf:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        raise UnreadablePdf(str(exc)) from exc
    return [name for name in (JAVASCRIPT, LAUNCH, EMBEDDED) if name in found]
