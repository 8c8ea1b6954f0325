"""Articulated wrist pieces: tennis (line) bracelets and link-chain bracelets.

Piece frame as for bangles (:mod:`jewelrender.pieces.bangle`): millimetres,
origin on the forearm's axis at the placement's position, +Z towards the hand,
+Y towards the back of the wrist, +X across.

A bracelet is a closed chain of rigid links (:mod:`jewelrender.pieces.links`)
made to the customer's wrist: its length is the bracelet length the site
measured (:attr:`jewelrender.sites.wrist.WristFit.bracelet_length_cm`, the
wrist's circumference + 1.5 cm, as chain bracelets are sold), rounded to whole
links. It is laid on the wrist by position-based dynamics
(:func:`jewelrender.physics.chain.relax_chain`): its joints start on a circle
around the forearm and fall along the fit's gravity until the wrist proxy (the
same two capsules that hide the piece in the render, inflated by how far the
link stands off the skin) holds them; a tennis bracelet's hinges bend at most
:data:`TENNIS_MAX_BEND_DEG` between neighbours, a cable chain is free. The
loose part hangs on the side away from gravity's contact, as on a real wrist.

Every link is the same mesh: the parts are
:class:`jewelrender.geometry.assets.InstancedPart` (one mesh, one transform per
link); the renderer bakes the copies into one Mitsuba mesh
(:func:`jewelrender.render.merged_meshes`).

Catalog schema::

    kind  = "tennis"   stone = { gem = "diamond", size_mm = 3.0 }
    kind  = "chain"    band  = { link = "cable", length_mm, width_mm, wire_mm }
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import CatalogError
from ..geometry.assets import InstancedPart
from ..physics.chain import Capsule, ChainState, relax_chain
from . import links
from .fields import number as _number

__all__ = ["KINDS", "parse", "parts", "relaxed_chain", "link_design", "TENNIS_MAX_BEND_DEG"]

KINDS = ("tennis", "chain")
#: A line bracelet's hinge lets neighbouring boxes turn this far (more and the boxes' corners collide).
TENNIS_MAX_BEND_DEG = 30.0
#: The forearm proxy's reach along Z either side of the piece (mm): far longer than the bracelet is wide.
_PROXY_HALF_LENGTH_MM = 60.0
_CHAIN_KEYS = ("link", "length_mm", "width_mm", "wire_mm")
_LINK_STYLES = ("cable",)


def parse(where: str, raw: dict) -> dict:
    """Check a tennis or chain bracelet's fields; ``band.width_mm`` is filled in (the width that shows)."""
    kind = raw.get("kind")
    for key in ("setting", "accent"):
        if raw.get(key) is not None:
            raise CatalogError(f"{where}: a {kind} bracelet has no {key!r} table")
    if kind == "tennis":
        stone = raw.get("stone")
        if not isinstance(stone, dict) or set(stone) - {"gem", "size_mm"} or not isinstance(stone.get("gem"), str):
            raise CatalogError(f"{where}: a tennis bracelet needs stone = {{ gem = \"diamond\", size_mm = 3.0 }}")
        d = _number(where, stone, "size_mm", 1.0, 8.0)
        if raw.get("band") is not None:
            raise CatalogError(f"{where}: a tennis bracelet's size is its stones' (no 'band' table)")
        return {"stone": {"gem": stone["gem"], "cut": "round-brilliant", "size_mm": d},
                "band": {"width_mm": round(d * (1 + 2 * 0.1), 3)}}
    band = raw.get("band")
    if not isinstance(band, dict):
        raise CatalogError(f"{where}: a chain bracelet needs band = {{ link = \"cable\", length_mm, width_mm, wire_mm }}")
    unknown = set(band) - set(_CHAIN_KEYS)
    if unknown:
        raise CatalogError(f"{where}: unknown band key(s) {', '.join(sorted(unknown))}; valid: {', '.join(_CHAIN_KEYS)}")
    if band.get("link", "cable") not in _LINK_STYLES:
        raise CatalogError(f"{where}: link must be one of {', '.join(_LINK_STYLES)}")
    if raw.get("stone") is not None:
        raise CatalogError(f"{where}: a chain bracelet has no stone")
    out = {"link": band.get("link", "cable"), "length_mm": _number(where, band, "length_mm", 2.0, 20.0),
           "width_mm": _number(where, band, "width_mm", 1.5, 15.0), "wire_mm": _number(where, band, "wire_mm", 0.3, 4.0)}
    if not (out["width_mm"] > 2.5 * out["wire_mm"] and out["length_mm"] >= out["width_mm"]):
        raise CatalogError(f"{where}: a cable link needs length_mm >= width_mm > 2.5 x wire_mm")
    return {"band": out}


