"""``jewelrender demo``: a try-on on a bundled sample photo, so a first run needs no photo of your own.

A body site (hand, wrist, neck, ear: the sites of :mod:`jewelrender.samples`) is
available to the demo when the catalog has a piece worn there. Which body site a
piece is worn on comes from its catalog ``site`` (``ring`` sits on the hand,
``bracelet`` on the wrist, ...; :data:`BODY_SITE_OF`); entries without one are
rings, the only kind the catalog had before sites were named. So a site starts
working in the demo as soon as its pieces enter the catalog, with no change here.
"""

from __future__ import annotations

from .errors import InvalidOptionError

__all__ = ["BODY_SITE_OF", "DEFAULT_PIECES", "DEMO_OPTIONS", "body_site", "available_sites", "plan", "run_demo"]

#: The body site (the ``site`` of a bundled sample) a catalog site is worn on.
#: Body-site names map to themselves, so a catalog may also name the body site directly.
BODY_SITE_OF = {
    "ring": "hand", "hand": "hand", "finger": "hand",
    "bracelet": "wrist", "bangle": "wrist", "watch": "wrist", "wrist": "wrist",
    "necklace": "neck", "pendant": "neck", "chain": "neck", "neck": "neck",
    "earring": "ear", "stud": "ear", "ear": "ear",
}

#: The piece each body site's demo shows when none is asked for; a site missing here
#: shows its first catalog piece.
DEFAULT_PIECES = {"hand": "solitaire-round-1ct-18k-yellow", "wrist": "bangle-round-6mm-18k-yellow",
                  "ear": "stud-round-0.5ct-4prong-platinum",
                  "neck": "solitaire-pendant-half-carat-18k-white"}


#: Site options the demo sets for its sample: the neck sample's jumper has a high neckline; at 16" the
#: chain lies at the neck's base with both sides on bare skin and the pendant shows above the jumper
#: (since its notch is found from where the neck's outline turns into the trapezius, not from the pose's
#: shoulder points, which the jumper holds low: docs/neck.md; test_the_demo_pendant_shows_on_the_bare_neckline).
DEMO_OPTIONS = {"neck": {"length_in": 16}}


def body_site(piece) -> str:
    """The body site ``piece`` (a catalog Piece) is worn on."""
    site = getattr(piece, "site", None) or "ring"
    return BODY_SITE_OF.get(site, site)


def available_sites() -> dict[str, list[str]]:
    """Body site -> the catalog ids worn there, for every site with at least one piece."""
    from .library.catalog import list_pieces

    out: dict[str, list[str]] = {}
    for p in list_pieces():
        out.setdefault(body_site(p), []).append(p.id)
    return out


def plan(site: str | None = None, piece: str | None = None):
    """Validate the demo's options: ``(sample, piece_id)`` without rendering anything.

    ``site`` defaults to the piece's site, or ``hand``; ``piece`` defaults to the
    site's :data:`DEFAULT_PIECES` entry.

    Raises
    ------
    InvalidOptionError
        ``site`` is not a body site with a sample, has no pieces yet, or does not
        match the piece's site.
    UnknownPieceError
        ``piece`` is not a catalog id.
    """
    from . import samples
    from .library.catalog import get_piece

    chosen = get_piece(piece) if piece is not None else None
    if site is None:
        site = body_site(chosen) if chosen is not None else "hand"
    site = BODY_SITE_OF.get(site, site)
    if site not in samples.sites():
        raise InvalidOptionError(f"unknown site {site!r}; sites with a sample photo: {', '.join(samples.sites())}",
                                 details={"site": site, "valid": samples.sites()})
    have = available_sites()
    if site not in have:
        raise InvalidOptionError(
            f"the {site} site is not available yet: the catalog has no piece worn on the {site}; "
            f"available: {', '.join(sorted(have))}",
            details={"site": site, "available": sorted(have)},
        )
    if chosen is None:
        default = DEFAULT_PIECES.get(site)
        chosen = get_piece(default if default in have[site] else have[site][0])
    elif body_site(chosen) != site:
        raise InvalidOptionError(
            f"the piece {chosen.id!r} is worn on the {body_site(chosen)}, not the {site}; "
            f"pieces for the {site}: {', '.join(have[site])}",
            details={"piece": chosen.id, "site": site, "valid": have[site]},
        )
    return samples.for_site(site), chosen.id


def run_demo(site: str | None = None, piece: str | None = None, *, quality: str = "preview", **options):
    """Render the demo: ``(TryOnResult, Sample)``. ``options`` go to :func:`jewelrender.try_on`."""
    from .library.catalog import get_piece
    from .pipeline import try_on

    sample, piece_id = plan(site, piece)
    options = {**DEMO_OPTIONS.get(body_site(get_piece(piece_id)), {}), **options}
    return try_on(sample.ref, piece_id, quality=quality, **options), sample
