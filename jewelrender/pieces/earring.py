"""Earrings: studs, huggies, hoops and drops (a stone or several on links that hang from the piercing).

Piece frame (as the ear site's :class:`jewelrender.sites.ear.EarFit` defines it): millimetres,
origin at the piercing's mouth on the lobe's outer face, +Z out of the lobe, +Y the head's up,
+X = Y x Z; the lobe fills -Z to -``lobe_thickness_mm``. Gravity (the photo's down) and the
body's capsules (skull, neck) come with the fit, in this frame.

* a **stud** (``kind = "stud"``): the centre stone in a setting the rings use
  (:mod:`jewelrender.geometry.mounts`: ``prong`` head, ``bezel`` or pearl ``cup``), its
  table facing out of the lobe, on a post into the lobe (the butterfly back behind the lobe
  is not modelled: a photo does not show it);
* a **huggie** (``kind = "huggie"``): a small band through the piercing hugging the lobe's
  edge, hanging along gravity;
* a **hoop** (``kind = "hoop"``): a round wire through the piercing; it hangs along gravity
  in the plane of the hole's axis and turns about the vertical, at most
  :data:`HOOP_MAX_TURN_DEG`, to clear the neck and jaw (beyond that it rests against the neck,
  whose proxy hides the part behind it);
* a **drop** (``kind = "drop"``): a small bezel-set top on the lobe and a chain of ``links``
  rigid links of ``link_mm`` relaxed under gravity (:func:`jewelrender.physics.chain.relax_chain`,
  pinned at the piercing) ending in the centre stone, hung by its point; with
  ``accent`` a small stone is set on every link (a multi-link dangle).

Catalog schema::

    band = { wire_mm, diameter_mm (hoop, huggie: inner), width_mm, thickness_mm (huggie),
             links, link_mm (drop) }
    stone = { cut, carat | size_mm, gem }   setting = { style = "prong" | "bezel" | "cup", ... }
    accent = { gem, size_mm }               (drop: a stone on every link)
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import CatalogError
from ..geometry import assets
from ..geometry.assets import MeshPart
from ..geometry.mounts import bezel_setting, cup_setting, prong_head
from .fields import number

__all__ = ["KINDS", "BAND_KEYS", "parse", "parts", "sizes_mm", "front_area_mm2", "hang_chain"]

KINDS = ("stud", "huggie", "hoop", "drop")
BAND_KEYS = ("wire_mm", "diameter_mm", "width_mm", "thickness_mm", "links", "link_mm", "profile")
_STUD_STYLES = ("prong", "bezel", "cup")

#: How far a hoop turns about the vertical (from the plane of the hole and gravity) to clear the body.
HOOP_MAX_TURN_DEG = 30.0
#: A post is 0.8 mm across (20 gauge).
_POST_MM = 0.8
#: Gap between a setting's back and the lobe's skin.
_STUD_GAP_MM = 0.3


def _num(where: str, d: dict, key: str, lo: float, hi: float, default=None) -> float:
    return number(where, d, key, lo, hi, default, what="band ")


def parse(where: str, raw: dict) -> dict:
    """Check an earring entry's family fields; returns ``band``, ``stone``, ``setting``, ``accent``."""
    kind = raw.get("kind")
    band = raw.get("band", {})
    if not isinstance(band, dict):
        raise CatalogError(f"{where}: 'band' must be a table")
    unknown = set(band) - set(BAND_KEYS)
    if unknown:
        raise CatalogError(f"{where}: unknown band key(s) {', '.join(sorted(unknown))}; valid: {', '.join(BAND_KEYS)}")
    out: dict = {"band": {}}
    b = out["band"]
    if kind == "stud":
        b["wire_mm"] = _num(where, band, "wire_mm", 0.5, 1.5, _POST_MM)
    elif kind == "huggie":
        b["diameter_mm"] = _num(where, band, "diameter_mm", 6.0, 16.0)
        b["width_mm"] = _num(where, band, "width_mm", 1.0, 6.0)
        b["thickness_mm"] = _num(where, band, "thickness_mm", 0.8, 4.0)
        b["profile"] = band.get("profile", "court")
        if b["profile"] not in ("court", "flat"):
            raise CatalogError(f"{where}: band profile must be 'court' or 'flat'")
    elif kind == "hoop":
        b["diameter_mm"] = _num(where, band, "diameter_mm", 10.0, 80.0)
        b["wire_mm"] = _num(where, band, "wire_mm", 0.8, 6.0)
    else:  # drop
        b["links"] = int(_num(where, band, "links", 1, 12, 1))
        b["link_mm"] = _num(where, band, "link_mm", 1.5, 15.0, 3.0)
        b["wire_mm"] = _num(where, band, "wire_mm", 0.4, 1.5, 0.6)
    stone, setting, accent = raw.get("stone"), raw.get("setting"), raw.get("accent")
    if kind in ("stud", "drop"):
        if stone is None or setting is None:
            raise CatalogError(f"{where}: a {kind} needs 'stone' and 'setting' tables")
        if not isinstance(stone, dict):
            raise CatalogError(f"{where}: 'stone' must be a table")
        out["stone"] = dict(stone)  # the catalog checks it as a ring's centre stone
        if not isinstance(setting, dict) or setting.get("style") not in _STUD_STYLES:
            raise CatalogError(f"{where}: an earring's setting style must be one of {', '.join(_STUD_STYLES)}, "
                               f"got {setting.get('style') if isinstance(setting, dict) else setting!r}")
        allowed = {"style", "prongs", "prong_diameter_mm", "lip_mm", "wall_mm"}
        if set(setting) - allowed:
            raise CatalogError(f"{where}: unknown setting key(s) {', '.join(sorted(set(setting) - allowed))}")
        out["setting"] = dict(setting)
    elif stone is not None or setting is not None:
        raise CatalogError(f"{where}: a {kind} has no 'stone' or 'setting'")
    if accent is not None:
        if kind != "drop" or not isinstance(accent, dict) or not isinstance(accent.get("gem"), str):
            raise CatalogError(f"{where}: 'accent' (a stone on every link: gem, size_mm) is for drops")
        size = accent.get("size_mm", 2.0)
        if not isinstance(size, (int, float)) or isinstance(size, bool) or not 1.0 <= size <= 6.0:
            raise CatalogError(f"{where}: accent size_mm must be a number in [1, 6]")
        out["accent"] = {"gem": accent["gem"], "size_mm": float(size)}
    return out


