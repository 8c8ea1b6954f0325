"""Chain links and findings: one link's mesh, where every link of a relaxed chain goes, and the rings
and clasp that join a chain.

The one home of link geometry for every articulated piece (bracelets and necklaces). A chain is modelled by :mod:`jewelrender.physics.chain` as its
*joints*, the points where neighbouring links meet; link ``i`` spans joint ``i``
to joint ``i + 1`` and its length there (the *pitch*) is what the solver keeps.
Here:

* :func:`cable_link` is a round-wire oval loop (a cable chain's link); two
  neighbouring cable links interlock at 90 degrees, so their centres are one
  *inner* length apart: ``pitch = length - 2 x wire``.
* :func:`tennis_link` is one unit of a line (tennis) bracelet: a round
  brilliant in a four-prong box setting, with hinge knuckles at both ends; its
  pitch is the box's outer width plus a hinge gap.
* :func:`chain_link` is one link of a necklace chain by style (cable, curb, rope,
  box, snake) and :func:`chain_pitch_mm` its spacing along the chain.
* :func:`link_frames` orients links along a chain (the one place that turns them:
  a cable's alternate links at right angles, a curb's twist, a rope's helix);
  :func:`link_transforms` turns a relaxed chain's joints into one rigid transform
  per link (link frame -> the chain's frame), for an
  :class:`jewelrender.geometry.assets.InstancedPart`; :func:`style_turns` gives a
  chain style's turns.
* :func:`jump_ring` and :func:`lobster_clasp`: the findings that close a chain (a
  lobster clasp on its jump ring, and the tag ring it hooks into).

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

__all__ = ["LinkDesign", "cable_link", "tennis_link", "link_transforms", "link_frames", "style_turns", "chain_link",
           "chain_pitch_mm", "stadium", "jump_ring", "lobster_clasp", "box_clasp",
           "fish_hook_clasp", "Clasp", "CHAIN_STYLES", "HINGE_GAP_MM",
           "PRONG_HEIGHT"]

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


def stadium(length: float, width: float, n: int) -> np.ndarray:
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
    path = stadium(length_mm - wire_mm, width_mm - wire_mm, 48)
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


def link_frames(centres: np.ndarray, tangent: np.ndarray, outward: np.ndarray, turns_deg=0.0, *,
                lean_deg: float = 0.0) -> np.ndarray:
    """One rigid transform per link (link frame -> the chain's frame, mm): its centre, +X along ``tangent``,
    +Y along ``outward`` (made perpendicular to it), then turned by ``turns_deg`` (one per link, or one for
    all) about +X, then leaned by ``lean_deg`` about its own +Z (a rope's links lie diagonally)."""
    c = np.asarray(centres, float)
    x = np.asarray(tangent, float)
    x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    y = np.asarray(outward, float)
    y = y - (y * x).sum(1, keepdims=True) * x
    y /= np.maximum(np.linalg.norm(y, axis=1, keepdims=True), 1e-12)
    z = np.cross(x, y)
    ang = np.broadcast_to(np.radians(np.asarray(turns_deg, float)), (len(c),))
    ca, sa = np.cos(ang)[:, None], np.sin(ang)[:, None]
    y, z = ca * y + sa * z, -sa * y + ca * z
    if lean_deg:
        cl, sl = math.cos(math.radians(lean_deg)), math.sin(math.radians(lean_deg))
        x, y = cl * x + sl * y, -sl * x + cl * y
    M = np.zeros((len(c), 4, 4))
    M[:, :3, 0], M[:, :3, 1], M[:, :3, 2] = x, y, z
    M[:, :3, 3] = c
    M[:, 3, 3] = 1.0
    return M


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
    turns = alternate_deg * (np.arange(len(a)) % 2) if alternate_deg else 0.0
    return link_frames((a + b) / 2, b - a, oa + ob, turns)


# --------------------------------------------------------------------------- #
# Necklace chains: the link of each style, its pitch, how successive links turn
# --------------------------------------------------------------------------- #

#: Chain styles a necklace can be made of.
CHAIN_STYLES = ("cable", "curb", "rope", "box", "snake")
#: A link's inner width over its outer length, by style (a cable's oval, a rope's narrower one).
_WIDTH = {"cable": 0.72, "rope": 0.6}
#: How far a curb's links twist each way (deg: nearly flat) and a rope's per link and lean.
CURB_TWIST_DEG = 20.0
ROPE_TURN_DEG, ROPE_LEAN_DEG = 60.0, 35.0


def _loop(length: float, width: float, wire: float, *, n: int, sides: int, name: str) -> MeshPart:
    """A closed wire loop along an oval (the link frame's XY plane), outer ``length`` x ``width``."""
    return assets.tube(stadium(length - wire, width - wire, n), wire / 2.0, sides=sides, closed=True, name=name)


def chain_link(style: str, wire_mm: float, link_mm: float, *, name: str = "links") -> MeshPart:
    """One link of a necklace chain in the link frame (mm: +X along the chain, the loop in the XY plane).

    cable and rope: round-wire ovals; curb: a wider oval of flattened (diamond-cut)
    wire; box: a square of square wire; snake: a short round segment (its scales,
    one per instance, overlapping; ``link_mm`` is ignored).
    """
    if style not in CHAIN_STYLES:
        raise InvalidOptionError(f"chain style must be one of {', '.join(CHAIN_STYLES)}, got {style!r}")
    w, Lo = float(wire_mm), float(link_mm)
    if style == "snake":
        path = np.array([[-0.32 * w, 0, 0], [0.32 * w, 0, 0]])
        return assets.tube(path, w / 2, sides=14, cap_rings=3, name=name)
    if style == "box":
        return _loop(Lo, Lo, w, n=8, sides=4, name=name)  # 4 points: a 90-degree turn breaks the sweep
    if style == "curb":
        part = _loop(Lo, 0.7 * Lo, w, n=24, sides=10, name=name)
        v = part.vertices.astype(np.float64) * [1.0, 1.0, 0.55]  # flattened (diamond-cut) wire
        return MeshPart(name, "metal", v, part.faces, None)
    return _loop(Lo, _WIDTH[style] * Lo, w, n=24, sides=10, name=name)


def chain_pitch_mm(style: str, wire_mm: float, link_mm: float) -> float:
    """Centre-to-centre spacing of a chain's links (mm): an interlocking link's outer length less two wire
    diameters (as :func:`cable_link`); a rope's links overlap by half; a snake's segments, 0.45 wire."""
    if style == "snake":
        return 0.45 * wire_mm
    if style == "rope":
        return 0.5 * link_mm
    return link_mm - 2.0 * wire_mm


def style_turns(style: str, count: int) -> tuple[np.ndarray, float]:
    """Per link, its turn about the chain (deg, :func:`link_frames`' convention: 0 stands the loop edge-on
    to the body, -90 lays it flat with its +Z out of the body), and the style's lean: a cable's or box's
    links alternate flat and edge-on, a curb's lie nearly flat twisted each way, a rope's wind round in
    a helix and lean; anything else (a snake's segments, pearls, a tennis necklace's boxes) lies flat."""
    i = np.arange(count)
    if style in ("cable", "box"):
        turn = 90.0 * (i % 2)
    elif style == "curb":
        turn = np.where(i % 2 == 0, CURB_TWIST_DEG, -CURB_TWIST_DEG)
    elif style == "rope":
        turn = ROPE_TURN_DEG * i
    else:
        turn = np.zeros(count)
    return np.asarray(turn, float) - 90.0, (ROPE_LEAN_DEG if style == "rope" else 0.0)


# --------------------------------------------------------------------------- #
# Findings: jump rings and the clasp
# --------------------------------------------------------------------------- #


def jump_ring(radius: float, wire: float, name: str, *, n: int = 24) -> MeshPart:
    """A round ring of ``wire`` mm wire, centre line ``radius`` mm, in the XY plane."""
    th = np.linspace(0, 2 * math.pi, n, endpoint=False)
    path = np.stack([radius * np.cos(th), radius * np.sin(th), np.zeros_like(th)], 1)
    return assets.tube(path, wire / 2, sides=10, closed=True, name=name)


@dataclass(frozen=True)
class Clasp:
    """A chain's clasp in its own frame (mm: centre at the origin, +X along the chain, +Y out of the
    body, lying flat on it): its meshes and its span along the chain (the links it replaces)."""

    parts: tuple[MeshPart, ...]
    span_mm: float


def lobster_clasp(wire_mm: float, *, name: str = "clasp") -> Clasp:
    """A lobster clasp on a jump ring at one end of a chain, hooked into a tag ring at the other.

    Sized to the chain as jewellers' findings are (a fine chain's lobster is ~9-10 mm, a
    heavy chain's ~12-14 mm): the lobster's length ``9 + 4 x wire`` (9-14 mm), its
    width half that; it lies flat on the body (its outline in the XZ plane), a claw of
    wire whose section thickens from the hook to the back, a trigger on its back and a
    swivel eye at its tail. The jump ring (round wire, ~0.5 mm) joins the eye to the
    chain's last link; the tag ring (a heavier ring, ~4 mm across) hooks the claw and
    ends the chain's other side. Parts: ``{name}`` (the lobster), ``{name}_jump_ring``,
    ``{name}_tag_ring``.
    """
    w = float(wire_mm)
    L = float(np.clip(9.0 + 4.0 * w, 9.0, 14.0))
    half_w = 0.25 * L
    r_body = 0.085 * L                        # the claw's wire: ~0.8 mm at the back on a fine chain
    # The claw's outline: an egg, wide at the hook (+X), narrow at the tail (-X); the section thins
    # towards the hook's tip (the gate).
    th = np.linspace(0, 2 * math.pi, 40, endpoint=False)
    ex = 0.5 * (L - 2 * r_body)
    x = ex * np.cos(th)
    z = half_w * np.sin(th) * (0.78 + 0.22 * np.cos(th))
    path = np.stack([x, np.zeros_like(x), z], 1)
    radii = r_body * (0.8 - 0.2 * np.cos(th))
    claw = assets.tube(path, radii, sides=10, closed=True, name=name)
    # The trigger: a short tab standing out of the claw's back (one side), near the tail.
    tab = assets.tube(np.array([[-0.15 * L, 0.0, 0.75 * half_w], [-0.05 * L, 0.0, 1.2 * half_w]]), 0.45 * r_body,
                      sides=8, cap_rings=3, name=name)
    # The swivel eye: a small ring at the tail, standing across the claw's plane.
    eye_r = max(0.6, 0.08 * L)
    eye = assets.translate(jump_ring(eye_r, 0.6 * r_body * 2, name), (-0.5 * L - eye_r + 0.3 * r_body, 0.0, 0.0))
    lobster = assets.merge_parts([p if p.normals is not None else assets.with_face_normals(p) for p in (claw, tab, eye)],
                                 name)
    # The jump ring through the eye (lying flat, across the eye's plane) and the tag ring on the hook.
    jr_r = max(0.9, 1.0 + w)
    jr_wire = max(0.4, 0.8 * w + 0.1)
    jr_x = -0.5 * L - 2 * eye_r - jr_r + jr_wire
    jr = assets.transform(jump_ring(jr_r, jr_wire, f"{name}_jump_ring"),
                          np.array([[1, 0, 0, jr_x], [0, 0, -1, 0], [0, 1, 0, 0], [0, 0, 0, 1.0]]))
    tag_r = max(1.6, 1.5 + 1.5 * w)
    tag_wire = max(0.5, 1.2 * w)
    tag_x = 0.5 * L - r_body
    tag = assets.translate(jump_ring(tag_r, tag_wire, f"{name}_tag_ring"), (tag_x + tag_r - r_body, 0.0, 0.0))
    span = (tag_x + 2 * tag_r) - (jr_x - jr_r)
    # centred on the span
    mid = (tag_x + 2 * tag_r + jr_x - jr_r) / 2
    parts = tuple(assets.translate(p, (-mid, 0.0, 0.0)) for p in (lobster, jr, tag))
    return Clasp(parts, float(span))


def _figure_eight(half_len: float, wire: float, name: str, n: int = 48) -> MeshPart:
    """A figure-8 safety of round wire in the XY plane, centred at the origin, ``half_len`` mm from its
    crossing to each loop's end; the two strands pass one over the other at the crossing (Z +-0.6 wire)."""
    t = np.linspace(0, 2 * math.pi, n, endpoint=False)
    d = 1.0 + np.sin(t) ** 2
    path = np.stack([half_len * np.cos(t) / d, 1.2 * half_len * np.sin(t) * np.cos(t) / d, 0.6 * wire * np.sin(t)], 1)
    return assets.tube(path, wire / 2, sides=8, closed=True, name=name)


def box_clasp(stone_mm: float, *, name: str = "clasp") -> Clasp:
    """A tennis necklace's box clasp: a box as wide as the line's settings, into which a sprung tongue
    from the other end clicks (its thumb lip standing over the box's open end), a figure-8 safety on each
    side hooked over the box and the tongue's plate, and a hinge knuckle joining the box to the line.

    Sized as the findings are to the line: the box ~3.2 stone diameters long (9 mm on 2.5 mm stones,
    7-14 mm), as wide as a setting plus 0.3 mm, 0.75 of a stone deep plus 0.6 mm (the tongue's spring
    inside). Parts: ``{name}`` (box, lip, tongue plate, knuckle), ``{name}_safety_0/1``."""
    d = float(stone_mm)
    L = float(np.clip(3.2 * d + 1.0, 7.0, 14.0))
    W = d * (1 + 2 * _WALL) + 0.3
    T = 0.75 * d + 0.6
    box = _box((-L / 2, -T / 2, -W / 2), (L / 2, T / 2, W / 2), name)
    # The tongue's plate between the box's open end and the line's last setting, and its thumb lip.
    plate = _box((L / 2, -0.3 * T, -0.35 * W), (L / 2 + 0.9, 0.3 * T, 0.35 * W), name)
    lip = _box((L / 2 - 0.6, T / 2 - 0.1, -0.4 * W), (L / 2 + 0.5, T / 2 + 0.45, 0.4 * W), name)
    kr = 0.12 * d + 0.1
    knuckle = assets.tube(np.linspace([-L / 2 - kr, 0.0, -0.4 * W], [-L / 2 - kr, 0.0, 0.4 * W], 6), kr,
                          sides=10, name=name)
    body = assets.merge_parts([p if p.normals is not None else assets.with_face_normals(p)
                               for p in (box, plate, lip, knuckle)], name)
    wire = 0.35 + 0.08 * d
    eights = tuple(assets.translate(_figure_eight(0.22 * L, wire, f"{name}_safety_{i}"),
                                    (0.38 * L, 0.0, s * (W / 2 + wire / 2 + 0.05)))
                   for i, s in enumerate((1.0, -1.0)))
    lo, hi = -L / 2 - 2 * kr, L / 2 + 0.9
    mid = (lo + hi) / 2
    return Clasp(tuple(assets.translate(p, (-mid, 0.0, 0.0)) for p in (body, *eights)), float(hi - lo))


def fish_hook_clasp(pearl_mm: float, *, name: str = "clasp") -> Clasp:
    """A pearl strand's fish-hook clasp: an oval box (its filigree left out; a rim wire round its edge)
    the hook's wire springs into, on a jump ring at each end where the strand's silk is knotted on.

    Sized to the pearls (a 7 mm strand's clasp is ~10 x 5 mm): the oval 1.5 pearl diameters long, 0.75
    wide, 0.42 thick. Parts: ``{name}`` (the oval and its rim), ``{name}_hook``, ``{name}_ring_0/1``."""
    import trimesh

    P = float(pearl_mm)
    a, b, c = 0.75 * P, 0.21 * P, 0.375 * P
    ov = trimesh.creation.icosphere(subdivisions=3, radius=1.0)
    v = np.asarray(ov.vertices) * [a, b, c]
    f = assets.orient_outward(v, np.asarray(ov.faces, np.int64))
    oval = MeshPart(name, "metal", v, f, assets.vertex_normals(v, f))
    th = np.linspace(0, 2 * math.pi, 48, endpoint=False)
    rim_w = 0.08 * P
    rim = assets.tube(np.stack([a * np.cos(th), np.zeros_like(th), c * np.sin(th)], 1), rim_w, sides=8, closed=True,
                      name=name)
    body = assets.merge_parts([oval, rim], name)
    # The hook: a wire from the strand's end into the oval's side (its bent spring hides inside).
    hw = 0.1 * P
    hook_path = np.array([[a + 0.9 * hw, 0.0, 0.0], [a + 0.2 * hw, 0.0, 0.0], [0.6 * a, 0.3 * b, 0.0]])
    hook = assets.tube(hook_path, hw / 2, sides=8, name=f"{name}_hook")
    rr, rw = max(0.9, 0.16 * P), max(0.5, 0.1 * P)
    rings = []
    for i, (x, s) in enumerate(((a + 0.9 * hw + rr, 1.0), (-a - rim_w - rr + 0.5 * rw, -1.0))):
        r = jump_ring(rr, rw, f"{name}_ring_{i}")
        rings.append(assets.transform(r, np.array([[1, 0, 0, x], [0, 0, -1, 0], [0, 1, 0, 0], [0, 0, 0, 1.0]])))
    lo, hi = -a - rim_w - 2 * rr, a + 0.9 * hw + 2 * rr
    mid = (lo + hi) / 2
    return Clasp(tuple(assets.translate(p, (-mid, 0.0, 0.0)) for p in (body, hook, *rings)), float(hi - lo))
