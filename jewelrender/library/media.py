"""Scattering stones: cabochons and pearls as a dielectric surface around a medium.

Opal, moonstone, turquoise, onyx and pearl are not glass: light enters, is
scattered (and partly absorbed) inside, and leaves elsewhere. Each preset is a
polished Mitsuba ``dielectric`` (non-dispersive: these stones are not prized for
fire) enclosing a ``homogeneous`` participating medium with a Henyey-Greenstein
phase function. Render them with the ``hero_path`` integrator
(:mod:`jewelrender.bsdfs`), which tracks media; the try-on integrator nests it.

Data file ``materials/media.toml`` (one table per stone)::

    [pearl]
    label = "Pearl (nacre)"
    ior = 1.68                       # surface index at ~589 nm (measured, cited)
    ior_source = "..."
    roughness = 0.0                  # GGX alpha of the polish; 0 = smooth dielectric
    g = 0.0                          # HG asymmetry, -1 < g < 1
    sigma_s = 2.0                    # scattering coefficient at 550 nm, 1/mm
    sigma_s_exponent = 0.0           # sigma_s(λ) = sigma_s · (550 nm / λ)^exponent
    wavelength_nm = [360.0, 830.0]   # increasing, spanning 360-830 nm
    sigma_a = [0.02, 0.02]           # absorption coefficient at those wavelengths, 1/mm
    medium_source = "..."            # where the medium numbers come from (estimate / measured)
    out_of_scope = "..."             # what the model leaves out

Which numbers are measured: the surface indices are. Volume-scattering data for
these gem materials are essentially unpublished, so every medium coefficient is
an estimate chosen for appearance (documented per stone in the file).

Units: coefficients in the file are per millimetre; :func:`medium_stone`
returns them in the scene's unit (``"mm"``: as in the file; ``"m"``: × 1000,
the try-on scenes). Spectra are written as Mitsuba ``spectrum`` lists of
(wavelength nm, value) pairs, which spectral variants interpolate and RGB
variants convert to linear sRGB (Rec.709, D65) when the scene is loaded.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10 (pyproject accepts it): the same parser, as the tomli package
    import tomli as tomllib

from ..errors import CatalogError, InvalidOptionError
from ..resources import resource_path

__all__ = [
    "UNIT_SCALE",
    "MediumStone",
    "list_medium_stones",
    "load_media_file",
    "medium_stone",
    "medium_stone_data",
]

#: Coefficients per scene unit = coefficients per mm × this factor.
UNIT_SCALE: dict[str, float] = {"mm": 1.0, "m": 1000.0}

#: Mitsuba's spectral range (nm): tables must cover it.
_RANGE_NM = (360.0, 830.0)

#: Wavelength (nm) at which ``sigma_s`` is quoted.
_REF_NM = 550.0

#: Air, as in Mitsuba's ``dielectric`` default ``ext_ior``.
_AIR_IOR = 1.000277

_KEYS_REQUIRED = ("label", "ior", "ior_source", "g", "sigma_s", "wavelength_nm", "sigma_a", "medium_source")
_KEYS_OPTIONAL = ("roughness", "sigma_s_exponent", "out_of_scope", "density_g_cm3")


def _density(path, name, d):
    if d is None:
        return None
    if not isinstance(d, (int, float)) or isinstance(d, bool) or not 1.0 < d < 10.0:
        raise _fail(path, f"[{name}] density_g_cm3 must be a number in (1, 10), got {d!r}")
    return float(d)


@dataclass(frozen=True)
class MediumStone:
    """One scattering stone, as validated from ``materials/media.toml``.

    Attributes
    ----------
    name, label : str
    ior : float
        Surface refractive index (dimensionless, against vacuum; ~589 nm).
    roughness : float
        GGX alpha of the surface; 0 for a smooth (polished) dielectric.
    g : float
        Henyey-Greenstein asymmetry of the phase function.
    sigma_s_ref : float
        Scattering coefficient at 550 nm, 1/mm.
    sigma_s_exponent : float
        sigma_s(λ) = sigma_s_ref · (550 / λ)^exponent.
    wavelength_nm, sigma_a_table : tuple of float
        Absorption coefficient (1/mm) at increasing wavelengths (nm), linear
        in between.
    ior_source, medium_source, out_of_scope : str
        Citations and limits.
    """

    name: str
    label: str
    ior: float
    roughness: float
    g: float
    sigma_s_ref: float
    sigma_s_exponent: float
    wavelength_nm: tuple[float, ...]
    sigma_a_table: tuple[float, ...]
    ior_source: str
    medium_source: str
    out_of_scope: str
    #: Typical specific gravity (g/cm^3) for sizing by carat; None if not given.
    density_g_cm3: float | None = None

    def sigma_s(self, wavelength_nm: Any) -> np.ndarray:
        """Scattering coefficient (1/mm) at the given wavelength(s) in nm."""
        lam = np.asarray(wavelength_nm, dtype=np.float64)
        return self.sigma_s_ref * (_REF_NM / lam) ** self.sigma_s_exponent

    def sigma_a(self, wavelength_nm: Any) -> np.ndarray:
        """Absorption coefficient (1/mm) at the given wavelength(s) in nm."""
        return np.interp(np.asarray(wavelength_nm, dtype=np.float64), self.wavelength_nm, self.sigma_a_table)

    def sigma_t(self, wavelength_nm: Any) -> np.ndarray:
        """Extinction coefficient sigma_s + sigma_a (1/mm)."""
        return self.sigma_s(wavelength_nm) + self.sigma_a(wavelength_nm)

    def albedo(self, wavelength_nm: Any) -> np.ndarray:
        """Single-scattering albedo sigma_s / sigma_t (dimensionless)."""
        return self.sigma_s(wavelength_nm) / self.sigma_t(wavelength_nm)

    def grid_nm(self) -> np.ndarray:
        """Wavelengths (nm) at which the spectra are written for Mitsuba.

        The absorption table's own points plus a 10 nm grid, so that the
        power law of sigma_s is followed closely between table points.
        """
        grid = np.arange(_RANGE_NM[0], _RANGE_NM[1] + 0.5, 10.0)
        return np.unique(np.concatenate([grid, np.asarray(self.wavelength_nm)]))


def _fail(path: Path, problem: str) -> CatalogError:
    return CatalogError(f"media file {path.name}: {problem}", details={"file": str(path)})


def _number(path: Path, name: str, key: str, value: Any, lo: float, hi: float, *,
            lo_open: bool = False, hi_open: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _fail(path, f"[{name}] {key} must be a finite number, got {value!r}")
    v = float(value)
    if v < lo or v > hi or (lo_open and v == lo) or (hi_open and v == hi):
        raise _fail(path, f"[{name}] {key} = {v} is out of range [{lo}, {hi}]")
    return v


def _stone(path: Path, name: str, doc: Any) -> MediumStone:
    if not isinstance(doc, dict):
        raise _fail(path, f"[{name}] must be a table")
    missing = [k for k in _KEYS_REQUIRED if k not in doc]
    if missing:
        raise _fail(path, f"[{name}] lacks {missing} (required: {', '.join(_KEYS_REQUIRED)})")
    unknown = set(doc) - set(_KEYS_REQUIRED) - set(_KEYS_OPTIONAL)
    if unknown:
        raise _fail(path, f"[{name}] has unknown key(s) {sorted(unknown)}")
    for key in ("label", "ior_source", "medium_source"):
        if not isinstance(doc[key], str) or not doc[key].strip():
            raise _fail(path, f"[{name}] {key} must be a non-empty string")
    out_of_scope = doc.get("out_of_scope", "")
    if not isinstance(out_of_scope, str):
        raise _fail(path, f"[{name}] out_of_scope must be a string")
    lam, sa = doc["wavelength_nm"], doc["sigma_a"]
    if not isinstance(lam, list) or not isinstance(sa, list) or len(lam) != len(sa) or len(lam) < 2:
        raise _fail(path, f"[{name}] wavelength_nm and sigma_a must be lists of the same length (>= 2)")
    lam_f = [_number(path, name, "wavelength_nm", x, 100.0, 2000.0) for x in lam]
    sa_f = [_number(path, name, "sigma_a", x, 0.0, 1e4) for x in sa]
    if any(b <= a for a, b in itertools.pairwise(lam_f)):
        raise _fail(path, f"[{name}] wavelength_nm must increase")
    if lam_f[0] > _RANGE_NM[0] or lam_f[-1] < _RANGE_NM[1]:
        raise _fail(path, f"[{name}] wavelength_nm must span {_RANGE_NM[0]:g}-{_RANGE_NM[1]:g} nm")
    stone = MediumStone(
        name=name,
        label=doc["label"],
        ior=_number(path, name, "ior", doc["ior"], 1.0, 4.0, lo_open=True),
        roughness=_number(path, name, "roughness", doc.get("roughness", 0.0), 0.0, 1.0),
        g=_number(path, name, "g", doc["g"], -1.0, 1.0, lo_open=True, hi_open=True),
        sigma_s_ref=_number(path, name, "sigma_s", doc["sigma_s"], 0.0, 1e4),
        sigma_s_exponent=_number(path, name, "sigma_s_exponent", doc.get("sigma_s_exponent", 0.0), -8.0, 8.0),
        wavelength_nm=tuple(lam_f),
        sigma_a_table=tuple(sa_f),
        ior_source=doc["ior_source"],
        medium_source=doc["medium_source"],
        out_of_scope=out_of_scope,
        density_g_cm3=_density(path, name, doc.get("density_g_cm3")),
    )
    # A medium that neither scatters nor absorbs at some wavelength would make
    # free-flight sampling degenerate there (sigma_t = 0): reject it.
    if float(np.min(stone.sigma_t(stone.grid_nm()))) <= 0.0:
        raise _fail(path, f"[{name}] sigma_s + sigma_a must be > 0 at every wavelength")
    return stone


def load_media_file(path: str | Path) -> dict[str, MediumStone]:
    """Read and validate a media file (format in the module docstring).

    Raises
    ------
    CatalogError
        Unreadable file, bad TOML, missing or unknown keys, numbers out of
        range, or absorption tables not spanning 360-830 nm.
    """
    path = Path(path)
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(path, f"cannot be read ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise _fail(path, f"is not valid TOML ({exc})") from None
    if not doc:
        raise _fail(path, "defines no stones")
    return {name: _stone(path, name, entry) for name, entry in doc.items()}


@lru_cache(maxsize=1)
def _shipped() -> dict[str, MediumStone]:
    return load_media_file(resource_path("materials", "media.toml"))


def list_medium_stones() -> list[str]:
    """Names of the shipped scattering stones (``"opal"``, ``"pearl"``, ...)."""
    return sorted(_shipped())


def medium_stone_data(name: str) -> MediumStone:
    """The validated data of a shipped stone.

    Raises
    ------
    CatalogError
        Unknown name (``details["valid"]`` lists the names).
    """
    stones = _shipped()
    key = str(name).strip().lower()
    if key not in stones:
        valid = sorted(stones)
        raise CatalogError(f"unknown scattering stone {name!r}; valid: {', '.join(valid)}",
                           details={"name": str(name), "valid": valid})
    return stones[key]


def _spectrum(lam: np.ndarray, values: np.ndarray) -> dict[str, Any]:
    return {"type": "spectrum", "value": [(float(a), float(b)) for a, b in zip(lam, values)]}


def medium_stone(name: str | MediumStone, *, unit: str = "m") -> dict[str, dict[str, Any]]:
    """Scene-dict fragments of a scattering stone: its surface BSDF and interior medium.

    Parameters
    ----------
    name : str or MediumStone
        A shipped stone (:func:`list_medium_stones`) or a loaded one.
    unit : {"m", "mm"}
        Length unit of the scene: the try-on scenes are in metres, the
        benchmarks and piece meshes in millimetres.

    Returns
    -------
    dict
        ``{"bsdf": {...}, "interior": {...}}``, to be merged into a shape's
        dict (``{"type": "ply", ..., **medium_stone("pearl")}``) or loaded
        with ``mi.load_dict`` and set on a mesh's properties. ``bsdf`` is a
        ``dielectric`` (``roughdielectric``, GGX, when the stone's roughness
        is > 0) with the stone's index inside and air outside; ``interior``
        is a ``homogeneous`` medium whose ``sigma_t`` (per scene unit) and
        ``albedo`` are spectra over 360-830 nm and whose phase function is
        Henyey-Greenstein. Render with ``hero_path`` (or the try-on
        integrator); plain ``path`` ignores media.

    Raises
    ------
    CatalogError
        Unknown stone name.
    InvalidOptionError
        Unknown unit.
    """
    if unit not in UNIT_SCALE:
        raise InvalidOptionError(f"unit must be one of {sorted(UNIT_SCALE)}, got {unit!r}",
                                 details={"option": "unit", "valid": sorted(UNIT_SCALE)})
    stone = name if isinstance(name, MediumStone) else medium_stone_data(name)
    lam = stone.grid_nm()
    if stone.roughness > 0.0:
        bsdf = {"type": "roughdielectric", "distribution": "ggx", "alpha": stone.roughness,
                "int_ior": stone.ior, "ext_ior": _AIR_IOR}
    else:
        bsdf = {"type": "dielectric", "int_ior": stone.ior, "ext_ior": _AIR_IOR}
    medium = {
        "type": "homogeneous",
        "sigma_t": _spectrum(lam, stone.sigma_t(lam)),
        "albedo": _spectrum(lam, stone.albedo(lam)),
        # Coefficients are per mm in the data; the scene's unit rescales them.
        "scale": UNIT_SCALE[unit],
        "phase": {"type": "hg", "g": stone.g},
    }
    return {"bsdf": bsdf, "interior": medium}


#: Stones whose extinction exceeds this (1/mm at 550 nm) are optically thick at jewellery sizes
#: (ten mean free paths within 5 mm): light re-emerges close to where it entered.
THICK_SIGMA_T_PER_MM = 2.0


def is_optically_thick(name: str | MediumStone) -> bool:
    """Whether the stone's interior is many mean free paths deep (see :data:`THICK_SIGMA_T_PER_MM`)."""
    stone = name if isinstance(name, MediumStone) else medium_stone_data(name)
    return float(stone.sigma_t(550.0)) >= THICK_SIGMA_T_PER_MM


