"""Shared helpers for the benchmark scripts: the data folder, timing, machine metadata."""

from __future__ import annotations

import json
import os
import platform
import resource
import shutil
import statistics
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def data_dir() -> Path:
    """``$JEWELRENDER_DATA`` or ``../shared/data`` beside the checkout; exits with the reason when absent."""
    env = os.environ.get("JEWELRENDER_DATA")
    for c in ([Path(env)] if env else []) + [REPO.parent / "shared" / "data", REPO / "shared" / "data"]:
        if (c / "MANIFEST.md").is_file():
            return c
    sys.exit("benchmark skipped: real data not found (set $JEWELRENDER_DATA or put shared/data beside the checkout)")


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def summary(values: list[float]) -> dict:
    v = sorted(values)
    q = statistics.quantiles(v, n=4) if len(v) >= 2 else [v[0], v[0], v[0]]
    return {"median": statistics.median(v), "iqr": q[2] - q[0], "min": v[0], "max": v[-1], "n": len(v)}


def machine() -> dict:
    info = {"python": platform.python_version(), "machine": platform.machine(), "cpus": os.cpu_count(),
            "processor": platform.processor()}
    try:
        from jewelrender import backend

        info.update(backend.capabilities())
    except Exception as exc:  # the benchmark still reports what it can
        info["backend_error"] = str(exc)
    return info


def provenance() -> dict:
    """When and on what code a benchmark ran: UTC date, ``git describe``-style commit (``+dirty`` when the
    worktree has changes; None without git), and the 1-minute load average at the start (others' load
    inflates wall times)."""
    import datetime
    import subprocess

    def git(*a: str) -> str | None:
        try:
            return subprocess.run(["git", *a], cwd=REPO, capture_output=True, text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return None

    commit = git("rev-parse", "--short", "HEAD")
    if commit and git("status", "--porcelain", "--untracked-files=no"):
        commit += "+dirty"
    return {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d"), "commit": commit,
            "load_average_1min": os.getloadavg()[0]}


@contextmanager
def kernel_cache_aside():
    """Dr.Jit's on-disk kernel cache (``~/.drjit``) moved aside for the block and put back after it (what
    the block compiled is thrown away): processes started inside see a new machine's empty cache. On a
    shared machine give the benchmark its own ``HOME``, as other users' processes would see it too."""
    cache = Path.home() / ".drjit"
    with tempfile.TemporaryDirectory() as tmp:
        moved = None
        if cache.exists():
            moved = Path(tmp) / "drjit-cache"
            shutil.move(str(cache), moved)
        try:
            yield
        finally:
            if moved is not None:
                shutil.rmtree(cache, ignore_errors=True)
                shutil.move(str(moved), cache)


def dump(path: str | None, payload: dict) -> None:
    if path:
        Path(path).write_text(json.dumps(payload, indent=2, default=float) + "\n")
