"""Shared fixtures.

Real data lives outside the repository (licences): ``../shared/data`` beside the
checkout, or wherever ``$JEWELRENDER_DATA`` points (when set, only there: a wrong
path is reported, not silently replaced). Every test that needs it goes through
:func:`data_dir`, which skips with the reason when it is absent -- except under
``CI=true``, where a missing data folder fails those tests: a CI run that skipped
the real-photo tests would be green without testing the product.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def find_data_dir() -> Path | None:
    """Locate the shared real-data folder, or None."""
    env = os.environ.get("JEWELRENDER_DATA")
    candidates = [Path(env)] if env else [REPO.parent / "shared" / "data", REPO / "shared" / "data"]
    for c in candidates:
        if (c / "MANIFEST.md").is_file():
            return c
    return None


@pytest.fixture(scope="session")
def data_dir() -> Path:
    d = find_data_dir()
    if d is None:
        where = os.environ.get("JEWELRENDER_DATA") or str(REPO.parent / "shared" / "data")
        reason = f"real data not found at {where} (no MANIFEST.md): set $JEWELRENDER_DATA or put shared/data beside the checkout"
        if in_ci():
            pytest.fail(f"CI={os.environ['CI']} and {reason}; data tests must run in CI, not skip", pytrace=False)
        pytest.skip(reason)
    return d


def in_ci() -> bool:
    """``$CI`` set to a true value (``true``, ``1``, ``yes``), as CI services and ``.ci/run`` do."""
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def hand_photos(data_dir) -> list[Path]:
    return sorted((data_dir / "photos" / "hands").glob("*.*"))


@pytest.fixture(scope="session")
def detector():
    """One MediaPipe hand detector for the whole test session (starting a graph costs ~0.5 s)."""
    from jewelrender.landmarks import HandDetector

    with HandDetector() as det:
        yield det
