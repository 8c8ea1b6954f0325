"""The shipped optical materials: metal n,k tables, metal presets and gem dispersion.

Files (see ``materials/README.md`` for provenance and licences)::

    materials/metals/<Element>.csv   measured n, k of pure metals (Au, Ag, Cu, Pt, Pd, Rh, Ni)
    materials/metals.toml            the metal presets users choose ("yellow-gold-18k", ...):
                                     one measured table, or an alloy composition
                                     (modelled by mixing permittivities, see
                                     :func:`alloy_data` and ``docs/metals.md``)
    materials/gems/<name>.toml       dispersion formula of one gem material ("diamond", "corundum", ...)
    materials/gems/varieties.toml    coloured varieties: material + absorption bands ("ruby",
                                     "sapphire", "emerald", ..., "diamond-d" ... "diamond-j");
                                     see :func:`load_gem_varieties`, :func:`gem_optics`

Surface finishes (:func:`list_finishes`: polished, satin, matte, hammered)
are not files: they are microfacet roughness settings (and, for hammered, a
procedural normal map) applied by :func:`metal_bsdf_dict`.

Every file is validated when first loaded and cached; a malformed file raises
:class:`~jewelrender.errors.CatalogError` naming the file and the problem, and
an unknown name raises :class:`~jewelrender.errors.CatalogError` listing the
valid choices (``details["valid"]``).

Metal CSV format: ``# key: value`` header lines (``name``, ``dataset``,
``source`` and ``licence`` are required; ``doi``, ``processing``, ``why`` ...
are kept as metadata), then a ``wavelength_nm,n,k`` header row and one row per
wavelength (nm, strictly increasing, covering at least 380-780 nm; ``n > 0``,
``k >= 0``).

Gem TOML format: ``name`` (= file stem), ``label``, ``formula`` (one of
:data:`jewelrender.library.optics.FORMULAS`), a ``[coefficients]`` table,
``wavelength_range_nm = [lo, hi]`` (the validity range of the source),
``citation``, ``source``, ``licence``; optional ``aliases``,
``optic_character``, ``note``. The formula must give a finite ``n > 1``
that falls with wavelength (normal dispersion) from 360 to 830 nm. Gems
without a published dispersion formula (beryl, topaz, olivine, tourmaline,
zoisite, pyrope, almandine) use a Cauchy law ``n = A + B / L^2`` fitted
exactly through their gemmological n_D and B-G dispersion.

A stone *name* the renderer gets is resolved by :func:`gem_optics`: a
variety (``"ruby"`` = corundum + Cr3+ absorption) first, else a clear gem
material; :func:`gem_bsdf_dict` turns it into the BSDF entry, given the
scene's length unit (absorption is per length).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from jewelrender.library import optics
from jewelrender.errors import CatalogError, InvalidOptionError
from jewelrender.resources import resource_path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the same parser, packaged as tomli
    import tomli as tomllib  # type: ignore[no-redef]

__all__ = [
    "refractive_index",
    "MetalData",
    "MetalPreset",
    "GemData",
    "VISIBLE_NM",
    "MITSUBA_SPECTRAL_NM",
    "load_metal_file",
    "load_metal_presets",
    "load_gem_file",
    "list_metals",
    "metal",
    "register_metal_presets",
    "forget_metal_presets",
    "resolve_metal",
    "is_preset_file",
    "list_metal_data",
    "metal_data",
    "list_gems",
    "gem",
    "AbsorptionBand",
    "GemVariety",
    "ABSORPTION_GRID_NM",
    "FAR_POLE_UM2",
    "load_gem_varieties",
    "list_gem_varieties",
    "gem_variety",
    "gem_optics",
    "gem_bsdf_dict",
    "GEM_VARIETIES_FILE",
    "metal_bsdf_dict",
    "ELEMENTS",
    "ALLOY_GRID_NM",
    "FINISHES",
    "alloy_data",
    "Finish",
    "list_finishes",
    "finish",
    "metal_rows",
    "metal_lab",
    "hammered_normal_map",
    "prepare_for_mitsuba",
]

#: Range every metal table must cover (nm).
VISIBLE_NM = (380.0, 780.0)
#: Range Mitsuba's spectral variants sample (MI_CIE_MIN/MAX, nm); gem formulas
#: are checked over it and metal spectra are padded to it.
MITSUBA_SPECTRAL_NM = (360.0, 830.0)

_REQUIRED_METAL_META = ("name", "dataset", "source", "licence")

#: Resonance (µm²) given to a formula-4 ``C10 L²`` term rewritten as a
#: Sellmeier term (:meth:`GemData.bsdf_law`): a pole at 100 µm, far enough
#: that ``(L²/P)`` < 7e-5 over the visible.
FAR_POLE_UM2 = 1.0e4


# ---------------------------------------------------------------------------
# Data classes
# ---------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class MetalData:
    """Optical constants of one pure metal.

    Attributes
    ----------
    name : str
        E.g. ``"Au (gold)"``.
    wavelengths_nm : ndarray, shape (N,)
        Strictly increasing vacuum wavelengths, nm (read-only).
    n, k : ndarray, shape (N,)
        Complex index ``n + i k`` relative to vacuum/air (read-only).
    citation : str
        The dataset (authors, title, journal, year) and its DOI.
    source_file : str
        Path of the file it was read from.
    source, licence : str
        Where the numbers were transcribed from and under what licence.
    metadata : dict
        Every ``# key: value`` header line of the file.
    """

    name: str
    wavelengths_nm: np.ndarray
    n: np.ndarray
    k: np.ndarray
    citation: str
    source_file: str
    source: str = ""
    licence: str = ""
    metadata: dict[str, str] = field(default_factory=dict)

    def nk(self, wavelength_nm: Any) -> tuple[np.ndarray, np.ndarray]:
        """``n`` and ``k`` linearly interpolated at ``wavelength_nm`` (shape (...)).

        Raises
        ------
        InvalidOptionError
            A wavelength outside the tabulated range (no extrapolation).
        """
        wl = np.asarray(wavelength_nm, dtype=np.float64)
        lo, hi = float(self.wavelengths_nm[0]), float(self.wavelengths_nm[-1])
        if np.any(~np.isfinite(wl)) or np.any(wl < lo) or np.any(wl > hi):
            raise InvalidOptionError(
                f"{self.name}: wavelengths must lie in the tabulated {lo:g}-{hi:g} nm",
                details={"range_nm": [lo, hi]},
            )
        return np.interp(wl, self.wavelengths_nm, self.n), np.interp(wl, self.wavelengths_nm, self.k)

    def normal_reflectance(self, wavelength_nm: Any) -> np.ndarray:
        """Normal-incidence reflectance in air at ``wavelength_nm`` (n, k interpolated first)."""
        n, k = self.nk(wavelength_nm)
        return optics.normal_reflectance_conductor(n, k)


@dataclass(frozen=True, eq=False)
class MetalPreset:
    """A user-selectable metal: optical data plus a default surface roughness.

    Attributes
    ----------
    id : str
        Stable identifier, e.g. ``"yellow-gold-18k"``.
    label : str
        Human-readable name.
    data : MetalData
    roughness : float
        Default GGX ``alpha`` in [0, 1] of the polished finish; 0 is a perfect mirror.
    note : str
        What the preset models and what it does not (e.g. alloys).
    model : str
        ``"measured"`` (one measured n,k table), ``"alloy"`` (permittivity
        mix of the constituents by volume, :func:`alloy_data`) or
        ``"plated"`` (the visible surface is the plating metal's table).
    composition : dict
        Nominal composition in weight per cent (element symbol -> wt%); empty
        for a measured pure metal. For a plated preset, the substrate's.
    plating : str
        Element symbol of the plating (``"Rh"``), or ``""``.
    source : str
        One line naming where the optical data come from.
    reference_lab : tuple of float or None
        A published CIELAB (D65, 2°, specular included) of the real alloy,
        when one is known; ``None`` otherwise.
    reference_source : str
        Citation of ``reference_lab`` (with page/table).
    tint : tuple of (wavelengths_nm, values) or None
        A spectral multiplier in (0, 1] on the reflectance computed from
        ``data`` (Mitsuba's ``specular_reflectance``), as fitted to a product
        photo by :mod:`jewelrender.matching`; ``None`` for the shipped presets,
        whose colour comes from their n, k alone.
    """

    id: str
    label: str
    data: MetalData
    roughness: float
    note: str
    model: str = "measured"
    composition: dict[str, float] = field(default_factory=dict)
    plating: str = ""
    source: str = ""
    reference_lab: tuple[float, float, float] | None = None
    reference_source: str = ""
    tint: tuple[tuple[float, ...], tuple[float, ...]] | None = None


@dataclass(frozen=True, eq=False)
class GemData:
    """Dispersion of one (colourless) gem material (body colours: :class:`GemVariety`).

    Attributes
    ----------
    name : str
        Canonical id (= file stem), e.g. ``"diamond"``.
    formula : str
        One of :data:`jewelrender.library.optics.FORMULAS`.
    coefficients : dict
        Formula coefficients as in the file (see :func:`jewelrender.library.optics.evaluate_formula`).
    wavelength_range_nm : tuple of float
        ``(lo, hi)``: where the source's fit is valid. :meth:`n` also
        evaluates outside it (checked to be well-behaved over 360-830 nm).
    citation : str
    label, source, licence, optic_character, note : str
    aliases : tuple of str
    source_file : str
    density_g_cm3 : float or None
        Typical specific gravity, for converting carats to size.
    """

    name: str
    formula: str
    coefficients: dict[str, Any]
    wavelength_range_nm: tuple[float, float]
    citation: str
    label: str = ""
    aliases: tuple[str, ...] = ()
    optic_character: str = ""
    note: str = ""
    source: str = ""
    licence: str = ""
    source_file: str = ""
    #: Specific gravity (g/cm^3) for sizing by carat; None: unknown (sized as diamond).
    density_g_cm3: float | None = None

    def n(self, wavelength_nm: Any) -> np.ndarray:
        """Refractive index at ``wavelength_nm`` (nm, shape (...)) -> shape (...)."""
        return optics.evaluate_formula(self.formula, self.coefficients, wavelength_nm)

    def sellmeier_terms(self) -> tuple[float, tuple[float, ...], tuple[float, ...]]:
        """``(A, B, C)`` of a Sellmeier gem, with ``C`` in µm² whichever form the file uses.

        ``n^2 = 1 + A + sum_i B_i L^2 / (L^2 - C_i)``, ``L`` in µm (files may
        give either ``C`` or the resonance wavelengths ``L``, ``C = L**2``).

        Raises
        ------
        CatalogError
            The gem's formula is not ``"sellmeier"``.
        """
        if self.formula != "sellmeier":
            raise CatalogError(
                f"gem {self.name!r} uses the {self.formula!r} formula, not 'sellmeier'",
                details={"gem": self.name, "formula": self.formula},
            )
        co = self.coefficients
        C = co["C"] if "C" in co else [float(x) ** 2 for x in co["L"]]
        return float(co.get("A", 0.0)), tuple(float(b) for b in co["B"]), tuple(float(c) for c in C)

    def bsdf_law(self) -> dict[str, Any]:
        """The dispersion law in the form :func:`jewelrender.bsdfs.dispersive_dielectric_dict` takes.

        Returns
        -------
        dict
            Keyword arguments: ``{"b": (B1, ...), "c": (C1, ...)}`` (Sellmeier,
            C in µm², at most 3 terms) or ``{"cauchy": (A, B_µm²)}``.

        Notes
        -----
        The BSDF's Sellmeier form has no constant, so ``n² = 1 + A + ...``
        gets ``A`` as a term with its resonance at zero (``A λ²/(λ² - 0) = A``:
        exact). refractiveindex.info formula 4 is rewritten term by term:
        ``C2 L^2 / (L² - C4^C5)`` is a Sellmeier term; ``C2 / (L² - P)`` (C3 = 0)
        is ``(C2/P) L² / (L² - P) - C2/P``, a Sellmeier term plus a constant
        (exact); ``C10 L²`` (an infrared pole seen from the visible) becomes
        ``B L² / (L² - P)`` with ``P`` = :data:`FAR_POLE_UM2` and
        ``B = -C10 P``, exact to first order in ``L²/P`` (|Δn| < 1e-6 over
        360-830 nm for the shipped files; moissanite becomes B = [4.40843,
        215.3, 1.16389], C = [0.03178, 1e4, 0] µm²).

        Raises
        ------
        CatalogError
            More than 3 terms, a Cauchy ``C/L⁴`` term, or a formula-4 term of
            another shape.
        """
        co = self.coefficients
        if self.formula == "cauchy":
            if float(co.get("C", 0.0)) != 0.0:
                raise CatalogError(
                    f"gem {self.name!r}: the renderer's Cauchy law has no C/L^4 term",
                    details={"gem": self.name})
            return {"cauchy": (float(co["A"]), float(co.get("B", 0.0)))}
        terms: list[tuple[float, float]] = []
        if self.formula == "sellmeier":
            const, B, C = self.sellmeier_terms()
            terms = list(zip(B, C))
        else:  # rii-formula-4
            c = [float(x) for x in co["C"]] + [0.0] * (17 - len(co["C"]))
            const = c[0] - 1.0
            for i in (1, 5):
                if c[i] == 0.0:
                    continue
                pole = c[i + 2] ** c[i + 3]
                if c[i + 1] == 2.0:
                    terms.append((c[i], pole))
                elif c[i + 1] == 0.0 and pole > 0.0:
                    terms.append((c[i] / pole, pole))
                    const -= c[i] / pole
                else:
                    raise CatalogError(
                        f"gem {self.name!r}: formula-4 term C{i + 1} L^{c[i + 1]:g}/(...) has no Sellmeier form",
                        details={"gem": self.name})
            for i in (9, 11, 13, 15):
                if c[i] == 0.0:
                    continue
                if c[i + 1] != 2.0:
                    raise CatalogError(
                        f"gem {self.name!r}: formula-4 term C{i + 1} L^{c[i + 1]:g} has no Sellmeier form",
                        details={"gem": self.name})
                terms.append((-c[i] * FAR_POLE_UM2, FAR_POLE_UM2))
        if const != 0.0:
            terms.append((const, 0.0))
        if len(terms) > 3:
            raise CatalogError(
                f"gem {self.name!r}: {len(terms)} Sellmeier terms; the renderer takes at most 3",
                details={"gem": self.name})
        return {"b": tuple(b for b, _ in terms), "c": tuple(c_ for _, c_ in terms)}

    @property
    def n_d(self) -> float:
        """Refractive index at the sodium D line, 589.3 nm (the gemmological RI)."""
        return float(self.n(optics.LINE_D))

    @property
    def dispersion(self) -> float:
        """Gemmological dispersion ``n_G - n_B`` (430.8 nm, 686.7 nm)."""
        return optics.dispersion(self.n)

    @property
    def abbe(self) -> float:
        """Abbe number ``V_d = (n_d - 1) / (n_F - n_C)`` (587.56, 486.13, 656.27 nm)."""
        return optics.abbe_number(self.n)


# ---------------------------------------------------------------------------
# Loaders (path-taking, uncached, validating)
# ---------------------------------------------------------------------------


def _fail(path: Path, problem: str) -> CatalogError:
    return CatalogError(f"material file {path}: {problem}", details={"path": str(path), "problem": problem})


def load_metal_file(path: str | Path) -> MetalData:
    """Read and validate one metal n,k table (format in the module docstring).

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    MetalData

    Raises
    ------
    CatalogError
        Missing file, missing header keys, bad numbers, non-increasing
        wavelengths, ``n <= 0`` or ``k < 0``, or not covering 380-780 nm.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(path, f"cannot be read ({exc})") from None
    meta: dict[str, str] = {}
    rows: list[list[float]] = []
    header: list[str] | None = None
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            key, sep, value = line[1:].partition(":")
            if sep:
                meta[key.strip().lower()] = value.strip()
            continue
        cells = [c.strip() for c in line.split(",")]
        if header is None:
            header = cells
            if header != ["wavelength_nm", "n", "k"]:
                raise _fail(path, f"line {lineno}: column header must be 'wavelength_nm,n,k', got {line!r}")
            continue
        try:
            values = [float(c) for c in cells]
        except ValueError:
            raise _fail(path, f"line {lineno}: not three numbers: {line!r}") from None
        if len(values) != 3:
            raise _fail(path, f"line {lineno}: expected 3 columns, got {len(values)}")
        rows.append(values)
    missing = [k for k in _REQUIRED_METAL_META if not meta.get(k)]
    if missing:
        raise _fail(path, f"header lacks '# {missing[0]}: ...' (required: {', '.join(_REQUIRED_METAL_META)})")
    if header is None or len(rows) < 2:
        raise _fail(path, "needs a 'wavelength_nm,n,k' header and at least two rows")
    data = np.array(rows, dtype=np.float64)
    wl, n, k = data[:, 0].copy(), data[:, 1].copy(), data[:, 2].copy()
    if not np.all(np.isfinite(data)):
        raise _fail(path, "contains non-finite numbers")
    if not np.all(np.diff(wl) > 0):
        i = int(np.argmin(np.diff(wl)))
        raise _fail(path, f"wavelengths not strictly increasing at {wl[i]:g} -> {wl[i + 1]:g} nm")
    if np.any(n <= 0):
        raise _fail(path, f"n must be positive (found {n.min():g})")
    if np.any(k < 0):
        raise _fail(path, f"k must be >= 0 (found {k.min():g})")
    if wl[0] > VISIBLE_NM[0] or wl[-1] < VISIBLE_NM[1]:
        raise _fail(path, f"covers {wl[0]:g}-{wl[-1]:g} nm; must cover {VISIBLE_NM[0]:g}-{VISIBLE_NM[1]:g} nm")
    for arr in (wl, n, k):
        arr.setflags(write=False)
    citation = meta["dataset"] + (f" {meta['doi']}" if meta.get("doi") else "")
    return MetalData(
        name=meta["name"],
        wavelengths_nm=wl,
        n=n,
        k=k,
        citation=citation,
        source_file=str(path),
        source=meta["source"],
        licence=meta["licence"],
        metadata=meta,
    )


def _check_roughness(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"roughness must be a number, got {value!r}")
    if not 0.0 <= float(value) <= 1.0:
        raise ValueError(f"roughness must lie in [0, 1] (GGX alpha), got {value!r}")
    return float(value)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise _fail(path, f"cannot be read ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise _fail(path, f"is not valid TOML ({exc})") from None


#: Elements jewelrender can mix, with (standard atomic weight g/mol, density
#: g/cm^3 at 20 °C, n,k table stem). Atomic weights: IUPAC 2021 standard
#: atomic weights (abridged); densities: CRC Handbook of Chemistry and Physics,
#: "Physical constants of inorganic compounds". Only the molar volume M/rho
#: enters (weight per cent -> volume fraction).
ELEMENTS: dict[str, tuple[float, float, str]] = {
    "Au": (196.967, 19.30, "Au"),
    "Ag": (107.868, 10.49, "Ag"),
    "Cu": (63.546, 8.96, "Cu"),
    "Pd": (106.42, 12.02, "Pd"),
    "Pt": (195.08, 21.45, "Pt"),
    "Ni": (58.693, 8.908, "Ni"),
    "Rh": (102.906, 12.41, "Rh"),
}

#: Wavelength grid of a modelled alloy (nm): Mitsuba's spectral range at 5 nm.
ALLOY_GRID_NM = np.arange(MITSUBA_SPECTRAL_NM[0], MITSUBA_SPECTRAL_NM[1] + 0.5, 5.0)


def _check_composition(comp: Any) -> dict[str, float]:
    if not isinstance(comp, dict) or not comp:
        raise ValueError("composition must be a table of element = weight per cent")
    out: dict[str, float] = {}
    for el, w in comp.items():
        if el not in ELEMENTS:
            raise ValueError(f"composition: no optical data for element {el!r}; known: {', '.join(ELEMENTS)}")
        if isinstance(w, bool) or not isinstance(w, (int, float)) or not math.isfinite(w) or w <= 0:
            raise ValueError(f"composition: {el} must be a positive weight per cent, got {w!r}")
        out[el] = float(w)
    total = sum(out.values())
    if abs(total - 100.0) > 0.5:
        raise ValueError(f"composition must sum to 100 wt% (got {total:g})")
    return out


def _volume_fractions(composition: dict[str, float]) -> dict[str, float]:
    # weight -> volume: w / rho (the alloy's molar volume is taken as additive, Vegard-like).
    vol = {el: w / ELEMENTS[el][1] for el, w in composition.items()}
    total = sum(vol.values())
    return {el: v / total for el, v in vol.items()}


#: Empirical copper weight of the carat-gold calibration (``_cu_optical_weight``):
#: ``g = exp(S (r - R0))`` with ``r = Cu / (Cu + Ag)`` by weight. Fitted (grid
#: search, minimising the largest CIEDE2000 error over 1N-6N:
#: materials/tools/fit_carat_gold.py) to the CIELAB of the standard gold
#: colours 0N-6N (ISO 8654 designations; the values are not from the standard
#: but as tabulated, with their compositions, by U. E. Klotz, github.com/
#: UlrichKlotz/CIELab_Plotter, literature_data_Github.csv, commit 827ea02, from
#: an unidentified source); docs/metals.md has the fit and its held-out errors.
CU_WEIGHT_S = 4.0
CU_WEIGHT_R0 = 0.475
#: Gold contents (wt%) the calibration was fitted over (0N-6N: 58.5-75),
#: widened slightly; outside it, and for anything but Au-Ag-Cu, the plain mix.
CU_WEIGHT_AU_RANGE = (55.0, 80.0)


def _cu_optical_weight(comp: dict[str, float]) -> float:
    """Factor on copper's volume fraction in a calibrated carat gold (1 = none).

    Linear permittivity mixing leaves a copper-rich 18k gold nearly as yellow as
    a silver-rich one (b* ~ 24-25 from 2N to 6N), while the published colours of
    the standards 0N-6N (Klotz's table; its source for them is unidentified) fall from b* 26.6 (2N) to 15.6 (6N): in the real alloys copper
    moves the colour much more than its volume share when it replaces silver,
    and less when silver dominates. One smooth factor of the Cu:Ag ratio
    reproduces the whole series (docs/metals.md). It is an empirical
    calibration, not a band-structure model, so it is applied only inside the
    range it was fitted on.
    """
    if set(comp) != {"Au", "Ag", "Cu"} or not (CU_WEIGHT_AU_RANGE[0] <= comp["Au"] <= CU_WEIGHT_AU_RANGE[1]):
        return 1.0
    r = comp["Cu"] / (comp["Cu"] + comp["Ag"])
    return math.exp(CU_WEIGHT_S * (r - CU_WEIGHT_R0))


def alloy_data(composition: dict[str, float], *, name: str = "", tables: dict[str, MetalData] | None = None,
               calibrated: bool = True) -> MetalData:
    """n, k of an alloy modelled by mixing its constituents' permittivities.

    ``eps_alloy(lambda) = sum_i w_i eps_i(lambda)`` with ``eps_i = (n_i + i k_i)^2``
    of each element's shipped table and ``w_i`` its volume fraction
    ``phi_i`` (weight per cent / density, normalised). See
    :func:`jewelrender.library.optics.mix_permittivity` and ``docs/metals.md`` for why
    this rule and how well it does on measured Au-Ag alloys.

    For Au-Ag-Cu carat golds with 55-80 wt% Au (``calibrated=True``, the
    default) copper's fraction is multiplied by ``exp(4.0 (r - 0.475))``,
    ``r = Cu/(Cu+Ag)`` by weight, and the weights renormalised: an empirical
    calibration fitted to the published CIELAB of the standard gold colours
    0N-6N (``CU_WEIGHT_S``, ``CU_WEIGHT_R0``; docs/metals.md). Other alloys, and
    ``calibrated=False``, use the plain volume fractions.

    Parameters
    ----------
    composition : dict
        Element symbol -> weight per cent (summing to 100 +- 0.5).
    name : str, optional
        Name of the result.
    tables : dict, optional
        Element symbol -> :class:`MetalData`; default the shipped tables.

    Returns
    -------
    MetalData
        On :data:`ALLOY_GRID_NM` (360-830 nm, 5 nm); ``metadata["model"]``
        names the rule and the volume fractions.

    Raises
    ------
    InvalidOptionError
        Unknown element, non-positive weights or a total other than 100 %.
    """
    try:
        comp = _check_composition(composition)
    except ValueError as exc:
        raise InvalidOptionError(str(exc), details={"composition": repr(composition)}) from None
    phi = _volume_fractions(comp)
    g_cu = _cu_optical_weight(comp) if calibrated else 1.0
    if g_cu != 1.0:
        raw = {el: f * (g_cu if el == "Cu" else 1.0) for el, f in phi.items()}
        weights = {el: w / sum(raw.values()) for el, w in raw.items()}
    else:
        weights = phi
    eps, frac, cites = [], [], []
    for el, f in weights.items():
        d = tables[el] if tables is not None else metal_data(ELEMENTS[el][2])
        n, k = d.nk(ALLOY_GRID_NM)
        eps.append(optics.nk_to_permittivity(n, k))
        frac.append(f)
        if d.citation not in cites:
            cites.append(d.citation)
    n, k = optics.permittivity_to_nk(optics.mix_permittivity(eps, frac))
    wl = ALLOY_GRID_NM.copy()
    for arr in (wl, n, k):
        arr.setflags(write=False)
    label = name or "alloy " + " ".join(f"{el}{w:g}" for el, w in comp.items())
    model = "linear permittivity mix by volume: " + ", ".join(f"{el} {100 * f:.1f} vol%" for el, f in phi.items())
    if g_cu != 1.0:
        model += (f"; carat-gold calibration (empirical, fitted to the 0N-6N colours of Klotz's table): "
                  f"copper weight x{g_cu:.3g} (mix weights "
                  + ", ".join(f"{el} {100 * w:.1f}%" for el, w in weights.items()) + ")")
    return MetalData(
        name=label,
        wavelengths_nm=wl,
        n=n,
        k=k,
        citation="; ".join(cites),
        source_file="",
        source="modelled from the shipped tables (" + ", ".join(phi) + ")",
        licence="derived from CC0 data",
        metadata={"model": model, "composition_wt": ", ".join(f"{el} {w:g}" for el, w in comp.items())},
    )


_PRESET_KEYS = ("label", "data", "composition", "plating", "roughness", "note", "reference_lab", "reference_source",
                "tint", "tint_nm")


def _check_tint(entry: dict[str, Any]) -> tuple[tuple[float, ...], tuple[float, ...]] | None:
    if "tint" not in entry and "tint_nm" not in entry:
        return None
    vals, wl = entry.get("tint"), entry.get("tint_nm")
    ok = (isinstance(vals, list) and isinstance(wl, list) and 2 <= len(vals) == len(wl) <= 64
          and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals + wl))
    if not ok:
        raise ValueError("'tint' and 'tint_nm' go together: two lists of 2-64 numbers of the same length")
    if not all(0.0 < v <= 1.0 for v in vals):
        raise ValueError(f"tint values must be in (0, 1], got {vals}")
    if not (all(b > a for a, b in zip(wl, wl[1:])) and MITSUBA_SPECTRAL_NM[0] <= wl[0]
            and wl[-1] <= MITSUBA_SPECTRAL_NM[1]):
        raise ValueError(f"tint_nm must increase strictly within {MITSUBA_SPECTRAL_NM[0]:g}-"
                         f"{MITSUBA_SPECTRAL_NM[1]:g} nm, got {wl}")
    return tuple(float(w) for w in wl), tuple(float(v) for v in vals)


def load_metal_presets(path: str | Path, metals_dir: str | Path | None = None) -> dict[str, MetalPreset]:
    """Read and validate a presets file such as ``materials/metals.toml``.

    Parameters
    ----------
    path : str or Path
        TOML file with one table per preset: ``label``, ``roughness`` (GGX
        alpha in [0, 1] of the polished finish), ``note``, and the optics as
        exactly one of

        * ``data = "<stem>"``: a measured table ``<metals_dir>/<stem>.csv``;
        * ``composition = {Au = 75.0, ...}`` (weight per cent): an alloy
          modelled by :func:`alloy_data`;
        * ``plating = "<stem>"`` with ``composition``: a plated alloy whose
          visible surface is the plating's table (the composition is kept as
          information about the substrate).

        Optional ``reference_lab = [L, a, b]`` with ``reference_source`` (a
        citation): a published colour of the real alloy, checked by the tests.
    metals_dir : str or Path, optional
        Folder of the ``<data>.csv`` tables; default ``<path's folder>/metals``.

    Returns
    -------
    dict
        Preset id -> :class:`MetalPreset`, in file order.

    Raises
    ------
    CatalogError
    """
    path = Path(path)
    metals_dir = Path(metals_dir) if metals_dir is not None else path.parent / "metals"
    doc = _read_toml(path)
    if not doc:
        raise _fail(path, "defines no presets")
    presets: dict[str, MetalPreset] = {}
    tables: dict[str, MetalData] = {}

    def table(pid: str, sym: str) -> MetalData:
        if sym not in tables:
            csv = metals_dir / f"{sym}.csv"
            if not csv.is_file():
                have = sorted(p.stem for p in metals_dir.glob("*.csv"))
                raise _fail(path, f"[{pid}] data {sym!r}: no {csv}; available: {', '.join(have) or 'none'}")
            tables[sym] = _metal_file_cached(str(csv))
        return tables[sym]

    for pid, entry in doc.items():
        if not isinstance(entry, dict):
            raise _fail(path, f"[{pid}] must be a table")
        unknown = set(entry) - set(_PRESET_KEYS)
        if unknown:
            raise _fail(path, f"[{pid}] has unknown key(s) {sorted(unknown)}; valid: {', '.join(sorted(_PRESET_KEYS))}")
        for key in ("label", "note"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                raise _fail(path, f"[{pid}] needs a non-empty string '{key}'")
        try:
            rough = _check_roughness(entry.get("roughness"))
            tint = _check_tint(entry)
        except ValueError as exc:
            raise _fail(path, f"[{pid}] {exc}") from None
        has_data, has_comp, has_plating = "data" in entry, "composition" in entry, "plating" in entry
        if has_data == (has_comp or has_plating) or (has_plating and not has_comp):
            raise _fail(path, f"[{pid}] needs exactly one of 'data' or 'composition' (optionally with 'plating')")
        for key in ("data", "plating"):
            if key in entry and (not isinstance(entry[key], str) or not entry[key].strip()):
                raise _fail(path, f"[{pid}] needs a non-empty string '{key}'")
        comp: dict[str, float] = {}
        if has_comp:
            try:
                comp = _check_composition(entry["composition"])
            except ValueError as exc:
                raise _fail(path, f"[{pid}] {exc}") from None
        ref = entry.get("reference_lab")
        ref_src = entry.get("reference_source", "")
        if ref is not None:
            if (not isinstance(ref, list) or len(ref) != 3
                    or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in ref)):
                raise _fail(path, f"[{pid}] reference_lab must be [L, a, b]")
            if not isinstance(ref_src, str) or not ref_src.strip():
                raise _fail(path, f"[{pid}] reference_lab needs a 'reference_source' citation")
            ref = (float(ref[0]), float(ref[1]), float(ref[2]))
        elif ref_src:
            raise _fail(path, f"[{pid}] reference_source without reference_lab")
        if has_data:
            data, model = table(pid, entry["data"]), "measured"
            source = data.citation
        elif has_plating:
            data, model = table(pid, entry["plating"]), "plated"
            source = f"{entry['plating']} plating: {data.citation}"
        else:
            el_tables = {el: table(pid, ELEMENTS[el][2]) for el in comp}
            data = alloy_data(comp, name=entry["label"] + " (model)", tables=el_tables)
            model = "alloy"
            source = "model: " + data.metadata["model"] + "; data: " + data.citation
        presets[pid] = MetalPreset(
            id=pid, label=entry["label"], data=data, roughness=rough, note=entry["note"], model=model,
            composition=comp, plating=entry.get("plating", ""), source=source,
            reference_lab=ref, reference_source=ref_src, tint=tint,
        )
    return presets


def load_gem_file(path: str | Path) -> GemData:
    """Read and validate one gem file (format in the module docstring).

    Raises
    ------
    CatalogError
        Missing keys, unknown formula, bad coefficients, or a formula that is
        not finite, > 1 and falling with wavelength over 360-830 nm.
    """
    path = Path(path)
    doc = _read_toml(path)
    required = ("name", "label", "formula", "coefficients", "wavelength_range_nm", "citation", "source", "licence")
    optional = ("aliases", "optic_character", "note", "density_g_cm3")
    for key in required:
        if key not in doc:
            raise _fail(path, f"lacks '{key}' (required: {', '.join(required)})")
    unknown = set(doc) - set(required) - set(optional)
    if unknown:
        raise _fail(path, f"unknown key(s) {sorted(unknown)}")
    for key in ("name", "label", "formula", "citation", "source", "licence"):
        if not isinstance(doc[key], str) or not doc[key].strip():
            raise _fail(path, f"'{key}' must be a non-empty string")
    if doc["name"] != path.stem:
        raise _fail(path, f"name {doc['name']!r} must equal the file name {path.stem!r}")
    if not isinstance(doc["coefficients"], dict):
        raise _fail(path, "[coefficients] must be a table")
    rng = doc["wavelength_range_nm"]
    if (
        not isinstance(rng, list)
        or len(rng) != 2
        or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in rng)
        or not 0 < rng[0] < rng[1]
    ):
        raise _fail(path, f"wavelength_range_nm must be [lo, hi] with 0 < lo < hi, got {rng!r}")
    aliases = doc.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) and a for a in aliases):
        raise _fail(path, "aliases must be a list of names")
    density = doc.get("density_g_cm3")
    if density is not None and (not isinstance(density, (int, float)) or isinstance(density, bool)
                                or not 1.0 < density < 10.0):
        raise _fail(path, f"density_g_cm3 must be a number in (1, 10) g/cm^3, got {density!r}")
    gem_data = GemData(
        name=doc["name"],
        formula=doc["formula"],
        coefficients=dict(doc["coefficients"]),
        wavelength_range_nm=(float(rng[0]), float(rng[1])),
        citation=doc["citation"],
        label=doc["label"],
        aliases=tuple(a.lower() for a in aliases),
        optic_character=str(doc.get("optic_character", "")),
        note=str(doc.get("note", "")),
        source=doc["source"],
        licence=doc["licence"],
        source_file=str(path),
        density_g_cm3=None if density is None else float(density),
    )
    grid = np.arange(MITSUBA_SPECTRAL_NM[0], MITSUBA_SPECTRAL_NM[1] + 1.0, 5.0)
    try:
        n = gem_data.n(grid)
    except InvalidOptionError as exc:
        raise _fail(path, exc.message) from None
    if not np.all(np.isfinite(n)) or np.any(n <= 1.0):
        bad = grid[~(np.isfinite(n) & (n > 1.0))]
        raise _fail(path, f"formula gives no finite n > 1 at {bad[0]:g} nm (checked 360-830 nm)")
    if not np.all(np.diff(n) < 0):
        raise _fail(path, "n must fall with wavelength over 360-830 nm (normal dispersion of a transparent gem)")
    return gem_data


