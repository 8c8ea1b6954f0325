"""A chain of rigid links relaxed under gravity against the body: position-based dynamics.

Necklaces, bracelets and earring drops are chains: a row of links, each a fixed
distance from the next, that fall until the body stops them. We model a chain as
its link *joints* (points); link ``i`` is the segment from joint ``i`` to joint
``i + 1`` (and, for a closed loop, the last joint back to the first). The solver
is position-based dynamics (Müller et al., "Position Based Dynamics", 2007):

1. every free joint moves by Verlet integration under gravity, with damping;
2. constraints are projected in turn, several times per step:
   - each link keeps its length (the links are rigid; equal-mass joints split the correction);
   - optionally, a chain stiff against bending (box, snake, tennis) limits the angle between
     neighbouring links;
   - no joint lies inside a collider (a body proxy): it is pushed out to the surface, with a
     simple friction that removes the tangential part of its step there;
   - pinned joints (a clasp, a piercing) do not move;
3. it stops when the joints no longer move (the chain is at rest) or after ``max_steps``.

A last pass projects only the link lengths (many iterations), so the returned
chain keeps its length to well under 1 % whatever the collisions did.

Frame and units: any right-handed frame in metres, usually the camera frame
(OpenCV: +y down); ``gravity`` is a direction in that frame (its length is
ignored), taken by the caller from the photo (the image's down, or the line of
sight for an arm lying on a table).

Colliders are small value objects with ``push_out(points) -> (points, contact)``:
:class:`Capsule` (a finger, a neck, a wrist), :class:`Ellipsoid` (a chest, a
wrist with an elliptical cross-section, approximately) and :class:`Plane` (a
table, a chest wall). Anything with that method works.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, Sequence

import numpy as np

from ..errors import InvalidOptionError

#: Steps over which rest is judged.
_REST_WINDOW = 25

__all__ = ["Collider", "Capsule", "Ellipsoid", "Plane", "ChainState", "relax_chain", "chain_length",
           "resample_polyline"]


class Collider(Protocol):
    def push_out(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Points moved out of the body onto its surface, and a bool mask of those that were inside."""
        ...


@dataclass(frozen=True)
class Capsule:
    """A segment ``p0``–``p1`` swept by a sphere of ``radius`` (metres)."""

    p0: np.ndarray
    p1: np.ndarray
    radius: float

    def distance(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Signed distance to the surface (negative inside) and the outward unit normal."""
        a = np.asarray(self.p0, float)
        ab = np.asarray(self.p1, float) - a
        denom = float(ab @ ab) or 1e-30
        t = np.clip(((points - a) @ ab) / denom, 0.0, 1.0)
        d = points - (a + t[:, None] * ab)
        r = np.linalg.norm(d, axis=1)
        n = d / np.maximum(r, 1e-12)[:, None]
        # A point on the axis itself has no direction out: pick one perpendicular to the axis.
        on_axis = r < 1e-12
        if on_axis.any():
            perp = np.cross(ab, [0.0, 0.0, 1.0])
            if np.linalg.norm(perp) < 1e-9 * max(np.linalg.norm(ab), 1e-12):
                perp = np.cross(ab, [1.0, 0.0, 0.0])
            n[on_axis] = perp / np.linalg.norm(perp)
        return r - self.radius, n

    def push_out(self, points):
        sd, n = self.distance(points)
        inside = sd < 0
        out = points.copy()
        out[inside] -= sd[inside, None] * n[inside]
        return out, inside


@dataclass(frozen=True)
class Ellipsoid:
    """An ellipsoid with ``center``, orthonormal ``axes`` (rows) and semi-axis ``radii`` (metres).

    The push-out is radial in the ellipsoid's own scaled space (exact on a sphere,
    a close approximation of the nearest surface point for moderate eccentricity).
    """

    center: np.ndarray
    axes: np.ndarray
    radii: np.ndarray

    def distance(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Approximate signed distance to the surface (negative inside; first order in the
        implicit function, exact on a sphere) and the outward unit normal (its gradient)."""
        c = np.asarray(self.center, float)
        R = np.asarray(self.axes, float)
        r = np.asarray(self.radii, float)
        local = (points - c) @ R.T / r
        rho = np.linalg.norm(local, axis=1)
        grad = (local / r) @ R
        gn = np.linalg.norm(grad, axis=1)
        n = grad / np.maximum(gn, 1e-12)[:, None]
        n[gn < 1e-12] = R[2]
        sd = (rho ** 2 - 1.0) / np.maximum(2.0 * gn * np.maximum(rho, 1e-12), 1e-12)
        return sd, n

    def push_out(self, points):
        c = np.asarray(self.center, float)
        R = np.asarray(self.axes, float)
        r = np.asarray(self.radii, float)
        local = (points - c) @ R.T / r
        rho = np.linalg.norm(local, axis=1)
        inside = rho < 1.0
        out = points.copy()
        if inside.any():
            lc = local[inside] / np.maximum(rho[inside], 1e-12)[:, None]
            lc[rho[inside] < 1e-12] = [0.0, 0.0, 1.0]
            out[inside] = (lc * r) @ R + c
        return out, inside


