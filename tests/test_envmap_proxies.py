"""Environment-map conventions and proxy ray-casting, checked against hand-worked answers."""

from __future__ import annotations

import numpy as np
import pytest

from jewelrender.lighting.envmap import EnvMap, direction_to_uv, fibonacci_sphere, texel_directions
from jewelrender.sites.hand import Capsule
from jewelrender.sites.proxies import capsule_mesh, capsule_meshes, raycast_capsules


def test_texel_directions_layout():
    d = texel_directions(64, 128)
    assert np.allclose(np.linalg.norm(d, axis=-1), 1.0)
    assert d[0, 64, 1] < -0.99          # top row looks up (-y in the camera frame)
    assert d[-1, 64, 1] > 0.99          # bottom row looks down
    centre = d[32, 64]
    assert centre[2] > 0.99             # middle of the map looks forward (+z)
    assert d[32, 96, 0] > 0.99          # three quarters across looks right (+x)
    uv = direction_to_uv(d)
    v, u = np.meshgrid((np.arange(64) + 0.5) / 64, (np.arange(128) + 0.5) / 128, indexing="ij")
    assert np.allclose(uv[..., 0], u) and np.allclose(uv[..., 1], v)


def test_uniform_environment_irradiance_is_pi_times_radiance():
    env = EnvMap(np.full((32, 64, 3), 0.5, np.float32))
    E = env.irradiance(fibonacci_sphere(10))
    assert np.allclose(E, np.pi * 0.5, rtol=0.01)
    assert np.allclose(env.mean_radiance(), 0.5, rtol=1e-3)


def test_envmap_rejects_bad_shapes_and_values():
    with pytest.raises(ValueError):
        EnvMap(np.ones((32, 32, 3)))
    with pytest.raises(ValueError):
        EnvMap(-np.ones((8, 16, 3)))


def test_mitsuba_sees_our_envmap_orientation():
    """A bright spot to the upper right of the camera's view appears where we put it."""
    import mitsuba as mi

    from jewelrender import backend

    backend.select()
    h = 32
    rad = np.full((h, 2 * h, 3), 0.01, np.float32)
    target = np.array([0.5, -0.5, 0.7071])           # right, up, forward
    target /= np.linalg.norm(target)
    u, v = direction_to_uv(target)
    rad[int(v * h), int(u * 2 * h)] = 100.0
    env = EnvMap(rad)
    scene = mi.load_dict({"type": "scene", "env": env.to_mitsuba()})
    emitter = scene.environment()
    si = mi.SurfaceInteraction3f()
    vals = []
    for d in (target, -target, np.array([0.0, 0.0, 1.0])):
        si.wi = mi.Vector3f(*[float(x) for x in -d])                    # wi points back along the ray
        si.wavelengths = mi.Spectrum([550.0] * 4) if "spectral" in mi.variant() else si.wavelengths
        vals.append(float(np.max(np.array(emitter.eval(si)))))
    assert vals[0] > 50 and vals[1] < 1 and vals[2] < 1


def _cap(p0, p1, r):
    return Capsule("c", np.asarray(p0, float), np.asarray(p1, float), r)


def test_raycast_capsule_body_caps_and_miss():
    cap = _cap([-0.1, 0.0, 1.0], [0.1, 0.0, 1.0], 0.05)
    o = np.zeros((4, 3))
    d = np.array([[0, 0, 1], [0.2, 0, 1], [0, 0.2, 1], [0.1, 0, 1]], float)
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    t, n, idx = raycast_capsules(o, d, [cap])
    assert t[0] == pytest.approx(0.95) and np.allclose(n[0], [0, 0, -1])
    assert idx[1] == -1 and np.isinf(t[1])          # passes 0.098 from the end cap's centre: a miss
    assert idx[2] == -1                              # passes above the body
    p = d[3] * t[3]                                  # grazes the far end: on the surface either way
    axis_pt = np.array([np.clip(p[0], -0.1, 0.1), 0.0, 1.0])
    assert np.linalg.norm(p - axis_pt) == pytest.approx(0.05, abs=1e-9)
    t2, n2, _ = raycast_capsules(np.array([[0.3, 0.0, 1.0]]), np.array([[-1.0, 0.0, 0.0]]), [cap])
    assert t2[0] == pytest.approx(0.15) and np.allclose(n2[0], [1, 0, 0])  # the end cap, head-on


def test_nearest_of_two_capsules_wins():
    near = _cap([-0.1, 0, 0.5], [0.1, 0, 0.5], 0.02)
    far = _cap([-0.1, 0, 1.0], [0.1, 0, 1.0], 0.2)
    t, _, idx = raycast_capsules(np.zeros((1, 3)), np.array([[0.0, 0.0, 1.0]]), [far, near])
    assert idx[0] == 1 and t[0] == pytest.approx(0.48)


def test_capsule_mesh_is_closed_and_outward():
    import trimesh

    v, f, n = capsule_mesh([0, 0, 0], [0.03, 0.0, 0.0], 0.008)
    tm = trimesh.Trimesh(v, f, process=True)
    assert tm.is_watertight and tm.volume > 0
    exact = np.pi * 0.008**2 * 0.03 + 4 / 3 * np.pi * 0.008**3
    assert tm.volume == pytest.approx(exact, rel=0.05)
    centre = np.array([0.015, 0, 0])
    assert np.all(np.einsum("ij,ij->i", n, v - centre) > 0)
    v2, f2, _ = capsule_mesh([1, 2, 3], [1, 2, 4], 0.1)
    assert v2.shape == v.shape and f2.shape == f.shape  # fixed topology: updatable in place


def test_capsule_meshes_are_each_capsule_mesh_merged():
    import trimesh

    rng = np.random.default_rng(3)
    caps = [(rng.normal(size=3), rng.normal(size=3), 0.05 + rng.random()) for _ in range(6)]
    caps += [([0, 0, 0], [0, 0, 0], 0.1), ([0, 0, 0], [0.95, 0.1, 0.0], 0.1)]   # a sphere; an axis near x
    v, f, n = capsule_meshes(*zip(*caps))
    off = 0
    for k, (p0, p1, r) in enumerate(caps):
        vk, fk, nk = capsule_mesh(p0, p1, r)
        assert np.array_equal(v[off:off + len(vk)], vk) and np.array_equal(n[off:off + len(vk)], nk)
        assert np.array_equal(f[k * len(fk):(k + 1) * len(fk)], fk + off)
        assert trimesh.Trimesh(vk, fk, process=True).volume > 0      # each one closed and outward
        off += len(vk)
    assert off == len(v)
