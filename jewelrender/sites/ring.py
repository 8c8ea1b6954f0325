"""The ring site: a ring on a finger's proximal phalanx.

The hand model (3-D hand, finger widths, capsules) is :mod:`jewelrender.sites.hand`,
shared with later wrist sites; this module is what makes it a *ring* site: its
options (finger, hand, position along the phalanx), its gate (the finger the ring
goes on), its placement and visibility rule, and its score terms.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..checks import is_number
from ..errors import FingerNotVisibleError, InvalidOptionError
from . import hand as _hand_model

__all__ = ["RingSite", "RING", "DEFAULT_POSITION"]

#: Along the proximal phalanx: 0 = knuckle (MCP), 1 = middle joint (PIP); its home is the hand model.
DEFAULT_POSITION = _hand_model.DEFAULT_POSITION


class RingSite:
    """A ring on a finger: :class:`jewelrender.sites.base.Site` for hands."""

    name = "ring"
    detectors = ("hand",)
    piece_families = ("ring",)

    def check_options(self, *, finger: str | None = None, hand: str = "auto", position: float | None = None) -> dict:
        # None: the caller did not choose (the pipeline passes None so that each site has its own defaults)
        finger = "ring" if finger is None else finger
        position = DEFAULT_POSITION if position is None else position
        _hand_model.check_finger(finger)
        _hand_model.check_hand(hand)
        if not is_number(position) or not (0.0 <= float(position) <= 1.0):
            raise InvalidOptionError(
                f"position must be a number in [0, 1] (0 = knuckle, 1 = middle joint), got {position!r}")
        return {"finger": finger, "hand": hand, "position": float(position)}

    def gate(self, photo, detections, *, options: dict, refuse_multiple: bool = False):
        from ..quality import check_input

        return check_input(photo, detections, finger=options["finger"], hand=options["hand"],
                           refuse_multiple_hands=refuse_multiple)

    def place(self, photo, detection, camera, *, options: dict):
        return _hand_model.place_ring(photo, detection, camera, finger=options["finger"],
                                      position=options["position"])

    def piece_size_mm(self, placement) -> float:
        return placement.inner_diameter_mm

    def integration(self, photo, detection, camera, placement, piece, light, crop, alpha, *, others=()):
        from ..integration import prepare_integration

        return prepare_integration(photo, detection, camera, placement, piece, light, crop, alpha)

    def integration_before_render(self, photo, detection, camera, placement, piece, light, crop, *, others=()):
        """:meth:`integration` in two steps: the segmentation and the camera's look (no render needed) now,
        the contact shading when the coverage is known: ``finish(alpha)``."""
        from ..integration import finish_integration, photo_side

        side = photo_side(photo, detection, camera, placement, piece, crop)
        return lambda alpha: finish_integration(side, camera, placement, light, crop, alpha)

    def check_visible(self, mask: np.ndarray, placement, piece, crop_report) -> float:
        visible = _hand_model.visible_fraction(mask.sum(), placement.finger_width_px, placement.px_per_mm,
                                               piece.band["width_mm"])
        if visible < _hand_model.MIN_VISIBLE_FRACTION:
            raise FingerNotVisibleError(
                f"the {placement.finger} finger's base is hidden (curled, or behind other fingers): only "
                f"{100 * visible:.0f} % of the ring would show; photograph the back of the hand with fingers straight",
                details={"visible_fraction": round(visible, 3), "crop": crop_report},
            )
        return visible

    def score_inputs(self, placement, piece, detection, crop, visible: float):
        from ..quality import ScoreInputs

        return ScoreInputs(
            crop=tuple(crop), center_px=tuple(float(v) for v in placement.center_px),
            axis_px=tuple(float(v) for v in placement.axis_px), across_px=float(placement.finger_width_px),
            across_source=placement.finger_width_source, size_mm=float(placement.inner_diameter_mm),
            size_range_mm=_hand_model.RING_DIAMETER_RANGE_MM, landmark_score=float(detection.score),
            pose_method=(placement.details.get("pose") or {}).get("method"), visible_fraction=visible,
            min_visible_fraction=_hand_model.MIN_VISIBLE_FRACTION)

    def report(self, placement, detection) -> dict[str, Any]:
        ia, ib = _hand_model.segment_joints(placement.finger)
        # the segment the ring is on: the thumb's MCP -> IP, a finger's MCP -> PIP
        return dict(placement.to_report(), hand_score=float(detection.score),
                    mcp_px=detection.image_px[ia], pip_px=detection.image_px[ib])


RING = RingSite()
