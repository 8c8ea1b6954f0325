"""The neck site on real dev portraits: where a necklace rests, what hides it, and what is refused.

Detection runs once per photo (module fixtures); the drape tests need no render; one preview
render checks occlusion by hair end to end.
"""

import numpy as np
import pytest

from jewelrender import Renderer
from jewelrender.camera import camera_from_photo
from jewelrender.errors import JewelrenderError
from jewelrender.geometry.assets import InstancedPart
from jewelrender.landmarks import FaceDetector, PoseDetector
from jewelrender.library import catalog
from jewelrender.photo import load_photo
from jewelrender.physics import chain_length
from jewelrender.pieces import links as chain_links
from jewelrender.pieces import necklace
from jewelrender.pipeline import check_options
from jewelrender.sites.neck import NECK, NeckDetection, place_neck

#: Portraits with a bare neck and both shoulders, front on (no necklace of their own, or a fine one).
PORTRAITS = ("compreface_002_A.jpg", "deepface_img1.jpg", "frl-london_113-03.jpg", "deepface_img6.jpg")
#: The lengths test drapes three chains a photo: a slim neck and an average one keep it short.
LENGTH_PORTRAITS = ("compreface_002_A.jpg", "frl-london_113-03.jpg")
CHAIN = "cable-chain-18k-yellow"
PENDANT = "solitaire-pendant-half-carat-18k-white"


@pytest.fixture(scope="module")
def detectors():
    with FaceDetector() as fd, PoseDetector() as pd:
        yield fd, pd


@pytest.fixture(scope="module")
def scenes(data_dir, detectors):
    """Photo, detection, camera and the 16/18/24-inch placements of each portrait."""
    fd, pd = detectors
    out = {}
    for name in PORTRAITS:
        ph = load_photo(data_dir / "photos" / "necks" / name)
        res = pd.detect(ph)
        det = NeckDetection(fd.detect(ph)[0], res.pose, res.person_mask, 1)
        NECK.gate(ph, [det], options={"length_in": 18.0})
        cam = camera_from_photo(ph)
        lengths = (16, 18, 24) if name in LENGTH_PORTRAITS else (18,)
        out[name] = (ph, det, cam, {L: place_neck(ph, det, cam, length_in=L) for L in lengths})
    return out


def _drape_px(placement, piece_id=CHAIN):
    """The rested chain (joints in the piece frame, mm) and its joints in the camera frame (m)."""
    piece = catalog.get_piece(piece_id)
    d = necklace.drape(piece, placement.fit)
    M = placement.piece_to_cam
    return d, d.points @ M[:3, :3].T + M[:3, 3]


@pytest.mark.parametrize("name", PORTRAITS)
def test_the_chain_lies_below_the_chin_and_between_the_shoulders(scenes, name):
    ph, det, cam, pls = scenes[name]
    pl = pls[18]
    d, cam_pts = _drape_px(pl)
    uv = cam.project(cam_pts)
    front = d.points[:, 2] > 0  # the half in front of the neck's axis (the camera's side)
    chin_y = det.face.image_px[152][1]
    rs, ls = det.pose.image_px[12], det.pose.image_px[11]
    assert (uv[front, 1] > chin_y).all()
    assert (uv[front, 0] > min(rs[0], ls[0])).all() and (uv[front, 0] < max(rs[0], ls[0])).all()


@pytest.mark.parametrize("name", LENGTH_PORTRAITS)
def test_lengths_rest_at_their_levels_and_keep_their_length(scenes, name):
    """18": lowest point 10-80 mm below the jugular notch, on the collarbones' level (they run out
    from the notch at its height and rise ~1-2 cm to the shoulders; a chain on them rests on the
    manubrium just below: retailers' charts put 18" "on the collarbone", 16" at the base of the
    neck, 24" mid-bust). The band is wide because the neck's girth is measured, not known: the
    same 18" falls ~25 mm lower on a 88 mm neck than on a 104 mm one. 16" rests higher (by 5 mm at
    least: on a slim neck both lie on the chest's slope, ~10 mm apart) and 24" lower (by 30 mm at
    least); every chain keeps its length within 1 % and its link count."""
    ph, det, cam, pls = scenes[name]
    lowest = {}
    for L, pl in pls.items():
        d, _ = _drape_px(pl)
        assert abs(chain_length(d.points, True) / pl.fit.length_mm - 1.0) < 0.01
        assert d.state.length_error < 0.01 and d.state.max_link_error < 0.01
        assert len(d.points) == max(24, round(pl.fit.length_mm / necklace.PHYSICS_LINK_MM))
        lowest[L] = -float(d.points[:, 1].min())  # mm below the notch
    assert 10.0 <= lowest[18] <= 80.0, lowest
    assert lowest[16] < lowest[18] - 5.0 and lowest[24] > lowest[18] + 30.0, lowest


def test_a_pendant_pulls_the_front_into_a_v(scenes):
    ph, det, cam, pls = scenes[PORTRAITS[0]]
    pl = pls[18]
    plain, _ = _drape_px(pl)
    pend, _ = _drape_px(pl, "solitaire-pendant-half-carat-18k-white")
    assert pend.bail == 0
    # the pendant's joint is the lowest point of the chain's front, not above a plain chain's (behind the
    # neck the loop's back can slide below the base's cone, which has no back below it: docs/neck.md)
    pf, lf = pend.points[:, 2] > 0, plain.points[:, 2] > 0
    assert int(np.argmin(np.where(pf, pend.points[:, 1], np.inf))) == 0
    assert pend.points[0, 1] <= plain.points[lf, 1].min() + 0.5

    def angle(p, i):  # between the links meeting at joint i, degrees (180: straight)
        a, b = p[i - 1] - p[i], p[(i + 1) % len(p)] - p[i]
        return np.degrees(np.arccos(a @ b / np.linalg.norm(a) / np.linalg.norm(b)))

    # a V: the chain bends at the bail far more than a plain chain at its lowest point (a U)
    low = int(np.argmin(np.where(lf, plain.points[:, 1], np.inf)))
    assert angle(pend.points, 0) < angle(plain.points, low) - 10.0


