"""The piece catalog (``scenes/catalog.toml``) and the render quality presets.

A piece is data: its kind (``band``, ``solitaire``, ``ring``), metal preset, band
profile and, for set pieces, the centre stone (a parametric cut from
:mod:`jewelrender.geometry.cuts`, or a user's mesh file read by :mod:`jewelrender.geometry.meshio`),
its setting and the accent stones (:mod:`jewelrender.geometry.mounts`). Geometry is
generated from it once the finger (inner diameter) is known
(:func:`jewelrender.pieces.piece_parts`).

Schema of ``[pieces.<id>]`` (lengths in mm, weights in carats)::

    site    = "ring"                           # where it is worn: a key of jewelrender.sites.SITES
    kind    = "band" | "solitaire" | "ring"   # solitaire: one stone, prong setting, no accents
    label   = "..."
    metal   = "<preset in materials/metals.toml>"
    finish  = "polished" | "satin" | "matte" | "hammered"   (default polished)
    band    = { profile = "court" | "flat", width_mm, thickness_mm }
    stone   = { cut = "<jewelrender.geometry.cuts.CUTS>", carat | size_mm (number or [length, width]),
                gem = "<gem or variety>", proportions = { ... } }       # or
              { mesh = "<file, relative to the catalog>", size_mm, gem, units, up_axis }
    setting = { style = "prong" | "bezel" | "halo" | "cup", ... }   # options: jewelrender.pieces.ring.ring_assembly
    accent  = { style = "pave" | "channel", count, melee_diameter_mm, gem = "diamond" }
"""

from __future__ import annotations

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..errors import CatalogError, UnknownPieceError
from ..resources import resource_path

__all__ = ["Piece", "Quality", "list_pieces", "get_piece", "load_catalog", "parse_piece", "quality_preset",
           "QUALITY_NAMES"]

QUALITY_NAMES = ("preview", "final")


@dataclass(frozen=True)
class Piece:
    """One catalog entry. Lengths in millimetres."""

    id: str
    label: str
    kind: str
    metal: str
    #: The body site it is worn at (a key of :data:`jewelrender.sites.SITES`).
    site: str
    band: dict = field(default_factory=dict)
    stone: dict | None = None
    setting: dict | None = None
    finish: str = "polished"
    accent: dict | None = None
    #: A family's own tables beyond band/stone/setting/accent (a watch's case, dial, strap).
    design: dict = field(default_factory=dict)
    #: Folder of the catalog file: user mesh paths are relative to it.
    source_dir: str | None = None

    def to_report(self) -> dict:
        d = {"id": self.id, "label": self.label, "kind": self.kind, "site": self.site, "metal": self.metal,
             "finish": self.finish, "band": dict(self.band)}
        if self.stone:
            d["stone"] = dict(self.stone)
        if self.setting:
            d["setting"] = dict(self.setting)
        if self.accent:
            d["accent"] = dict(self.accent)
        if self.design:
            d["design"] = {k: dict(v) for k, v in self.design.items()}
        return d


@dataclass(frozen=True)
class Quality:
    """A render preset (see ``scenes/quality.toml``)."""

    name: str
    supersample: int
    passes: int
    max_depth: int
    env_height: int
    crop_margin: float
    crop_multiple: int
    #: Render accent melee with dispersion (else at the gem's mean index: less colour noise).
    accent_dispersion: bool = True
    #: "volume" (random walk in every scattering stone) or "surface" (optically thick ones
    #: as their diffusion limit, :func:`jewelrender.library.media.surface_limit`).
    thick_media: str = "volume"

    @property
    def spp(self) -> int:
        """Samples per photo pixel."""
        return self.supersample**2 * self.passes


def _positive(entry: str, d: dict, key: str) -> float:
    v = d.get(key)
    if not isinstance(v, (int, float)) or isinstance(v, bool) or not (0 < v < 100):
        raise CatalogError(f"{entry}: '{key}' must be a number of millimetres/carats in (0, 100), got {v!r}")
    return float(v)


