"""Why the colour prior misreads the skin's albedo on the phone camera: the albedo step taken apart.

The photos are ``bench_lighting.py``'s (every HDRI x turns x skins, the phone camera: subsurface
scattering, frame metering, auto white balance, the tone curve's shoulder), without the rings. For each
the closed-form estimate (``refine=0``) is run and its albedo step is taken apart, using what only the
benchmark knows (the true albedo, the true map, the camera's curve):

* ``sat_true`` / ``prior_true``: the exposure-free saturation (``skin.skin_saturation``) of the true
  albedo and the prior's luminance at it: the prior's own error, with the colour read perfectly;
* ``sat_true_light``: the photo's skin over the colour of the light that really reaches it (the true map's
  irradiance at the skin samples' normals): the colour read through the camera, with the light's colour known;
* ``sat_untoned``: as the estimate reads it (over ``white_balance_rgb``) but with the camera's tone curve
  undone: what the shoulder costs;
* ``sat_no_awb``: the estimate's reading of the same render through the camera *without* its auto white
  balance: what the white balance costs (a per-channel gain on the whole photo divides out of the skin over
  the surroundings' colour, below the shoulder);
* ``sat_est``, ``prior``, ``face_value``, ``albedo``: the estimate's (ratios to the true luminance);
* ``power_err`` and ``power_err_true_albedo``: the closed-form map's total power against the truth's, as
  estimated and with the true albedo in the energy balance (``photo_fit.ablation_maps``' ``given_albedo``):
  what a perfect split would give;
* ``power_err_prior_at_true_light`` / ``_true_colour`` (and ``albedo_prior_at_...``): the same with the
  albedo that ``photo_fit.combine_albedo`` gives from the estimate's face value and a prior read perfectly
  (the colour over the true light's colour; the true albedo's colour): what a white balance for the prior
  could give at best.

Usage::

    python benchmarks/bench_albedo_split.py [--skins light,medium,dark] [--turns 0,180] [--hdris a,b]
                                            [--json out.json]

A benchmark, not a test: it prints a table and (optionally) writes JSON. ~8 s a row on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's jewelrender, not an installed one
import bench_lighting as bl
from common import data_dir, dump, machine, provenance


def hdri_name(path: Path) -> str:
    """As bench_lighting names its rows: the file's stem without ``_1k`` / ``_1k_blender``."""
    return path.stem.replace("_1k_blender", "").replace("_1k", "")


