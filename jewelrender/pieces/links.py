"""Chain links: one link's mesh, and where every link of a relaxed chain goes.

Shared by every articulated piece (bracelets today; necklaces and drops can use
the same links). A chain is modelled by :mod:`jewelrender.physics.chain` as its
*joints*, the points where neighbouring links meet; link ``i`` spans joint ``i``
to joint ``i + 1`` and its length there (the *pitch*) is what the solver keeps.
Here:

* :func:`cable_link` is a round-wire oval loop (a cable chain's link); two
  neighbouring cable links interlock at 90 degrees, so their centres are one
  *inner* length apart: ``pitch = length - 2 x wire``.
* :func:`tennis_link` is one unit of a line (tennis) bracelet: a round
  brilliant in a four-prong box setting, with hinge knuckles at both ends; its
  pitch is the box's outer width plus a hinge gap.
* :func:`link_transforms` turns a relaxed chain into one rigid transform per
  link (link frame -> the chain's frame), for an
  :class:`jewelrender.geometry.assets.InstancedPart`.

Link frame (millimetres): the link's centre at the origin, +X along the chain
(from its joint ``i`` to ``i + 1``), +Y outward (away from the body: a tennis
link's table faces +Y), +Z = X x Y across the chain.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import InvalidOptionError
from ..geometry import assets
from ..geometry.assets import MeshPart

__all__ = ["LinkDesign", "cable_link", "tennis_link", "link_transforms", "HINGE_GAP_MM", "PRONG_HEIGHT"]

#: Between two tennis boxes: room for the hinge to turn (a real line bracelet shows a hairline).
HINGE_GAP_MM = 0.15
#: A prong's tip above the girdle, in stone diameters (it just laps the crown's edge).
PRONG_HEIGHT = 0.10
#: A tennis box's wall, in stone diameters (0.3 mm on a 3 mm stone).
_WALL = 0.1


@dataclass(frozen=True)
class LinkDesign:
    """A link's meshes (link frame, mm), its pitch along the chain and how much it stands off the body."""

    parts: tuple[MeshPart, ...]
    #: Joint-to-joint distance along the chain (mm).
    pitch_mm: float
    #: From the link's centre line to its face against the skin (mm): the body is inflated by this.
    inner_offset_mm: float
    #: Successive links turn by this about the chain (cable chains alternate 90 degrees).
    alternate_deg: float = 0.0


def _stadium(length: float, width: float, n: int) -> np.ndarray:
    """``n`` points along an oval (two half circles joined by straights) in the XY plane, centred."""
    r = width / 2.0
    straight = length - width
    per = 2 * straight + 2 * math.pi * r
    s = np.linspace(0.0, per, n, endpoint=False)
    pts = np.zeros((n, 3))
    for i, t in enumerate(s):
        if t < straight:                                   # top straight, +X direction
            pts[i] = (-straight / 2 + t, r, 0)
        elif t < straight + math.pi * r:                   # right half circle
            a = (t - straight) / r
            pts[i] = (straight / 2 + r * math.sin(a), r * math.cos(a), 0)
        elif t < 2 * straight + math.pi * r:               # bottom straight, -X direction
            pts[i] = (straight / 2 - (t - straight - math.pi * r), -r, 0)
        else:                                              # left half circle
            a = (t - 2 * straight - math.pi * r) / r
            pts[i] = (-straight / 2 - r * math.sin(a), -r * math.cos(a), 0)
    return pts


def cable_link(length_mm: float, width_mm: float, wire_mm: float, *, name: str = "link") -> LinkDesign:
    """An oval loop of round wire: outer ``length_mm`` x ``width_mm``, wire diameter ``wire_mm``.

    The loop lies in the link's XY plane (seen flat from outside); the next link
    turns 90 degrees about the chain, so it stands edge-on.
    """
    for key, v in (("length_mm", length_mm), ("width_mm", width_mm), ("wire_mm", wire_mm)):
        if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
            raise InvalidOptionError(f"a cable link's {key} must be a positive number, got {v!r}")
    if not (width_mm > 2.5 * wire_mm and length_mm >= width_mm):
        raise InvalidOptionError("a cable link needs length >= width > 2.5 x wire (room for the next link)",
                                 details={"length_mm": length_mm, "width_mm": width_mm, "wire_mm": wire_mm})
    path = _stadium(length_mm - wire_mm, width_mm - wire_mm, 48)
    part = assets.tube(path, wire_mm / 2.0, sides=12, closed=True, name=name)
    # Flat or edge-on, the wire's half diameter is the least it stands off the skin; edge-on links stand
    # further, so the body is inflated by the mean of the two.
    return LinkDesign((part,), pitch_mm=float(length_mm - 2 * wire_mm),
                      inner_offset_mm=float(0.5 * (wire_mm / 2 + (width_mm - wire_mm / 2) / 2)), alternate_deg=90.0)


def _box(lo, hi, name: str) -> MeshPart:
    """An axis-aligned box (mm) with flat faces."""
    import trimesh

    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    b = trimesh.creation.box(extents=hi - lo)
    b.apply_translation((hi + lo) / 2)
    return assets.with_face_normals(MeshPart(name, "metal", b.vertices, b.faces))


