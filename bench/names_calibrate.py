"""Name screening on the labelled set (tests/data/names_labelled.json): precision,
recall and every error, for the README's figures.

    .venv/bin/python bench/names_calibrate.py
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django  # noqa: E402

django.setup()

from tests.licensing.test_names_labelled import labelled_set, scores  # noqa: E402


def main() -> int:
    registry, prompts = labelled_set()
    positives = sum(1 for _, ids in prompts if ids)
    result = scores(registry, prompts)
    print(
        f"names labelled set: {len(prompts)} prompts ({positives} naming a character, "
        f"{len(prompts) - positives} innocent); registry of {len(registry)} forms"
    )
    print(
        f"precision {result['precision']:.3f}, recall {result['recall']:.3f} "
        f"({result['found']} found, {result['wrong']} wrong, {result['missed']} missed)"
    )
    for prompt, expected, got in result["errors"]:
        print(f"  {prompt!r}: expected {expected}, got {got}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
