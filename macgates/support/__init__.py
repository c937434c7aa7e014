"""Layer 0, support: what every layer uses and that imports nothing else of macgates.

* :mod:`.errors`: ``MacgatesError`` and its subclasses, message helpers;
* :mod:`.counts`: exact gate counts (``exact``, ``ratio``, ``Gates``) and how numbers are shown;
* :mod:`.bits`: ``mask``, ``signed_bits``, ``range_bits``, ``trailing_zeros``;
* :mod:`.progress`: progress bars on stderr, only on a terminal.
"""
