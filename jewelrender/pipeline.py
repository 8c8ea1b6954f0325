"""The try-on pipeline, stage by stage, and the reusable :class:`Renderer` session.

::

    photo -> landmarks -> camera + placement -> lighting -> scene -> render -> composite -> report

``try_on(photo, piece, **options)`` is ``with Renderer() as r: return r.try_on(...)``.
A :class:`Renderer` keeps the hand detector, the backend and generated piece
meshes warm across calls (web workers, notebooks). Mitsuba's variant is global
to the process, so calls on one Renderer are serialised by a lock; run one worker
process per core group rather than threads for throughput.
"""

from __future__ import annotations

import dataclasses
import json
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ._json import jsonable
from .errors import FingerNotVisibleError, InvalidOptionError

__all__ = ["TryOnResult", "Renderer", "try_on", "FINGER_NAMES", "HAND_CHOICES"]

FINGER_NAMES = ("thumb", "index", "middle", "ring", "little")
#: A try-on showing less of the ring than this (see _visible_fraction) is refused.
MIN_VISIBLE_FRACTION = 0.35
HAND_CHOICES = ("auto", "left", "right")


@dataclass
class TryOnResult:
    """Result of one try-on.

    Attributes
    ----------
    image : ndarray, (H, W, 3) uint8
        The composite, sRGB, same size and orientation as the decoded photo.
    mask : ndarray, (H, W) float32
        The piece's coverage (alpha) in [0, 1].
    report : dict
        JSON-able record of what was decided and measured (see README).
    """

    image: np.ndarray
    mask: np.ndarray
    report: dict = field(default_factory=dict)

    def save(self, path, *, mask_path=None, report_path=None) -> None:
        """Write the composite (PNG/JPEG by extension) and optionally the mask and report.

        Every file is written to a temporary name in its folder and renamed into
        place only after all of them were written, so a failure leaves nothing
        half-written.
        """
        from ._files import publish, temp_beside

        jobs = [(Path(path), "image")]
        if mask_path is not None:
            jobs.append((Path(mask_path), "mask"))
        if report_path is not None:
            jobs.append((Path(report_path), "report"))
        temps = []
        try:
            for target, what in jobs:
                if not target.parent.is_dir():
                    raise InvalidOptionError(f"output folder does not exist: {target.parent}")
                suffix = target.suffix.lower() or ".png"
                tmp = temp_beside(target, suffix)
                temps.append((tmp, target))
                if what == "report":
                    Path(tmp).write_text(json.dumps(self.report, indent=2, sort_keys=True) + "\n", encoding="utf-8")
                else:
                    self._write_image(tmp, what, suffix)
            for tmp, target in temps:
                publish(tmp, target)
            temps = []
        finally:
            for tmp, _ in temps:
                if os.path.exists(tmp):
                    os.unlink(tmp)

    def _write_image(self, tmp: str, what: str, suffix: str) -> None:
        from PIL import Image

        if what == "mask":
            arr = np.round(np.clip(self.mask, 0, 1) * 255).astype(np.uint8)
            fmt = "PNG"
        else:
            arr = self.image
            fmt = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP"}.get(suffix)
            if fmt is None:
                raise InvalidOptionError(f"unsupported output type {suffix!r}; use .png, .jpg or .webp")
        kwargs = {"quality": 95} if fmt in ("JPEG", "WEBP") else {}
        Image.fromarray(arr).save(tmp, format=fmt, **kwargs)


