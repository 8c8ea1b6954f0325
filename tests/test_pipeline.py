"""End to end on real photos: placement, width, locality, occlusion, shadow.

One Renderer renders every dev hand photo once (module fixture); the tests then
check real properties of each result against the landmarks it was made from.
"""

from __future__ import annotations

import numpy as np
import pytest

import jewelrender as jr
from jewelrender.errors import (FingerCurledError, FingerNotVisibleError, HandNotFoundError, JewelrenderError,
                               LowQualityError)

pytestmark = pytest.mark.slow

PIECE = "solitaire-round-1ct-18k-yellow"


@pytest.fixture(scope="module")
def renderer():
    with jr.Renderer() as r:
        yield r


@pytest.fixture(scope="module")
def results(hand_photos, renderer):
    """{photo name: TryOnResult or the JewelrenderError it raised}."""
    out = {}
    for p in hand_photos:
        try:
            out[p.name] = renderer.try_on(p, PIECE)
        except JewelrenderError as exc:
            out[p.name] = exc
    return out


def _ok(results):
    return {k: v for k, v in results.items() if isinstance(v, jr.TryOnResult)}


def test_success_rate_where_a_hand_is_found(results):
    """Every photo with a hand renders, or is refused for a documented reason.

    The refusals on the dev set are fists, thumbs gestures and the "rock" sign (the
    ring finger curled: FINGER_CURLED, from the gate), a finger bent towards the lens
    (FINGER_NOT_VISIBLE) and at most two renders the output score rejects
    (LOW_QUALITY: onehand10k_9, a thin flat shank on an overexposed hand); no other
    error is acceptable.
    """
    found = {k: v for k, v in results.items() if not isinstance(v, HandNotFoundError)}
    ok = _ok(results)
    hidden = {k for k, v in found.items() if isinstance(v, FingerNotVisibleError)}
    curled = {k for k, v in found.items() if isinstance(v, FingerCurledError)}
    low = {k for k, v in found.items() if isinstance(v, LowQualityError)}
    other = {k: f"{v.code}: {v.message}" for k, v in found.items()
             if not isinstance(v, (jr.TryOnResult, FingerNotVisibleError, FingerCurledError, LowQualityError))}
    assert not other, other
    assert len(found) >= 29, "the detector finds a hand on the dev photos"
    # hamer_test3's finger, bent towards the lens, is drawn pointing back at the wrist: the gate's direction
    # check refuses it before placement would (FINGER_NOT_VISIBLE)
    assert curled == {"hagrid_none_0a787971.jpg", "hagrid_rock_1bed937b.jpg", "mediapipe_hand_thumb_up.jpg",
                      "mediapipe_thumbs_up.png", "hamer_test3.jpg"}, curled
    assert len(hidden) <= 1, hidden
    assert len(low) <= 2, low
    # of the hands the gate accepts (the curled ones are refused on purpose), 85 % render
    assert len(ok) + len(low) >= 0.85 * (len(found) - len(curled))


def _segment_frame(rep):
    pl = rep["placement"]
    mcp, pip = np.array(pl["mcp_px"]), np.array(pl["pip_px"])
    axis = (pip - mcp) / np.linalg.norm(pip - mcp)
    return mcp, pip, axis, np.array([-axis[1], axis[0]])


def test_mask_lies_on_the_finger_between_mcp_and_pip(results):
    for name, res in _ok(results).items():
        mcp, pip, axis, perp = _segment_frame(res.report)
        ys, xs = np.nonzero(res.mask > 0)
        w = res.mask[ys, xs]
        c = np.array([np.average(xs + 0.5, weights=w), np.average(ys + 0.5, weights=w)])  # alpha-weighted
        length = np.linalg.norm(pip - mcp)
        s = (c - mcp) @ axis / length
        lateral = abs((c - mcp) @ perp)
        width = res.report["placement"]["finger_width_px"]
        assert -0.1 <= s <= 0.9, f"{name}: ring centroid at {s:.2f} of MCP->PIP"
        assert lateral <= 0.75 * width + 3, f"{name}: ring centroid {lateral:.1f}px off the finger axis"


