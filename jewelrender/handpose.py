"""How straight a finger is, from its landmarks: the pose gate's measure for curled fingers, fists and thumbs gestures.

A band sits on the proximal phalanx and shows as a band only when the finger is
extended: on a curled finger (a fist, a thumbs-up, the "rock" sign) its base is
hidden by the bent segments and a rendered band floats beside them.

The measure is the chord over the path: the image distance from the finger's
base joint to its tip over the summed image lengths of its segments. A straight
finger gives ~1 whatever its foreshortening (its joints project onto one line);
a curled one folds its tip back towards the knuckle. On the 29 dev hand photos with
a detection the ring finger reads >= 0.82 when extended and 0.30-0.43 when curled
(``benchmarks/ring_sizes.py``, docs/quality.md); the gate's threshold, 0.6, sits
between. The same ratio on MediaPipe's 3D world landmarks (``world``) is reported
for diagnosis (0.32-0.67 curled, >= 0.81 extended) but not gated on: their depths
are a model's guess.
"""

from __future__ import annotations

import numpy as np

from .landmarks.types import FINGERS

__all__ = ["finger_straightness", "finger_direction"]


def _chord_over_path(p: np.ndarray) -> float:
    path = float(np.sum(np.linalg.norm(np.diff(p, axis=0), axis=1)))
    return float(np.linalg.norm(p[-1] - p[0]) / path) if path > 1e-9 else 1.0


def finger_straightness(hand, finger: str) -> dict:
    """Chord over path of ``finger``, from its base joint (MCP; the thumb's MCP) to its tip.

    Parameters
    ----------
    hand : HandLandmarks
    finger : str
        A key of :data:`jewelrender.landmarks.FINGERS`.

    Returns
    -------
    dict
        ``image`` (the gated value, 2D landmarks) and ``world`` (3D world landmarks), each in (0, 1].
    """
    idx = list(FINGERS[finger])
    # the thumb's landmarks start at its CMC joint, inside the palm; its ring sits past the MCP
    joints = idx[1:] if finger == "thumb" else idx
    return {"image": _chord_over_path(np.asarray(hand.image_px)[joints]),
            "world": _chord_over_path(np.asarray(hand.world_m)[joints])}


def _cosine(u: np.ndarray, v: np.ndarray) -> float:
    nu, nv = float(np.linalg.norm(u)), float(np.linalg.norm(v))
    return float(u @ v / (nu * nv)) if nu > 1e-9 and nv > 1e-9 else 1.0


def finger_direction(hand, finger: str) -> dict:
    """Cosine between the palm's line (wrist to the finger's base joint) and the finger (base to tip).

    A finger folded down over the back of a fist can read straight (chord over path ~1: its joints lie on
    one line) while it points back towards the wrist; MediaPipe draws a fist seen from the back that way
    (``wristtryon_2c842165``: straightness 0.99, cosine -0.99). Extended fingers point away from the wrist.

    Returns ``image`` (the gated value, 2D landmarks) and ``world`` (3D world landmarks), each in [-1, 1].
    """
    idx = list(FINGERS[finger])
    base = idx[1] if finger == "thumb" else idx[0]
    out = {}
    for name, pts in (("image", np.asarray(hand.image_px, float)[:, :2]), ("world", np.asarray(hand.world_m, float))):
        out[name] = _cosine(pts[base] - pts[0], pts[idx[-1]] - pts[base])
    return out