def _setting_parts(stone: MeshPart, setting: dict, *, base_gap: float = 0.6) -> tuple[list[MeshPart], float]:
    """The stone's setting (stone frame, table up +Y) and the height of its back (y)."""
    v = stone.vertices.astype(np.float64)
    y_bot = float(v[:, 1].min())
    style = setting.get("style", "prong")
    base_y = y_bot - base_gap
    if style == "prong":
        parts = prong_head(stone, prongs=setting.get("prongs"), prong_diameter_mm=setting.get("prong_diameter_mm"),
                           base_y_mm=base_y, gallery=True)
    elif style == "bezel":
        parts = [bezel_setting(stone, lip_mm=setting.get("lip_mm", 0.4), wall_mm=setting.get("wall_mm", 0.5),
                               base_y_mm=base_y)]
    else:
        parts = [cup_setting(stone, base_y_mm=None, wall_mm=setting.get("wall_mm", 0.4))]
    lo = min(float(p.vertices[:, 1].min()) for p in parts)
    return list(parts), min(lo, y_bot)


def _rot_x90() -> np.ndarray:
    """Stone frame (table +Y) -> stud frame (table +Z, out of the lobe): +Y -> +Z, +Z -> -Y."""
    m = np.eye(4)
    m[:3, :3] = [[1, 0, 0], [0, 0, -1], [0, 1, 0]]
    return m


def _frame_to(origin, x, y, z) -> np.ndarray:
    m = np.eye(4)
    m[:3, 0], m[:3, 1], m[:3, 2], m[:3, 3] = x, y, z, origin
    return m


