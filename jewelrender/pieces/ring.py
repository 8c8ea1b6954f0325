"""Rings: the catalog entry's schema and its assembly (band, head, centre stone, accents).

A ring is a band in the piece frame of :mod:`jewelrender.geometry.assets` (axis +Z,
head towards +Y, millimetres) sized to the customer's finger; the head that holds the
centre stone is built by one function per setting style, chosen through :data:`HEADS`.
A new setting style is one function here and one row in :data:`HEADS` (and its
option names in :data:`SETTING_KEYS`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from ..checks import bool_option, int_option, number_option
from ..errors import CatalogError, InvalidOptionError, MeshError
from ..geometry import assets
from ..geometry.assets import MeshPart
from ..geometry.mounts import (
    ACCENT_STYLES,
    accent_band,
    bezel_setting,
    check_stone,
    cup_profile,
    cup_setting,
    default_prong_diameter,
    halo_setting,
    outline_polygon,
    prong_head,
)
from .stones import stone_part

__all__ = ["KINDS", "HEADS", "SETTING_STYLES", "SETTING_KEYS", "ACCENT_KEYS", "ring_assembly", "parts"]

#: Catalog kinds a ring entry may have: a plain band, one stone in prongs, anything else.
KINDS = ("band", "solitaire", "ring")

#: Options each setting style takes (the catalog and :func:`ring_assembly` both check them).
SETTING_KEYS = {
    "prong": {"style", "prongs", "prong_diameter_mm", "culet_clearance_mm", "gallery"},
    "bezel": {"style", "lip_mm", "wall_mm", "cover_mm", "culet_clearance_mm"},
    "halo": {"style", "prongs", "prong_diameter_mm", "culet_clearance_mm", "melee_diameter_mm", "gap_mm",
             "spacing_mm", "gallery"},
    "cup": {"style", "cup_diameter_mm", "cup_depth_mm", "wall_mm", "culet_clearance_mm"},
}
ACCENT_KEYS = {"style", "count", "melee_diameter_mm", "spacing_mm", "gem"}


def _check_dict(name: str, d: Any, allowed_by_style: dict[str, set], styles) -> dict:
    if not isinstance(d, dict):
        raise InvalidOptionError(f"{name} must be a dict, got {type(d).__name__}", details={"option": name})
    style = d.get("style")
    if style not in styles:
        raise InvalidOptionError(f"unknown {name} style {style!r}; valid: {', '.join(styles)}",
                                 details={"option": f"{name}.style", "value": repr(style), "valid": list(styles)})
    unknown = sorted(set(d) - allowed_by_style[style])
    if unknown:
        raise InvalidOptionError(f"unknown {name} option(s) for style {style!r}: {', '.join(map(str, unknown))}",
                                 details={"option": name, "unknown": [str(u) for u in unknown],
                                          "valid": sorted(allowed_by_style[style])})
    return d


class Band(NamedTuple):
    """The band a head stands on, mm: inner radius, outer radius, width, thickness."""

    r_in: float
    r_out: float
    w: float
    t: float


class Head(NamedTuple):
    """A head's metal parts and halo melee (stone frame, before the lift) and the lift y_g."""

    parts: list
    halo_melee: list
    y_g: float


def _prong_parts(stone: MeshPart, setting: dict, band: Band, poly: np.ndarray, y_bot: float):
    clear = number_option("culet_clearance_mm", setting.get("culet_clearance_mm", 0.5), 0.0, 10.0, low_open=False)
    pd = setting.get("prong_diameter_mm")
    pd = default_prong_diameter(poly) if pd is None else number_option("prong_diameter_mm", pd, 0.3, 2.0)
    y_g = band.r_out + clear - y_bot
    base_y = (band.r_out - 0.5 * band.t) - y_g
    z_room = max(0.1, band.w / 2 - pd / 2 - 0.1)
    x_room = 0.3 * band.r_in
    gallery = bool_option("gallery", setting.get("gallery", True))
    head = prong_head(stone, prongs=setting.get("prongs"), prong_diameter_mm=pd, base_y_mm=base_y,
                      foot_room_mm=(x_room, z_room), gallery=gallery)
    return head, pd, y_g


