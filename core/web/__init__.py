import sys

from django.http import HttpRequest


def declared_length(request: HttpRequest) -> int:
    """The body length the request declares (Content-Length), read before the body is: a
    request that says it is too long is refused at no cost (the server reads no more
    than Content-Length). An unreadable header counts as unbounded."""
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return sys.maxsize
