"""Write docs/notebooks/*.ipynb from the cell sources below and execute them, saving their outputs.

Usage (from the repository root)::

    python docs/notebooks/make_notebooks.py            # full size: the pictures committed with the notebooks
    JEWELRENDER_NB_SIZE=48 python docs/notebooks/make_notebooks.py --no-save   # what the tests do

The notebooks read HDRIs and the sample photo from the shared data folder
(``$JEWELRENDER_DATA`` or ``../shared/data``) at run time; nothing is copied. The
pictures they keep are renders under CC0 HDRIs (Poly Haven) and, in the try-on
notebook, of the CC BY-SA 4.0 sample hand photo (attributed in the notebook; its
pictures are shared under the same licence).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]

COMMON = '''\
import os
from pathlib import Path

import numpy as np
from IPython.display import display
from PIL import Image

# Picture size and samples: the test suite runs this notebook small (JEWELRENDER_NB_SIZE=48).
SIZE = int(os.environ.get("JEWELRENDER_NB_SIZE", "{size}"))
SPP = int(os.environ.get("JEWELRENDER_NB_SPP", "{spp}"))


def find_data() -> Path:
    """The shared data folder: $JEWELRENDER_DATA, else shared/data beside a parent of this folder."""
    env = os.environ.get("JEWELRENDER_DATA")
    if env:
        return Path(env)
    for parent in [Path.cwd(), *Path.cwd().parents]:
        if (parent / "shared" / "data" / "MANIFEST.md").is_file():
            return parent / "shared" / "data"
    raise FileNotFoundError("shared data not found: set JEWELRENDER_DATA")


DATA = find_data()
show = lambda arr: display(Image.fromarray(np.asarray(arr)))  # noqa: E731
'''

#: First line of a cell whose pictures must not be committed (they show licensed product photos).
NO_COMMIT = "# pictures of this cell are not committed: the product shots are licensed for evaluation only"


def strip_licensed_outputs(nb):
    """Empty the outputs of the cells marked :data:`NO_COMMIT` before a notebook is written."""
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.source.startswith(NO_COMMIT):
            cell.outputs = []
            cell.execution_count = None
    return nb


LOOKDEV = [
    ("markdown", """\
# Look development

A piece under several studio lights, turned, with its metal and stones swapped, side by side: the same
meshes, measured metal spectra, dispersive gem BSDF and integrator as a try-on (`jewelrender.lookdev`).
The HDRIs are Poly Haven's (CC0), read from the shared data folder at run time, never copied."""),
    ("code", COMMON.format(size=160, spp=64)),
    ("code", """\
import tempfile

import jewelrender as jr
from jewelrender import cad, lookdev
from jewelrender.gltf import export_piece

HDRIS = [DATA / "hdri" / n for n in ("studio_small_03_1k.hdr", "artist_workshop_1k.hdr", "rooitou_park_1k.hdr")]
PIECE = "solitaire-round-1ct-18k-yellow"

# A brand's CAD comes as glTF: export a catalog piece and load it back as a whole piece.
tmp = Path(tempfile.mkdtemp())
export_piece(PIECE, tmp / "solitaire.glb")
ring = cad.load_piece(tmp / "solitaire.glb")
print(ring.label, "- measured inner diameter", round(ring.inner_diameter_mm, 2), "mm")
print({name: mat for name, (_, mat) in ring.part_materials.items()})"""),
    ("markdown", "## Turntable under three HDRIs\nOne render per row: the tiles share the light and one orthographic camera."),
    ("code", """\
for hdri in HDRIS:
    print(hdri.name)
    show(lookdev.turntable(ring, hdri, frames=4, size=SIZE, spp=SPP))"""),
    ("markdown", "## Metals swapped\nThe same piece in four presets (normal-incidence colour from the measured n, k)."),
    ("code", """\
metals = ["yellow-gold-18k", "rose-gold-18k", "white-gold-18k", "platinum-950"]
show(lookdev.side_by_side([lookdev.studio_row([dict(piece=PIECE, metal=m) for m in metals], HDRIS[0],
                                              size=SIZE, spp=SPP)], labels=[" | ".join(metals)]))"""),
    ("markdown", "## Stones swapped\nDiamond, moissanite (more than twice its fire), sapphire, ruby and emerald in the same head; `jewelrender gems` lists them all."),
    ("code", """\
stones = ["diamond", "moissanite", "sapphire", "ruby", "emerald"]
show(lookdev.side_by_side([lookdev.studio_row([dict(piece=PIECE, stone=s, yaw_deg=0) for s in stones], HDRIS[1],
                                              size=SIZE, spp=SPP, pitch_deg=30)], labels=[" | ".join(stones)]))"""),
    ("markdown", "## Cuts and settings composed\nThe catalog piece with another cut, weight or setting (`try-on --cut --carat --setting`)."),
    ("code", """\
looks = [dict(piece=PIECE), dict(piece=PIECE, cut="oval", carat=1.5), dict(piece=PIECE, cut="cushion", setting="halo"),
         dict(piece=PIECE, cut="emerald", setting="bezel")]
show(lookdev.studio_row(looks, HDRIS[0], size=SIZE, spp=SPP, pitch_deg=35))"""),
    ("markdown", """\
## Metals matched to product photos

`jewelrender match-material` (`jewelrender.matching`) poses a catalog piece on a brand's product shot and
fits its metal's tint and roughness and a studio's lights by differentiable rendering (Mitsuba AD). Each row:
**photo | before** (the nearest shipped preset, default studio) **| lights only | after** (tint, roughness and
lights fitted), with the metal's ΔE2000. The pairs and the table are in `docs/lookdev.md`
(`benchmarks/bench_match_material.py`).

*The product shots (`jewelry_refs` in the shared data) are licensed for evaluation only, so this notebook is
committed without this cell's pictures: run it to see them.*"""),
    ("code", f"""\
{NO_COMMIT}
from jewelrender.matching import fit_material, load_product_shot

PAIRS = {{"samlora_ring2.jpg": "solitaire-round-1ct-6prong-platinum",
         "ringtryon_men-ring-07.png": "band-court-4mm-18k-yellow",
         "ringtryon_Ring-03.png": "band-pave-2.5mm-18k-white"}}
small_run = SIZE < 96        # the test suite: one shot, a few steps
for photo, piece in list(PAIRS.items())[: 1 if small_run else None]:
    shot = load_product_shot(DATA / "jewelry_refs" / photo, size=48 if small_run else 128)
    r = fit_material(piece, shot, iterations=4 if small_run else 40, spp=2 if small_run else 8,
                     eval_spp=4 if small_run else 32, lights_only_baseline=not small_run)
    print(f"{{photo}} on {{piece}} from {{r.base_metal}}: dE2000 {{r.delta_e_before:.2f}} -> {{r.delta_e_after:.2f}}"
          f" (silhouette IoU {{r.pose.iou:.2f}}, roughness {{r.after.alpha:.3f}})")
    show(r.pictures())"""),
]