def test_reflection_is_scored_on_the_metal_without_the_stone(results):
    # The render's stone layer takes the diamond out of the metal's reflection measures.
    checked = fewer = 0
    for name, res in _ok(results).items():
        meas = res.report["score"]["measurements"]
        if "piece_pixels" not in meas:
            continue  # under 20 px of the piece: reflection not measured
        if meas["reflection_over"] == "piece" and res.report["photo"]["width"] < 400:
            # the silhouette cut leaves a thumbnail's metal under the 20 px the measure needs, and the
            # score falls back to the whole piece (cofw_001805, 352 px wide)
            continue
        checked += 1
        assert meas["reflection_over"] == "metal", name
        assert 20 <= meas["reflection_pixels"] <= meas["piece_pixels"], (name, meas)
        fewer += meas["reflection_pixels"] < meas["piece_pixels"]
    # Palm-side views hide the stone behind the finger: all metal (9 of the 24 checked on 2026-12-02;
    # the other 15 show the stone: fewer metal than piece pixels).
    assert checked >= 20 and fewer >= 0.5 * checked, (fewer, checked)


def test_metal_is_as_bright_as_the_skin_around_it(results):
    # Issue #5 on real photos: the metal's overall brightness matches the skin's. The score's
    # metal_to_surround is the metal's median linear luminance over the photo's just around the piece.
    rel = [res.report["score"]["measurements"]["metal_to_surround"] for res in _ok(results).values()
           if "metal_to_surround" in res.report["score"]["measurements"]]
    assert len(rel) >= 20
    assert 0.5 <= float(np.median(rel)) <= 2.0, sorted(rel)
    assert sum(1 / 3 <= v <= 3 for v in rel) >= 0.85 * len(rel), sorted(rel)


def test_highlight_sits_on_the_flank_the_skin_is_lit_from(results):
    # Issue #5 on real photos: the metal's brightest 2 % lie towards the finger's brighter flank
    # (quality.highlight_side), judged where the flanks differ by >= 1.3x (elsewhere the photo has no
    # lit side and the sign is noise). On the dev set (recounted 2026-12-02): 6 of 7 (the miss,
    # palmistry_IMG_0367, has an overhead key: the glint crosses the middle, offset 0.00). With the key
    # light's lobe taken out of the map: 4 of 7, which fails (docs/lighting.md, not recounted).
    # A glint on the middle (|offset| under 0.05 half-widths) is on neither flank, and its sign is noise:
    # on ringtryon_assets_10 it went from +0.08 to -0.01 with the room's colour taken from the background
    # (issue 14, round five), a change of the metal's colour, not of where the light comes from.
    meas = [res.report["score"]["measurements"] for res in _ok(results).values()]
    clear = [m["highlight_on_lit_side"] for m in meas if m.get("highlight_on_lit_side") is not None
             and abs(m.get("highlight_offset") or 0.0) >= 0.05]
    assert len(clear) >= 5, len(clear)
    assert sum(clear) >= 0.8 * len(clear), clear


