"""Cheap building blocks of ``photo_fit``'s closed-form fit: exact small NNLS in bulk, and a cached cosine kernel.

The key search solves one non-negative least-squares problem per candidate
direction (512 + 512 + ~60 of them, each with 2 or 3 columns over ~4000 skin
samples). With that few columns NNLS has a closed form: its optimum is the
unconstrained least-squares solution on some subset of the columns (its
support, by the KKT conditions), and every subset's solution that is
non-negative is a feasible point, so the optimum is the feasible subset
solution with the smallest residual. All candidates share all columns but one,
so the normal equations of every subset of every candidate come from a few
matrix products (``O(N K)``), and the 3 (two columns) or 7 (three) small systems
per candidate are solved batched. Same answers as :func:`scipy.optimize.nnls`
to rounding (the residual from the normal equations loses a few digits, far
below the gaps between candidates).

The irradiance of a map on the skin's normals is ``(max(0, n.d) dω) @ L``; the
kernel in brackets depends only on the normals and the map's size, and
``photo_fit`` needs it for six maps of the same size: :class:`IrradianceKernel`
builds it once per size.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np

from .envmap import texel_directions, texel_solid_angles

__all__ = ["IrradianceKernel", "nnls_residuals"]


def nnls_residuals(fixed: np.ndarray, candidates: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """NNLS of ``y`` on ``[fixed, candidates[:, k]]`` for every ``k``, exactly, in bulk.

    Parameters
    ----------
    fixed : (N, m) columns shared by every problem (m = 1 or 2)
    candidates : (N, K) the one column that differs per problem
    y : (N,)

    Returns
    -------
    residuals : (K,)
        ``||A x - y||`` at the optimum, as :func:`scipy.optimize.nnls` reports it.
    x : (K, m + 1)
        The optimal non-negative coefficients (fixed columns first).
    """
    F = np.asarray(fixed, dtype=np.float64)
    F = F[:, None] if F.ndim == 1 else F
    C = np.asarray(candidates, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    m, K = F.shape[1], C.shape[1]
    n = m + 1
    # Normal equations of every candidate: G (K, n, n), b (K, n).
    G = np.empty((K, n, n))
    G[:, :m, :m] = F.T @ F
    FC = F.T @ C                                   # (m, K)
    G[:, :m, m] = FC.T
    G[:, m, :m] = FC.T
    G[:, m, m] = np.einsum("ij,ij->j", C, C)
    b = np.empty((K, n))
    b[:, :m] = F.T @ y
    b[:, m] = C.T @ y
    yy = float(y @ y)
    best = np.full(K, yy)                          # x = 0 is always feasible
    best_x = np.zeros((K, n))
    for size in range(1, n + 1):
        for sub in combinations(range(n), size):
            s = list(sub)
            Gs = G[:, s][:, :, s]
            bs = b[:, s]
            # A subset whose columns are (nearly) dependent has no unique solution; a smaller
            # subset covers it.
            scale = np.prod(np.diagonal(Gs, axis1=1, axis2=2), axis=1)
            ok = np.linalg.det(Gs) > 1e-10 * np.maximum(scale, 1e-300)
            xs = np.zeros((K, size))
            if ok.any():
                xs[ok] = np.linalg.solve(Gs[ok], bs[ok][..., None])[..., 0]
            ok &= np.all(xs >= 0.0, axis=1)
            # ||A x - y||^2 = y.y - 2 x.b + x G x = y.y - x.b at the subset's LS solution.
            r2 = yy - np.einsum("ki,ki->k", xs, bs)
            take = ok & (r2 < best)
            best[take] = r2[take]
            best_x[take] = 0.0
            best_x[np.ix_(take, s)] = xs[take]
    return np.sqrt(np.maximum(best, 0.0)), best_x


class IrradianceKernel:
    """``max(0, n.d) dω`` for fixed normals, per map size, built on first use.

    ``kernel.irradiance(env_small)`` equals ``photo_fit``'s ``_irradiance_basis(env_small, normals)``
    bit for bit (the same products in the same order), without rebuilding the kernel per map.

    The kernel is made a block of :data:`BLOCK_ROWS` normals at a time, each block's clamp and weighting
    done while it is in the cache (~2x faster than over the whole matrix). One larger than
    :data:`MAX_STORED` elements is not stored: at 4000 normals x 2048 texels (64 MB) writing and reading
    it back cost more than computing each block's product as it is made (67 ms against 36).
    """

    #: Rows (normals) per block of the kernel; every block size gives the same numbers.
    BLOCK_ROWS = 256
    #: Largest kernel kept for the next map of its size, in elements (4000 normals x 512 texels fit).
    MAX_STORED = 4_000_000

    def __init__(self, normals: np.ndarray):
        self.normals = np.asarray(normals)
        self._by_height: dict[int, np.ndarray] = {}

    def _texels(self, h: int):
        d = texel_directions(h, 2 * h).reshape(-1, 3)
        w = np.broadcast_to(texel_solid_angles(h, 2 * h), (h, 2 * h)).reshape(-1)
        return d, w

    def _blocks(self, h: int, out: np.ndarray | None = None):
        """Yield ``(rows, kernel block)``; the blocks are views of ``out`` when given, else of one buffer."""
        d, w = self._texels(h)
        n = len(self.normals)
        buf = None if out is not None else np.empty((min(self.BLOCK_ROWS, n), len(d)))
        for s in range(0, n, self.BLOCK_ROWS):
            e = min(s + self.BLOCK_ROWS, n)
            k = out[s:e] if out is not None else buf[:e - s]
            # The same products as max(0, n.d) * w over the whole matrix.
            np.matmul(self.normals[s:e], d.T, out=k)
            np.maximum(k, 0.0, out=k)
            k *= w
            yield slice(s, e), k

    def kernel(self, h: int) -> np.ndarray:
        k = self._by_height.get(h)
        if k is None:
            k = np.empty((len(self.normals), 2 * h * h))
            for _ in self._blocks(h, out=k):
                pass
            self._by_height[h] = k
        return k

    def irradiance(self, env_small: np.ndarray) -> np.ndarray:
        """Irradiance ``(N, 3)`` of an ``(h, 2h, 3)`` map on the normals."""
        h = env_small.shape[0]
        L = env_small.reshape(-1, 3).astype(np.float64)
        if h in self._by_height or len(self.normals) * 2 * h * h <= self.MAX_STORED:
            return self.kernel(h) @ L
        out = np.empty((len(self.normals), 3))
        for rows, k in self._blocks(h):
            np.matmul(k, L, out=out[rows])
        return out