def _check_options(finger, hand, position, quality, min_quality=None):
    from .catalog import QUALITY_NAMES

    if finger not in FINGER_NAMES:
        raise InvalidOptionError(f"unknown finger {finger!r}; valid: {', '.join(FINGER_NAMES)}")
    if hand not in HAND_CHOICES:
        raise InvalidOptionError(f"unknown hand {hand!r}; valid: {', '.join(HAND_CHOICES)}")
    if not isinstance(position, (int, float)) or isinstance(position, bool) or not (0.0 <= float(position) <= 1.0):
        raise InvalidOptionError(f"position must be a number in [0, 1] (0 = knuckle, 1 = middle joint), got {position!r}")
    if quality not in QUALITY_NAMES:
        raise InvalidOptionError(f"unknown quality {quality!r}; valid: {', '.join(QUALITY_NAMES)}")
    if min_quality is not None and (isinstance(min_quality, bool) or not isinstance(min_quality, (int, float))
                                    or not 0.0 <= float(min_quality) <= 1.0):
        raise InvalidOptionError(f"min_quality must be a number in [0, 1], got {min_quality!r}")


class Renderer:
    """A try-on session: detector, backend and piece meshes kept warm.

    Parameters
    ----------
    variants : sequence of str, optional
        Mitsuba variants to try, in order (default: CUDA spectral, then LLVM spectral).

    Examples
    --------
    >>> with Renderer() as r:                                     # doctest: +SKIP
    ...     res = r.try_on("hand.jpg", "solitaire-round-1ct-18k-yellow")
    ...     res.save("tryon.png")
    """

    def __init__(self, *, variants=None):
        self._variants = tuple(variants) if variants else None
        self._detector = None
        self._parts_cache: dict = {}
        self._lock = threading.Lock()
        self._closed = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        if self._detector is not None:
            self._detector.close()
            self._detector = None
        self._closed = True

    @property
    def detector(self):
        if self._detector is None:
            from .landmarks import HandDetector

            self._detector = HandDetector()
        return self._detector

    def _parts(self, piece, inner_diameter_mm: float):
        from .scene import piece_parts

        key = (piece.id, round(inner_diameter_mm, 2))
        parts = self._parts_cache.get(key)
        if parts is None:
            if len(self._parts_cache) > 64:
                self._parts_cache.clear()
            parts = self._parts_cache[key] = piece_parts(piece, inner_diameter_mm)
        return parts

    def try_on(self, photo, piece, *, finger: str = "ring", hand: str = "auto", position: float = 0.35,
               quality: str = "preview", lighting: str = "photo_fit", focal_35mm: float | None = None,
               metal: str | None = None, finish: str | None = None, min_quality: float | None = None,
               refuse_multiple_hands: bool = False, seed: int = 0, max_pixels: int = 40_000_000,
               refine_lighting: bool | int = True) -> TryOnResult:
        """Render ``piece`` on ``finger`` of the hand in ``photo``.

        Parameters
        ----------
        photo : str, path, bytes, ndarray or Photo
            The customer's photo (JPEG, PNG or WebP).
        piece : str or catalog.Piece
            A catalog id (``jewelrender pieces`` lists them).
        finger : {"thumb", "index", "middle", "ring", "little"}
        hand : {"auto", "left", "right"}
            Which hand; ``auto`` takes the clearest one found.
        position : float
            Along the proximal phalanx: 0 = knuckle (MCP), 1 = middle joint (PIP).
        quality : {"preview", "final"}
        metal : str, optional
            A metal preset id (``jewelrender materials``) replacing the piece's own.
        finish : {"polished", "satin", "matte", "hammered"}, optional
            Replaces the piece's own finish.
        min_quality : float, optional
            Refuse (``LowQualityError``) a result whose quality score is below this;
            default :data:`jewelrender.quality.DEFAULT_MIN_QUALITY`.
        refuse_multiple_hands : bool
            Refuse photos with several similar hands instead of taking the clearest.
        lighting : str
            A lighting method name (see :data:`jewelrender.lighting.LIGHTING_METHODS`).
        focal_35mm : float, optional
            Override the camera's 35 mm-equivalent focal length.
        refine_lighting : bool or int
            Differentiable refinement of the estimated light against the skin
            (:func:`jewelrender.lighting.refine.refine_lighting`): ``True`` (its default
            iterations), an iteration count, or ``False``/0 to skip it (~0.6 s less on 2 cores).
        seed : int
            Same inputs and seed give identical output bytes on one machine.
        """
        if self._closed:
            raise InvalidOptionError("this Renderer is closed")
        with self._lock:
            return self._try_on(photo, piece, finger=finger, hand=hand, position=position, quality=quality,
                                lighting=lighting, focal_35mm=focal_35mm, metal=metal, finish=finish, seed=seed,
                                max_pixels=max_pixels, min_quality=min_quality,
                                refuse_multiple_hands=refuse_multiple_hands, refine_lighting=refine_lighting)

    def _try_on(self, photo, piece, *, finger, hand, position, quality, lighting, focal_35mm, metal, finish, seed,
                max_pixels, min_quality, refuse_multiple_hands, refine_lighting):
        from . import backend, catalog, materials
        from .camera import camera_from_photo
        from .composite import composite, stone_chroma_sigma
        from .integration import prepare_integration
        from .landmarks import FINGERS
        from .lighting import estimate_lighting
        from .photo import Photo, load_photo
        from .placement import place_ring
        from .quality import check_input, require_quality, score_output
        from .render import render_layers
        from .scene import build_scene, stone_material

        t = {}
        t0 = time.perf_counter()
        _check_options(finger, hand, position, quality, min_quality)
        piece = catalog.get_piece(piece)
        q = catalog.quality_preset(quality)
        if metal is not None or finish is not None:
            piece = dataclasses.replace(piece, metal=metal or piece.metal, finish=finish or piece.finish)
        if metal is not None and metal not in materials.list_metals():
            raise InvalidOptionError(f"unknown metal {metal!r}; valid: {', '.join(materials.list_metals())}",
                                     details={"valid": materials.list_metals()})
        metal_preset = materials.metal(piece.metal)  # a bad id in a catalog file is a CatalogError
        materials.finish(piece.finish)

        tick = time.perf_counter()
        ph = photo if isinstance(photo, Photo) else load_photo(photo, max_pixels=max_pixels)
        t["photo"] = time.perf_counter() - tick

        tick = time.perf_counter()
        hands = self.detector.detect(ph)
        t["landmarks"] = time.perf_counter() - tick

        # The input gate: refuse unusable photos before any render time is spent,
        # and pick the hand (the clearest one, or the one asked for).
        tick = time.perf_counter()
        gate = check_input(ph, hands, finger=finger, hand=hand, refuse_multiple_hands=refuse_multiple_hands)
        t["gate"] = time.perf_counter() - tick
        hands_found = len(hands)
        hl = hands[gate.hand_index]

        tick = time.perf_counter()
        cam = camera_from_photo(ph, focal_35mm=focal_35mm)
        placement = place_ring(ph, hl, cam, finger=finger, position=float(position))
        t["placement"] = time.perf_counter() - tick

        tick = time.perf_counter()
        light = estimate_lighting(ph, cam, placement, method=lighting, env_height=q.env_height,
                                  refine=refine_lighting)
        t["lighting"] = time.perf_counter() - tick

        tick = time.perf_counter()
        variant = backend.select(self._variants)
        parts = self._parts(piece, placement.inner_diameter_mm)
        stones = None
        if piece.stone or piece.accent:
            # Halo melee are accents too, so a set stone brings the accent material along.
            stones = {"accent": stone_material((piece.accent or {}).get("gem", "diamond"),
                                               dispersive=q.accent_dispersion)}
            if piece.stone:
                stones["stone"] = stone_material(piece.stone["gem"], thick_media=q.thick_media)
        spec = build_scene(cam, placement, piece, light, q,
                           metal_bsdf=materials.metal_bsdf_dict(metal_preset, finish=piece.finish),
                           metal_bsdf_no_uv=materials.metal_bsdf_dict(metal_preset, finish=piece.finish,
                                                                      has_texcoords=False),
                           stones=stones, photo_linear=ph.linear, parts=parts)
        t["scene"] = time.perf_counter() - tick

        tick = time.perf_counter()
        layers = render_layers(spec, seed=seed)
        t["render"] = time.perf_counter() - tick

        tick = time.perf_counter()
        # The photo's side of the composite: its finger silhouette, the ring's contact, the camera's look.
        integ = prepare_integration(ph, hl, cam, placement, piece, light, spec.crop, layers.alpha)
        t["integration"] = time.perf_counter() - tick

        tick = time.perf_counter()
        skin = light.info.get("skin_reference_rgb")
        image, mask, comp_info = composite(ph, layers, spec.crop, skin_rgb=skin, seed=seed,
                                           stone_chroma_sigma=stone_chroma_sigma(q.supersample ** 2 * q.passes),
                                           visible=integ.visible, contact=integ.contact, look=integ.look)
        comp_info["integration"] = integ.report
        t["composite"] = time.perf_counter() - tick

        visible = _visible_fraction(mask, placement, piece)
        if visible < MIN_VISIBLE_FRACTION:
            raise FingerNotVisibleError(
                f"the {finger} finger's base is hidden (curled, or behind other fingers): only "
                f"{100 * visible:.0f} % of the ring would show; photograph the back of the hand with fingers straight",
                details={"visible_fraction": round(visible, 3), "crop": spec.crop.to_report()},
            )
        report = {
            "version": _version(),
            "piece": piece.to_report(),
            "backend": variant,
            "quality": {"name": q.name, "spp": q.spp, "max_depth": q.max_depth},
            "photo": {"source": ph.source, "format": ph.format, "width": ph.width, "height": ph.height,
                      "exif_orientation": ph.exif_orientation},
            "camera": cam.to_report(),
            "hands_found": hands_found,
            "placement": dict(placement.to_report(), hand_score=float(hl.score),
                              mcp_px=hl.image_px[FINGERS[finger][0]], pip_px=hl.image_px[FINGERS[finger][1]]),
            "lighting": light.to_report(),
            "render": {"crop": spec.crop.to_report(), "triangles": spec.meta["triangles"], "seed": seed},
            "composite": comp_info,
        }
        tick = time.perf_counter()
        report["gate"] = gate.to_report()
        # The metal's share of the coverage, applied to the composite's (blurred) mask.
        share = np.where(layers.alpha > 0.01, layers.metal / np.maximum(layers.alpha, 0.01), 1.0)
        metal = mask.copy()
        metal[spec.crop.slices] *= share.astype(metal.dtype)
        score = score_output(ph, image, mask, report, min_quality=min_quality, metal_mask=metal)
        report["score"] = score
        t["score"] = time.perf_counter() - tick
        t["total"] = time.perf_counter() - t0
        report["timings"] = {k: round(v, 4) for k, v in t.items()}
        result = TryOnResult(image=image, mask=mask, report=jsonable(report))
        require_quality(score, min_quality)
        return result


def _visible_fraction(mask, placement, piece) -> float:
    """Ring pixels seen, over those a band of this width covers across a straight finger seen from above.

    A band of width w across a finger of width W (pixels) covers about
    ``1.1 W * w`` pixels (the band is a little wider than the finger); heads and
    oblique views only add to that, so the ratio is a lower bound on visibility.
    """
    px_per_mm = placement.finger_width_px / (2000.0 * placement.finger_radius_m)
    expected = 1.1 * placement.finger_width_px * piece.band["width_mm"] * px_per_mm
    return float(mask.sum()) / max(expected, 1.0)


def _version() -> str:
    from . import __version__

    return __version__


def try_on(photo, piece, **options) -> TryOnResult:
    """One-shot try-on; see :meth:`Renderer.try_on` for the options."""
    with Renderer() as r:
        return r.try_on(photo, piece, **options)
