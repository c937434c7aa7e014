"""Layer 2, number formats: the one parametrized :class:`Format` record and its encoding.

* :mod:`.spec`: ``Format``, ``format(name)``, ``lookup``, ``define``, aliases and sources;
* :mod:`.encoding`: ``decode`` and ``encode``, written from the formats' definitions.

Imports only :mod:`macgates.support`. The names below are the layer's API.
"""

from .spec import (
                   ALIASES,
                   E8M0,
                   INT_BITS,
                   INT_SOURCE,
                   RECORD_KEYS,
                   SOURCES,
                   SPECIALS,
                   STANDARDS,
                   UE4M3,
                   Format,
                   aliases_of,
                   all_formats,
                   define,
                   format,
                   is_known,
                   known_names,
                   lookup,
                   source_of,
                   standard_of,
)

__all__ = ["ALIASES", "E8M0", "INT_BITS", "INT_SOURCE", "RECORD_KEYS", "SOURCES", "SPECIALS", "STANDARDS",
           "UE4M3", "Format", "aliases_of", "all_formats", "define", "format", "is_known", "known_names",
           "lookup", "source_of", "standard_of"]