@dataclass(frozen=True)
class Plane:
    """The half-space behind a plane: points with ``(p - point) · normal < 0`` are inside."""

    point: np.ndarray
    normal: np.ndarray

    def push_out(self, points):
        n = np.asarray(self.normal, float)
        n = n / np.linalg.norm(n)
        sd = (points - np.asarray(self.point, float)) @ n
        inside = sd < 0
        out = points.copy()
        out[inside] -= sd[inside, None] * n
        return out, inside


@dataclass(frozen=True)
class ChainState:
    """A relaxed chain: joint positions and how well the solve went."""

    points: np.ndarray
    closed: bool
    link_length: float
    #: Worst relative deviation of any link's length from ``link_length``.
    max_link_error: float
    #: Relative deviation of the whole chain's length.
    length_error: float
    steps: int
    at_rest: bool
    #: The deepest any joint is left inside a collider (metres).
    max_penetration_m: float
    #: Per joint: did it touch a collider at the end (where contact shadows go).
    contact: np.ndarray = field(repr=False)

    @property
    def links(self) -> tuple[np.ndarray, np.ndarray]:
        """Start and end joint of every link, (L, 3) each."""
        a = self.points
        b = np.roll(a, -1, axis=0)
        return (a, b) if self.closed else (a[:-1], b[:-1])


def chain_length(points: np.ndarray, closed: bool) -> float:
    """Length of the polyline through ``points`` (closed: back to the first)."""
    p = np.asarray(points, float)
    seg = np.diff(np.vstack([p, p[:1]]) if closed else p, axis=0)
    return float(np.linalg.norm(seg, axis=1).sum())


def resample_polyline(points: np.ndarray, n: int, closed: bool) -> np.ndarray:
    """``n`` joints evenly spaced by arc length along a polyline (closed: the loop)."""
    p = np.asarray(points, float)
    if closed:
        p = np.vstack([p, p[:1]])
    s = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(p, axis=0), axis=1))])
    targets = np.linspace(0.0, s[-1], n, endpoint=not closed) if closed else np.linspace(0.0, s[-1], n)
    if closed:
        targets = np.linspace(0.0, s[-1], n + 1)[:-1]
    return np.stack([np.interp(targets, s, p[:, k]) for k in range(3)], axis=1)


def _sweep_lengths(x, w, closed, L, sweeps):
    """Plain PBD: each link corrected towards length ``L`` in turn (even links, then odd links, so the
    vectorised update touches disjoint joints). Robust from any state, but slow to remove the last
    stretch of a long taut chain."""
    n = len(x)
    nl = n if closed else n - 1
    idx = np.arange(nl)
    groups = [idx[0::2], idx[1::2]]
    if closed and nl % 2:
        groups = [idx[0:-1:2], idx[1::2], idx[-1:]]
    for _ in range(sweeps):
        for g in groups:
            i, j = g, (g + 1) % n
            d = x[j] - x[i]
            dist = np.linalg.norm(d, axis=1)
            wsum = w[i] + w[j]
            ok = (wsum > 0) & (dist > 1e-15)
            corr = np.zeros_like(d)
            corr[ok] = ((dist[ok] - L) / (dist[ok] * wsum[ok]))[:, None] * d[ok]
            x[i] += w[i, None] * corr
            x[j] -= w[j, None] * corr


def _link_error(x, closed, L):
    seg = np.diff(np.vstack([x, x[:1]]) if closed else x, axis=0)
    return float(np.abs(np.linalg.norm(seg, axis=1) / L - 1.0).max())