def _stud(piece, fit) -> list[MeshPart]:
    from .stones import stone_part

    stone = stone_part(piece.stone)
    setting_parts, back_y = _setting_parts(stone, piece.setting)
    m = _rot_x90()
    m[2, 3] = -back_y + _STUD_GAP_MM  # the setting's back just off the lobe
    out = [assets.transform(p, m) for p in setting_parts] + [assets.transform(stone, m, name="stone")]
    wire = float(piece.band.get("wire_mm", _POST_MM))
    t = fit.lobe_thickness_mm
    # The post ends inside the lobe and the butterfly back is left out: both are behind the lobe in a
    # photo, and where the calibrated piercing misses the real lobe by a few mm they would float beside it.
    post = assets.tube(np.linspace([0.0, 0.0, _STUD_GAP_MM + 0.2], [0.0, 0.0, -t / 2], 4), wire / 2, sides=10,
                       name="post")
    return out + [post]


def _hang_basis(fit) -> tuple[np.ndarray, np.ndarray]:
    """Gravity (unit) and the hole's axis made perpendicular to it, piece frame."""
    g = np.asarray(fit.gravity, float)
    g /= np.linalg.norm(g)
    z = np.array([0.0, 0.0, 1.0])
    w = z - (z @ g) * g
    if np.linalg.norm(w) < 1e-6:  # looking straight down the hole: any horizontal will do
        w = np.array([1.0, 0.0, 0.0]) - g[0] * g
    return g, w / np.linalg.norm(w)


def _capsule_penetration(pts: np.ndarray, colliders) -> float:
    """Deepest penetration (mm) of points into the fit's capsules."""
    worst = 0.0
    for _name, p0, p1, r in colliders:
        a, b = np.asarray(p0, float), np.asarray(p1, float)
        ab = b - a
        t = np.clip(((pts - a) @ ab) / max(float(ab @ ab), 1e-12), 0.0, 1.0)
        d = np.linalg.norm(pts - (a + t[:, None] * ab), axis=1)
        worst = max(worst, float(np.max(r - d)))
    return worst


def _ring_about(centre, radius, u, v, n=96) -> np.ndarray:
    th = np.linspace(0.0, 2 * np.pi, n, endpoint=False)
    return centre + radius * (np.cos(th)[:, None] * u + np.sin(th)[:, None] * v)


def _hoop(piece, fit) -> list[MeshPart]:
    d = float(piece.band["diameter_mm"])
    wire = float(piece.band["wire_mm"])
    R = d / 2 + wire / 2
    g, w = _hang_basis(fit)
    mid = np.array([0.0, 0.0, -fit.lobe_thickness_mm / 2])  # the wire rests in the hole's middle
    best = None
    # It turns about the vertical through the piercing, at most HOOP_MAX_TURN_DEG, to clear the neck and
    # jaw; turned further it would swing forward across the cheek, so beyond that it rests against the
    # neck, whose proxy hides the part behind it.
    for deg in sorted(np.arange(-HOOP_MAX_TURN_DEG, HOOP_MAX_TURN_DEG + 1.0, 5.0), key=lambda a: (abs(a), a)):
        a = math.radians(deg)
        w_a = w * math.cos(a) + np.cross(g, w) * math.sin(a)
        centre = mid + R * g
        path = _ring_about(centre, R, -g, w_a)  # starts at the top, in the hole
        pen = _capsule_penetration(path, fit.colliders)
        if best is None or pen < best[0] - 0.5:
            best = (pen, path)
        if pen <= 0.0:
            break
    return [assets.tube(best[1], wire / 2, sides=16, closed=True, name="hoop")]


def _huggie(piece, fit) -> list[MeshPart]:
    b = piece.band
    d, w, t = float(b["diameter_mm"]), float(b["width_mm"]), float(b["thickness_mm"])
    band = assets.court_band(d, w, t, profile=b.get("profile", "court"), segments=96)
    g, hole = _hang_basis(fit)
    # the band's own axis (+Z) across the plane of gravity and the hole; its top in the hole's middle
    axis = np.cross(hole, g)
    centre = np.array([0.0, 0.0, -fit.lobe_thickness_mm / 2]) + g * (d / 2 + t / 2)
    return [assets.transform(band, _frame_to(centre, hole, -g, axis), name="huggie")]


