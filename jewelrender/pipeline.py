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
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ._json import jsonable
from .checks import is_number
from .errors import InvalidOptionError
from .landmarks.types import FINGER_NAMES
from .sites.hand import HAND_CHOICES

__all__ = ["TryOnResult", "Renderer", "Prepared", "try_on", "check_options", "FINGER_NAMES", "HAND_CHOICES"]


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
        from ._files import write_all

        def report(tmp):
            Path(tmp).write_text(json.dumps(self.report, indent=2, sort_keys=True) + "\n", encoding="utf-8")

        writes = [(Path(path), lambda tmp: self._write_image(tmp, "image", Path(path).suffix.lower() or ".png"))]
        if mask_path is not None:
            writes.append((Path(mask_path), lambda tmp: self._write_image(tmp, "mask", ".png")))
        if report_path is not None:
            writes.append((Path(report_path), report))
        write_all(writes)

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


def _check_render_options(quality, min_quality=None):
    from .library.catalog import QUALITY_NAMES

    if quality not in QUALITY_NAMES:
        raise InvalidOptionError(f"unknown quality {quality!r}; valid: {', '.join(QUALITY_NAMES)}")
    if min_quality is not None and (not is_number(min_quality) or not 0.0 <= float(min_quality) <= 1.0):
        raise InvalidOptionError(f"min_quality must be a number in [0, 1], got {min_quality!r}")



#: Options only some sites take, and what each is for (the error's wording elsewhere).
SITE_ONLY_OPTIONS = {"side": "chooses an ear piece's ear", "length_in": "sets a necklace's length"}


def _site_options(site, *, finger=None, hand="auto", position=None, **only) -> dict:
    """The site's validated options; a site-only option (:data:`SITE_ONLY_OPTIONS`) that is set reaches only
    a site whose ``check_options`` takes it, and is an ``INVALID_OPTION`` error for the others."""
    import inspect

    opts = {"finger": finger, "hand": hand, "position": position}
    takes = inspect.signature(site.check_options).parameters
    for name, value in only.items():
        if value is None:
            continue
        if name not in takes:
            raise InvalidOptionError(f"{name} {SITE_ONLY_OPTIONS[name]}; it does not apply to a {site.name} piece: "
                                     f"leave it out", details={"option": name})
        opts[name] = value
    return site.check_options(**opts)


def check_options(piece, *, quality: str = "preview", min_quality=None, finger=None, hand: str = "auto",
                  position=None, side=None, length_in=None) -> dict:
    """Check a try-on's options without a photo (what a service checks before queueing).

    Raises :class:`UnknownPieceError` or :class:`InvalidOptionError`; returns the
    piece's site's validated options. ``None`` leaves a site option to the site's default.
    """
    from .library import catalog
    from .sites import get_site

    _check_render_options(quality, min_quality)
    return _site_options(get_site(catalog.get_piece(piece).site), finger=finger, hand=hand, position=position,
                         side=side, length_in=length_in)