# ---------------------------------------------------------------------------
# Cached catalogue of the shipped files
# ---------------------------------------------------------------------------


@lru_cache(maxsize=None)
def _metal_file_cached(path: str) -> MetalData:
    return load_metal_file(path)


@lru_cache(maxsize=1)
def _presets() -> dict[str, MetalPreset]:
    return load_metal_presets(resource_path("materials", "metals.toml"), resource_path("materials", "metals"))


@lru_cache(maxsize=1)
def _gems() -> tuple[dict[str, GemData], dict[str, str]]:
    folder = resource_path("materials", "gems")
    gems: dict[str, GemData] = {}
    lookup: dict[str, str] = {}
    for p in sorted(folder.glob("*.toml")):
        if p.name == GEM_VARIETIES_FILE:
            continue
        g = load_gem_file(p)
        gems[g.name] = g
        for key in (g.name, *g.aliases):
            if key in lookup:
                raise _fail(p, f"name/alias {key!r} already used by {lookup[key]!r}")
            lookup[key] = g.name
    if not gems:
        raise CatalogError(f"no gem files in {folder}", details={"path": str(folder)})
    return gems, lookup


def _unknown(kind: str, name: Any, valid: list[str]) -> CatalogError:
    return CatalogError(
        f"unknown {kind} {name!r}; valid: {', '.join(valid)}", details={"name": str(name), "valid": valid}
    )