def untone(y: np.ndarray) -> np.ndarray:
    """The inverse of ``bench_lighting.tone_curve`` (the benchmark knows its camera; the estimator does not)."""
    k = bl.TONE_KNEE
    y = np.asarray(y, np.float64)
    v = np.clip((y - k) / (1.0 - k), 0.0, 0.999)
    return np.where(y <= k, y, k + (1.0 - k) * v / (1.0 - v))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--skins", default="light,medium,dark")
    ap.add_argument("--turns", default="0,180")
    ap.add_argument("--hdris", default=None, help="comma-separated HDRI names (stems without _1k), default all")
    ap.add_argument("--photo-spp", type=int, default=32)
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)

    import cv2

    import jewelrender as jr
    from jewelrender import backend
    from jewelrender.camera import Camera
    from jewelrender.color import linear_to_srgb8, luminance
    from jewelrender.lighting import EnvMap, estimate_lighting
    from jewelrender.lighting.fastfit import IrradianceKernel
    from jewelrender.lighting.photo_fit import ablation_maps, combine_albedo, skin_samples
    from jewelrender.lighting.skin import albedo_prior, skin_saturation
    from jewelrender.sites.proxies import raycast_capsules

    t_start = time.perf_counter()
    data = data_dir()
    hdris = sorted((data / "hdri").glob("*.hdr")) + sorted((data / "hdri").glob("*.exr"))
    if args.hdris:
        want = {h.strip() for h in args.hdris.split(",") if h.strip()}
        hdris = [p for p in hdris if hdri_name(p) in want]
    variant = backend.select()
    # The same photo geometry as bench_lighting.py: the dev photo's placement at 1/3 of its resolution.
    src = jr.load_photo(data / "photos" / "hands" / "ringtryon_target_left.jpg")
    with jr.Renderer() as r:
        prep = r.prepare(src, lighting="uniform", refine_lighting=False)
    cf, placement = prep.camera, prep.placement
    W, H = round(cf.width * bl.PHOTO_SCALE), round(cf.height * bl.PHOTO_SCALE)
    cam = Camera(W, H, cf.fx * W / cf.width, cf.fy * H / cf.height, cf.cx * W / cf.width, cf.cy * H / cf.height,
                 cf.focal_35mm, "explicit")
    gu, gv = np.meshgrid(np.arange(W) + 0.5, np.arange(H) + 0.5)
    dirs = cam.ray_directions(np.stack([gu.ravel(), gv.ravel()], axis=1))
    hand = (raycast_capsules(np.zeros_like(dirs), dirs, placement.proxies)[2] >= 0).reshape(H, W)
    mm_per_px = 1000.0 * float(np.asarray(placement.center_cam, float)[2]) / cam.fx

    def power(rad) -> float:
        return float(luminance(EnvMap(np.asarray(rad, np.float32)).mean_radiance()[None])[0])

    turns = [float(t) for t in args.turns.split(",") if t.strip()]
    skins = [s.strip() for s in args.skins.split(",") if s.strip()]
    rows = []
    for skin, path, turn in [(s, p, t) for s in skins for p in hdris for t in turns]:
        albedo = bl.SKINS[skin]
        y_true = float(luminance(albedo[None])[0])
        env_raw = bl.load_hdri(path)
        env_raw = EnvMap(np.roll(env_raw, round(turn / 360.0 * env_raw.shape[1]), axis=1))
        lin = bl.subsurface(bl.render_photo(cam, placement, env_raw, albedo, args.photo_spp), hand, mm_per_px)
        k = bl.frame_exposure(lin)
        srgb8, wb, _ = bl.camera_pipeline(lin * k, "phone")
        truth = (env_raw.radiance * k * wb[None, None, :]).astype(np.float32)
        photo = jr.load_photo(srgb8)
        info = estimate_lighting(photo, cam, placement, method="photo_fit", refine=0).info
        # The same render through the camera without its white balance (the tone curve kept).
        info_no_awb = estimate_lighting(jr.load_photo(linear_to_srgb8(bl.tone_curve(lin * k))), cam, placement,
                                        method="photo_fit", refine=0).info
        maps = ablation_maps(photo, cam, placement, albedo_luminance=y_true)

        smp = skin_samples(photo, cam, placement)
        rgb, nrm = smp["rgb"], smp["normal"]
        white = np.asarray(info["white_balance_rgb"])
        e_true = IrradianceKernel(nrm).irradiance(cv2.resize(truth, (32, 16), interpolation=cv2.INTER_AREA))
        light_true = e_true.mean(axis=0)
        med = np.median(rgb, axis=0)
        med_no_awb = np.median(skin_samples(jr.load_photo(linear_to_srgb8(bl.tone_curve(lin * k))), cam,
                                            placement)["rgb"], axis=0)
        # The albedo step with the prior read perfectly: at the colour over the true light's, and at the
        # true albedo's colour; combined with the same face value as the estimate.
        oracle_power = {}
        for tag, colour in (("true_light", med / light_true), ("true_colour", albedo)):
            p = albedo_prior(colour)
            rho = combine_albedo(p["luminance"], p["sigma_log"], info["albedo_face_value"],
                                 info["albedo_measured_share"])[0]
            oracle_power[tag] = (rho / y_true, power(ablation_maps(photo, cam, placement, albedo_luminance=rho)
                                                     ["given_albedo"]) / power(truth) - 1.0)
        name = hdri_name(path) + (f"@{turn:g}" if turn else "")
        row = {"hdri": name, "skin": skin, "kind": bl.HDRI_KINDS.get(name.split("@")[0], "unknown"),
               "albedo_true": y_true,
               "sat_true": float(skin_saturation(albedo)),
               "prior_true": albedo_prior(albedo)["luminance"] / y_true,
               "sat_true_light": float(skin_saturation(med / light_true)),
               "prior_true_light": albedo_prior(med / light_true)["luminance"] / y_true,
               "sat_est": float(skin_saturation(med / white)),
               "sat_untoned": float(skin_saturation(np.median(untone(rgb), axis=0) / white)),
               "sat_no_awb": float(skin_saturation(med_no_awb / np.asarray(info_no_awb["white_balance_rgb"]))),
               "prior": info["albedo_prior"]["luminance"] / y_true,
               "face_value": info["albedo_face_value"] / y_true,
               "face_value_binds": "upper bound" in info["albedo_source"],
               "albedo": info["albedo_luminance"] / y_true,
               "hand_on_shoulder": float(np.mean(rgb.max(axis=1) > bl.TONE_KNEE)),
               "power_err": power(maps["fit"]) / power(truth) - 1.0,
               "power_err_true_albedo": power(maps["given_albedo"]) / power(truth) - 1.0,
               **{f"albedo_prior_at_{t}": v[0] for t, v in oracle_power.items()},
               **{f"power_err_prior_at_{t}": v[1] for t, v in oracle_power.items()}}
        rows.append(row)
        print(f"{skin:6s} {name:26s} sat true {row['sat_true']:.2f} true light {row['sat_true_light']:.2f} "
              f"est {row['sat_est']:.2f} untoned {row['sat_untoned']:.2f} no AWB {row['sat_no_awb']:.2f} | "
              f"/ true: prior {row['prior']:.2f} (at the true colour {row['prior_true']:.2f}) face value "
              f"{row['face_value']:.2f} albedo {row['albedo']:.2f} | power {row['power_err']:+.2f} "
              f"(true albedo {row['power_err_true_albedo']:+.2f})", flush=True)
    summary(rows)
    total = time.perf_counter() - t_start
    print(f"variant {variant}; {len(rows)} rows; {total:.0f} s")
    dump(args.json, {"rows": rows, "machine": machine(), "seconds": total, **provenance(),
                     "settings": {"skins": {s: bl.SKINS[s].tolist() for s in skins}, "turns": turns,
                                  "photo_spp": args.photo_spp, "camera": "phone", "metering": "frame",
                                  "tone_knee": bl.TONE_KNEE, "awb_strength": bl.AWB_STRENGTH}})
    return 0


