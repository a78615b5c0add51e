"""Who may see an organization's verification documents (under
``org-documents/<organization id>/``), for core/media.py's signed URLs and media view:
the person who uploaded one, and staff, who verify organizations from them. Nobody
else, the organization's other members included: they are evidence for staff, not a
shared folder. They are offered as downloads, never shown in a page."""

from __future__ import annotations

import uuid

from accounts.models import OrganizationDocument
from core.media import MediaKind, Viewer, staff_viewer

FOLDER = "org-documents"


def document_public(document: OrganizationDocument) -> bool:
    return False


def document_visible_to(*, name: str, user: Viewer) -> bool:
    """Whether ``name`` is a stored document that ``user`` uploaded, or ``user`` is staff."""
    if not user.is_authenticated:
        return False
    parts = name.split("/")
    if len(parts) < 3:
        return False
    try:
        organization_id = uuid.UUID(parts[1])
    except ValueError:
        return False
    document = OrganizationDocument.objects.filter(
        organization_id=organization_id, file=name
    ).first()
    if document is None:
        return False
    return staff_viewer(user) or document.uploaded_by_id == user.pk


KIND = MediaKind(
    folder=FOLDER,
    model=OrganizationDocument,
    is_public=document_public,
    visible_to=document_visible_to,
    attachment=True,
)
