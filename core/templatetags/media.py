"""``{% media_url work.video %}``: a stored file's signed URL for the page's viewer
(core/media.py). Templates never print a file's ``.url``: the plain media path serves
nothing."""

from django import template
from django.db.models.fields.files import FieldFile

from core.media import media_url as signed_media_url

register = template.Library()


@register.simple_tag(takes_context=True)
def media_url(context: template.Context, file: FieldFile | None) -> str:
    request = context.get("request")
    return signed_media_url(file=file, viewer=getattr(request, "user", None))
