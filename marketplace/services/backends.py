"""Which renderers a request may use, refused with the reason when it cannot."""

from core.errors import DomainError
from marketplace.generation import available_backends, backend_info


def backend_supports(*, backend: str, duration_s: int | None = None, remix: bool = False) -> None:
    """Refuse, naming the reason, a renderer that is not installed or cannot run here,
    a duration it does not make, or a remix it cannot build on its parent."""
    if backend not in available_backends():
        raise DomainError(
            f"The {backend!r} renderer is not available here; use one of "
            f"{', '.join(available_backends())}.",
            field="backend",
        )
    info = backend_info(backend)
    if duration_s is not None and duration_s not in info.capabilities.durations:
        raise DomainError(
            f"The {info.label} renderer makes videos of {info.durations_text()}.",
            field="duration_s",
        )
    if remix and not info.capabilities.remix:
        raise DomainError(
            f"The {info.label} renderer cannot make remixes; choose another renderer.",
            field="backend",
        )
