"""Choosing the lookalike threshold: precision and recall on the labelled set
(tests/data/lookalike_labelled.json) across thresholds, so the choice of
``LOOKALIKE_THRESHOLD`` can be reproduced.

    .venv/bin/python bench/lookalike_calibrate.py

Each prompt is scored the way ``find_lookalikes`` scores it (the same model, windows,
cosine similarity and ``rank``: within ``LOOKALIKE_MARGIN`` of the closest description,
the closest ``LOOKALIKE_MAX_MATCHES`` characters at most) against the set's 20
character descriptions. The threshold is chosen on the calibration half (the
even positions of each list): the one with the highest recall whose precision is at
least 0.90; the held-out half (the odd positions) then says how well that choice
carries over. No database needed.
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402
from django.conf import settings  # noqa: E402

from licensing.policy import lookalike  # noqa: E402
from tests.licensing.lookalike_labelled import load, score  # noqa: E402

MIN_PRECISION = 0.90
THRESHOLDS = np.round(np.arange(0.35, 0.701, 0.025), 3)


def main() -> None:
    characters, examples = load()
    keys = [c.key for c in characters]
    descriptions = lookalike.embed([lookalike.embedding_text(c.description) for c in characters])
    # One (descriptions, pieces) matrix of cosine similarities per prompt.
    scores = [descriptions @ lookalike.embed(lookalike.prompt_pieces(e.prompt)).T for e in examples]
    limit, margin = settings.LOOKALIKE_MAX_MATCHES, settings.LOOKALIKE_MARGIN

    def found(threshold: float) -> list[list[str]]:
        return [
            [
                keys[row]
                for row, _ in lookalike.rank(s, threshold=threshold, margin=margin, limit=limit)
            ]
            for s in scores
        ]

    halves = {
        "calibration": [i for i, e in enumerate(examples) if not e.held_out],
        "held out": [i for i, e in enumerate(examples) if e.held_out],
        "all": list(range(len(examples))),
    }
    positives = sum(e.character is not None for e in examples)
    print(
        f"{len(characters)} characters; {len(examples)} prompts: {positives} describe one, "
        f"{len(examples) - positives} do not (near misses and innocent prompts)"
    )
    print(f"{'threshold':>9} | " + " | ".join(f"{h:^22}" for h in halves))
    print(f"{'':>9} | " + " | ".join(f"{'precision  recall':^22}" for _ in halves))
    chosen = None
    table = {}
    for threshold in THRESHOLDS:
        matches = found(threshold)
        row = {}
        for half, indexes in halves.items():
            row[half] = score([examples[i] for i in indexes], [matches[i] for i in indexes])
        table[threshold] = row
        cells = " | ".join(f"{s.precision:>9.3f}  {s.recall:>6.3f}".ljust(22) for s in row.values())
        print(f"{threshold:>9.3f} | {cells}")
        calibration = row["calibration"]
        if calibration.precision >= MIN_PRECISION and (
            chosen is None or calibration.recall > table[chosen]["calibration"].recall
        ):
            chosen = threshold
    configured = settings.LOOKALIKE_THRESHOLD
    print()
    if chosen is None:
        print(f"No threshold reaches precision {MIN_PRECISION} on the calibration half.")
    else:
        held = table[chosen]["held out"]
        print(
            f"Chosen on the calibration half (highest recall at precision >= {MIN_PRECISION}): "
            f"{chosen:.3f}; on the held-out half it gives precision {held.precision:.3f}, "
            f"recall {held.recall:.3f}."
        )
    whole = score(examples, found(configured))
    print(
        f"Configured LOOKALIKE_THRESHOLD {configured}: precision {whole.precision:.3f}, "
        f"recall {whole.recall:.3f} on all {len(examples)} prompts "
        f"({whole.true} found, {whole.false} wrong, {whole.missed} missed)."
    )
    print("\nErrors at the configured threshold:")
    matches = found(configured)
    for example, matrix, keys_found in zip(examples, scores, matches, strict=True):
        row = matrix.max(axis=1)
        wrong = [k for k in keys_found if k != example.character]
        if example.character is not None and example.character not in keys_found:
            own = row[keys.index(example.character)]
            print(f"  missed  {own:.3f} {example.character:<15} {example.prompt}")
        for key in wrong:
            print(f"  wrong   {row[keys.index(key)]:.3f} {key:<15} {example.prompt}")


if __name__ == "__main__":
    main()