def _prong(stone: MeshPart, setting: dict, band: Band, poly: np.ndarray, y_bot: float) -> Head:
    head, _, y_g = _prong_parts(stone, setting, band, poly, y_bot)
    return Head(head, [], y_g)


def _halo(stone: MeshPart, setting: dict, band: Band, poly: np.ndarray, y_bot: float) -> Head:
    head, pd, y_g = _prong_parts(stone, setting, band, poly, y_bot)
    r_in, t = band.r_in, band.t
    halo = halo_setting(stone, melee_diameter_mm=setting.get("melee_diameter_mm", 1.3),
                        gap_mm=setting.get("gap_mm", 0.85 * pd + 0.05),
                        spacing_mm=setting.get("spacing_mm", 0.1))
    frame = halo[0]
    # Two posts carry the halo down into the band, at its widest across the finger.
    fv = frame.vertices.astype(np.float64)
    y_low = float(fv[:, 1].min())
    struts = []
    rs = max(0.25, 0.35 * pd)
    for sgn in (-1.0, 1.0):
        sel = fv[np.abs(fv[:, 2]) < 0.3]
        x_c = float(sgn * np.max(sgn * sel[:, 0])) - sgn * 0.35
        x_c = float(np.clip(x_c, -(r_in + 0.5 * t) + 0.1, (r_in + 0.5 * t) - 0.1))
        y_foot = math.sqrt((r_in + 0.5 * t) ** 2 - x_c ** 2) - y_g
        path = np.linspace([x_c, y_low + 0.15, 0.0], [x_c, y_foot, 0.0], 6)
        struts.append(assets.tube(path, rs, sides=10, name="strut"))
    return Head(head + [assets.merge_parts([frame] + struts, "halo_frame", "metal")], list(halo[1:]), y_g)


def _cup(stone: MeshPart, setting: dict, band: Band, poly: np.ndarray, y_bot: float) -> Head:
    cd = setting.get("cup_diameter_mm")
    # small pearls get a thinner rim by default (0.4 mm from a 3.6 mm cup up)
    ro = (float(np.max(np.linalg.norm(poly, axis=1))) / 2 if cd is None
          else number_option("cup_diameter_mm", cd, 0.0, 1e3) / 2)
    cup_kw = dict(cup_diameter_mm=cd, cup_depth_mm=setting.get("cup_depth_mm"),
                  wall_mm=setting.get("wall_mm", min(0.4, 0.22 * ro)))
    cup_kw["stem_diameter_mm"] = None
    _, info = cup_profile(stone, base_y_mm=None, **cup_kw)
    # A stem too thick for the band is thinned to fit across it.
    if info["stem_radius"] > band.w / 2 - 0.1:
        cup_kw["stem_diameter_mm"] = max(0.3, band.w - 0.2)
    # The pearl's bottom stands so that a short stem (0.35 mm) shows between the
    # band and the cup; the stem goes on half-way into the band.
    clear = setting.get("culet_clearance_mm")
    clear = (y_bot - info["cup_bottom_y"] + 0.35 if clear is None
             else number_option("culet_clearance_mm", clear, 0.0, 10.0, low_open=False))
    y_g = band.r_out + clear - y_bot
    base_y = min((band.r_out - 0.5 * band.t) - y_g, info["cup_bottom_y"] - 0.3)
    return Head([cup_setting(stone, base_y_mm=base_y, **cup_kw)], [], y_g)


