"""The closed-form fit's cheap parts give the same answers as the straightforward ones."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from scipy.optimize import nnls

from jewelrender.sites import proxies
from jewelrender.lighting.envmap import fibonacci_sphere, texel_directions, texel_solid_angles
from jewelrender.lighting.fastfit import IrradianceKernel, nnls_residuals


@pytest.mark.parametrize("m", [1, 2])
def test_bulk_nnls_matches_scipy(m):
    rng = np.random.default_rng(7)
    n = 300
    normals = rng.normal(size=(n, 3))
    normals /= np.linalg.norm(normals, axis=1, keepdims=True)
    fixed = np.abs(rng.normal(size=(n, m))) + 0.1
    cands = np.maximum(0.0, normals @ fibonacci_sphere(64).T)       # includes nearly empty columns
    cands[:, 5] = 0.0                                               # and an all-zero one (a singular subset)
    cands[:, 6] = fixed[:, 0]                                       # and one equal to a fixed column
    for y in (fixed @ np.full(m, 0.7) + 2.0 * cands[:, 3] + 0.05 * rng.normal(size=n),   # a clear key
              -fixed[:, 0] + 0.01 * rng.normal(size=n)):                                  # all coefficients 0
        res, x = nnls_residuals(fixed, cands, y)
        for k in range(cands.shape[1]):
            xs, rs = nnls(np.column_stack([fixed, cands[:, k]]), y)
            assert res[k] == pytest.approx(rs, rel=1e-6, abs=1e-9), k
            # Where the columns are independent the optimum is unique: the coefficients agree too.
            if k not in (5, 6):
                assert np.allclose(x[k], xs, rtol=1e-5, atol=1e-8), (k, x[k], xs)
        assert int(np.argmin(res)) == int(np.argmin([nnls(np.column_stack([fixed, cands[:, k]]), y)[1]
                                                     for k in range(cands.shape[1])]))


def test_irradiance_kernel_is_the_direct_sum_bit_for_bit():
    rng = np.random.default_rng(1)
    normals = rng.normal(size=(50, 3))
    normals /= np.linalg.norm(normals, axis=1, keepdims=True)
    kern = IrradianceKernel(normals)
    for h in (16, 32, 16):
        env = rng.random((h, 2 * h, 3)).astype(np.float32)
        d = texel_directions(h, 2 * h).reshape(-1, 3)
        w = np.broadcast_to(texel_solid_angles(h, 2 * h), (h, 2 * h)).reshape(-1)
        direct = (np.maximum(0.0, normals @ d.T) * w) @ env.reshape(-1, 3).astype(np.float64)
        assert np.array_equal(kern.irradiance(env), direct)
    # A uniform unit sky gives pi on every normal.
    assert np.allclose(kern.irradiance(np.ones((32, 64, 3), np.float32)), np.pi, rtol=2e-3)


def test_raycast_culling_keeps_every_hit():
    # Rays from the camera over a fan of capsules, against each capsule's exact intersection alone.
    rng = np.random.default_rng(3)
    caps = [SimpleNamespace(p0=rng.normal(0, 0.03, 3) + [0, 0, 0.4], p1=rng.normal(0, 0.03, 3) + [0, 0, 0.45],
                            radius=float(rng.uniform(0.005, 0.012))) for _ in range(12)]
    d = rng.normal(0, 0.1, size=(20000, 3)) + [0, 0, 1]
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    for origins in (np.zeros_like(d), rng.normal(0, 0.01, size=d.shape)):   # one origin, and many
        t, _, idx = proxies.raycast_capsules(origins, d, caps)
        brute = np.stack([proxies._ray_capsule(origins, d, np.asarray(c.p0), np.asarray(c.p1), c.radius)
                          for c in caps], axis=1)
        want_t = brute.min(axis=1)
        hit = np.isfinite(want_t)
        assert hit.sum() > 500
        assert np.array_equal(np.isfinite(t), hit)
        assert np.array_equal(t[hit], want_t[hit]) and np.array_equal(idx[hit], brute[hit].argmin(axis=1))


def test_blas_threads_are_limited_inside_the_block_and_restored():
    import ctypes

    import cv2  # noqa: F401  (OpenCV's OpenBLAS too)
    import scipy.linalg  # noqa: F401  (and SciPy's)

    from jewelrender.lighting.blas import blas_threads

    # The process's OpenBLAS builds (NumPy's, SciPy's), found independently of the module under test.
    names = [("openblas_get_num_threads64_", "openblas_set_num_threads64_"),
             ("scipy_openblas_get_num_threads64_", "scipy_openblas_set_num_threads64_"),
             ("scipy_openblas_get_num_threads", "scipy_openblas_set_num_threads"),
             ("openblas_get_num_threads", "openblas_set_num_threads")]
    paths = {line.split()[-1] for line in open("/proc/self/maps") if "openblas" in line.lower()}
    libs = [ctypes.CDLL(p) for p in sorted(paths) if p.startswith("/")]
    funcs = [next((getattr(lib, g), getattr(lib, s)) for g, s in names if hasattr(lib, g)) for lib in libs
             if any(hasattr(lib, g) for g, _ in names)]
    if not funcs:
        pytest.skip("no OpenBLAS loaded in this process")
    for _, put in funcs:
        put(2)
    start = [get() for get, _ in funcs]   # 2, or 1 where a build has a single thread (OpenCV's here)
    assert 2 in start
    with blas_threads(1):
        assert [get() for get, _ in funcs] == [1] * len(funcs)
        assert float(np.ones((300, 300)) @ np.ones(300) @ np.ones(300)) == 300.0 * 300.0
    assert [get() for get, _ in funcs] == start
