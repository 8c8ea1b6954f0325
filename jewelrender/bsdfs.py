"""Custom Mitsuba 3 plugins for gems: a dispersive smooth dielectric ("fire").

Mitsuba's ``dielectric`` has one fixed index of refraction, so a diamond
rendered with it shows no fire. This module adds:

``dispersive_dielectric`` (BSDF)
    A smooth (specular) dielectric interface whose index follows a Sellmeier or
    Cauchy law, n(λ). At every interaction the *hero* wavelength
    ``si.wavelengths[0]`` decides the event: reflection vs refraction is chosen
    with the hero's Fresnel reflectance and the refracted direction follows
    Snell's law at the hero's index.

``hero_path`` (integrator)
    A unidirectional path tracer (emitter sampling + MIS + Russian roulette,
    the same estimator as Mitsuba's ``path``) that additionally implements
    pbrt-v4's ``SampledWavelengths::TerminateSecondary``: see below. Use it
    whenever a scene contains a dispersive BSDF; in scenes without one it
    renders the same image as ``path``.

BSDF parameters (scene dict)
----------------------------
Exactly one dispersion law:

- ``sellmeier_b``, ``sellmeier_c``: 1 to 3 terms each, as a string of numbers
  (``"0.3306 4.3356"``) or a Dr.Jit/Mitsuba vector; C in µm²;
  n² = 1 + Σ B λ² / (λ² - C), λ in µm. Presets: :data:`SELLMEIER`.
- ``cauchy_a``, ``cauchy_b``: n = A + B / λ², B in µm².
- ``eta`` (alias ``int_ior``): constant index, no dispersion (control case;
  identical to Mitsuba's ``dielectric``).

``ext_ior`` (float, default 1.000277, air as in Mitsuba's ``dielectric``):
index of the exterior; the relative index is n(λ) / ext_ior, taken as
wavelength-independent outside.

Body colour (Beer-Lambert absorption inside the stone; optional):

- ``sigma_a``: absorption coefficient σ_a(λ) in **1 / scene unit** (natural
  log: T = exp(-σ_a d)): one number (grey), or N >= 2 numbers tabulated on a
  uniform grid from ``sigma_a_lambda_min`` to ``sigma_a_lambda_max`` (nm,
  defaults 360 and 830, :data:`ABSORPTION_RANGE_NM`), linearly interpolated
  and held constant outside. The unit is the *scene's*: a try-on scene (camera
  frame in metres) needs 1/m, a benchmark scene in millimetres 1/mm.
  :func:`dispersive_dielectric_dict` takes σ_a in 1/mm (as gem data are
  given) with the scene's ``length_unit_m`` and converts. (A bare
  ``absorption`` is rejected: it names no unit.)

Build the entry with :func:`dispersive_dielectric_dict`, which validates it
(Mitsuba wraps errors raised while loading a plugin in ``RuntimeError``).

How the absorption is applied
-----------------------------
No integrator support is needed. Normals point out of the stone, so an
interaction whose incident direction lies on the interior side
(cos θ_i < 0) ends a segment that ran *inside* the stone, from the previous
vertex to this one: its length is ``si.t`` (the ray distance the scene's
``ray_intersect`` returned, in scene units; sensor and spawned rays have unit
directions). ``sample`` multiplies the weight of whichever lobe it samples,
reflection or transmission, by exp(-σ_a(λ_k) si.t) for every wavelength λ_k
of ``si.wavelengths``; interactions from outside are not attenuated. This is
exact for any path through a closed stone, in every integrator that samples
the BSDF at the interaction the ray found (``hero_path``, ``path``): the
segments inside are exactly those that end on the stone from inside, plus
the one leaving a camera inside a stone. ``eval`` and ``pdf`` are zero for
these delta lobes, so ``sample`` is the only place the factor belongs.

Limits: the stone must be closed with outward normals (inverted normals
would absorb outside instead); a segment inside the stone that ends on
*another* surface (a prong tip buried in the stone) is not attenuated; and
``sigma_a`` must not be combined with an interior participating medium (a
segment ending in a scattering event never reaches this BSDF): put the
absorption into the medium instead. The factor is floored at 1e-30 so that
a constant-index stone's non-hero wavelengths never reach exactly zero,
which :func:`terminate_secondary` would take for a dispersive refraction.

Why an integrator is needed
---------------------------
A dispersive refraction sends each wavelength in its own direction, so after
refracting along the hero's direction the other wavelengths of the sample have
(measure-)zero BSDF: the BSDF weight (value * cos / pdf) is ``(w, 0, 0, 0)``.
Mitsuba's spectral film averages the N = 4 wavelengths of a sample,
``rgb = mean_k(cmf(λ_k) * L_k)`` (``spectrum_to_srgb`` in
``mitsuba/core/spectrum.h``; the weight ``1/p(λ_k)`` is already in ``L_k``
because the sensor samples λ_k = ``sample_rgb_spectrum(u + k/N mod 1)``, so
every λ_k has the same marginal density p). Once only the hero survives, the
sample is a one-wavelength estimate and must count N times: ``L_0 *= N``.
That factor must be applied *once per path*, at its first dispersive
refraction; a later refraction must not apply it again (a ray through a stone
refracts twice, through stone-metal-stone four times). A BSDF has no access to
the path's state, so no per-interaction factor can be right for every path:
``hero_path`` keeps a per-path flag and applies the ×N at the first event
where a BSDF sampled a transmission whose weight is zero in every non-hero
wavelength. The BSDF itself therefore returns the true per-wavelength weight
(hero: ratio of the hero's lobe value to its pdf; others: 0).

With Mitsuba's stock ``path`` integrator this BSDF is *biased*: refracted light
is N = 4 times too dark. Reflected light and non-dispersive (constant ``eta``)
stones are right with either integrator.

Reflection keeps all wavelengths (they share the mirror direction) with the
per-wavelength weight F(λ_k) / F(λ_0): unbiased for every wavelength because
F(λ_0) > 0 wherever F(λ_k) > 0, and it gives far less colour noise on the
white surface reflection than terminating there as well. Under total internal
reflection at the hero (F(λ_0) = 1) a wavelength with F(λ_k) < 1 keeps weight
F(λ_k); its missing transmitted part is the hero-only estimate of the other
samples (whose hero is that wavelength), so the sum stays unbiased.

Variants
--------
``*_spectral`` (``scalar_spectral``, ``llvm_ad_spectral``, ``cuda_ad_spectral``):
dispersive as above. RGB and mono variants: a smooth non-dispersive dielectric
with the index at the sodium D line, 589.3 nm, and σ_a taken at one
representative wavelength per channel: the dominant wavelengths of the
Rec. 709 primaries seen from D65 (611.5, 549.1, 464.3 nm, computed from the
CIE 1931 tables; :data:`RGB_ABSORPTION_NM`) for RGB, 555 nm (the peak of
V(λ)) for mono. A narrow band between those wavelengths is missed there; the
spectral variants see every band. Polarised variants are not supported.

Units: wavelengths in nm at the API (Mitsuba's), converted to µm for the
dispersion formulas; Sellmeier C coefficients in µm², Cauchy B in µm².
"""

