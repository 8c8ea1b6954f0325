"""Render the cut x stone contact sheet into docs/images/contact_sheet.png.

Row 1: every faceted cut of :data:`jewelrender.geometry.cuts.CUTS` as a 1 ct D-colour
diamond. Rows 2-3: one stone per coloured variety
(:func:`jewelrender.library.materials.list_gem_varieties`; of the diamond colour
grades only D and J, the two ends of the shipped range) in a cut that is
usual for it. Row 4: the scattering stones
(:func:`jewelrender.library.media.list_medium_stones`) as cabochons, the pearl as a
pearl. Every stone is seen face-up, tilted 25 degrees towards the top of the
image, with the library's own meshes, spectral BSDFs, media and ``hero_path``
integrator (faceted stones in one scene, scattering stones in a second one with
their own sample count), under the CC0 studio HDRI Poly Haven
``studio_small_03`` (read from the shared data folder, never copied).

Usage::

    python docs/make_contact_sheet.py [--spp 768] [--medium-spp 512] [--cell 160]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _studio import HDRI_SCALE, grid_fov, hdri_path, render, rot, save_image  # noqa: E402

#: A cut that is usual in the trade for each coloured variety (face-up look, not a rule).
VARIETY_CUT = {
    "ruby": "oval", "pink-sapphire": "pear", "sapphire": "cushion", "yellow-sapphire": "princess",
    "emerald": "emerald", "aquamarine": "asscher", "amethyst": "heart", "citrine": "marquise",
    "peridot": "round-brilliant", "green-tourmaline": "baguette", "tanzanite": "oval",
    "garnet": "round-brilliant", "blue-topaz": "cushion", "red-spinel": "cushion",
    "diamond-d": "round-brilliant", "diamond-j": "round-brilliant",
}
#: Diamond colour grades left out (D and J bracket them; the steps are too small to see here).
SKIP_VARIETIES = {"diamond-e", "diamond-f", "diamond-g", "diamond-h", "diamond-i"}
CARAT = 1.0
PEARL_MM = 7.0  # a common strand size; ``carat`` with the diamond density would give a 4.8 mm pearl
SPP_GEMS = 768
SPP_MEDIA = 512
PITCH_MM = 11.5  # centre-to-centre; the longest 1 ct stone (marquise) is 10.7 mm, 9.7 mm tilted



def _env_clamp() -> float:
    import imageio.v3 as iio

    from jewelrender.lighting import EnvMap
    from jewelrender.render import medium_clamp

    rad = iio.imread(hdri_path()).astype(np.float32)[..., :3] * HDRI_SCALE
    return medium_clamp(EnvMap(rad))


def layout() -> list[list[tuple[str, str, str]]]:
    """Rows of ``(cut, stone, kind)``; kind is ``"gem"`` or ``"medium"``."""
    from jewelrender.geometry import cuts
    from jewelrender.library import materials, media

    faceted = [c for c in cuts.CUTS if c not in ("cabochon", "pearl")]
    varieties = [v for v in materials.list_gem_varieties() if v not in SKIP_VARIETIES]
    coloured = [(VARIETY_CUT.get(v, "round-brilliant"), v, "gem") for v in varieties]
    half = (len(coloured) + 1) // 2
    return [[(c, "diamond-d", "gem") for c in faceted], coloured[:half], coloured[half:],
            [("pearl" if s == "pearl" else "cabochon", s, "medium") for s in media.list_medium_stones()]]


def render_rows(rows, spp: int, cell: int, ncols: int) -> tuple[np.ndarray, list[list[float]]]:
    """Render the stones of some rows of the sheet in one scene.

    Parameters
    ----------
    rows : list of list of (str, str, str)
        Rows of :func:`layout`.
    spp : int
        Samples per pixel.
    cell : int
        Tile size in pixels.
    ncols : int
        Tiles per row of the whole sheet (rows with fewer stones are centred).

    Returns
    -------
    rgba : ndarray, shape (len(rows) * cell, ncols * cell, 4), float32
        Linear-sRGB radiance premultiplied by coverage, alpha last.
    centres : list of list of float
        Each stone's centre column in pixels, per row.
    """
    import mitsuba as mi

    from jewelrender import backend
    from jewelrender.geometry import cuts
    from jewelrender.library import media
    from jewelrender.scene import SceneMesh, stone_bsdf_dict

    backend.select()
    # Stone frame: table (or dome) along +Y. Camera looks down -Z with +Y up in the image:
    # +90 deg about X turns the table to the camera, 25 deg less leaves it tipped back.
    R = rot("x", 90 - 25)
    meshes, centres = [], []
    for j, row in enumerate(rows):
        y0 = ((len(rows) - 1) / 2 - j) * PITCH_MM
        xs = [(i - (len(row) - 1) / 2) * PITCH_MM for i in range(len(row))]
        centres.append([(x / PITCH_MM + ncols / 2) * cell for x in xs])
        for x0, (cut, stone, kind) in zip(xs, row):
            if cut == "pearl":
                part = cuts.make_stone(cut, size_mm=PEARL_MM)
            else:
                part = cuts.make_stone(cut, carat=CARAT)
            v = part.vertices.astype(np.float64)
            v -= 0.5 * (v.min(0) + v.max(0))  # centre the bounding box, not the girdle plane
            v = v @ R.T + [x0, y0, 0.0]
            # Faceted stones carry no normals (flat facets); cabochons and pearls do (smooth).
            n = None if part.normals is None else (part.normals.astype(np.float64) @ R.T).astype(np.float32)
            if kind == "gem":
                bsdf, interior = stone_bsdf_dict(stone, length_unit_m=1e-3), None
            else:
                # As a try-on renders them (scenes/quality.toml, thick_media = "surface"): the
                # optically thick stones at their diffusion limit, the translucent ones by the walk.
                frag = (media.surface_limit(stone) if media.is_optically_thick(stone)
                        else media.medium_stone(stone, unit="mm"))
                bsdf, interior = frag["bsdf"], frag["interior"]
            meshes.append(SceneMesh(f"{cut}_{stone}", "stone", v.astype(np.float32), part.faces, n, bsdf,
                                    interior=interior))
    dist = 2000.0  # far away: nearly orthographic, every tile sees its stone the same way
    # The try-on's firefly clamp for translucent stones (render.medium_clamp), from the HDRI's mean.
    integrator = {"type": "hero_path", "max_depth": 16, "hide_emitters": True, "medium_clamp": _env_clamp()}
    rgba = render(mi, meshes, integrator=integrator, spp=spp, width=cell * ncols, height=cell * len(rows),
                  fov=grid_fov(PITCH_MM, ncols, dist), origin=(0, 0, dist))
    return rgba, centres


def main() -> None:
    from PIL import Image, ImageDraw

    from jewelrender.color import linear_to_srgb8

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--spp", type=int, default=SPP_GEMS, help="samples per pixel, faceted stones")
    ap.add_argument("--medium-spp", type=int, default=SPP_MEDIA, help="samples per pixel, scattering stones")
    ap.add_argument("--cell", type=int, default=160, help="pixels per tile (square)")
    args = ap.parse_args()
    t0 = time.perf_counter()
    rows = layout()
    ncols = max(len(r) for r in rows)
    # Two scenes: the scattering stones need many more samples than the faceted ones, and
    # spending them on the whole sheet would more than double the run time.
    parts, centres = [], []
    for group, spp in ((rows[:-1], args.spp), (rows[-1:], args.medium_spp)):
        t = time.perf_counter()
        rgba, c = render_rows(group, spp, args.cell, ncols)
        parts.append(rgba)
        centres += c
        print(f"{sum(len(r) for r in group)} stones at {spp} spp: {time.perf_counter() - t:.0f} s")
    rgba = np.concatenate(parts, axis=0)
    h, w = rgba.shape[:2]
    # A soft studio backdrop: light grey, brighter towards the top of each tile.
    back = np.tile(np.linspace(0.78, 0.58, args.cell, dtype=np.float32), h // args.cell)[:, None, None]
    a = np.clip(rgba[..., 3:4], 0, 1)
    img = linear_to_srgb8(rgba[..., :3] + back * (1 - a))  # the film's RGB is premultiplied by coverage
    cap = 26  # two caption lines under every row of tiles
    canvas = Image.new("RGB", (w, len(rows) * (args.cell + cap)), (236, 236, 236))
    draw = ImageDraw.Draw(canvas)
    for j, row in enumerate(rows):
        top = j * (args.cell + cap)
        canvas.paste(Image.fromarray(img[j * args.cell:(j + 1) * args.cell]), (0, top))
        for cx, (cut, stone, _) in zip(centres[j], row):
            for k, line in enumerate((cut, stone + (" 1 ct" if j == 0 else ""))):
                tw = draw.textlength(line)
                draw.text((cx - tw / 2, top + args.cell + 1 + 12 * k), line, fill=(20, 20, 20))
    save_image(canvas, "contact_sheet.png", t0)


if __name__ == "__main__":
    main()
