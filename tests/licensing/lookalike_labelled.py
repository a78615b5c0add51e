"""The labelled set of lookalike screening (tests/data/lookalike_labelled.json) and how
it is scored: shared by its test (test_lookalike_labelled.py) and the calibration
script (bench/lookalike_calibrate.py).

Scoring counts (prompt, character) matches. A positive prompt whose own character is
among its matches is a true positive (else a miss); every other character matched, for
any prompt, is a false positive. Precision is true / (true + false) matches; recall is
the share of positive prompts whose character was matched."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data" / "lookalike_labelled.json"


@dataclass(frozen=True)
class Example:
    prompt: str
    character: str | None  # the key of the character it describes; None if innocent
    held_out: bool  # odd positions of each list: not used to choose the threshold
    english: bool = True


@dataclass(frozen=True)
class Character:
    key: str
    name: str
    description: str


@dataclass(frozen=True)
class Score:
    true: int
    false: int
    missed: int

    @property
    def precision(self) -> float:
        matched = self.true + self.false
        return self.true / matched if matched else 1.0

    @property
    def recall(self) -> float:
        positives = self.true + self.missed
        return self.true / positives if positives else 1.0


def load() -> tuple[list[Character], list[Example]]:
    data = json.loads(DATA.read_text(encoding="utf-8"))
    characters, examples = [], []
    for entry in data["characters"]:
        characters.append(Character(entry["key"], entry["name"], entry["description"]))
        for position, prompt in enumerate(entry["positives"]):
            examples.append(Example(prompt, entry["key"], position % 2 == 1))
        for position, prompt in enumerate(entry["near_misses"]):
            examples.append(Example(prompt, None, position % 2 == 1))
    for position, prompt in enumerate(data["innocent"]):
        examples.append(Example(prompt, None, position % 2 == 1))
    for position, prompt in enumerate(data["innocent_other_languages"]):
        examples.append(Example(prompt, None, position % 2 == 1, english=False))
    return characters, examples


def score(examples: Iterable[Example], found: Iterable[Iterable[str]]) -> Score:
    """``found`` holds, for each example in order, the keys of the characters matched."""
    true = false = missed = 0
    for example, keys in zip(examples, found, strict=True):
        matched = set(keys)
        if example.character is not None:
            if example.character in matched:
                true += 1
                matched.discard(example.character)
            else:
                missed += 1
        false += len(matched)
    return Score(true, false, missed)
