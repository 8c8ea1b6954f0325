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

import threading
from dataclasses import dataclass

import numpy as np

__all__ = ["RenderLayers", "render_layers", "register_integrator", "mitsuba_mesh", "merged_meshes", "jit_array",
           "later_passes_pixels", "ray_test_scene"]

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


#: Byte alignment of the arrays handed to Dr.Jit (see :func:`jit_array`).
JIT_ALIGN = 64


def jit_array(array_type, values: np.ndarray):
    """``array_type`` (``mi.Float``, ``mi.UInt32``) holding ``values`` flattened, from a copy aligned to
    :data:`JIT_ALIGN` bytes.

    On the LLVM backend Dr.Jit uses NumPy's memory as it is, and a buffer that is not 32-byte aligned gets
    one scalar gather per component where an aligned one gets a packet gather: another kernel. Where NumPy
    put a mesh's texture coordinates decided whether a render compiled again (benchmarks/bench_new_photos.py:
    a warm repeat of the same photo recompiled ~2 s in about half the cases)."""
    values = np.ascontiguousarray(values).ravel()
    buf = np.empty(values.nbytes + JIT_ALIGN, np.uint8)
    start = (-buf.ctypes.data) % JIT_ALIGN
    out = buf[start:start + values.nbytes].view(values.dtype)
    out[...] = values
    return array_type(out)


class _KeptObject:
    """One Mitsuba object kept for the same variant and the same arrays (compared value by value, so other
    data gets its own object). A new one replaces it, made after the old one is dropped, so at most one is
    ever alive: a render's kernel has every live Mitsuba object in it, and a second would be another
    kernel, compiled again."""

    def __init__(self):
        self._lock = threading.Lock()
        self._key: tuple | None = None
        self._obj = None

    def get(self, variant: str, arrays: tuple[np.ndarray, ...], make):
        with self._lock:
            key = self._key
            if (key is not None and key[0] == variant and len(key[1]) == len(arrays)
                    and all(np.array_equal(a, b) for a, b in zip(key[1], arrays))):
                return self._obj
            self._key = self._obj = None  # the old object goes before the new one is made
            obj = make()
            self._key, self._obj = (variant, tuple(a.copy() for a in arrays)), obj
            return obj


_ray_test = _KeptObject()
_body_texture = _KeptObject()


def ray_test_scene(mi, vertices: np.ndarray, faces: np.ndarray):
    """A Mitsuba scene of one mesh (``vertices`` (N, 3), ``faces`` (M, 3)), for ray tests only.

    The body proxies are ray-tested twice a try-on: by the lighting's refinement (the skin's shadows)
    and by the render (the skin's light without the piece), and building the scene's ray-tracing
    structure cost ~3 us a triangle on the 2-core machine (~0.05 s for a hand's 14,400). The last scene
    is kept (:class:`_KeptObject`) and returned again for the same variant and the same triangles.
    """
    v = np.ascontiguousarray(vertices, np.float32)
    f = np.ascontiguousarray(faces, np.uint32)

    def make():
        mesh = mi.Mesh("proxies", len(v), len(f))
        p = mi.traverse(mesh)
        p["vertex_positions"] = jit_array(mi.Float, v)
        p["faces"] = jit_array(mi.UInt32, f)
        p.update()
        return mi.load_dict({"type": "scene", "proxies": mesh})

    return _ray_test.get(mi.variant(), (v, f), make)


def body_texture(mi, emission: np.ndarray):
    """The body's emission texture (``emission`` (h, w, 3) linear radiance, what the metal mirrors) as a
    Mitsuba bitmap texture.

    In a spectral variant Mitsuba converts every texel to its spectral model's coefficients when the
    texture is made: ~0.045 s wall (0.056 CPU s) for a photo's 768^2 texture, on every render. The last
    texture is kept (:class:`_KeptObject`) and returned again for the same variant and the same texels."""
    e = np.ascontiguousarray(emission, np.float32)
    return _body_texture.get(mi.variant(), (e,), lambda: mi.load_dict({
        "type": "bitmap", "bitmap": mi.Bitmap(np.array(e, copy=True)),  # writable: mi.Bitmap refuses read-only arrays
        "filter_type": "bilinear", "wrap_mode": "clamp"}))


