"""Face-mesh and pose detectors on real dev portraits (the ground the neck and ear sites stand on)."""

import numpy as np
import pytest

from jewelrender.errors import InvalidOptionError
from jewelrender.landmarks import FaceDetector, FaceLandmark, PoseDetector, PoseLandmark
from jewelrender.photo import load_photo


@pytest.fixture(scope="module")
def portrait(data_dir):
    return load_photo(data_dir / "photos" / "necks" / "compreface_002_A.jpg")


def test_face_mesh_finds_the_face_and_its_irises(portrait):
    with FaceDetector() as det:
        faces = det.detect(portrait)
    assert len(faces) == 1
    f = faces[0]
    p = f.image_px
    # The chin is below the nose and the nose below the forehead; the subject's right cheek is image-left.
    assert p[FaceLandmark.FOREHEAD][1] < p[FaceLandmark.NOSE_TIP][1] < p[FaceLandmark.CHIN][1]
    assert p[FaceLandmark.RIGHT_CHEEK_TRAGUS][0] < p[FaceLandmark.LEFT_CHEEK_TRAGUS][0]
    # Irises are ~11.7 mm against a ~140 mm wide face: the same ratio in pixels, loosely.
    face_w = np.linalg.norm(p[FaceLandmark.RIGHT_CHEEK_TRAGUS] - p[FaceLandmark.LEFT_CHEEK_TRAGUS])
    for side in ("right", "left"):
        assert 0.05 < f.iris_diameter_px(side) / face_w < 0.13


def test_pose_finds_shoulders_below_the_face_and_a_person_mask(portrait):
    with PoseDetector() as det:
        res = det.detect(portrait)
    pose = res.pose
    assert pose is not None
    ls, rs, nose = (pose.image_px[i] for i in (PoseLandmark.LEFT_SHOULDER, PoseLandmark.RIGHT_SHOULDER, PoseLandmark.NOSE))
    assert pose.visible(PoseLandmark.LEFT_SHOULDER) and pose.visible(PoseLandmark.RIGHT_SHOULDER)
    assert ls[1] > nose[1] and rs[1] > nose[1]
    assert rs[0] < ls[0]  # the person's right shoulder is image-left in a front view
    m = res.person_mask
    assert m.shape == portrait.srgb.shape[:2]
    ny, nx = np.round(nose[::-1]).astype(int)
    assert m[ny, nx] > 0.5 and m[2, 2] < 0.5  # the face is person, a corner is not


def test_detectors_refuse_bad_options():
    with pytest.raises(InvalidOptionError):
        FaceDetector(max_faces=0)
    with pytest.raises(InvalidOptionError):
        PoseDetector(min_confidence=2)
