"""The revenue split on other apps' pages (the work page, the studio's remix preview).

Payments sits above marketplace, so a marketplace view cannot ask it for a split; the
page's template asks instead, through these tags, and payments computes and draws it.
Templates are the composition layer (they live at the project's top, not in an app)."""

from django import template

from payments import selectors
from payments.split import SplitLine

register = template.Library()


def split_rows(lines: list[SplitLine]) -> list[dict]:
    """The split for display: exact percentages (6.5%, not a rounded 6%), so that the
    shown shares add up to 100%; and for the bar, each share's start and width out of
    the whole, so that the segments meet edge to edge and fill it (no gaps)."""
    total = sum(line.weight for line in lines) or 1
    rows, start = [], 0
    for line in lines:
        rows.append(
            {
                "party": line.party.name,
                "role": line.role,
                "bps": line.weight,
                "detail": line.detail,
                "percent": f"{round(line.percent, 4):g}",
                # In tenths of a thousandth of the bar's width (the SVG's viewBox).
                "x": start * BAR_WIDTH // total,
                "width": (start + line.weight) * BAR_WIDTH // total - start * BAR_WIDTH // total,
            }
        )
        start += line.weight
    return rows


BAR_WIDTH = 10_000


@register.inclusion_tag("payments/_split.html")
def work_split(work) -> dict:
    """Who receives what share of the work's revenue."""
    return {"split": split_rows(selectors.work_split_lines(work=work))}


@register.inclusion_tag("payments/_split.html", takes_context=True)
def remix_split(context, parent, character_ids) -> dict:
    """The split a remix of ``parent`` with these characters would have, for the
    signed-in creator."""
    lines = selectors.remix_split_preview(
        parent=parent,
        character_ids=[str(c) for c in character_ids or []],
        creator=context["request"].user,
    )
    return {"split": split_rows(lines)}
