"""The piece catalog (``scenes/catalog.toml``) and the render quality presets.

A piece is data: its kind (``band``, ``solitaire``), metal preset, band profile
and, for set pieces, the stone and setting. Geometry is generated from it by
:mod:`jewelrender.assets` once the finger (inner diameter) is known.
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

from .errors import CatalogError, UnknownPieceError
from .resources import resource_path

__all__ = ["Piece", "Quality", "list_pieces", "get_piece", "load_catalog", "quality_preset", "QUALITY_NAMES"]

KINDS = ("band", "solitaire")
QUALITY_NAMES = ("preview", "final")


@dataclass(frozen=True)
class Piece:
    """One catalog entry. Lengths in millimetres."""

    id: str
    label: str
    kind: str
    metal: str
    band: dict = field(default_factory=dict)
    stone: dict | None = None
    setting: dict | None = None
    finish: str = "polished"

    def to_report(self) -> dict:
        d = {"id": self.id, "label": self.label, "kind": self.kind, "metal": self.metal, "finish": self.finish,
             "band": dict(self.band)}
        if self.stone:
            d["stone"] = dict(self.stone)
        if self.setting:
            d["setting"] = dict(self.setting)
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

    @property
    def spp(self) -> int:
        """Samples per photo pixel."""
        return self.supersample**2 * self.passes


def _positive(entry: str, d: dict, key: str) -> float:
    v = d.get(key)
    if not isinstance(v, (int, float)) or isinstance(v, bool) or not (0 < v < 100):
        raise CatalogError(f"{entry}: '{key}' must be a number of millimetres/carats in (0, 100), got {v!r}")
    return float(v)


def _parse_piece(pid: str, raw: Any) -> Piece:
    where = f"catalog entry {pid!r}"
    if not isinstance(raw, dict):
        raise CatalogError(f"{where} must be a table")
    kind = raw.get("kind")
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
    stone = raw.get("stone")
    setting = raw.get("setting")
    if kind == "solitaire":
        if not isinstance(stone, dict) or not isinstance(setting, dict):
            raise CatalogError(f"{where}: a solitaire needs 'stone' and 'setting' tables")
        if stone.get("cut") != "round-brilliant":
            raise CatalogError(f"{where}: unsupported cut {stone.get('cut')!r} (supported: 'round-brilliant')")
        if "carat" in stone:
            _positive(where, stone, "carat")
        elif "diameter_mm" in stone:
            _positive(where, stone, "diameter_mm")
        else:
            raise CatalogError(f"{where}: stone needs 'carat' or 'diameter_mm'")
        if not isinstance(stone.get("gem"), str):
            raise CatalogError(f"{where}: stone needs a 'gem' name")
        if setting.get("style") != "prong" or setting.get("prongs") not in (4, 6):
            raise CatalogError(f"{where}: setting must be style 'prong' with 4 or 6 prongs")
    label = raw.get("label", pid)
    finish = raw.get("finish", "polished")
    if not isinstance(finish, str):
        raise CatalogError(f"{where}: 'finish' must name a finish")
    return Piece(id=pid, label=str(label), kind=kind, metal=metal, band=dict(band),
                 stone=dict(stone) if stone else None, setting=dict(setting) if setting else None, finish=finish)


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
    return {pid: _parse_piece(pid, raw) for pid, raw in pieces.items()}


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
    from .errors import InvalidOptionError

    if name not in QUALITY_NAMES:
        raise InvalidOptionError(f"unknown quality {name!r}; valid: {', '.join(QUALITY_NAMES)}")
    data = tomllib.loads(resource_path("scenes", "quality.toml").read_text(encoding="utf-8"))
    q = data.get(name)
    if not isinstance(q, dict):
        raise CatalogError(f"scenes/quality.toml has no [{name}] preset")
    try:
        return Quality(name=name, supersample=int(q["supersample"]), passes=int(q["passes"]),
                       max_depth=int(q["max_depth"]), env_height=int(q["env_height"]),
                       crop_margin=float(q["crop_margin"]), crop_multiple=int(q["crop_multiple"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise CatalogError(f"scenes/quality.toml [{name}] is malformed: {exc}") from None