def test_links_are_instances_of_one_mesh(scenes):
    pl = scenes[PORTRAITS[0]][3][18]
    parts = necklace.parts(catalog.get_piece(CHAIN), pl.fit)
    links = [p for p in parts if p.name == "links"][0]
    assert isinstance(links, InstancedPart) and links.count > 50
    # rigid transforms (mm), consecutive links at right angles (a cable chain)
    R = links.transforms[:, :3, :3]
    assert np.allclose(np.einsum("kij,kil->kjl", R, R), np.eye(3), atol=1e-6)
    z0, z1 = R[0][:, 2], R[1][:, 2]
    assert abs(z0 @ z1) < 0.3


@pytest.fixture(scope="module")
def hair_render(data_dir):
    """One preview try-on where long hair falls over the chest (compreface_002_A)."""
    photo = load_photo(data_dir / "photos" / "necks" / "compreface_002_A.jpg")
    with Renderer() as r:
        res = r.try_on(photo, CHAIN, length_in=18, min_quality=0, refine_lighting=False)
        # the same Photo object and options: stages 1-4 come back from the Renderer's cache
        prep = r.prepare(photo, site="neck", length_in=18, refine_lighting=False)
    assert prep.reused
    return res, prep


def test_hair_in_front_hides_the_chain(hair_render):
    res, prep = hair_render
    import cv2

    pl = prep.placement
    # inside the locks (2 px in from their border): at the border the mask's soft edge lets a link half show,
    # where the chain's side, climbing the neck since round 3, goes under the hair
    hair = cv2.erode(pl.tissue.hair.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    # where the links are drawn: the rested curve, its sides brought to the photo's outline
    links = [p for p in necklace.parts(catalog.get_piece(CHAIN), pl.fit) if p.name == "links"][0]
    c = links.transforms[::6, :3, 3]
    M = pl.piece_to_cam
    uv = np.round(prep.camera.project(c @ M[:3, :3].T + M[:3, 3])).astype(int)
    on_hair = hair[uv[:, 1], uv[:, 0]]
    on_skin = pl.tissue.skin[uv[:, 1], uv[:, 0]]
    assert on_hair.sum() >= 3 and on_skin.sum() >= 3  # the chain crosses both here
    m = res.mask

    def cover(pts):
        return np.array([m[y - 1:y + 2, x - 1:x + 2].max() for x, y in pts])

    assert cover(uv[on_hair]).max() < 0.2          # under the hair: hidden
    assert np.median(cover(uv[on_skin])) > 0.3     # on bare skin: shows
    assert res.report["placement"]["site"] == "neck"
    assert res.report["composite"]["integration"]["occluded_share_of_crop"] > 0
    # the chain gets the photo's own sharpening, grain and JPEG blocks (until round 3: plain grey noise)
    assert "jpeg" in res.report["composite"]["look_applied"]


def test_the_render_spends_its_samples_on_the_chain(hair_render):
    """Only the chain's footprint (and its shadow's reach on the neck) is rendered, not the crop around
    it; every pixel the chain covers is among them, and the clasp is in the scene."""
    res, prep = hair_render
    rep = res.report["render"]
    x, y, w, h = rep["crop"]
    assert rep["pixels_rendered"] < 0.4 * w * h
    assert (res.mask > 0).sum() < rep["pixels_rendered"]
    assert "clasp" in rep["parts"] and "links" in rep["parts"]


def test_bad_options_are_invalid_option():
    for kwargs in ({"finger": "ring"}, {"length_in": 40}, {"length_in": "long"}, {"position": 0.3}):
        with pytest.raises(JewelrenderError) as e:
            check_options(CHAIN, **kwargs)
        assert e.value.code == "INVALID_OPTION"
    with pytest.raises(JewelrenderError) as e:
        check_options("bangle-round-6mm-18k-yellow", length_in=18)
    assert e.value.code == "INVALID_OPTION"
    assert check_options(CHAIN) == {"length_in": 18.0}


@pytest.fixture(scope="module")
def renderer():
    with Renderer() as r:
        yield r


def _code(renderer, photo):
    with pytest.raises(JewelrenderError) as e:
        renderer.prepare(photo, site="neck")
    return e.value


def test_no_face_is_face_not_found(renderer, data_dir):
    hand = sorted((data_dir / "photos" / "hands").glob("mediapipe_thumbs_up.png"))[0]
    assert _code(renderer, hand).code == "FACE_NOT_FOUND"


def test_a_turned_head_is_head_turned(renderer, data_dir):
    err = _code(renderer, data_dir / "photos" / "ears" / "earmeasure_1_right.jpg")
    assert err.code == "HEAD_TURNED" and "turned" in err.message


def test_a_head_without_shoulders_is_neck_not_visible(renderer, data_dir):
    ph = load_photo(data_dir / "photos" / "necks" / "frl-london_113-03.jpg")
    head_only = np.ascontiguousarray(ph.srgb[: int(ph.height * 0.78)])  # the chin in, the shoulders out
    assert _code(renderer, head_only).code == "NECK_NOT_VISIBLE"


def test_a_scarf_over_the_neck_is_neck_covered(renderer, data_dir, detectors):
    """A real portrait with a knitted-scarf-coloured band painted over the neck and collarbones."""
    fd, pd = detectors
    ph = load_photo(data_dir / "photos" / "necks" / "frl-london_113-03.jpg")
    img = ph.srgb.copy()
    face = fd.detect(ph)[0]
    pose = pd.detect(ph).pose
    chin_y = int(face.image_px[152][1])
    sh_y = int(pose.image_px[[11, 12], 1].mean())
    x0, x1 = int(pose.image_px[12][0]), int(pose.image_px[11][0])
    rng = np.random.default_rng(1)
    band = np.array([40, 60, 120], np.uint8) + rng.integers(0, 25, (sh_y + 40 - chin_y, x1 - x0, 3)).astype(np.uint8)
    img[chin_y: sh_y + 40, x0:x1] = band
    assert _code(renderer, img).code == "NECK_COVERED"


def test_the_render_proxy_never_hides_links_resting_on_the_neck(scenes):
    """The neck's render capsule hides the chain's back, never a link lying on the body's colliders.

    A render capsule of the collider's full radius swallowed every link resting on the base's tilted cone
    (whose front is inside that capsule): the whole 16-inch chain of the neck sample vanished.
    """
    for name, (ph, det, cam, placements) in scenes.items():
        for length, pl in placements.items():
            links = [p for p in necklace.parts(catalog.get_piece(CHAIN), pl.fit) if p.name == "links"][0]
            centres = links.transforms[:, :3, 3] @ pl.piece_to_cam[:3, :3].T + pl.piece_to_cam[:3, 3]
            neck = [c for c in pl.proxies if c.name == "neck"][0]
            d = neck.p1 - neck.p0
            t = np.clip((centres - neck.p0) @ d / (d @ d), 0.0, 1.0)
            dist = np.linalg.norm(centres - (neck.p0 + t[:, None] * d), axis=1)
            assert dist.min() >= neck.radius, (name, length, float(dist.min()), neck.radius)


def _segment_hits_capsule(a, b, cap, samples=200):
    """Whether the segment a-b passes inside the capsule (sampled along the segment)."""
    t = np.linspace(0.0, 1.0, samples)[:, None]
    p = a[None] + t * (b - a)[None]
    d = cap.p1 - cap.p0
    s = np.clip((p - cap.p0) @ d / (d @ d), 0.0, 1.0)
    return bool((np.linalg.norm(p - (cap.p0 + s[:, None] * d), axis=1) < cap.radius).any())


def _clasp_at_the_back(scenes, piece_id, span):
    """The piece's 18" parts on the first portrait, its one clasp's vertices and centre (piece space, mm), after
    checking the clasp: one metal part, its size within ``span`` (mm), at the back, behind the neck's axis (a
    plain chain slides round a little as it settles: the clasp follows the loop's half-way joint)."""
    pl = scenes[PORTRAITS[0]][3][18]
    parts = necklace.parts(catalog.get_piece(piece_id), pl.fit)
    clasp = [p for p in parts if p.name == "clasp"]
    assert len(clasp) == 1 and clasp[0].role == "metal"
    v = clasp[0].vertices
    assert span[0] < np.ptp(v, axis=0).max() < span[1]
    c = v.mean(axis=0)
    r = pl.fit.neck_radius_mm
    assert c[2] < -0.5 * r and abs(c[0]) < r, c
    return pl, parts, v, c


@pytest.mark.parametrize("piece_id", [CHAIN, "solitaire-pendant-half-carat-18k-white", "curb-chain-18k-yellow"])
def test_every_chain_closes_with_a_clasp_at_its_back(scenes, piece_id):
    """A lobster clasp, its jump ring and tag ring, in the chain's metal, half-way round the loop from the
    front (where a pendant hangs): behind the neck on a front portrait, where the neck's render proxy
    hides it; the links it replaces are gone (none within its span)."""
    pl, parts, v, c = _clasp_at_the_back(scenes, piece_id, (12.0, 30.0))  # lobster (9-14 mm), jump ring, tag ring
    links = [p for p in parts if p.name == "links"][0]
    assert np.linalg.norm(links.transforms[:, :3, 3] - c, axis=1).min() > 4.0
    M = pl.piece_to_cam
    c_cam = M[:3, :3] @ c + M[:3, 3]
    neck = [p for p in pl.proxies if p.name == "neck"][0]
    assert _segment_hits_capsule(np.zeros(3), c_cam, neck)  # the camera sees the neck, not the clasp



@pytest.mark.parametrize("piece_id, instanced, span", [("tennis-necklace-18k-white", "settings", (8.0, 16.0)),
                                                       ("pearl-strand-7mm-akoya", "pearls", (12.0, 22.0))])
def test_a_tennis_line_and_a_pearl_strand_close_with_their_clasps_at_the_back(scenes, piece_id, instanced, span):
    """A tennis necklace closes with a box clasp (box, tongue lip, figure-8 safeties), a pearl strand with a
    fish-hook clasp on jump rings, in the piece's metal, half-way round the loop (behind the neck on a front
    portrait, hidden by the neck's proxy); no stone box or pearl left inside its span (round 3's set had a
    line of stones running on unbroken round the back)."""
    pl, parts, v, c = _clasp_at_the_back(scenes, piece_id, span)
    units = [p for p in parts if p.name == instanced][0].transforms[:, :3, 3]
    # the nearest unit's centre is beyond the clasp's half-length (along the chain) less a hair
    half = 0.5 * np.ptp(v, axis=0).max()
    assert np.linalg.norm(units - c, axis=1).min() > half - 1.0
    M = pl.piece_to_cam
    c_cam = M[:3, :3] @ c + M[:3, 3]
    neck = [p for p in pl.proxies if p.name == "neck"][0]
    assert _segment_hits_capsule(np.zeros(3), c_cam, neck)


def test_a_tennis_lines_ends_roll_round_the_neck(scenes, monkeypatch):
    """A tennis line's boxes face the camera at the front; its last ones each side, where the photo's
    outline hides the line, roll round the neck's edge, seen edge-on (round 3's retoucher: "ends abruptly
    at the neck edge instead of wrapping around it"). The box's out-of-body axis (the stone's table: the
    link frame's +Z once a flat style's -90 deg turn is applied) against the camera's direction (+Z of the
    piece frame)."""
    pl = scenes[PORTRAITS[0]][3][18]
    piece = catalog.get_piece("tennis-necklace-18k-white")

    def facing():
        T = [p for p in necklace.parts(piece, pl.fit) if p.name == "settings"][0].transforms
        c = T[:, :3, 3]
        ang = np.arctan2(c[:, 0], c[:, 2])
        return T[np.argmin(np.abs(ang)), 2, 2], T[[np.argmax(ang), np.argmin(ang)], 2, 2]

    mid, ends = facing()
    assert mid > 0.8 and (np.abs(ends) < 0.35).all(), (mid, ends)  # edge-on, neither facing nor turned away
    monkeypatch.setattr(necklace, "TENNIS_END_TURN_DEG", 0.0)
    _, flat = facing()
    assert np.abs(flat).max() > 0.5, flat  # without the roll one end faced the camera (0.76)


def test_every_chain_link_and_the_clasp_are_closed_finite_meshes():
    """A link of each style (the box link once swept a square through 90-degree turns into NaN
    vertices) and the clasp's parts: closed, finite, the link as long as the catalog says."""
    import trimesh

    for style in chain_links.CHAIN_STYLES:
        part = chain_links.chain_link(style, 0.4, 2.0)
        assert np.isfinite(part.vertices).all(), style
        assert trimesh.Trimesh(part.vertices, part.faces).is_watertight, style
        if style != "snake":
            assert abs(np.ptp(part.vertices[:, 0]) - 2.0) < 0.05, style
    clasp = chain_links.lobster_clasp(0.4)
    assert [p.name for p in clasp.parts] == ["clasp", "clasp_jump_ring", "clasp_tag_ring"]
    box = chain_links.box_clasp(2.5)
    assert [p.name for p in box.parts] == ["clasp", "clasp_safety_0", "clasp_safety_1"]
    hook = chain_links.fish_hook_clasp(7.0)
    assert [p.name for p in hook.parts] == ["clasp", "clasp_hook", "clasp_ring_0", "clasp_ring_1"]
    for p in (*clasp.parts, *box.parts, *hook.parts):
        assert np.isfinite(p.vertices).all() and trimesh.Trimesh(p.vertices, p.faces).is_watertight, p.name


def test_a_run_without_edges_is_not_the_neck_width(detectors):
    """The neck sample's jumper and high trapezius join the neck's run on most rows, and its jumper holds the
    pose's shoulder points low. Once the window's own width counted as a 133 mm neck (its chain lay out on
    the shoulders), then the notch found from the shoulders lay on the jumper's neckline (y ~1276; its
    chain went under it). The neck's width comes from its narrowest rows or the prior, and the notch from
    where the outline turns into the trapezius: within 25 px of the notch read by hand, (600, 1195)."""
    from jewelrender import samples

    fd, pd = detectors
    ph = load_photo(samples.path("neck"))
    res = pd.detect(ph)
    det = NeckDetection(fd.detect(ph)[0], res.pose, res.person_mask, 1)
    pl = place_neck(ph, det, camera_from_photo(ph), length_in=16)
    assert 95.0 < pl.neck_width_mm < 120.0  # ANSUR II women: 105 +- 6 mm
    assert abs(pl.notch_px[1] - 1195) < 25 and abs(pl.notch_px[0] - 600) < 30, pl.notch_px


@pytest.mark.parametrize("name", PORTRAITS)
def test_the_chain_ends_where_the_neck_hides_it_without_hooks(scenes, name):
    """The links drawn run round the front only as far as the body's outline (the widest line of the
    neck base's section): going out from the front, each side only widens. Links kept beside the neck
    behind that line curled back inside it, hooked ends both blind-test judges named on every try-on."""
    pl = scenes[name][3][18]
    links = [p for p in necklace.parts(catalog.get_piece(CHAIN), pl.fit) if p.name == "links"][0]
    c = links.transforms[:, :3, 3]
    ang = np.arctan2(c[:, 0], c[:, 2])
    for side in (1.0, -1.0):
        s = side * ang > 0
        order = np.argsort(np.abs(ang[s]))
        x = np.abs(c[s][order, 0])
        assert len(x) > 20
        assert np.all(np.maximum.accumulate(x) - x < 1.5), (name, side)  # no turning back inwards


#: The bundled neck sample's skin outline beside the neck (photo px, (y, x)), read by hand off a 20 px grid
#: (2026-12-03): the neck's edge against the door on each side from the chin's level (y 1000) down to where
#: clothing meets it: on the image's left the top's black strap, which itself goes behind the neck's
#: outline at (416, 1100), its inner edge running down to (398, 1160); on the right the jumper, from
#: (830, 1125) along its neckline (read on a 10 px grid).
SAMPLE_OUTLINE = {"image_left": ((1000, 474), (1040, 470), (1060, 458), (1080, 436), (1100, 416), (1160, 398)),
                  "image_right": ((1000, 758), (1040, 768), (1060, 778), (1080, 788), (1100, 800), (1120, 820),
                                  (1125, 830), (1165, 800), (1213, 750), (1257, 700))}


def _distance_to_polyline(p, poly):
    """Pixels from the point p (x, y) to the polyline of (y, x) vertices."""
    q = np.array([(x, y) for y, x in poly], float)
    best = np.inf
    for a, b in zip(q[:-1], q[1:]):
        t = np.clip((p - a) @ (b - a) / ((b - a) @ (b - a)), 0.0, 1.0)
        best = min(best, float(np.linalg.norm(p - (a + t * (b - a)))))
    return best


@pytest.fixture(scope="module")
def sample_renders():
    """Preview try-ons on the bundled neck sample: the demo's 16" solitaire pendant and a 16" cable chain."""
    from jewelrender import samples

    photo = load_photo(samples.path("neck"))
    with Renderer() as r:
        chain = r.try_on(photo, CHAIN, length_in=16, min_quality=0)
        pendant = r.try_on(photo, "solitaire-pendant-half-carat-18k-white", length_in=16, min_quality=0)
    return photo, chain, pendant


def test_the_chain_comes_round_both_sides_of_the_neck_to_its_outline(sample_renders):
    """Both sides of the chain show, in similar amounts (the sample's neck faces the camera; the jumper's
    neckline rises across the right side and covers its last ~2 cm, so at least half as much), and each
    side's topmost visible link is where the skin's outline is, read by hand: the neck's edge, where a
    real chain goes behind the neck, or the edge of the clothes it goes under; not stopped on the skin
    inside it (the old code: the chain's right half gone, its left end mid-skin), not hooked back.
    Tolerance 10 px: the outline is read on a 20 px grid (+-3 px), the colour masks that hide the chain
    work at 640 px (2.4 photo px a pixel here) with a 5 px closing, and a cable link is 2 mm long (~5 px
    at this photo's ~2.6 px/mm): about two links."""
    photo, res, _ = sample_renders
    m = res.mask
    ys, xs = np.nonzero(m > 0.25)
    mid_x = (SAMPLE_OUTLINE["image_left"][0][1] + SAMPLE_OUTLINE["image_right"][0][1]) / 2
    sides = {"image_left": xs < mid_x, "image_right": xs >= mid_x}
    amount = {k: float(m[ys[s], xs[s]].sum()) for k, s in sides.items()}
    assert min(amount.values()) > 0.5 * max(amount.values()), amount
    for k, s in sides.items():
        top = int(np.argmin(ys[s]))
        p = np.array([xs[s][top], ys[s][top]], float)
        # it climbs to the neck's side (or, on the right, under the jumper's edge where that is still beside the
        # neck, x > 745), not stopping on the chest
        assert 990 <= p[1] <= {"image_left": 1165, "image_right": 1225}[k], (k, p)
        assert _distance_to_polyline(p, SAMPLE_OUTLINE[k]) <= 10.0, (k, p)


def test_the_demo_pendant_shows_on_the_bare_neckline(sample_renders):
    """The sample's jumper leaves the neck's base and the top of the chest bare down to ~y 1310 at the
    middle: the demo's 16" solitaire hangs there, on skin, and shows (its stone and head, well above the
    jumper's edge, mostly uncovered)."""
    photo, _, res = sample_renders
    m = res.mask
    ys, xs = np.nonzero(m > 0.5)
    low = ys > np.percentile(ys, 90)  # the pendant: the lowest tenth of what shows
    assert low.sum() > 40
    assert ys.max() < 1305 and abs(np.median(xs[low]) - 600) < 40, (ys.max(), np.median(xs[low]))


def test_the_chain_is_as_soft_as_the_faces_edges(sample_renders, data_dir, detectors):
    """The bundled sample is a soft webcam plate: its eyes' and lips' sharpest edges spread ~1.35 px, while the
    neck crop's sharpest edges (a strap's, the jumper's) read ~0.6, and a chain blurred to those was crisper
    than the skin it lies on (round 3's retoucher: "crisper and brighter than the soft, noisy webcam-quality
    image"). The necklace is blurred to the face's edges where they are softer; on a sharp plate
    (deepface_img8, red carpet) they read sharp and nothing is added."""
    from jewelrender.camera_look import edge_blur_sigma
    from jewelrender.color import luminance, srgb8_to_linear
    from jewelrender.sites.neck import face_edge_blur

    fd, _ = detectors
    photo, res, _ = sample_renders
    face = face_edge_blur(photo, fd.detect(photo)[0])
    assert 1.1 < face < 1.7, face
    comp = res.report["composite"]
    assert comp["blur_sigma_px"] == pytest.approx(face, abs=0.02)
    # the crop's own sharpest edges, which set it before, are sharper
    x, y, w, h = res.report["render"]["crop"]
    crop_blur = edge_blur_sigma(luminance(srgb8_to_linear(photo.srgb[y:y + h, x:x + w])))
    assert crop_blur < 0.8 * face, crop_blur
    sharp = load_photo(data_dir / "photos" / "necks" / "deepface_img8.jpg")
    assert face_edge_blur(sharp, fd.detect(sharp)[0]) < 0.8


def test_a_fine_chain_and_its_pendant_cast_a_contact_shadow():
    """A chain whose wire covers a third of each pixel it crosses darkens the skin beside it, away from the
    key light, and not on the lit side (thresholded at half coverage, as for a band, it cast nothing and
    no judge saw a shadow); a pendant casts further than its chain. The multiplier is the real
    contact.contact_shading, here on a drawn line and a drawn pendant."""
    from jewelrender.contact import KeyInImage
    from jewelrender.sites.neck import necklace_contact

    alpha = np.zeros((64, 64), np.float32)
    alpha[32, 8:56] = 0.33
    key = KeyInImage(np.array([0.0, -1.0]), 1.0, 0.5)  # the light above: shadows fall below
    mult, info = necklace_contact(alpha, np.ones_like(alpha), key, catalog.get_piece(CHAIN), 2.6)
    assert mult[33:36, 16:48].min() < 0.8 and np.median(mult[33:35, 16:48]) < 0.9
    assert mult[26:31, 16:48].min() > mult[33:36, 16:48].min() + 0.1  # the lit side: only the contact line
    alpha[36:46, 28:36] = 1.0  # a pendant hanging from it
    mult2, info2 = necklace_contact(alpha, np.ones_like(alpha), key, catalog.get_piece(PENDANT), 2.6)
    assert info2["pendant_px"] >= 60 and info2["pendant"]["cast_px"] > info2["chain"]["cast_px"]
    assert mult2[47:50, 28:36].max() < 0.9  # its shadow below it


def test_a_fine_chain_reads_as_a_dark_line_tinted_by_its_metal():
    """The skin that shows in the pixels a sub-pixel chain crosses (between its wires, inside its links) lies
    in the wire's shade and is what the links mirror: darker, and for gold more saturated (blue darkened
    most), neutral for white gold. Without it a 0.45 mm yellow chain was its metal's pale colour averaged
    with the lit skin's: the ghost round 2's judges caught on deepface_img1. A pearl strand (its pearls
    several pixels wide) keeps the skin under it as it is."""
    from jewelrender.sites.neck import necklace_contact

    alpha = np.zeros((64, 64), np.float32)
    alpha[32, 8:56] = 0.33
    skin = np.ones_like(alpha)
    gold, _ = necklace_contact(alpha, skin, None, catalog.get_piece(CHAIN), 2.6)
    line = gold[32, 16:48]
    assert line.mean() < 0.65                                   # a dark line, not a pale ghost
    assert np.all(line[:, 2] < line[:, 0] - 0.15)                # gold: warmer (blue darkened most)
    white, _ = necklace_contact(alpha, skin, None, catalog.get_piece(PENDANT), 2.6)  # 18k white gold
    w = white[32, 16:48]
    assert w.mean() < 0.7 and np.ptp(w, axis=1).max() < 0.05     # darker, neutral
    assert np.allclose(gold[20, 16:48], 1.0, atol=1e-3)          # away from the chain: the photo as it is
    pearls = np.zeros_like(alpha)
    pearls[28:37, 8:56] = 1.0
    strand, _ = necklace_contact(pearls, skin, None, catalog.get_piece("pearl-strand-7mm-akoya"), 2.6)
    assert np.allclose(strand[28:37, 16:48], 1.0, atol=1e-3)


def test_the_chains_sides_climb_the_neck_to_where_it_flares(scenes):
    """frl-london_113-03 (18"): each side of the chain climbs the neck's side and ends where the photo's
    outline of the neck starts to flare into the shoulders, as real chains go behind the neck
    (compreface_002_A's, facerec_rose_leslie_img1's), not at the neck's base out on the shoulders' slope (round
    2: both sides ended 10 mm above the notch, widened to 1.36-1.45 x the neck's half-width there, "runs
    straight up off the shoulders instead of going round the neck"). Bands: above 20 mm over the notch (the
    flare's top on this photo is at 25-35 mm), within 1.25 x the outline's half-width on the neck's rows
    (the neck itself: those 40 mm and more above the notch)."""
    pl = scenes["frl-london_113-03.jpg"][3][18]
    links = [p for p in necklace.parts(catalog.get_piece(CHAIN), pl.fit) if p.name == "links"][0]
    c = links.transforms[:, :3, 3]
    o = np.asarray(pl.fit.outline, float)
    for sign, col in ((1.0, 1), (-1.0, 2)):
        side = c[sign * c[:, 0] > 0]
        top = side[np.argmax(side[:, 1])]
        rows = o[(o[:, 0] >= 40.0) & (o[:, col] > 0)]
        neck = float(np.median(rows[:, col]))
        assert top[1] > 20.0, (sign, top)
        assert abs(top[0]) < 1.25 * neck, (sign, top, neck)


def test_a_white_t_shirt_is_clothes(data_dir, detectors):
    """earmeasure_2_front's white crew-neck T-shirt (L* 87, C* 4 under a warm white balance: the skin's hue)
    passed as skin and chains were drawn over it (rounds 1-2): now it is clothes, and the neck above its
    neckline is still skin. Points read by hand off a 100 px grid."""
    from jewelrender.sites.neck import tissue_masks

    fd, pd = detectors
    ph = load_photo(data_dir / "photos" / "necks" / "earmeasure_2_front.jpg")
    res = pd.detect(ph)
    t = tissue_masks(ph, NeckDetection(fd.detect(ph)[0], res.pose, res.person_mask, 1))
    for x, y in ((600, 1550), (300, 1500), (900, 1450), (1000, 1350), (150, 1400)):
        assert t.cloth[y, x] and not t.skin[y, x], (x, y)
    for x, y in ((600, 1300), (450, 1350), (550, 1200)):
        assert t.skin[y, x], (x, y)


def test_a_necklace_the_photo_already_wears_is_reported(scenes):
    """compreface_002_A wears a fine chain and pendant (ours was drawn beside it, rounds 1-2, unsaid): the
    placement finds it (a thin line over the skin ~76 mm long) and the report warns; frl-london_113-03's bare
    neck has none (its longest line 6 mm: the threshold, 35 mm, lies between every bare-necked dev portrait that
    passes the gate, at most 26 mm, and the two fine chains, 64-76 mm)."""
    worn = scenes["compreface_002_A.jpg"][3][18]
    assert worn.details["worn_necklace"]["found"] and worn.to_report()["warnings"]
    bare = scenes["frl-london_113-03.jpg"][3][18]
    assert not bare.details["worn_necklace"]["found"] and not bare.to_report()["warnings"]


def test_glossy_skin_beside_a_black_dress_is_not_hair(data_dir, detectors):
    """deepface_img1: the black dress takes the hair's colour (it hides the chain either way), and the glossy
    skin beside its edge (L* 66-78 against the hair's 27, the skin's hue, but band-pass contrast 1.5 x the
    texture limit) was labelled hair with it: it cut the chain's side in two, a piece ending mid-skin (the
    round-3 blind set's first build). Points read by hand; the dress itself still covers."""
    from jewelrender.sites.neck import tissue_masks

    fd, pd = detectors
    ph = load_photo(data_dir / "photos" / "necks" / "deepface_img1.jpg")
    res = pd.detect(ph)
    t = tissue_masks(ph, NeckDetection(fd.detect(ph)[0], res.pose, res.person_mask, 1))
    for x, y in ((699, 1146), (689, 1171), (669, 1201)):
        assert not t.covering[y, x], (x, y)
    assert t.covering[1300, 750]


def test_no_link_floats_beyond_the_bodys_outline(data_dir):
    """frl-london_113-03 (18"): where the chain's sides go behind the neck, no link shows over the studio
    backdrop beyond the body's outline (the person mask), and the last ~1.5 mm inside it fade (round 3's
    compositor: "both chain ends rise past the neck/shoulder silhouette into the grey background")."""
    photo = load_photo(data_dir / "photos" / "necks" / "frl-london_113-03.jpg")
    with Renderer() as r:
        res = r.try_on(photo, CHAIN, length_in=18, min_quality=0, refine_lighting=False)
        prep = r.prepare(photo, site="neck", length_in=18, refine_lighting=False)
    person = prep.placement.tissue.person
    assert res.mask[person].max() > 0.5              # the chain shows on the body
    # (the camera's blur, applied after, spreads the faded end a pixel or two: up to 0.10 there; round 3: 0.89)
    assert res.mask[~person].max() < 0.15, res.mask[~person].max()


def test_the_footprint_covers_the_proxy_under_a_chain_solidly():
    """The sparse render's footprint: round the chain's hull, grown by the shadow's reach where the neck's
    render capsule lies under it. The capsule's projected triangles were filled together (even-odd rule):
    its front and back faces cancelled and the footprint came in vertical streaks, so the render's shadow
    on the neck was sampled in lines (a faint striped mark above the heart on frl-london_113-03 in blind
    round 4's set). Every pixel within the reach over the capsule is in it now."""
    import cv2

    from jewelrender import samples
    from jewelrender.scene import SHADOW_REACH_MM, Crop, SceneMesh, footprint
    from jewelrender.sites.proxies import capsule_mesh

    cam = camera_from_photo(load_photo(samples.path("neck")))
    crop = Crop(300, 800, 500, 500)
    # a neck-sized capsule 0.45 m in front of the camera, upright in the image, at the crop's centre
    c = np.linalg.solve(cam.K, [550.0, 1050.0, 1.0]) * 0.45
    v, f, n = capsule_mesh(c - [0, 0.06, 0], c + [0, 0.06, 0], 0.05)
    neck = SceneMesh("neck", "proxy", v, f, n, {})
    hull = cam.project(np.array([c + [dx, 0.0, -0.05] for dx in (-0.02, 0.02)] + [c + [0.0, 0.002, -0.05]]))
    px_per_mm = 2.5
    fp = footprint(crop, cam, [[hull]], [neck], px_per_mm)
    seed = np.zeros((crop.height, crop.width), np.uint8)
    cv2.fillConvexPoly(seed, cv2.convexHull(np.round(hull - [crop.x, crop.y]).astype(np.int32)), 1)
    r = int(SHADOW_REACH_MM * px_per_mm) - 2
    near = cv2.dilate(seed, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))).astype(bool)
    uv = cam.project(v.astype(np.float64)) - [crop.x, crop.y]
    inside = np.zeros_like(seed)
    cv2.fillConvexPoly(inside, cv2.convexHull(np.round(uv).astype(np.int32)), 1)
    inside = cv2.erode(inside, np.ones((5, 5), np.uint8)).astype(bool)
    want = near & inside
    assert want.sum() > 500
    assert fp[want].all(), 1.0 - fp[want].mean()