def _assert_no_overhang(renderer, path, res):
    """The ring's mask passes the photo's segmented finger by no more than a sliver (the band turns out of sight)."""
    import cv2

    from jewelrender.landmarks import FINGERS
    from jewelrender.segmentation import segment_hand

    ph = jr.load_photo(path)
    rep = res.report
    mcp = np.array(rep["placement"]["mcp_px"])
    hand = min(renderer.detector.detect(ph), key=lambda h: np.hypot(*(h.image_px[FINGERS["ring"][0]] - mcp)))
    seg_rep = rep["composite"]["integration"]["segmentation"]
    seg = segment_hand(ph, hand, finger="ring", center_px=rep["placement"]["center_px"],
                       finger_width_px=rep["placement"]["finger_width_px"], radius_px=seg_rep["radius_px"])
    own = np.zeros(res.mask.shape, bool)
    own[seg.y:seg.y + seg.own.shape[0], seg.x:seg.x + seg.own.shape[1]] = seg.own
    from jewelrender.segmentation import MEASURED_SPAN, NARROW_SHARE, overhang_px

    # Where the segmented finger is much narrower than measured (its shaded flank taken for the gap),
    # the band may reach MEASURED_SPAN of the measured width about the axis, and no further.
    mcp, _, axis, perp = _segment_frame(rep)
    width = rep["placement"]["finger_width_px"]
    ys, xs = np.mgrid[0:own.shape[0], 0:own.shape[1]]
    rel = np.stack([xs + 0.5 - mcp[0], ys + 0.5 - mcp[1]], -1)
    along, across = rel @ axis, rel @ perp
    b = np.round(along - along.min()).astype(int)
    lo = np.full(b.max() + 1, np.inf)
    hi = np.full(b.max() + 1, -np.inf)
    np.minimum.at(lo, b[own], across[own])
    np.maximum.at(hi, b[own], across[own])
    narrow = np.isfinite(lo) & ((hi - lo) < NARROW_SHARE * width)
    own |= narrow[b] & (np.abs(across) <= 0.5 * MEASURED_SPAN * width)
    dist = cv2.distanceTransform((~own).astype(np.uint8), cv2.DIST_L2, 5)
    over = dist[res.mask > 0.5]

    # Beyond the segmented outline only by the sliver, or up to a dark crease the band was carried to
    # (integration.band_reach_maps: the segmentation can stop a few px inside the gap between two fingers).
    reach = seg_rep.get("band_reach_px") or {}
    crease = max([v for k, v in reach.items() if k.endswith("_crease_px")] + [0.0])
    assert crease <= 0.15 * rep["placement"]["finger_width_px"] + 1.0
    lim = overhang_px(seg_rep["band_thickness_px"]) + 2.0 + crease
    assert over.max() <= lim, f"{path.name}: the band overhangs the finger by {over.max():.1f}px (> {lim:.1f})"
    # ... and reaches it: on the rows along the finger where each end of the band lies, the median distance
    # from that end to the finger's outline is under 2.5 px (round four's judges: "the shank stops about
    # 7 px short of the finger's right silhouette").
    solid = res.mask > 0.5
    bins = np.round(along).astype(int)
    for sign in (1.0, -1.0):
        s = sign * across
        end = s[solid].max()
        short = [s[own & (bins == b_)].max() - end for b_ in np.unique(bins[solid & (s >= end - 1.5)])
                 if (own & (bins == b_)).any()]
        gap = float(np.median(short))
        assert gap <= 2.5, f"{path.name}: the band's {'right' if sign > 0 else 'left'} end stops {gap:.1f}px short of the finger's outline"


def test_band_width_across_finger_matches_measured_width(renderer, hand_photos):
    # The plain band: its extent across the finger is the finger's (it turns out of sight at the
    # segmented outline, which may lie inside the measured width's edges: 0.85 x on the dorsal 11K photo;
    # where the segmented finger is under NARROW_SHARE of the measured width, as on 11khands_female_palmar
    # where its shaded flank is taken for the gap beside it, MEASURED_SPAN of the measured width, docs/realism.md).
    checked = 0
    for p in hand_photos:
        try:
            res = renderer.try_on(p, "band-court-2mm-18k-yellow")
        except JewelrenderError:
            continue
        mcp, pip, axis, perp = _segment_frame(res.report)
        ys, xs = np.nonzero(res.mask > 0.5)
        pts = np.stack([xs + 0.5, ys + 0.5], axis=1)
        across = pts @ perp
        extent = np.quantile(across, 0.99) - np.quantile(across, 0.01) + 1.0
        width = res.report["placement"]["finger_width_px"]
        if width < 20:  # a 2 mm band is then under 3 px wide: its extent is not measurable
            continue
        meas = res.report["score"]["measurements"]
        assert meas["reflection_over"] == "metal" and meas["reflection_pixels"] == meas["piece_pixels"], \
            f"{p.name}: a plain band is all metal"
        ratio = extent / width
        assert 0.8 <= ratio <= 1.4, f"{p.name}: band spans {extent:.1f}px on a {width:.1f}px finger ({ratio:.2f}x)"
        _assert_no_overhang(renderer, p, res)
        checked += 1
        if checked >= 8:
            break
    assert checked >= 5