# Presets read from users' files (register_metal_presets), by id; one process-wide registry so that
# every place that checks a --metal id (try-on, compare, export, the service) accepts them.
_USER_PRESETS: dict[str, MetalPreset] = {}


def list_metals() -> list[str]:
    """Ids of the metal presets: the shipped ones in file order (e.g. ``"yellow-gold-18k"``), then any
    registered from a user's file (:func:`register_metal_presets`)."""
    return list(_presets()) + [k for k in _USER_PRESETS if k not in _presets()]


def metal(id: str) -> MetalPreset:
    """The metal preset ``id`` (shipped, or registered from a user's file).

    Raises
    ------
    CatalogError
        Unknown id (``details["valid"]`` lists the ids) or a malformed file.
    """
    presets = _presets()
    if isinstance(id, str) and id in _USER_PRESETS and id not in presets:
        return _USER_PRESETS[id]
    if not isinstance(id, str) or id not in presets:
        raise _unknown("metal", id, list_metals())
    return presets[id]


def is_preset_file(value: Any) -> bool:
    """Whether a ``--metal`` value names a presets file (``*.toml``) rather than a preset id."""
    return isinstance(value, (str, Path)) and str(value).lower().endswith(".toml")


def register_metal_presets(path: str | Path) -> list[str]:
    """Read a user's presets file (the format of ``materials/metals.toml``, e.g. one written by
    ``jewelrender match-material``) and make its presets selectable by id for this process.

    ``data``/``composition``/``plating`` refer to the shipped element tables. Returns the file's ids.

    Raises
    ------
    InvalidOptionError
        No such file (code ``INVALID_OPTION``).
    CatalogError
        A malformed file, or an id that a shipped preset already uses (ids must stay unambiguous).
    """
    path = Path(path)
    if not path.is_file():
        raise InvalidOptionError(f"metal presets file not found: {path}; give a preset id "
                                 f"({', '.join(list(_presets()))}) or an existing .toml file",
                                 details={"option": "metal", "path": str(path)})
    found = load_metal_presets(path, resource_path("materials", "metals"))
    clash = sorted(set(found) & set(_presets()))
    if clash:
        raise _fail(path, f"preset id(s) {clash} are shipped presets; rename them in the file")
    _USER_PRESETS.update(found)
    return list(found)