def _pearl_render(spp):
    """A 7 mm pearl of the catalog strand (its mesh and its try-on material at preview) path-traced at ``spp``
    samples under a grey room with a window above-left: radiance (48, 48, 3) and where the pearl's disc is
    (its inner 85 %)."""
    import mitsuba as mi

    from jewelrender.library import catalog
    from jewelrender.pieces.stones import stone_part
    from jewelrender.render import mitsuba_mesh
    from jewelrender.scene import SceneMesh, stone_material

    from jewelrender import backend

    backend.select()  # the try-on's own variant (switching it would recompile every later render's kernel)
    piece = catalog.get_piece("pearl-strand-7mm-akoya")
    part = stone_part(piece.stone)
    m = stone_material(piece.stone["gem"], thick_media=catalog.quality_preset("preview").thick_media)
    mesh = mitsuba_mesh(mi, SceneMesh("pearl", "stone", np.asarray(part.vertices, np.float32),
                                      np.asarray(part.faces, np.uint32), np.asarray(part.normals, np.float32),
                                      m["bsdf"]))
    env = np.full((16, 32, 3), 0.3, np.float32)
    env[2:5, 8:12] = 30.0
    scene = mi.load_dict({
        "type": "scene", "integrator": {"type": "path", "max_depth": 8},
        "sensor": {"type": "perspective", "fov": 8.0, "to_world": mi.ScalarTransform4f().look_at(
            origin=[0, 0, 60], target=[0, 0, 0], up=[0, 1, 0]),
            "film": {"type": "hdrfilm", "width": 48, "height": 48, "rfilter": {"type": "box"}},
            "sampler": {"type": "independent", "sample_count": spp}},
        "env": {"type": "envmap", "bitmap": mi.Bitmap(env)},
        "pearl": mesh,
    })
    img = np.array(mi.render(scene, seed=1), np.float32)[..., :3]
    # 60 mm away at 8 degrees: 0.175 mm a pixel, the 3.5 mm radius 20 px
    yy, xx = np.mgrid[0:48, 0:48]
    return img, np.hypot(yy - 23.5, xx - 23.5) < 17.0


