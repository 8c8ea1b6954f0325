"""Shared fixtures.

Real data lives outside the repository (licences): ``../shared/data`` beside the
checkout, or wherever ``$JEWELRENDER_DATA`` points. Every test that needs it goes
through :func:`data_dir`, which skips with the reason when it is absent.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def find_data_dir() -> Path | None:
    """Locate the shared real-data folder, or None."""
    env = os.environ.get("JEWELRENDER_DATA")
    candidates = [Path(env)] if env else []
    candidates += [REPO.parent / "shared" / "data", REPO / "shared" / "data"]
    for c in candidates:
        if (c / "MANIFEST.md").is_file():
            return c
    return None


@pytest.fixture(scope="session")
def data_dir() -> Path:
    d = find_data_dir()
    if d is None:
        pytest.skip("real data not found: set $JEWELRENDER_DATA or put shared/data beside the checkout")
    return d


@pytest.fixture(scope="session")
def hand_photos(data_dir) -> list[Path]:
    return sorted((data_dir / "photos" / "hands").glob("*.*"))


@pytest.fixture(scope="session")
def detector():
    """One MediaPipe hand detector for the whole test session (starting a graph costs ~0.5 s)."""
    from jewelrender.landmarks import HandDetector

    with HandDetector() as det:
        yield det
