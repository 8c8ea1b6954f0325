"""Skin tone of the hand in the photo: CIELAB, ITA° and the Monk Skin Tone scale.

Used in the lighting report, and to sanity-check the photo's exposure and white
balance: the skin is the one surface in every try-on photo whose colour range is
known (its hue sits in a narrow band of orange-red, whatever the tone).

Two colours are reported:

* the *apparent* skin colour: the median linear-sRGB value of the skin pixels
  the lighting estimator uses, converted to CIELAB (D65). This is what ITA° and
  the Monk index are computed from, as in image-based skin-tone studies; it
  depends on the photo's exposure and white balance.
* the *albedo* colour: the estimated diffuse albedo (lighting divided out), as
  CIELAB of a reflectance. Less dependent on exposure; only as good as the
  lighting estimate.

References
----------
* ITA (individual typology angle): Chardon, A., Cretois, I. & Hourseau, C.
  (1991), "Skin colour typology and suntanning pathways", *Int. J. Cosmet. Sci.*
  13(4):191-208. ``ITA = atan2(L* - 50, b*)`` in degrees. Categories as extended
  to six by Del Bino, S. et al. (2006), "Relationship between skin response to
  ultraviolet exposure and skin color type", *Pigment Cell Res.* 19(6):606-614:
  very light > 55° > light > 41° > intermediate > 28° > tan > 10° > brown > -30° > dark.
* Monk Skin Tone (MST) scale: Monk, E. (2019/2023), "The Monk Skin Tone Scale",
  released by Google (https://skintone.google). The ten swatch colours below are
  the sRGB hex codes of the published scale as reproduced in the Wikipedia
  article "Monk Skin Tone Scale" (table "MST Hex color codes") and in
  openpunkart/punkart.blocks.accessories (README, "dr_ellis_monk"); the two
  sources agree code for code. They were not checked against skintone.google
  itself (not reachable from the machine this was written on).
"""

from __future__ import annotations

import numpy as np

from ..color import delta_e_2000, linear_to_srgb8, luminance, rgb_to_lab, srgb8_to_lab

__all__ = ["ITA_CATEGORIES", "MONK_SRGB_HEX", "SKIN_MEASURED_LAB", "SKIN_TYPE_ALBEDO", "albedo_prior", "ita_category", "ita_degrees",
           "monk_index", "prior_training_set", "skin_saturation", "skin_tone",
           "reference_skin", "skin_like"]

#: Monk Skin Tone scale, MST 1 (lightest) .. MST 10 (darkest), sRGB-encoded (see module doc).
MONK_SRGB_HEX = ("#f6ede4", "#f3e7db", "#f7ead0", "#eadaba", "#d7bd96",
                 "#a07e56", "#825c43", "#604134", "#3a312a", "#292420")

#: (lower bound in degrees, name): ITA categories of Chardon et al. (1991) / Del Bino et al. (2006).
ITA_CATEGORIES = ((55.0, "very light"), (41.0, "light"), (28.0, "intermediate"), (10.0, "tan"),
                  (-30.0, "brown"), (-np.inf, "dark"))


#: Diffuse albedo of skin types I..VI, linear sRGB: physicallybased.info materials "Skin I" .. "Skin VI"
#: (AntonPalmqvist/physically-based-api, ``deploy/v2/materials.json``, CC0), which cite Jensen et al. (2001)
#: "A Practical Model for Subsurface Light Transport" (SIGGRAPH), Donner & Jensen (2006) "A Spectral BSSRDF
#: for Shading Human Skin" (EGSR) and Lister et al. (2012) "Optical properties of human skin" (J. Biomed.
#: Opt. 17(9):090901). Transcribed numbers, not a copied file.
SKIN_TYPE_ALBEDO = np.array([
    [0.847, 0.638, 0.552],   # I
    [0.799, 0.485, 0.347],   # II
    [0.623, 0.433, 0.343],   # III
    [0.436, 0.227, 0.131],   # IV
    [0.283, 0.148, 0.079],   # V
    [0.090, 0.050, 0.020],   # VI
])


#: In-vivo skin colours, CIELAB (D65 assumed; the sources state CIELAB without the illuminant): measured
#: skin, unlike the rendering albedos above.
#:
#: * Five cluster centroids of 120 subjects (White, Black, Asian and other; 45/0 spectroradiometer, tip
#:   of the nose and upper lip): "Proposed shade guide for human facial skin", IADR General Session 2009
#:   (Miami), abstract 120461 (https://iadr.abstractarchives.com/abstract/2009miami-120461).
#: * The mean of 148 Asian volunteers (forehead, cheek, inner arm, back of hand, chest; spectrophotometer):
#:   Yun, Lee, Rah, Kim & Park (2010), "Skin color analysis using a spectrophotometer in Asians",
#:   Skin Res. Technol. 16(3):311-315, doi:10.1111/j.1600-0846.2010.00434.x.
SKIN_MEASURED_LAB = np.array([
    [52.5, 17.0, 18.9],
    [37.7, 17.2, 14.7],
    [49.4, 22.0, 12.3],
    [41.5, 25.5, 13.3],
    [26.7, 14.6, 14.7],
    [64.15, 8.96, 18.34],
])