def test_a_pearls_body_reads_smooth_not_as_sparkle():
    """The catalog strand's pearls sparkled like faceted diamonds at preview (2026-12-03): their diffuse body,
    path-traced at 36 samples a pixel, is per-pixel noise, which the camera look's sharpening made into
    glints. The composite smooths diffuse stones' radiance (not a gem's); after it the pearl's disc varies
    smoothly, as the same pearl traced at 16x the samples does."""
    from jewelrender.composite import diffuse_smoothing_sigma, smooth_diffuse_stones
    from jewelrender.library import catalog

    q = catalog.quality_preset("preview")
    spp = q.supersample ** 2 * q.passes
    noisy, disc = _pearl_render(spp)
    ref, _ = _pearl_render(16 * spp)

    def grain(img):  # pixel-to-pixel luminance change inside the disc, relative to its level
        y = img.mean(-1)
        d = np.abs(np.diff(y, axis=1))[disc[:, 1:] & disc[:, :-1]]
        return float(np.median(d) / np.median(y[disc]))

    stone = np.zeros(disc.shape, np.float32)
    stone[np.hypot(*(np.mgrid[0:48, 0:48] - 23.5)) < 20.0] = 1.0
    smooth = smooth_diffuse_stones(noisy * stone[..., None], stone, stone, diffuse_smoothing_sigma(spp))
    assert grain(noisy) > 1.6 * grain(ref)          # the preview's samples alone leave it grainy (1.9x)
    assert grain(smooth) < 1.25 * grain(ref)        # smoothed, it is about as even as the converged pearl (1.1x)
    # its shading (the window's side of the disc brighter, ~3x) is kept
    a, b = smooth[10:38, 8:20].mean(), smooth[10:38, 28:40].mean()
    assert max(a, b) > 2.0 * min(a, b)


