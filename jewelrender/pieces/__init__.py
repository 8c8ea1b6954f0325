"""Pieces, assembled per family in their own module (``ring``, ``bangle``, ``bracelet``, ``watch``, ``necklace``, ``earring``).

A family module has ``KINDS`` (the catalog kinds it assembles), a catalog schema
check and ``parts(piece, size_mm) -> list[MeshPart]`` in the piece frame, where
``size_mm`` is what the body site measured (a ring's inner diameter; a wrist
piece's :class:`jewelrender.sites.wrist.WristFit`, the whole cross-section; an earring's
:class:`jewelrender.sites.ear.EarFit`, one ear's gravity, lobe and neck).
A family other than ``ring`` also has ``parse(where, raw) -> dict`` for its catalog fields. Adding a
family is a module here and a row in :data:`FAMILIES`.
"""

from __future__ import annotations

from . import bangle, bracelet, earring, necklace, ring, watch

__all__ = ["FAMILIES", "PIECE_KINDS", "piece_parts", "piece_materials", "piece_sizes_mm"]

#: Family name -> its module.
FAMILIES = {"ring": ring, "bangle": bangle, "bracelet": bracelet, "watch": watch, "necklace": necklace,
            "earring": earring}
#: Catalog kind -> the family that assembles it.
PIECE_KINDS = {kind: name for name, module in FAMILIES.items() for kind in module.KINDS}
# A kind names one family: two claiming it would silently hand one family's pieces to the other.
assert len(PIECE_KINDS) == sum(len(m.KINDS) for m in FAMILIES.values()), "a catalog kind is claimed twice"


def piece_parts(piece, size_mm: float):
    """The piece's meshes (piece frame, mm) made to ``size_mm`` (see :meth:`Site.piece_size_mm`)."""
    return FAMILIES[PIECE_KINDS[piece.kind]].parts(piece, size_mm)


def piece_materials(piece) -> dict | None:
    """``{part name: {"bsdf", "interior"}}`` for parts whose material the family names (role ``"other"``:
    a watch's crystal, dial, hands, strap), or None; metal and stones come from the piece's presets."""
    family = FAMILIES[PIECE_KINDS[piece.kind]]
    return family.materials(piece) if hasattr(family, "materials") else None


def piece_sizes_mm(piece, size_mm, parts) -> dict | None:
    """The piece's own sizes as made (mm) when its family reports them (earrings: ``sizes_mm``), else None."""
    family = FAMILIES.get(PIECE_KINDS.get(piece.kind))
    fn = getattr(family, "sizes_mm", None)
    return None if fn is None else fn(piece, size_mm, parts)