def hang_chain(fit, joints: int, link_mm: float, start: np.ndarray) -> np.ndarray:
    """Joint positions (piece frame, mm) of an open chain pinned at ``start``, relaxed under the fit's gravity."""
    from ..physics.chain import Capsule, relax_chain

    g = np.asarray(fit.gravity, float)
    g /= np.linalg.norm(g)
    pts = start + np.outer(np.arange(joints + 1) * link_mm, g) + np.outer(np.arange(joints + 1), [0.0, 0.0, 0.3])
    t = fit.lobe_thickness_mm
    cols = [Capsule(np.array([-4.0, -1.5, -t / 2]) * 1e-3, np.array([4.0, -3.5, -t / 2]) * 1e-3, t / 2e3)]
    cols += [Capsule(np.asarray(p0) * 1e-3, np.asarray(p1) * 1e-3, r * 1e-3) for _n, p0, p1, r in fit.colliders]
    state = relax_chain(pts * 1e-3, closed=False, colliders=cols, gravity=g, link_length=link_mm * 1e-3,
                        pinned=[0], step_m=2e-4, max_steps=600)
    return state.points * 1e3


def _jump_ring(a: np.ndarray, b: np.ndarray, wire: float, turn: int) -> MeshPart:
    """A small oval link from joint ``a`` to joint ``b``; every other link turned a quarter."""
    d = b - a
    L = float(np.linalg.norm(d))
    u = d / max(L, 1e-9)
    ref = np.array([1.0, 0.0, 0.0]) if turn % 2 == 0 else np.array([0.0, 0.0, 1.0])
    v = ref - (ref @ u) * u
    if np.linalg.norm(v) < 1e-6:
        v = np.cross(u, [0.0, 1.0, 0.0])
    v /= np.linalg.norm(v)
    th = np.linspace(0.0, 2 * np.pi, 32, endpoint=False)
    c = (a + b) / 2
    path = c + np.outer(np.cos(th) * (L / 2 + wire / 2), u) + np.outer(np.sin(th) * max(L / 3, wire * 1.2), v)
    return assets.tube(path, wire / 2, sides=8, closed=True, name="link")


def _hang_stone(anchor: np.ndarray, up: np.ndarray, tip: float, back: float) -> np.ndarray:
    """The 4x4 transform of a stone (stone frame: table +Y, long axis +Z) hanging from ``anchor``.

    Its +Z end (a pear's point; ``tip`` = its z) points ``up`` the chain, just under the anchor;
    its table faces out of the lobe (the piece's +Z made perpendicular to ``up``); and it stands
    off the lobe's outer face so that its back (``back`` = the setting's lowest y) clears it.
    """
    out = np.array([0.0, 0.0, 1.0]) - up[2] * up
    out /= max(float(np.linalg.norm(out)), 1e-9)
    m = _frame_to(np.zeros(3), np.cross(out, up), out, up)
    origin = anchor - up * tip
    origin = origin + out * max(0.0, _STUD_GAP_MM - float((origin + out * back) @ [0.0, 0.0, 1.0]))
    m[:3, 3] = origin
    return m


