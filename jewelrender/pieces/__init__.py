"""Pieces, assembled per family in their own module (``ring`` today; pendant, earring, bangle, watch later).

A family module has ``KINDS`` (the catalog kinds it assembles), a catalog schema
check and ``parts(piece, size_mm) -> list[MeshPart]`` in the piece frame, where
``size_mm`` is what the body site measured (a ring's inner diameter). Adding a
family is a module here and a row in :data:`FAMILIES`.
"""

from __future__ import annotations

from . import ring

__all__ = ["FAMILIES", "PIECE_KINDS", "piece_parts"]

#: Family name -> its module.
FAMILIES = {"ring": ring}
#: Catalog kind -> the family that assembles it.
PIECE_KINDS = {kind: name for name, module in FAMILIES.items() for kind in module.KINDS}


def piece_parts(piece, size_mm: float):
    """The piece's meshes (piece frame, mm) made to ``size_mm`` (see :meth:`Site.piece_size_mm`)."""
    return FAMILIES[PIECE_KINDS[piece.kind]].parts(piece, size_mm)