def tennis_link(stone_mm: float, *, name: str = "setting") -> LinkDesign:
    """One line-bracelet unit: a round brilliant of ``stone_mm`` in a four-prong box, hinged at both ends.

    The stone (:func:`jewelrender.geometry.assets.round_brilliant`, Tolkowsky
    proportions) sits with its girdle at y = 0 and its table up (+Y); the box
    (walls ``_WALL`` x d) runs from just under the culet to the girdle, closed below by a
    floor (the small hole of a real box is left out); four round prongs rise at the box's corners and
    lap the crown's edge; two hinge knuckles (tubes across the chain) sit at the
    box's ends under the girdle, where the next unit's knuckles interleave.
    """
    if not (isinstance(stone_mm, (int, float)) and 1.0 <= stone_mm <= 8.0):
        raise InvalidOptionError(f"a tennis bracelet's stones must be 1-8 mm, got {stone_mm!r}")
    d = float(stone_mm)
    stone = assets.round_brilliant(diameter_mm=d, name="stone")
    crown_bottom = -0.435 * d   # Tolkowsky: pavilion depth 43.1 % (the culet), girdle ~1 %
    wall = _WALL * d
    half = d / 2 + wall          # the box's outer half width; its inner half width is d / 2
    top = 0.0                    # the walls end at the girdle: the crown shows over them
    bottom = crown_bottom - 0.05 * d
    walls = [
        _box((-half, bottom, -half), (half, top, -half + wall), "wall_0"),
        _box((-half, bottom, half - wall), (half, top, half), "wall_1"),
        _box((-half, bottom, -half + wall), (-half + wall, top, half - wall), "wall_2"),
        _box((half - wall, bottom, -half + wall), (half, top, half - wall), "wall_3"),
    ]
    # A floor under the culet with a round opening's worth of light left out: real line-bracelet boxes are
    # closed below but for a small hole, so the stone sees polished metal (its dark facets), not the skin.
    floor = _box((-half, bottom - wall, -half), (half, bottom, half), "floor")
    metal = [assets.merge_parts([*walls, floor], "box")]
    # Prongs: from the box's corner up past the girdle and bending in over the crown's edge.
    r_p = 0.09 * d
    for i, (sx, sz) in enumerate(((1, 1), (1, -1), (-1, 1), (-1, -1))):
        corner = np.array([sx * (half - wall / 2), 0.0, sz * (half - wall / 2)])
        tip_dir = -np.array([sx, 0.0, sz]) / math.sqrt(2.0)
        ctrl = np.array([corner + [0, -0.15 * d, 0], corner + [0, PRONG_HEIGHT * 0.6 * d, 0],
                         corner + tip_dir * 0.16 * d + [0, PRONG_HEIGHT * d, 0]])
        path = assets.rounded_polyline(ctrl, 0.12 * d, max_len=0.1 * d)
        metal.append(assets.tube(path, r_p, sides=10, name=f"prong_{i}"))
    # Hinge knuckles: tubes across the chain at both ends, under the girdle.
    kr = 0.12 * d
    for i, sx in enumerate((1, -1)):
        x = sx * (half + HINGE_GAP_MM / 2 - kr * 0.2)
        y = crown_bottom * 0.55
        path = np.array([[x, y, -half * 0.55], [x, y, half * 0.55]])
        path = np.linspace(path[0], path[1], 6)
        metal.append(assets.tube(path, kr, sides=10, name=f"knuckle_{i}"))
    metal_part = assets.merge_parts([p if p.normals is not None else assets.with_face_normals(p) for p in metal],
                                    name)
    return LinkDesign((metal_part, stone), pitch_mm=float(2 * half + HINGE_GAP_MM),
                      inner_offset_mm=float(wall - bottom), alternate_deg=0.0)


def link_transforms(points_mm: np.ndarray, closed: bool, outward: np.ndarray, *,
                    alternate_deg: float = 0.0) -> np.ndarray:
    """One rigid transform per link (link frame -> the chain's frame, mm) along relaxed joints.

    ``outward`` (J, 3) is, per joint, the direction away from the body (the
    link's +Y is its mean over the link's two joints, made perpendicular to the
    link); successive links turn by ``alternate_deg`` about the chain.
    """
    p = np.asarray(points_mm, float)
    out = np.asarray(outward, float)
    a, b = (p, np.roll(p, -1, axis=0)) if closed else (p[:-1], p[1:])
    oa, ob = (out, np.roll(out, -1, axis=0)) if closed else (out[:-1], out[1:])
    x = b - a
    x /= np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    y = oa + ob
    y -= (y * x).sum(1, keepdims=True) * x
    y /= np.maximum(np.linalg.norm(y, axis=1, keepdims=True), 1e-12)
    z = np.cross(x, y)
    if alternate_deg:
        ang = np.radians(alternate_deg) * (np.arange(len(x)) % 2)
        c, s = np.cos(ang)[:, None], np.sin(ang)[:, None]
        y, z = c * y + s * z, -s * y + c * z
    M = np.zeros((len(x), 4, 4))
    M[:, :3, 0], M[:, :3, 1], M[:, :3, 2] = x, y, z
    M[:, :3, 3] = (a + b) / 2
    M[:, 3, 3] = 1.0
    return M