_LUM = np.array([0.2126, 0.7152, 0.0722])  # Rec.709 luminance weights
#: The saturation below is read at this luminance, whatever the colour's own: exposure-free.
SATURATION_REFERENCE_Y = 0.2


def skin_saturation(rgb) -> np.ndarray:
    """Exposure-free saturation of skin colours: C*ab / L* of the colour scaled to luminance 0.2.

    ``rgb`` (..., 3) linear sRGB, any scale (an albedo, a photo's median skin over its white balance).
    Melanin absorbs more the shorter the wavelength, so more of it makes skin both darker and
    more saturated (ITA° falls as L* falls and b* rises); scaling the colour to a fixed
    luminance first leaves only the chromaticity, which exposure does not change.
    """
    rgb = np.clip(np.asarray(rgb, dtype=np.float64), 1e-9, None)
    rgb = rgb / (rgb @ _LUM)[..., None] * SATURATION_REFERENCE_Y
    lab = rgb_to_lab(rgb)
    return np.hypot(lab[..., 1], lab[..., 2]) / lab[..., 0]


def _lab_to_linear(lab: np.ndarray) -> np.ndarray:
    from ..color import xyz_to_linear_srgb

    white = np.array([0.95047, 1.0, 1.08883])
    fy = (lab[:, 0] + 16.0) / 116.0
    f = np.stack([fy + lab[:, 1] / 500.0, fy, fy - lab[:, 2] / 200.0], axis=1)
    xyz = np.where(f ** 3 > 0.008856, f ** 3, (f - 16.0 / 116.0) / 7.787) * white
    return xyz_to_linear_srgb(xyz)


def prior_training_set() -> np.ndarray:
    """The published skin colours the prior is fitted to, linear sRGB (N, 3): :data:`SKIN_TYPE_ALBEDO`,
    then :data:`SKIN_MEASURED_LAB` converted."""
    return np.concatenate([SKIN_TYPE_ALBEDO, _lab_to_linear(SKIN_MEASURED_LAB)])


def _prior_fit() -> tuple[np.ndarray, float, tuple[float, float]]:
    # ln Y = c0 + c1 * saturation, least squares over the twelve published colours (six
    # rendering albedos, six in-vivo measurements). Measured over the twelve: residual sd
    # 0.38 in ln Y, leave-one-out rms 0.42. The earlier feature, ln(g/b), fitted the six
    # rendering albedos alone (sd 0.23) but not the in-vivo skins (over all twelve: sd 0.78):
    # measured dark skin is not as blue-starved as the rendering table's type VI.
    t = prior_training_set()
    x = skin_saturation(t)
    y = np.log(t @ _LUM)
    X = np.stack([np.ones_like(x), x], axis=1)
    c, *_ = np.linalg.lstsq(X, y, rcond=None)
    return c, float(np.std(y - X @ c, ddof=2)), (float(x.min()), float(x.max()))


_PRIOR_COEF, _PRIOR_SIGMA, _PRIOR_RANGE = _prior_fit()


def albedo_prior(albedo_rgb) -> dict:
    """Skin albedo luminance implied by the albedo's *colour* alone (exposure-free).

    Parameters
    ----------
    albedo_rgb : array_like, (3,)
        A skin reflectance estimate in linear sRGB, any scale (only its chromaticity is used,
        so exposure and the estimate's scale cancel; the illuminant's colour must already
        be divided out).

    Returns
    -------
    dict
        ``luminance`` (the prior's albedo luminance Y, Rec.709), ``sigma_log`` (the
        regression's residual standard deviation in ln Y), ``saturation``
        (:func:`skin_saturation`, clamped to the published colours' range) and ``source``.
        The regression ``ln Y = c0 + c1 saturation`` is fitted at import to
        :func:`prior_training_set`.
    """
    a = np.clip(np.asarray(albedo_rgb, dtype=np.float64).reshape(3), 1e-6, None)
    x = float(np.clip(skin_saturation(a), *_PRIOR_RANGE))
    y = float(np.exp(_PRIOR_COEF[0] + _PRIOR_COEF[1] * x))
    return {"luminance": y, "sigma_log": _PRIOR_SIGMA, "saturation": x,
            "source": f"skin colour: ln Y = {_PRIOR_COEF[0]:.3f} {_PRIOR_COEF[1]:+.3f} x saturation (C*ab/L*), "
                      "fitted to physicallybased.info Skin I-VI and six in-vivo measurements (IADR 2009; "
                      "Yun et al. 2010)"}


def _monk_lab() -> np.ndarray:
    codes = np.array([[int(h[i:i + 2], 16) for i in (1, 3, 5)] for h in MONK_SRGB_HEX], dtype=np.uint8)
    return srgb8_to_lab(codes)


def ita_degrees(lab) -> np.ndarray:
    """Individual typology angle, degrees: ``atan2(L* - 50, b*)``, for CIELAB ``(..., 3)`` -> ``(...)``."""
    lab = np.asarray(lab, dtype=np.float64)
    return np.degrees(np.arctan2(lab[..., 0] - 50.0, lab[..., 2]))