def _mesh(mi, m, *, emit: bool = True) -> object:
    from .library.materials import prepare_for_mitsuba

    props = mi.Properties()
    props["bsdf"] = mi.load_dict(prepare_for_mitsuba(m.bsdf))
    if getattr(m, "interior", None) is not None:
        props["interior"] = mi.load_dict(m.interior)
    if emit and m.emission is not None:
        props["emitter"] = mi.load_dict({"type": "area", "radiance": body_texture(mi, m.emission)})
    mesh = mi.Mesh(m.name, len(m.vertices), len(m.faces), props=props, has_vertex_normals=m.normals is not None,
                   has_vertex_texcoords=m.texcoords is not None)
    params = mi.traverse(mesh)
    params["vertex_positions"] = jit_array(mi.Float, np.asarray(m.vertices, np.float32))
    params["faces"] = jit_array(mi.UInt32, np.asarray(m.faces, np.uint32))
    if m.normals is not None:
        params["vertex_normals"] = jit_array(mi.Float, np.asarray(m.normals, np.float32))
    if m.texcoords is not None:
        params["vertex_texcoords"] = jit_array(mi.Float, np.asarray(m.texcoords, np.float32))
    params.update()
    return mesh


def _same(a, b) -> bool:
    """Deep equality of scene-dict values (arrays by content, other objects by identity)."""
    if a is b:
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and np.array_equal(a, b)
    if isinstance(a, (str, int, float, bool)) and isinstance(b, (str, int, float, bool)):
        return type(a) is type(b) and a == b
    return False


def _same_material(a, b) -> bool:
    return (a.role == b.role and a.emission is None and b.emission is None and _same(a.bsdf, b.bsdf)
            and _same(a.interior, b.interior) and (a.texcoords is None) == (b.texcoords is None)
            and (a.normals is None) == (b.normals is None))


def _baked(m):
    """An instanced SceneMesh as one mesh: every copy's triangles in the camera frame."""
    if m.instances is None:
        return m
    import dataclasses

    T = np.asarray(m.instances, np.float64)
    v = np.asarray(m.vertices, np.float64)
    verts = (np.einsum("kij,nj->kni", T[:, :3, :3], v) + T[:, None, :3, 3]).reshape(-1, 3)
    nrm = None
    if m.normals is not None:
        R = T[:, :3, :3] / np.linalg.norm(T[:, :3, 0], axis=1)[:, None, None]
        nrm = np.einsum("kij,nj->kni", R, np.asarray(m.normals, np.float64)).reshape(-1, 3).astype(np.float32)
    faces = (np.asarray(m.faces, np.int64)[None] + (np.arange(len(T)) * len(v))[:, None, None]).reshape(-1, 3)
    uv = None if m.texcoords is None else np.tile(np.asarray(m.texcoords, np.float32), (len(T), 1))
    return dataclasses.replace(m, vertices=verts.astype(np.float32), faces=faces.astype(np.uint32), normals=nrm,
                               texcoords=uv, instances=None)


def merged_meshes(meshes: list) -> list:
    """The piece's meshes as few Mitsuba shapes: instanced copies baked into one mesh, and parts of one
    material (same BSDF, interior, attributes) joined. On the JIT backends every shape and BSDF object
    is traced as its own callable of the render kernel (a 255-link chain as instances: a 108k-op kernel,
    4 s of code generation a render); a mesh of 122k triangles costs the ray tracer nothing more."""
    import dataclasses

    out: list = []
    for m in (_baked(x) for x in meshes):
        for i, o in enumerate(out):
            if _same_material(o, m):
                off = len(o.vertices)
                out[i] = dataclasses.replace(
                    o, name=o.name if o.name == m.name else f"{o.name}+{m.name}",
                    vertices=np.concatenate([o.vertices, m.vertices]).astype(np.float32),
                    faces=np.concatenate([o.faces.astype(np.int64), m.faces.astype(np.int64) + off]).astype(np.uint32),
                    normals=None if o.normals is None else np.concatenate([o.normals, m.normals]).astype(np.float32),
                    texcoords=None if o.texcoords is None else np.concatenate([o.texcoords, m.texcoords]))
                break
        else:
            out.append(m)
    return out


