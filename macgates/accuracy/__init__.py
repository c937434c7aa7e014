"""Accuracy of number formats on operand data (issue 21): named distributions and a user's
tensors (:mod:`.data`), quantization to a format with a scale rule (:mod:`.quantize`), and
the error measures and the Lloyd-Max bound (:mod:`.metrics`). It reads the same
:class:`macgates.formats.Format` records the datapaths are verified against; it sits beside
the primitive library (rank 3) and imports only formats, files and support."""

RULES = ("absmax", "mse")  # the scale rules (quantize.scale_for); here, so that checking a name needs no numpy

