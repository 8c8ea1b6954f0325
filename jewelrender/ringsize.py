"""The customer's ring size: the finger's measured width combined with a prior from adult ring sizes.

Why not just the measured width
-------------------------------
A photo has no absolute scale. The finger's width is measured well *in pixels*
(:func:`jewelrender.placement.measure_width_px`), but millimetres come from the
average hand the 3D pose is scaled to (:data:`jewelrender.placement.CANONICAL_BONES_MM`):
a small hand photographed close reads like a large hand far away. Reported at
face value, 7 of the 26 dev photos that render read below US 3 (and were
silently clamped there) and the median was US 4; where the width could not be
measured the anatomical prior gave exactly US 7.0 (4 photos). So the size is
an estimate with an interval, and it says where it comes from
(:attr:`RingSize.size_source`).

The model
---------
* **Cross-section.** A finger is wider than it is deep; the ring's inner
  circumference goes round that ellipse. The segments of the hand are modelled
  as ellipses/ellipsoids with depth < breadth in Buchholz & Armstrong, "An
  ellipsoidal representation of human hand anthropometry", *Human Factors*
  33(4), 1991. We take depth/breadth = :data:`CROSS_SECTION_DEPTH_RATIO` (0.85)
  for the proximal phalanx; the equivalent circle's diameter is the ellipse's
  perimeter (Ramanujan's second approximation) over pi: 0.927 x the width seen
  from the back or the palm. A ratio off by 0.05 moves it 2.6 % (half a size).
* **Prior.** Adult ring sizes as a two-component mixture, women and men in equal
  shares: US 6 and US 9 the most common sizes (16.5 and 18.9 mm), each with a
  spread of 1.25 sizes (so 95 % of women within US 3.5-8.5, of men 6.5-11.5,
  the ranges jewellers stock). :data:`PRIOR_MIXTURE`.
* **Likelihood.** ``log(measured equivalent diameter) ~ N(log(d) + bias, sigma)``.
  ``sigma`` = :data:`SCALE_SIGMA` (0.10): the average hand's scale against a real
  one of unknown sex (adult hand length 172 +- 9 mm women, 189 +- 10 mm men:
  ~7 %), the finger's width relative to its hand (~5 %) and the pixel
  measurement (~5 %), combined in quadrature. ``bias`` = :data:`SCALE_BIAS`: the
  average-hand scale reads fingers small; fitted once as the median over the dev
  hand photos of log(measured / prior median) (21 measured widths,
  ``benchmarks/ring_sizes.py``; it is a population calibration, so the dev
  photos' median lying near the prior's is by construction; the spread and the
  ordering of the photos are the measurement's).
* **Posterior.** Evaluated on a grid of sizes; the report gives its median
  (rounded to half sizes, never clamped) and the 90 % interval.

* **Pixels.** The width's two edges are each found to about a pixel (the
  steepest colour change on a 1 px grid, on a blurred JPEG), so the width is
  known to ~:data:`PIXEL_SIGMA_PX` (1.5 px, about sqrt(2) x 1 px). On a finger
  80 px wide that is under the 5 % already in :data:`SCALE_SIGMA`; on the 19 px
  fingers of small photos it is 8 %, and the estimate leans on the prior more
  (``width_px=``).
* **Card.** An ID-1 card (85.60 x 53.98 mm) lying beside the hand gives a metric
  scale (:mod:`jewelrender.card`): the width in millimetres is then measured,
  not inferred from the average hand, with no bias and a spread of
  :data:`CARD_SIGMA` (the card and the finger at slightly different depths,
  its edges) plus the pixels (``size_source == "card"``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .errors import InvalidOptionError

__all__ = [
    "RingSize",
    "estimate_ring_size",
    "equivalent_diameter_mm",
    "ellipse_perimeter",
    "us_size_of_diameter",
    "diameter_of_us_size",
    "CROSS_SECTION_DEPTH_RATIO",
    "PRIOR_MIXTURE",
    "SCALE_SIGMA",
    "SCALE_BIAS",
    "PIXEL_SIGMA_PX",
    "CARD_SIGMA",
    "measurement_sigma",
]

#: Depth over breadth of the ring finger's proximal phalanx cross-section (see the module docstring).
CROSS_SECTION_DEPTH_RATIO = 0.85

#: Adult ring sizes: (weight, mean US size, standard deviation in sizes) per component (women, men).
PRIOR_MIXTURE: tuple[tuple[float, float, float], ...] = ((0.5, 6.0, 1.25), (0.5, 9.0, 1.25))

#: Log-normal spread of a measured diameter around the true one (scale, anatomy and pixels).
SCALE_SIGMA = 0.10

#: log(measured / true) of the average-hand scale: fitted on the dev photos (benchmarks/ring_sizes.py,
#: 2026-12-02: median log ratio -0.263 over the 21 measured widths of the 25 accepted photos).
SCALE_BIAS = -0.263

#: Standard error of a measured finger width in pixels (two edges, each to ~1 px). The part of
#: SCALE_SIGMA that is pixels (5 %) is the floor: fingers under 30 px wide get a wider spread.
PIXEL_SIGMA_PX = 1.5

#: Log-normal spread of a width measured against an ID-1 card beside the hand (its depth vs the
#: finger's: a few mm at ~0.3 m, ~2 %; its corners, ~1 %; the finger's cross-section ratio, ~3 %).
CARD_SIGMA = 0.04

#: Posterior probability mass outside which the interval lies (5 % each side).
_INTERVAL = (0.05, 0.95)

# Sizes the posterior is evaluated over: far wider than any adult finger, so nothing is cut off.
_GRID = np.arange(-4.0, 22.0001, 0.01)


def diameter_of_us_size(size) -> np.ndarray:
    """Inner diameter (mm) of a US/Canada size, ``11.63 + 0.8128 * size`` (no rounding, no clamp)."""
    return 11.63 + 0.8128 * np.asarray(size, dtype=float)


def us_size_of_diameter(d_mm: float) -> float:
    """Continuous US size of an inner diameter (mm), no rounding, no clamp."""
    return (float(d_mm) - 11.63) / 0.8128


def ellipse_perimeter(a: float, b: float) -> float:
    """Perimeter of an ellipse of semi-axes ``a``, ``b`` (Ramanujan's second approximation, < 1e-9 relative here)."""
    h = ((a - b) / (a + b)) ** 2 if a + b > 0 else 0.0
    return math.pi * (a + b) * (1.0 + 3.0 * h / (10.0 + math.sqrt(4.0 - 3.0 * h)))


def equivalent_diameter_mm(breadth_mm: float, depth_ratio: float = CROSS_SECTION_DEPTH_RATIO) -> float:
    """Diameter of the circle with the perimeter of the finger's elliptical cross-section.

    Parameters
    ----------
    breadth_mm : float
        The finger's side-to-side width (what a photo of the back or the palm shows).
    depth_ratio : float
        Depth over breadth, in (0, 1].
    """
    b = _positive(breadth_mm, "breadth_mm")
    r = _positive(depth_ratio, "depth_ratio")
    if r > 1.0:
        raise InvalidOptionError(f"depth_ratio must be in (0, 1], got {depth_ratio!r}")
    return ellipse_perimeter(b / 2.0, r * b / 2.0) / math.pi


@dataclass(frozen=True)
class RingSize:
    """A ring size estimate.

    Attributes
    ----------
    us : float
        Posterior median, rounded to half sizes (not clamped).
    interval : tuple of float
        90 % interval (5 %, 95 % quantiles), rounded outwards to half sizes.
    inner_diameter_mm : float
        The posterior median's diameter (not rounded): what the rendered ring's bore is.
    size_source : str
        ``"card"`` (the width measured against an ID-1 card in the photo), ``"hand_proportions+prior"``
        (the finger's width measured, scaled by the average hand, combined with the prior) or ``"prior"`` (the width could not be measured: the adult prior alone).
    measured_diameter_mm : float or None
        The finger's equivalent diameter at the average hand's scale (before the bias and the prior).
    details : dict
        The model's constants, for the report.
    """

    us: float
    interval: tuple[float, float]
    inner_diameter_mm: float
    size_source: str
    measured_diameter_mm: float | None = None
    details: dict = field(default_factory=dict)

    def to_report(self) -> dict:
        return {
            "us": self.us,
            "interval": list(self.interval),
            "inner_diameter_mm": round(self.inner_diameter_mm, 2),
            "size_source": self.size_source,
            "measured_diameter_mm": None if self.measured_diameter_mm is None else round(self.measured_diameter_mm, 2),
            **self.details,
        }


def _prior_pdf(sizes: np.ndarray) -> np.ndarray:
    p = np.zeros_like(sizes)
    for w, mu, sd in PRIOR_MIXTURE:
        p += w * np.exp(-0.5 * ((sizes - mu) / sd) ** 2) / sd
    return p


def measurement_sigma(width_px: float | None = None, *, card: bool = False) -> float:
    """Log-normal spread of a measured diameter: scale and anatomy (or the card), and the pixels."""
    px = 0.05 if width_px is None else max(0.05, PIXEL_SIGMA_PX / _positive(width_px, "width_px"))
    if card:
        return math.hypot(CARD_SIGMA, PIXEL_SIGMA_PX / width_px if width_px is not None else 0.0)
    # SCALE_SIGMA = hypot(hand scale 7 %, finger/hand 5 %, pixels 5 %): replace its pixel part
    other = math.sqrt(max(SCALE_SIGMA ** 2 - 0.05 ** 2, 0.0))
    return math.hypot(other, px)


def estimate_ring_size(measured_diameter_mm: float | None, *, width_px: float | None = None,
                       card: bool = False) -> RingSize:
    """Posterior ring size from the finger's measured equivalent diameter (mm), or the prior.

    Parameters
    ----------
    measured_diameter_mm : float or None
        :func:`equivalent_diameter_mm` of the measured width at the pose's scale (or, with ``card``,
        at the card's metric scale); None when the width could not be measured (the prior alone then).
    width_px : float, optional
        The measured width in pixels: a narrow finger's width is less certain (:data:`PIXEL_SIGMA_PX`).
    card : bool
        The millimetres come from an ID-1 card in the photo: no average-hand bias, spread
        :data:`CARD_SIGMA`; ``size_source == "card"``.

    Returns
    -------
    RingSize
    """
    post = _prior_pdf(_GRID)
    source = "prior"
    if measured_diameter_mm is not None:
        dm = _positive(measured_diameter_mm, "measured_diameter_mm")
        d = diameter_of_us_size(_GRID)
        ok = d > 1.0
        bias = 0.0 if card else SCALE_BIAS
        sigma = measurement_sigma(width_px, card=card)
        ll = np.where(ok, -0.5 * ((math.log(dm) - np.log(np.maximum(d, 1.0)) - bias) / sigma) ** 2, -np.inf)
        post = post * np.exp(ll - ll[ok].max())
        source = "card" if card else "hand_proportions+prior"
    cdf = np.cumsum(post)
    cdf /= cdf[-1]
    med, lo, hi = (float(np.interp(q, cdf, _GRID)) for q in (0.5, *_INTERVAL))
    return RingSize(
        us=round(med * 2.0) / 2.0,
        interval=(math.floor(lo * 2.0) / 2.0, math.ceil(hi * 2.0) / 2.0),
        inner_diameter_mm=float(diameter_of_us_size(med)),
        size_source=source,
        measured_diameter_mm=None if measured_diameter_mm is None else float(measured_diameter_mm),
        details={"us_continuous": round(med, 2), "depth_ratio": CROSS_SECTION_DEPTH_RATIO,
                 "scale_bias": 0.0 if card else SCALE_BIAS,
                 "scale_sigma": round(measurement_sigma(width_px, card=card), 4) if measured_diameter_mm is not None
                 else SCALE_SIGMA},
    )


def _positive(x, name: str) -> float:
    try:
        v = float(x)
    except (TypeError, ValueError):
        v = float("nan")
    if isinstance(x, bool) or not math.isfinite(v) or v <= 0.0:
        raise InvalidOptionError(f"{name} must be a positive finite number, got {x!r}", details={name: repr(x)})
    return v