def _project_lengths(x, w, closed, L, newton_steps):
    """Bring every link to length ``L``: two plain sweeps, then a global solve.

    Plain PBD relaxes one link at a time, and a long taut chain then stays stretched like rubber
    (the error diffuses, needing ~N² sweeps). The global step ("fast projection", Goldenthal et al.
    2007) solves the linearised constraints of all links together: with C the links' length errors
    and J their gradients, (J W Jᵀ) λ = C is a (cyclic) tridiagonal system, solved densely (N is a
    few hundred), and x -= W Jᵀ λ. It converges quadratically near the solution but the
    linearisation fails far from it, so it runs only once sweeps have the links within 10 %, and
    a step that makes things worse is undone.
    """
    _sweep_lengths(x, w, closed, L, 2)
    err = _link_error(x, closed, L)
    for _ in range(32):
        if err <= 0.1:
            break
        _sweep_lengths(x, w, closed, L, 2)
        err = _link_error(x, closed, L)
    n = len(x)
    nl = n if closed else n - 1
    a = np.arange(nl)
    b = (a + 1) % n
    for _ in range(newton_steps):
        if err > 0.1 or err < 1e-9:
            break
        d = x[b] - x[a]
        dist = np.linalg.norm(d, axis=1)
        dh = d / np.maximum(dist, 1e-15)[:, None]
        C = dist - L
        A = np.zeros((nl, nl))
        A[a, a] = w[a] + w[b] + 1e-12
        # Links k and k+1 share joint b_k = a_{k+1}: its gradients are +dh_k and -dh_{k+1}.
        k = np.arange(nl - 1) if not closed else a
        k1 = (k + 1) % nl
        off = -w[b[k]] * (dh[k] * dh[k1]).sum(1)
        A[k, k1] = off
        A[k1, k] = off
        lam = np.linalg.solve(A, C)
        dx = np.zeros_like(x)
        np.add.at(dx, b, -lam[:, None] * dh)
        np.add.at(dx, a, lam[:, None] * dh)
        trial = x + w[:, None] * dx
        td = trial[b] - trial[a]
        # Accept on the summed squared error (what the step minimises); the worst link may briefly rise.
        if ((np.linalg.norm(td, axis=1) - L) ** 2).sum() >= (C ** 2).sum():
            break
        x[:] = trial
        err = _link_error(x, closed, L)


def _project_bending(x, w, closed, L, max_angle):
    """Keep the angle between neighbouring links under ``max_angle`` (radians) by pulling
    joint ``i-1`` and ``i+1`` towards the distance the angle allows."""
    n = len(x)
    if n < 3:
        return
    centre = np.arange(n) if closed else np.arange(1, n - 1)
    a, b = (centre - 1) % n, (centre + 1) % n
    min_dist = 2.0 * L * np.cos(max_angle / 2.0)
    d = x[b] - x[a]
    dist = np.linalg.norm(d, axis=1)
    wsum = w[a] + w[b]
    bad = (dist < min_dist) & (wsum > 0) & (dist > 1e-12)
    if not bad.any():
        return
    corr = np.zeros_like(d)
    corr[bad] = ((dist[bad] - min_dist) / (dist[bad] * wsum[bad]))[:, None] * d[bad]
    np.add.at(x, a, w[a, None] * corr * 0.5)
    np.add.at(x, b, -w[b, None] * corr * 0.5)


