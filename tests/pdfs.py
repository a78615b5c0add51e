"""PDFs for upload tests: a plain one, and ones that could act when opened (JavaScript,
a launch action, an embedded file), in plain sight or hidden from a byte search."""

import io
import struct
import zlib

from pypdf import PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject


def _written(writer: PdfWriter) -> bytes:
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _one_page() -> PdfWriter:
    writer = PdfWriter()
    writer.add_blank_page(612, 792)
    return writer


def plain_pdf() -> bytes:
    """One blank page, nothing else."""
    return _written(_one_page())


def pdf_opening_with(**action: str) -> bytes:
    """A page whose document runs ``action`` when opened: ``S="/JavaScript",
    JS="app.alert(1)"`` or ``S="/Launch", F="calc.exe"``."""
    writer = _one_page()
    writer._root_object[NameObject("/OpenAction")] = DictionaryObject(
        {
            NameObject(f"/{key}"): NameObject(value)
            if value.startswith("/")
            else TextStringObject(value)
            for key, value in action.items()
        }
    )
    return _written(writer)


def pdf_with_attachment() -> bytes:
    """A page, and a file embedded in the document."""
    writer = _one_page()
    writer.add_attachment("payload.exe", b"MZ\x90\x00 not really a program")
    return _written(writer)


def pdf_with_action_in_object_stream(action: bytes) -> bytes:
    """A PDF 1.5 whose open action (``action``, the dictionary's inside) lives in a
    compressed object stream listed by a compressed cross-reference stream: its bytes
    never show the action's names, so only reading the objects finds it."""
    header = b"4 0 "
    objects = zlib.compress(header + b"<< " + action + b" >>")
    out = bytearray(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}

    def add(number: int, body: bytes) -> None:
        offsets[number] = len(out)
        out.extend(b"%d 0 obj\n" % number + body + b"\nendobj\n")

    add(1, b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>")
    add(2, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
    add(3, b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 72 72] >>")
    add(
        5,
        b"<< /Type /ObjStm /N 1 /First %d /Filter /FlateDecode /Length %d >>\nstream\n"
        % (len(header), len(objects))
        + objects
        + b"\nendstream",
    )
    xref_at = len(out)
    rows = [struct.pack(">BIH", 0, 0, 65535)]
    for number in range(1, 7):
        if number == 4:  # in object stream 5, at index 0
            rows.append(struct.pack(">BIH", 2, 5, 0))
        else:
            rows.append(struct.pack(">BIH", 1, xref_at if number == 6 else offsets[number], 0))
    xref = zlib.compress(b"".join(rows))
    out.extend(
        b"6 0 obj\n<< /Type /XRef /Size 7 /W [1 4 2] /Root 1 0 R /Filter /FlateDecode"
        b" /Length %d >>\nstream\n" % len(xref) + xref + b"\nendstream\nendobj\n"
    )
    out.extend(b"startxref\n%d\n%%%%EOF\n" % xref_at)
    return bytes(out)
