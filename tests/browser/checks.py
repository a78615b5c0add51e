"""What a person would notice on any page, checked in the browser: the page scrolls
sideways, visible text shows ids, internal term names or ledger-style amounts, and
axe-core (npm, package.json) finds serious or critical accessibility violations.
Each check returns the problems it found as sentences (empty when the page is fine)."""

import re
from pathlib import Path

# `make install-dev` runs `npm ci`, which puts it here.
AXE = Path(__file__).parents[2] / "node_modules" / "axe-core" / "axe.min.js"
# The page's Content-Security-Policy allows scripts from its own origin only, so axe is
# served on one (by Playwright, never by the app) rather than inlined.
AXE_PATH = "/__test-axe-core__/axe.min.js"
AXE_IMPACTS = ("serious", "critical")

JARGON = {
    "an id": re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I),
    "a Stripe reference": re.compile(r"stripe:", re.I),
    "an internal reference": re.compile(r"internal:", re.I),
    "basis points": re.compile(r"_bps|\bbps\b", re.I),
    "cents": re.compile(r"\bcents\b", re.I),
    "a term name": re.compile(r"\bgrant:", re.I),
}
# "270 USD", "-2855 JPY": an amount as the ledger stores it, not as money is written.
RAW_AMOUNT = re.compile(r"-?\d[\d,.]*\s*(?:USD|JPY|EUR|GBP)\b")

# An element as a selector-like name: "table.claims".
_NAME = """const name = (el) => el.tagName.toLowerCase()
  + (typeof el.className === 'string' && el.className.trim()
    ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
const shown = (el) => el.getBoundingClientRect().height > 0;
"""

_OVERFLOWING = (
    """() => {"""
    + _NAME
    + """
  const width = window.innerWidth;
  const wide = [...document.querySelectorAll('body *')].filter((el) => {
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.right > width + 1;
  });
  // The outermost ones: an element inside another wide one says nothing new.
  return wide
    .filter((el) => !wide.some((other) => other !== el && other.contains(el)))
    .slice(0, 4)
    .map((el) => `${name(el)} (${Math.round(el.getBoundingClientRect().right)} px)`);
}"""
)

_UNEVEN_GRIDS = (
    """() => {"""
    + _NAME
    + """
  const found = [];
  for (const grid of document.querySelectorAll('body *')) {
    if (!['grid', 'inline-grid'].includes(getComputedStyle(grid).display)) continue;
    const items = [...grid.children].filter(shown);
    if (!items.some((el) => el.classList.contains('card'))) continue;
    const margins = items.map((el) => parseFloat(getComputedStyle(el).marginTop));
    if (new Set(margins).size > 1) {
      found.push(`${name(grid)}: its items' top margins differ (${margins.join(', ')} px)`);
    }
  }
  return found;
}"""
)

_TOUCHING_CARDS = (
    """() => {"""
    + _NAME
    + """
  const cards = [...document.querySelectorAll('.card')].filter(shown);
  const found = new Set();
  for (const upper of cards) {
    for (const lower of cards) {
      if (upper === lower || upper.contains(lower) || lower.contains(upper)) continue;
      const a = upper.getBoundingClientRect(), b = lower.getBoundingClientRect();
      const overlap = Math.min(a.right, b.right) - Math.max(a.left, b.left);
      const gap = b.top - a.bottom;
      if (overlap > 0 && gap > -1 && gap < 4) {
        found.add(`${name(upper)} and the ${name(lower)} below it touch (${Math.round(gap)} px)`);
      }
    }
  }
  return [...found];
}"""
)


def serve_axe(context) -> None:
    """Answer AXE_PATH in ``context`` with the installed axe-core."""
    if not AXE.exists():
        raise RuntimeError(f"{AXE} is missing: run `make install-dev` (npm ci)")
    context.route(
        f"**{AXE_PATH}",
        lambda route: route.fulfill(path=str(AXE), content_type="text/javascript"),
    )


def overflow(page) -> list[str]:
    """The page is wider than the window (it scrolls sideways), naming what sticks out."""
    scroll_width, inner_width = page.evaluate(
        "[document.scrollingElement.scrollWidth, window.innerWidth]"
    )
    if scroll_width <= inner_width:
        return []
    culprits = ", ".join(page.evaluate(_OVERFLOWING)) or "no single element"
    return [f"scrolls sideways: {scroll_width} px wide on {inner_width} ({culprits})"]


def uneven_grids(page) -> list[str]:
    """Card grids whose items do not line up: an item with a top margin the others lack
    sits lower than them (or, in one column, the gaps between them differ)."""
    return [f"grid not aligned: {problem}" for problem in page.evaluate(_UNEVEN_GRIDS)]


def touching_cards(page) -> list[str]:
    """Cards stacked one above the other with (almost) no space between them."""
    return page.evaluate(_TOUCHING_CARDS)


def charts_without_table(page) -> list[str]:
    """Every chart keeps its numbers as a table in its figure, for screen readers and
    for anyone who wants the figures."""
    missing = page.evaluate(
        "[...document.querySelectorAll('svg.chart')]"
        ".filter((svg) => !svg.closest('figure')?.querySelector('table'))"
        ".map((svg) => svg.getAttribute('aria-label') || 'a chart')"
    )
    return [f"chart without its table: {label!r}" for label in missing]


def visible_text(page) -> str:
    """What a person can read: the rendered text, without hidden elements."""
    return page.evaluate("document.body.innerText")


def jargon(text: str) -> list[str]:
    """Ids, internal term names and ledger units in ``text``, each with what it matched."""
    return [
        f"shows {what}: {match.group(0)!r} in {_around(text, match)!r}"
        for what, pattern in JARGON.items()
        for match in pattern.finditer(text)
    ]


def raw_amounts(text: str) -> list[str]:
    return [
        f"shows an unformatted amount: {match.group(0)!r} in {_around(text, match)!r}"
        for match in RAW_AMOUNT.finditer(text)
    ]


def axe_violations(page) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(url=AXE_PATH)
    results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"axe {violation['impact']} {violation['id']}: {violation['help']} "
        f"({len(violation['nodes'])}x, e.g. {_targets(violation)})"
        for violation in results["violations"]
        if violation["impact"] in AXE_IMPACTS
    ]


def _targets(violation) -> str:
    return "; ".join(" ".join(map(str, node["target"])) for node in violation["nodes"][:3])


def _around(text: str, match: re.Match, width: int = 30) -> str:
    start, end = max(0, match.start() - width), min(len(text), match.end() + width)
    return " ".join(text[start:end].split())