def summary(rows: list[dict]) -> None:
    def med(sel, key):
        return statistics.median(r[key] for r in sel)

    for skin in dict.fromkeys(r["skin"] for r in rows):
        sel = [r for r in rows if r["skin"] == skin]
        bind = [r for r in sel if r["face_value_binds"]]
        print(f"MEDIAN {skin} ({len(sel)}): saturation true {med(sel, 'sat_true'):.2f}, through the camera with the "
              f"true light {med(sel, 'sat_true_light'):.2f}, estimated {med(sel, 'sat_est'):.2f}; prior / true "
              f"{med(sel, 'prior'):.2f} (true light {med(sel, 'prior_true_light'):.2f}, true colour "
              f"{med(sel, 'prior_true'):.2f}); face value {med(sel, 'face_value'):.2f} "
              f"(where it binds, {len(bind)}: {med(bind, 'face_value') if bind else float('nan'):.2f}); "
              f"albedo {med(sel, 'albedo'):.2f}; power {med(sel, 'power_err'):+.2f}, with the true albedo "
              f"{med(sel, 'power_err_true_albedo'):+.2f}, with the prior at the true light's colour "
              f"{med(sel, 'power_err_prior_at_true_light'):+.2f} (albedo {med(sel, 'albedo_prior_at_true_light'):.2f}), "
              f"at the true colour {med(sel, 'power_err_prior_at_true_colour'):+.2f} "
              f"(albedo {med(sel, 'albedo_prior_at_true_colour'):.2f})")


if __name__ == "__main__":
    raise SystemExit(main())
