"""What the installed video backends can do, for templates."""

from django import template

from marketplace.generation import available_backends, backend_info

register = template.Library()


@register.simple_tag
def remix_possible() -> bool:
    """Whether a renderer that can run here builds remixes: without one, no Remix action
    is offered (the studio would only refuse it)."""
    return any(backend_info(name).capabilities.remix for name in available_backends())
