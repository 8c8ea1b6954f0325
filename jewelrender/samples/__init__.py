"""Sample photos shipped with the package, so a first run needs no photo of your own.

::

    from jewelrender import samples
    samples.list()            # [Sample(name='hand', site='hand', ...), ...]
    samples.path("hand")      # the JPEG file inside the installed package
    samples.load("hand")      # a Photo, through jewelrender.photo.load_photo

Wherever a photo path is accepted (the CLI, :func:`jewelrender.try_on`, services
built on :func:`jewelrender.photo.load_photo`), the string ``"sample:NAME"``
names one of these; ``sample:nope`` raises :class:`~jewelrender.errors.UnknownSampleError`
(code ``UNKNOWN_SAMPLE``) listing the valid names.

The facts about each sample (body site, file, licence, source, credit) live in
``samples.toml`` beside the images and nowhere else; ``LICENSES`` is generated
from it (:func:`licenses_text`) and ``PROVENANCE.md`` keeps the licence evidence
as it was collected. Some samples are CC BY-SA 4.0: a try-on rendered on one of
them and published is adapted material and must be shared under CC BY-SA 4.0 with
the credit (:meth:`Sample.adapted_attribution` writes that line).
"""

from __future__ import annotations

from .table import (LICENSES_FILE, SAMPLE_PREFIX, Sample, for_site, get, licenses_text, list, names, parse_ref,
                    path, sites)

__all__ = ["Sample", "SAMPLE_PREFIX", "list", "get", "path", "load", "names", "sites", "for_site",
           "licenses_text", "parse_ref", "LICENSES_FILE"]


def load(name: str, **options):
    """Sample ``name`` as a :class:`~jewelrender.photo.Photo` (``options`` go to ``load_photo``)."""
    from ..photo import load_photo

    return load_photo(get(name).ref, **options)
