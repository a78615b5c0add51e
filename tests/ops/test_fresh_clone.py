"""A fresh clone with nothing beside it collects every test and runs the Stripe fake's.

The repository's tracked files (as they are in the working tree, so uncommitted edits are
tested too) are copied to ``<tmp>/clone/cocreate``, whose parent holds nothing else (no
sibling folder of the team's notes). pytest then runs inside the copy, on this interpreter
and this environment (DATABASE_URL, REDIS_URL), under an audit hook that records every file or
directory opened beside the copy, in this checkout (other than the virtualenv) or under a
``shared/stripe`` directory. Nothing may be recorded, and the project's modules must be
imported from the copy, not from this checkout (the editable install points here).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP_MODULES = (
    "config",
    "core",
    "accounts",
    "licensing",
    "marketplace",
    "payments",
    "dashboard",
    "demo",
    "tests",
    "tests.fakes.stripe_fake",
)

# Run as ``python -c`` from inside the copy: sys.argv[1] is a JSON object (the copy, the
# report file, the roots to watch and the ones allowed within them), the rest is pytest's.
# The hook is installed before pytest (or anything of the project) is imported.
WRAPPER = r"""
import json, os, sys

config = json.loads(sys.argv[1])
copy = config["copy"]
forbidden = config["forbidden"]
allowed = [copy, *config["allowed"]]
opened_outside = {}  # each path once, in the order first seen


def within(path, root):
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def hook(event, args):
    if event not in ("open", "os.listdir", "os.scandir") or not args:
        return
    path = args[0]
    if path is None or isinstance(path, int):
        return
    path = os.path.abspath(os.fsdecode(path))
    for candidate in {path, os.path.realpath(path)}:
        if "/shared/stripe" in candidate or (
            any(within(candidate, root) for root in forbidden)
            and not any(within(candidate, root) for root in allowed)
        ):
            opened_outside.setdefault(f"{event} {path}")
            return


sys.addaudithook(hook)
sys.path.insert(0, copy)
# The test environment installs the project in development mode: a finder that maps each
# package to the original checkout. A user's clone has no such thing, so drop it; the
# packages then come from the copy alone (the report checks that they do).
sys.meta_path[:] = [
    f for f in sys.meta_path if not getattr(f, "__module__", "").startswith("__editable__")
]
import pytest

code = pytest.main(sys.argv[2:])
modules = {}
for name in [*config["modules"], "stripe"]:
    module = sys.modules.get(name)
    modules[name] = getattr(module, "__file__", None) if module else None
report = json.dumps({"opened_outside": list(opened_outside), "modules": modules})
with open(config["report"], "w") as f:
    f.write(report)
sys.exit(int(code))
"""


def _tracked() -> list[str]:
    """The paths a commit of this checkout would hold: tracked ones, and new files git
    does not ignore (so a developer's new module is in the copy before it is committed).
    The suite runs from a git checkout; anything else is a failure, not a skip."""
    listing = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout
    return [name for name in listing.decode().split("\0") if name]


def _copy_tracked_files(destination: Path) -> None:
    """The tracked files as they are in the working tree (deleted ones skipped)."""
    for name in _tracked():
        source = ROOT / name
        if not (source.is_file() or source.is_symlink()):
            continue
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target, follow_symlinks=False)


def _pytest_in(copy: Path, report: Path, *args: str) -> tuple[subprocess.CompletedProcess, dict]:
    venv = Path(sys.prefix).resolve()
    config = {
        "copy": str(copy),
        "report": str(report),
        # Beside the copy (where the team's sibling folder would be), and this checkout.
        "forbidden": [str(copy.parent), str(ROOT)],
        # The interpreter's own files, wherever they are (often ROOT/.venv).
        "allowed": sorted({str(venv), str(Path(sys.base_prefix).resolve())}),
        "modules": APP_MODULES,
    }
    env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_ADDOPTS", "PYTHONPATH")}
    env["PYTHONPATH"] = str(copy)
    result = subprocess.run(
        [sys.executable, "-c", WRAPPER, json.dumps(config), "-p", "no:cacheprovider", *args],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert report.exists(), f"the wrapper wrote no report:\n{_tail(result)}"
    found = json.loads(report.read_text())
    assert found["opened_outside"] == [], (
        "opened outside the copy:\n" + "\n".join(found["opened_outside"]) + "\n" + _tail(result)
    )
    for name in APP_MODULES:
        if found["modules"][name] is not None:
            assert Path(found["modules"][name]).is_relative_to(copy), (name, found["modules"])
    # tests/fakes/stripe/ (the fixtures) is data, not a package that shadows stripe-python.
    stripe_file = found["modules"]["stripe"]
    assert stripe_file is not None and not Path(stripe_file).is_relative_to(copy), stripe_file
    return result, found


def _tail(result: subprocess.CompletedProcess, lines: int = 60) -> str:
    """The end of a child's output, for an assertion message (its stderr last)."""
    return "\n".join((result.stdout + result.stderr).splitlines()[-lines:])


def _test_functions() -> int:
    """How many ``def test_`` the tracked test modules hold: collection finds at least
    as many tests (parametrizing only adds)."""
    pattern = re.compile(r"^\s*(?:async\s+)?def test_", re.MULTILINE)
    modules = [
        ROOT / name
        for name in _tracked()
        if name.startswith("tests/") and re.fullmatch(r"test_.*\.py", Path(name).name)
    ]
    return sum(len(pattern.findall(m.read_text())) for m in modules if m.is_file())


@pytest.mark.slow
def test_a_clone_with_nothing_beside_it_collects_everything_and_runs_the_stripe_fake(tmp_path):
    copy = tmp_path / "clone" / "cocreate"
    copy.mkdir(parents=True)
    _copy_tracked_files(copy)
    assert sorted(p.name for p in copy.parent.iterdir()) == ["cocreate"]

    collected, found = _pytest_in(copy, tmp_path / "collect.json", "--collect-only", "-q")
    assert collected.returncode == 0, _tail(collected)
    # "913 tests collected in 14s", or "800/913 tests collected (113 deselected) in 9s".
    summary = re.search(r"^(?:\d+/)?(\d+) tests? collected\b[^\n]*$", collected.stdout, re.M)
    assert summary, _tail(collected)
    assert "error" not in summary.group(0), _tail(collected)
    assert not re.search(r"^ERROR\b", collected.stdout + collected.stderr, re.M), _tail(collected)
    assert int(summary.group(1)) >= max(_test_functions(), 1), summary.group(0)
    assert found["modules"]["licensing"] is not None

    ran, found = _pytest_in(
        copy, tmp_path / "stripe.json", "-q", "tests/payments/test_stripe_fake.py"
    )
    assert ran.returncode == 0, _tail(ran)
    assert re.search(r"^\d+ passed\b", ran.stdout, re.M), _tail(ran)
    assert found["modules"]["tests.fakes.stripe_fake"] is not None