def _size(where: str, stone: dict) -> None:
    v = stone["size_mm"]
    vals = v if isinstance(v, list) else [v]
    if not 1 <= len(vals) <= 2:
        raise CatalogError(f"{where}: stone 'size_mm' must be a number or [length, width]")
    for x in vals:
        _positive(where, {"size_mm": x}, "size_mm")


def _parse_stone(where: str, stone: Any, source_dir: Path | None) -> dict:
    from ..geometry.cuts import CUTS

    if not isinstance(stone, dict):
        raise CatalogError(f"{where}: 'stone' must be a table")
    if not isinstance(stone.get("gem"), str) or not stone["gem"]:
        raise CatalogError(f"{where}: stone needs a 'gem' name")
    if ("cut" in stone) == ("mesh" in stone):
        raise CatalogError(f"{where}: stone needs exactly one of 'cut' (a parametric cut) and 'mesh' (a file)")
    stone = dict(stone)
    if "cut" in stone:
        if stone["cut"] not in CUTS:
            raise CatalogError(f"{where}: unsupported cut {stone['cut']!r} (supported: {', '.join(CUTS)})")
        if "diameter_mm" in stone:  # the round's historical spelling
            stone["size_mm"] = stone.pop("diameter_mm")
        if ("carat" in stone) == ("size_mm" in stone):
            raise CatalogError(f"{where}: stone needs 'carat' or 'size_mm' (one of them)")
        if "carat" in stone:
            _positive(where, stone, "carat")
        else:
            _size(where, stone)
        if not isinstance(stone.get("proportions", {}), dict):
            raise CatalogError(f"{where}: stone 'proportions' must be a table")
    else:
        if not isinstance(stone["mesh"], str) or not stone["mesh"]:
            raise CatalogError(f"{where}: stone 'mesh' must be a file path")
        path = Path(stone["mesh"])
        if not path.is_absolute() and source_dir is not None:
            path = source_dir / path
        if not path.is_file():
            raise CatalogError(f"{where}: stone mesh file not found: {path}")
        stone["mesh"] = str(path)
        if "size_mm" not in stone and stone.get("units", "auto") == "auto":
            raise CatalogError(f"{where}: a stone mesh needs 'size_mm' (its girdle's largest width) or 'units'")
        if "size_mm" in stone:
            _positive(where, stone, "size_mm")
    unknown = set(stone) - {"cut", "mesh", "gem", "carat", "size_mm", "proportions", "units", "up_axis"}
    if unknown:
        raise CatalogError(f"{where}: unknown stone key(s) {', '.join(sorted(unknown))}")
    return stone


def _parse_style(where: str, table: Any, what: str, keys_by_style: dict) -> dict:
    if not isinstance(table, dict):
        raise CatalogError(f"{where}: '{what}' must be a table")
    style = table.get("style")
    if style not in keys_by_style:
        raise CatalogError(f"{where}: {what} style must be one of {tuple(keys_by_style)}, got {style!r}")
    unknown = set(table) - set(keys_by_style[style])
    if unknown:
        raise CatalogError(f"{where}: unknown {what} key(s) for style {style!r}: {', '.join(sorted(unknown))}")
    if "prongs" in table and (not isinstance(table["prongs"], int) or isinstance(table["prongs"], bool)
                              or not 3 <= table["prongs"] <= 8):
        raise CatalogError(f"{where}: {what} prongs must be an integer in 3..8, got {table['prongs']!r}")
    return dict(table)


def _parse_site(where: str, site: Any, kind: str) -> str:
    """The entry's body site: required, known, and one whose piece families include ``kind``."""
    from ..pieces import PIECE_KINDS
    from ..sites import SITES

    if site is None:
        raise CatalogError(f"{where}: 'site' missing; name where it is worn, one of {', '.join(SITES)} "
                           f"(e.g. site = \"ring\")", details={"valid": list(SITES)})
    if site not in SITES:
        raise CatalogError(f"{where}: unknown site {site!r}; valid: {', '.join(SITES)}",
                           details={"valid": list(SITES)})
    if PIECE_KINDS.get(kind) not in SITES[site].piece_families:
        raise CatalogError(f"{where}: a {kind!r} is not worn at site {site!r} "
                           f"(that site takes {', '.join(SITES[site].piece_families)} pieces)")
    return site


