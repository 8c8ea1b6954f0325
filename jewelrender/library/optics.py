"""Optics in pure NumPy: dispersion formulas, Fresnel equations and colorimetry.

This module is the reference the renderer is checked against; it imports
nothing heavier than NumPy, so it is cheap to import and easy to test by hand.

Conventions
-----------
* Wavelengths are vacuum wavelengths in **nanometres** at every public
  interface. Dispersion formulas are written, as in the literature, with the
  wavelength ``L`` in **micrometres**; the conversion happens inside.
* Refractive indices are relative: ``eta = n_transmitted / n_incident``.
  A conductor's complex index is ``n + i k`` with ``k >= 0`` (the
  ``exp(-i omega t)`` convention used by refractiveindex.info and Mitsuba).
* ``cos_i`` is the cosine between the incident direction (pointing away from
  the surface) and the surface normal, as Mitsuba's ``cos_theta_i``.
* Reflectances are unpolarised: the mean of the s and p power reflectances.
* Colour: CIE 1931 2° observer, XYZ scaled so that a perfect reflector under
  the chosen illuminant has ``Y = 1``; CIELAB relative to that same white;
  linear sRGB has Rec. 709 primaries and a D65 white.

Gemmological constants (Fraunhofer lines, nm): ``B = 686.7`` (O2),
``C = 656.27`` (H-alpha), ``D = 589.3`` (Na doublet mean), ``d = 587.56``
(He), ``F = 486.13`` (H-beta), ``G = 430.8`` (Fe/Ca). A gem's "dispersion"
(its "fire") is ``n_G - n_B`` by gemmological convention; the optical-glass
Abbe number is ``V_d = (n_d - 1) / (n_F - n_C)``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import Any, NamedTuple

import numpy as np

from jewelrender.errors import CatalogError, InvalidOptionError

__all__ = [
    "LINE_B",
    "LINE_C",
    "LINE_D",
    "LINE_d",
    "LINE_F",
    "LINE_G",
    "FORMULAS",
    "sellmeier",
    "cauchy",
    "rii_formula_4",
    "evaluate_formula",
    "refractive_index",
    "abbe_number",
    "dispersion",
    "fresnel_dielectric",
    "fresnel_conductor",
    "normal_reflectance_conductor",
    "nk_to_permittivity",
    "permittivity_to_nk",
    "mix_permittivity",
    "COLOR_RANGE_NM",
    "CIETables",
    "cie_tables",
    "reflectance_to_xyz",
    "illuminant_white_xyz",
    "xyz_to_lab",
    "xyz_to_linear_srgb",
    "srgb_encode",
    "conductor_lab",
    "YI_E313_COEFFICIENTS",
    "YELLOWNESS_METHODS",
    "ILLUMINANT_C_5NM",
    "yellowness_index",
    "reflectance_yellowness",
]

LINE_B = 686.7
LINE_C = 656.27
LINE_D = 589.3
LINE_d = 587.56
LINE_F = 486.13
LINE_G = 430.8

#: Formula names understood by :func:`evaluate_formula` (and gem files).
FORMULAS = ("sellmeier", "cauchy", "rii-formula-4")

ArrayLike = Any


def _um(wavelength_nm: ArrayLike) -> np.ndarray:
    lam = np.asarray(wavelength_nm, dtype=np.float64) / 1000.0
    if np.any(~np.isfinite(lam)) or np.any(lam <= 0):
        raise InvalidOptionError(
            "wavelengths must be finite and positive (nanometres)",
            details={"min": float(np.nanmin(lam) * 1000.0) if lam.size else None},
        )
    return lam


def _coeff_list(values: ArrayLike, name: str) -> np.ndarray:
    arr = np.atleast_1d(np.asarray(values, dtype=np.float64))
    if arr.ndim != 1 or not np.all(np.isfinite(arr)):
        raise InvalidOptionError(f"coefficient {name} must be a finite number or a flat list of them")
    return arr


# ---------------------------------------------------------------------------
# Dispersion formulas
# ---------------------------------------------------------------------------


def sellmeier(wavelength_nm: ArrayLike, B: ArrayLike, C: ArrayLike, A: float = 0.0) -> np.ndarray:
    """Sellmeier equation ``n^2 = 1 + A + sum_i B_i L^2 / (L^2 - C_i)``.

    Parameters
    ----------
    wavelength_nm : array_like, shape (...)
        Vacuum wavelength in nm.
    B : array_like, shape (m,)
        Dimensionless oscillator strengths.
    C : array_like, shape (m,)
        Resonance terms in **µm²** (the squares of the resonance wavelengths;
        refractiveindex.info "formula 2"). Sources that give the resonance
        wavelengths themselves ("formula 1") must be squared first.
    A : float
        Constant term (0 for the classic form).

    Returns
    -------
    ndarray, shape (...)
        Refractive index; NaN where ``n^2 <= 0`` or at a pole (inside an
        absorption band the formula does not describe).
    """
    lam2 = _um(wavelength_nm)[..., None] ** 2
    B = _coeff_list(B, "B")
    C = _coeff_list(C, "C")
    if B.shape != C.shape:
        raise InvalidOptionError(f"Sellmeier B and C need the same length, got {B.size} and {C.size}")
    with np.errstate(divide="ignore", invalid="ignore"):
        n2 = 1.0 + float(A) + np.sum(B * lam2 / (lam2 - C), axis=-1)
        return np.where(np.isfinite(n2) & (n2 > 0), np.sqrt(np.abs(n2)), np.nan)


def cauchy(wavelength_nm: ArrayLike, A: float, B: float = 0.0, C: float = 0.0) -> np.ndarray:
    """Cauchy equation ``n = A + B / L^2 + C / L^4`` with ``L`` in µm.

    Parameters
    ----------
    wavelength_nm : array_like, shape (...)
        Vacuum wavelength in nm.
    A : float
        Dimensionless.
    B : float
        µm².
    C : float
        µm⁴.

    Returns
    -------
    ndarray, shape (...)
    """
    lam2 = _um(wavelength_nm) ** 2
    return float(A) + float(B) / lam2 + float(C) / lam2**2


def rii_formula_4(wavelength_nm: ArrayLike, C: Sequence[float]) -> np.ndarray:
    """refractiveindex.info "formula 4" (an extended Sellmeier form).

    ``n^2 = C1 + C2 L^C3 / (L^2 - C4^C5) + C6 L^C7 / (L^2 - C8^C9)
    + C10 L^C11 + C12 L^C13 + C14 L^C15 + C16 L^C17`` with ``L`` in µm.

    Parameters
    ----------
    wavelength_nm : array_like, shape (...)
    C : sequence of float
        1 to 17 coefficients ``C1 ...``; missing ones are 0. Terms whose
        leading coefficient is 0 are skipped (their ``0^0`` pole would
        otherwise turn 0 into NaN at ``L = 1 µm``).

    Returns
    -------
    ndarray, shape (...)
        NaN where ``n^2 <= 0``.
    """
    c = _coeff_list(C, "C")
    if c.size > 17:
        raise InvalidOptionError(f"formula 4 takes at most 17 coefficients, got {c.size}")
    c = np.concatenate([c, np.zeros(17 - c.size)])
    lam = _um(wavelength_nm)
    with np.errstate(divide="ignore", invalid="ignore"):
        n2 = np.full(lam.shape, c[0])
        for i in (1, 5):
            if c[i] != 0.0:
                n2 = n2 + c[i] * lam ** c[i + 1] / (lam**2 - c[i + 2] ** c[i + 3])
        for i in (9, 11, 13, 15):
            if c[i] != 0.0:
                n2 = n2 + c[i] * lam ** c[i + 1]
        return np.where(np.isfinite(n2) & (n2 > 0), np.sqrt(np.abs(n2)), np.nan)


def evaluate_formula(formula: str, coefficients: Mapping[str, Any], wavelength_nm: ArrayLike) -> np.ndarray:
    """Evaluate a named dispersion formula (the form gem files use).

    Parameters
    ----------
    formula : {"sellmeier", "cauchy", "rii-formula-4"}
    coefficients : mapping
        ``sellmeier``: ``B`` and either ``C`` (µm²) or ``L`` (resonance
        wavelengths in µm, ``C = L**2``), optional ``A`` (default 0).
        ``cauchy``: ``A`` and optional ``B`` (µm²), ``C`` (µm⁴).
        ``rii-formula-4``: ``C``, the list ``C1 ... C17`` (see :func:`rii_formula_4`).
    wavelength_nm : array_like, shape (...)

    Returns
    -------
    ndarray, shape (...)

    Raises
    ------
    InvalidOptionError
        Unknown formula or missing/extra/ill-formed coefficients.
    """
    allowed = {"sellmeier": {"A", "B", "C", "L"}, "cauchy": {"A", "B", "C"}, "rii-formula-4": {"C"}}
    if formula not in allowed:
        raise InvalidOptionError(
            f"unknown dispersion formula {formula!r}; valid: {', '.join(FORMULAS)}",
            details={"valid": list(FORMULAS)},
        )
    coeffs = dict(coefficients)
    extra = set(coeffs) - allowed[formula]
    if extra:
        raise InvalidOptionError(
            f"{formula} does not take coefficient(s) {sorted(extra)}; valid: {sorted(allowed[formula])}"
        )
    try:
        if formula == "sellmeier":
            if "B" not in coeffs or ("C" in coeffs) == ("L" in coeffs):
                raise InvalidOptionError("sellmeier needs B and exactly one of C (µm²) or L (µm)")
            C = coeffs["C"] if "C" in coeffs else _coeff_list(coeffs["L"], "L") ** 2
            return sellmeier(wavelength_nm, coeffs["B"], C, float(coeffs.get("A", 0.0)))
        if formula == "cauchy":
            if "A" not in coeffs:
                raise InvalidOptionError("cauchy needs at least A")
            return cauchy(
                wavelength_nm, float(coeffs["A"]), float(coeffs.get("B", 0.0)), float(coeffs.get("C", 0.0))
            )
        if "C" not in coeffs:
            raise InvalidOptionError("rii-formula-4 needs the coefficient list C")
        return rii_formula_4(wavelength_nm, coeffs["C"])
    except (TypeError, ValueError) as exc:
        raise InvalidOptionError(f"ill-formed {formula} coefficients: {exc}") from None


def _as_n_func(gem_or_formula: Any) -> Callable[[ArrayLike], np.ndarray]:
    if isinstance(gem_or_formula, str):
        # Names live in the materials library, which builds on this module: look them
        # up there (materials.refractive_index takes a name) so the two do not import each other.
        raise InvalidOptionError(
            f"optics takes gem data, not a name ({gem_or_formula!r}); use "
            "jewelrender.library.materials.refractive_index(name, wavelength_nm) or materials.gem(name)")
    if isinstance(gem_or_formula, Mapping):
        if "formula" not in gem_or_formula or "coefficients" not in gem_or_formula:
            raise InvalidOptionError("a formula mapping needs the keys 'formula' and 'coefficients'")
        f, c = gem_or_formula["formula"], gem_or_formula["coefficients"]
        return lambda wl: evaluate_formula(f, c, wl)
    n_method = getattr(gem_or_formula, "n", None)
    if callable(n_method):
        return n_method
    if callable(gem_or_formula):
        return gem_or_formula
    raise InvalidOptionError(
        "expected a gem name, a GemData, a {'formula', 'coefficients'} mapping or a callable n(wavelength_nm)"
    )


def refractive_index(gem_or_formula: Any, wavelength_nm: ArrayLike) -> np.ndarray:
    """Refractive index of a gem or formula at the given wavelengths.

    Parameters
    ----------
    gem_or_formula : GemData or mapping or callable
        A :class:`~jewelrender.library.materials.GemData` (by name:
        :func:`jewelrender.library.materials.refractive_index`), a mapping with ``formula``
        and ``coefficients`` (see :func:`evaluate_formula`), or a callable
        ``n(wavelength_nm)``.
    wavelength_nm : array_like, shape (...)

    Returns
    -------
    ndarray, shape (...)
    """
    return np.asarray(_as_n_func(gem_or_formula)(wavelength_nm), dtype=np.float64)


def abbe_number(n_func: Any) -> float:
    """Abbe number ``V_d = (n_d - 1) / (n_F - n_C)`` (d = 587.56, F = 486.13, C = 656.27 nm).

    Parameters
    ----------
    n_func : anything :func:`refractive_index` accepts

    Returns
    -------
    float
        Higher means less dispersive (diamond ~55, crown glass ~64, CZ ~33).
    """
    n_d, n_F, n_C = refractive_index(n_func, [LINE_d, LINE_F, LINE_C])
    return float((n_d - 1.0) / (n_F - n_C))


def dispersion(n_func: Any) -> float:
    """Gemmological dispersion ("fire") ``n_G - n_B`` (G = 430.8 nm, B = 686.7 nm).

    Parameters
    ----------
    n_func : anything :func:`refractive_index` accepts

    Returns
    -------
    float
        Diamond 0.044, cubic zirconia ~0.06, moissanite ~0.10.
    """
    n_G, n_B = refractive_index(n_func, [LINE_G, LINE_B])
    return float(n_G - n_B)


# ---------------------------------------------------------------------------
# Fresnel equations
# ---------------------------------------------------------------------------


def fresnel_dielectric(cos_i: ArrayLike, eta: ArrayLike) -> np.ndarray:
    """Unpolarised Fresnel reflectance of a smooth dielectric interface.

    Parameters
    ----------
    cos_i : array_like, shape (...)
        Cosine of the incidence angle against the normal, in [-1, 1]. As in
        Mitsuba, a negative value means the ray arrives from the inside (the
        side the normal points away from), and then ``1 / eta`` applies.
    eta : array_like, broadcastable with ``cos_i``
        Relative index ``n_inside / n_outside`` (> 0), e.g. 2.417 for diamond in air.

    Returns
    -------
    ndarray
        Reflectance in [0, 1]; exactly 1 beyond the critical angle (total
        internal reflection).
    """
    cos_i = np.asarray(cos_i, dtype=np.float64)
    eta = np.asarray(eta, dtype=np.float64)
    if np.any(~(eta > 0)):
        raise InvalidOptionError("eta must be positive")
    eta_eff = np.where(cos_i >= 0, eta, 1.0 / eta)
    c = np.clip(np.abs(cos_i), 0.0, 1.0)
    sin2_t = (1.0 - c * c) / (eta_eff * eta_eff)
    tir = sin2_t >= 1.0
    cos_t = np.sqrt(np.clip(1.0 - sin2_t, 0.0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        rs = (c - eta_eff * cos_t) / (c + eta_eff * cos_t)
        rp = (eta_eff * c - cos_t) / (eta_eff * c + cos_t)
    R = 0.5 * (rs * rs + rp * rp)
    return np.where(tir, 1.0, R)


def fresnel_conductor(cos_i: ArrayLike, n: ArrayLike, k: ArrayLike) -> np.ndarray:
    """Exact unpolarised Fresnel reflectance of a smooth conductor.

    Evaluated with complex arithmetic for ``eta = n + i k``:
    ``w = sqrt(eta^2 - sin^2 i)`` (principal root, the decaying wave),
    ``r_s = (cos i - w) / (cos i + w)``, ``r_p = (eta^2 cos i - w) / (eta^2 cos i + w)``,
    ``R = (|r_s|^2 + |r_p|^2) / 2``. With ``k = 0`` it equals
    :func:`fresnel_dielectric` (including total internal reflection for ``n < 1``).

    Parameters
    ----------
    cos_i : array_like, shape (...)
        Cosine of the incidence angle; the sign is ignored (metals are opaque).
    n, k : array_like, broadcastable with ``cos_i``
        Real and imaginary parts of the index relative to the outside medium;
        ``n > 0``, ``k >= 0``.

    Returns
    -------
    ndarray
        Reflectance in [0, 1].
    """
    c = np.clip(np.abs(np.asarray(cos_i, dtype=np.float64)), 0.0, 1.0)
    n = np.asarray(n, dtype=np.float64)
    k = np.asarray(k, dtype=np.float64)
    if np.any(~(n > 0)) or np.any(~(k >= 0)):
        raise InvalidOptionError("conductor index needs n > 0 and k >= 0")
    eta2 = (n + 1j * k) ** 2
    w = np.sqrt(eta2 - (1.0 - c * c))
    with np.errstate(divide="ignore", invalid="ignore"):
        rs = (c - w) / (c + w)
        rp = (eta2 * c - w) / (eta2 * c + w)
    R = 0.5 * (np.abs(rs) ** 2 + np.abs(rp) ** 2)
    # c = 0 with eta2 = 1 (no interface) is 0/0; grazing incidence reflects fully.
    return np.where(np.isfinite(R), np.clip(R, 0.0, 1.0), 1.0)


def normal_reflectance_conductor(n: ArrayLike, k: ArrayLike) -> np.ndarray:
    """Normal-incidence reflectance ``((n-1)^2 + k^2) / ((n+1)^2 + k^2)``.

    Parameters
    ----------
    n, k : array_like
        Complex index ``n + i k`` relative to the outside medium (``k = 0``
        gives the dielectric value, e.g. 0.04 for n = 1.5).

    Returns
    -------
    ndarray
    """
    n = np.asarray(n, dtype=np.float64)
    k = np.asarray(k, dtype=np.float64)
    return ((n - 1.0) ** 2 + k * k) / ((n + 1.0) ** 2 + k * k)


def nk_to_permittivity(n: ArrayLike, k: ArrayLike) -> np.ndarray:
    """Complex relative permittivity ``eps = (n + i k)^2`` (same shape as ``n``, ``k``)."""
    return (np.asarray(n, dtype=np.float64) + 1j * np.asarray(k, dtype=np.float64)) ** 2


def permittivity_to_nk(eps: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """``(n, k)`` of a complex permittivity: the principal square root, ``k >= 0``.

    Parameters
    ----------
    eps : array_like of complex, shape (...)
        ``Im(eps) >= 0`` (an absorbing or lossless medium).

    Returns
    -------
    n, k : ndarray, shape (...)
    """
    root = np.sqrt(np.asarray(eps, dtype=np.complex128))
    return root.real.copy(), np.abs(root.imag)


def mix_permittivity(eps: Sequence[ArrayLike], fractions: Sequence[float]) -> np.ndarray:
    """Volume-weighted mean of permittivities, ``sum_i f_i eps_i``.

    This is the model jewelrender uses for a **substitutional solid solution**
    (a gold alloy is one crystal lattice, not a mixture of grains, so grain
    based effective-medium rules such as Bruggeman's describe the wrong
    microstructure). On the one alloy system with measured data, Au-Ag
    (Rioux et al. 2014), it predicts the colour better than Bruggeman's rule
    (see ``docs/metals.md``).

    Parameters
    ----------
    eps : sequence of array_like of complex, each shape (N,)
        Permittivity of each constituent on one wavelength grid.
    fractions : sequence of float
        Volume fractions, each in [0, 1], summing to 1 (within 1e-6).

    Returns
    -------
    ndarray of complex, shape (N,)

    Raises
    ------
    InvalidOptionError
        Mismatched lengths, negative fractions or fractions not summing to 1.
    """
    f = np.asarray(list(fractions), dtype=np.float64)
    if len(eps) != len(f) or len(f) == 0:
        raise InvalidOptionError(f"mix_permittivity: {len(eps)} permittivities but {len(f)} fractions")
    if np.any(~np.isfinite(f)) or np.any(f < 0) or abs(float(f.sum()) - 1.0) > 1e-6:
        raise InvalidOptionError(f"volume fractions must be >= 0 and sum to 1, got {f.tolist()}")
    out = np.zeros(np.shape(eps[0]), dtype=np.complex128)
    for e, w in zip(eps, f):
        out = out + w * np.asarray(e, dtype=np.complex128)
    return out


# ---------------------------------------------------------------------------
# Colorimetry
# ---------------------------------------------------------------------------


class CIETables(NamedTuple):
    """CIE 1931 2° colour matching functions and D65 at 5 nm, 360-830 nm (95 rows).

    Attributes are read-only float64 arrays of shape (95,); ``d65`` is the
    relative spectral power with D65(560 nm) = 100.
    """

    wavelength_nm: np.ndarray
    xbar: np.ndarray
    ybar: np.ndarray
    zbar: np.ndarray
    d65: np.ndarray


_CIE_FILE = ("cie", "cie1931_2deg_d65_5nm.csv")
#: Integration range of :func:`reflectance_to_xyz` (nm), the CIE's 380-780 nm.
COLOR_RANGE_NM = (380.0, 780.0)


@lru_cache(maxsize=1)
def cie_tables() -> CIETables:
    """Load the shipped CIE tables (``materials/cie/``), once.

    Raises
    ------
    CatalogError
        The file is missing or malformed.
    """
    from jewelrender.resources import resource_path

    path = resource_path("materials", *_CIE_FILE)
    try:
        lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln and not ln.startswith("#")]
        header = lines[0].split(",")
        data = np.array([[float(v) for v in ln.split(",")] for ln in lines[1:]], dtype=np.float64)
    except (OSError, ValueError, IndexError) as exc:
        raise CatalogError(f"cannot read CIE tables {path}: {exc}", details={"path": str(path)}) from None
    if header != ["wavelength_nm", "xbar", "ybar", "zbar", "d65"] or data.ndim != 2 or data.shape[1] != 5:
        raise CatalogError(f"CIE tables {path} have unexpected columns {header}", details={"path": str(path)})
    wl = data[:, 0]
    if not (np.all(np.diff(wl) > 0) and wl[0] <= COLOR_RANGE_NM[0] and wl[-1] >= COLOR_RANGE_NM[1]):
        raise CatalogError(f"CIE tables {path} do not cover 380-780 nm in increasing order")
    cols = [data[:, i].copy() for i in range(5)]
    for c in cols:
        c.setflags(write=False)
    return CIETables(*cols)


#: CIE illuminant C, relative spectral power, 380-780 nm at 5 nm (81 values,
#: C(560 nm) = 105.30). CIE 15:2004 Table T.1, as tabulated in colour-science
#: (``colour/colorimetry/datasets/illuminants/sds.py``, ``DATA_ILLUMINANTS_CIE["C"]``).
#: Needed because ASTM D1925 -- the yellowness index Henderson & Manchanda (2005)
#: grade white gold with -- is defined on illuminant-C / 2° tristimulus values.
ILLUMINANT_C_5NM = np.array([
    33.00, 39.92, 47.40, 55.17, 63.30, 71.81, 80.60, 89.53, 98.10,
    105.80, 112.40, 117.75, 121.50, 123.45, 124.00, 123.60, 123.10, 123.30,
    123.80, 124.09, 123.90, 122.92, 120.70, 116.90, 112.10, 106.98, 102.30,
    98.81, 96.90, 96.78, 98.00, 99.94, 102.10, 103.95, 105.20, 105.67,
    105.30, 104.11, 102.30, 100.15, 97.80, 95.43, 93.20, 91.22, 89.70,
    88.83, 88.40, 88.19, 88.10, 88.06, 88.00, 87.86, 87.80, 87.99,
    88.20, 88.20, 87.90, 87.22, 86.30, 85.30, 84.00, 82.21, 80.20,
    78.24, 76.30, 74.36, 72.40, 70.40, 68.30, 66.30, 64.40, 62.80,
    61.50, 60.20, 59.20, 58.50, 58.10, 58.00, 58.20, 58.50, 59.10,
])
ILLUMINANT_C_5NM.setflags(write=False)
_ILLUMINANTS = ("D65", "E", "C")


def _illuminant_spd(illuminant: str, t: CIETables) -> np.ndarray:
    if illuminant == "D65":
        return t.d65
    if illuminant == "E":
        return np.ones_like(t.d65)
    if illuminant == "C":
        # only 380-780 nm is ever integrated (COLOR_RANGE_NM); outside it the ends are held
        return np.interp(t.wavelength_nm, np.arange(380.0, 781.0, 5.0), ILLUMINANT_C_5NM)
    raise InvalidOptionError(
        f"unknown illuminant {illuminant!r}; valid: 'D65', 'E', 'C'", details={"valid": list(_ILLUMINANTS)}
    )


def reflectance_to_xyz(wavelengths: ArrayLike, R: ArrayLike, illuminant: str = "D65") -> np.ndarray:
    """CIE XYZ of a reflectance spectrum seen under an illuminant.

    ``R`` is linearly interpolated onto the 5 nm CIE grid from 380 to 780 nm
    and summed against illuminant × colour matching functions, normalised so
    that a perfect reflector (``R = 1``) has ``Y = 1``.

    Parameters
    ----------
    wavelengths : array_like, shape (N,)
        Strictly increasing, in nm, covering 380-780 nm.
    R : array_like, shape (..., N)
        Reflectance (or transmittance) per wavelength; leading axes are batches.
    illuminant : {"D65", "E", "C"}

    Returns
    -------
    ndarray, shape (..., 3)
        XYZ (Y = 1 for the illuminant's white).

    Raises
    ------
    InvalidOptionError
        Wavelengths not increasing, not covering 380-780 nm, or shapes disagree.
    """
    wl = np.asarray(wavelengths, dtype=np.float64)
    R = np.asarray(R, dtype=np.float64)
    if wl.ndim != 1 or R.shape[-1:] != wl.shape:
        raise InvalidOptionError(f"R shape {R.shape} does not end in the wavelength count {wl.shape}")
    if not np.all(np.diff(wl) > 0):
        raise InvalidOptionError("wavelengths must be strictly increasing")
    if wl[0] > COLOR_RANGE_NM[0] or wl[-1] < COLOR_RANGE_NM[1]:
        raise InvalidOptionError(
            f"spectrum covers {wl[0]:g}-{wl[-1]:g} nm; colour needs 380-780 nm",
            details={"range_nm": [float(wl[0]), float(wl[-1])]},
        )
    t = cie_tables()
    sel = (t.wavelength_nm >= COLOR_RANGE_NM[0]) & (t.wavelength_nm <= COLOR_RANGE_NM[1])
    grid = t.wavelength_nm[sel]
    S = _illuminant_spd(illuminant, t)[sel]
    cmf = np.stack([t.xbar[sel], t.ybar[sel], t.zbar[sel]], axis=-1)  # (M, 3)
    flat = R.reshape(-1, wl.size)
    Rg = np.stack([np.interp(grid, wl, r) for r in flat])  # (B, M)
    xyz = (Rg * S) @ cmf / float(S @ cmf[:, 1])
    return xyz.reshape(R.shape[:-1] + (3,))


def illuminant_white_xyz(illuminant: str = "D65") -> np.ndarray:
    """XYZ of a perfect reflector under ``illuminant`` (Y = 1), shape (3,).

    For D65 this is (0.9505, 1, 1.0888) from the shipped 5 nm tables.
    """
    grid = np.array(COLOR_RANGE_NM)
    return reflectance_to_xyz(grid, np.ones(2), illuminant)


def xyz_to_lab(xyz: ArrayLike, white: str | ArrayLike = "D65") -> np.ndarray:
    """CIE 1976 L*a*b* from XYZ.

    Parameters
    ----------
    xyz : array_like, shape (..., 3)
        Same scale as ``white`` (Y_white = 1 for :func:`reflectance_to_xyz`).
    white : "D65", "E", "C" or array_like, shape (3,)
        Reference white; a name uses :func:`illuminant_white_xyz`, so a
        perfect reflector maps to exactly L* = 100, a* = b* = 0.

    Returns
    -------
    ndarray, shape (..., 3)
        L* in [0, 100] for reflectances, a*, b* unbounded.
    """
    xyz = np.asarray(xyz, dtype=np.float64)
    w = illuminant_white_xyz(white) if isinstance(white, str) else np.asarray(white, dtype=np.float64)
    r = xyz / w
    eps, kappa = 216.0 / 24389.0, 24389.0 / 27.0
    f = np.where(r > eps, np.cbrt(r), (kappa * r + 16.0) / 116.0)
    L = 116.0 * f[..., 1] - 16.0
    a = 500.0 * (f[..., 0] - f[..., 1])
    b = 200.0 * (f[..., 1] - f[..., 2])
    return np.stack([L, a, b], axis=-1)


def _srgb_matrix() -> np.ndarray:
    # From the Rec. 709 primaries and the D65 chromaticity of IEC 61966-2-1,
    # rather than a rounded published matrix.
    prim = np.array([[0.64, 0.33], [0.30, 0.60], [0.15, 0.06]])
    wx, wy = 0.3127, 0.3290
    P = np.stack([prim[:, 0] / prim[:, 1], np.ones(3), (1 - prim.sum(axis=1)) / prim[:, 1]])  # (3, 3)
    W = np.array([wx / wy, 1.0, (1 - wx - wy) / wy])
    M = P * np.linalg.solve(P, W)  # RGB -> XYZ
    return np.linalg.inv(M)


_XYZ_TO_SRGB = _srgb_matrix()


def xyz_to_linear_srgb(xyz: ArrayLike) -> np.ndarray:
    """Linear sRGB (Rec. 709 primaries, D65) from XYZ, shape (..., 3) -> (..., 3).

    No chromatic adaptation and no clipping: out-of-gamut colours give
    components below 0 or above 1.
    """
    return np.asarray(xyz, dtype=np.float64) @ _XYZ_TO_SRGB.T


def srgb_encode(linear: ArrayLike) -> np.ndarray:
    """sRGB transfer function (IEC 61966-2-1) after clipping to [0, 1]; same shape."""
    x = np.clip(np.asarray(linear, dtype=np.float64), 0.0, 1.0)
    return np.clip(np.where(x <= 0.0031308, 12.92 * x, 1.055 * np.power(x, 1.0 / 2.4) - 0.055), 0.0, 1.0)


def conductor_lab(wavelengths: ArrayLike, n: ArrayLike, k: ArrayLike, illuminant: str = "D65") -> tuple[np.ndarray, np.ndarray]:
    """Colour of a polished conductor seen at normal incidence.

    Normal-incidence reflectance ``R(lambda)`` (:func:`normal_reflectance_conductor`)
    -> CIE XYZ under ``illuminant`` (2° observer, :func:`reflectance_to_xyz`)
    -> CIELAB relative to the illuminant's white (:func:`xyz_to_lab`). This is
    the "specular component included" colour a spectrophotometer reports for a
    mirror-polished metal sample.

    Parameters
    ----------
    wavelengths : array_like, shape (N,)
        nm, strictly increasing, covering 380-780 nm.
    n, k : array_like, shape (N,)
        Complex index on that grid.
    illuminant : {"D65", "E", "C"}

    Returns
    -------
    lab : ndarray, shape (3,)
        L*, a*, b*.
    xyz : ndarray, shape (3,)
        XYZ with Y = 1 for the perfect reflector.
    """
    R = normal_reflectance_conductor(n, k)
    xyz = reflectance_to_xyz(wavelengths, R, illuminant)
    return xyz_to_lab(xyz, illuminant), xyz


#: ASTM E313 yellowness coefficients ``(C_X, C_Z)`` per (illuminant, observer),
#: ``YI = 100 (C_X X - C_Z Z) / Y``. From ASTM E313-15e1, Table 1, as tabulated
#: in colour-science (``colour/colorimetry/yellowness.py``,
#: ``YELLOWNESS_COEFFICIENTS_ASTME313``). ASTM D1925 (withdrawn 1995; the index
#: Henderson & Manchanda 2005 grade white gold with) is the same formula with
#: the rounded coefficients (1.28, 1.06) on illuminant-C / 2° XYZ (colour-science
#: ``yellowness_ASTMD1925``: "Input CIE XYZ tristimulus values must be adapted to
#: CIE Illuminant C"; citing ASTM E313-15e1 and X-Rite's Color iQC calculations guide).
YI_E313_COEFFICIENTS = {
    ("D65", "2deg"): (1.2985, 1.1335),
    ("C", "2deg"): (1.2769, 1.0592),
    ("D1925", "2deg"): (1.28, 1.06),
}


#: Yellowness methods: name -> (illuminant the XYZ must be under, coefficient key).
YELLOWNESS_METHODS: dict[str, tuple[str, tuple[str, str]]] = {
    "E313-D65": ("D65", ("D65", "2deg")),
    "E313-C": ("C", ("C", "2deg")),
    "D1925": ("C", ("D1925", "2deg")),
}


def _yellowness_method(method: str) -> tuple[str, tuple[str, str]]:
    entry = YELLOWNESS_METHODS.get(method) if isinstance(method, str) else None
    if entry is None:
        valid = list(YELLOWNESS_METHODS)
        raise InvalidOptionError(f"unknown yellowness method {method!r}; valid: {', '.join(map(repr, valid))}",
                                 details={"valid": valid})
    return entry


def yellowness_index(xyz: ArrayLike, method: str = "E313-D65") -> np.ndarray:
    """ASTM yellowness index ``100 (C_X X - C_Z Z) / Y`` of XYZ (any scale; only ratios enter).

    The formula does not know the illuminant: the caller must pass XYZ
    computed under the method's illuminant (:data:`YELLOWNESS_METHODS`), or use
    :func:`reflectance_yellowness`, which does.

    Parameters
    ----------
    xyz : array_like, shape (..., 3)
    method : {"E313-D65", "E313-C", "D1925"}
        ``"E313-D65"``: ASTM E313, D65 / 2° coefficients (1.2985, 1.1335), for
        D65 / 2° XYZ. ``"E313-C"``: ASTM E313, illuminant C / 2° (1.2769,
        1.0592). ``"D1925"``: ASTM D1925, ``100 (1.28 X - 1.06 Z) / Y``, for
        illuminant C / 2° XYZ -- the index of Henderson & Manchanda's white
        gold grades. (On D65 XYZ the D1925 formula reads about 6 too high for
        near-neutral colours: the D65 perfect white gives 6.2.)

    Returns
    -------
    ndarray, shape (...)

    Raises
    ------
    InvalidOptionError
        Unknown method.
    """
    _, key = _yellowness_method(method)
    cx, cz = YI_E313_COEFFICIENTS[key]
    a = np.asarray(xyz, dtype=np.float64)
    return 100.0 * (cx * a[..., 0] - cz * a[..., 2]) / a[..., 1]


def reflectance_yellowness(wavelengths: ArrayLike, R: ArrayLike, method: str = "E313-D65") -> np.ndarray:
    """Yellowness index of a reflectance spectrum, under the method's own illuminant.

    ``R`` -> XYZ under the illuminant ``method`` is defined for (D65 for
    ``"E313-D65"``, C for ``"E313-C"`` and ``"D1925"``; 2° observer,
    :func:`reflectance_to_xyz`) -> :func:`yellowness_index`.

    Parameters
    ----------
    wavelengths : array_like, shape (N,)
        nm, strictly increasing, covering 380-780 nm.
    R : array_like, shape (..., N)
        Reflectance; leading axes are batches.
    method : {"E313-D65", "E313-C", "D1925"}

    Returns
    -------
    ndarray, shape (...)
    """
    illuminant, _ = _yellowness_method(method)
    return yellowness_index(reflectance_to_xyz(wavelengths, R, illuminant), method)
