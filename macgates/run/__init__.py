"""Layer 5, running datapaths: bit by bit, against exact arithmetic.

* :mod:`.simulate`: ``plan`` (evaluation order, the accumulator register) and ``Runner``;
* :mod:`.reference`: exact arithmetic on the formats;
* :mod:`.verify`: a datapath run against the reference (``verify``, ``slack``).

Imports the layers below it (support, formats, library, datapath), never design or report.
"""