def diffuse_albedo(stone: MediumStone, wavelength_nm: Any) -> np.ndarray:
    """Multiple-scattering (diffuse) albedo A(lambda) of a semi-infinite slab of the medium.

    Inverts the relation the presets were made with (Chiang, Kutz & Burley 2016,
    see ``materials/media.toml``): alpha = 1 - (4.09712 + 4.20863 A - sqrt(9.59217 +
    41.6808 A + 17.7126 A^2))^2, monotonic in A on [0, 1].
    """
    a_grid = np.linspace(0.0, 1.0, 2001)
    alpha_grid = 1.0 - (4.09712 + 4.20863 * a_grid - np.sqrt(9.59217 + 41.6808 * a_grid + 17.7126 * a_grid ** 2)) ** 2
    return np.interp(stone.albedo(wavelength_nm), alpha_grid, a_grid)


def surface_limit(name: str | MediumStone) -> dict[str, dict[str, Any] | None]:
    """The diffusion limit of an optically thick stone: polished dielectric over a diffuse base.

    Mitsuba's ``plastic`` (smooth dielectric coating at the stone's index over a
    Lambertian base of the medium's diffuse albedo, :func:`diffuse_albedo`) is
    what the random walk of :func:`medium_stone` converges to when light
    re-emerges within a fraction of a millimetre of where it entered (turquoise,
    onyx, pearl). It has no interior medium, so emitter sampling reaches the
    base and a preview is free of the random walk's speckle; it loses the
    translucent glow at thin edges. Units do not matter (no lengths).

    Returns
    -------
    dict
        ``{"bsdf": {...}, "interior": None}``, as :func:`medium_stone`.
    """
    stone = name if isinstance(name, MediumStone) else medium_stone_data(name)
    lam = stone.grid_nm()
    bsdf = {"type": "plastic", "int_ior": stone.ior, "ext_ior": _AIR_IOR,
            "diffuse_reflectance": _spectrum(lam, diffuse_albedo(stone, lam))}
    if stone.roughness > 0.0:
        # A smooth coating mirrors the whole room, the photo-textured body proxy and the neighbouring stones
        # in every pixel of a 7 mm pearl: at 36 spp each pearl sparkled like a faceted gem (pearl strand,
        # 2026-12-03). Nacre's platelet surface is glossy, not a mirror: the GGX coating gives the soft
        # window highlight real pearls show, and is sampled where a delta lobe only reflects.
        bsdf = dict(bsdf, type="roughplastic", distribution="ggx", alpha=stone.roughness)
    return {"bsdf": bsdf, "interior": None}