def forget_metal_presets(ids=None) -> None:
    """Unregister user presets (``ids``, default all) registered by :func:`register_metal_presets`."""
    for k in list(_USER_PRESETS) if ids is None else list(ids):
        _USER_PRESETS.pop(k, None)


def resolve_metal(value: str | Path | None) -> str | None:
    """A ``--metal`` value as a preset id: an id passes through; a ``.toml`` file holding exactly one
    preset is registered (:func:`register_metal_presets`) and its id returned.

    Raises
    ------
    InvalidOptionError
        A missing file, or a file with several presets (name one by id after registering the file).
    CatalogError
        A malformed file.
    """
    if value is None or not is_preset_file(value):
        return value
    ids = register_metal_presets(value)
    if len(ids) != 1:
        raise InvalidOptionError(f"{value} holds {len(ids)} presets ({', '.join(ids)}); --metal takes a file with "
                                 "exactly one", details={"option": "metal", "valid": ids})
    return ids[0]


def list_metal_data() -> list[str]:
    """Element symbols with a shipped n,k table (``materials/metals/*.csv``)."""
    return sorted(p.stem for p in resource_path("materials", "metals").glob("*.csv"))


def metal_data(symbol: str) -> MetalData:
    """The shipped n,k table of a pure metal, e.g. ``metal_data("Au")``.

    Raises
    ------
    CatalogError
        Unknown symbol (valid ones listed) or a malformed file.
    """
    valid = list_metal_data()
    if symbol not in valid:
        raise _unknown("metal data", symbol, valid)
    return _metal_file_cached(str(resource_path("materials", "metals", f"{symbol}.csv")))


