"""Composed pieces: a catalog piece with another stone, cut, weight or setting, and the vocabulary to ask for them.

``try-on --piece solitaire-round-1ct-18k-yellow --stone moissanite --cut cushion --carat 1.5``
(Python: ``try_on(photo, piece, stone=..., cut=..., carat=..., setting=...)``) goes
through :func:`compose_piece`, which validates every option at the boundary
(:class:`~jewelrender.errors.InvalidOptionError` listing the valid values in
``details["valid"]``) and returns an ordinary :class:`~jewelrender.catalog.Piece`,
checked by the catalog's own parser. ``jewelrender gems | cuts | settings`` list the
vocabulary (:func:`gem_rows`, :func:`cut_rows`, :func:`setting_rows`) with what
matters when choosing: index, dispersion (fire) and colour for gems; facets, length
to width ratio, table and angles, and the size of 1 ct for cuts.

Rules, so that every combination makes a ring:

* A band given a stone becomes a ring with a ``prong`` head (or the ``setting`` asked).
* A new cut drops the old stone's proportions and size; its weight is ``carat``, else
  the old stone's carat, else 1 ct.
* A ``cup`` holds a round pearl or cabochon only; ``--cut pearl`` on a piece whose
  setting is not a cup gets one, and another cut leaving a cup gets prongs.
* A solitaire given a setting other than prongs becomes ``kind = "ring"``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from .errors import CatalogError, InvalidOptionError

__all__ = ["compose_piece", "gem_rows", "cut_rows", "setting_rows", "SETTING_DESCRIPTIONS", "MAX_CARAT"]

#: The heaviest centre stone accepted (a 20 ct diamond is ~15 mm: larger would not be a ring).
MAX_CARAT = 20.0

#: What each setting style is, for ``jewelrender settings``.
SETTING_DESCRIPTIONS = {
    "prong": "claws hold the stone above the band (4 or 6; options prongs, prong_diameter_mm, gallery): "
             "the most light into the stone, the classic solitaire",
    "bezel": "a metal collar round the girdle (options lip_mm, wall_mm, cover_mm): secure, modern, "
             "less light from the sides",
    "halo": "prongs inside a ring of melee diamonds (options melee_diameter_mm, gap_mm, spacing_mm, prongs): "
            "makes the centre stone look larger",
    "cup": "a small bowl on a stem for a round pearl or cabochon (options cup_diameter_mm, cup_depth_mm, wall_mm)",
}
_CUP_CUTS = ("pearl", "cabochon")


def _valid_gems() -> list[str]:
    from .library import materials, media

    return sorted(set(materials.list_gems()) | set(materials.list_gem_varieties()) | set(media.list_medium_stones()))


def _check_gem(name: Any) -> str:
    from .library import materials, media

    if isinstance(name, str):
        key = name.strip().lower()
        if key in media.list_medium_stones():
            return key
        try:
            materials.gem_optics(key)
            return key
        except CatalogError:
            pass
    valid = _valid_gems()
    raise InvalidOptionError(f"unknown stone {name!r}; valid: {', '.join(valid)} (see 'jewelrender gems')",
                             details={"option": "stone", "value": repr(name), "valid": valid})


def _check_choice(option: str, value: Any, valid, listing: str) -> str:
    if value not in valid:
        raise InvalidOptionError(f"unknown {option} {value!r}; valid: {', '.join(valid)} (see 'jewelrender {listing}')",
                                 details={"option": option, "value": repr(value), "valid": list(valid)})
    return value


def _check_carat(carat: Any) -> float:
    if isinstance(carat, bool) or not isinstance(carat, (int, float)) or not (0.0 < float(carat) <= MAX_CARAT) \
            or not math.isfinite(float(carat)):
        raise InvalidOptionError(f"carat must be a number in (0, {MAX_CARAT:g}], got {carat!r}",
                                 details={"option": "carat", "value": repr(carat), "low": 0.0, "high": MAX_CARAT})
    return float(carat)


def compose_piece(piece, *, stone: str | None = None, cut: str | None = None, carat: float | None = None,
                  setting: str | None = None):
    """``piece`` (a catalog id or Piece) with its centre stone's gem, cut, weight or setting replaced.

    Returns the piece unchanged when every option is None.

    Raises
    ------
    InvalidOptionError
        An unknown gem, cut or setting, a carat out of (0, 20], a cup for a faceted
        stone, or a new weight for a stone read from a mesh file (its size is in mm).
    UnknownPieceError
        ``piece`` is not a catalog id.
    """
    from .library import catalog
    from .geometry.cuts import CUTS
    from .pieces import PIECE_KINDS
    from .pieces.ring import SETTING_STYLES

    piece = catalog.get_piece(piece)
    if stone is None and cut is None and carat is None and setting is None:
        return piece
    family = PIECE_KINDS.get(piece.kind)
    if family != "ring" and not piece.stone:
        raise InvalidOptionError(f"{piece.id!r} is a {piece.kind} without a centre stone: stone, cut, carat and "
                                 "setting compose a piece's centre stone (rings, studs, drops)",
                                 details={"piece": piece.id})
    gem = None if stone is None else _check_gem(stone)
    cut = None if cut is None else _check_choice("cut", cut, CUTS, "cuts")
    carat = None if carat is None else _check_carat(carat)
    setting = None if setting is None else _check_choice("setting", setting, SETTING_STYLES, "settings")

    old = dict(piece.stone or {})
    if "mesh" in old and cut is None and carat is not None:
        raise InvalidOptionError("this piece's stone is a mesh file, sized in millimetres: give --cut to replace "
                                 "it with a parametric stone of that weight", details={"option": "carat"})
    new_stone = old
    if not old or cut is not None or carat is not None or "mesh" in old:
        base_cut = cut or old.get("cut") or "round-brilliant"
        same_cut = base_cut == old.get("cut")
        new_stone = {"cut": base_cut, "gem": old.get("gem", "diamond"),
                     "carat": carat or (old.get("carat") if same_cut or "carat" in old else None) or 1.0}
        if same_cut and "proportions" in old:
            new_stone["proportions"] = dict(old["proportions"])
    if gem is not None:
        new_stone["gem"] = gem
    style = setting or (piece.setting or {}).get("style") or "prong"
    if cut == "pearl" and setting is None:
        style = "cup"
    if style == "cup" and new_stone["cut"] not in _CUP_CUTS:
        if setting == "cup":
            raise InvalidOptionError(f"a cup holds a round pearl or cabochon, not a {new_stone['cut']} stone; "
                                     "use --setting prong or bezel", details={"option": "setting", "value": "cup"})
        style = "prong"
    old_setting = dict(piece.setting or {})
    if old_setting.get("style") == style:
        new_setting = old_setting
    else:
        new_setting = {"style": style}
        if style in ("prong", "halo") and old_setting.get("style") in ("prong", "halo") and "prongs" in old_setting:
            new_setting["prongs"] = old_setting["prongs"]
    # a ring's kind follows its head; another family's piece keeps its own (a stud stays a stud)
    kind = ("solitaire" if style == "prong" and piece.accent is None else "ring") if family == "ring" else piece.kind

    changes = [f"{k}={v}" for k, v in (("stone", gem), ("cut", cut), ("carat", carat), ("setting", setting))
               if v is not None]
    raw = {"site": piece.site, "kind": kind, "label": f"{piece.label}, with {', '.join(changes)}", "metal": piece.metal,
           "finish": piece.finish, "band": dict(piece.band), "stone": new_stone, "setting": new_setting}
    if piece.accent is not None:
        raw["accent"] = dict(piece.accent)
    pid = f"{piece.id}[{','.join(changes)}]"
    try:
        return catalog.parse_piece(pid, raw, Path(piece.source_dir) if piece.source_dir else None)
    except CatalogError as exc:  # the caller's combination, not a broken catalog
        raise InvalidOptionError(exc.message.replace(f"catalog entry {pid!r}: ", ""), details=exc.details) from None


def gem_rows() -> list[dict[str, Any]]:
    """One row per stone name ``--stone`` accepts: gems (colourless), varieties (coloured) and scattering stones.

    Keys: ``id``, ``kind`` (``gem``, ``variety``, ``scattering``), ``label``,
    ``material``, ``n_d`` (index at 589 nm), ``dispersion`` (n_G - n_B, the
    trade's "fire" figure: diamond 0.044), ``abbe``, ``colour`` and ``density_g_cm3``.
    """
    from .library import materials, media

    rows = []
    for g in materials.list_gems():
        d = materials.gem(g)
        rows.append({"id": g, "kind": "gem", "label": d.label, "material": g, "n_d": round(d.n_d, 4),
                     "dispersion": round(d.dispersion, 4), "abbe": round(d.abbe, 1), "colour": "colourless",
                     "density_g_cm3": d.density_g_cm3})
    for v in materials.list_gem_varieties():
        var = materials.gem_variety(v)
        d = materials.gem(var.material)
        rows.append({"id": v, "kind": "variety", "label": var.label, "material": var.material,
                     "n_d": round(d.n_d, 4), "dispersion": round(d.dispersion, 4), "abbe": round(d.abbe, 1),
                     "colour": var.colour, "density_g_cm3": d.density_g_cm3})
    for s in media.list_medium_stones():
        m = media.medium_stone_data(s)
        rows.append({"id": s, "kind": "scattering", "label": m.label, "material": s, "n_d": round(m.ior, 4),
                     "dispersion": None, "abbe": None, "colour": "opaque/translucent (scattering)",
                     "density_g_cm3": getattr(m, "density_g_cm3", None)})
    return rows


def cut_rows() -> list[dict[str, Any]]:
    """One row per cut: ``id``, ``facets``, ``ratio`` (length/width default), ``size_1ct_mm`` (diamond),
    ``table`` and the main crown/pavilion angles, and ``proportions`` (every default)."""
    from .geometry import cuts

    rows = []
    for c in cuts.CUTS:
        p = cuts.default_proportions(c)
        length, width = cuts.carat_to_size_mm(c, 1.0)
        crown = p.get("crown_angle_deg", (p.get("crown_angles_deg") or (None,))[0])
        pav = p.get("pavilion_angle_deg", (p.get("pavilion_angles_deg") or (None,))[0])
        rows.append({"id": c, "facets": cuts.facet_count(c), "ratio": p.get("ratio", 1.0),
                     "size_1ct_mm": [round(length, 2), round(width, 2)], "table": p.get("table"),
                     "crown_angle_deg": crown, "pavilion_angle_deg": pav,
                     "proportions": {k: (list(v) if isinstance(v, tuple) else v) for k, v in p.items()}})
    return rows


def setting_rows() -> list[dict[str, str]]:
    """One row per setting style: ``id`` and ``description`` (what it is and its options)."""
    from .pieces.ring import SETTING_STYLES

    return [{"id": s, "description": SETTING_DESCRIPTIONS[s]} for s in SETTING_STYLES]