def _bezel(stone: MeshPart, setting: dict, band: Band, poly: np.ndarray, y_bot: float) -> Head:
    r_in, r_out, t = band.r_in, band.r_out, band.t
    clear = number_option("culet_clearance_mm", setting.get("culet_clearance_mm", 0.3), 0.0, 10.0, low_open=False)
    y_g = r_out + clear - y_bot
    x_out = float(np.max(np.abs(poly[:, 0]))) + number_option("wall_mm", setting.get("wall_mm", 0.5), 0.15, 2.0)
    # the collar's bottom sinks 0.4 mm into the band where the band is lowest under it
    y_b = math.sqrt(max(r_out ** 2 - min(x_out, r_out) ** 2, 0.0)) - 0.4
    y_b = max(y_b, r_in + 0.5 * t)
    base_y = min(y_b - y_g, -0.8)
    return Head([bezel_setting(stone, lip_mm=setting.get("lip_mm", 0.4), wall_mm=setting.get("wall_mm", 0.5),
                               cover_mm=setting.get("cover_mm"), base_y_mm=base_y)], [], y_g)


#: Setting style -> the function that builds its head (stone, setting, band, outline, stone bottom y).
HEADS: dict[str, Callable[..., Head]] = {"prong": _prong, "bezel": _bezel, "halo": _halo, "cup": _cup}
SETTING_STYLES = tuple(HEADS)


