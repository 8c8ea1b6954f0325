"""Side by side: one piece in several metals on the customer's own hand, with metal advice from the skin.

``compare_metals(photo, piece, ["yellow-gold-18k", "white-gold-18k"])`` renders the
piece once per metal on one :class:`~jewelrender.pipeline.Renderer`; the photo is
decoded once and the renderer's preparation cache (detection, gate, placement,
lighting) is hit for every metal after the first, so only the scene, render,
composite and score run per metal. The grid shows the same crop around the ring
in each metal, labelled, with the skin's undertone and the ranked metal advice
(:mod:`jewelrender.lighting.advice`) drawn under it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import InvalidOptionError

__all__ = ["MAX_METALS", "CompareResult", "advice_lines", "compare_metals"]

#: At most this many metals in one comparison (each is a full render).
MAX_METALS = 6
_CELL = 360          # px, side of each grid cell
_LINE = 22           # px per line of text
_FONT_SCALE = 0.5


@dataclass
class CompareResult:
    """A comparison grid.

    Attributes
    ----------
    image : ndarray, (H, W, 3) uint8
        The grid (one cell per metal, in the order asked) with the advice under it.
    results : list of TryOnResult
        The full try-on per metal (same order).
    report : dict
        JSON-able: ``metals``, ``skin`` (undertone and ``metal_advice``), per-metal
        ``scores``, ``crop`` (the box shown, in photo pixels), ``timings``.
    """

    image: np.ndarray
    results: list
    report: dict = field(default_factory=dict)

    def save(self, path, *, report_path=None) -> None:
        """Write the grid (PNG/JPEG/WebP by extension) and optionally the report, nothing half-written."""
        import json

        from PIL import Image

        from ._files import write_all

        target = Path(path)
        fmt = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP"}.get(target.suffix.lower())
        if fmt is None:
            raise InvalidOptionError(f"--out must end in .png, .jpg or .webp, got {str(path)!r}")
        writes = [(target, lambda tmp: Image.fromarray(self.image).save(
            tmp, format=fmt, **({"quality": 95} if fmt != "PNG" else {})))]
        if report_path is not None:
            writes.append((Path(report_path), lambda tmp: Path(tmp).write_text(
                json.dumps(self.report, indent=2, sort_keys=True) + "\n", encoding="utf-8")))
        write_all(writes)


def _check_metals(metals) -> list[str]:
    from .library import materials

    if isinstance(metals, str):
        metals = [m for m in metals.split(",")]
    metals = [str(m).strip() for m in metals]
    valid = materials.list_metals()
    if not metals or any(not m for m in metals):
        raise InvalidOptionError("give at least one metal id, e.g. --metals yellow-gold-18k,white-gold-18k "
                                 "(see 'jewelrender materials')", details={"valid": valid})
    bad = [m for m in metals if m not in valid]
    if bad:
        raise InvalidOptionError(f"unknown metal {bad[0]!r}; valid: {', '.join(valid)}", details={"valid": valid})
    if len(set(metals)) != len(metals):
        raise InvalidOptionError(f"each metal once, got {', '.join(metals)}")
    if len(metals) > MAX_METALS:
        raise InvalidOptionError(f"at most {MAX_METALS} metals in one comparison, got {len(metals)}")
    return metals


def advice_lines(skin: dict) -> list[str]:
    """The advice as plain ASCII lines (the grid's caption and the CLI's output)."""
    from .library import materials

    if not skin or skin.get("undertone") is None:
        return ["Metal advice: no skin colour measured in this photo."]
    from .lighting.advice import COOL_CHROMA, WARM_CHROMA

    lines = [f"Skin: {skin['undertone']} undertone (chroma {skin['chroma']:.1f}: cool below {COOL_CHROMA:g}, "
             f"warm above {WARM_CHROMA:g}), {skin['depth']} (ITA {skin['ita_deg']:.0f} deg), Monk {skin.get('monk')}"]
    for i, row in enumerate(skin.get("metal_advice", []), 1):
        lines.append(f"{i}. {materials.metal(row['metal']).label} [{row['score']}]: {row['reason']}")
    lines.append("Advice: jewellers' convention applied to the measured skin, not a rule of colour science.")
    return lines


def _wrap(text: str, width_px: int) -> list[str]:
    import cv2

    words, out, cur = text.split(), [], ""
    for w in words:
        trial = f"{cur} {w}".strip()
        if cv2.getTextSize(trial, cv2.FONT_HERSHEY_SIMPLEX, _FONT_SCALE, 1)[0][0] > width_px and cur:
            out.append(cur)
            cur = w
        else:
            cur = trial
    return out + ([cur] if cur else [])


def _crop_box(masks: list[np.ndarray]) -> tuple[int, int, int, int]:
    """A square around the ring (union of the masks), 3.5 x its size, inside the photo."""
    m = np.maximum.reduce([np.asarray(x) for x in masks]) > 0.02
    h, w = m.shape
    ys, xs = np.nonzero(m)
    if len(xs) == 0:
        return 0, 0, w, h
    cx, cy = (xs.min() + xs.max()) / 2, (ys.min() + ys.max()) / 2
    side = int(min(max(3.5 * max(np.ptp(xs), np.ptp(ys)), 64), w, h))
    x0 = int(np.clip(cx - side / 2, 0, w - side))
    y0 = int(np.clip(cy - side / 2, 0, h - side))
    return x0, y0, x0 + side, y0 + side


def _grid(images: list[np.ndarray], labels: list[str], caption: list[str], box) -> np.ndarray:
    import cv2

    x0, y0, x1, y1 = box
    cells = []
    for img, label in zip(images, labels):
        cell = cv2.resize(np.ascontiguousarray(img[y0:y1, x0:x1]), (_CELL, _CELL), interpolation=cv2.INTER_AREA)
        bar = np.full((_LINE + 8, _CELL, 3), 255, np.uint8)
        cv2.putText(bar, label, (6, _LINE), cv2.FONT_HERSHEY_SIMPLEX, _FONT_SCALE, (0, 0, 0), 1, cv2.LINE_AA)
        cells.append(np.vstack([bar, cell]))
    top = np.hstack([np.pad(c, ((0, 0), (2, 2), (0, 0)), constant_values=255) for c in cells])
    width = top.shape[1]
    lines = [ln for text in caption for ln in _wrap(text, width - 16)]
    text = np.full((len(lines) * _LINE + 12, width, 3), 255, np.uint8)
    for i, ln in enumerate(lines):
        cv2.putText(text, ln, (8, (i + 1) * _LINE), cv2.FONT_HERSHEY_SIMPLEX, _FONT_SCALE, (0, 0, 0), 1, cv2.LINE_AA)
    return np.vstack([top, text])


def compare_metals(photo, piece, metals, *, renderer=None, **options) -> CompareResult:
    """Render ``piece`` on the hand in ``photo`` once per metal and lay the results side by side.

    Parameters
    ----------
    photo : str, path, bytes, ndarray or Photo
    piece : str or catalog.Piece
    metals : sequence of str, or a comma-separated str
        Metal preset ids (``jewelrender materials``), at most :data:`MAX_METALS`, each once.
    renderer : Renderer, optional
        A warm session to use (one is opened and closed otherwise).
    **options
        Passed to :meth:`Renderer.try_on` (``finger``, ``hand``, ``position``, ``quality``,
        ``seed``, ``refine_lighting``, ...); not ``metal``.

    Raises
    ------
    InvalidOptionError
        No metals, an unknown or repeated one, too many, or ``metal=`` in ``options``.
    Any error of :meth:`Renderer.try_on` (no hand, bad photo, low quality, ...).
    """
    from .photo import Photo, load_photo
    from .pipeline import Renderer

    if "metal" in options:
        raise InvalidOptionError("compare_metals takes the metals as its third argument, not metal=")
    metals = _check_metals(metals)
    t0 = time.perf_counter()
    ph = photo if isinstance(photo, Photo) else load_photo(photo, max_pixels=options.get("max_pixels", 40_000_000))
    own = renderer is None
    r = Renderer() if own else renderer
    try:
        results = [r.try_on(ph, piece, metal=m, **options) for m in metals]
    finally:
        if own:
            r.close()
    skin = results[0].report["skin"]
    box = _crop_box([res.mask for res in results])
    from .library import materials

    labels = [materials.metal(m).label for m in metals]
    image = _grid([res.image for res in results], labels, advice_lines(skin), box)
    report = {
        "piece": results[0].report["piece"]["id"],
        "metals": metals,
        "skin": skin,
        "scores": {m: res.report["score"]["score"] for m, res in zip(metals, results)},
        "preparation": [res.report["preparation"] for res in results],
        "crop": list(box),
        "timings": {"total": round(time.perf_counter() - t0, 4),
                    "per_metal": [res.report["timings"] for res in results]},
    }
    return CompareResult(image=image, results=results, report=report)
