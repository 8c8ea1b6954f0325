"""Stage 5b: render a :class:`~jewelrender.scene.SceneSpec` with Mitsuba.

One pass of a custom integrator (``jewelrender_tryon``) gives every layer that
differential rendering (Debevec 1998) needs, per pixel of the crop:

``jewel``   premultiplied radiance of the jewelry where it is the first thing seen
            (a full spectral path trace: the metal reflects the environment and the
            finger, the stone refracts with dispersion);
``alpha``   coverage of the jewelry (anti-aliased: the fraction of pixel samples
            whose first hit is the piece, in front of the finger);
``lit_with`` / ``lit_without``
            the proxy skin's direct lighting from the environment with and without
            the piece in the way; their ratio is the shadow the piece casts;
``proxy``   coverage of the body proxy.
``stone``   coverage of the piece's non-metal parts (the first hit's BSDF transmits
            or is diffuse: gems, pearls, opaque stones), so the quality score can
            judge the metal on its own.

The "is the first hit the piece?" test uses a second scene holding only the
piece, and "what would the skin see without the piece?" a third holding only the
proxies, so no shape ids or BSDF flags are needed to tell them apart.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["RenderLayers", "render_layers", "register_integrator", "mitsuba_mesh"]

_registered: set[str] = set()


@dataclass
class RenderLayers:
    """Linear render layers of the crop, each ``(h, w)`` or ``(h, w, 3)`` float32."""

    jewel: np.ndarray
    alpha: np.ndarray
    lit_with: np.ndarray
    lit_without: np.ndarray
    proxy: np.ndarray
    stone: np.ndarray

    @property
    def metal(self) -> np.ndarray:
        """Coverage of the piece's metal (``alpha`` less ``stone``)."""
        return np.clip(self.alpha - self.stone, 0.0, 1.0)


def register_integrator() -> None:
    """Register ``jewelrender_tryon`` for the active Mitsuba variant (idempotent)."""
    import mitsuba as mi

    v = mi.variant()
    if v in _registered:
        return

    import drjit as dr

    class TryOnIntegrator(mi.SamplingIntegrator):
        def __init__(self, props):
            super().__init__(props)
            self.max_depth = props.get("max_depth", 12)
            # hero_path: Mitsuba's path tracer plus the once-per-path x4 weight that a
            # dispersive refraction (hero wavelength only) needs; see bsdfs.py.
            self.path = mi.load_dict({"type": "hero_path", "max_depth": self.max_depth, "rr_depth": 6,
                                      "medium_clamp": props.get("medium_clamp", float("inf"))})
            self.jewel_scene = None
            self.proxy_scene = None

        def aov_names(self):
            return ["alpha", "lit_with", "lit_without", "proxy", "stone"]

        def sample(self, scene, sampler, ray, medium=None, active=True):
            # OptiX cannot trace two scenes (two shader binding tables) in one kernel:
            # on CUDA each scene's queries are evaluated before the next scene's start.
            # On the CPU the split would only add kernel launches.
            split = dr.backend_v(mi.Float) == dr.JitBackend.CUDA
            si = scene.ray_intersect(ray, active)
            if split:
                dr.eval(si, ray)
            sij = self.jewel_scene.ray_intersect(ray, active)
            jewel = sij.is_valid() & (sij.t <= si.t * (1.0 + 1e-5))
            if split:
                dr.eval(jewel)
            # Paths are traced only where the camera sees the piece: elsewhere L is thrown away (the skin's
            # light comes from the photo), and tracing skin paths there cost ~2/3 of a ring's preview kernel.
            L, valid, _ = self.path.sample(scene, sampler, ray, medium, active & jewel)
            if split:
                dr.eval(L, valid)
            # Metals reflect only (conductors, rough or not); anything that transmits or
            # scatters diffusely is a stone.
            flags = sij.bsdf(ray).flags()
            stone = jewel & (mi.has_flag(flags, mi.BSDFFlags.Transmission) | mi.has_flag(flags, mi.BSDFFlags.Diffuse))
            if split:
                dr.eval(jewel, stone)
            proxy = si.is_valid() & ~jewel
            # The skin's light comes from the environment (the body emits only so that
            # the piece can reflect it): sample the environment alone.
            ds, em_w = scene.environment().sample_direction(si, sampler.next_2d(proxy), proxy)
            cos_n = dr.maximum(dr.dot(si.sh_frame.n, ds.d), 0.0)
            shadow_ray = si.spawn_ray(ds.d)
            seen_with = ~scene.ray_test(shadow_ray, proxy)
            if split:
                dr.eval(seen_with, shadow_ray, em_w, cos_n)
            seen_without = ~self.proxy_scene.ray_test(shadow_ray, proxy)
            y = mi.luminance(em_w, si.wavelengths) * cos_n
            zero = mi.Float(0.0)
            aovs = [
                dr.select(jewel, 1.0, zero),
                dr.select(proxy & seen_with, y, zero),
                dr.select(proxy & seen_without, y, zero),
                dr.select(proxy, 1.0, zero),
                dr.select(stone, 1.0, zero),
            ]
            return dr.select(jewel, L, 0.0), dr.select(jewel, valid, active), aovs

        def to_string(self):
            return f"TryOnIntegrator[max_depth={self.max_depth}]"

    mi.register_integrator("jewelrender_tryon", lambda props: TryOnIntegrator(props))
    _registered.add(v)


