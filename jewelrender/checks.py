"""Validation helpers shared by every boundary: one rule for what a number is.

``True`` is an ``int`` to Python but never a size, a count or a position to us, so
:func:`is_number` refuses bools everywhere (before this module the geometry helpers
disagreed on that).
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from .errors import InvalidOptionError

__all__ = ["is_number", "number_option", "int_option", "bool_option", "choice_option"]


def is_number(value: Any) -> bool:
    """A real number (int, float or numpy scalar), not a bool; NaN and inf count (check finiteness apart)."""
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def number_option(name: str, value: Any, low: float | None = None, high: float | None = None, *,
                  low_open: bool = True, high_open: bool = False) -> float:
    """A finite number inside (low, high] (bounds optional, openness per side) as a float.

    Strings of digits are refused: options come from Python callers and TOML files,
    where a number is typed as one.
    """
    if not is_number(value):
        raise InvalidOptionError(f"{name} must be a number, got {value!r}",
                                 details={"option": name, "value": repr(value)})
    x = float(value)
    bad = not math.isfinite(x)
    if low is not None:
        bad |= x <= low if low_open else x < low
    if high is not None:
        bad |= x >= high if high_open else x > high
    if bad:
        lo = "-inf" if low is None else f"{low:g}"
        hi = "inf" if high is None else f"{high:g}"
        br = ("(" if low_open else "[") + f"{lo}, {hi}" + (")" if high_open or high is None else "]")
        raise InvalidOptionError(f"{name} must be in {br}, got {value!r}",
                                 details={"option": name, "value": x, "low": low, "high": high})
    return x


def int_option(name: str, value: Any, low: int, high: int) -> int:
    """An integer (not a bool) in low..high inclusive."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or not low <= int(value) <= high:
        raise InvalidOptionError(f"{name} must be an integer in {low}..{high}, got {value!r}",
                                 details={"option": name, "value": repr(value), "low": low, "high": high})
    return int(value)


def bool_option(name: str, value: Any) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise InvalidOptionError(f"{name} must be true or false, got {value!r}",
                                 details={"option": name, "value": repr(value)})
    return bool(value)


def choice_option(name: str, value: Any, choices) -> str:
    """One of ``choices``; the message lists them."""
    if not isinstance(value, str) or value not in choices:
        raise InvalidOptionError(f"unknown {name} {value!r}; valid: {', '.join(choices)}",
                                 details={"option": name, "value": repr(value), "valid": list(choices)})
    return value
