"""Render the metal x finish swatch chart into docs/images/swatches.png.

Every metal preset (:func:`jewelrender.library.materials.list_metals`) in every finish
(:func:`jewelrender.library.materials.list_finishes`) on the same court band (5 mm wide,
US 7), with the library's own meshes (including the band's texture coordinates,
which orient the brushed finish and the hammer dimples), spectral BSDFs and
renderer, under the CC0 studio HDRI Poly Haven ``studio_small_03`` (read from
the shared data folder, never copied). Columns are metals, rows finishes.

Usage::

    python docs/make_swatches.py [--spp 256] [--cell 84]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _studio import grid_fov, render, rot, save_image  # noqa: E402

#: Short column titles (the chart is small).
SHORT = {
    "gold-24k": "24k", "yellow-gold-22k": "22k Y", "yellow-gold-18k": "18k Y", "yellow-gold-14k": "14k Y",
    "rose-gold-18k": "18k rose", "rose-gold-14k": "14k rose", "white-gold-18k": "18k W Rh",
    "white-gold-18k-palladium": "18k W Pd*", "silver-925": "925 Ag", "platinum-950": "Pt950",
    "palladium": "Pd", "rhodium": "Rh", "copper": "Cu", "nickel": "Ni",
}


def render_chart(spp: int, cell: int) -> tuple[np.ndarray, list[str], list[str]]:
    import mitsuba as mi

    from jewelrender.geometry import assets
    from jewelrender import backend
    from jewelrender.library import materials
    from jewelrender.scene import SceneMesh

    backend.select()
    metals, finishes = materials.list_metals(), materials.list_finishes()
    band = assets.court_band(17.3, 5.0, 1.8, segments=160)
    # axis tipped towards the camera and turned: the outside, an edge and the inside all show
    R = rot("y", 30) @ rot("x", -62)
    pitch = 26.0  # mm between ring centres
    meshes = []
    for j, fin in enumerate(finishes):
        for i, pid in enumerate(metals):
            offset = np.array([(i - (len(metals) - 1) / 2) * pitch, ((len(finishes) - 1) / 2 - j) * pitch, 0.0])
            bsdf = materials.prepare_for_mitsuba(materials.metal_bsdf_dict(pid, finish=fin))
            v = band.vertices.astype(np.float64) @ R.T + offset
            n = (band.normals.astype(np.float64) @ R.T).astype(np.float32)
            meshes.append(SceneMesh(f"{pid}_{fin}", "metal", v.astype(np.float32), band.faces, n, bsdf,
                                    texcoords=band.texcoords))
    dist = 2000.0
    rgba = render(mi, meshes, integrator={"type": "path", "max_depth": 8, "hide_emitters": True}, spp=spp,
                  width=cell * len(metals), height=cell * len(finishes),
                  fov=grid_fov(pitch, len(metals), dist), origin=(0, 0, dist))
    return rgba, [SHORT.get(m, m) for m in metals], finishes


def main() -> None:
    from PIL import Image, ImageDraw

    from jewelrender.color import linear_to_srgb8

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--spp", type=int, default=256)
    ap.add_argument("--cell", type=int, default=84, help="pixels per swatch")
    args = ap.parse_args()
    t0 = time.perf_counter()
    rgba, cols, rows = render_chart(args.spp, args.cell)
    h, w = rgba.shape[:2]
    back = np.full((h, w, 3), 0.62, np.float32)  # a light grey card
    a = np.clip(rgba[..., 3:4], 0, 1)
    img = linear_to_srgb8(rgba[..., :3] + back * (1 - a))  # the film's RGB is premultiplied by coverage
    top, left = 16, 64
    canvas = Image.new("RGB", (w + left, h + top + 14), (236, 236, 236))
    canvas.paste(Image.fromarray(img), (left, top))
    draw = ImageDraw.Draw(canvas)
    for i, name in enumerate(cols):
        draw.text((left + i * args.cell + 4, 3), name, fill=(20, 20, 20))
    for j, name in enumerate(rows):
        draw.text((4, top + j * args.cell + args.cell // 2 - 5), name, fill=(20, 20, 20))
    draw.text((4, h + top + 2), "* unplated Pd white gold: model estimate, known too yellow (docs/metals.md)",
              fill=(60, 60, 60))
    save_image(canvas, "swatches.png", t0)


if __name__ == "__main__":
    main()