def _key(prefix: str, i: int, name: str) -> str:
    # Mitsuba reserves '.' in object keys for parameter paths.
    return f"{prefix}{i}_" + "".join(ch if ch.isalnum() else "_" for ch in name)


def _mesh(mi, m, *, emit: bool = True) -> object:
    from .library.materials import prepare_for_mitsuba

    props = mi.Properties()
    props["bsdf"] = mi.load_dict(prepare_for_mitsuba(m.bsdf))
    if getattr(m, "interior", None) is not None:
        props["interior"] = mi.load_dict(m.interior)
    if emit and m.emission is not None:
        props["emitter"] = mi.load_dict({"type": "area", "radiance": {
            "type": "bitmap", "bitmap": mi.Bitmap(m.emission), "filter_type": "bilinear", "wrap_mode": "clamp"}})
    mesh = mi.Mesh(m.name, len(m.vertices), len(m.faces), props=props, has_vertex_normals=m.normals is not None,
                   has_vertex_texcoords=m.texcoords is not None)
    params = mi.traverse(mesh)
    params["vertex_positions"] = mi.Float(np.ascontiguousarray(m.vertices, np.float32).ravel())
    params["faces"] = mi.UInt32(np.ascontiguousarray(m.faces, np.uint32).ravel())
    if m.normals is not None:
        params["vertex_normals"] = mi.Float(np.ascontiguousarray(m.normals, np.float32).ravel())
    if m.texcoords is not None:
        params["vertex_texcoords"] = mi.Float(np.ascontiguousarray(m.texcoords, np.float32).ravel())
    params.update()
    return mesh


def _shapes(mi, key: str, m, *, emit: bool = True) -> dict:
    """Scene-dict entries for one SceneMesh: the mesh, or a shapegroup and one instance per transform."""
    if m.instances is None:
        return {key: _mesh(mi, m, emit=emit)}
    out = {f"{key}_group": {"type": "shapegroup", "mesh": _mesh(mi, m, emit=emit)}}
    for i, T in enumerate(m.instances):
        out[f"{key}_i{i}"] = {"type": "instance", "group": {"type": "ref", "id": f"{key}_group"},
                              "to_world": mi.ScalarTransform4f(np.asarray(T, np.float64))}
    return out


def mitsuba_mesh(mi, m, *, emit: bool = True) -> object:
    """A :class:`~jewelrender.scene.SceneMesh` as a Mitsuba mesh with its BSDF (and interior, emission)."""
    return _mesh(mi, m, emit=emit)


def _sensor(mi, spec) -> dict:
    """The photo's pinhole camera, filming only the crop, at ``supersample`` x the photo's resolution.

    The film is the crop itself (no ``crop_offset``): the crop's frustum is set by the field of view and
    the principal point, which Mitsuba's perspective camera keeps opaque, while a film's size and offset
    are literals in the render kernel. With the crop's place in the film, every new photo compiled the
    ~8k-operation kernel again (~2 s on 2 cores); now a crop size seen before (sizes are rounded to
    ``crop_multiple``) reuses its kernel, from memory or from Dr.Jit's disk cache."""
    k = spec.supersample
    c = spec.crop
    fov_x = float(np.degrees(2.0 * np.arctan(c.width / (2.0 * spec.fx))))
    sensor = {
        "type": "perspective",
        "fov": fov_x,
        "fov_axis": "x",
        "near_clip": 1e-3,
        "far_clip": 100.0,
        # OpenCV camera frame: looking down +z with image-down = +y.
        "to_world": mi.ScalarTransform4f().look_at(origin=[0, 0, 0], target=[0, 0, 1], up=[0, -1, 0]),
        "film": {
            "type": "hdrfilm",
            "width": c.width * k,
            "height": c.height * k,
            "pixel_format": "rgb",
            # One sample per sub-pixel with a box filter: each sample lands in exactly
            # one film pixel, so no two threads add into the same pixel and the result
            # does not depend on thread timing (bit-identical output for a seed).
            "rfilter": {"type": "box"},
        },
        "sampler": {"type": "independent", "sample_count": 1},
        # Where the crop's centre lies from the principal point, in crop widths/heights (Mitsuba shifts the
        # image by minus the offset; checked against the full-film render: max 2 levels apart, sampling).
        # Always given, even when 0, so that every crop has the same kernel structure.
        "principal_point_offset_x": (c.x + c.width / 2.0 - spec.cx) / c.width,
        "principal_point_offset_y": (c.y + c.height / 2.0 - spec.cy) / c.height,
    }
    return sensor


