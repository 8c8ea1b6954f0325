"""The studio set-up shared by the docs' images (make_images, make_swatches, make_contact_sheet).

The CC0 Poly Haven HDRI ``studio_small_03`` is read from the shared data folder
(``benchmarks/common.data_dir``), never copied into the repository; only the
rendered images are. Lengths in millimetres; Mitsuba's +Y is up.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from common import data_dir  # noqa: E402

#: The HDRI file, its brightness and its turn about +Y (degrees): the softboxes light the pieces from the front left.
HDRI_NAME = "studio_small_03_1k.hdr"
HDRI_SCALE = 1.2
HDRI_TURN_DEG = 140.0


def hdri_path() -> Path:
    return data_dir() / "hdri" / HDRI_NAME


def rot(axis: str, deg: float) -> np.ndarray:
    """Rotation matrix (3, 3) about +X or +Y by ``deg`` degrees (right-handed)."""
    a = np.radians(deg)
    c, s = np.cos(a), np.sin(a)
    if axis == "x":
        return np.array([[1, 0, 0], [0, c, -s], [0, s, c]])
    if axis == "y":
        return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])
    raise ValueError(f"axis must be 'x' or 'y', got {axis!r}")


def render(mi, meshes, *, integrator: dict, spp: int, width: int, height: int, fov: float,
           origin, target=(0, 0, 0)) -> np.ndarray:
    """Render ``meshes`` (SceneMesh list) under the studio HDRI (hidden), RGBA float32 (H, W, 4)."""
    from jewelrender.render import _key, _mesh

    scene = mi.load_dict({
        "type": "scene",
        "integrator": integrator,
        "sensor": {
            "type": "perspective", "fov": fov, "fov_axis": "x",
            "to_world": mi.ScalarTransform4f().look_at(origin=list(origin), target=list(target), up=[0, 1, 0]),
            "film": {"type": "hdrfilm", "width": width, "height": height, "pixel_format": "rgba",
                     "rfilter": {"type": "gaussian"}},
            "sampler": {"type": "independent", "sample_count": spp},
        },
        "env": {"type": "envmap", "filename": str(hdri_path()), "scale": HDRI_SCALE,
                "to_world": mi.ScalarTransform4f().rotate([0, 1, 0], HDRI_TURN_DEG)},
        **{_key("m", k, m.name): _mesh(mi, m) for k, m in enumerate(meshes)},
    })
    return np.array(mi.render(scene, spp=spp), dtype=np.float32)


def grid_fov(pitch_mm: float, columns: int, dist_mm: float) -> float:
    """Horizontal field of view (degrees) that spans ``columns`` tiles of ``pitch_mm`` from ``dist_mm``."""
    return float(np.degrees(2 * np.arctan(pitch_mm * columns / 2 / dist_mm)))


def save_image(canvas, name: str, t0: float) -> Path:
    """Write a PIL image as ``docs/images/<name>`` (optimised PNG) and say how big and how long it took."""
    out = Path(__file__).resolve().parent / "images" / name
    out.parent.mkdir(exist_ok=True)
    canvas.save(out, optimize=True)
    print(f"wrote {out} ({out.stat().st_size / 1024:.0f} KiB) in {time.perf_counter() - t0:.0f} s")
    return out
