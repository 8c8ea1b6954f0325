from __future__ import annotations

import io
import re
import warnings

import numpy as np
import pytest
from PIL import Image

from jewelrender import color
from jewelrender.errors import (
    ImageTooLargeError,
    ImageTooSmallError,
    InvalidOptionError,
    PhotoError,
    PhotoNotFoundError,
    UnreadableImageError,
    UnsupportedFormatError,
)
from jewelrender.photo import Photo, load_photo

from _imagefiles import encode as _encode, raw_png as _raw_png  # noqa: E402

# ---------------------------------------------------------------- helpers


def _noise(h=64, w=96, seed=0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(h, w, 3), dtype=np.uint8)


def _write(tmp_path, name: str, data: bytes):
    p = tmp_path / name
    p.write_bytes(data)
    return p


# ------------------------------------------------------------- real photos


def _manifest_sizes(data_dir, folder: str) -> dict[str, tuple[int, int]]:
    text = (data_dir / "MANIFEST.md").read_text(encoding="utf-8")
    sizes = {}
    for m in re.finditer(r"^\| `photos/" + folder + r"/([^`]+)` \|.*?\| (\d+)x(\d+) \|", text, flags=re.M):
        sizes[m.group(1)] = (int(m.group(2)), int(m.group(3)))
    return sizes


def test_every_hand_photo_loads_with_its_manifest_size(data_dir, hand_photos):
    sizes = _manifest_sizes(data_dir, "hands")
    assert len(hand_photos) >= 20 and set(p.name for p in hand_photos) <= set(sizes)
    for path in hand_photos:
        photo = load_photo(path)
        assert (photo.width, photo.height) == sizes[path.name], path.name
        assert photo.srgb.dtype == np.uint8 and photo.srgb.shape == (photo.height, photo.width, 3)
        assert not photo.srgb.flags.writeable
        assert photo.format == ("PNG" if path.suffix == ".png" else "JPEG")
        assert photo.source == str(path)
        # Real photos are not flat: guards against a decoder silently returning grey.
        assert photo.srgb.std() > 10, path.name


def test_rgba_hand_photo_is_composited_over_white(data_dir):
    path = data_dir / "photos" / "hands" / "mediapipe_thumbs_up.png"
    raw = np.asarray(Image.open(path))
    assert raw.shape[2] == 4 and (raw[..., 3] == 0).any()
    photo = load_photo(path)
    transparent = raw[..., 3] == 0
    opaque = raw[..., 3] == 255
    assert (photo.srgb[transparent] == 255).all()
    np.testing.assert_array_equal(photo.srgb[opaque], raw[..., :3][opaque])


def test_jpeg_named_heic_loads_and_p3_is_converted(data_dir):
    path = data_dir / "photos" / "formats" / "palmistry_IMG_0384.HEIC"
    photo = load_photo(path)
    assert photo.format == "JPEG"
    assert (photo.width, photo.height) == (3024, 4032)
    assert photo.icc_profile_name == "Display P3"
    assert photo.icc_converted and photo.color_space == "sRGB"
    raw = np.asarray(Image.open(path))
    # The conversion happened (P3 -> sRGB spreads colours outwards) but is small.
    diff = np.abs(raw.astype(int) - photo.srgb.astype(int))
    assert 0.3 < diff.mean() < 5.0


def _p3_to_srgb_reference(p3_codes: np.ndarray) -> np.ndarray:
    """Display P3 (sRGB curve, DCI-P3 primaries, D65) -> sRGB codes, by matrices."""

    def rgb_to_xyz(xy):
        white = np.array([0.3127 / 0.3290, 1.0, (1 - 0.3127 - 0.3290) / 0.3290])
        prim = np.stack([xy[:, 0] / xy[:, 1], np.ones(3), (1 - xy[:, 0] - xy[:, 1]) / xy[:, 1]])
        return prim * np.linalg.solve(prim, white)

    m_p3 = rgb_to_xyz(np.array([[0.680, 0.320], [0.265, 0.690], [0.150, 0.060]]))
    lin = color.srgb_to_linear(p3_codes / 255.0)
    return color.linear_to_srgb8(color.xyz_to_linear_srgb(lin @ m_p3.T))