def list_gems() -> list[str]:
    """Canonical names of the shipped gems (aliases such as ``"sapphire"`` also work in :func:`gem`)."""
    return sorted(_gems()[0])


def refractive_index(gem_name: str, wavelength_nm) -> np.ndarray:
    """Refractive index of the shipped gem ``gem_name`` (see :func:`gem`) at the given wavelengths."""
    return optics.refractive_index(gem(gem_name), wavelength_nm)


def gem(name: str) -> GemData:
    """The shipped gem ``name`` or alias (case-insensitive).

    Raises
    ------
    CatalogError
        Unknown name (valid names and aliases listed) or a malformed file.
    """
    gems, lookup = _gems()
    key = name.strip().lower() if isinstance(name, str) else None
    if key not in lookup:
        raise _unknown("gem", name, sorted(lookup))
    return gems[lookup[key]]


# ---------------------------------------------------------------------------
# Gem varieties: a dispersion material + a body colour (Beer-Lambert absorption)
# ---------------------------------------------------------------------------

#: File (in ``materials/gems/``) holding the coloured varieties; not a gem file.
GEM_VARIETIES_FILE = "varieties.toml"

#: Grid (nm) on which a variety's absorption is tabulated for the renderer:
#: Mitsuba's spectral range at 5 nm (the same grid as the CIE tables).
ABSORPTION_GRID_NM = np.arange(MITSUBA_SPECTRAL_NM[0], MITSUBA_SPECTRAL_NM[1] + 0.5, 5.0)

_FWHM_TO_SIGMA = 1.0 / math.sqrt(8.0 * math.log(2.0))


@dataclass(frozen=True)
class AbsorptionBand:
    """One Gaussian absorption band (Gaussian in wavelength).

    Attributes
    ----------
    centre_nm : float
        Band centre, nm (from the cited spectroscopy; may lie outside the
        visible, e.g. a UV edge or a near-infrared band whose tail matters).
    fwhm_nm : float
        Full width at half maximum, nm.
    peak_per_mm : float
        Absorption coefficient at the centre, 1/mm (natural log:
        ``T = exp(-sigma d)``).
    cause : str
        The assignment (ion and transition), for the reader.
    """

    centre_nm: float
    fwhm_nm: float
    peak_per_mm: float
    cause: str = ""

    def sigma(self, wavelength_nm: Any) -> np.ndarray:
        """Absorption coefficient (1/mm) at ``wavelength_nm`` (shape (...))."""
        x = (np.asarray(wavelength_nm, dtype=np.float64) - self.centre_nm) / (self.fwhm_nm * _FWHM_TO_SIGMA)
        return self.peak_per_mm * np.exp(-0.5 * x * x)