def mitsuba_mesh(mi, m, *, emit: bool = True) -> object:
    """A :class:`~jewelrender.scene.SceneMesh` as a Mitsuba mesh with its BSDF (and interior, emission)."""
    return _mesh(mi, m, emit=emit)


#: The camera's near and far clip (m): the scene's sensor's, and the render's rays' (:func:`_camera_rays`).
NEAR_CLIP, FAR_CLIP = 1e-3, 100.0


def _sensor(mi, spec) -> dict:
    """The photo's pinhole camera, filming only the crop, at ``supersample`` x the photo's resolution.

    The film is the crop itself (no ``crop_offset``): the crop's frustum is set by the field of view and
    the principal point. :func:`render_layers` does not trace through it (:func:`_camera_rays` makes the
    same rays with nothing crop-specific in the kernel); the scene keeps it for its sampler and for
    :func:`mitsuba.render` (:data:`LEGACY_FILM_RENDER`)."""
    k = spec.supersample
    c = spec.crop
    fov_x = float(np.degrees(2.0 * np.arctan(c.width / (2.0 * spec.fx))))
    sensor = {
        "type": "perspective",
        "fov": fov_x,
        "fov_axis": "x",
        "near_clip": NEAR_CLIP,
        "far_clip": FAR_CLIP,
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


def _camera_rays(mi, sensor, spec, film_pos, wavelength_sample):
    """The photo camera's rays through ``film_pos`` (sub-pixels of the crop's film, (0, 0) its top-left
    corner) and their spectral weights: what ``sensor.sample_ray`` gives for the same sample (the crop's
    frustum of :func:`_sensor`), from the pinhole's intrinsics.

    Mitsuba's perspective camera computes its sample-to-camera transform inside the render kernel from the
    film's size and crop, which are literals there: every crop size compiled its own ~8k-operation kernel
    (~2-5 s of LLVM on 2 cores). Here the intrinsics and the crop's place are opaque, so one kernel serves
    every photo and crop."""
    import drjit as dr

    c, k = spec.crop, spec.supersample
    # camera-frame direction (OpenCV axes; square pixels, as the sensor's field of view assumes):
    # ((photo x - cx) / fx, (photo y - cy) / fx, 1), photo x = crop x + film x / k
    step = dr.opaque(mi.Float, 1.0 / (k * spec.fx))
    ox = dr.opaque(mi.Float, (c.x - spec.cx) / spec.fx)
    oy = dr.opaque(mi.Float, (c.y - spec.cy) / spec.fx)
    d = dr.normalize(mi.Vector3f(dr.fma(film_pos.x, step, ox), dr.fma(film_pos.y, step, oy), 1.0))
    # the sensor's clipping planes, as Mitsuba's perspective camera applies them
    inv_z = dr.rcp(d.z)
    o = mi.Point3f(d * (NEAR_CLIP * inv_z))
    if mi.is_spectral:
        wavelengths, weight = sensor.sample_wavelengths(dr.zeros(mi.SurfaceInteraction3f), wavelength_sample)
        ray = mi.RayDifferential3f(o=o, d=d, time=0.0, wavelengths=wavelengths)
    else:
        ray, weight = mi.RayDifferential3f(o=o, d=d, time=0.0), mi.Spectrum(1.0)
    ray.maxt = (FAR_CLIP - NEAR_CLIP) * inv_z
    return ray, weight


def _trace(mi, scene, spec, seed: int, grid, n: int, first_pass: int = 0, *, pixel_sums=None,
           m: int | None = None) -> np.ndarray:
    """(8, n) float64: the mean over ``spec.passes`` passes of sample ``i``'s RGB and five AOVs, sample ``i``
    at film position ``grid[i]`` + a uniform 2D sample (sub-pixels of the crop's film): what
    :func:`mitsuba.render` computes for a film pixel with one sample and a box filter (same sampler seed,
    same draws in the same order), with the camera rays of :func:`_camera_rays`, so crops of any size
    and place share one compiled kernel.

    With ``pixel_sums`` (a layer's samples -> its ``m`` pixels' sums, Float64, in Dr.Jit), (8, m): the mean
    over the passes of each pixel's sum over its sub-pixels."""
    import drjit as dr

    sensor = scene.sensors()[0]
    integrator = scene.integrator()
    spectral = mi.is_spectral
    # One contiguous row per layer: adding into the strided columns of an (n, 8) array cost ~0.07 s of a
    # preview render (1.1M samples) on the loaded 2-core machine.
    acc = None
    for p in range(first_pass, first_pass + spec.passes):
        sampler = sensor.sampler().fork()
        sampler.seed(seed * 7919 + p, n)
        pos = grid + sampler.next_2d()
        wav = sampler.next_1d() if spectral else mi.Float(0.0)
        ray, weight = _camera_rays(mi, sensor, spec, pos, wav)
        L, valid, aovs = integrator.sample(scene, sampler, ray, None, mi.Bool(True))
        L = mi.unpolarized_spectrum(weight * L)
        rgb = mi.spectrum_to_srgb(L, ray.wavelengths) if spectral else mi.Color3f(L)
        dr.eval(rgb, *aovs)
        out = (rgb[0], rgb[1], rgb[2], *aovs)
        if pixel_sums is not None:
            out = [pixel_sums(a) for a in out]
            dr.eval(out)
        # Each layer converted to double as it is copied in (no float32 stack first: ~1/3 of the copying).
        layers = np.empty((8, n if pixel_sums is None else m))
        for i, a in enumerate(out):
            layers[i] = np.asarray(a).reshape(-1)
        if acc is None:
            acc = layers
        else:
            acc += layers
    if spec.passes > 1:
        acc /= spec.passes
    return acc


def _render_film(mi, scene, spec, seed: int) -> np.ndarray:
    """The whole crop, ``k`` x ``k`` sub-pixels of one sample each, ``passes`` passes, sample ``i`` at film
    pixel ``(i % width, i // width)`` as :func:`mitsuba.render` orders them (the same random numbers per
    sub-pixel), the film's width opaque. Returns (h, w, 8) float32."""
    import drjit as dr

    k = spec.supersample
    h, w = spec.crop.height, spec.crop.width
    fw, fh = w * k, h * k
    n = fw * fh
    idx = dr.arange(mi.UInt32, n)
    width = dr.opaque(mi.UInt32, fw)
    y = idx // width
    # The camera's pixel is the average of its k x k sub-pixels (a box filter over its footprint), summed in
    # Dr.Jit in double: copying every sample out and averaging in NumPy cost ~0.05 s of a preview render
    # (1.1M samples; 0.013 s this way), with the same float32 result (the sums are in double either way).
    wo = dr.opaque(mi.UInt32, w)
    j = dr.arange(mi.UInt32, h * w)
    py = j // wo
    px = j - py * wo

    def pixel_sums(a):
        rows = dr.block_reduce(dr.ReduceOp.Add, mi.Float64(a), k)  # (fh, w): each pixel's k sub-pixels of a row
        total = mi.Float64(0.0)
        for r in range(k):
            total += dr.gather(mi.Float64, rows, (py * k + r) * wo + px)
        return total

    acc = _trace(mi, scene, spec, seed, mi.Point2f(mi.Float(idx - y * width), mi.Float(y)), n,
                 pixel_sums=pixel_sums, m=h * w)
    return np.ascontiguousarray((acc / (k * k)).reshape(8, h, w).astype(np.float32).transpose(1, 2, 0))


def _render_pixels(mi, scene, spec, seed: int, first_pass: int = 0) -> np.ndarray:
    """Only the crop's pixels in ``spec.pixels`` (an (h, w) bool mask), each as k x k jittered sub-pixel
    samples and ``passes`` passes, as :func:`mitsuba.render` samples the film (one sample per
    sub-pixel, a box filter); the other pixels are zero in every layer. For a piece that covers a
    small share of its crop (a necklace's thin curve across the chest): the samples are spent where
    it and its shadow are. The same seed gives the same image."""
    import drjit as dr

    k = spec.supersample
    h, w = spec.crop.height, spec.crop.width
    ys, xs = np.nonzero(np.asarray(spec.pixels, bool))
    out = np.zeros((h, w, 8), np.float32)
    if not len(xs):
        return out
    m = k * k
    n = len(xs) * m
    # Sample i is sub-pixel i % m of pixel i // m, computed in the kernel: the pixels are gathered, so
    # the kernel does not depend on where NumPy put them (an aligned or unaligned load is another kernel).
    px, py = jit_array(mi.Float, xs.astype(np.float32)), jit_array(mi.Float, ys.astype(np.float32))
    idx = dr.arange(mi.UInt32, n)
    pix, sub = idx // m, idx % m
    grid = mi.Point2f(dr.gather(mi.Float, px, pix) * k + mi.Float(sub % k),
                      dr.gather(mi.Float, py, pix) * k + mi.Float(sub // k))
    # the camera's pixel is the mean of its k x k sub-pixels (samples are grouped by pixel), summed in Dr.Jit
    # in double (see _render_film)
    acc = _trace(mi, scene, spec, seed, grid, n, first_pass,
                 pixel_sums=lambda a: dr.block_reduce(dr.ReduceOp.Add, mi.Float64(a), m), m=len(xs))
    out[ys, xs] = (acc / m).astype(np.float32).T
    return out


#: After the first pass over the whole crop, the further passes of a multi-pass render (final quality)
#: go only where the first saw the piece or its shadow, grown by this many pixels: thin prongs that 64
#: samples missed, and the penumbra's faint edge (without it the skin round the ring came out ~1 level
#: brighter on average: pixels whose first pass happened to see no shadow kept that estimate).
LATER_PASSES_GROW_PX = 2


def later_passes_pixels(first: np.ndarray) -> np.ndarray:
    """(h, w) bool: where a render's further passes are needed, from its first pass's layers ``first``
    ((h, w, 8): RGB, alpha, lit_with, lit_without, proxy, stone): where any sample hit the piece or the
    piece shadowed the skin, grown by :data:`LATER_PASSES_GROW_PX`. Elsewhere every sample of the first
    pass saw the body or the background unshadowed: more samples there would only average the shadow
    layers' ratio of 1 and the render's zero coverage."""
    import cv2

    need = (first[..., 3] > 0) | (first[..., 4] != first[..., 5])
    r = LATER_PASSES_GROW_PX
    return cv2.dilate(need.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1,) * 2)) > 0


def _render_passes(mi, scene, spec, seed: int) -> np.ndarray:
    """The whole crop: the first pass everywhere (:func:`_render_film`), the others only at
    :func:`later_passes_pixels` (:func:`_render_pixels`). A ring covers a few per cent of its crop, and
    the kernel's cost per sample on the skin around it (the primary and the shadow rays of the layers)
    was most of a final render's (4 passes of 64 samples a pixel)."""
    import dataclasses

    img = _render_film(mi, scene, dataclasses.replace(spec, passes=1), seed)
    if spec.passes > 1:
        where = later_passes_pixels(img)
        if where.any():
            rest = _render_pixels(mi, scene, dataclasses.replace(spec, passes=spec.passes - 1, pixels=where), seed,
                                  first_pass=1)
            img[where] = (img[where] + (spec.passes - 1) * rest[where]) / spec.passes
    return img


#: Render the whole crop with :func:`mitsuba.render` (its kernel bakes in the film's size and place)
#: instead of :func:`_render_film`: the reference the tests compare the two with (same coverage to the
#: sample, radiance equal but for float rounding; tests/test_render_layers.py).
LEGACY_FILM_RENDER = False


def render_layers(spec, *, seed: int = 0) -> RenderLayers:
    """Render the crop of ``spec`` and return its layers (needs an active variant).

    Bit-identical for a given ``seed`` on a given variant and machine (see the
    film set-up in :func:`_sensor`). Every crop size and place, photo and repeat launches the same
    compiled kernel (:func:`_camera_rays`, :func:`jit_array`).
    """
    import mitsuba as mi

    from .errors import RenderError

    register_integrator()
    meshes = merged_meshes(spec.jewel)
    # Every live Mitsuba object of a kind (emitter, BSDF, shape) is a callable of the render kernel: a
    # previous render's scene left alive would make the next kernel a different one, compiled again
    # (5-6 s on 2 cores). The scenes hold no reference cycles (the integrator's links to its other scenes
    # are cut below), so they go with their last reference; a full gc.collect() here cost 0.1-0.2 s a
    # render in a service's heap (tests/test_render_layers.py checks that repeats share the kernel).
    integrator = None
    try:
        # The proxies are only ray-tested there: the scene the lighting's refinement built for the same body
        # (ray_test_scene), else made now, before the render's other objects as it was in the lighting:
        # the objects' order is part of the kernel (tests/test_render_layers.py).
        if spec.proxies:
            off = np.cumsum([0] + [len(m.vertices) for m in spec.proxies])
            proxy_scene = ray_test_scene(
                mi, np.concatenate([np.asarray(m.vertices, np.float32) for m in spec.proxies]),
                np.concatenate([np.asarray(m.faces, np.int64) + o for m, o in zip(spec.proxies, off)]))
        else:
            proxy_scene = mi.load_dict({"type": "scene"})
        jewel = {_key("j", i, m.name): _mesh(mi, m) for i, m in enumerate(meshes)}
        proxies = {_key("p", i, m.name): _mesh(mi, m) for i, m in enumerate(spec.proxies)}
        scene = mi.load_dict({
            "type": "scene",
            "integrator": {"type": "jewelrender_tryon", "max_depth": spec.max_depth,
                           "medium_clamp": medium_clamp(spec.env) if any(m.interior for m in meshes)
                           else float("inf")},
            "sensor": _sensor(mi, spec),
            "env": spec.env.to_mitsuba(),
            **jewel,
            **proxies,
        })
        integrator = scene.integrator()
        # The piece's meshes emit nothing: the jewel-only scene shares them (half the meshes to build).
        jewel_only = {k: v if m.emission is None else _mesh(mi, m, emit=False)
                      for (k, v), m in zip(jewel.items(), meshes)}
        integrator.jewel_scene = mi.load_dict({"type": "scene", **jewel_only})
        integrator.proxy_scene = proxy_scene
        if spec.pixels is not None:
            img = _render_pixels(mi, scene, spec, seed)
        elif LEGACY_FILM_RENDER:
            k = spec.supersample
            h, w = spec.crop.height, spec.crop.width
            acc = None
            for p in range(spec.passes):
                layer = np.array(mi.render(scene, spp=1, seed=seed * 7919 + p), dtype=np.float64)
                acc = layer if acc is None else acc + layer
            img = (acc.reshape(h, k, w, k, -1).mean(axis=(1, 3)) / spec.passes).astype(np.float32)
        else:
            img = _render_passes(mi, scene, spec, seed)
    except (RuntimeError, ValueError, TypeError) as exc:
        raise RenderError(f"the renderer failed: {exc}") from exc
    finally:
        if integrator is not None:  # break the integrator <-> scene cycle
            integrator.jewel_scene = integrator.proxy_scene = None
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