def test_display_p3_profile_converted_to_srgb(data_dir, tmp_path):
    # Borrow the phone's Display P3 profile at run time (nothing is copied into the repo).
    icc = Image.open(data_dir / "photos" / "formats" / "palmistry_IMG_0384.HEIC").info["icc_profile"]
    colours = np.array([[128, 128, 128], [200, 100, 50], [60, 140, 200], [230, 190, 170]], dtype=np.uint8)
    img = np.repeat(np.repeat(colours[None], 32, axis=0), 16, axis=1)  # 32 x 64, four flat bands
    photo = load_photo(_write(tmp_path, "p3.png", _encode(img, "PNG", icc_profile=icc)))
    assert photo.icc_converted and photo.icc_profile_name == "Display P3"
    got = photo.srgb[16, 8::16].astype(int)
    want = _p3_to_srgb_reference(colours.astype(float)).astype(int)
    assert np.abs(got - want).max() <= 2, (got, want)
    assert np.abs(got[0] - 128).max() <= 1  # grey stays grey (same white, same curve)


# ------------------------------------------------------- formats by content


def test_png_and_webp_named_jpg_load(tmp_path):
    img = _noise()
    png = load_photo(_write(tmp_path, "really_png.jpg", _encode(img, "PNG")))
    assert png.format == "PNG"
    np.testing.assert_array_equal(png.srgb, img)
    webp = load_photo(_write(tmp_path, "really_webp.jpg", _encode(img, "WEBP", lossless=True)))
    assert webp.format == "WEBP"
    np.testing.assert_array_equal(webp.srgb, img)
    lossy = load_photo(_write(tmp_path, "x.webp", _encode(img, "WEBP", quality=90)))
    assert lossy.format == "WEBP" and lossy.srgb.shape == img.shape


def test_bytes_input(tmp_path):
    img = _noise()
    p = load_photo(_encode(img, "PNG"))
    assert p.source == "<bytes>" and p.format == "PNG"
    np.testing.assert_array_equal(p.srgb, img)
    jpg = load_photo(bytearray(_encode(img, "JPEG", quality=95)))
    assert jpg.format == "JPEG" and jpg.srgb.shape == img.shape


def test_unsupported_formats_are_named(tmp_path):
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 200
    with pytest.raises(UnsupportedFormatError) as e:
        load_photo(_write(tmp_path, "real.heic", heic))
    assert e.value.details["detected"] == "HEIC"
    assert "JPEG, PNG or WebP" in e.value.message
    avif = b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf" + b"\x00" * 100
    with pytest.raises(UnsupportedFormatError) as e:
        load_photo(avif)
    assert e.value.details["detected"] == "AVIF"
    cases = {
        "text.jpg": (b"hello, this is not a photo\n" * 10, "text"),
        "anim.gif": (_encode(_noise(), "GIF"), "GIF"),
        "scan.tiff": (_encode(_noise(), "TIFF"), "TIFF"),
        "old.bmp": (_encode(_noise(), "BMP"), "BMP"),
        "page.jpg": (b"<!DOCTYPE html><html></html>", "text (HTML/XML/SVG)"),
    }
    for name, (data, kind) in cases.items():
        with pytest.raises(UnsupportedFormatError) as e:
            load_photo(_write(tmp_path, name, data))
        assert e.value.details["detected"] == kind, name
        assert e.value.code == "UNSUPPORTED_FORMAT"


# --------------------------------------------------------- broken files