#: Largest sample a path may bring back after scattering inside a stone, in units of the
#: environment's mean luminance (see ``medium_clamp`` in :mod:`jewelrender.bsdfs`).
MEDIUM_CLAMP_X_ENV_MEAN = 4.0


def medium_clamp(env) -> float:
    """The firefly clamp for translucent stones under ``env`` (an EnvMap)."""
    rad = np.asarray(env.radiance, dtype=np.float64)
    lum = rad @ np.array([0.2126, 0.7152, 0.0722])
    return float(MEDIUM_CLAMP_X_ENV_MEAN * max(lum.mean(), 1e-6))


def render_layers(spec, *, seed: int = 0) -> RenderLayers:
    """Render the crop of ``spec`` and return its layers (needs an active variant).

    Bit-identical for a given ``seed`` on a given variant and machine (see the
    film set-up in :func:`_sensor`).
    """
    import gc

    import mitsuba as mi

    from .errors import RenderError

    register_integrator()
    # Scenes of earlier renders that only a reference cycle keeps alive stay in Mitsuba's instance
    # registry, and a kernel's virtual calls are traced for every registered instance: freed first, a
    # photo seen before reuses its compiled kernel (benchmarks/bench_new_photos.py).
    gc.collect()
    try:
        jewel = {}
        for i, m in enumerate(spec.jewel):
            jewel.update(_shapes(mi, _key("j", i, m.name), m))
        proxies = {_key("p", i, m.name): _mesh(mi, m) for i, m in enumerate(spec.proxies)}
        scene = mi.load_dict({
            "type": "scene",
            "integrator": {"type": "jewelrender_tryon", "max_depth": spec.max_depth,
                           "medium_clamp": medium_clamp(spec.env) if any(m.interior for m in spec.jewel)
                           else float("inf")},
            "sensor": _sensor(mi, spec),
            "env": spec.env.to_mitsuba(),
            **jewel,
            **proxies,
        })
        integrator = scene.integrator()
        jewel_only = {}
        for i, m in enumerate(spec.jewel):
            jewel_only.update(_shapes(mi, _key("j", i, m.name), m, emit=False))
        integrator.jewel_scene = mi.load_dict({"type": "scene", **jewel_only})
        integrator.proxy_scene = mi.load_dict({"type": "scene",
                                               **{k: _mesh(mi, m, emit=False) for k, m in zip(proxies, spec.proxies)}})
        acc = None
        for p in range(spec.passes):
            img = np.array(mi.render(scene, spp=1, seed=seed * 7919 + p), dtype=np.float64)
            acc = img if acc is None else acc + img
    except (RuntimeError, ValueError, TypeError) as exc:
        raise RenderError(f"the renderer failed: {exc}") from exc
    k = spec.supersample
    h, w = spec.crop.height, spec.crop.width
    # The camera's pixel is the average of its k x k sub-pixels (a box filter over its footprint).
    img = (acc.reshape(h, k, w, k, -1).mean(axis=(1, 3)) / spec.passes).astype(np.float32)
    if img.shape[-1] < 8 or not np.all(np.isfinite(img)):
        raise RenderError(f"the renderer returned an invalid image (shape {img.shape})")
    return RenderLayers(
        jewel=np.maximum(img[..., :3], 0.0),
        alpha=np.clip(img[..., 3], 0.0, 1.0),
        lit_with=np.maximum(img[..., 4], 0.0),
        lit_without=np.maximum(img[..., 5], 0.0),
        proxy=np.clip(img[..., 6], 0.0, 1.0),
        stone=np.clip(img[..., 7], 0.0, 1.0),
    )