def _family_of(kind):
    """The module of the non-ring family that assembles ``kind``, or None."""
    from ..pieces import FAMILIES, PIECE_KINDS

    name = PIECE_KINDS.get(kind) if isinstance(kind, str) else None
    return FAMILIES[name] if name is not None and name != "ring" else None


def _parse_family_piece(pid: str, raw: dict, where: str, family, source_dir: Path | None) -> Piece:
    """An entry of a family with its own ``parse`` (see :mod:`jewelrender.pieces`)."""
    kind = raw["kind"]
    metal = raw.get("metal")
    if not isinstance(metal, str) or not metal:
        raise CatalogError(f"{where}: 'metal' must name a metal preset")
    unknown = set(raw) - {"kind", "site", "label", "metal", "finish", "band", "stone", "setting", "accent",
                          *getattr(family, "TABLES", ())}
    if unknown:
        raise CatalogError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    fields = family.parse(where, raw)
    if isinstance(fields.get("stone"), dict) and "cut" in fields["stone"]:
        # A family's cut centre stone (an earring's) is checked as a ring's; a tennis row's stones are the family's.
        fields["stone"] = _parse_stone(where, fields["stone"], source_dir)
    finish = raw.get("finish", "polished")
    if not isinstance(finish, str):
        raise CatalogError(f"{where}: 'finish' must name a finish")
    site = _parse_site(where, raw.get("site"), kind)
    return Piece(id=pid, label=str(raw.get("label", pid)), kind=kind, site=site, metal=metal,
                 band=dict(fields.get("band", {})), stone=fields.get("stone"), setting=fields.get("setting"),
                 finish=finish, accent=fields.get("accent"), design=dict(fields.get("design", {})),
                 source_dir=None if source_dir is None else str(source_dir))


def _parse_piece(pid: str, raw: Any, source_dir: Path | None = None) -> Piece:
    from ..geometry.mounts import ACCENT_STYLES
    from ..pieces.ring import ACCENT_KEYS, KINDS, SETTING_KEYS

    where = f"catalog entry {pid!r}"
    if not isinstance(raw, dict):
        raise CatalogError(f"{where} must be a table")
    kind = raw.get("kind")
    if kind not in KINDS:
        family = _family_of(kind)
        if family is not None:  # a family with its own schema (bangles, ...)
            return _parse_family_piece(pid, raw, where, family, source_dir)
    if kind not in KINDS:
        raise CatalogError(f"{where}: kind must be one of {KINDS}, got {kind!r}")
    metal = raw.get("metal")
    if not isinstance(metal, str) or not metal:
        raise CatalogError(f"{where}: 'metal' must name a metal preset")
    band = raw.get("band")
    if not isinstance(band, dict):
        raise CatalogError(f"{where}: 'band' table missing")
    _positive(where, band, "width_mm")
    _positive(where, band, "thickness_mm")
    if band.get("profile", "court") not in ("court", "flat"):
        raise CatalogError(f"{where}: band profile must be 'court' or 'flat'")
    stone, setting, accent = raw.get("stone"), raw.get("setting"), raw.get("accent")
    if kind == "band":
        if stone is not None or setting is not None:
            raise CatalogError(f"{where}: a band has no 'stone' or 'setting' (use kind 'ring')")
    else:
        if stone is None or setting is None:
            raise CatalogError(f"{where}: a {kind} needs 'stone' and 'setting' tables")
        stone = _parse_stone(where, stone, source_dir)
        setting = _parse_style(where, setting, "setting", SETTING_KEYS)
        if kind == "solitaire" and (setting["style"] != "prong" or accent is not None):
            raise CatalogError(f"{where}: a solitaire is one stone in a prong setting (use kind 'ring')")
    if accent is not None:
        accent = _parse_style(where, accent, "accent", {s: ACCENT_KEYS for s in ACCENT_STYLES})
        if not isinstance(accent.get("gem", "diamond"), str):
            raise CatalogError(f"{where}: accent 'gem' must be a name")
    label = raw.get("label", pid)
    finish = raw.get("finish", "polished")
    if not isinstance(finish, str):
        raise CatalogError(f"{where}: 'finish' must name a finish")
    unknown = set(raw) - {"kind", "site", "label", "metal", "finish", "band", "stone", "setting", "accent"}
    if unknown:
        raise CatalogError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    site = _parse_site(where, raw.get("site"), kind)
    return Piece(id=pid, label=str(label), kind=kind, site=site, metal=metal, band=dict(band), stone=stone, setting=setting,
                 finish=finish, accent=accent, source_dir=None if source_dir is None else str(source_dir))