def relax_chain(points: np.ndarray, *, closed: bool, colliders: Sequence[Collider] = (),
                gravity: Sequence[float] = (0.0, 1.0, 0.0), link_length: float | None = None,
                pinned: Sequence[int] = (), masses: Sequence[float] | None = None, max_bend_deg: float | None = None,
                friction: float = 0.5, damping: float = 0.05, step_m: float = 1e-3,
                iterations: int = 3, max_steps: int = 1500, rest_tol_m: float | None = None) -> ChainState:
    """Let a chain fall under gravity onto the colliders until it rests.

    Parameters
    ----------
    points : (N, 3) initial joint positions (metres). They need not be at rest or even at the
        right spacing; start them outside the colliders where you can.
    closed : a loop (necklace, bracelet) or an open strand (a drop from a piercing).
    link_length : each link's length; default: the initial polyline's length / number of links.
    pinned : joints that do not move (an earring's piercing; a clasp held in place).
    masses : per-joint masses (default all 1). A heavier joint (a necklace's pendant at its bail)
        gives way less to the link constraints, so its weight pulls the chain on both sides
        towards it: the front of a pendant necklace falls into a V. Constraint corrections are
        shared in inverse proportion to mass, as in PBD.
    max_bend_deg : the largest angle between neighbouring links (None: free, like a cable chain).
    friction : 0..1, the share of a touching joint's tangential step removed (skin holds a chain).
    step_m : gravity's displacement per step squared (the "g dt²"), metres; sets how fast it falls.
    rest_tol_m : mean joint travel over 25 steps below which the chain is at rest (default: step_m / 4).
    """
    x = np.array(points, dtype=float)
    if x.ndim != 2 or x.shape[1] != 3 or len(x) < 2 or not np.isfinite(x).all():
        raise InvalidOptionError("a chain needs at least two finite 3-D points",
                                 details={"option": "points", "shape": list(np.shape(points))})
    n = len(x)
    nl = n if closed else n - 1
    L = float(link_length) if link_length is not None else chain_length(x, closed) / nl
    if not (L > 0 and np.isfinite(L)):
        raise InvalidOptionError("a chain's links need a positive length", details={"option": "link_length"})
    g = np.asarray(gravity, float)
    gn = np.linalg.norm(g)
    if not gn > 0:
        raise InvalidOptionError("gravity needs a direction", details={"option": "gravity"})
    g = g / gn * step_m
    rest_tol = 0.25 * step_m if rest_tol_m is None else float(rest_tol_m)
    w = np.ones(n)
    if masses is not None:
        m = np.asarray(masses, dtype=float)
        if m.shape != (n,) or not np.isfinite(m).all() or (m <= 0).any():
            raise InvalidOptionError(f"masses must be {n} positive numbers, one per joint",
                                     details={"option": "masses"})
        w = 1.0 / m
    pinned = np.asarray(list(pinned), dtype=int)
    if pinned.size and ((pinned < 0) | (pinned >= n)).any():
        raise InvalidOptionError(f"pinned joints must be in 0..{n - 1}", details={"option": "pinned"})
    w[pinned] = 0.0
    free = w > 0
    max_angle = None if max_bend_deg is None else np.radians(float(max_bend_deg))

    prev = x.copy()
    contact = np.zeros(n, bool)
    normal = np.zeros_like(x)
    steps, at_rest = 0, False
    window_start = x.copy()
    for steps in range(1, max_steps + 1):
        velocity = (x - prev) * (1.0 - damping)
        prev = x.copy()
        x[free] += velocity[free] + g
        for it in range(iterations):
            _project_lengths(x, w, closed, L, 1)
            if max_angle is not None:
                _project_bending(x, w, closed, L, max_angle)
            contact[:] = False
            for c in colliders:
                pushed, inside = c.push_out(x)
                inside &= free
                normal[inside] = pushed[inside] - x[inside]
                x[inside] = pushed[inside]
                contact |= inside
            if it == 0 and friction > 0 and contact.any():
                # Coulomb-like friction, once per step: the part of this step along the surface
                # (perpendicular to the push-out) is reduced, so a chain on skin does not slide forever.
                nrm = normal[contact] / np.maximum(np.linalg.norm(normal[contact], axis=1), 1e-15)[:, None]
                step = x[contact] - prev[contact]
                along = step - (step * nrm).sum(1, keepdims=True) * nrm
                x[contact] -= friction * along
        # At rest: over a window of steps the joints moved, on average, less than the tolerance. A window,
        # not one step, because the solver jitters in place against slopes (motion without travel) and a
        # swinging strand is slow for a moment at the end of each swing (travel that pauses).
        if steps % _REST_WINDOW == 0:
            moved = float(np.linalg.norm(x - window_start, axis=1).mean())
            window_start = x.copy()
            if moved < rest_tol:
                at_rest = True
                break

    # Settle lengths and collisions against each other with full solves (alternating projections converge
    # slowly where the body is concave, as where the neck meets the chest), then end on the lengths: the
    # links are rigid, and what is left inside a collider is reported (``max_penetration_m``).
    for _ in range(40):
        _project_lengths(x, w, closed, L, 6)
        for c in colliders:
            pushed, inside = c.push_out(x)
            inside &= free
            x[inside] = pushed[inside]
    _project_lengths(x, w, closed, L, 6)
    penetration = 0.0
    for c in colliders:
        pushed, inside = c.push_out(x)
        if inside.any():
            penetration = max(penetration, float(np.linalg.norm(pushed - x, axis=1).max()))
    seg = np.diff(np.vstack([x, x[:1]]) if closed else x, axis=0)
    lens = np.linalg.norm(seg, axis=1)
    # A joint rests on the body when half a link further along gravity would be inside a collider:
    # that is where contact shadows belong.
    probe = x + (g / np.linalg.norm(g)) * 0.5 * L
    touching = np.zeros(n, bool)
    for c in colliders:
        _, inside = c.push_out(probe)
        touching |= inside
    total = float(lens.sum())
    return ChainState(points=x, closed=closed, link_length=L,
                      max_link_error=float(np.abs(lens / L - 1.0).max()),
                      length_error=float(abs(total / (L * nl) - 1.0)), steps=steps, at_rest=at_rest, max_penetration_m=penetration,
                      contact=touching)
