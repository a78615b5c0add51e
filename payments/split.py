"""Revenue split preview: who would receive what share of a work's revenue.

This is the one function the payments issue replaces with the split engine over the
ledger; callers (the work's split API, the studio's remix preview) use only this."""

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class Share:
    """One rightsholder's claim on a work: from a licence, direct or inherited."""

    party: str
    character: str
    bps: int
    upstream_model: str  # absolute | relative
    depth: int  # 0 for the work's own characters, 1 for its parent's, ...


@dataclass(frozen=True)
class SplitLine:
    party: str
    role: str  # rightsholder | platform | creator
    bps: int
    detail: str = ""


def split_preview(*, shares: list[Share], creator: str) -> list[SplitLine]:
    """Basis points of each revenue unit, summing to 10,000.

    Absolute shares take their bps of every descendant's revenue; relative shares
    take their bps of what their level receives, halving per level of depth (a share
    of a share). The platform fee comes off the top; the creator keeps the rest."""
    platform = settings.PLATFORM_FEE_BPS
    lines: list[SplitLine] = []
    for share in shares:
        bps = share.bps if share.upstream_model == "absolute" else share.bps // (2**share.depth)
        lines.append(SplitLine(share.party, "rightsholder", bps, share.character))
    taken = sum(line.bps for line in lines) + platform
    lines.append(SplitLine("Cocreate", "platform", platform, "platform fee"))
    lines.append(SplitLine(creator, "creator", max(0, 10_000 - taken), "remainder"))
    return lines
