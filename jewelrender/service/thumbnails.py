"""Catalog thumbnails for the page: a flat SVG drawing of each piece, not a render.

A render per piece would cost seconds of the one worker; the drawing costs
microseconds and is honest about what it is (the page labels it an
illustration). Colours come from the optics: the metal's normal-incidence
reflectance colour (:func:`jewelrender.materials.metal_lab`'s XYZ), a coloured
gem's CIELAB at its reference path length, an opaque stone's diffuse albedo
(:func:`jewelrender.media.diffuse_albedo`).
"""

from __future__ import annotations

import functools
import html

import numpy as np

from .. import color
from ..library import catalog, materials, media, optics
from ..errors import CatalogError

__all__ = ["piece_svg"]

_WHITE_D65 = np.array([0.95047, 1.0, 1.08883])


def _hex(srgb) -> str:
    v = np.clip(np.asarray(srgb, dtype=float), 0, 1)
    return "#" + "".join(f"{int(round(c * 255)):02x}" for c in v)


@functools.lru_cache(maxsize=64)
def _metal_hex(metal_id: str) -> str:
    preset = materials.metal(metal_id)
    wl = np.arange(optics.COLOR_RANGE_NM[0], optics.COLOR_RANGE_NM[1] + 0.5, 5.0)
    n, k = preset.data.nk(wl)
    _, xyz = optics.conductor_lab(wl, n, k)
    return _hex(color.linear_to_srgb(np.clip(color.xyz_to_linear_srgb(xyz), 0, 1)))


def _lab_to_xyz(lab) -> np.ndarray:
    L, a, b = lab
    fy = (L + 16) / 116
    f = np.array([fy + a / 500, fy, fy - b / 200])
    t = np.where(f > 6 / 29, f ** 3, 3 * (6 / 29) ** 2 * (f - 4 / 29))
    return t * _WHITE_D65


@functools.lru_cache(maxsize=64)
def _gem_hex(gem: str) -> str:
    try:
        lab = materials.gem_variety(gem).lab
    except CatalogError:
        lab = None
    if not lab and gem in media.list_medium_stones():  # turquoise, onyx, pearl, ...: their diffuse colour
        wl = np.arange(optics.COLOR_RANGE_NM[0], optics.COLOR_RANGE_NM[1] + 0.5, 5.0)
        xyz = optics.reflectance_to_xyz(wl, media.diffuse_albedo(media.medium_stone_data(gem), wl))
        return _hex(color.linear_to_srgb(np.clip(color.xyz_to_linear_srgb(xyz), 0, 1)))
    if not lab:  # colourless (diamond, moissanite): a pale, cool white
        return "#eef3f8"
    return _hex(color.linear_to_srgb(np.clip(color.xyz_to_linear_srgb(_lab_to_xyz(lab)), 0, 1)))


@functools.lru_cache(maxsize=128)
def piece_svg(piece_id: str) -> str:
    """A 96x96 SVG: the band as an ellipse in the metal's colour, the centre stone on top."""
    p = catalog.get_piece(piece_id)
    metal = _metal_hex(p.metal)
    width_mm = float(p.band.get("width_mm", 2.0))
    stroke = max(3.0, min(12.0, 2.6 * width_mm))
    parts = [f'<ellipse cx="48" cy="56" rx="32" ry="26" fill="none" stroke="{metal}" stroke-width="{stroke:.1f}"/>',
             f'<ellipse cx="48" cy="56" rx="32" ry="26" fill="none" stroke="#000" stroke-opacity=".25" '
             f'stroke-width="1"/>']
    if p.stone:
        size = p.stone.get("size_mm", 6.0)
        size = float(size[0] if isinstance(size, (list, tuple)) else size)
        r = max(5.0, min(16.0, 1.8 * size))
        parts.append(f'<circle cx="48" cy="{30 - r / 3:.1f}" r="{r:.1f}" fill="{_gem_hex(p.stone["gem"])}" '
                     f'stroke="{metal}" stroke-width="2.5"/>')
    elif p.accent:
        parts += [f'<circle cx="{48 + dx}" cy="31" r="2.2" fill="#eef3f8" stroke="{metal}"/>' for dx in (-12, -6, 0, 6, 12)]
    title = html.escape(f"{p.label} (illustration)")
    return ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 96 96" width="96" height="96">'
            f'<title>{title}</title><rect width="96" height="96" rx="10" fill="#23252b"/>' + "".join(parts) + "</svg>")
