"""What every body site provides: the seam between the pipeline and the body.

The pipeline knows stages (photo, detections, gate, camera, placement, lighting,
scene, render, composite, score); a *site* knows one place on the body (a
finger, a wrist, a neck, an ear): which detectors find it, which photos are good
enough, where the piece sits there in 3-D, what hides and shadows it, and what
makes a believable result there. The pipeline only talks to a site through
:class:`Site`, and the scene only reads a :class:`Placement`.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np

__all__ = ["Site", "Placement", "piece_to_cam"]


@runtime_checkable
class Placement(Protocol):
    """Where a piece sits, as the scene, lighting and report read it (camera frame, metres).

    ``piece_to_cam`` takes the piece frame (millimetres; see
    :mod:`jewelrender.geometry.assets`) to the camera frame. ``proxies`` are the
    body's proxy shapes (capsules) that hide the piece, catch its shadow, show in
    its reflections and carry the skin the lighting is fitted to. ``points_cam``
    are the body landmarks in 3-D, ``center_px`` the piece's centre in the image.
    """

    site: str
    center_cam: np.ndarray
    axis_cam: np.ndarray
    up_cam: np.ndarray
    center_px: np.ndarray
    points_cam: np.ndarray
    proxies: tuple

    @property
    def piece_to_cam(self) -> np.ndarray: ...

    def to_report(self) -> dict: ...

    # Optional: ``instances``, a tuple of placements each rendered in its own crop and composited in
    # turn (a pair of earrings, one per ear); the pipeline reads the Placement fields of each.


@runtime_checkable
class Site(Protocol):
    """One body site. Implementations live in ``jewelrender/sites/<name>.py`` and are listed in ``SITES``."""

    #: The key in :data:`jewelrender.sites.SITES` and in catalog entries' ``site``.
    name: str
    #: Detectors it needs, by name (``"hand"``: :class:`jewelrender.landmarks.HandDetector`; ``"pose"``:
    #: :class:`jewelrender.landmarks.PoseDetector`, whose body pose ``place`` then receives as ``pose=``).
    detectors: tuple[str, ...]
    #: Piece families worn here (keys of :data:`jewelrender.pieces.FAMILIES`).
    piece_families: tuple[str, ...]

    def check_options(self, **options: Any) -> dict:
        """Validate the site's own options (a ring: ``finger``, ``hand``, ``position``; an ear: ``side``) once,
        at the boundary."""
        ...

    # Optional: ``detections(found) -> list`` for a site whose ``detectors`` are not just ``("hand",)``:
    # ``found`` maps each detector's name to what it returned on the photo; the list is what the gate
    # chooses from (an ear: each face with the photo's person mask).

    def gate(self, photo, detections, *, options: dict, refuse_multiple: bool = False):
        """The input gate: a :class:`jewelrender.quality.GateReport` whose ``hand_index`` picks the detection."""
        ...

    def place(self, photo, detection, camera, *, options: dict) -> Placement:
        """The piece's frame in camera space, the proxy geometry and the metric sizes."""
        ...

    def piece_size_mm(self, placement: Placement) -> float:
        """The size the piece is made to (a ring's inner diameter)."""
        ...

    def integration(self, photo, detection, camera, placement: Placement, piece, light, crop, alpha, *,
                    others: tuple = ()):
        """The photo's side of the composite (:class:`jewelrender.integration.Integration`: the body's real
        silhouette, the piece's contact shadow, the camera's look), or None where the site has none yet.
        ``others``: the detections the gate did not choose (another hand in the photo may cover the piece)."""
        ...

    # Optional: ``integration_before_render(photo, detection, camera, placement, piece, light, crop, *,
    # others=()) -> finish``, the part of :meth:`integration` that needs no render, returning
    # ``finish(alpha) -> Integration`` for the rest: the pipeline runs it on a second thread while the
    # piece renders (the ring's segmentation and camera look, ~0.3 s on 2 cores).

    def check_visible(self, mask: np.ndarray, placement: Placement, piece, crop_report) -> float:
        """The share of the piece that shows; raises the site's not-visible error below its floor."""
        ...

    def score_inputs(self, placement: Placement, piece, detection, crop, visible: float):
        """The :class:`jewelrender.quality.ScoreInputs` of this site's score terms."""
        ...

    def report(self, placement: Placement, detection) -> dict:
        """The report's ``placement`` section."""
        ...


def piece_to_cam(up_cam: np.ndarray, axis_cam: np.ndarray, center_cam: np.ndarray) -> np.ndarray:
    """(4, 4) transform from a piece frame (millimetres; +Y up, +Z along the axis, +X = up x axis)
    to the camera frame (metres), for every site's placement."""
    m = np.eye(4)
    m[:3, 0] = np.cross(up_cam, axis_cam) * 1e-3
    m[:3, 1] = up_cam * 1e-3
    m[:3, 2] = axis_cam * 1e-3
    m[:3, 3] = center_cam
    return m

