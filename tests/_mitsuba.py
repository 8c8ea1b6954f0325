"""Mitsuba variant switching for tests that need a particular variant."""

from __future__ import annotations

import pytest


def use_variant(variant: str) -> None:
    """Activate ``variant`` with jewelrender's plugins registered, or skip the test with the reason."""
    import mitsuba as mi

    from jewelrender.bsdfs import register

    try:
        mi.set_variant(variant)
    except (ImportError, AttributeError, RuntimeError) as exc:  # e.g. no libLLVM
        pytest.skip(f"Mitsuba variant {variant} unavailable: {exc}")
    register()
