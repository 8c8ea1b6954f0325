"""Stage 4: lighting recovered from the photo.

``estimate_lighting(photo, camera, placement, method=...)`` dispatches to a named
method in :data:`LIGHTING_METHODS` and returns a :class:`Lighting`: an HDR
environment map in the camera frame at the photo's exposure, the skin albedo
for the proxy geometry, and what was found (a JSON-able ``info``).

Methods
-------
``photo_fit`` (default)
    Surroundings from the photo + a key light fitted to the skin's shading; see
    :mod:`jewelrender.lighting.photo_fit`.
Both are followed, for ``photo_fit``, by the differentiable refinement
(``refine=``, :mod:`jewelrender.lighting.refine`).

``uniform``
    A uniform grey environment whose level explains the skin's mean brightness
    (a baseline for comparisons).

Both put the skin's tone in ``info["skin_tone"]`` (CIELAB, ITA°, Monk Skin Tone
index; see :mod:`jewelrender.lighting.skin`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import InvalidOptionError
from .display import show
from .envmap import EnvMap

__all__ = ["LIGHTING_METHODS", "EnvMap", "Lighting", "estimate_lighting", "show"]


@dataclass
class Lighting:
    """Result of lighting estimation.

    Attributes
    ----------
    env : EnvMap
        Linear-sRGB radiance in the camera frame, in the photo's linear units.
    skin_albedo : ndarray, (3,)
        Diffuse albedo given to the body proxies (linear sRGB).
    info : dict
        JSON-able: ``method`` and what the method measured.
    """

    env: EnvMap
    skin_albedo: np.ndarray
    info: dict = field(default_factory=dict)
    #: What the piece is rendered in, when it differs from ``env`` (the fit): ``photo_fit`` adds the
    #: photo's own detail at a higher resolution (:func:`jewelrender.lighting.photo_fit.photo_detail_env`).
    render_env: EnvMap | None = None

    def to_report(self) -> dict:
        return dict(self.info, skin_albedo_rgb=[float(v) for v in self.skin_albedo])

    def show(self, photo, *, height: int = 256) -> np.ndarray:
        """The photo beside the map (RGB uint8), key direction circled; see :func:`.display.show`."""
        from .display import show

        return show(photo, self, height=height)

    def _repr_png_(self) -> bytes:
        """Jupyter rich display: the map at the photo's exposure, key direction circled."""
        import cv2

        from .display import env_picture

        ok, buf = cv2.imencode(".png", env_picture(self, 128)[..., ::-1])
        return buf.tobytes() if ok else b""


def _photo_fit(photo, camera, placement, *, env_height=64, refine=True, **kw) -> Lighting:
    from concurrent.futures import ThreadPoolExecutor

    from .photo_fit import estimate_photo_fit, photo_detail, photo_detail_env
    from .skin import reference_skin

    def detail_for_the_fit():
        # What the map's detail needs of the fit's size and of the skin's colour (the fit reports the same
        # reference_skin) is made here too: the fit's own thread is the longer one.
        return photo_detail(photo, camera, placement).prepare(env_height, reference_skin(photo, camera, placement))

    # The render map's photo-side half does not depend on the fit: it is made on a second thread
    # meanwhile (NumPy and OpenCV release the GIL in their large operations; the result is the same).
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="photo_detail") as pool:
        detail = pool.submit(detail_for_the_fit)
        env, info = estimate_photo_fit(photo, camera, placement, env_height=env_height, refine=refine, **kw)
        detail = detail.result()
    albedo = np.asarray(info.get("skin_albedo_rgb", [0.45, 0.33, 0.27]), dtype=np.float64)
    return Lighting(env=env, skin_albedo=albedo, info=info, render_env=photo_detail_env(
        env, photo, camera, placement, key_direction=info.get("key_direction"),
        skin_rgb=info.get("skin_reference_rgb"), detail=detail))


def _uniform(photo, camera, placement, *, env_height=64, albedo_lum=0.35, refine=False, **kw) -> Lighting:
    # A baseline: nothing to refine (``refine`` is accepted and ignored).
    from ..color import luminance
    from .photo_fit import skin_samples

    s = skin_samples(photo, camera, placement)
    rgb = s["rgb"] if len(s["rgb"]) else photo.linear.reshape(-1, 3)
    mean = np.median(rgb, axis=0)
    # A uniform environment of radiance L gives irradiance pi*L on any normal, and
    # a diffuse skin of albedo rho then shows rho*L.
    level = float(luminance(mean[None])[0]) / albedo_lum
    env = EnvMap(np.full((env_height, 2 * env_height, 3), level, np.float32))
    albedo = np.clip(mean / level, 0.02, 0.95)
    from .skin import skin_tone

    return Lighting(env=env, skin_albedo=albedo, info={"method": "uniform", "radiance": level,
                                                             "skin_reference_rgb": [float(v) for v in mean],
                                                             "skin_tone": skin_tone(s["rgb"], albedo), "refine": None})


LIGHTING_METHODS = {"photo_fit": _photo_fit, "uniform": _uniform}


def estimate_lighting(photo, camera, placement, *, method: str = "photo_fit", refine: bool | int = True,
                      **options) -> Lighting:
    """Estimate the lighting of ``photo`` around the body described by ``placement``.

    Parameters
    ----------
    photo : Photo
    camera : Camera
    placement : RingPlacement (or any placement with ``points_cam`` and ``proxies``)
    method : str
        A key of :data:`LIGHTING_METHODS`.
    refine : bool or int
        Differentiable refinement of the fitted light against the photo's skin
        pixels (:mod:`jewelrender.lighting.refine`, Mitsuba AD): ``True`` = the
        default number of Adam steps (24), an int = that many, ``0``/``False`` =
        off. ``info["refine"]`` reports ``loss_before``, ``loss_after``,
        ``iterations`` and ``seconds`` (None when off). Methods without a fit ignore it.
    **options
        Passed to the method (``env_height``: rows of the equirectangular map).

    Raises
    ------
    InvalidOptionError
        Unknown ``method``, or ``refine`` not a bool or a non-negative int.
    """
    if not (isinstance(refine, (bool, np.bool_)) or (isinstance(refine, (int, np.integer)) and refine >= 0)):
        raise InvalidOptionError(f"refine must be True, False or a number of iterations >= 0, got {refine!r}",
                                 details={"option": "refine", "value": repr(refine)})
    refine = bool(refine) if isinstance(refine, (bool, np.bool_)) else int(refine)
    try:
        fn = LIGHTING_METHODS[method]
    except KeyError:
        raise InvalidOptionError(
            f"unknown lighting method {method!r}; valid: {', '.join(sorted(LIGHTING_METHODS))}",
            details={"valid": sorted(LIGHTING_METHODS)},
        ) from None
    from .blas import blas_threads

    # Its small products gain nothing from OpenBLAS's threads, which compete with its own (see .blas).
    with blas_threads(1):
        return fn(photo, camera, placement, refine=refine, **options)