from __future__ import annotations

import math
from typing import Any, Sequence

from .errors import BackendUnavailableError, InvalidOptionError

__all__ = [
    "SELLMEIER",
    "D_LINE_NM",
    "AIR_IOR",
    "register",
    "dispersive_dielectric_dict",
    "sellmeier_index",
    "cauchy_index",
    "terminate_secondary",
    "ABSORPTION_RANGE_NM",
    "ABSORPTION_STEP_NM",
    "RGB_ABSORPTION_NM",
    "MONO_ABSORPTION_NM",
]

#: Sodium D line (nm) at which RGB/mono variants evaluate the index, and at
#: which gemmologists quote "the" refractive index.
D_LINE_NM = 589.3

#: Index of air at standard conditions, Mitsuba's ``"air"`` (its ``dielectric``
#: default ``ext_ior``).
AIR_IOR = 1.000277

#: Sellmeier coefficients ``(B, C)`` with C in µm², transcribed from
#: refractiveindex.info (CC0) "formula 1" entries, where the stored C are in µm
#: and are squared here. n² = 1 + Σ B_i λ² / (λ² - C_i), λ in µm.
SELLMEIER: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {
    # F. Peter, Z. Phys. 15, 358-368 (1923); valid 0.226-0.760 µm. n_D 2.417.
    "diamond": ((0.3306, 4.3356), (0.1750**2, 0.1060**2)),
    # D. L. Wood, K. Nassau, Appl. Opt. 21, 2978-2981 (1982), 12 mol% Y2O3;
    # valid 0.361-5.135 µm. n_D 2.159.
    "cubic_zirconia": ((1.347091, 2.117788, 9.452943), (0.062543**2, 0.166739**2, 24.320570**2)),
    # I. H. Malitson, M. J. Dodge, J. Opt. Soc. Am. 62, 1405 (1972), ordinary
    # ray of corundum (sapphire, ruby); valid 0.2-5 µm. n_D 1.768.
    "sapphire": ((1.4313493, 0.65054713, 5.3414021), (0.0726631**2, 0.1193242**2, 18.028251**2)),
    # W. J. Tropf, M. E. Thomas, in Palik (ed.), Handbook of Optical Constants
    # of Solids II (1991), MgAl2O4; valid 0.35-5.5 µm. n_D 1.716.
    "spinel": ((1.8938, 3.0755), (0.09942**2, 15.826**2)),
    # I. H. Malitson, J. Opt. Soc. Am. 55, 1205-1208 (1965); valid 0.21-6.7 µm.
    # n_D 1.458.
    "fused_silica": ((0.6961663, 0.4079426, 0.8974794), (0.0684043**2, 0.1162414**2, 9.896161**2)),
}

#: Default wavelength range (nm) of a tabulated ``sigma_a``: Mitsuba's
#: spectral sampling range (MI_CIE_MIN/MAX).
ABSORPTION_RANGE_NM = (360.0, 830.0)
#: Step (nm) on which :func:`dispersive_dielectric_dict` tabulates ``sigma_a``.
ABSORPTION_STEP_NM = 5.0
#: Wavelengths (nm) at which RGB variants take σ_a: the dominant wavelengths of
#: the Rec. 709 red, green and blue primaries with respect to D65.
RGB_ABSORPTION_NM = (611.5, 549.1, 464.3)
#: Wavelength (nm) at which mono variants take σ_a: the peak of V(λ).
MONO_ABSORPTION_NM = 555.0
# Floor of the absorption factor (see the module docstring).
_ATTENUATION_FLOOR = 1e-30

_VARIANTS_DONE: set[str] = set()


# ---------------------------------------------------------------------------
# Dispersion laws (generic: Python floats, numpy arrays or Dr.Jit arrays)
# ---------------------------------------------------------------------------

def sellmeier_index(wavelength_nm: Any, b: Sequence[float], c: Sequence[float]) -> Any:
    """Refractive index from the Sellmeier equation.

    Parameters
    ----------
    wavelength_nm : float, numpy array or Dr.Jit array
        Vacuum wavelength(s) in nm.
    b : sequence of float
        Dimensionless B_i (any number of terms).
    c : sequence of float
        C_i in µm², same length as ``b``.

    Returns
    -------
    Same type as ``wavelength_nm``: n = sqrt(1 + Σ B_i λ² / (λ² - C_i)), λ in µm.
    """
    lam2 = (wavelength_nm * 1e-3) * (wavelength_nm * 1e-3)
    n2 = 1.0
    for bi, ci in zip(b, c):
        n2 = n2 + bi * lam2 / (lam2 - ci)
    return n2**0.5


def cauchy_index(wavelength_nm: Any, a: float, b: float) -> Any:
    """Refractive index from Cauchy's law n = A + B / λ² (λ and sqrt(B) in µm)."""
    lam = wavelength_nm * 1e-3
    return a + b / (lam * lam)


def _triple(value: Any, name: str) -> tuple[float, ...]:
    """Coefficients from a scene-dict value: a string of numbers or an array."""
    return _numbers(value, name, 3)


def _numbers(value: Any, name: str, max_len: int | None = None) -> tuple[float, ...]:
    """Finite numbers from a scene-dict value (a string of numbers or an array), 1 to ``max_len``."""
    if isinstance(value, str):
        parts = value.replace(",", " ").split()
    else:
        try:
            parts = list(value)
        except TypeError:
            parts = [value]
    try:
        out = tuple(float(p) for p in parts)
    except (TypeError, ValueError) as exc:
        raise InvalidOptionError(f"{name} must be 1 to {max_len or 'N'} numbers, got {value!r}",
                                 details={"option": name}) from exc
    if not 1 <= len(out) <= (max_len or len(out)) or not all(math.isfinite(x) for x in out):
        raise InvalidOptionError(f"{name} must be 1 to {max_len or 'N'} finite numbers, got {value!r}",
                                 details={"option": name})
    return out