@dataclass(frozen=True, eq=False)
class GemVariety:
    """A coloured gem variety: a dispersion material plus a body colour.

    The body colour is Beer-Lambert absorption, ``T(λ) = exp(-σ_a(λ) d)``,
    with ``σ_a`` a sum of Gaussian bands. Band *centres* come from the cited
    spectroscopy; widths and strengths are ours, chosen so that a stone of
    the variety's reference path length (``reference_path_mm``, ~ the mean
    path of light through a 1 ct stone) shows the trade's typical colour
    (``colour``). ``lab`` records the CIELAB this gives (D65, 2°), checked by
    the tests.

    Attributes
    ----------
    name : str
        Id, e.g. ``"ruby"``, ``"diamond-j"``.
    label, colour, citation, note : str
    material : str
        Canonical gem file name of the dispersion material (``"corundum"``).
    bands : tuple of AbsorptionBand
    reference_path_mm : float
    hue_deg : tuple of float or None
        ``(lo, hi)`` CIELAB hue angle range (degrees, ``lo > hi`` wraps
        through 0) the trade colour falls in at ``reference_path_mm``;
        None for near-colourless grades.
    lab : tuple of float or None
        Recorded ``(L*, a*, b*)`` of the light transmitted through
        ``reference_path_mm`` (D65, 2°, no surface reflection).
    aliases : tuple of str
    """

    name: str
    label: str
    material: str
    colour: str
    bands: tuple[AbsorptionBand, ...]
    reference_path_mm: float
    citation: str
    note: str = ""
    hue_deg: tuple[float, float] | None = None
    lab: tuple[float, float, float] | None = None
    aliases: tuple[str, ...] = ()

    def sigma_a(self, wavelength_nm: Any) -> np.ndarray:
        """Absorption coefficient σ_a(λ) in 1/mm at ``wavelength_nm`` (nm, shape (...))."""
        wl = np.asarray(wavelength_nm, dtype=np.float64)
        out = np.zeros(wl.shape)
        for b in self.bands:
            out = out + b.sigma(wl)
        return out

    def absorption(self) -> tuple[np.ndarray, np.ndarray]:
        """``(wavelengths_nm, sigma_per_mm)`` on :data:`ABSORPTION_GRID_NM` (what the BSDF takes)."""
        return ABSORPTION_GRID_NM.copy(), self.sigma_a(ABSORPTION_GRID_NM)

    def transmittance(self, wavelength_nm: Any, path_mm: float) -> np.ndarray:
        """Internal transmittance ``exp(-σ_a(λ) d)`` through ``path_mm`` of the stone (no surfaces)."""
        return np.exp(-self.sigma_a(wavelength_nm) * float(path_mm))

    def transmitted_lab(self, path_mm: float | None = None, illuminant: str = "D65") -> np.ndarray:
        """CIELAB of ``illuminant`` light after ``path_mm`` (default: the reference path) of the stone.

        Returns
        -------
        ndarray, shape (3,)
            L*, a*, b* relative to the illuminant's white (2° observer).
        """
        d = self.reference_path_mm if path_mm is None else float(path_mm)
        wl = optics.cie_tables().wavelength_nm
        xyz = optics.reflectance_to_xyz(wl, self.transmittance(wl, d), illuminant)
        return optics.xyz_to_lab(xyz, illuminant)

    def gem(self) -> GemData:
        """The dispersion material (:func:`gem` of :attr:`material`)."""
        return gem(self.material)


_VARIETY_REQUIRED = ("label", "material", "colour", "reference_path_mm", "citation", "bands")
_VARIETY_OPTIONAL = ("note", "hue_deg", "lab", "aliases")
_BAND_KEYS = ("centre_nm", "fwhm_nm", "peak_per_mm", "cause")


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _variety(path: Path, name: str, entry: Any) -> GemVariety:
    where = f"[{name}]"
    if not isinstance(entry, dict):
        raise _fail(path, f"{where} must be a table")
    for key in _VARIETY_REQUIRED:
        if key not in entry:
            raise _fail(path, f"{where} lacks '{key}' (required: {', '.join(_VARIETY_REQUIRED)})")
    unknown = set(entry) - set(_VARIETY_REQUIRED) - set(_VARIETY_OPTIONAL)
    if unknown:
        raise _fail(path, f"{where} unknown key(s) {sorted(unknown)}")
    for key in ("label", "material", "colour", "citation"):
        if not isinstance(entry[key], str) or not entry[key].strip():
            raise _fail(path, f"{where} '{key}' must be a non-empty string")
    d = entry["reference_path_mm"]
    if not _number(d) or d <= 0:
        raise _fail(path, f"{where} reference_path_mm must be a positive number, got {d!r}")
    raw = entry["bands"]
    if not isinstance(raw, list) or not raw:
        raise _fail(path, f"{where} bands must be a non-empty list of tables")
    bands = []
    for i, b in enumerate(raw):
        if not isinstance(b, dict) or set(b) - set(_BAND_KEYS) or not {"centre_nm", "fwhm_nm", "peak_per_mm"} <= set(b):
            raise _fail(path, f"{where} band {i} must be {{centre_nm, fwhm_nm, peak_per_mm[, cause]}}")
        c, w, k = b["centre_nm"], b["fwhm_nm"], b["peak_per_mm"]
        if not (_number(c) and 200.0 <= c <= 2500.0):
            raise _fail(path, f"{where} band {i}: centre_nm must lie in 200-2500 nm, got {c!r}")
        if not (_number(w) and w > 0):
            raise _fail(path, f"{where} band {i}: fwhm_nm must be positive, got {w!r}")
        if not (_number(k) and k >= 0):
            raise _fail(path, f"{where} band {i}: peak_per_mm must be >= 0 (1/mm), got {k!r}")
        bands.append(AbsorptionBand(float(c), float(w), float(k), str(b.get("cause", ""))))
    hue = entry.get("hue_deg")
    if hue is not None and not (isinstance(hue, list) and len(hue) == 2 and all(_number(h) and 0 <= h <= 360 for h in hue)):
        raise _fail(path, f"{where} hue_deg must be [lo, hi] in degrees 0-360, got {hue!r}")
    lab = entry.get("lab")
    if lab is not None and not (isinstance(lab, list) and len(lab) == 3 and all(_number(v) for v in lab)):
        raise _fail(path, f"{where} lab must be [L, a, b], got {lab!r}")
    aliases = entry.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) and a for a in aliases):
        raise _fail(path, f"{where} aliases must be a list of names")
    return GemVariety(
        name=name, label=entry["label"], material=entry["material"], colour=entry["colour"],
        bands=tuple(bands), reference_path_mm=float(d), citation=entry["citation"],
        note=str(entry.get("note", "")),
        hue_deg=None if hue is None else (float(hue[0]), float(hue[1])),
        lab=None if lab is None else (float(lab[0]), float(lab[1]), float(lab[2])),
        aliases=tuple(a.lower() for a in aliases),
    )


def load_gem_varieties(path: str | Path, gems: Any = None) -> dict[str, GemVariety]:
    """Read and validate a varieties file (``materials/gems/varieties.toml`` format).

    One TOML table per variety::

        [ruby]
        label = "Ruby"
        material = "corundum"            # a gem file name
        colour = "red, slightly purplish"  # the trade colour aimed at
        reference_path_mm = 4.0
        hue_deg = [0.0, 30.0]            # optional: target CIELAB hue range
        lab = [38.1, 60.2, 21.0]         # optional: recorded result at reference_path_mm
        citation = "..."                 # where the band centres come from
        bands = [{centre_nm = 555.0, fwhm_nm = 80.0, peak_per_mm = 0.9, cause = "Cr3+ 4A2->4T2"}]

    Parameters
    ----------
    path : str or Path
    gems : mapping of str to GemData, optional
        Known materials by canonical name; when given, every ``material``
        must be one of them and no variety name may equal one.

    Returns
    -------
    dict
        Variety name -> :class:`GemVariety`, in file order.

    Raises
    ------
    CatalogError
        Malformed file, unknown keys, bad bands or an unknown material.
    """
    path = Path(path)
    doc = _read_toml(path)
    out: dict[str, GemVariety] = {}
    for name, entry in doc.items():
        if name != name.lower() or not name.replace("-", "").isalnum():
            raise _fail(path, f"variety name {name!r} must be lower-case letters, digits and '-'")
        v = _variety(path, name, entry)
        if gems is not None:
            if v.material not in gems:
                raise _fail(path, f"[{name}] material {v.material!r} is not a gem file; valid: {', '.join(sorted(gems))}")
            if name in gems:
                raise _fail(path, f"variety name {name!r} is a gem material's name")
        out[name] = v
    return out