def ita_category(ita: float) -> str:
    """Name of the ITA category (Del Bino et al. 2006 six-way split) of an angle in degrees."""
    for lo, name in ITA_CATEGORIES:
        if ita > lo:
            return name
    return ITA_CATEGORIES[-1][1]


def monk_index(lab) -> tuple[int, float]:
    """Nearest Monk swatch (1..10) by CIEDE2000 to a CIELAB colour ``(3,)``; returns ``(index, ΔE00)``."""
    lab = np.asarray(lab, dtype=np.float64).reshape(1, 3)
    de = delta_e_2000(np.repeat(lab, 10, axis=0), _monk_lab())
    i = int(np.argmin(de))
    return i + 1, float(de[i])


def skin_tone(skin_rgb_linear, albedo_rgb=None) -> dict:
    """Skin tone of skin pixels, JSON-able.

    Parameters
    ----------
    skin_rgb_linear : array_like, (N, 3)
        Linear-sRGB skin pixel values (the photo's linear units, 1.0 = white).
    albedo_rgb : array_like, (3,), optional
        Estimated diffuse albedo (linear sRGB reflectance).

    Returns
    -------
    dict
        ``rgb_linear`` and ``srgb8`` (the median skin colour), ``lab`` (CIELAB,
        D65), ``ita_deg``, ``ita_category``, ``monk`` (1..10), ``monk_delta_e``
        (CIEDE2000 to that swatch), ``hue_deg`` (CIELAB hue angle h_ab) and, with
        ``albedo_rgb``, ``albedo_lab``, ``albedo_ita_deg`` and ``albedo_monk`` (the swatch
        nearest the albedo itself, independent of exposure). Empty input gives
        ``{"n": 0}``.
    """
    rgb = np.asarray(skin_rgb_linear, dtype=np.float64).reshape(-1, 3)
    rgb = rgb[np.all(np.isfinite(rgb), axis=1)]
    if len(rgb) == 0:
        return {"n": 0}
    med = np.clip(np.median(rgb, axis=0), 0.0, None)
    lab = rgb_to_lab(med)
    ita = float(ita_degrees(lab))
    mst, de = monk_index(lab)
    out = {
        "n": len(rgb),
        "rgb_linear": [float(v) for v in med],
        "srgb8": [int(v) for v in linear_to_srgb8(med)],
        "lab": [float(v) for v in lab],
        "ita_deg": ita,
        "ita_category": ita_category(ita),
        "monk": mst,
        "monk_delta_e": de,
        "hue_deg": float(np.degrees(np.arctan2(lab[2], lab[1]))),
    }
    if albedo_rgb is not None:
        alab = rgb_to_lab(np.clip(np.asarray(albedo_rgb, dtype=np.float64), 0.0, 1.0))
        out["albedo_lab"] = [float(v) for v in alab]
        out["albedo_ita_deg"] = float(ita_degrees(alab))
        # A diffuse reflector of albedo rho, exposed so that white reads 1.0, shows rho: the
        # swatch nearest the albedo is the tone independent of the photo's exposure.
        out["albedo_monk"], out["albedo_monk_delta_e"] = monk_index(alab)
    return out


def reference_skin(photo, camera, placement) -> np.ndarray:
    """Median linear colour along the finger bones (robust: always on the hand), at the pixels a placement
    names as its skin (``skin_reference_px``: an ear's cheeks and forehead), or along its own
    ``skin_segments`` (pairs of ``points_cam`` rows: the neck)."""
    own = getattr(placement, "skin_reference_px", None)
    if own is not None:
        samples = np.asarray(own, float)
    else:
        uv_l = camera.project(placement.points_cam)
        samples = []
        segments = getattr(placement, "skin_segments", None) or [(5, 6), (9, 10), (13, 14), (17, 18), (6, 7),
                                                                  (10, 11), (14, 15), (0, 9)]
        for a, b in segments:
            for s in np.linspace(0.2, 0.8, 7):
                samples.append(uv_l[a] + s * (uv_l[b] - uv_l[a]))
        samples = np.asarray(samples)
    ix = np.clip(samples[:, 0].astype(int), 0, photo.width - 1)
    iy = np.clip(samples[:, 1].astype(int), 0, photo.height - 1)
    return np.median(photo.linear[iy, ix].astype(np.float64), axis=0)


def skin_like(rgb: np.ndarray, ref: np.ndarray) -> np.ndarray:
    s = rgb.sum(axis=1, keepdims=True) + 1e-6
    chroma = rgb / s
    ref_chroma = ref / (ref.sum() + 1e-6)
    close = np.linalg.norm(chroma - ref_chroma, axis=1) < 0.06
    y = luminance(rgb)
    y_ref = max(float(luminance(ref[None])[0]), 1e-4)
    bright_ok = (y > 0.08 * y_ref) & (y < 6.0 * y_ref)
    keep = close & bright_ok
    if keep.sum() > 50:
        # Drop specular highlights and nail polish: the top 2 % of skin luminance.
        keep &= y <= np.quantile(y[keep], 0.98)
    return keep