@dataclass
class Prepared:
    """Stages 1-4 of a try-on, everything decided before the piece is rendered.

    Returned by :meth:`Renderer.prepare`; :meth:`Renderer.try_on` goes on from it.
    """

    photo: object
    #: Every detection (hands) found, and the one the gate chose.
    detections: list
    detection: object
    gate: object
    site: object
    #: The site's validated options (a ring: finger, hand, position).
    options: dict
    camera: object
    placement: object
    lighting: object
    timings: dict = field(default_factory=dict)
    #: True when the Renderer reused the previous call's stages 1-4 (same Photo object and options).
    reused: bool = False


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
        self._detectors: dict = {}  # face, pose: made when a site first needs them
        self._parts_cache: dict = {}
        self._prepared = None  # (photo, key, Prepared) of the last _prepare, for the same Photo object
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
        for det in self._detectors.values():
            det.close()
        self._detectors.clear()
        self._closed = True

    @property
    def detector(self):
        if self._detector is None:
            from .landmarks import HandDetector

            self._detector = HandDetector()
        return self._detector

    def named_detector(self, name: str):
        """A warm detector by the name a site lists in ``detectors`` (``"hand"``, ``"face"``, ``"pose"``)."""
        if name == "hand":
            return self.detector
        det = self._detectors.get(name)
        if det is None:
            from .landmarks import FaceDetector, PoseDetector

            det = self._detectors[name] = {"face": FaceDetector, "pose": PoseDetector}[name]()
        return det

    def _detect(self, site, photo) -> list:
        """Stage 2: the site's detections, the list the gate chooses from.

        A site with its own ``detect`` (the neck) runs it with :meth:`named_detector`; a hand-led site
        (ring, wrist) gets the hands (a wrist's body pose follows the gate, in :meth:`_prepare`); any
        other (the ear) gets ``detections({name: what that detector found})``.
        """
        detect = getattr(site, "detect", None)
        if detect is not None:
            return detect(photo, self.named_detector)
        if site.detectors[0] == "hand":
            return self.detector.detect(photo)
        return site.detections({name: self.named_detector(name).detect(photo) for name in site.detectors})

    def _parts(self, piece, size_mm: float):
        from .pieces import piece_parts

        # a ring is made to one number; a wrist piece to a hashable fit (the wrist's cross-section)
        key = (piece.id, round(size_mm, 2) if is_number(size_mm) else size_mm)
        parts = self._parts_cache.get(key)
        if parts is None:
            if len(self._parts_cache) > 64:
                self._parts_cache.clear()
            parts = self._parts_cache[key] = piece_parts(piece, size_mm)
        return parts

    def try_on(self, photo, piece, *, finger: str | None = None, hand: str = "auto", position: float | None = None,
               side: str | None = None, length_in: float | None = None, quality: str = "preview",
               lighting: str = "photo_fit", focal_35mm: float | None = None,
               metal: str | None = None, finish: str | None = None, min_quality: float | None = None,
               refuse_multiple_hands: bool = False, seed: int = 0, max_pixels: int = 40_000_000,
               refine_lighting: bool | int = True, stone: str | None = None, cut: str | None = None,
               carat: float | None = None, setting: str | None = None) -> TryOnResult:
        """Render ``piece`` on ``finger`` of the hand in ``photo``.

        Parameters
        ----------
        photo : str, path, bytes, ndarray or Photo
            The customer's photo (JPEG, PNG or WebP).
        piece : str, path, catalog.Piece or cad.CadPiece
            A catalog id (``jewelrender pieces`` lists them), or a whole-piece file
            (``.glb/.gltf/.obj/.stl/.ply``, see :mod:`jewelrender.cad`).
        finger : {"thumb", "index", "middle", "ring", "little"}, optional
            A ring's finger (default ``"ring"``); an ``INVALID_OPTION`` error for a wrist piece.
        hand : {"auto", "left", "right"}
            Which hand (for a wrist piece: which wrist); ``auto`` takes the clearest one found.
        position : float, optional
            A ring: along the proximal phalanx, 0 = knuckle (MCP), 1 = middle joint (PIP)
            (default 0.35). A wrist piece: along the forearm, 0 = the wrist crease,
            1 = 60 mm towards the elbow (default 0.3). An error for an ear piece.
        side : {"auto", "left", "right", "both"}, optional
            An ear piece's ear (the subject's own); default ``auto``, every visible ear.
            An ``INVALID_OPTION`` error for other pieces.
        length_in : float, optional
            A necklace's length in inches, 14-30 (default 18: on the collarbone; 16 at the
            base of the neck, 20 just below the collarbone, 24 mid-bust). Only for neck pieces.
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
        stone, cut, carat, setting : optional
            Compose a catalog piece: its centre stone's gem (``jewelrender gems``), cut
            (``jewelrender cuts``), weight in carats and setting style (``jewelrender
            settings``); see :func:`jewelrender.compose.compose_piece`.
        """
        if self._closed:
            raise InvalidOptionError("this Renderer is closed")
        with self._lock:
            return self._try_on(photo, piece, finger=finger, hand=hand, position=position, side=side,
                                length_in=length_in, quality=quality,
                                lighting=lighting, focal_35mm=focal_35mm, metal=metal, finish=finish, seed=seed,
                                max_pixels=max_pixels, min_quality=min_quality,
                                refuse_multiple_hands=refuse_multiple_hands, refine_lighting=refine_lighting,
                                compose={"stone": stone, "cut": cut, "carat": carat, "setting": setting})

    def prepare(self, photo, *, site: str = "ring", finger: str | None = None, hand: str = "auto",
                position: float | None = None, side: str | None = None, length_in: float | None = None,
                quality: str = "preview", lighting: str = "photo_fit",
                focal_35mm: float | None = None, refuse_multiple_hands: bool = False, max_pixels: int = 40_000_000,
                refine_lighting: bool | int = True, env_height: int | None = None) -> Prepared:
        """Run stages 1-4 alone (photo, detection + gate, camera + placement, lighting).

        For tools that need the placement or the light without a render (the CLI's
        ``lighting`` command, the lighting benchmark). The options are
        :meth:`try_on`'s; ``env_height`` overrides the quality preset's
        environment-map height.
        """
        if self._closed:
            raise InvalidOptionError("this Renderer is closed")
        from .library import catalog
        from .sites import get_site

        _check_render_options(quality)
        st = get_site(site)
        options = _site_options(st, finger=finger, hand=hand, position=position, side=side, length_in=length_in)
        q = catalog.quality_preset(quality)
        with self._lock:
            return self._prepare(photo, st, options, lighting=lighting, focal_35mm=focal_35mm,
                                 refuse_multiple_hands=refuse_multiple_hands, max_pixels=max_pixels,
                                 refine_lighting=refine_lighting, env_height=env_height or q.env_height)

    def _prepare(self, photo, site, options, *, lighting, focal_35mm, refuse_multiple_hands, max_pixels,
                 refine_lighting, env_height) -> Prepared:
        from .camera import camera_from_photo
        from .lighting import estimate_lighting
        from .photo import Photo, load_photo

        # The last result is kept for the same Photo *object* and options, so rendering one photo in
        # several metals or pieces (jewelrender compare) detects and estimates the light once. Only
        # Photo objects are cached: a path's file could change between calls.
        key = (site.name, tuple(sorted(options.items())), lighting, focal_35mm, refuse_multiple_hands,
               refine_lighting, env_height, max_pixels)
        cached = self._prepared
        if isinstance(photo, Photo) and cached is not None and cached[0] is photo and cached[1] == key:
            return dataclasses.replace(cached[2], timings={k: 0.0 for k in cached[2].timings}, reused=True)
        t = {}
        tick = time.perf_counter()
        ph = photo if isinstance(photo, Photo) else load_photo(photo, max_pixels=max_pixels)
        t["photo"] = time.perf_counter() - tick

        tick = time.perf_counter()
        detections = self._detect(site, ph)
        t["landmarks"] = time.perf_counter() - tick

        # The input gate: refuse unusable photos before any render time is spent,
        # and pick the detection (the clearest hand, or the one asked for).
        tick = time.perf_counter()
        gate = site.gate(ph, detections, options=options, refuse_multiple=refuse_multiple_hands)
        t["gate"] = time.perf_counter() - tick
        chosen = detections[gate.hand_index]

        extra = {}
        if site.detectors[0] == "hand" and "pose" in site.detectors:
            # A hand-led site's body pose (a wrist's elbow), after the gate: refusals cost nothing.
            tick = time.perf_counter()
            extra["pose"] = self.named_detector("pose").detect(ph).pose
            t["pose"] = time.perf_counter() - tick

        tick = time.perf_counter()
        cam = camera_from_photo(ph, focal_35mm=focal_35mm)
        placement = site.place(ph, chosen, cam, options=options, **extra)
        t["placement"] = time.perf_counter() - tick

        tick = time.perf_counter()
        light = estimate_lighting(ph, cam, placement, method=lighting, env_height=env_height, refine=refine_lighting)
        t["lighting"] = time.perf_counter() - tick
        prepared = Prepared(photo=ph, detections=detections, detection=chosen, gate=gate, site=site,
                            options=options, camera=cam, placement=placement, lighting=light, timings=t)
        self._prepared = (photo, key, dataclasses.replace(prepared, timings=dict(t))) \
            if isinstance(photo, Photo) else None
        return prepared

    def _try_on(self, photo, piece, *, finger, hand, position, side, length_in, quality, lighting, focal_35mm,
                metal, finish, seed,
                max_pixels, min_quality, refuse_multiple_hands, refine_lighting, compose=None):
        from .cad import CadPiece, is_piece_file, load_piece
        from .compose import compose_piece
        from .library import catalog, materials
        from .sites import get_site

        t0 = time.perf_counter()
        _check_render_options(quality, min_quality)
        metal = materials.resolve_metal(metal)  # a user's presets file (e.g. from match-material) -> its id
        if is_piece_file(piece):  # a brand's own CAD file: its parts carry their materials
            piece = load_piece(piece, metal=metal)
        elif not isinstance(piece, CadPiece):
            piece = compose_piece(piece, **(compose or {}))
        if isinstance(piece, CadPiece) and any(v is not None for v in (compose or {}).values()):
            raise InvalidOptionError("stone, cut, carat and setting compose catalog pieces; a piece file brings "
                                     "its own stones (assign their gem in a sidecar TOML)")
        site = get_site(piece.site)
        options = _site_options(site, finger=finger, hand=hand, position=position, side=side, length_in=length_in)
        q = catalog.quality_preset(quality)
        # A site may trade samples for area (a necklace's crop is ~10x a ring's): its own preset.
        q = getattr(site, "render_quality", lambda q: q)(q)
        if metal is not None or finish is not None:
            piece = dataclasses.replace(piece, metal=metal or piece.metal, finish=finish or piece.finish)
        if metal is not None and metal not in materials.list_metals():
            raise InvalidOptionError(f"unknown metal {metal!r}; valid: {', '.join(materials.list_metals())}",
                                     details={"valid": materials.list_metals()})
        metal_preset = materials.metal(piece.metal)  # a bad id in a catalog file is a CatalogError
        materials.finish(piece.finish)

        prep = self._prepare(photo, site, options, lighting=lighting, focal_35mm=focal_35mm,
                             refuse_multiple_hands=refuse_multiple_hands, max_pixels=max_pixels,
                             refine_lighting=refine_lighting, env_height=q.env_height)
        t = prep.timings
        tick = time.perf_counter()
        # A pair (earrings) is one placement per ear, each rendered in its own small crop.
        instances = getattr(prep.placement, "instances", None) or (prep.placement,)
        specs = [self._scene(prep, piece, q, metal_preset, metal_override=metal, placement=inst)
                 for inst in instances]
        t["scene"] = time.perf_counter() - tick
        return self._finish(prep, piece, q, specs, instances, specs[0][1], seed=seed, min_quality=min_quality, t=t,
                            t0=t0)

    def _scene(self, prep: Prepared, piece, q, metal_preset, *, metal_override=None, placement=None):
        """Stage 5: the Mitsuba scene of the piece on the body (``placement``: one of a pair's), in the photo's light."""
        from . import backend
        from .library import materials
        from .cad import CadPiece
        from .scene import build_scene, stone_material

        variant = backend.select(self._variants)
        placement = prep.placement if placement is None else placement
        part_materials = None
        if isinstance(piece, CadPiece):
            parts = piece.fitted_parts(prep.site.piece_size_mm(placement))
            part_materials = piece.scene_materials(dispersive_accents=q.accent_dispersion,
                                                   thick_media=q.thick_media, finish=piece.finish,
                                                   metal=metal_override)
        else:
            from .pieces import piece_materials

            parts = self._parts(piece, prep.site.piece_size_mm(placement))
            part_materials = piece_materials(piece)
        stones = None
        if piece.stone or piece.accent:
            # Halo melee are accents too, so a set stone brings the accent material along.
            stones = {"accent": stone_material((piece.accent or {}).get("gem", "diamond"),
                                               dispersive=q.accent_dispersion)}
            if piece.stone:
                stones["stone"] = stone_material(piece.stone["gem"], thick_media=q.thick_media)
        spec = build_scene(prep.camera, placement, piece, prep.lighting, q,
                           metal_bsdf=materials.metal_bsdf_dict(metal_preset, finish=piece.finish),
                           metal_bsdf_no_uv=materials.metal_bsdf_dict(metal_preset, finish=piece.finish,
                                                                      has_texcoords=False),
                           stones=stones, photo_linear=prep.photo.linear, parts=parts, part_materials=part_materials)
        return spec, variant

    def _finish(self, prep: Prepared, piece, q, specs, instances, variant, *, seed, min_quality, t, t0) -> TryOnResult:
        """Stages 6-8: render, composite, visibility check, score; the report is written last, output only.

        ``specs`` are the scenes of ``instances`` (one, or one per ear of a pair): each is rendered
        and composited onto the previous one's result.
        """
        from .composite import composite, diffuse_smoothing_sigma, stone_chroma_sigma
        from .library import media
        from .integration import warp_layers
        from .scene import SHADOW_REACH_MM
        from .lighting.advice import skin_advice
        from .quality import require_quality, score_output
        from .render import render_layers

        ph, placement, light, site = prep.photo, prep.placement, prep.lighting, prep.site
        t["render"] = t["integration"] = t["composite"] = 0.0
        current, mask, metal = ph, None, None
        comp_infos, crops, triangles = [], [], 0
        others = tuple(d for d in prep.detections if d is not prep.detection)
        before = getattr(site, "integration_before_render", None)
        for (spec, _variant), inst in zip(specs, instances):
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="integration") as pool:
                # The photo's side of the composite (the body's real silhouette, the piece's contact, the
                # camera's look), as far as the site provides it; what needs no render runs beside it (on
                # 2 cores the render's set-up and tracing leave one idle). Deterministic either way.
                early = None if before is None else pool.submit(before, current, prep.detection, prep.camera, inst,
                                                                piece, light, spec.crop, others=others)
                tick = time.perf_counter()
                layers = render_layers(spec, seed=seed)
                t["render"] += time.perf_counter() - tick

                tick = time.perf_counter()
                if early is not None:
                    integ = early.result()(layers.alpha)
                else:
                    integ = site.integration(current, prep.detection, prep.camera, inst, piece, light, spec.crop,
                                             layers.alpha, others=others)
                if integ is not None and integ.layer_maps is not None:
                    layers = warp_layers(layers, integ.layer_maps)
                t["integration"] += time.perf_counter() - tick

            tick = time.perf_counter()
            skin = light.info.get("skin_reference_rgb")
            # Pearls, turquoise, onyx (the optically thick scattering stones) have smooth diffuse bodies: their
            # path-traced noise is smoothed, not kept as sparkle.
            gem = (getattr(piece, "stone", None) or {}).get("gem")
            diffuse = gem in media.list_medium_stones() and media.is_optically_thick(gem)
            diffuse_sigma = diffuse_smoothing_sigma(q.spp) if diffuse else 0.0
            # A sparse render's shadow fades out over the outer half of its reach (scene.footprint).
            shadow_fade = (0.5 * SHADOW_REACH_MM * float(getattr(inst, "px_per_mm", 0.0))
                           if spec.pixels is not None else 0.0)
            image, mask_i, comp_info = composite(current, layers, spec.crop, skin_rgb=skin, seed=seed,
                                                 stone_chroma_sigma=stone_chroma_sigma(q.spp),
                                                 diffuse_stone_sigma=diffuse_sigma,
                                                 shadow_fade_px=shadow_fade,
                                                 visible=integ and integ.visible, contact=integ and integ.contact,
                                                 look=integ and integ.look,
                                                 photo_maps=integ and integ.photo_maps,
                                                 median_cap=integ and integ.median_cap)
            if integ is not None:
                comp_info["integration"] = integ.report
            # The metal's share of the coverage, applied to the composite's (blurred) mask.
            share = np.where(layers.alpha > 0.01, layers.metal / np.maximum(layers.alpha, 0.01), 1.0)
            metal_i = mask_i.copy()
            metal_i[spec.crop.slices] *= share.astype(metal_i.dtype)
            mask = mask_i if mask is None else np.maximum(mask, mask_i)
            metal = metal_i if metal is None else np.maximum(metal, metal_i)
            comp_infos.append(comp_info)
            crops.append(spec.crop.to_report())
            triangles += spec.meta["triangles"]
            if len(specs) > 1:
                current = dataclasses.replace(ph, srgb=image)
            t["composite"] += time.perf_counter() - tick
        spec = specs[0][0]
        comp_info = comp_infos[0] if len(comp_infos) == 1 else {"instances": comp_infos}
        visible = site.check_visible(mask, placement, piece, spec.crop.to_report())
        tick = time.perf_counter()
        inputs = site.score_inputs(placement, piece, prep.detection, spec.crop.to_report(), visible)
        score = score_output(ph, image, mask, inputs, min_quality=min_quality, metal_mask=metal)
        t["score"] = time.perf_counter() - tick
        t["total"] = time.perf_counter() - t0
        sizes = {}
        if not hasattr(piece, "fitted_parts"):  # catalog pieces: a family may report its sizes as made (mm)
            from .pieces import piece_sizes_mm

            fit = site.piece_size_mm(instances[0])
            made = piece_sizes_mm(piece, fit, self._parts(piece, fit))
            sizes = {"sizes_mm": made} if made else {}
        report = {
            "version": _version(),
            "piece": dict(piece.to_report(), **sizes),
            "backend": variant,
            "quality": {"name": q.name, "spp": q.spp, "max_depth": q.max_depth},
            "photo": {"source": ph.source, "format": ph.format, "width": ph.width, "height": ph.height,
                      "exif_orientation": ph.exif_orientation},
            "camera": prep.camera.to_report(),
            "hands_found": len(prep.detections),
            "placement": site.report(placement, prep.detection),
            "lighting": light.to_report(),
            "render": {"crop": spec.crop.to_report(), "triangles": triangles, "seed": seed,
                       **{k: spec.meta[k] for k in ("triangles_stored", "instances", "pixels_rendered", "parts")
                          if k in spec.meta},
                       **({"crops": crops} if len(crops) > 1 else {})},
            "composite": comp_info,
            "gate": prep.gate.to_report(),
            "skin": skin_advice(light.info),
            "preparation": "reused" if prep.reused else "computed",
            "score": score,
            "timings": {k: round(v, 4) for k, v in t.items()},
        }
        result = TryOnResult(image=image, mask=mask, report=jsonable(report))
        require_quality(score, min_quality)
        return result


def _version() -> str:
    from . import __version__

    return __version__


def try_on(photo, piece, **options) -> TryOnResult:
    """One-shot try-on; see :meth:`Renderer.try_on` for the options."""
    with Renderer() as r:
        return r.try_on(photo, piece, **options)
