"""Pieces, assembled per family in their own module (rings, bangles, necklaces; earrings and watches later).

A family module has ``KINDS`` (the catalog kinds it assembles), a catalog schema
check and ``parts(piece, size_mm) -> list[MeshPart]`` in the piece frame, where
``size_mm`` is what the body site measured (a ring's inner diameter; a wrist
piece's :class:`jewelrender.sites.wrist.WristFit`, the whole cross-section).
A family other than ``ring`` also has ``parse(where, raw) -> dict`` for its catalog fields. Adding a
family is a module here and a row in :data:`FAMILIES`.
"""

from __future__ import annotations

from . import bangle, necklace, ring

__all__ = ["FAMILIES", "PIECE_KINDS", "piece_parts"]

#: Family name -> its module.
FAMILIES = {"ring": ring, "bangle": bangle, "necklace": necklace}
#: Catalog kind -> the family that assembles it.
PIECE_KINDS = {kind: name for name, module in FAMILIES.items() for kind in module.KINDS}


def piece_parts(piece, size_mm: float):
    """The piece's meshes (piece frame, mm) made to ``size_mm`` (see :meth:`Site.piece_size_mm`)."""
    return FAMILIES[PIECE_KINDS[piece.kind]].parts(piece, size_mm)
