from django.http import HttpRequest

from payments.sandbox.mode import sandbox_active


def test_mode(request: HttpRequest) -> dict:
    """Whether payments run in test mode, for the banner every page shows then."""
    return {"payments_test_mode": sandbox_active()}
