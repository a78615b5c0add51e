"""What the seed tells the person waiting for it: each stage as it starts, and "n of N"
for the stages that take a while ("Rendering demo videos: 3 of 12"), since a first
run renders and signs videos for minutes."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")


def _silent(line: str) -> None:
    return None


class Progress:
    """Says each line through ``say`` (the command's stdout); silent without one."""

    def __init__(self, say: Callable[[str], None] | None = None) -> None:
        self.say = say or _silent

    def stage(self, what: str) -> None:
        self.say(f"{what}…")

    def each(self, what: str, items: Sequence[T]) -> Iterator[T]:
        """``items`` one by one, saying "what: n of N" before each is made."""
        total = len(items)
        for n, item in enumerate(items, start=1):
            self.say(f"{what}: {n} of {total}")
            yield item
