from __future__ import annotations

import io
import math

import numpy as np
import pytest
from PIL import Image

from jewelrender.camera import (
    DEFAULT_FOCAL_35MM,
    Camera,
    camera_from_photo,
    camera_from_size,
    focal_px_from_35mm,
)
from jewelrender.errors import InvalidOptionError
from jewelrender.photo import load_photo


def _jpeg_with_focal(width: int, height: int, focal_35mm: int | None, orientation: int = 1) -> bytes:
    exif = Image.Exif()
    if focal_35mm is not None:
        exif.get_ifd(0x8769)[41989] = focal_35mm  # FocalLengthIn35mmFilm
    exif[0x0112] = orientation
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (90, 120, 150)).save(buf, "JPEG", exif=exif.tobytes())
    return buf.getvalue()


def test_project_backproject_round_trip():
    cam = camera_from_size(4032, 3024)
    rng = np.random.default_rng(1)
    pts = np.column_stack([rng.uniform(-0.2, 0.2, 50), rng.uniform(-0.15, 0.15, 50), rng.uniform(0.1, 1.0, 50)])
    uv = cam.project(pts)
    assert uv.shape == (50, 2)
    np.testing.assert_allclose(cam.backproject(uv, pts[:, 2]), pts, atol=1e-12)
    # project(K @ p) by hand
    h = pts @ cam.K.T
    np.testing.assert_allclose(uv, h[:, :2] / h[:, 2:], rtol=1e-12)
    # Rays are unit and point at the points.
    d = cam.ray_directions(uv)
    np.testing.assert_allclose(np.linalg.norm(d, axis=1), 1.0)
    np.testing.assert_allclose(d, pts / np.linalg.norm(pts, axis=1, keepdims=True), atol=1e-12)
    # Single points keep their shape.
    assert cam.project(pts[0]).shape == (2,)
    assert cam.backproject(uv[0], 0.5).shape == (3,)


def test_principal_point_and_conventions():
    cam = camera_from_size(640, 480)
    assert (cam.cx, cam.cy) == (320.0, 240.0)
    np.testing.assert_allclose(cam.ray_directions([320.0, 240.0]), [0.0, 0.0, 1.0])
    np.testing.assert_allclose(cam.project([0.0, 0.0, 2.0]), [320.0, 240.0])
    # +x right, +y down in the image.
    u, v = cam.project([0.01, 0.02, 1.0])
    assert u > 320 and v > 240
    # Behind the camera: NaN, no warning.
    with np.errstate(all="raise"):
        assert np.isnan(cam.project(np.array([[0.0, 0.0, -1.0], [0.0, 0.0, 0.0]]))).all()


def test_focal_and_fov_known_case():
    # A 26 mm-equivalent lens on a 4:3 sensor: the diagonal FOV equals that of
    # 26 mm on 36x24 mm, 2*atan(43.27 / 52) = 79.5 degrees, whatever the pixels.
    cam = camera_from_size(4000, 3000, focal_35mm=26.0)
    assert cam.fx == pytest.approx(26.0 / math.hypot(36, 24) * 5000.0)
    assert cam.fov_diag_deg == pytest.approx(2 * math.degrees(math.atan(math.hypot(36, 24) / 2 / 26.0)))
    assert cam.fov_diag_deg == pytest.approx(79.52, abs=0.01)
    # f_px = 3000.0 for this case gives a horizontal fov of 2*atan(2000/3000).
    cam2 = Camera(width=4000, height=3000, fx=3000.0, fy=3000.0, cx=2000.0, cy=1500.0,
                  focal_35mm=26.0, focal_source="explicit")
    assert cam2.fov_x_deg == pytest.approx(2 * math.degrees(math.atan(2000 / 3000)))
    assert cam2.fov_y_deg == pytest.approx(2 * math.degrees(math.atan(1500 / 3000)))
    # 36x24 "sensor" pixels at 1 px/mm: f35 in pixels is f35 itself.
    assert focal_px_from_35mm(50.0, 36, 24) == pytest.approx(50.0)
    # Rotating the photo keeps the focal length in pixels (diagonal definition).
    assert camera_from_size(3000, 4000).fx == pytest.approx(camera_from_size(4000, 3000).fx)
    np.testing.assert_allclose(cam2.K, [[3000, 0, 2000], [0, 3000, 1500], [0, 0, 1]])


def test_resized():
    cam = camera_from_size(4000, 3000)
    small = cam.resized(1000, 750)
    pts = np.array([[0.05, -0.03, 0.4], [-0.1, 0.02, 0.3]])
    np.testing.assert_allclose(small.project(pts), cam.project(pts) / 4.0)
    assert small.fov_x_deg == pytest.approx(cam.fov_x_deg)


def test_focal_selection_from_generated_jpeg():
    p_exif = load_photo(_jpeg_with_focal(400, 300, 52))
    cam = camera_from_photo(p_exif)
    assert (cam.focal_35mm, cam.focal_source) == (52.0, "exif")
    assert cam.fx == pytest.approx(52.0 / math.hypot(36, 24) * 500.0)

    cam = camera_from_photo(load_photo(_jpeg_with_focal(400, 300, None)))
    assert (cam.focal_35mm, cam.focal_source) == (DEFAULT_FOCAL_35MM, "default")

    # Absurd EXIF values fall back to the default.
    for absurd in (1, 7, 601, 5000):
        cam = camera_from_photo(load_photo(_jpeg_with_focal(400, 300, absurd)))
        assert (cam.focal_35mm, cam.focal_source) == (DEFAULT_FOCAL_35MM, "default"), absurd

    # An explicit value overrides EXIF; an absurd explicit value is an error.
    cam = camera_from_photo(p_exif, focal_35mm=35.0)
    assert (cam.focal_35mm, cam.focal_source) == (35.0, "explicit")
    for bad in (0.0, 7.9, 601.0, float("nan"), "26", True):
        with pytest.raises(InvalidOptionError):
            camera_from_photo(p_exif, focal_35mm=bad)


def test_camera_uses_upright_size():
    p = load_photo(_jpeg_with_focal(400, 300, 26, orientation=6))
    cam = camera_from_photo(p)
    assert (cam.width, cam.height) == (300, 400) == (p.width, p.height)
    assert (cam.cx, cam.cy) == (150.0, 200.0)


def test_report_and_validation():
    rep = camera_from_size(640, 480).to_report()
    assert rep["focal_source"] == "default" and rep["width"] == 640
    assert rep["fov_x_deg"] > rep["fov_y_deg"] > 0
    with pytest.raises(InvalidOptionError):
        Camera(width=0, height=10, fx=1, fy=1, cx=0, cy=0, focal_35mm=26, focal_source="default")
    with pytest.raises(InvalidOptionError):
        Camera(width=10, height=10, fx=-1, fy=1, cx=0, cy=0, focal_35mm=26, focal_source="default")