def test_a_pearl_strand_is_held_to_its_albedo_over_the_skins_not_to_the_skins_level(data_dir):
    """Round 5's judges caught the strand on deepface_img8 as "flat grey discs": the necklaces' median cap (a
    metal's rule, the skin's level) held the pearls' median there, where the real pearls of the earring in the
    same photo read 1.7x the skin. A diffuse body lit as the skin beside it shows its albedo over the skin's."""
    from jewelrender.compose import compose_piece
    from jewelrender.scene import Crop
    from jewelrender.sites.neck import diffuse_body_albedo, metal_cap

    photo = load_photo(data_dir / "photos" / "necks" / "deepface_img8.jpg")
    crop = Crop(190, 500, 240, 140)
    skin = np.zeros((140, 240), bool)
    skin[10:60, 60:180] = True           # the bare neck above the strand's line, by eye
    alpha = np.zeros((140, 240), np.float32)
    alpha[75:90, 20:220] = 1.0
    nacre = diffuse_body_albedo(compose_piece("pearl-strand-7mm-akoya"))
    assert 0.7 < nacre < 0.85                          # cream white (physicallybased.info's pearl: 0.75)
    assert diffuse_body_albedo(compose_piece(CHAIN)) is None
    chain, _ = metal_cap(photo, crop, skin, alpha)
    pearls, info = metal_cap(photo, crop, skin, alpha, body_albedo=nacre, skin_albedo=0.47)
    assert pearls == pytest.approx(chain * nacre / 0.47, rel=1e-3) and info["x_skin"] > 1.6
    # a body darker than the skin keeps the metal's cap (the skin's level) as its bound
    assert metal_cap(photo, crop, skin, alpha, body_albedo=0.3, skin_albedo=0.47)[0] == pytest.approx(chain)


