"""User-facing errors.

Everything a user can get wrong (a library file, a format name, a design file, a
datapath, operand data) raises a subclass of :class:`MacgatesError`. The CLI prints those
as one line and exits 2. Any other exception is a bug in macgates and is allowed to propagate.
"""

from __future__ import annotations

MAX_MESSAGE = 2000  # characters of an error message


class MacgatesError(Exception):
    """Base class of every error caused by user input. Its message is one line: control
    characters a user's input brings (newlines, escapes) are shown escaped, so input can
    never forge a second line, and it is at most MAX_MESSAGE characters long."""

    def __init__(self, message: str = ""):
        super().__init__(one_line(str(message)))


def one_line(text: str) -> str:
    """``text`` with control characters escaped (``\\n``, ``\\x1b``), at most MAX_MESSAGE long."""
    import unicodedata

    if not text.isprintable():
        text = "".join(ch if ch.isprintable() else repr(ch)[1:-1] if unicodedata.category(ch)[0] == "C"
                       else " " for ch in text)
    return text if len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE - 3] + "..."


class LibraryError(MacgatesError):
    """A primitive library (YAML file, formula or override) is invalid."""


class FormatError(MacgatesError):
    """An unknown or unsupported number format."""


class DesignError(MacgatesError):
    """A design file or a configuration in it is invalid."""


class DatapathError(MacgatesError):
    """A datapath cannot be built as asked (bad widths, unknown components, ...)."""


class DataError(MacgatesError):
    """Operand data cannot be made or read as asked: a bad distribution spec or
    parameter, a tensor file that is too large, of the wrong dtype, or holds NaN/inf."""


def whole(value, lo: int, hi: int) -> bool:
    """Is ``value`` a whole number (an int, not a bool) from ``lo`` to ``hi``?"""
    return isinstance(value, int) and not isinstance(value, bool) and lo <= value <= hi


def did_you_mean(choices) -> str:
    """The tail of an 'unknown name' message: the valid choices, sorted."""
    return "valid: " + ", ".join(sorted(choices))


def shown(value, limit: int = 60) -> str:
    """A user's value for an error message, never unbounded: a repr with control
    characters escaped, containers abbreviated, at most ``limit`` characters; a huge
    integer is described by its size."""
    import reprlib

    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 96:
        if value.bit_length() > 14_000:  # str() would pass Python's 4,300-digit limit
            return f"a number of about {int(value.bit_length() * 0.30103):,} digits"
        digits = str(abs(value))
        return f"{'-' if value < 0 else ''}{digits[:6]}...{digits[-6:]} ({len(digits)} digits)"
    short = reprlib.Repr()
    short.maxstring, short.maxother, short.maxlong = limit, limit, 40
    short.maxlist = short.maxtuple = short.maxdict = short.maxset = 6
    short.maxlevel = 3
    text = short.repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."