def parse_piece(pid: str, table: dict, source_dir: Path | None = None) -> Piece:
    """Validate one ``[pieces.<id>]`` table (as parsed from TOML) into a Piece; ``CatalogError`` if malformed."""
    return _parse_piece(pid, table, source_dir)


def load_catalog(path: str | Path | None = None) -> dict[str, Piece]:
    """Parse and validate a catalog file (default: the shipped one).

    Raises
    ------
    CatalogError
        The file is missing, not TOML, or an entry is malformed.
    """
    if path is None:
        return dict(_shipped_catalog())
    return _load(Path(path))


@lru_cache(maxsize=1)
def _shipped_catalog() -> dict[str, Piece]:
    return _load(resource_path("scenes", "catalog.toml"))


def _load(path: Path) -> dict[str, Piece]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CatalogError(f"catalog file not found: {path}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CatalogError(f"catalog {path.name} is not valid TOML: {exc}") from None
    pieces = data.get("pieces")
    if not isinstance(pieces, dict) or not pieces:
        raise CatalogError(f"catalog {path.name} has no [pieces.*] entries")
    return {pid: _parse_piece(pid, raw, path.parent) for pid, raw in pieces.items()}


def list_pieces() -> list[Piece]:
    """The shipped catalog, sorted by id."""
    return [p for _, p in sorted(_shipped_catalog().items())]


def get_piece(piece_id: str, catalog: dict[str, Piece] | None = None) -> Piece:
    """Look up a piece id; unknown ids raise :class:`UnknownPieceError` listing the valid ones."""
    cat = catalog if catalog is not None else _shipped_catalog()
    if isinstance(piece_id, Piece):
        return piece_id
    try:
        return cat[piece_id]
    except (KeyError, TypeError):
        valid = sorted(cat)
        raise UnknownPieceError(
            f"unknown piece {piece_id!r}; valid pieces: {', '.join(valid)}", details={"valid": valid}
        ) from None


@lru_cache(maxsize=None)
def quality_preset(name: str) -> Quality:
    """The named render preset from ``scenes/quality.toml``."""
    from ..errors import InvalidOptionError

    if name not in QUALITY_NAMES:
        raise InvalidOptionError(f"unknown quality {name!r}; valid: {', '.join(QUALITY_NAMES)}")
    data = tomllib.loads(resource_path("scenes", "quality.toml").read_text(encoding="utf-8"))
    q = data.get(name)
    if not isinstance(q, dict):
        raise CatalogError(f"scenes/quality.toml has no [{name}] preset")
    try:
        return Quality(name=name, supersample=int(q["supersample"]), passes=int(q["passes"]),
                       max_depth=int(q["max_depth"]), env_height=int(q["env_height"]),
                       crop_margin=float(q["crop_margin"]), crop_multiple=int(q["crop_multiple"]),
                       accent_dispersion=bool(q.get("accent_dispersion", True)),
                       thick_media=str(q.get("thick_media", "volume")))
    except (KeyError, TypeError, ValueError) as exc:
        raise CatalogError(f"scenes/quality.toml [{name}] is malformed: {exc}") from None