def _first_hits(origins_to, tri):
    """For rays from the camera (the origin) to each point of ``origins_to`` (P, 3), whether a triangle of ``tri``
    (T, 3, 3) is crossed before the point (Moller-Trumbore, all pairs)."""
    d = origins_to
    e1, e2 = tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]
    p = np.cross(d[:, None], e2[None])
    det = np.einsum("ptk,tk->pt", p, e1)
    ok = np.abs(det) > 1e-18
    inv = np.where(ok, 1.0 / np.where(ok, det, 1.0), 0.0)
    s = -tri[None, :, 0]
    u = np.einsum("ptk,ptk->pt", np.broadcast_to(s, p.shape), p) * inv
    q = np.cross(np.broadcast_to(s, p.shape), e1[None])
    v = np.einsum("pk,ptk->pt", d, q) * inv
    t = np.einsum("tk,ptk->pt", e2, q) * inv
    return (ok & (u >= 0) & (v >= 0) & (u + v <= 1) & (t > 1e-6) & (t < 1.0 - 1e-6)).any(axis=1)


@pytest.mark.parametrize("piece_id", [CHAIN, "curb-chain-18k-yellow", "heart-pendant-14mm-18k-rose"])
def test_the_skin_under_a_chain_lies_behind_every_link(scenes, piece_id):
    """The render's strip of skin under a chain (what its links mirror, where their shadow falls) never stands
    between the camera and a link. Laid on the nearest collider's tangent, it stood edge-on in front of a
    stretch of deepface_img1's chain where the side is brought out to the photo's outline (a sixth of the
    chain's coverage hidden), and through the edge-on cable links that dip under the curve (a third)."""
    from jewelrender.scene import piece_to_camera

    piece = catalog.get_piece(piece_id)
    for name, (ph, det, cam, placements) in scenes.items():
        pl = placements[18]
        v, f, n = pl.skin_under(piece)
        M = piece_to_camera(pl.center_cam, pl.axis_cam, pl.up_cam)
        to_cam = lambda x: np.asarray(x, np.float64) @ M[:3, :3].T + M[:3, 3]  # noqa: E731
        tri = to_cam(v)[np.asarray(f)]
        # its faces are wound towards the body's outside (a one-sided emitter), and that side faces the camera
        # (but at the strip's edges, curved back, and where it turns round the neck)
        fn = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
        wound = np.einsum("tk,tk->t", fn, (np.asarray(n, np.float64) @ M[:3, :3].T)[np.asarray(f)].sum(1))
        assert (wound >= 0).all(), (name, int((wound < 0).sum()), len(wound))
        facing = float((np.einsum("tk,tk->t", fn, -tri.mean(1)) > 0).mean())
        assert facing > 0.9, (name, facing)
        links = [p for p in necklace.parts(piece, pl.fit) if p.name == "links"][0]
        T = links.transforms[:: max(1, len(links.transforms) // 60)]
        lv = np.asarray(links.part.vertices, np.float64)[::7]
        pts = (np.einsum("kij,nj->kni", T[:, :3, :3], lv) + T[:, None, :3, 3]).reshape(-1, 3)
        hidden = _first_hits(to_cam(pts), tri)
        assert hidden.mean() < 0.005, (name, float(hidden.mean()))
    assert necklace.skin_under(catalog.get_piece("pearl-strand-7mm-akoya"), pl.fit) is None


def test_a_chain_casts_its_rendered_shadow_on_the_skin_beside_it(scenes):
    """With the strip of skin under it in the render, a fine chain on deepface_img1 casts the render's own shadow
    (lit_with / lit_without, from the fitted light) on the skin beside it, and the strip hides none of it.
    Without it (the neck's capsule alone under the chain) the render's shadow never fell beside the chain: the
    skin there was not in the scene, and only the image-space contact line shaded it."""
    import dataclasses

    from jewelrender import backend
    from jewelrender.library import materials
    from jewelrender.lighting import estimate_lighting
    from jewelrender.render import render_layers
    from jewelrender.scene import build_scene

    backend.select()
    ph, det, cam, placements = scenes["deepface_img1.jpg"]
    pl = placements[18]
    piece = catalog.get_piece(CHAIN)
    light = estimate_lighting(ph, cam, pl)
    q = NECK.render_quality(catalog.quality_preset("preview"))
    parts = necklace.parts(piece, pl.fit)
    out = {}
    for strip in (True, False):
        place = pl if strip else dataclasses.replace(pl)
        if not strip:
            object.__setattr__(place, "skin_under", lambda _piece: None)
        spec = build_scene(cam, place, piece, light, q, metal_bsdf=materials.metal_bsdf_dict(materials.metal(piece.metal)),
                           stones=None, photo_linear=ph.linear, parts=parts)
        ly = render_layers(spec, seed=0)
        beside = (ly.alpha < 0.05) & (ly.proxy > 0.5) & (ly.lit_without > 0)
        shade = ly.lit_with[beside] / ly.lit_without[beside] if beside.any() else np.ones(1)
        out[strip] = (float(ly.alpha.sum()), float(np.percentile(shade, 5)), int(beside.sum()))
    (cover_with, shade_with, n_with), (cover_without, shade_without, _) = out[True], out[False]
    assert abs(cover_with / cover_without - 1.0) < 0.02, out       # the strip hides no link (it hid 1/6 to 1/3)
    assert n_with > 1000 and shade_with < 0.8 and shade_without > 0.95, out
