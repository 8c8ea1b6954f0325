"""Body sites: where on the body a piece is worn (``ring``, ``wrist``, ``neck`` and ``ear``).

:data:`SITES` maps a site's name (a catalog entry's ``site``) to its object, which
implements :class:`jewelrender.sites.base.Site`. The hand model shared by hand
sites is :mod:`jewelrender.sites.hand`; body proxy shapes are
:mod:`jewelrender.sites.proxies`.
"""

from __future__ import annotations

from ..errors import InvalidOptionError
from .base import Placement, Site
from .ear import EAR
from .neck import NECK
from .ring import RING
from .wrist import WRIST

__all__ = ["SITES", "Site", "Placement", "get_site", "made_to_without_photo"]

#: Site name -> site object.
SITES: dict[str, Site] = {RING.name: RING, WRIST.name: WRIST, NECK.name: NECK, EAR.name: EAR}


def get_site(name: str) -> Site:
    """The site called ``name``; an unknown name is an InvalidOptionError listing the valid ones."""
    try:
        return SITES[name]
    except (KeyError, TypeError):
        valid = list(SITES)
        raise InvalidOptionError(f"unknown site {name!r}; valid: {', '.join(valid)}",
                                 details={"option": "site", "valid": valid}) from None


def made_to_without_photo(piece, ring_inner_diameter_mm: float):
    """What ``piece`` is made to with no customer to measure (an export, a look-development tile): a ring
    at ``ring_inner_diameter_mm``, a piece of a site with a ``reference_size`` at that (the prior wrist,
    an upright ear)."""
    site = get_site(piece.site)
    return site.reference_size() if hasattr(site, "reference_size") else ring_inner_diameter_mm