TRYON = [
    ("markdown", """\
# A try-on, stage by stage

Landmarks, the finger's placement and proxies, the environment map recovered from the photo, the render
layers and the differential composite — what `jewelrender.try_on` does, one stage at a time (the same calls,
see `jewelrender/pipeline.py`).

*Photo: hand photo from the Human-Robot Finger-Counting Dataset (SHU Smart Interactive Technologies /
EPSRC NUMBERS project), https://github.com/EPSRC-NUMBERS/Human-Robot_Finger-Counting_Dataset, CC BY-SA 4.0
(https://creativecommons.org/licenses/by-sa/4.0/). It is read from the shared data folder's `samples/`; the
pictures below are adapted from it and shared under CC BY-SA 4.0.*"""),
    ("code", COMMON.format(size=160, spp=64)),
    ("code", """\
import cv2

from jewelrender import backend
from jewelrender.library import catalog, materials
from jewelrender.camera import camera_from_photo
from jewelrender.composite import composite
from jewelrender.landmarks import FINGERS, detect_hands
from jewelrender.lighting import estimate_lighting
from jewelrender.lighting.display import env_picture
from jewelrender.photo import load_photo
from jewelrender.sites.hand import place_ring
from jewelrender.quality import check_input
from jewelrender.render import render_layers
from jewelrender.scene import build_scene, stone_material

PHOTO = DATA / "samples" / "hand_shu-fingercount_set1-five-22.jpg"
piece = catalog.get_piece("solitaire-round-1ct-18k-yellow")
q = catalog.quality_preset("preview")
photo = load_photo(PHOTO)
print(photo.width, "x", photo.height, photo.format)


def small(img, height=None):
    height = height or max(SIZE, 96) * 3 // 2
    h, w = img.shape[:2]
    return cv2.resize(np.ascontiguousarray(img), (round(w * height / h), height), interpolation=cv2.INTER_AREA)"""),
    ("markdown", "## 1. Landmarks and the input gate\nMediaPipe's 21 hand landmarks; the gate picks the hand and refuses unusable photos before any render."),
    ("code", """\
hands = detect_hands(photo)
gate = check_input(photo, hands, finger="ring")
hand = hands[gate.hand_index]
img = photo.srgb.copy()
for a, b in [(0, 1), (1, 2), (2, 3), (3, 4), (0, 5), (5, 6), (6, 7), (7, 8), (5, 9), (9, 10), (10, 11), (11, 12),
             (9, 13), (13, 14), (14, 15), (15, 16), (13, 17), (0, 17), (17, 18), (18, 19), (19, 20)]:
    cv2.line(img, tuple(map(int, hand.image_px[a])), tuple(map(int, hand.image_px[b])), (0, 255, 120), 2)
for p in hand.image_px:
    cv2.circle(img, tuple(map(int, p)), 4, (255, 60, 60), -1)
show(small(img))"""),
    ("markdown", "## 2. Camera, placement and proxies\nThe ring's pose on the proximal phalanx, the finger's width → ring size, and the capsules standing in for the fingers and palm (occluders and shadow catchers)."),
    ("code", """\
cam = camera_from_photo(photo)
placement = place_ring(photo, hand, cam, finger="ring")
print(f"inner diameter {placement.inner_diameter_mm:.1f} mm (US {placement.ring_size_us:g}), "
      f"{placement.distance_m * 100:.0f} cm from the camera")
img = photo.srgb.copy()
for cap in placement.proxies:
    ends = cam.project(np.stack([cap.p0, cap.p1]))
    r_px = cap.radius * cam.fx / float(np.mean([cap.p0[2], cap.p1[2]]))
    cv2.line(img, tuple(map(int, ends[0])), tuple(map(int, ends[1])), (80, 160, 255), max(1, int(2 * r_px)))
overlay = cv2.addWeighted(photo.srgb, 0.55, img, 0.45, 0)
c = tuple(map(int, placement.center_px))
cv2.circle(overlay, c, 6, (255, 220, 0), -1)
show(small(overlay))"""),
    ("markdown", "## 3. The environment map recovered from the photo\nThe photo's surroundings on the sphere, a key light fitted to the skin's shading (red circle), the camera's forward direction (cross)."),
    ("code", """\
light = estimate_lighting(photo, cam, placement, env_height=q.env_height, refine=0 if SIZE < 96 else True)
show(env_picture(light, height=max(SIZE, 48)))
print({k: v for k, v in light.to_report().items() if k in ("method", "key_share")})"""),
    ("markdown", "## 4. Render layers\nOne spectral path-traced pass over the crop: the piece's radiance, its coverage (alpha), and the skin's light with and without the piece (their ratio is the shadow it casts)."),
    ("code", """\
backend.select()
metal = materials.metal(piece.metal)
spec = build_scene(cam, placement, piece, light, q, metal_bsdf=materials.metal_bsdf_dict(metal),
                   metal_bsdf_no_uv=materials.metal_bsdf_dict(metal, has_texcoords=False),
                   stones={"stone": stone_material(piece.stone["gem"]), "accent": stone_material("diamond")},
                   photo_linear=photo.linear)
layers = render_layers(spec)
from jewelrender.color import linear_to_srgb8
ratio = np.clip(layers.lit_with / np.maximum(layers.lit_without, 1e-6), 0, 1)
on_skin = (layers.proxy > 0.5) if ratio.ndim == 2 else (layers.proxy > 0.5)[..., None]
shadow = np.where(on_skin, ratio, 1.0)   # the ratio means something only on the proxies
tiles = [linear_to_srgb8(np.clip(layers.jewel, 0, 1)), (255 * np.clip(layers.alpha, 0, 1)).astype(np.uint8),
         (255 * shadow.mean(axis=-1) if shadow.ndim == 3 else 255 * shadow).astype(np.uint8)]
tiles = [t if t.ndim == 3 else np.repeat(t[..., None], 3, axis=-1) for t in tiles]
print("crop", spec.crop.to_report(), "- jewel | alpha | shadow ratio")
show(np.concatenate([small(t, 160) for t in tiles], axis=1))"""),
    ("markdown", "## 5. The composite\nThe photo times the shadow ratio, the ring over it with its alpha, blur and sensor noise matched to the photo."),
    ("code", """\
image, mask, info = composite(photo, layers, spec.crop, skin_rgb=light.info.get("skin_reference_rgb"))
y, x, h, w = spec.crop.y, spec.crop.x, spec.crop.height, spec.crop.width
pad = w // 2
crop = (slice(max(0, y - pad), y + h + pad), slice(max(0, x - pad), x + w + pad))
show(np.concatenate([small(photo.srgb[crop], 240), small(image[crop], 240)], axis=1))"""),
]


def build(name: str, cells) -> "nbformat.NotebookNode":
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for kind, src in cells:
        nb.cells.append(nbformat.v4.new_markdown_cell(src) if kind == "markdown" else nbformat.v4.new_code_cell(src))
    return nb


def execute(nb, timeout: int = 900):
    from nbclient import NotebookClient

    NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(REPO)}}).execute()
    return nb


NOTEBOOKS = {"lookdev.ipynb": LOOKDEV, "tryon_stages.ipynb": TRYON}


def main() -> None:
    import nbformat

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--no-save", action="store_true", help="execute only (a check), keep the files as they are")
    ap.add_argument("names", nargs="*", default=list(NOTEBOOKS))
    a = ap.parse_args()
    for name in a.names:
        nb = execute(build(name, NOTEBOOKS[name]))
        if not a.no_save:
            nbformat.write(strip_licensed_outputs(nb), HERE / name)
            print(f"wrote {HERE / name}")


if __name__ == "__main__":
    sys.exit(main())
