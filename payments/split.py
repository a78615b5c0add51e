"""The split engine: who receives what share of one unit of a work's revenue.

Pure: it takes the lineage as plain values and returns weights; ``split_money`` applies
them to an amount with ``allocate``. The studio's remix preview, the work page's split,
the API and the ledger postings all call ``split_weights``, so what a creator is shown
is exactly what is paid.

Rules, for revenue R of a work W whose parent chain is W1 (parent), W2, ...:

- Each character's rightsholder takes its licence's ``rev_share_bps`` of R.
  - ``absolute`` (PIL's LAP): the same share at any depth, so an ancestor's share
    applies to every descendant's revenue.
  - ``relative`` (PIL's LRP), a share of a share: a character that entered the lineage
    ``k`` levels up takes ``bps * (bps / 10,000)^k``.
- Each upstream creator (the creator of W1, W2, ...) takes ``UPSTREAM_CREATOR_BPS``
  under the parent's model: the same share at every level if absolute, or that share
  compounded per level if relative.
- Rightsholders and upstream creators together are capped at the lowest
  ``max_stack_bps`` among the licences; above it, their shares are scaled down
  proportionally (the generation check refuses such remixes up front, so this only
  guards against terms published later).
- The platform takes ``PLATFORM_FEE_BPS``; the creator of W keeps the rest.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.money import Money, allocate

BPS = 10_000
SCALE = 10_000  # weights carry four more digits than basis points


@dataclass(frozen=True)
class Party:
    kind: str  # user | organization | platform
    id: str
    name: str


PLATFORM = Party("platform", "platform", "Cocreate")


@dataclass(frozen=True)
class LicenseShare:
    """One character's licence in the lineage."""

    rightsholder: Party
    character: str
    bps: int
    model: str  # absolute | relative
    level: int  # 0: the work's own character; k: entered k levels up
    max_stack_bps: int = BPS


@dataclass(frozen=True)
class Ancestor:
    creator: Party
    level: int  # 1 for the parent
    model: str  # the parent's upstream model


@dataclass(frozen=True)
class SplitLine:
    party: Party
    role: str  # rightsholder | upstream_creator | platform | creator
    weight: int  # parts of BPS * SCALE
    detail: str = ""

    @property
    def bps(self) -> float:
        return self.weight / SCALE

    @property
    def percent(self) -> float:
        return self.weight / (BPS * SCALE // 100)


def _compound(bps: int, level: int) -> int:
    """bps * (bps / 10,000)^level, in SCALE units, rounded down."""
    weight = bps * SCALE
    for _ in range(level):
        weight = weight * bps // BPS
    return weight


def split_weights(
    *,
    creator: Party,
    licenses: list[LicenseShare],
    ancestors: list[Ancestor],
    platform_fee_bps: int,
    upstream_creator_bps: int,
) -> list[SplitLine]:
    """The weights (summing to BPS * SCALE) of everyone owed a share of the work's
    revenue, in a stable order: rightsholders, upstream creators, platform, creator."""
    claims: list[SplitLine] = []
    for share in licenses:
        level = share.level if share.model == "relative" else 0
        claims.append(
            SplitLine(
                share.rightsholder, "rightsholder", _compound(share.bps, level), share.character
            )
        )
    for ancestor in ancestors:
        level = ancestor.level - 1 if ancestor.model == "relative" else 0
        weight = _compound(upstream_creator_bps, level)
        claims.append(
            SplitLine(ancestor.creator, "upstream_creator", weight, f"remix level {ancestor.level}")
        )
    cap = min((s.max_stack_bps for s in licenses), default=BPS) * SCALE
    cap = min(cap, (BPS - platform_fee_bps) * SCALE)
    claimed = sum(c.weight for c in claims)
    if claimed > cap:
        scaled = allocate(Money(cap, "XXX"), [c.weight for c in claims]) if claims else []
        claims = [
            SplitLine(c.party, c.role, part.amount, c.detail)
            for c, part in zip(claims, scaled, strict=True)
        ]
        claimed = cap
    platform = SplitLine(PLATFORM, "platform", platform_fee_bps * SCALE, "platform fee")
    remainder = BPS * SCALE - claimed - platform.weight
    return [*claims, platform, SplitLine(creator, "creator", remainder, "remainder")]


def fee_weights(*, rightsholder: Party, character: str, platform_fee_bps: int) -> list[SplitLine]:
    """A licence or per-generation fee: the platform's fee, the rest to the rightsholder."""
    return [
        SplitLine(rightsholder, "rightsholder", (BPS - platform_fee_bps) * SCALE, character),
        SplitLine(PLATFORM, "platform", platform_fee_bps * SCALE, "platform fee"),
    ]


def split_money(total: Money, lines: list[SplitLine]) -> list[tuple[SplitLine, Money]]:
    """Apply the weights to an amount: the parts sum exactly to ``total``."""
    parts = allocate(total, [line.weight for line in lines])
    return list(zip(lines, parts, strict=True))
