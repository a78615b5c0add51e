"""Render time of the local video backend, on one core.

Renders 5 s clips with one and with two characters and a 10 s clip with two, three runs
each, through ``LocalBackend.render`` (scene set-up, compositing, encoding, poster).
Baseline, measured in the same run: the same number of frames, composed beforehand and
held in memory, put through the same encoder (``encode_mp4``, same x264 settings), so the
difference between the two reads as the cost of composition. Reference images are drawn
with Pillow into a temporary directory. No Django and no database needed.

    .venv/bin/python bench/render.py

The goal is render time / clip duration <= 1.0 on one core.
"""

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from marketplace.generation.base import FPS, CharacterRef, RenderSpec  # noqa: E402
from marketplace.generation.local import (  # noqa: E402
    X264_OPTIONS,
    LocalBackend,
    _Scene,
    encode_mp4,
)

RUNS = 3
GOAL_RATIO = 1.0
PROMPT = "Mika and Ren share an umbrella on a rainy Tokyo street at night, neon reflections"
CASES = (("5 s, 1 character", 5, 1), ("5 s, 2 characters", 5, 2), ("10 s, 2 characters", 10, 2))


def pin_to_one_core() -> str:
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned (os.sched_setaffinity is unavailable here); figures may use more cores"
    core = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})
    return f"pinned to one core (cpu {core}) with os.sched_setaffinity"


def draw_references(folder: Path) -> tuple[CharacterRef, ...]:
    """Two character sheets: a round figure on transparency and an opaque square card."""
    mika = Image.new("RGBA", (512, 640), (0, 0, 0, 0))
    draw = ImageDraw.Draw(mika)
    draw.ellipse((96, 40, 416, 360), fill=(255, 214, 170, 255))
    draw.rounded_rectangle((60, 330, 452, 630), radius=80, fill=(220, 40, 120, 255))
    draw.ellipse((180, 160, 220, 200), fill=(20, 20, 20, 255))
    draw.ellipse((292, 160, 332, 200), fill=(20, 20, 20, 255))
    ren = Image.new("RGB", (600, 600), (40, 120, 220))
    draw = ImageDraw.Draw(ren)
    for stripe in range(0, 600, 40):
        draw.rectangle((stripe, 0, stripe + 18, 600), fill=(250, 200, 40))
    draw.ellipse((150, 150, 450, 450), fill=(255, 255, 255))
    mika.save(folder / "mika.png")
    ren.save(folder / "ren.png")
    return (
        CharacterRef("c-mika", "Mika", (folder / "mika.png",)),
        CharacterRef("c-ren", "Ren", (folder / "ren.png",)),
    )


def timed(runs: int, work) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return times


def row(label: str, times: list[float], seconds: int) -> str:
    median = statistics.median(times)
    frames = seconds * FPS
    return (
        f"  {label:<22} {median:6.3f} s/clip (min {min(times):.3f})  "
        f"{frames / median:6.1f} frames/s  ratio {median / seconds:.3f}"
    )


def main() -> int:
    affinity = pin_to_one_core()
    print(f"render: LocalBackend, {RUNS} runs per case, median shown; {affinity}")
    print(f"  encoder: libx264 {X264_OPTIONS}, keyframe every {2 * FPS} frames, +faststart")
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        characters = draw_references(folder)
        backend = LocalBackend()
        baseline_path = folder / "baseline.mp4"
        for label, seconds, count in CASES:
            spec = RenderSpec(
                request_id="bench",
                prompt=PROMPT,
                seed=20240601,
                duration_s=seconds,
                characters=characters[:count],
                output_dir=folder / "out",
                credits=("Mika © Studio Aoi", "Ren © R. Creator, licensed via Cocreate"),
            )
            render_times = timed(RUNS, lambda spec=spec: backend.render(spec, lambda _: None))

            total = seconds * FPS
            scene = _Scene.build(spec)
            frames = [scene.frame(index, total) for index in range(total)]
            baseline_times = timed(
                RUNS,
                lambda frames=frames, total=total: encode_mp4(
                    frame_at=frames.__getitem__,
                    total=total,
                    video_path=baseline_path,
                    progress=lambda _: None,
                ),
            )
            del frames

            render, baseline = statistics.median(render_times), statistics.median(baseline_times)
            worst = max(worst, render / seconds)
            print(f"{label} ({total} frames)")
            print(row("render", render_times, seconds))
            print(row("baseline encode only", baseline_times, seconds))
            print(
                f"  composition + set-up   {render - baseline:6.3f} s/clip "
                f"({(render - baseline) / render:.0%} of the render)"
            )
    verdict = "meets" if worst <= GOAL_RATIO else "MISSES"
    print(f"worst ratio render/clip {worst:.3f}: {verdict} the goal of <= {GOAL_RATIO:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