def _drop(piece, fit) -> list[MeshPart]:
    from ..geometry import cuts
    from .stones import gem_density, stone_part

    b = piece.band
    wire, n, L = float(b["wire_mm"]), int(b["links"]), float(b["link_mm"])
    # the top: a 3 mm round of the accent gem (diamond unless the entry names one) in a bezel on a post
    top_stone = cuts.make_stone("round-brilliant", size_mm=3.0)
    top_parts, top_back = _setting_parts(top_stone, {"style": "bezel"}, base_gap=0.3)
    m = _rot_x90()
    m[2, 3] = -top_back + _STUD_GAP_MM
    out = [assets.transform(p, m, name="top_bezel") for p in top_parts]
    out.append(assets.transform(top_stone, m, name="accent_top"))  # the accent gem (diamond by default)
    t = fit.lobe_thickness_mm
    out.append(assets.tube(np.linspace([0.0, 0.0, 0.4], [0.0, 0.0, -t / 2], 4), _POST_MM / 2, sides=10,
                           name="post"))
    # the chain hangs from a loop under the top's bezel
    start = np.array([0.0, -1.9, _STUD_GAP_MM + 0.8])
    joints = hang_chain(fit, n, L, start)
    for i in range(n):
        out.append(_jump_ring(joints[i], joints[i + 1], wire, i))
        if piece.accent is not None and i < n - 1:
            acc = cuts.make_stone("round-brilliant", size_mm=piece.accent["size_mm"],
                                  density_g_cm3=gem_density(piece.accent["gem"]))
            parts_, back = _setting_parts(acc, {"style": "bezel"}, base_gap=0.2)
            up = joints[i] - joints[i + 1]
            up /= max(float(np.linalg.norm(up)), 1e-9)
            # set on the link's middle, its back against the link
            tf = _hang_stone((joints[i] + joints[i + 1]) / 2, up, 0.0, back)
            out += [assets.transform(p, tf, name="accent_bezel") for p in parts_]
            out.append(assets.transform(acc, tf, name=f"accent_{i}"))
    # the centre stone hangs by its top (a pear by its point) from a bail on the last joint
    stone = stone_part(piece.stone)
    setting_parts, back_y = _setting_parts(stone, piece.setting, base_gap=0.3)
    tip = max(float(np.max(p.vertices[:, 2])) for p in setting_parts + [stone])
    last = joints[-1]
    up = joints[-2] - last
    up /= max(float(np.linalg.norm(up)), 1e-9)
    bail_c = last - up * (0.4 + wire)
    tf = _hang_stone(bail_c - up * (0.4 + wire / 2), up, tip, back_y)
    out += [assets.transform(p, tf, name="drop_setting") for p in setting_parts]
    out.append(assets.transform(stone, tf, name="stone"))
    side = np.cross(up, [0.0, 0.0, 1.0])
    side /= max(float(np.linalg.norm(side)), 1e-9)
    out.append(assets.tube(_ring_about(bail_c, 0.4 + wire, up, np.cross(side, up), n=24), wire / 2, sides=8,
                           closed=True, name="bail"))
    return out


def parts(piece, fit) -> list[MeshPart]:
    """An earring's meshes (piece frame, mm) made to one ear's ``fit``."""
    return {"stud": _stud, "huggie": _huggie, "hoop": _hoop, "drop": _drop}[piece.kind](piece, fit)


def sizes_mm(piece, fit, parts_: list[MeshPart]) -> dict:
    """An earring's size as worn (mm, for the report): across its front, how far it hangs below the
    piercing (along gravity), how far it stands out of the lobe; and the centre stone's size."""
    v = np.concatenate([p.vertices for p in parts_]).astype(np.float64)
    g = np.asarray(fit.gravity, float)
    g /= np.linalg.norm(g)
    out = {"width_mm": round(float(np.ptp(v[:, 0])), 1),
           "hangs_below_piercing_mm": round(float(max(0.0, np.max(v @ g))), 1),
           "stands_out_mm": round(float(max(0.0, v[:, 2].max())), 1)}
    stones = [p for p in parts_ if p.name == "stone"]
    if stones:
        sv = stones[0].vertices.astype(np.float64)
        ext = np.sort(np.ptp(sv, axis=0))[::-1]
        out["stone_mm"] = [round(float(ext[0]), 1), round(float(ext[1]), 1)]
    return out


def front_area_mm2(piece) -> float:
    """The area an earring covers seen from the front (mm²): the share of it a try-on must show."""
    b = piece.band
    if piece.kind == "hoop":
        return math.pi * (float(b["diameter_mm"]) + float(b["wire_mm"])) * float(b["wire_mm"]) * 0.5
    if piece.kind == "huggie":
        return math.pi * (float(b["diameter_mm"]) + float(b["thickness_mm"])) * float(b["width_mm"]) * 0.5
    from ..geometry import cuts

    st = piece.stone
    size = st.get("size_mm")
    if size is None:
        size = cuts.carat_to_size_mm(st["cut"], st["carat"])
    w = float(np.min(size)) if np.ndim(size) else float(size)
    area = 0.6 * w * w
    if piece.kind == "drop":
        area += float(b["links"]) * float(b["link_mm"]) * float(b["wire_mm"])
    return area
