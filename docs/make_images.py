"""Regenerate the pictures in docs/images from the library's own renderer.

``pieces.png``: the catalog's solitaire and court band, rendered with the same meshes,
measured metal spectra, dispersive diamond BSDF and integrator as a try-on, under a
CC0 studio HDRI (Poly Haven ``studio_small_03``, read from the shared data folder,
never copied). No photo of a person is involved, so the image may be published.

Usage::

    python docs/make_images.py [--spp 1024]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _studio import render, rot  # noqa: E402


def render_pieces(spp: int, width: int = 960, height: int = 480) -> np.ndarray:
    import mitsuba as mi

    from jewelrender import backend
    from jewelrender.library import catalog, materials
    from jewelrender.pieces import piece_parts
    from jewelrender.scene import SceneMesh, stone_bsdf_dict

    backend.select()
    meshes = []
    layout = [("solitaire-round-1ct-18k-yellow", np.array([-13.0, 0.0, 0.0]), rot("y", -25) @ rot("x", -15)),
              ("band-court-4mm-18k-yellow", np.array([13.0, -2.0, 0.0]), rot("y", 35) @ rot("x", -20))]
    for pid, offset, R in layout:
        piece = catalog.get_piece(pid)
        metal = materials.metal_bsdf_dict(materials.metal(piece.metal))
        stone = stone_bsdf_dict(piece.stone["gem"]) if piece.stone else None
        for part in piece_parts(piece, 17.3):  # US 7
            v = part.vertices.astype(np.float64) @ R.T + offset
            n = None if part.normals is None else (part.normals.astype(np.float64) @ R.T).astype(np.float32)
            meshes.append(SceneMesh(part.name, part.role, v.astype(np.float32), part.faces, n,
                                    stone if part.role == "stone" else metal))
    return render(mi, meshes, integrator={"type": "hero_path", "max_depth": 16, "hide_emitters": True}, spp=spp,
                  width=width, height=height, fov=30, origin=(0, 40, 112), target=(0, 7, 0))


def main() -> None:
    import imageio.v3 as iio

    from jewelrender.color import linear_to_srgb8

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--spp", type=int, default=1024)
    args = ap.parse_args()
    rgba = render_pieces(args.spp)
    h, w = rgba.shape[:2]
    # A soft studio backdrop: light grey, brighter towards the top.
    back = np.linspace(0.80, 0.55, h, dtype=np.float32)[:, None, None] * np.ones((1, w, 3), np.float32)
    a = np.clip(rgba[..., 3:4], 0, 1)
    out = rgba[..., :3] + back * (1 - a)   # the film's RGB is premultiplied by coverage
    (HERE / "images").mkdir(exist_ok=True)
    iio.imwrite(HERE / "images" / "pieces.png", linear_to_srgb8(out))
    print(f"wrote {HERE / 'images' / 'pieces.png'}")


if __name__ == "__main__":
    main()