def link_design(piece) -> links.LinkDesign:
    """The piece's link (meshes in the link frame, pitch, stand-off)."""
    if piece.kind == "tennis":
        return links.tennis_link(float(piece.stone["size_mm"]))
    b = piece.band
    return links.cable_link(b["length_mm"], b["width_mm"], b["wire_mm"])


def _wrist_colliders(fit, inflate_mm: float) -> list[Capsule]:
    off, r = fit.forearm_stadium_mm()
    z = _PROXY_HALF_LENGTH_MM
    return [Capsule(np.array([s * off, 0.0, -z]) * 1e-3, np.array([s * off, 0.0, z]) * 1e-3, (r + inflate_mm) * 1e-3)
            for s in (1.0, -1.0)]


def _outward(points_mm: np.ndarray, fit) -> np.ndarray:
    """Per joint, the wrist proxy's outward normal (from the stadium's core segment)."""
    off, _ = fit.forearm_stadium_mm()
    core = np.zeros_like(points_mm)
    core[:, 0] = np.clip(points_mm[:, 0], -off, off)
    d = points_mm - core
    d[:, 2] = 0.0
    return d / np.maximum(np.linalg.norm(d, axis=1, keepdims=True), 1e-9)


def relaxed_chain(piece, fit) -> tuple[links.LinkDesign, ChainState]:
    """The bracelet's links at rest on the wrist: its design and the solver's state (metres, piece frame)."""
    design = link_design(piece)
    pitch = design.pitch_mm
    # The bracelet's length is its inside length (what is measured against the wrist, as sold); the joints
    # run on the links' centre line, which goes round the wrist that much further out (2 pi x the stand-off:
    # 11 mm for a 3 mm tennis row, which otherwise closed snug on the wrist with no slack to hang).
    length = fit.bracelet_length_cm * 10.0 + 2 * math.pi * design.inner_offset_mm
    # a closed cable chain alternates flat and edge-on links: only an even count closes it
    n = 2 * int(round(length / (2 * pitch))) if design.alternate_deg else int(round(length / pitch))
    n = max(8, n)
    r0 = pitch / (2 * math.sin(math.pi / n))
    t = 2 * math.pi * np.arange(n) / n
    start = np.column_stack([r0 * np.cos(t), r0 * np.sin(t), np.zeros(n)]) * 1e-3
    state = relax_chain(start, closed=True, colliders=_wrist_colliders(fit, design.inner_offset_mm),
                        gravity=(fit.gravity_x, fit.gravity_y, 0.0), link_length=pitch * 1e-3,
                        max_bend_deg=TENNIS_MAX_BEND_DEG if piece.kind == "tennis" else None,
                        friction=0.5, step_m=2e-4, max_steps=1500)
    return design, state


def parts(piece, fit) -> list[InstancedPart]:
    """The bracelet's parts (piece frame, mm): each link mesh once, with a transform per link."""
    design, state = relaxed_chain(piece, fit)
    pts = state.points * 1e3
    T = links.link_transforms(pts, True, _outward(pts, fit), alternate_deg=design.alternate_deg)
    return [InstancedPart(p, T) for p in design.parts]
