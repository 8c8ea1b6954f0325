"""The shipped optical materials: metal n,k tables, metal presets and gem dispersion.

Files (see ``materials/README.md`` for provenance and licences)::

    materials/metals/<Element>.csv   measured n, k of pure metals (Au, Ag, Cu, Pt, Pd, Rh, Ni)
    materials/metals.toml            the metal presets users choose ("yellow-gold-18k", ...)
    materials/gems/<name>.toml       dispersion formula of one gem ("diamond", ...)

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
:data:`jewelrender.optics.FORMULAS`), a ``[coefficients]`` table,
``wavelength_range_nm = [lo, hi]`` (the validity range of the source),
``citation``, ``source``, ``licence``; optional ``aliases``,
``optic_character``, ``note``. The formula must give a finite ``n > 1``
that falls with wavelength (normal dispersion) from 360 to 830 nm.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from jewelrender import optics
from jewelrender.errors import CatalogError, InvalidOptionError
from jewelrender.resources import resource_path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the same parser, packaged as tomli
    import tomli as tomllib  # type: ignore[no-redef]

__all__ = [
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
    "list_metal_data",
    "metal_data",
    "list_gems",
    "gem",
    "metal_bsdf_dict",
]

#: Range every metal table must cover (nm).
VISIBLE_NM = (380.0, 780.0)
#: Range Mitsuba's spectral variants sample (MI_CIE_MIN/MAX, nm); gem formulas
#: are checked over it and metal spectra are padded to it.
MITSUBA_SPECTRAL_NM = (360.0, 830.0)

_REQUIRED_METAL_META = ("name", "dataset", "source", "licence")


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
        Default GGX ``alpha`` in [0, 1]; 0 is a perfect mirror.
    note : str
        What the preset models and what it does not (e.g. alloys).
    """

    id: str
    label: str
    data: MetalData
    roughness: float
    note: str


@dataclass(frozen=True, eq=False)
class GemData:
    """Dispersion of one (colourless) gem material.

    Attributes
    ----------
    name : str
        Canonical id (= file stem), e.g. ``"diamond"``.
    formula : str
        One of :data:`jewelrender.optics.FORMULAS`.
    coefficients : dict
        Formula coefficients as in the file (see :func:`jewelrender.optics.evaluate_formula`).
    wavelength_range_nm : tuple of float
        ``(lo, hi)``: where the source's fit is valid. :meth:`n` also
        evaluates outside it (checked to be well-behaved over 360-830 nm).
    citation : str
    label, source, licence, optic_character, note : str
    aliases : tuple of str
    source_file : str
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


def load_metal_presets(path: str | Path, metals_dir: str | Path | None = None) -> dict[str, MetalPreset]:
    """Read and validate a presets file such as ``materials/metals.toml``.

    Parameters
    ----------
    path : str or Path
        TOML file with one table per preset: ``label``, ``data`` (element
        symbol), ``roughness`` (GGX alpha in [0, 1]), ``note``.
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
    for pid, entry in doc.items():
        if not isinstance(entry, dict):
            raise _fail(path, f"[{pid}] must be a table")
        unknown = set(entry) - {"label", "data", "roughness", "note"}
        if unknown:
            raise _fail(path, f"[{pid}] has unknown key(s) {sorted(unknown)}; valid: data, label, note, roughness")
        for key in ("label", "data", "note"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                raise _fail(path, f"[{pid}] needs a non-empty string '{key}'")
        try:
            rough = _check_roughness(entry.get("roughness"))
        except ValueError as exc:
            raise _fail(path, f"[{pid}] {exc}") from None
        sym = entry["data"]
        if sym not in tables:
            csv = metals_dir / f"{sym}.csv"
            if not csv.is_file():
                have = sorted(p.stem for p in metals_dir.glob("*.csv"))
                raise _fail(path, f"[{pid}] data {sym!r}: no {csv}; available: {', '.join(have) or 'none'}")
            tables[sym] = _metal_file_cached(str(csv))
        presets[pid] = MetalPreset(id=pid, label=entry["label"], data=tables[sym], roughness=rough, note=entry["note"])
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
    optional = ("aliases", "optic_character", "note")
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


def list_metals() -> list[str]:
    """Ids of the shipped metal presets, in file order (e.g. ``"yellow-gold-18k"``)."""
    return list(_presets())


def metal(id: str) -> MetalPreset:
    """The shipped metal preset ``id``.

    Raises
    ------
    CatalogError
        Unknown id (``details["valid"]`` lists the ids) or a malformed file.
    """
    presets = _presets()
    if not isinstance(id, str) or id not in presets:
        raise _unknown("metal", id, list(presets))
    return presets[id]


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


def metal_bsdf_dict(preset_or_id: MetalPreset | str, *, roughness: float | None = None) -> dict[str, Any]:
    """Mitsuba 3 scene-dict BSDF of a metal preset, for the **spectral** variants.

    Parameters
    ----------
    preset_or_id : MetalPreset or str
    roughness : float, optional
        GGX ``alpha`` in [0, 1], overriding the preset's default.

    Returns
    -------
    dict
        ``{'type': 'conductor', 'eta': {...}, 'k': {...}}`` when the
        roughness is 0, else ``{'type': 'roughconductor', 'distribution':
        'ggx', 'alpha': roughness, 'eta': ..., 'k': ...}``; ``eta``/``k`` are
        ``irregular`` spectra (``wavelengths``/``values`` as comma-separated
        strings) with the measured points, extended with constant end values
        to cover Mitsuba's 360-830 nm. Mitsuba's ``irregular`` spectrum is
        not implemented in RGB variants (``eval`` raises), so load this in a
        ``*_spectral`` variant.

    Raises
    ------
    CatalogError
        Unknown preset id.
    InvalidOptionError
        ``roughness`` not a number in [0, 1].
    """
    preset = preset_or_id if isinstance(preset_or_id, MetalPreset) else metal(preset_or_id)
    if roughness is None:
        alpha = preset.roughness
    else:
        try:
            alpha = _check_roughness(roughness)
        except ValueError as exc:
            raise InvalidOptionError(str(exc), details={"roughness": repr(roughness)}) from None
    d = preset.data
    bsdf: dict[str, Any] = {"type": "conductor"} if alpha == 0.0 else {
        "type": "roughconductor",
        "distribution": "ggx",
        "alpha": alpha,
    }
    bsdf["eta"] = _spectrum_dict(d.wavelengths_nm, d.n)
    bsdf["k"] = _spectrum_dict(d.wavelengths_nm, d.k)
    return bsdf