@lru_cache(maxsize=1)
def _varieties() -> tuple[dict[str, GemVariety], dict[str, str]]:
    gems, gem_lookup = _gems()
    path = resource_path("materials", "gems", GEM_VARIETIES_FILE)
    varieties = load_gem_varieties(path, gems)
    lookup: dict[str, str] = {}
    for v in varieties.values():
        for key in (v.name, *v.aliases):
            if key in lookup or key in gems:
                raise _fail(path, f"variety name/alias {key!r} is already used")
            lookup[key] = v.name
    return varieties, lookup


def list_gem_varieties() -> list[str]:
    """Names of the shipped coloured varieties (``"ruby"``, ``"emerald"``, ``"diamond-j"``, ...)."""
    return list(_varieties()[0])


def gem_variety(name: str) -> GemVariety:
    """The shipped variety ``name`` or alias (case-insensitive).

    Raises
    ------
    CatalogError
        Unknown name (valid names listed).
    """
    varieties, lookup = _varieties()
    key = name.strip().lower() if isinstance(name, str) else None
    if key not in lookup:
        raise _unknown("gem variety", name, sorted(lookup))
    return varieties[lookup[key]]


def gem_optics(name: str) -> tuple[GemData, GemVariety | None]:
    """What a stone name means optically: its dispersion material and its body colour.

    A variety name (``"ruby"``, ``"sapphire"`` = blue sapphire,
    ``"emerald"``, ``"diamond-h"``) wins over a gem alias of the same
    spelling (``gem("ruby")`` is colourless corundum, the material); a gem
    material name (``"diamond"``, ``"corundum"``) gives a clear stone.

    Returns
    -------
    (GemData, GemVariety or None)

    Raises
    ------
    CatalogError
        Neither a variety nor a gem (all valid names listed).
    """
    varieties, vlookup = _varieties()
    key = name.strip().lower() if isinstance(name, str) else None
    if key in vlookup:
        v = varieties[vlookup[key]]
        return gem(v.material), v
    _, glookup = _gems()
    if key in glookup:
        return gem(key), None
    raise _unknown("gem", name, sorted(set(vlookup) | set(glookup)))


def gem_bsdf_dict(name: str, *, length_unit_m: float, dispersive: bool = True) -> dict[str, Any]:
    """Scene-dict entry of a stone: its dispersion law and, for a variety, its body colour.

    Parameters
    ----------
    name : str
        A variety or gem name (see :func:`gem_optics`).
    length_unit_m : float
        Length of one scene unit in metres: 1.0 for the try-on scenes (camera
        frame in metres), 1e-3 for scenes in millimetres. The absorption
        coefficients (1/mm in the data) are converted to 1/scene-unit with it.
    dispersive : bool
        ``False``: a constant index, the gem's n at the sodium D line (no fire; body
        colour kept), for stones whose fire would be smaller than a pixel.

    Returns
    -------
    dict
        A ``dispersive_dielectric`` entry (:func:`jewelrender.bsdfs.dispersive_dielectric_dict`).
    """
    from jewelrender.bsdfs import dispersive_dielectric_dict

    material, variety = gem_optics(name)
    absorption = variety.absorption() if variety is not None else None
    law = material.bsdf_law() if dispersive else {"eta": material.n_d}
    return dispersive_dielectric_dict(**law, absorption=absorption, length_unit_m=length_unit_m)


# ---------------------------------------------------------------------------
# Mitsuba
# ---------------------------------------------------------------------------


def _spectrum_dict(wl: np.ndarray, values: np.ndarray) -> dict[str, str]:
    # Mitsuba's 'irregular' spectrum is 0 outside its nodes; hold the end
    # values out to the spectral sampling range so no wavelength sees eta = 0.
    if wl[0] > MITSUBA_SPECTRAL_NM[0]:
        wl, values = np.r_[MITSUBA_SPECTRAL_NM[0], wl], np.r_[values[0], values]
    if wl[-1] < MITSUBA_SPECTRAL_NM[1]:
        wl, values = np.r_[wl, MITSUBA_SPECTRAL_NM[1]], np.r_[values, values[-1]]
    return {
        "type": "irregular",
        "wavelengths": ", ".join(f"{w:.6g}" for w in wl),
        "values": ", ".join(f"{v:.6g}" for v in values),
    }


@dataclass(frozen=True)
class Finish:
    """A surface finish: how the metal's microfacets are distributed.

    Attributes
    ----------
    id, label : str
    kind : str
        ``"isotropic"``, ``"anisotropic"`` or ``"bumped"``.
    alpha : float
        Isotropic GGX alpha; ``None`` means "the preset's own polish".
    alpha_u, alpha_v : float
        Anisotropic GGX alphas along the surface's u (dp/du) and v directions.
    description : str
        What it models and its approximations.
    """

    id: str
    label: str
    kind: str
    alpha: float | None = None
    alpha_u: float = 0.0
    alpha_v: float = 0.0
    description: str = ""


#: The finishes every metal can take. GGX alphas are our choices (Mitsuba's
#: ``alpha``: RMS microfacet slope), picked by eye against product photos; no
#: measured BRDF of jewellery finishes is shipped.
FINISHES: dict[str, Finish] = {
    "polished": Finish("polished", "mirror polish", "isotropic", None,
                       description="The preset's own GGX alpha (0.02-0.03): a high jewellery polish."),
    "satin": Finish("satin", "satin / brushed", "anisotropic", None, 0.04, 0.30,
                    description="Anisotropic GGX, brushed along the band: smooth along u (the circumference, the "
                                "brush direction), rough across it, so highlights streak across the band. Needs "
                                "texture coordinates with u running along the brush (assets.court_band provides "
                                "them); without them Mitsuba picks an arbitrary tangent."),
    "matte": Finish("matte", "matte / sandblasted", "isotropic", 0.35,
                    description="Isotropic GGX alpha 0.35: a bead-blasted, frosted surface. Multiple scattering "
                                "between microfacets is not modelled, so it is slightly darker than real."),
    "hammered": Finish("hammered", "hammered", "bumped", 0.06,
                       description="Polished-to-soft facets (GGX alpha 0.06) under a procedural normal map of "
                                   "round hammer dimples (hammered_normal_map), wrapped seamlessly around u and v. "
                                   "An approximation: the silhouette stays smooth (no displacement)."),
}


def list_finishes() -> list[str]:
    """Ids of the surface finishes: ``["polished", "satin", "matte", "hammered"]``."""
    return list(FINISHES)


def _get_finish(id: Any) -> Finish:
    if not isinstance(id, str) or id not in FINISHES:
        raise InvalidOptionError(f"unknown finish {id!r}; valid: {', '.join(FINISHES)}",
                                 details={"name": str(id), "valid": list(FINISHES)})
    return FINISHES[id]


def finish(id: str) -> Finish:
    """The finish ``id``; unknown ids raise :class:`InvalidOptionError` listing the valid ones."""
    return _get_finish(id)


@lru_cache(maxsize=8)
def _hammered_cached(dimples_u: int, dimples_v: int, px: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    H, W = dimples_v * px, dimples_u * px
    # One dimple per cell of a jittered grid: round hammer blows that do not line up.
    cu = (np.arange(dimples_u)[None, :] + 0.5 + rng.uniform(-0.3, 0.3, (dimples_v, dimples_u))) * px
    cv = (np.arange(dimples_v)[:, None] + 0.5 + rng.uniform(-0.3, 0.3, (dimples_v, dimples_u))) * px
    radius = px * rng.uniform(0.75, 1.0, (dimples_v, dimples_u))
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float64) + 0.5
    height = np.full((H, W), np.inf)
    for c_u, c_v, r in zip(cu.ravel(), cv.ravel(), radius.ravel()):
        # periodic distance: the map tiles seamlessly around the band and across its profile
        du = (xx - c_u + W / 2) % W - W / 2
        dv = (yy - c_v + H / 2) % H - H / 2
        # a shallow spherical cap per blow; where caps overlap the deepest point wins,
        # which leaves the ridges between blows that a hammered surface shows
        height = np.minimum(height, (du * du + dv * dv) / (2.0 * r))
    # tangent-space normal of the height field (slope scaled to ~15 degrees at a dimple's rim)
    gx = (np.roll(height, -1, axis=1) - np.roll(height, 1, axis=1)) / 2.0
    gy = (np.roll(height, -1, axis=0) - np.roll(height, 1, axis=0)) / 2.0
    scale = 0.27 / max(float(np.abs(np.r_[gx.ravel(), gy.ravel()]).max()), 1e-9)
    n = np.stack([-gx * scale, -gy * scale, np.ones_like(gx)], axis=-1)
    n /= np.linalg.norm(n, axis=-1, keepdims=True)
    out = (0.5 * n + 0.5).astype(np.float32)
    out.setflags(write=False)
    return out


