"""Regenerate the transcribed tables in ``materials/`` from their sources.

Not imported by jewelrender; kept so that every number in ``materials/metals/*.csv``
and ``materials/cie/*.csv`` can be reproduced and audited::

    python materials/tools/regenerate.py /path/to/shared/data/optics

* Metals: the measured (or, for Pt, model) points of one refractiveindex.info
  ``tabulated nk`` file are kept unchanged inside a 300-900 nm window (so that
  Mitsuba's spectral range 360-830 nm is covered without extrapolation); the
  wavelength is converted from µm to nm. Nothing is resampled or smoothed.
* CIE: the CIE 1931 2° colour matching functions and the CIE D65 relative
  spectral power distribution at 5 nm from 360 to 830 nm, read from the tables
  embedded in Mitsuba 3 (``mi.cie1931_xyz``, ``mi.cie_d65``; both are the CIE
  5 nm tables stored as float32) and rounded back to the CIE's published
  significant digits (7 for the CMFs, 6 for D65, D65(560 nm) = 100).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
RII_COMMIT = "ff11b5897ef0754b15d939d921eb6c745693cbd1"

# element -> (refractiveindex.info book/page, display name, why this dataset, DOI)
METALS = {
    "Au": ("Au", "Johnson", "gold",
           "Johnson & Christy (1972) is the classic reference for the noble metals and the most widely used "
           "set in the gold-colour literature; newer film data (McPeak 2015, Babar & Weaver 2015) give a "
           "slightly higher reflectance at 500-600 nm.",
           "10.1103/PhysRevB.6.4370"),
    "Ag": ("Ag", "Johnson", "silver",
           "Johnson & Christy (1972): classic noble-metal reference, consistent with Au and Cu.",
           "10.1103/PhysRevB.6.4370"),
    "Cu": ("Cu", "Johnson", "copper",
           "Johnson & Christy (1972): classic noble-metal reference, consistent with Au and Ag.",
           "10.1103/PhysRevB.6.4370"),
    "Pt": ("Pt", "Rakic-LD", "platinum",
           "The only optical (not electron-energy-loss) Pt set available: Rakic et al. fit a Lorentz-Drude "
           "model to measured optical data from several sources; the Werner (2009) REELS-derived set deviates "
           "strongly from optical measurements in the visible. Points are model evaluations, not measurements.",
           "10.1364/AO.37.005271"),
    "Pd": ("Pd", "Johnson", "palladium",
           "Johnson & Christy (1974): same laboratory and method as the Au/Ag/Cu set; agrees with Rakic-LD "
           "within a few percent in the visible (Palm 2018 gives ~5 % higher n).",
           "10.1103/PhysRevB.9.5056"),
    "Rh": ("Rh", "Weaver", "rhodium",
           "Weaver, Olson & Lynch (1977), numerical values as tabulated in Palik's Handbook of Optical "
           "Constants of Solids (1985): the only Rh set available. Rhodium matters because most white gold "
           "is rhodium-plated. Note the source's gap between 427.5 and 459.2 nm.",
           "10.1103/PhysRevB.15.4115"),
    "Ni": ("Ni", "Johnson", "nickel",
           "Johnson & Christy (1974): the only Ni set available.",
           "10.1103/PhysRevB.9.5056"),
}


def _references(text: str) -> str:
    m = re.search(r"REFERENCES: \|\n(.*?)\n(?:COMMENTS|DATA|CONDITIONS):", text, re.S)
    ref = " ".join(line.strip() for line in m.group(1).splitlines())
    ref = re.sub(r"\[<a [^]]*\]", "", ref)  # links to calculation scripts
    ref = re.sub(r"<[^>]+>", "", ref)  # drop the HTML markup of the database
    return re.sub(r"\s+", " ", ref).strip()


def _comments(text: str) -> str:
    m = re.search(r"COMMENTS: \|\n(.*?)\n(?:DATA|CONDITIONS|REFERENCES):", text, re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", m.group(1))).strip() if m else ""


def metals(optics: Path) -> None:
    for sym, (book, page, name, why, doi) in METALS.items():
        src = optics / "refractiveindex_info" / "main" / book / "nk" / f"{page}.yml"
        text = src.read_text(encoding="utf-8")
        block = text.split("data: |", 1)[1]
        rows = []
        for line in block.splitlines():
            parts = line.split()
            if len(parts) != 3:
                continue
            lam_um, n, k = parts
            lam_nm = float(lam_um) * 1000.0
            if 300.0 <= lam_nm <= 900.0:
                rows.append((f"{lam_nm:.6f}".rstrip("0").rstrip("."), n, k))
        lo, hi = float(rows[0][0]), float(rows[-1][0])
        assert lo <= 360.0 and hi >= 830.0, (sym, lo, hi)
        header = [
            f"# name: {sym} ({name})",
            f"# dataset: {_references(text)}",
            f"# doi: https://doi.org/{doi}",
            f"# source: refractiveindex.info database, https://refractiveindex.info/?shelf=main&book={book}&page={page}"
            f" (github.com/polyanskiy/refractiveindex.info-database @ {RII_COMMIT}, database/data/main/{book}/nk/{page}.yml)",
            f"# licence: CC0 1.0 (refractiveindex.info database; numbers transcribed, file not copied)",
        ] + ([f"# conditions: {_comments(text)}"] if _comments(text) else []) + [
            f"# processing: points of the source table with 300 <= wavelength <= 900 nm kept unchanged (not resampled); wavelength converted from um to nm",
            f"# why: {why}",
            "wavelength_nm,n,k",
        ]
        out = HERE / "metals" / f"{sym}.csv"
        out.write_text("\n".join(header + [",".join(r) for r in rows]) + "\n", encoding="utf-8")
        print(f"{out.relative_to(HERE)}: {len(rows)} points, {lo}-{hi} nm")


def cie() -> None:
    import mitsuba as mi

    mi.set_variant("scalar_spectral")
    norm = mi.MI_CIE_D65_NORMALIZATION
    lines = [
        "# name: CIE 1931 2-degree standard observer colour matching functions and CIE standard illuminant D65",
        "# dataset: CIE 1931 2° colour-matching functions (ISO/CIE 11664-1:2019) and CIE D65 relative spectral power "
        "distribution (ISO/CIE 11664-2:2022), 5 nm tables; D65 normalised to 100 at 560 nm",
        "# source: values read at the 5 nm nodes from the CIE tables embedded in Mitsuba 3.9.1 (mi.cie1931_xyz, mi.cie_d65; "
        "src/core/spectrum.cpp, BSD-3-Clause) and rounded to the CIE's published digits; see materials/tools/regenerate.py",
        "# licence: tabulated data of international standards (CIE); also distributed by the CIE as open datasets "
        "(doi:10.25039/CIE.DS.xvudnb9b, doi:10.25039/CIE.DS.hjfjmt59)",
        "wavelength_nm,xbar,ybar,zbar,d65",
    ]
    for w in range(360, 831, 5):
        x, y, z = mi.cie1931_xyz(float(w))
        d = mi.cie_d65(float(w)) / norm
        lines.append(f"{w},{float(x):.7g},{float(y):.7g},{float(z):.7g},{d:.6g}")
    out = HERE / "cie" / "cie1931_2deg_d65_5nm.csv"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{out.relative_to(HERE)}: {len(lines) - 5} rows")


if __name__ == "__main__":
    optics = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parent.parent / "shared" / "data" / "optics"
    metals(optics)
    cie()
