"""Where the shipped data folders (``scenes/``, ``materials/``) are found.

They live at the top of the repository and are mapped into the wheel as
``jewelrender/_resources/<name>`` (see ``pyproject.toml``); an editable install
or a plain checkout reads them from the repository root. Callers never build
these paths themselves.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

__all__ = ["resource_dir", "resource_path"]

_PKG = Path(__file__).resolve().parent


@lru_cache(maxsize=None)
def resource_dir(name: str) -> Path:
    """Folder of a shipped resource set: ``"scenes"`` or ``"materials"``."""
    if name not in ("scenes", "materials"):
        raise ValueError(f"unknown resource folder {name!r}; valid: 'scenes', 'materials'")
    for base in (_PKG / "_resources", _PKG.parent):
        d = base / name
        if d.is_dir():
            return d
    raise FileNotFoundError(f"jewelrender resource folder {name!r} is missing from the installation")


def resource_path(name: str, *parts: str) -> Path:
    """Path of a file inside a resource folder (not checked for existence)."""
    return resource_dir(name).joinpath(*parts)