def ring_assembly(*, inner_diameter_mm: float, band_width_mm: float = 2.0, band_thickness_mm: float = 1.7,
                  band_profile: str = "court", stone: MeshPart | None = None, setting: dict | None = None,
                  accent: dict | None = None, band_segments: int = 128) -> list[MeshPart]:
    """A whole ring in the piece frame: band, head, centre stone and accent melee.

    The centre stone (stone frame) is lifted straight up (+Y) to where a jeweller sets
    it: for prong and halo heads its culet ``culet_clearance_mm`` (default 0.5 mm) above
    the band's outer surface, the prongs' feet sunk half-way into the band; in a bezel
    its culet 0.3 mm above the band, the girdle at the top of the bezel's inner wall and
    the collar's bottom sunk into the band; on a cup (pearls) the cup stands on a short
    stem whose foot is sunk half-way into the band, the pearl's lowest point about 1 mm
    above it.  Elongated stones keep their long axis along
    +Z (north-south on the finger).

    Parameters
    ----------
    inner_diameter_mm, band_width_mm, band_thickness_mm : float
        Ring size (inner diameter) and band dimensions, mm.
    band_profile : {"court", "flat"}
    stone : MeshPart, optional
        The centre stone in its stone frame (e.g. :func:`jewelrender.geometry.assets.round_brilliant`
        or ``jewelrender.geometry.cuts.make_stone``); ``None`` for a band without a head.
    setting : dict, optional
        How the centre stone is held; needs a stone.  ``style`` is one of
        ``"prong"`` (``prongs``, ``prong_diameter_mm``, ``culet_clearance_mm``,
        ``gallery``), ``"bezel"`` (``lip_mm``, ``wall_mm``, ``cover_mm``,
        ``culet_clearance_mm``), ``"halo"`` (the prong keys and ``melee_diameter_mm``,
        ``gap_mm``, ``spacing_mm``) or ``"cup"`` for a round pearl (``cup_diameter_mm``,
        ``cup_depth_mm``, ``wall_mm``, ``culet_clearance_mm``; see
        :func:`jewelrender.geometry.mounts.cup_setting`). Default ``{"style": "prong"}``.
    accent : dict, optional
        Melee along the band: ``style`` ``"pave"`` or ``"channel"`` with ``count``,
        ``melee_diameter_mm`` (default 1.5), ``spacing_mm`` and ``gem`` (the renderer's
        business; only checked to be a string).
    band_segments : int
        Band subdivisions around the axis.

    Returns
    -------
    list of MeshPart
        ``"band"``, [``"beads"``], [``"head"``], ``"prong_<i>"`` / ``"bezel"`` / ``"cup"``,
        [``"halo_frame"``], ``"stone"``, ``"accent_<i>"`` (halo melee first, then the
        band's); piece frame, millimetres.

    Raises
    ------
    InvalidOptionError
        Unknown styles or options, values out of range, or a combination that does not
        fit (melee too wide for the band, too many for the shoulders, ...).
    """
    d_in = number_option("inner_diameter_mm", inner_diameter_mm, 5.0, 40.0)
    w = number_option("band_width_mm", band_width_mm, 0.5, 20.0)
    t = number_option("band_thickness_mm", band_thickness_mm, 0.3, 10.0)
    segs = int_option("band_segments", band_segments, 16, 4096)
    band = Band(d_in / 2, d_in / 2 + t, w, t)
    if stone is None and setting is not None:
        raise InvalidOptionError("a setting needs a stone", details={"option": "setting"})
    if accent is not None:
        accent = _check_dict("accent", accent, {s: ACCENT_KEYS for s in ACCENT_STYLES}, ACCENT_STYLES)
        if "gem" in accent and not isinstance(accent["gem"], str):
            raise InvalidOptionError("accent.gem must be a string", details={"option": "accent.gem"})

    head: list[MeshPart] = []
    centre: list[MeshPart] = []
    halo_melee: list[MeshPart] = []
    if stone is not None:
        v = check_stone(stone)
        if stone.role != "stone":
            raise InvalidOptionError(f"the centre stone must have role 'stone', got {stone.role!r}",
                                     details={"option": "stone", "role": stone.role})
        setting = {"style": "prong"} if setting is None else setting
        setting = _check_dict("setting", setting, SETTING_KEYS, SETTING_STYLES)
        built = HEADS[setting["style"]](stone, setting, band, outline_polygon(stone), float(v[:, 1].min()))
        off = np.array([0.0, built.y_g, 0.0])
        head = [assets.translate(p, off) for p in built.parts]
        halo_melee = [assets.translate(p, off) for p in built.halo_melee]
        centre = [assets.translate(stone, off, name="stone")]

    if accent is not None:
        excl = 0.0
        if head:
            # keep clear of whatever the head puts near the band (feet, collar, posts)
            hv = np.concatenate([p.vertices for p in head]).astype(np.float64)
            near = hv[hv[:, 1] < band.r_out + 1.2]
            excl = float(np.max(np.abs(near[:, 0]))) + 0.2 if len(near) else 1.0
        band_parts = accent_band(inner_diameter_mm=d_in, band_width_mm=w, band_thickness_mm=t,
                                 band_profile=band_profile, style=accent["style"], count=accent.get("count"),
                                 melee_diameter_mm=accent.get("melee_diameter_mm", 1.5),
                                 spacing_mm=accent.get("spacing_mm"), exclude_x_mm=excl, band_segments=segs,
                                 count_at_most=True)
        metal = [p for p in band_parts if p.role == "metal"]
        band_melee = [p for p in band_parts if p.role == "stone"]
    else:
        metal = [assets.court_band(d_in, w, t, profile=band_profile, segments=segs)]
        band_melee = []
    accents = [MeshPart(f"accent_{i}", "stone", p.vertices, p.faces, None)
               for i, p in enumerate(halo_melee + band_melee)]
    return metal + head + centre + accents


def parts(piece, inner_diameter_mm: float) -> list[MeshPart]:
    """A catalog ring's meshes (piece frame, mm) for a finger of this inner diameter.

    Raises
    ------
    CatalogError
        The entry's options do not make a ring (e.g. melee too wide for the band); the
        message names the entry.
    """
    band = piece.band
    try:
        stone = stone_part(piece.stone) if piece.stone else None
        return ring_assembly(
            inner_diameter_mm=inner_diameter_mm,
            band_width_mm=band["width_mm"],
            band_thickness_mm=band["thickness_mm"],
            band_profile=band.get("profile", "court"),
            stone=stone,
            setting=piece.setting if stone is not None else None,
            accent=piece.accent,
        )
    except MeshError:
        raise
    except InvalidOptionError as exc:
        if exc.details.get("option") == "inner_diameter_mm":  # the finger, not the entry
            raise
        raise CatalogError(f"catalog entry {piece.id!r}: {exc.message}", details=exc.details) from None