def test_composite_changes_only_near_the_ring(results, hand_photos):
    paths = {p.name: p for p in hand_photos}
    for name, res in _ok(results).items():
        photo = jr.load_photo(paths[name])
        diff = np.abs(res.image.astype(int) - photo.srgb.astype(int)).max(axis=2)
        ys, xs = np.nonzero(diff > 2)
        c = np.array(res.report["placement"]["center_px"])
        r_ring = res.report["render"]["crop"][2]  # the rendered square's side
        d = np.hypot(xs + 0.5 - c[0], ys + 0.5 - c[1])
        assert d.max() <= r_ring, f"{name}: a pixel {d.max():.0f}px from the ring changed"
        assert res.image.shape == photo.srgb.shape


def test_report_has_the_documented_keys(results):
    res = next(iter(_ok(results).values()))
    rep = res.report
    for k in ("piece", "backend", "placement", "lighting", "skin", "timings"):
        assert k in rep
    assert rep["skin"]["undertone"] in ("warm", "neutral", "cool", None) and "metal_advice" in rep["skin"]
    assert rep["preparation"] == "computed"
    for k in ("site", "hand", "finger", "center_px", "axis_px", "inner_diameter_mm", "ring_size_us", "distance_m"):
        assert k in rep["placement"], k
    assert rep["lighting"]["method"] == "photo_fit"
    assert rep["timings"]["total"] > 0
    assert rep["backend"].endswith("_spectral")
    assert 3 <= rep["placement"]["ring_size_us"] <= 13


def test_bad_photo_raises_documented_error(tmp_path, renderer):
    bad = tmp_path / "not_a_photo.jpg"
    bad.write_text("hello")
    with pytest.raises(jr.errors.PhotoError) as e:
        renderer.try_on(bad, PIECE)
    assert e.value.code in ("UNREADABLE_IMAGE", "UNSUPPORTED_FORMAT")


def test_no_hand_raises_hand_not_found(data_dir, renderer):
    with pytest.raises(HandNotFoundError):
        renderer.try_on(data_dir / "photos" / "bad" / "mmpose_ak_elephants_no_human.jpg", PIECE)


def test_unknown_piece_and_options(data_dir, renderer):
    photo = data_dir / "photos" / "hands" / "ringtryon_target_left.jpg"
    with pytest.raises(jr.errors.UnknownPieceError) as e:
        renderer.try_on(photo, "no-such-ring")
    assert PIECE in e.value.message
    with pytest.raises(jr.errors.InvalidOptionError):
        renderer.try_on(photo, PIECE, position=1.5)
    with pytest.raises(jr.errors.InvalidOptionError):
        renderer.try_on(photo, PIECE, finger="pinky")


def test_same_seed_same_bytes(data_dir, renderer):
    photo = data_dir / "photos" / "hands" / "ringtryon_target_left.jpg"
    a = renderer.try_on(photo, "band-court-2mm-18k-yellow", seed=3)
    b = renderer.try_on(photo, "band-court-2mm-18k-yellow", seed=3)
    diff = np.abs(a.image.astype(int) - b.image.astype(int))
    assert np.array_equal(a.mask, b.mask), f"mask differs at {np.count_nonzero(a.mask != b.mask)} px"
    assert np.array_equal(a.image, b.image), f"image differs at {np.count_nonzero(diff)} values, max {diff.max()}"


def test_prepare_runs_stages_one_to_four_with_the_gates_hand(data_dir, renderer):
    photo = data_dir / "photos" / "hands" / "ringtryon_target_left.jpg"
    prep = renderer.prepare(photo, finger="middle", lighting="uniform", refine_lighting=False)
    assert prep.detection is prep.detections[prep.gate.hand_index] and prep.gate.passed
    assert prep.placement.site == prep.site.name == "ring" and prep.placement.finger == "middle"
    assert prep.lighting.to_report()["method"] == "uniform"
    assert set(prep.timings) == {"photo", "landmarks", "gate", "placement", "lighting"}
    with pytest.raises(jr.errors.InvalidOptionError, match="valid: ring"):
        renderer.prepare(photo, site="knee")
    with pytest.raises(jr.errors.InvalidOptionError):
        renderer.prepare(photo, finger="pinky")