def test_empty_truncated_and_corrupt_files(tmp_path):
    with pytest.raises(UnreadableImageError):
        load_photo(_write(tmp_path, "empty.jpg", b""))
    jpg = _encode(_noise(256, 256), "JPEG", quality=90)
    for frac in (0.5, 0.9):
        with pytest.raises(UnreadableImageError) as e:
            load_photo(_write(tmp_path, f"cut{frac}.jpg", jpg[: int(len(jpg) * frac)]))
        assert e.value.code == "UNREADABLE_IMAGE"
    with pytest.raises(UnreadableImageError):
        load_photo(jpg[:2])  # only the SOI marker
    with pytest.raises(UnreadableImageError):
        load_photo(b"\xff\xd8\xff" + bytes(range(256)) * 4)  # JPEG magic, then garbage
    png = _encode(_noise(128, 128), "PNG")
    with pytest.raises(UnreadableImageError):
        load_photo(png[: len(png) // 2])
    webp = _encode(_noise(128, 128), "WEBP", quality=80)
    with pytest.raises(UnreadableImageError):
        load_photo(webp[: len(webp) // 2])


def test_missing_path_and_directory(tmp_path):
    with pytest.raises(PhotoNotFoundError) as e:
        load_photo(tmp_path / "nope.jpg")
    assert e.value.code == "FILE_NOT_FOUND"
    with pytest.raises(PhotoNotFoundError):
        load_photo(str(tmp_path))
    with pytest.raises(PhotoNotFoundError):
        load_photo("")


def test_wrong_argument_types():
    with pytest.raises(InvalidOptionError):
        load_photo(12345)
    with pytest.raises(InvalidOptionError):
        load_photo(b"x", max_pixels=0)
    with pytest.raises(InvalidOptionError):
        load_photo(b"x", min_side=-1)


# ---------------------------------------------------------------- sizes


def _peak_mib(fn) -> float:
    """Peak Python-allocated memory (MiB) while ``fn`` runs: a decoded 48 MP photo would take over 100."""
    import tracemalloc

    tracemalloc.start()
    try:
        fn()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak / 2**20


def _refused_large(data):
    with pytest.raises(ImageTooLargeError) as e:
        load_photo(data)
    return e


def test_decompression_bomb_header_refused_from_the_header():
    bomb = _raw_png(30000, 30000, bit_depth=8, color_type=2)
    assert len(bomb) < 200
    caught = []
    # Refused from the header alone: nothing near the pixels' size is ever allocated.
    assert _peak_mib(lambda: caught.append(_refused_large(bomb))) < 20
    e = caught[0]
    assert e.value.code == "IMAGE_TOO_LARGE"


def test_over_our_limit_but_under_pillows_no_warning_leaks():
    # 10000 x 10000 = 100 MP: above Pillow's warning threshold (~89 MP) and our 40 MP.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ImageTooLargeError) as e:
            load_photo(_raw_png(10000, 10000, bit_depth=8, color_type=2))
    assert caught == []
    assert (e.value.details["width"], e.value.details["height"]) == (10000, 10000)
    # 48 MP JPEG-phone size, refused before decoding
    assert _peak_mib(lambda: _refused_large(_raw_png(8000, 6000, bit_depth=8, color_type=2))) < 20
    with pytest.raises(ImageTooLargeError):
        load_photo(_encode(_noise(64, 64), "PNG"), max_pixels=64 * 63)


def test_too_small(tmp_path):
    with pytest.raises(ImageTooSmallError):
        load_photo(_write(tmp_path, "dot.png", _encode(_noise(1, 1), "PNG")))
    with pytest.raises(ImageTooSmallError) as e:
        load_photo(_encode(_noise(31, 400), "JPEG"))
    assert e.value.details["min_side"] == 32
    assert load_photo(_encode(_noise(32, 32), "PNG")).width == 32
    assert load_photo(_encode(_noise(8, 8), "PNG"), min_side=8).width == 8


# ---------------------------------------------------------------- modes


def test_greyscale_becomes_three_equal_channels():
    g = _noise()[..., 0]
    p = load_photo(_encode(Image.fromarray(g, "L"), "PNG"))
    assert p.srgb.shape == g.shape + (3,)
    for c in range(3):
        np.testing.assert_array_equal(p.srgb[..., c], g)
    j = load_photo(_encode(Image.fromarray(g, "L"), "JPEG", quality=95))
    assert (j.srgb[..., 0] == j.srgb[..., 2]).all()


def test_16bit_greyscale_png_scaled_not_clipped():
    v = np.linspace(0, 65535, 64 * 64).round().astype(np.uint16).reshape(64, 64)
    p = load_photo(_encode(Image.fromarray(v), "PNG"))
    want = np.rint(v / 257.0).astype(np.uint8)
    np.testing.assert_array_equal(p.srgb[..., 1], want)
    assert len(np.unique(p.srgb)) == 256  # a full ramp, not a clipped white field


def test_16bit_rgb_png_reduced_to_8bit():
    rng = np.random.default_rng(3)
    v = rng.integers(0, 65536, size=(40, 48, 3), dtype=np.uint16)
    rows = b"".join(b"\x00" + v[r].astype(">u2").tobytes() for r in range(40))
    p = load_photo(_raw_png(48, 40, bit_depth=16, color_type=2, rows=rows))
    # Pillow keeps the high byte; exact rounding would be v/257: at most one code apart.
    assert np.abs(p.srgb.astype(float) - v / 257.0).max() <= 1.0


def test_rgba_and_palette_transparency_over_white():
    rgba = np.zeros((32, 64, 4), np.uint8)
    rgba[..., :3] = (200, 40, 10)
    rgba[:, :16, 3] = 255  # opaque
    rgba[:, 16:32, 3] = 0  # transparent
    rgba[:, 32:48, 3] = 128  # half
    rgba[:, 48:, :3] = 0
    rgba[:, 48:, 3] = 128  # half-covered black
    p = load_photo(_encode(Image.fromarray(rgba, "RGBA"), "PNG"))
    np.testing.assert_array_equal(p.srgb[:, :16], np.broadcast_to([200, 40, 10], (32, 16, 3)))
    assert (p.srgb[:, 16:32] == 255).all()
    # Linear-light blend (a naive blend of sRGB codes would give 127 for black over white).
    a = 128 / 255
    want = color.linear_to_srgb8(a * color.srgb8_to_linear(np.array([200, 40, 10], np.uint8)) + (1 - a))
    np.testing.assert_array_equal(p.srgb[5, 40], want)
    grey = round(255 * float(color.linear_to_srgb(127 / 255)))
    assert grey == 187 and tuple(p.srgb[5, 60]) == (grey, grey, grey)
    assert any("white" in n for n in p.notes)

    pal = Image.fromarray(np.tile(np.array([0, 1], np.uint8), (32, 16)), "P")
    pal.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    q = load_photo(_encode(pal, "PNG", transparency=1))
    assert tuple(q.srgb[0, 0]) == (255, 0, 0) and tuple(q.srgb[0, 1]) == (255, 255, 255)

    la = np.stack([np.full((32, 32), 0, np.uint8), np.full((32, 32), 0, np.uint8)], axis=-1)
    r = load_photo(_encode(Image.fromarray(la, "LA"), "PNG"))
    assert (r.srgb == 255).all()


def test_cmyk_jpeg():
    rgb = np.zeros((32, 64, 3), np.uint8)
    rgb[:, :32] = (200, 30, 40)
    rgb[:, 32:] = (20, 120, 220)
    cmyk = Image.fromarray(rgb).convert("CMYK")
    p = load_photo(_encode(cmyk, "JPEG", quality=95))
    assert p.srgb.shape == (32, 64, 3)
    assert np.abs(p.srgb[16, 8].astype(int) - [200, 30, 40]).max() <= 6
    assert np.abs(p.srgb[16, 50].astype(int) - [20, 120, 220]).max() <= 6
    assert any("CMYK" in n for n in p.notes)


def test_animated_webp_first_frame():
    frames = [Image.new("RGB", (40, 40), c) for c in ((255, 0, 0), (0, 0, 255))]
    buf = io.BytesIO()
    frames[0].save(buf, "WEBP", save_all=True, append_images=frames[1:], lossless=True, duration=100)
    p = load_photo(buf.getvalue())
    assert tuple(p.srgb[20, 20]) == (255, 0, 0)
    assert any("first frame" in n for n in p.notes)


# ---------------------------------------------------------- orientation


def _display_from_stored(s: np.ndarray, orientation: int) -> np.ndarray:
    """The upright picture for a stored array, from the EXIF 2.3 definition of
    the tag (where the stored 0th row / 0th column appear when displayed)."""
    h, w = s.shape[:2]
    i, j = np.indices((h, w))
    row_col = {
        1: (i, j), 2: (i, w - 1 - j), 3: (h - 1 - i, w - 1 - j), 4: (h - 1 - i, j),
        5: (j, i), 6: (j, h - 1 - i), 7: (w - 1 - j, h - 1 - i), 8: (w - 1 - j, i),
    }[orientation]
    out_shape = (h, w) if orientation <= 4 else (w, h)
    d = np.zeros(out_shape + s.shape[2:], s.dtype)
    d[row_col] = s[i, j]
    return d


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_applied(orientation):
    palette = np.array(
        [[230, 20, 20], [20, 200, 20], [20, 20, 230], [230, 230, 20], [20, 220, 220], [220, 20, 220]], np.uint8
    )
    blocks = np.arange(6).reshape(2, 3)  # 2 rows x 3 columns of 16 px blocks: asymmetric
    stored = palette[np.kron(blocks, np.ones((16, 16), int))]  # 32 x 48
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = _encode(stored, "JPEG", quality=95, subsampling=0, exif=exif.tobytes())
    p = load_photo(data)
    assert p.exif_orientation == orientation
    want = _display_from_stored(stored, orientation)
    assert p.srgb.shape == want.shape
    # Compare 16x16 block means (robust to JPEG ringing at block edges).
    hb, wb = want.shape[0] // 16, want.shape[1] // 16
    got_m = p.srgb.reshape(hb, 16, wb, 16, 3).mean(axis=(1, 3))
    want_m = want.reshape(hb, 16, wb, 16, 3).mean(axis=(1, 3))
    assert np.abs(got_m - want_m).max() < 6
    # Lossless PNG: exact.
    q = load_photo(_encode(stored, "PNG", exif=exif.tobytes()))
    np.testing.assert_array_equal(q.srgb, want)


def test_missing_or_invalid_orientation_is_one():
    assert load_photo(_encode(_noise(), "JPEG")).exif_orientation == 1
    exif = Image.Exif()
    exif[0x0112] = 9
    p = load_photo(_encode(_noise(), "JPEG", exif=exif.tobytes()))
    assert p.exif_orientation == 1 and p.srgb.shape == (64, 96, 3)


def test_focal_length_from_exif():
    exif = Image.Exif()
    exif.get_ifd(0x8769)[41989] = 26
    p = load_photo(_encode(_noise(), "JPEG", exif=exif.tobytes()))
    assert p.focal_length_35mm == 26.0
    exif.get_ifd(0x8769)[41989] = 0  # EXIF's "unknown"
    assert load_photo(_encode(_noise(), "JPEG", exif=exif.tobytes())).focal_length_35mm is None
    assert load_photo(_encode(_noise(), "JPEG")).focal_length_35mm is None


# ---------------------------------------------------------------- arrays


def test_array_input():
    img = _noise()
    p = load_photo(img)
    assert p.format == "ARRAY" and p.source == "<array>" and p.exif_orientation == 1
    np.testing.assert_array_equal(p.srgb, img)
    img[0, 0] = 0  # the caller's array is copied
    assert not p.srgb.flags.writeable
    with pytest.raises(ValueError):
        p.srgb[0, 0, 0] = 1
    with pytest.raises(InvalidOptionError, match="linear or sRGB"):
        load_photo(img.astype(np.float32) / 255)
    for bad in (img[..., 0], np.zeros((64, 64, 4), np.uint8), img.astype(np.uint16)):
        with pytest.raises(InvalidOptionError):
            load_photo(bad)
    with pytest.raises(ImageTooSmallError):
        load_photo(np.zeros((10, 100, 3), np.uint8))
    assert isinstance(InvalidOptionError("x"), Exception) and issubclass(ImageTooSmallError, PhotoError)


def test_linear_property_and_report():
    img = _noise()
    p = load_photo(img)
    lin = p.linear
    assert lin.dtype == np.float32 and lin.shape == img.shape and not lin.flags.writeable
    assert p.linear is lin  # cached
    np.testing.assert_array_equal(color.linear_to_srgb8(lin), img)
    rep = p.to_report()
    assert rep["width"] == 96 and rep["height"] == 64 and rep["format"] == "ARRAY"
    with pytest.raises(InvalidOptionError):
        Photo(srgb=np.zeros((4, 4), np.uint8), source="x", format="ARRAY")


def test_corrupt_exif_warning_becomes_a_note():
    # An IFD that claims 5 entries but holds one (orientation 6), then junk.
    exif = b"Exif\x00\x00II*\x00\x08\x00\x00\x00\x05\x00\x12\x01\x03\x00\x01\x00\x00\x00\x06\x00" + b"\xff" * 10
    data = _encode(_noise(40, 48), "JPEG", exif=exif)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        p = load_photo(data)
    assert caught == []
    assert any("EXIF" in n for n in p.notes)
    assert p.srgb.shape[:2] in ((40, 48), (48, 40))


def test_malformed_icc_profile_is_ignored_not_fatal():
    img = _noise(40, 40)
    p = load_photo(_encode(img, "PNG", icc_profile=b"not an icc profile" * 10))
    np.testing.assert_array_equal(p.srgb, img)
    assert not p.icc_converted and any("malformed" in n for n in p.notes)