def _interp_uniform(table: Sequence[float], lo: float, hi: float, lam: float) -> float:
    """Linear interpolation in a table sampled uniformly on [lo, hi]; ends held (Python floats)."""
    n = len(table)
    if n == 1:
        return float(table[0])
    x = min(max((lam - lo) * (n - 1) / (hi - lo), 0.0), n - 1.0)
    i = min(int(x), n - 2)
    return table[i] + (x - i) * (table[i + 1] - table[i])


def _absorption_entries(absorption: Any, length_unit_m: Any) -> dict[str, Any]:
    """``sigma_a`` scene-dict entries from σ_a in 1/mm (see :func:`dispersive_dielectric_dict`)."""
    import numpy as np

    if length_unit_m is None:
        raise InvalidOptionError(
            "absorption needs length_unit_m, the length of one scene unit in metres "
            "(1.0 for a scene in metres, 1e-3 for one in millimetres)", details={"option": "length_unit_m"})
    unit = float(length_unit_m)
    if not (math.isfinite(unit) and unit > 0):
        raise InvalidOptionError(f"length_unit_m must be positive, got {length_unit_m!r}",
                                 details={"option": "length_unit_m"})
    try:
        if isinstance(absorption, (int, float)) and not isinstance(absorption, bool):
            wl, sig = None, np.array([float(absorption)])
        else:
            wl_in, sig_in = absorption
            wl = np.asarray(wl_in, dtype=np.float64)
            sig = np.asarray(sig_in, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidOptionError(
            "absorption must be a number (1/mm) or a pair (wavelengths_nm, sigma_per_mm)",
            details={"option": "absorption"}) from exc
    if wl is not None:
        if wl.ndim != 1 or wl.shape != sig.shape or wl.size < 2 or not np.all(np.diff(wl) > 0):
            raise InvalidOptionError(
                "absorption wavelengths must be >= 2 strictly increasing values, one per coefficient",
                details={"option": "absorption"})
        if not np.all(np.isfinite(wl)):
            raise InvalidOptionError("absorption wavelengths must be finite", details={"option": "absorption"})
    if not np.all(np.isfinite(sig)) or np.any(sig < 0):
        raise InvalidOptionError("absorption coefficients must be finite and >= 0 (1/mm)",
                                 details={"option": "absorption"})
    if wl is not None:
        lo, hi = ABSORPTION_RANGE_NM
        grid = np.arange(lo, hi + 0.5 * ABSORPTION_STEP_NM, ABSORPTION_STEP_NM)
        sig = np.interp(grid, wl, sig)
    # 1/mm -> 1/scene unit: a scene unit is unit/1e-3 millimetres.
    sig = sig * (unit / 1e-3)
    if not np.any(sig > 0):
        return {}
    out: dict[str, Any] = {"sigma_a": " ".join(format(float(x), ".9g") for x in sig)}
    if sig.size > 1:
        out["sigma_a_lambda_min"], out["sigma_a_lambda_max"] = ABSORPTION_RANGE_NM
    return out


def _validate_law(fn, name: str) -> None:
    """Reject coefficient sets that give a non-physical index in 360-830 nm."""
    for lam in range(360, 831, 10):
        n = fn(float(lam))
        if isinstance(n, complex) or not math.isfinite(n) or not 1.0 <= n < 10.0:
            raise InvalidOptionError(
                f"{name}: the index at {lam} nm would be {n!r}; coefficients out of range "
                "(Sellmeier C and Cauchy B are in µm²)",
                details={"option": name, "wavelength_nm": lam})


# ---------------------------------------------------------------------------
# Scene-dict helper and registration
# ---------------------------------------------------------------------------

def dispersive_dielectric_dict(
    b: Sequence[float] | str | None = None,
    c: Sequence[float] | None = None,
    *,
    cauchy: tuple[float, float] | None = None,
    eta: float | None = None,
    ext_ior: float = AIR_IOR,
    absorption: Any = None,
    length_unit_m: float | None = None,
) -> dict[str, Any]:
    """Scene-dict entry of a ``dispersive_dielectric`` BSDF.

    Exactly one dispersion law: Sellmeier (``b`` and ``c``, or ``b`` a name in
    :data:`SELLMEIER`, e.g. ``"diamond"``), ``cauchy=(A, B_µm²)``, or a constant
    ``eta`` (no dispersion).

    Parameters
    ----------
    b, c : sequence of float (1-3 terms each) or str
        Sellmeier B (dimensionless) and C (µm²); or ``b`` a preset name.
    cauchy : (float, float), optional
        Cauchy A and B (µm²).
    eta : float, optional
        Constant interior index.
    ext_ior : float
        Index of the exterior medium (default air, 1.000277).
    absorption : float or (array_like, array_like), optional
        Body colour: σ_a in **1/mm** (natural log), either one number (grey)
        or ``(wavelengths_nm, sigma_per_mm)`` of shape (N,) each, N >= 2,
        wavelengths strictly increasing (resampled linearly onto
        :data:`ABSORPTION_RANGE_NM` at :data:`ABSORPTION_STEP_NM`, end values
        held). All zero gives the clear stone (no ``sigma_a`` entry).
    length_unit_m : float, optional
        Length of one scene unit in metres (1.0 for the try-on scenes in
        metres, 1e-3 for scenes in millimetres); required with ``absorption``,
        whose 1/mm it converts to the ``sigma_a`` the BSDF takes (1/scene unit).

    Returns
    -------
    dict
        ``{"type": "dispersive_dielectric", ...}``; coefficients are written as
        strings (exact ``repr`` of each float) so that the dict needs no
        active Mitsuba variant and also round-trips through XML. Call
        :func:`register` before loading it.
    """
    if isinstance(b, str):
        if b not in SELLMEIER:
            raise InvalidOptionError(f"unknown material {b!r}", details={"valid": sorted(SELLMEIER)})
        b, c = SELLMEIER[b]
    given = sum(x is not None for x in ((b if b is not None or c is not None else None), cauchy, eta))
    if given != 1:
        raise InvalidOptionError("give exactly one of: Sellmeier (b, c), cauchy=(A, B), eta")
    d: dict[str, Any] = {"type": "dispersive_dielectric", "ext_ior": float(ext_ior)}
    if b is not None or c is not None:
        if b is None or c is None:
            raise InvalidOptionError("Sellmeier needs both b and c")
        bb, cc = _triple(b, "sellmeier_b"), _triple(c, "sellmeier_c")
        if len(bb) != len(cc):
            raise InvalidOptionError("sellmeier_b and sellmeier_c must have the same length")
        _validate_law(lambda lam: sellmeier_index(lam, bb, cc), "sellmeier")
        d["sellmeier_b"] = " ".join(repr(x) for x in bb)
        d["sellmeier_c"] = " ".join(repr(x) for x in cc)
    elif cauchy is not None:
        a_, b_ = cauchy
        a_, b_ = float(a_), float(b_)
        _validate_law(lambda lam: cauchy_index(lam, a_, b_), "cauchy")
        d["cauchy_a"], d["cauchy_b"] = a_, b_
    else:
        if not (math.isfinite(float(eta)) and float(eta) > 0):
            raise InvalidOptionError(f"eta must be positive, got {eta!r}", details={"option": "eta"})
        d["eta"] = float(eta)
    if not (math.isfinite(float(ext_ior)) and float(ext_ior) >= 1.0):
        raise InvalidOptionError(f"ext_ior must be >= 1, got {ext_ior!r}", details={"option": "ext_ior"})
    if absorption is not None:
        d.update(_absorption_entries(absorption, length_unit_m))
    return d


def register() -> None:
    """Register ``dispersive_dielectric`` and ``hero_path`` for the active variant.

    Mitsuba's plugin registry is per variant, so this must be called after
    every ``mi.set_variant``; repeated calls for the same variant are no-ops.

    Raises
    ------
    BackendUnavailableError
        No variant is set, or it is a polarised one.
    """
    import mitsuba as mi

    variant = mi.variant()
    if variant is None:
        raise BackendUnavailableError("no Mitsuba variant is set; call mitsuba.set_variant() first")
    if variant in _VARIANTS_DONE:
        return
    if "polarized" in variant:
        raise BackendUnavailableError(
            f"dispersive_dielectric does not support the polarised variant {variant!r}")
    bsdf_cls = _make_bsdf_class(mi)
    integ_cls = _make_integrator_class(mi)
    mi.register_bsdf("dispersive_dielectric", lambda props: bsdf_cls(props))
    mi.register_integrator("hero_path", lambda props: integ_cls(props))
    _VARIANTS_DONE.add(variant)


# ---------------------------------------------------------------------------
# Implementation (classes are built per variant: mi.BSDF differs per variant)
# ---------------------------------------------------------------------------

def _fresnel(dr, cos_i, eta):
    """Unpolarised dielectric Fresnel, generic over Float / Spectrum ``eta``.

    Same conventions as ``mi.fresnel`` (``eta`` = interior / exterior; the
    normal points outside); works when ``eta`` is a per-wavelength Spectrum and
    ``cos_i`` a Float. Returns (R, cos_theta_t, eta_it, eta_ti).
    """
    outside = cos_i >= 0
    rcp_eta = dr.rcp(eta)
    eta_it = dr.select(outside, eta, rcp_eta)
    eta_ti = dr.select(outside, rcp_eta, eta)
    sin2_i = 1.0 - cos_i * cos_i
    cos_t_sqr = 1.0 - sin2_i * eta_ti * eta_ti
    ci = dr.abs(cos_i)
    ct = dr.safe_sqrt(cos_t_sqr)
    a_s = (ci - eta_ti * ct) / (ci + eta_ti * ct)
    a_p = (ct - eta_ti * ci) / (ct + eta_ti * ci)
    r = 0.5 * (a_s * a_s + a_p * a_p)
    # Grazing incidence (both terms 0/0) reflects fully; index-matched never does.
    r = dr.select(ci == 0, 1.0, r)
    r = dr.select(eta == 1, 0.0, r)
    cos_t = dr.select(outside, -ct, ct)
    return r, cos_t, eta_it, eta_ti


def _make_bsdf_class(mi):
    import drjit as dr

    spectral = bool(mi.is_spectral)
    jit = bool(dr.is_jit_v(mi.Float))
    F_DR = int(mi.BSDFFlags.DeltaReflection)
    F_DT = int(mi.BSDFFlags.DeltaTransmission)
    F_SIDES = int(mi.BSDFFlags.FrontSide | mi.BSDFFlags.BackSide)

    class DispersiveDielectric(mi.BSDF):
        """Smooth dielectric with wavelength-dependent index (see module doc)."""

        def __init__(self, props):
            mi.BSDF.__init__(self, props)
            has = props.has_property
            laws = [has("sellmeier_b") or has("sellmeier_c"),
                    has("cauchy_a") or has("cauchy_b"),
                    has("eta") or has("int_ior")]
            if sum(laws) != 1:
                raise InvalidOptionError(
                    "dispersive_dielectric needs exactly one of: sellmeier_b + sellmeier_c, "
                    "cauchy_a + cauchy_b, eta")
            self.ext_ior = float(props.get("ext_ior", AIR_IOR))
            if not (math.isfinite(self.ext_ior) and self.ext_ior >= 1.0):
                raise InvalidOptionError(f"ext_ior must be >= 1, got {self.ext_ior}")
            if laws[0]:
                if not (has("sellmeier_b") and has("sellmeier_c")):
                    raise InvalidOptionError("Sellmeier needs both sellmeier_b and sellmeier_c")
                b = _triple(props["sellmeier_b"], "sellmeier_b")
                c = _triple(props["sellmeier_c"], "sellmeier_c")
                if len(b) != len(c):
                    raise InvalidOptionError("sellmeier_b and sellmeier_c must have the same length")
                self.model = "sellmeier"
                self.coef = b + c
                _validate_law(lambda lam: sellmeier_index(lam, b, c), "sellmeier")
            elif laws[1]:
                if not (has("cauchy_a") and has("cauchy_b")):
                    raise InvalidOptionError("Cauchy needs both cauchy_a and cauchy_b")
                self.model = "cauchy"
                self.coef = (float(props["cauchy_a"]), float(props["cauchy_b"]))
                _validate_law(lambda lam: cauchy_index(lam, *self.coef), "cauchy")
            else:
                self.model = "constant"
                value = props["eta"] if has("eta") else props["int_ior"]
                self.coef = (float(value),)
                if not (math.isfinite(self.coef[0]) and self.coef[0] > 0):
                    raise InvalidOptionError(f"eta must be positive, got {value!r}")
            if has("absorption"):
                raise InvalidOptionError(
                    "dispersive_dielectric: 'absorption' names no unit; give 'sigma_a' in 1/scene unit, "
                    "or build the entry with dispersive_dielectric_dict(absorption=..., length_unit_m=...)")
            self._init_absorption(props)
            # Dispersion only matters in spectral variants; elsewhere the index
            # is frozen at the D line (documented behaviour).
            self.dispersive = spectral and self.model != "constant"
            self.eta_d = self.index_scalar(D_LINE_NM) / self.ext_ior
            self.m_components = [F_DR | F_SIDES, F_DT | F_SIDES]
            self.m_flags = F_DR | F_DT | F_SIDES

        def _init_absorption(self, props):
            has = props.has_property
            sig = _numbers(props["sigma_a"], "sigma_a") if has("sigma_a") else (0.0,)
            lo = float(props.get("sigma_a_lambda_min", ABSORPTION_RANGE_NM[0]))
            hi = float(props.get("sigma_a_lambda_max", ABSORPTION_RANGE_NM[1]))
            if any(x < 0 for x in sig):
                raise InvalidOptionError("sigma_a must be >= 0 (1/scene unit)", details={"option": "sigma_a"})
            if len(sig) > 1 and not (math.isfinite(lo) and math.isfinite(hi) and 0 < lo < hi):
                raise InvalidOptionError(
                    f"sigma_a_lambda_min/max must satisfy 0 < min < max (nm), got {lo}, {hi}",
                    details={"option": "sigma_a_lambda_min"})
            self.sigma_a = sig
            self.sigma_range = (lo, hi)
            self.absorbing = any(x > 0 for x in sig)
            if spectral:
                # JIT variants look the table up with a gather (no per-lane
                # Python branching); scalar ones index the Python tuple.
                self._sigma_table = mi.Float(list(sig)) if jit else None
                self._sigma_channels = None
            else:
                nm = RGB_ABSORPTION_NM if dr.size_v(mi.UnpolarizedSpectrum) == 3 else (MONO_ABSORPTION_NM,)
                self._sigma_channels = tuple(_interp_uniform(sig, lo, hi, x) for x in nm)

        # -- absorption ---------------------------------------------------
        def _sigma_lookup(self, lam):
            """σ_a (1/scene unit) at wavelength(s) ``lam`` (nm): linear interpolation, ends held."""
            sig = self.sigma_a
            n = len(sig)
            if n == 1:
                return sig[0] + 0.0 * lam
            if not jit:
                return _interp_uniform(sig, *self.sigma_range, float(lam))
            lo, hi = self.sigma_range
            x = dr.clip((lam - lo) * ((n - 1) / (hi - lo)), 0.0, float(n - 1))
            i = dr.minimum(mi.UInt32(x), n - 2)
            f = x - mi.Float(i)
            a = dr.gather(mi.Float, self._sigma_table, i)
            b = dr.gather(mi.Float, self._sigma_table, i + 1)
            return dr.fma(f, b - a, a)

        def sigma(self, si):
            """σ_a per wavelength of ``si`` (spectral) or per channel (RGB/mono), 1/scene unit."""
            if self._sigma_channels is not None:
                return mi.UnpolarizedSpectrum(*self._sigma_channels)
            wl = si.wavelengths
            return mi.UnpolarizedSpectrum(*[self._sigma_lookup(wl[k])
                                            for k in range(dr.size_v(mi.UnpolarizedSpectrum))])

        def _attenuation(self, si, cos_i):
            """exp(-σ_a si.t) where ``si`` was reached from inside the stone, else 1."""
            t = dr.select(dr.isfinite(si.t), si.t, 0.0)
            att = dr.maximum(dr.exp(-self.sigma(si) * t), _ATTENUATION_FLOOR)
            return dr.select(cos_i < 0, att, 1.0)

        # -- index ------------------------------------------------------
        def index_scalar(self, wavelength_nm: float) -> float:
            """Interior index n(λ) (absolute) as a Python float; λ in nm."""
            return float(self._law(float(wavelength_nm)))

        def _law(self, lam):
            if self.model == "sellmeier":
                k = len(self.coef) // 2
                return sellmeier_index(lam, self.coef[:k], self.coef[k:])
            if self.model == "cauchy":
                return cauchy_index(lam, *self.coef)
            return self.coef[0] + 0.0 * lam

        def _eta(self, si):
            """Relative index (interior / exterior) per wavelength of ``si``."""
            if self.dispersive:
                return self._law(mi.UnpolarizedSpectrum(si.wavelengths)) * (1.0 / self.ext_ior)
            if self.model == "constant":
                return mi.Float(self.coef[0] / self.ext_ior)
            return mi.Float(self.eta_d)

        # -- BSDF interface ----------------------------------------------
        def sample(self, ctx, si, sample1, sample2, active=True):
            has_r = ctx.is_enabled(mi.BSDFFlags.DeltaReflection, 0)
            has_t = ctx.is_enabled(mi.BSDFFlags.DeltaTransmission, 1)
            bs = dr.zeros(mi.BSDFSample3f)
            if not (has_r or has_t):
                return bs, mi.Spectrum(0.0)

            cos_i = mi.Frame3f.cos_theta(si.wi)
            eta = self._eta(si)
            r_all, cos_t_all, eta_it_all, eta_ti_all = _fresnel(dr, cos_i, eta)
            if self.dispersive:
                # The hero wavelength decides the event and the direction.
                r0, cos_t, eta_it, eta_ti = (r_all[0], cos_t_all[0],
                                             eta_it_all[0], eta_ti_all[0])
            else:
                r0, cos_t, eta_it, eta_ti = r_all, cos_t_all, eta_it_all, eta_ti_all
            t0 = 1.0 - r0

            if has_r and has_t:
                sel_r = (sample1 <= r0) & active
                bs.pdf = dr.detach(dr.select(sel_r, r0, t0))
            else:
                sel_r = mi.Bool(has_r) & active
                bs.pdf = mi.Float(1.0)
            sel_t = ~sel_r & active

            bs.sampled_component = dr.select(sel_r, mi.UInt32(0), mi.UInt32(1))
            bs.sampled_type = dr.select(sel_r, mi.UInt32(F_DR), mi.UInt32(F_DT))
            bs.wo = dr.select(sel_r, mi.reflect(si.wi), mi.refract(si.wi, cos_t, eta_ti))
            bs.eta = dr.select(sel_r, 1.0, eta_it)

            # Per-wavelength lobe value / pdf (value already includes cos).
            value_r = r_all
            value_t = 1.0 - r_all
            if self.dispersive:
                # Only the hero travels along the refracted direction.
                value_t = self._hero_only(value_t[0])
            value = dr.select(sel_r, mi.UnpolarizedSpectrum(value_r), mi.UnpolarizedSpectrum(value_t))
            weight = value / dr.select(bs.pdf > 0, bs.pdf, 1.0)
            weight = dr.select(bs.pdf > 0, weight, 0.0)
            # Radiance is compressed into the smaller solid angle (1/η² law);
            # importance (adjoint) transport is not.
            if ctx.mode == mi.TransportMode.Radiance:
                weight = dr.select(sel_t, weight * (eta_ti * eta_ti), weight)
            if self.absorbing:
                # Beer-Lambert over the segment that ended here, if it ran inside.
                weight = weight * self._attenuation(si, cos_i)
            weight = dr.select(active, weight, 0.0)
            return bs, mi.Spectrum(weight)

        def _hero_only(self, x):
            s = dr.zeros(mi.UnpolarizedSpectrum)
            s[0] = x
            return s

        def eval(self, ctx, si, wo, active=True):
            return mi.Spectrum(0.0)

        def pdf(self, ctx, si, wo, active=True):
            return mi.Float(0.0)

        def eval_pdf(self, ctx, si, wo, active=True):
            return mi.Spectrum(0.0), mi.Float(0.0)

        def traverse(self, callback):
            # Exposed for inspection only: the values are baked into the traced
            # kernels, so a different stone is a re-load, not an update.
            flags = mi.ParamFlags.NonDifferentiable | mi.ParamFlags.ReadOnly
            callback.put("ext_ior", self.ext_ior, flags)
            callback.put("eta_d", self.eta_d, flags)
            if self.model == "sellmeier":
                k = len(self.coef) // 2
                callback.put("sellmeier_b", " ".join(map(repr, self.coef[:k])), flags)
                callback.put("sellmeier_c", " ".join(map(repr, self.coef[k:])), flags)
            elif self.model == "cauchy":
                callback.put("cauchy_a", self.coef[0], flags)
                callback.put("cauchy_b", self.coef[1], flags)
            else:
                callback.put("eta", self.coef[0], flags)
            if self.absorbing:
                callback.put("sigma_a", " ".join(map(repr, self.sigma_a)), flags)

        def parameters_changed(self, keys=None):
            pass

        def to_string(self):
            if self.model == "sellmeier":
                k = len(self.coef) // 2
                law = f"sellmeier_b={list(self.coef[:k])}, sellmeier_c[um^2]={list(self.coef[k:])}"
            elif self.model == "cauchy":
                law = f"cauchy_a={self.coef[0]}, cauchy_b[um^2]={self.coef[1]}"
            else:
                law = f"eta={self.coef[0]}"
            absorb = ""
            if self.absorbing:
                absorb = (f", sigma_a[1/unit]={len(self.sigma_a)} values in {self.sigma_range[0]:g}-"
                          f"{self.sigma_range[1]:g} nm, max {max(self.sigma_a):.4g}")
            return (f"DispersiveDielectric[{law}, ext_ior={self.ext_ior}, "
                    f"n(589.3nm)={self.index_scalar(D_LINE_NM):.5f}, dispersive={self.dispersive}{absorb}]")

    return DispersiveDielectric


def terminate_secondary(weight, sampled_type, hero_only, active=True):
    """Once-per-path hero-wavelength termination (pbrt-v4 ``TerminateSecondary``).

    Spectral variants only. An event is a sampled transmission whose BSDF
    weight is zero in every non-hero wavelength and non-zero at the hero (what
    ``dispersive_dielectric`` returns for a dispersive refraction). At the
    path's first event the hero's weight is multiplied by N (the number of
    wavelengths per sample, 4) because the film averages N wavelengths of
    which only one is left; later events leave it unchanged.

    Parameters
    ----------
    weight : mi.Spectrum
        BSDF sample weight (value * cos / pdf), per wavelength; hero first.
    sampled_type : mi.UInt32
        ``BSDFSample3f.sampled_type``.
    hero_only : mi.Bool
        Per-path flag: True once the path carries only its hero wavelength.
    active : mi.Bool

    Returns
    -------
    (mi.Spectrum, mi.Bool)
        The weight to multiply into the path throughput and the updated flag.
    """
    import drjit as dr
    import mitsuba as mi

    n_wav = dr.size_v(mi.UnpolarizedSpectrum)
    wu = mi.unpolarized_spectrum(weight)
    rest_zero = mi.Bool(True)
    for k in range(1, n_wav):
        rest_zero &= wu[k] == 0.0
    event = (mi.Bool(active) & rest_zero & (wu[0] != 0.0)
             & mi.has_flag(sampled_type, mi.BSDFFlags.Transmission))
    first = event & ~hero_only
    weight = dr.select(first, weight * float(n_wav), weight)
    return weight, hero_only | event


def _mis_weight(pdf_a, pdf_b):
    """Power heuristic (β = 2), zero where undefined."""
    import drjit as dr

    a2, b2 = pdf_a * pdf_a, pdf_b * pdf_b
    w = a2 / (a2 + b2)
    return dr.select(dr.isfinite(w), w, 0.0)


def _check_media(mi, scene) -> bool:
    """Validate the scene's participating media for ``hero_path``; True if it has any.

    ``hero_path`` supports homogeneous media enclosed by a non-null surface (a
    stone's dielectric or rough dielectric). Emitter sampling is done only at
    surfaces, with a plain visibility test, which is exact when every medium is
    enclosed by a surface that blocks shadow rays: light can then reach a point
    inside only through that surface, which no shadow ray crosses. A ``null``
    (index-matched, invisible) boundary would let light in that the visibility
    test counts as blocked, so it is rejected rather than rendered too dark.
    """
    found = False
    for shape in scene.shapes():
        media = [m for m in (shape.interior_medium(), shape.exterior_medium()) if m is not None]
        if not media:
            continue
        found = True
        name = shape.id() or type(shape).__name__
        for m in media:
            if not m.is_homogeneous():
                raise InvalidOptionError(
                    f"hero_path supports homogeneous media only; shape {name!r} has "
                    f"{type(m).__name__}", details={"shape": name})
        bsdf = shape.bsdf()
        if bsdf is not None and mi.has_flag(bsdf.flags(), mi.BSDFFlags.Null):
            raise InvalidOptionError(
                f"hero_path: the medium boundary {name!r} has a null (pass-through) BSDF; give it a "
                "dielectric (an index-matched one has int_ior == ext_ior)", details={"shape": name})
    return found


def _make_integrator_class(mi):
    import drjit as dr

    class HeroPathIntegrator(mi.SamplingIntegrator):
        """Path tracer with once-per-path hero-wavelength termination and homogeneous media.

        Parameters (scene dict): ``max_depth`` (int, default 12; -1 = no
        limit; counts surface interactions outside media), ``rr_depth`` (int,
        default 5; counts all events), ``hide_emitters`` (bool),
        ``medium_clamp`` (float, default inf): the largest radiance one sample may
        add once its path has scattered inside a medium. Light reaches a
        translucent stone's interior only when a walk happens to leave towards a
        bright light (no shadow ray crosses a specular boundary), so those rare
        samples are fireflies; clamping them trades a little energy from bright
        lights for a clean glow (biased; off by default).
        ``max_medium_depth`` (int, default 1000; -1 = no limit; counts the
        events of a path while it is inside a medium, scatterings and hits of
        the medium's boundary from within, so that a pearl's hundred
        scatterings do not use up ``max_depth``).

        Participating media (cabochons, pearls; :mod:`jewelrender.library.media`)
        follow the design of Mitsuba's ``volpath``: a shape carries an
        ``interior`` (or ``exterior``) ``homogeneous`` medium, the path tracks
        the medium it is in (``si.target_medium`` after crossing a medium
        boundary), samples a free-flight distance and, where it falls before
        the next surface, scatters with the medium's phase function.

        Differences from ``volpath``:

        - Free-flight distances use one-sample spectral MIS (balance
          heuristic over the wavelengths of the sample, as pbrt-v4 and
          ``volpathmis``): the hero's (spectral) or a random channel's (RGB)
          extinction picks the distance, and the weight divides by the mean of
          all channels' free-flight pdfs, which keeps colour noise low where
          extinction depends on wavelength. Once a path carries only its hero
          wavelength (after a dispersive refraction) the pdf is the hero's
          alone: the other wavelengths' samples would not have followed it.
          Media are not dispersive: they keep every wavelength, so the ×N
          hero weighting is untouched by them.
        - No emitter sampling at scattering points. A stone's boundary is a
          delta dielectric, which a shadow ray cannot cross, so
          ``volpath``'s emitter sampling would always be blocked there; light
          reaches a scattering point by phase-function sampling through the
          boundary, with MIS weight 1 at the emitter (as after a delta BSDF).
        - Russian roulette inside a medium survives with probability
          min(1, throughput · η²) (pbrt's rule) instead of Mitsuba's cap of
          0.95, whose 1/0.95 boost compounds over a long random walk into
          fireflies (a 150-event walk in a pearl: weight ~2000).
        - When a path turns hero-only (first dispersive refraction) after
          medium events, the channel MIS so far is undone (÷ r_u[0]): only the
          hero's strategy could have produced it.
        - Homogeneous media only, with non-null boundaries (checked when the
          kernel is traced, see :func:`_check_media`); a camera inside a
          medium is not supported (the camera is taken to be in air).

        Noise: light reaches a scattering point inside a polished stone only
        by phase sampling through its delta boundary, so small bright parts
        of the environment (sun, softboxes) are found by chance, like a
        diffuse surface without emitter sampling. Expect a noisier stone than
        a metal at the same spp; manifold (specular) NEE would be the fix.

        In lanes that never enter a medium, every operation and every random
        number is the same as before media existed (the medium steps are
        masked selects and the sampler calls they add are masked), so scenes
        without media render bit-identically.
        """

        def __init__(self, props):
            mi.SamplingIntegrator.__init__(self, props)
            max_depth = int(props.get("max_depth", 12))
            if max_depth < -1:
                raise InvalidOptionError("max_depth must be -1 or >= 0")
            self.max_depth = 0xFFFFFFFF if max_depth == -1 else max_depth
            self.rr_depth = int(props.get("rr_depth", 5))
            self.hide_emitters = bool(props.get("hide_emitters", False))
            max_medium_depth = int(props.get("max_medium_depth", 1000))
            if max_medium_depth < -1:
                raise InvalidOptionError("max_medium_depth must be -1 or >= 0")
            self.max_medium_depth = 0xFFFFFFFF if max_medium_depth == -1 else max_medium_depth
            self.medium_clamp = float(props.get("medium_clamp", float("inf")))
            if not self.medium_clamp > 0.0:
                raise InvalidOptionError("medium_clamp must be > 0")
            self.spectral = bool(mi.is_spectral)

        @dr.syntax
        def sample(self, scene, sampler, ray, medium=None, active=True):
            # @dr.syntax recompiles this function against the module globals,
            # so everything it uses is imported or read from self here.
            import drjit as dr
            import mitsuba as mi

            spectral, mis_weight = self.spectral, _mis_weight
            # Opaque: the clamp follows each photo's environment, and as a literal it made every new
            # photo compile the render kernel again.
            medium_clamp = dr.opaque(mi.Float, self.medium_clamp)
            # Scene media decide nothing in the kernel (lanes outside media are
            # masked): this only rejects what the estimator cannot handle.
            _check_media(mi, scene)
            n_chan = dr.size_v(mi.UnpolarizedSpectrum)
            ctx = mi.BSDFContext()
            ray = mi.Ray3f(ray)
            L = mi.Spectrum(0.0)
            beta = mi.Spectrum(1.0)
            eta = mi.Float(1.0)
            depth = mi.UInt32(0)
            m_depth = mi.UInt32(0)
            hero_only = mi.Bool(False)
            # The camera is in air (volpath's sensor medium is not supported).
            cur_medium = dr.zeros(mi.MediumPtr)
            # Spectral MIS state: r_u[k] = p_k(path) / mean_j p_j(path), the
            # free-flight pdf of the path had channel k picked its distances.
            r_u = mi.UnpolarizedSpectrum(1.0)
            channel = mi.UInt32(0)        # channel that samples distances (RGB: per path)
            channel_set = mi.Bool(False)
            active = mi.Bool(active) & (self.max_depth > 0)
            valid_ray = mi.Bool((not self.hide_emitters) and self.max_depth > 0
                               and scene.environment() is not None)
            prev_si = dr.zeros(mi.SurfaceInteraction3f)
            prev_pdf = mi.Float(1.0)
            prev_delta = mi.Bool(True)

            while dr.hint(active, label="hero_path"):
                si = scene.ray_intersect(ray, ray_flags=mi.RayFlags.All,
                                         coherent=(depth == 0), active=active)

                # ---- Free flight through the current medium (if any).
                in_medium = active & (cur_medium != None)  # Dr.Jit pointer test, lane-wise
                if dr.hint(not spectral, mode="scalar"):
                    # RGB: one channel per path picks the distances (spectral: the hero).
                    pick = in_medium & ~channel_set
                    u_ch = sampler.next_1d(pick)
                    channel = dr.select(pick, mi.UInt32(dr.minimum(u_ch * n_chan, n_chan - 1)), channel)
                    channel_set |= pick
                mei = cur_medium.sample_interaction(ray, sampler.next_1d(in_medium), channel, in_medium)
                mei.t = dr.select(in_medium & (si.t < mei.t), dr.inf, mei.t)
                tr, ff_pdf = cur_medium.transmittance_eval_pdf(mei, si, in_medium)
                scatter = in_medium & mei.is_valid()
                # Path-level balance heuristic over the channels (pbrt-v4's r_u,
                # renormalised every event so that mean(r_u) = 1 and beta is the
                # MIS-weighted throughput): weights stay bounded by N f_k / p_k.
                denom = dr.mean(r_u * ff_pdf)
                if dr.hint(spectral, mode="scalar"):
                    # A hero-only path could only have been sampled by its hero.
                    denom = dr.select(hero_only, ff_pdf[0], denom)
                f_ff = dr.select(scatter, tr * mei.sigma_s, tr)
                w_ff = dr.select(denom > 0.0, f_ff / denom, 0.0)
                w_ff = dr.select(dr.isfinite(w_ff), w_ff, 0.0)
                beta = dr.select(in_medium, beta * mi.Spectrum(w_ff), beta)
                r_u = dr.select(in_medium & ~hero_only & (denom > 0.0), r_u * ff_pdf / denom, r_u)
                on_surface = active & ~scatter

                # ---- Emission hit by the BSDF/phase-sampled ray (MIS with emitter sampling).
                ds = mi.DirectionSample3f(scene, si=si, ref=prev_si)
                em_pdf = scene.pdf_emitter_direction(prev_si, ds, on_surface & ~prev_delta)
                mis = dr.select(prev_delta, 1.0, mis_weight(prev_pdf, em_pdf))
                show = on_surface
                if dr.hint(self.hide_emitters, mode="scalar"):
                    show = on_surface & ((depth > 0) | (m_depth > 0))
                c_hit = beta * mis * ds.emitter.eval(si, show)
                # Clamp what a path brings back after a random walk (see medium_clamp).
                c_hit = dr.select(m_depth > 0, dr.minimum(c_hit, medium_clamp), c_hit)
                L += dr.select(show, c_hit, 0.0)

                # Surface events inside a medium (a pearl's boundary seen from within,
                # often total internal reflection) count against max_medium_depth:
                # a walk meets its boundary dozens of times.
                within_depth = dr.select(in_medium, m_depth + 1 < self.max_medium_depth,
                                         depth + 1 < self.max_depth)
                active_next = on_surface & si.is_valid() & within_depth
                bsdf = si.bsdf(ray)

                # Emitter sampling (skipped by delta BSDFs such as gems).
                active_em = active_next & mi.has_flag(bsdf.flags(), mi.BSDFFlags.Smooth)
                ds_em, em_weight = scene.sample_emitter_direction(si, sampler.next_2d(), True, active_em)
                active_em &= ds_em.pdf != 0.0
                wo = si.to_local(ds_em.d)
                bsdf_val, bsdf_pdf = bsdf.eval_pdf(ctx, si, wo, active_em)
                mis_em = dr.select(ds_em.delta, 1.0, mis_weight(ds_em.pdf, bsdf_pdf))
                c_em = beta * mis_em * bsdf_val * em_weight
                c_em = dr.select(m_depth > 0, dr.minimum(c_em, medium_clamp), c_em)
                L += dr.select(active_em, c_em, 0.0)

                bs, w = bsdf.sample(ctx, si, sampler.next_1d(), sampler.next_2d(), active_next)
                if dr.hint(spectral, mode="scalar"):
                    w, hero_next = terminate_secondary(w, bs.sampled_type, hero_only, active_next)
                    # From here on only the hero's strategy could have made the path:
                    # undo the medium MIS so far (f / p_0 = beta / r_u[0]; 1 without media).
                    w = dr.select(hero_next & ~hero_only, w / r_u[0], w)
                    hero_only = hero_next

                # ---- Phase-function sampling at a scattering point.
                phase_ctx = mi.PhaseFunctionContext(sampler)
                phase = mei.medium.phase_function()
                phase[~scatter] = dr.zeros(mi.PhaseFunctionPtr)
                wo_ph, w_ph, pdf_ph = phase.sample(phase_ctx, mei, sampler.next_1d(scatter),
                                                   sampler.next_2d(scatter), scatter)
                scatter_next = scatter & (pdf_ph > 0.0) & (m_depth + 1 < self.max_medium_depth)

                beta = dr.select(scatter, beta * w_ph, beta * w)
                eta = dr.select(scatter, eta, eta * bs.eta)
                valid_ray |= active & si.is_valid()
                valid_ray |= scatter

                prev_si = dr.detach(si, True)
                prev_pdf = bs.pdf
                # No emitter sampling happened at a scattering point: count what
                # the phase-sampled ray hits in full, as after a delta BSDF.
                prev_delta = scatter | mi.has_flag(bs.sampled_type, mi.BSDFFlags.Delta)
                ray = dr.select(scatter, mei.spawn_ray(wo_ph), si.spawn_ray(si.to_world(bs.wo)))
                # Entering or leaving a stone: the medium on the side the new ray goes.
                cross = active_next & si.is_medium_transition()
                cur_medium = dr.select(cross, si.target_medium(ray.d), cur_medium)
                active_next |= scatter_next

                beta_max = dr.max(mi.unpolarized_spectrum(beta))
                active_next &= beta_max != 0.0
                # Inside a medium the survival probability is not capped below 1
                # (pbrt's rule): with Mitsuba's 0.95 cap a 150-event walk in a
                # pearl would survive with weight 1/0.95^150 ~ 2000 (fireflies).
                rr_prob = dr.minimum(beta_max * eta * eta, dr.select(in_medium, 1.0, 0.95))
                rr_active = (depth + m_depth) >= self.rr_depth
                beta[rr_active] *= dr.rcp(rr_prob)
                active_next &= ~rr_active | (sampler.next_1d() < rr_prob)

                depth[active & ~in_medium] += 1
                m_depth[in_medium] += 1
                active = active_next

            return L, valid_ray, []

        def aov_names(self):
            return []

        def to_string(self):
            return (f"HeroPathIntegrator[max_depth={self.max_depth}, rr_depth={self.rr_depth}, "
                    f"max_medium_depth={self.max_medium_depth}]")

    return HeroPathIntegrator