def hammered_normal_map(dimples_u: int = 40, dimples_v: int = 6, *, px: int = 12, seed: int = 8654) -> np.ndarray:
    """Tangent-space normal map of hammer dimples covering the whole uv square.

    Parameters
    ----------
    dimples_u, dimples_v : int
        Dimples along u (around a band: 40 on a 17 mm ring gives ~1.5 mm blows)
        and along v (across the band's profile).
    px : int
        Pixels per dimple.
    seed : int
        Random seed (deterministic output).

    Returns
    -------
    ndarray, shape (dimples_v * px, dimples_u * px, 3), float32, read-only
        Normals encoded as ``0.5 * n + 0.5`` (Mitsuba's ``normalmap`` convention),
        tiling seamlessly in u and v. Row 0 is v = 0.
    """
    for name, v in (("dimples_u", dimples_u), ("dimples_v", dimples_v), ("px", px)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise InvalidOptionError(f"{name} must be a positive integer, got {v!r}")
    return _hammered_cached(int(dimples_u), int(dimples_v), int(px), int(seed))


def prepare_for_mitsuba(d: Any) -> Any:
    """Copy of a scene dict with NumPy arrays turned into ``mi.TensorXf``.

    :func:`metal_bsdf_dict` returns plain data (the hammered finish carries its
    normal map as a NumPy array under ``data``); Mitsuba's ``load_dict`` needs a
    Dr.Jit tensor there, which exists only once a variant is set. Call this
    right before ``mi.load_dict``.
    """
    if isinstance(d, dict):
        if d.get("type") == "bitmap" and isinstance(d.get("data"), np.ndarray) and not d.get("raw", False):
            # A colour texture: Mitsuba reads a tensor under "data" as its own internal texels (in the
            # spectral variants, spectral-upsampling coefficients), so an RGB image must come as a Bitmap,
            # which it converts.
            import mitsuba as mi

            rest = {k: prepare_for_mitsuba(v) for k, v in d.items() if k != "data"}
            return {**rest, "bitmap": mi.Bitmap(np.array(d["data"], dtype=np.float32, order="C", copy=True))}
        return {k: prepare_for_mitsuba(v) for k, v in d.items()}
    if isinstance(d, np.ndarray):
        import mitsuba as mi

        return mi.TensorXf(np.ascontiguousarray(d, dtype=np.float32))
    return d


def _alpha(value: Any) -> float:
    try:
        return _check_roughness(value)
    except ValueError as exc:
        raise InvalidOptionError(str(exc), details={"roughness": repr(value)}) from None


def metal_bsdf_dict(preset_or_id: MetalPreset | str, *, finish: str = "polished", roughness: float | None = None,
                    hammer_dimples: tuple[int, int] = (40, 6), has_texcoords: bool = True) -> dict[str, Any]:
    """Mitsuba 3 scene-dict BSDF of a metal in a finish, for the **spectral** variants.

    Parameters
    ----------
    preset_or_id : MetalPreset or str
        A preset or its id (:func:`list_metals`).
    finish : str
        One of :func:`list_finishes`: ``"polished"`` (default), ``"satin"``,
        ``"matte"``, ``"hammered"``.
    roughness : float, optional
        GGX ``alpha`` in [0, 1] overriding the finish's main roughness: the
        isotropic alpha (polished, matte, hammered) or, for satin, the alpha
        across the brush (the alpha along it scales with it).
    hammer_dimples : (int, int)
        Dimples around u and across v for the hammered finish.
    has_texcoords : bool
        Whether the mesh this BSDF goes on carries texture coordinates. Parts
        without them (prongs, heads) cannot orient a brush or place dimples
        (Mitsuba would read the normal map at uv = (0, 0) everywhere), so they
        get the finish's isotropic equivalent: satin -> GGX alpha
        ``sqrt(alpha_u alpha_v)``, hammered -> its rough conductor alone.

    Returns
    -------
    dict
        polished with alpha 0: ``{'type': 'conductor', 'eta', 'k'}``;
        polished/matte: ``{'type': 'roughconductor', 'distribution': 'ggx',
        'alpha', 'eta', 'k'}``; satin: the same with ``alpha_u``/``alpha_v``;
        hammered: ``{'type': 'normalmap', 'normalmap': {'type': 'bitmap',
        'raw': True, 'data': ndarray (H, W, 3)}, 'bsdf': <roughconductor>}``
        (pass it through :func:`prepare_for_mitsuba` before ``load_dict``).
        ``eta``/``k`` are ``irregular`` spectra extended with constant end
        values to Mitsuba's 360-830 nm; ``irregular`` is not implemented in
        RGB variants, so load this in a ``*_spectral`` variant. Satin and
        hammered orient themselves by the mesh's texture coordinates.

    Raises
    ------
    CatalogError
        Unknown preset id.
    InvalidOptionError
        Unknown finish, or ``roughness`` not a number in [0, 1].
    """
    preset = preset_or_id if isinstance(preset_or_id, MetalPreset) else metal(preset_or_id)
    fin = _get_finish(finish)
    user = None if roughness is None else _alpha(roughness)
    d = preset.data
    spectra = {"eta": _spectrum_dict(d.wavelengths_nm, d.n), "k": _spectrum_dict(d.wavelengths_nm, d.k)}
    if preset.tint is not None:
        spectra["specular_reflectance"] = _spectrum_dict(np.asarray(preset.tint[0]), np.asarray(preset.tint[1]))
    if fin.kind == "anisotropic":
        a_v = fin.alpha_v if user is None else user
        a_u = fin.alpha_u if user is None else user * fin.alpha_u / fin.alpha_v
        if not has_texcoords:
            return {"type": "roughconductor", "distribution": "ggx", "alpha": math.sqrt(a_u * a_v), **spectra}
        return {"type": "roughconductor", "distribution": "ggx", "alpha_u": a_u, "alpha_v": a_v, **spectra}
    alpha = user if user is not None else (preset.roughness if fin.alpha is None else fin.alpha)
    if alpha == 0.0:
        base: dict[str, Any] = {"type": "conductor", **spectra}
    else:
        base = {"type": "roughconductor", "distribution": "ggx", "alpha": alpha, **spectra}
    if fin.kind == "bumped" and has_texcoords:
        du, dv = hammer_dimples
        return {
            "type": "normalmap",
            "normalmap": {"type": "bitmap", "raw": True, "filter_type": "bilinear",
                          "data": hammered_normal_map(du, dv)},
            "bsdf": base,
        }
    return base


def metal_lab(preset_or_id: MetalPreset | str) -> dict[str, float]:
    """Colour of a metal from its n,k alone (polished, normal incidence, D65, 2°).

    Returns
    -------
    dict
        ``L``, ``a``, ``b`` (CIELAB), ``YI_E313`` (ASTM E313, D65/2°) and
        ``YI_D1925`` (ASTM D1925 on illuminant-C / 2° XYZ, the index of
        Henderson & Manchanda's white-gold grades; see
        :func:`jewelrender.library.optics.reflectance_yellowness`).
    """
    preset = preset_or_id if isinstance(preset_or_id, MetalPreset) else metal(preset_or_id)
    wl = np.arange(optics.COLOR_RANGE_NM[0], optics.COLOR_RANGE_NM[1] + 0.5, 5.0)
    n, k = preset.data.nk(wl)
    lab, xyz = optics.conductor_lab(wl, n, k)
    R = optics.normal_reflectance_conductor(n, k)
    return {"L": float(lab[0]), "a": float(lab[1]), "b": float(lab[2]),
            "YI_E313": float(optics.yellowness_index(xyz, "E313-D65")),
            "YI_D1925": float(optics.reflectance_yellowness(wl, R, "D1925"))}


def metal_rows() -> list[dict[str, str]]:
    """One row per metal for a ``jewelrender materials`` listing.

    Returns
    -------
    list of dict
        Keys ``id``, ``label``, ``model`` (measured / alloy / plated),
        ``composition`` (e.g. ``"Au 75, Ag 12.5, Cu 12.5 wt%"`` or ``""``),
        ``lab`` (``"L* a* b*"`` computed from the optics), ``source`` (where
        the optical data come from) and ``note``; in file order.
    """
    rows = []
    for pid in list_metals():
        p = metal(pid)
        c = metal_lab(p)
        comp = ", ".join(f"{el} {w:g}" for el, w in p.composition.items())
        rows.append({
            "id": p.id,
            "label": p.label,
            "model": p.model,
            "composition": f"{comp} wt%" if comp else "",
            "lab": f"{c['L']:.1f} {c['a']:+.1f} {c['b']:+.1f}",
            "source": p.source,
            "note": p.note,
        })
    return rows
