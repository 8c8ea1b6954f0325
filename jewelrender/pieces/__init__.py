"""Pieces, assembled per family in their own module (``ring``, ``bangle``, ``earring``; pendant and watch later).

A family module has ``KINDS`` (the catalog kinds it assembles), a catalog schema
check and ``parts(piece, size_mm) -> list[MeshPart]`` in the piece frame, where
``size_mm`` is what the body site measured (a ring's inner diameter; a wrist
piece's :class:`jewelrender.sites.wrist.WristFit`, the whole cross-section; an earring's
:class:`jewelrender.sites.ear.EarFit`, one ear's gravity, lobe and neck).
A family other than ``ring`` also has ``parse(where, raw) -> dict`` for its catalog fields. Adding a
family is a module here and a row in :data:`FAMILIES`.
"""

from __future__ import annotations

from . import bangle, earring, ring

__all__ = ["FAMILIES", "PIECE_KINDS", "piece_parts", "piece_sizes_mm"]

#: Family name -> its module.
FAMILIES = {"ring": ring, "bangle": bangle, "earring": earring}
#: Catalog kind -> the family that assembles it.
PIECE_KINDS = {kind: name for name, module in FAMILIES.items() for kind in module.KINDS}


def piece_parts(piece, size_mm: float):
    """The piece's meshes (piece frame, mm) made to ``size_mm`` (see :meth:`Site.piece_size_mm`)."""
    return FAMILIES[PIECE_KINDS[piece.kind]].parts(piece, size_mm)


def piece_sizes_mm(piece, size_mm, parts) -> dict | None:
    """The piece's own sizes as made (mm) when its family reports them (earrings: ``sizes_mm``), else None."""
    family = FAMILIES.get(PIECE_KINDS.get(piece.kind))
    fn = getattr(family, "sizes_mm", None)
    return None if fn is None else fn(piece, size_mm, parts)

