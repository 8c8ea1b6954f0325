"""Differentiable refinement of the lighting (Mitsuba AD on the proxy skin): real renders, real photos."""

from __future__ import annotations

import numpy as np
import pytest

import jewelrender as jr
from jewelrender.camera import Camera, camera_from_photo
from jewelrender.color import linear_to_srgb8
from jewelrender.errors import InvalidOptionError
from jewelrender.lighting import EnvMap, estimate_lighting
from jewelrender.lighting.envmap import texel_directions
from jewelrender.lighting.photo_fit import key_lobe
from jewelrender.lighting.refine import refine_lighting
from jewelrender.sites.hand import place_ring


@pytest.fixture(scope="module")
def hand(data_dir, detector):
    photo = jr.load_photo(data_dir / "photos" / "hands" / "ringtryon_target_left.jpg")
    cam = camera_from_photo(photo)
    return photo, cam, place_ring(photo, detector.detect(photo)[0], cam)


def _render_truth(cam, placement, env: EnvMap, albedo, spp=64) -> np.ndarray:
    """The proxies under ``env`` rendered by Mitsuba's path tracer (the backend's own variant)."""
    import mitsuba as mi

    from jewelrender import backend
    from jewelrender.sites.proxies import capsule_mesh

    backend.select()
    shapes = {}
    for i, c in enumerate(placement.proxies):
        v, f, _ = capsule_mesh(c.p0, c.p1, c.radius)
        props = mi.Properties()
        props["bsdf"] = mi.load_dict({"type": "diffuse", "reflectance": {"type": "rgb", "value": list(albedo)}})
        m = mi.Mesh(f"c{i}", len(v), len(f), props=props)
        p = mi.traverse(m)
        p["vertex_positions"] = mi.Float(np.asarray(v, np.float32).ravel())
        p["faces"] = mi.UInt32(np.asarray(f, np.uint32).ravel())
        p.update()
        shapes[f"c{i}"] = m
    fov = float(np.degrees(2 * np.arctan(cam.width / (2 * cam.fx))))
    scene = mi.load_dict({
        "type": "scene", "integrator": {"type": "path", "max_depth": 2},
        "sensor": {"type": "perspective", "fov": fov, "fov_axis": "x",
                   "to_world": mi.ScalarTransform4f().look_at(origin=[0, 0, 0], target=[0, 0, 1], up=[0, -1, 0]),
                   "film": {"type": "hdrfilm", "width": cam.width, "height": cam.height, "pixel_format": "rgb"},
                   "sampler": {"type": "independent", "sample_count": spp}},
        "env": env.to_mitsuba(), **shapes})
    return np.array(mi.render(scene, seed=3), dtype=np.float64)


def test_refinement_moves_towards_a_known_truth(hand):
    """Synthetic photo from a known map; refinement starts from a wrong one and must move towards it."""
    _, cam_full, pl = hand
    s = 0.25
    cam = Camera(round(cam_full.width * s), round(cam_full.height * s), cam_full.fx * s, cam_full.fy * s,
                 cam_full.cx * s, cam_full.cy * s, cam_full.focal_35mm, "explicit")
    d = texel_directions(32, 64)
    key_dir = np.array([-0.5, -0.6, -0.6])
    key_dir /= np.linalg.norm(key_dir)                     # upper left, on the camera's side
    room = np.broadcast_to((0.10 + 0.05 * (-d[..., 1:2])) * np.array([1.0, 0.95, 0.9]), d.shape)
    key = key_lobe(d, key_dir, 8.0)[..., None] * np.array([2.0, 2.0, 2.0])
    albedo = np.array([0.5, 0.35, 0.27])
    truth = EnvMap((room + key).astype(np.float32))
    photo = jr.load_photo(linear_to_srgb8(_render_truth(cam, pl, truth, albedo)))

    # Start with the room 2x too dark and the key 2x too bright.
    start = EnvMap((0.5 * room + 2.0 * key).astype(np.float32))
    env, alb, info = refine_lighting(photo, cam, pl, start, albedo, iterations=40,
                                     key_part=(2.0 * key).astype(np.float32))
    assert info["loss_after"] < 0.7 * info["loss_before"], info
    assert info["seconds"] > 0 and info["iterations"] == 40 and info["pixels"] > 100
    # Albedo and light trade off; what the photo fixes is their product, the skin's shading
    # albedo x E(n) / pi over the normals the camera sees. Its error must shrink...
    from jewelrender.lighting.photo_fit import skin_samples

    n = skin_samples(photo, cam, pl)["normal"]
    shade = lambda e, a: a[None, :] * e.irradiance(n) / np.pi
    err = lambda e, a: float(np.sqrt(np.mean((shade(e, a) / shade(truth, albedo) - 1.0) ** 2)))
    assert err(env, alb) < 0.5 * err(start, albedo), (err(env, alb), err(start, albedo))
    # ... and the key light, which dominates that shading, must move from 2x towards 1x.
    key_prod = float(np.mean(info["key_gain"])) * float(np.exp(np.mean(np.log(alb / albedo))))
    assert abs(np.log(2.0 * key_prod)) < 0.5 * np.log(2.0), (info["key_gain"], alb)


def test_refinement_on_a_real_photo_lowers_the_loss(hand):
    photo, cam, pl = hand
    off = estimate_lighting(photo, cam, pl, env_height=32, refine=0)
    on = estimate_lighting(photo, cam, pl, env_height=32, refine=True)
    assert off.info["refine"] is None
    r = on.info["refine"]
    assert set(r) >= {"loss_before", "loss_after", "iterations", "seconds"}
    assert r["loss_after"] < r["loss_before"], r
    assert r["iterations"] > 0 and r["pixels"] > 100
    # The rest of the estimate is the closed-form fit's: same key direction, and the variant is restored.
    assert on.info["key_direction"] == off.info["key_direction"]
    import mitsuba as mi

    from jewelrender import backend

    assert mi.variant() == backend.current()
    assert on.env.shape == off.env.shape and np.all(np.isfinite(on.env.radiance))


def test_refine_option_is_validated(hand):
    photo, cam, pl = hand
    with pytest.raises(InvalidOptionError):
        refine_lighting(photo, cam, pl, EnvMap(np.ones((8, 16, 3), np.float32)), [0.5, 0.4, 0.3], iterations=-1)
    with pytest.raises(InvalidOptionError):
        estimate_lighting(photo, cam, pl, refine="yes")
