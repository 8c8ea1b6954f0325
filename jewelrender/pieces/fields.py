"""Checks shared by the piece families' catalog schemas."""

from __future__ import annotations

from ..errors import CatalogError

__all__ = ["number"]


def number(where: str, table: dict, key: str, lo: float, hi: float, default=None, *, what: str = "") -> float:
    """``table[key]`` (or ``default``) as a float in ``[lo, hi]``; else a :class:`CatalogError` naming
    ``what`` + ``key`` (e.g. ``what="band "``)."""
    v = table.get(key, default)
    if not isinstance(v, (int, float)) or isinstance(v, bool) or not lo <= v <= hi:
        raise CatalogError(f"{where}: {what}{key} must be a number in [{lo}, {hi}], got {v!r}")
    return float(v)
