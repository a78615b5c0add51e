"""The request parser: DRF's JSON parser with a limit on nesting.

Its own module, free of rest_framework.views, because DRF imports the parser classes
while it defines APIView."""

import io
import re

from rest_framework import exceptions
from rest_framework.parsers import JSONParser

# Python's json module recurses once per level: a body of 100,000 "[" is a RecursionError
# (a 500) and a deep one is slow. No request body of ours is deeper than a few levels, so
# depth is counted on the raw text first, without recursion.

MAX_JSON_DEPTH = 64
_JSON_STRUCTURE = re.compile(r'[\[\]{}"\\]')


def json_depth_exceeds(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether the arrays and objects in ``text`` nest deeper than ``limit`` (brackets
    inside strings do not count)."""
    depth = 0
    in_string = False
    escaped_at = -1
    for match in _JSON_STRUCTURE.finditer(text):
        char, at = match.group(), match.start()
        if in_string:
            if at == escaped_at:
                continue
            if char == "\\":
                escaped_at = at + 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


class JSONDepthLimitParser(JSONParser):
    """DRF's JSON parser, refusing a body nested deeper than MAX_JSON_DEPTH with a 400
    (``parse_error``) before parsing it."""

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read() if stream is not None else b""
        try:
            text = raw.decode((parser_context or {}).get("encoding") or "utf-8")
        except (UnicodeDecodeError, LookupError) as exc:
            raise exceptions.ParseError(f"JSON parse error - {exc}") from None
        if json_depth_exceeds(text):
            raise exceptions.ParseError(
                f"JSON nested deeper than {MAX_JSON_DEPTH} levels is not accepted."
            )
        return super().parse(io.BytesIO(raw), media_type, parser_context)
