"""Occlusion and shadow on real photos, checked on the render's own layers."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

import jewelrender as jr
from jewelrender import backend
from jewelrender.library import catalog, materials
from jewelrender.camera import camera_from_photo
from jewelrender.composite import composite
from jewelrender.landmarks import detect_hands
from jewelrender.lighting import estimate_lighting
from jewelrender.sites.hand import place_ring
from jewelrender.render import render_layers
from jewelrender.scene import build_scene

pytestmark = pytest.mark.slow

PHOTOS = ["palmistry_hand70.jpg", "11khands_female_dorsal.jpg", "ringtryon_assets_9.jpg", "ringtryon_assets_5.jpg"]
#: The occlusion test needs a finger seen obliquely: seen side-on (11khands_female_dorsal 88 deg,
#: ringtryon_assets_9 89 deg between the finger's axis and the line of sight) the band's back projects
#: exactly behind its own front, so removing the finger uncovers nothing and the alpha cannot show what
#: the finger hides. These four are seen at 66-78 deg at the default position 0.5 (ringtryon_assets_16, 81 deg
#: there, was replaced by palmistry_hand1, 77 deg); two are shared with PHOTOS (rendered once).
OCCLUSION_PHOTOS = ["palmistry_hand70.jpg", "ringtryon_assets_5.jpg", "ringtryon_target_left.jpg", "palmistry_hand1.jpg"]
_RENDERED: dict = {}


def _render(name, data_dir):
    if name not in _RENDERED:
        backend.select()
        photo = jr.load_photo(data_dir / "photos" / "hands" / name)
        cam = camera_from_photo(photo)
        # assets_5's own ring sits at the default position (0.5 of MCP->PIP): the shadow is measured on skin,
        # so ours goes nearer the knuckle there
        kw = {"position": 0.35} if name == "ringtryon_assets_5.jpg" else {}
        pl = place_ring(photo, detect_hands(photo)[0], cam, **kw)
        piece = catalog.get_piece("band-court-4mm-18k-yellow")
        light = estimate_lighting(photo, cam, pl)
        spec = build_scene(cam, pl, piece, light, catalog.quality_preset("preview"),
                           metal_bsdf=materials.metal_bsdf_dict(materials.metal(piece.metal)), stones=None,
                           photo_linear=photo.linear)
        _RENDERED[name] = (name, photo, pl, light, spec, render_layers(spec, seed=0))
    return _RENDERED[name]


@pytest.fixture(scope="module", params=PHOTOS)
def setup(request, data_dir):
    return _render(request.param, data_dir)


@pytest.fixture(scope="module", params=OCCLUSION_PHOTOS)
def oblique(request, data_dir):
    return _render(request.param, data_dir)


def test_a_plain_band_has_no_stone_layer(setup):
    _, _, _, _, _, layers = setup
    assert layers.stone.shape == layers.alpha.shape and not layers.stone.any()
    assert np.array_equal(layers.metal, layers.alpha)


def test_the_finger_hides_the_back_of_the_band(oblique):
    name, _, pl, _, spec, layers = oblique
    view = np.degrees(np.arccos(abs(pl.axis_cam @ pl.center_cam) / np.linalg.norm(pl.center_cam)))
    assert view < 80, f"{name}: finger seen at {view:.0f} deg, too side-on for this test (OCCLUSION_PHOTOS)"
    spec.proxies, saved = [], spec.proxies
    try:
        bare = render_layers(spec, seed=0)  # the same primary rays, nothing in front of the band's back
    finally:
        spec.proxies = saved
    assert np.all(layers.alpha <= bare.alpha + 1e-6), f"{name}: the finger can only hide, never add"
    hidden = bare.alpha - layers.alpha
    assert hidden.sum() > 0.1 * layers.alpha.sum(), f"{name}: the back of the band should be hidden"
    # What the finger hides lies on the finger.
    assert np.average(layers.proxy, weights=hidden + 1e-12) > 0.9


def test_shadow_darkens_skin_next_to_the_ring_and_nowhere_else(setup):
    name, photo, pl, light, spec, layers = setup
    img, mask, _ = composite(photo, layers, spec.crop, skin_rgb=light.info["skin_reference_rgb"], match_camera=False)
    sy, sx = spec.crop.slices
    before = photo.linear[sy, sx].mean(axis=2)
    after = jr.load_photo(img).linear[sy, sx].mean(axis=2)
    m = mask[sy, sx] > 0.02
    dist = ndimage.distance_transform_edt(~m)               # px from the ring
    darker = (before - after) / np.maximum(before, 1e-3)    # relative darkening
    near = (dist > 0.5) & (dist < 0.25 * pl.finger_width_px) & (layers.proxy > 0.99)  # skin beside the ring
    # A key low to one side draws the penumbra a little past one finger width
    # (11khands_female_dorsal: 3.2 % darker at 1.02 widths), so "far" starts at 1.2.
    far = dist > 1.2 * pl.finger_width_px
    assert darker[near].mean() > 0.01, f"{name}: no contact shadow next to the ring"
    if far.any():  # beyond a finger's width: at most one 8-bit code of penumbra
        assert np.abs(darker[far]).max() < 0.03, f"{name}: the photo changed far from the ring"
    assert np.all(after[~m] <= before[~m] + 1e-3), f"{name}: a shadow only darkens"


def test_a_sparse_render_samples_its_pixels_as_the_full_one(data_dir):
    """``spec.pixels`` renders only the pixels asked for, each as the full render samples it (k x k
    jittered sub-pixels): the same coverage and colour there within the noise, zero elsewhere."""
    _, _, _, _, spec, layers = _render(PHOTOS[0], data_dir)
    half = np.zeros(layers.alpha.shape, bool)
    half[:, : half.shape[1] // 2 + 3] = True
    spec.pixels = half
    try:
        sparse = render_layers(spec, seed=0)
    finally:
        spec.pixels = None
    assert not sparse.alpha[~half].any() and not sparse.jewel[~half].any()
    a, b = layers.alpha[half], sparse.alpha[half]
    assert a.sum() > 50 and abs(b.sum() / a.sum() - 1.0) < 0.03
    assert np.corrcoef(a, b)[0, 1] > 0.97
    ja, jb = layers.jewel[half].sum(axis=0), sparse.jewel[half].sum(axis=0)
    assert np.all(np.abs(jb / ja - 1.0) < 0.08), (ja, jb)
    wa, wb = layers.lit_without[half], sparse.lit_without[half]
    assert abs(wb.sum() / wa.sum() - 1.0) < 0.05


def _largest_kernel(spec):
    """The layers of ``spec`` and the hash of the largest kernel their render launched."""
    import drjit as dr

    with dr.scoped_set_flag(dr.JitFlag.KernelHistory, True):
        dr.kernel_history_clear()
        layers = render_layers(spec, seed=0)
        hist = [k for k in dr.kernel_history() if k.get("operation_count")]
    return layers, max(hist, key=lambda k: k["operation_count"])["hash"]


def test_every_crop_renders_with_one_kernel(data_dir):
    """Crops of other sizes and places (other photos), and repeats, launch the same compiled render
    kernel: the film's size, the crop's place and NumPy's memory alignment are no literals of it (before,
    each crop size compiled its own, ~2-5 s on 2 cores, and a repeat did about half the time)."""
    a, b = _render(PHOTOS[0], data_dir)[4], _render(PHOTOS[2], data_dir)[4]
    assert (a.crop.width, a.crop.height) != (b.crop.width, b.crop.height)
    hashes = {_largest_kernel(s)[1] for s in (a, b, a)}
    assert len(hashes) == 1, hashes


def test_the_crop_renders_as_mitsubas_own_film_does(data_dir):
    """render_layers' camera rays (from the intrinsics, so that no film size is baked into the kernel) see
    what Mitsuba's film render of the same scene sees: the same coverage to the sample (same random
    numbers per sub-pixel), radiance and light equal but for float rounding (a grazing shadow ray may flip)."""
    from jewelrender import render as rnd

    spec, ours = _render(PHOTOS[0], data_dir)[4], _render(PHOTOS[0], data_dir)[5]
    rnd.LEGACY_FILM_RENDER = True
    try:
        ref = render_layers(spec, seed=0)
    finally:
        rnd.LEGACY_FILM_RENDER = False
    assert np.array_equal(ours.alpha, ref.alpha) and np.array_equal(ours.proxy, ref.proxy)
    assert np.abs(ours.jewel - ref.jewel).mean() < 1e-4 * max(float(ref.jewel.mean()), 1e-3)
    for f in ("lit_with", "lit_without"):
        x, y = getattr(ours, f), getattr(ref, f)
        assert np.abs(x - y).mean() < 1e-5 * float(y.mean()), f


def test_later_passes_go_where_the_piece_and_its_shadow_are(data_dir):
    """A multi-pass render (final quality) takes its first pass over the whole crop and the others only
    where that pass saw the piece or its shadow (render.later_passes_pixels): the same coverage, colour
    and shadow, within the noise, as every pass over every pixel; nothing of the piece beyond."""
    import dataclasses

    from jewelrender.render import later_passes_pixels

    spec = dataclasses.replace(_render(PHOTOS[2], data_dir)[4], supersample=8, passes=4, max_depth=16)
    ours = render_layers(spec, seed=0)
    every = render_layers(dataclasses.replace(spec, pixels=np.ones((spec.crop.height, spec.crop.width), bool)), seed=0)
    first = render_layers(dataclasses.replace(spec, passes=1), seed=0)
    stack = np.dstack([first.jewel, first.alpha, first.lit_with, first.lit_without, first.proxy, first.stone])
    later = later_passes_pixels(stack)
    assert 0.01 < later.mean() < 0.85, later.mean()
    assert not ours.alpha[~later].any() and np.array_equal(ours.lit_with[~later], ours.lit_without[~later])
    assert abs(ours.alpha.sum() / every.alpha.sum() - 1.0) < 0.02
    assert np.corrcoef(ours.alpha.ravel(), every.alpha.ravel())[0, 1] > 0.99
    assert np.all(np.abs(ours.jewel.sum(axis=(0, 1)) / every.jewel.sum(axis=(0, 1)) - 1.0) < 0.02)
    # The shadow's share of the light, as with every pass everywhere (another seed: 3e-4 apart; without
    # the growth of the shadow's pixels, 3e-3: the skin round the ring a level brighter).
    shade = ours.lit_with.sum() / ours.lit_without.sum()
    assert abs(shade - every.lit_with.sum() / every.lit_without.sum()) < 1.5e-3


def test_the_body_ray_test_scene_is_kept_for_its_own_triangles_only(data_dir):
    """render.ray_test_scene keeps the last body's scene (the lighting's refinement builds it, the render's
    shadow layer reuses it): the same triangles get the same scene back, other triangles a scene of their
    own (a ray through either triangle hits it), and a render on the kept scene is the render on a new one."""
    import mitsuba as mi

    from jewelrender.render import ray_test_scene

    backend.select()
    tri = np.array([[-0.1, -0.1, 1.0], [0.1, -0.1, 1.0], [0.0, 0.1, 1.0]], np.float32)
    faces = np.array([[0, 1, 2]], np.uint32)
    moved = tri + np.float32([1.0, 0.0, 0.0])
    a = ray_test_scene(mi, tri, faces)
    assert ray_test_scene(mi, tri.copy(), faces.copy()) is a
    b = ray_test_scene(mi, moved, faces)
    assert b is not a
    through_a = mi.Ray3f(mi.Point3f(0.0, 0.0, 0.0), mi.Vector3f(0.0, 0.0, 1.0))
    through_b = mi.Ray3f(mi.Point3f(1.0, 0.0, 0.0), mi.Vector3f(0.0, 0.0, 1.0))
    assert bool(b.ray_test(through_b)[0]) and not bool(b.ray_test(through_a)[0])
    a2 = ray_test_scene(mi, tri, faces)
    assert a2 is not b and bool(a2.ray_test(through_a)[0]) and not bool(a2.ray_test(through_b)[0])

    # The render: its body's scene kept (built by the lighting, or by the render before), and built anew
    # after another body's replaced it: the same layers, bit for bit.
    spec, kept = _render(PHOTOS[0], data_dir)[4], None
    kept = render_layers(spec, seed=0)
    ray_test_scene(mi, tri, faces)
    fresh = render_layers(spec, seed=0)
    for f in ("jewel", "alpha", "lit_with", "lit_without", "proxy", "stone"):
        assert np.array_equal(getattr(kept, f), getattr(fresh, f)), f


def test_the_body_texture_is_kept_for_its_own_photo_only(data_dir):
    """render.body_texture keeps the last body texture (its spectral conversion is ~0.07 s of a render's
    set-up): the same texels get it back, another photo's its own; a second photo rendered after the
    first sees its own skin in the metal, bit for bit as on a texture made anew, with the same kernel."""
    import mitsuba as mi

    from jewelrender.render import body_texture

    backend.select()
    a, b = _render(PHOTOS[0], data_dir)[4], _render(PHOTOS[2], data_dir)[4]
    ea, eb = ([m.emission for m in s.proxies if m.emission is not None][0] for s in (a, b))
    assert ea.shape == eb.shape and not np.array_equal(ea, eb)
    ta = body_texture(mi, ea)
    assert body_texture(mi, ea.copy()) is ta
    tb = body_texture(mi, eb)
    assert tb is not ta
    assert not np.array_equal(np.asarray(mi.traverse(ta)["data"]), np.asarray(mi.traverse(tb)["data"]))

    render_layers(a, seed=0)  # keeps a's texture
    after_a, h_after_a = _largest_kernel(b)  # b's texture replaces it
    made = mi.load_dict({"type": "bitmap", "bitmap": mi.Bitmap(eb.copy()), "filter_type": "bilinear",
                         "wrap_mode": "clamp"})
    assert np.array_equal(np.asarray(mi.traverse(body_texture(mi, eb))["data"]), np.asarray(mi.traverse(made)["data"]))
    del made  # a live texture more would be another kernel
    body_texture(mi, np.zeros((4, 4, 3), np.float32))  # neither photo's: b's next texture is made anew
    fresh, h_fresh = _largest_kernel(b)
    kept, h_kept = _largest_kernel(b)  # and this one is kept from the render before
    assert h_after_a == h_fresh == h_kept
    for f in ("jewel", "alpha", "lit_with", "lit_without", "proxy", "stone"):
        assert np.array_equal(getattr(after_a, f), getattr(fresh, f)), f
        assert np.array_equal(getattr(kept, f), getattr(fresh, f)), f
