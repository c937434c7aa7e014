"""Operand data for the accuracy measures: samples of a named distribution, every code of
a format, or a user's tensor file, as a float64 numpy array.

:func:`load` takes one spec (parsed without eval):

* ``uniform`` (on [-1, 1]) or ``uniform:A,B`` (A < B);
* ``normal`` (0, 1) or ``normal:MU,SIGMA`` (SIGMA > 0);
* ``laplace`` (0, 1) or ``laplace:MU,B`` (B > 0): density exp(-|x - MU| / B) / 2B;
* ``student-t:NU`` or ``student-t:NU,SCALE`` (NU > 0 required, SCALE > 0, default 1):
  SCALE times Student's t with NU degrees of freedom;
* ``half-normal`` or ``half-normal:SIGMA``: \\|N(0, SIGMA)\\|, like post-ReLU activations;
* ``codes:FORMAT``: codes of a macgates format drawn uniformly (every code equally likely)
  and decoded, as ``macgates verify`` draws operands: NaN and infinity codes are left out,
  and so is -2^(n-1) of a symmetric integer format (int4 gives the 15 values -7..7); a
  block format gives its element's codes;
* ``PATH.npy``, ``PATH.npz`` or ``PATH.npz:KEY`` (KEY is needed when the archive holds
  more than one array), ``PATH.csv``: a user's tensor, in its own shape (a CSV of one
  column is 1-D, of more columns 2-D: rows x columns).

A distribution gives ``samples`` values (1 to :data:`MAX_SAMPLES`) drawn with numpy's
``default_rng(seed)``: the same spec, samples and seed give the same array. ``samples``
and ``seed`` do not apply to files.

A tensor file is user input, read in bounded memory: a regular file of at most
:data:`MAX_FILE_BYTES` (.npy, .npz) or :data:`MAX_CSV_BYTES` (.csv), checked with stat
before it is read; a .npy header (``np.lib.format``) is checked for dtype and shape
before the data is looked at, never with pickles; an .npz member's uncompressed size is
checked against :data:`MAX_MEMBER_BYTES` before it is decompressed (zip bombs); at most
:data:`MAX_VALUES` values. Bools, integers and floats are cast to float64; complex,
object, string, datetime and structured arrays are refused, naming the dtype; NaN and
infinity are refused with their count and the first index. Every problem is a one-line
:class:`~macgates.support.errors.DataError` naming the file (and line and column, for a
CSV) or the spec.
"""

from __future__ import annotations

import csv
import io
import math
import re

from ..files.yamlfile import read_bytes, read_text
from ..formats.spec import lookup
from ..support.errors import DataError, MacgatesError, did_you_mean, shown, whole



class _Numpy:
    """numpy, imported on first use: checking a design's data specs (:func:`check`) does
    not need it, and loading a design stays as quick as before."""

    def __getattr__(self, name):
        import numpy

        globals()["np"] = numpy
        return getattr(numpy, name)


np = _Numpy()
SAMPLES = 100_000  # values drawn from a distribution unless asked otherwise (a design's data:, sweep --data)
MAX_SAMPLES = 10**8  # values drawn from a distribution (800 MB as float64)
MAX_VALUES = 10**8  # values in a tensor file
MAX_FILE_BYTES = 256 * 1024 * 1024  # a .npy or .npz file
MAX_MEMBER_BYTES = 256 * 1024 * 1024  # one array of an .npz archive, uncompressed
MAX_MEMBERS = 10_000  # arrays in an .npz archive
MAX_CSV_BYTES = 16 * 1024 * 1024  # a .csv file (parsed cell by cell: 8 MB of one-number lines peak at 163 MB, 5 s)
MAX_SEED = 2**63 - 1
TABLE_BITS = 20  # formats of at most this many bits are drawn from a table of their values

# name -> (parameter names, how many of them may be given, defaults for those not given)
DISTRIBUTIONS = {
    "uniform": (("A", "B"), (0, 2), (-1.0, 1.0)),
    "normal": (("MU", "SIGMA"), (0, 2), (0.0, 1.0)),
    "laplace": (("MU", "B"), (0, 2), (0.0, 1.0)),
    "student-t": (("NU", "SCALE"), (1, 2), (None, 1.0)),
    "half-normal": (("SIGMA",), (0, 1), (1.0,)),
}
SUFFIXES = (".npy", ".npz", ".csv")
_FILE = re.compile(r"^(?P<path>.+?\.(?P<ext>npy|npz|csv))(?::(?P<key>.*))?$", re.IGNORECASE | re.DOTALL)


def usage() -> list[str]:
    """Every form a spec takes, for messages and help."""
    forms = [f"{name}:{','.join(params[:n])}" if n else name
             for name, (params, counts, _) in DISTRIBUTIONS.items() for n in counts]
    return [*forms, "codes:FORMAT", "PATH.npy", "PATH.npz[:KEY]", "PATH.csv"]


def tensor_path(spec: str) -> str | None:
    """The file's path of a tensor-file spec (``w.npy``, ``t.npz:key``, ``a.csv``), None
    for a distribution or ``codes:FORMAT``."""
    match = _FILE.match(spec) if isinstance(spec, str) else None
    return None if match is None or spec.partition(":")[0] in (*DISTRIBUTIONS, "codes") else match["path"]


def load(spec: str, samples: int = SAMPLES, seed: int = 0, formats=None) -> np.ndarray:
    """The operand data ``spec`` names (see the module docstring), as float64: ``samples``
    values drawn with ``default_rng(seed)`` for a distribution or ``codes:FORMAT`` (whose
    format is looked up in ``formats``, a design's own formats by name, then the known
    ones); a tensor file's values in its shape. Problems raise :class:`DataError`."""
    if not isinstance(spec, str) or not spec.strip():
        raise DataError(f"data {shown(spec)}: expected a distribution or a tensor file "
                        f"({did_you_mean(usage())})")
    head, _, rest = spec.partition(":")
    if head in DISTRIBUTIONS or head == "codes":
        _check_draw(samples, seed)
        rng = np.random.default_rng(seed)
        if head == "codes":
            values = _codes(spec, rest, samples, rng, formats)
        else:
            values = _distribution(spec, head, rest if ":" in spec else None, samples, rng)
        return values
    return _tensor(spec, head)


def varying(x, spec: str):
    """``x`` (the data ``spec`` gave), or a DataError when its values are all equal: bits
    of accuracy divide by their spread (a cost-against-accuracy chart has no use for the
    inf or -inf they come to then)."""
    if not float(x.max()) > float(x.min()):
        values = f"all {x.size:,} values are" if x.size > 1 else "its one value is"
        raise DataError(f"{spec!r}: {values} {float(x.flat[0]):g}: bits of accuracy, log2(std(x) / RMSE), "
                        "need data that varies")
    return x


def check(spec: str, formats=None) -> None:
    """What :func:`load` would refuse in a distribution's or ``codes:FORMAT``'s spec (its
    name, parameters, format), without drawing a sample (nor importing numpy); a tensor
    file is not read. A spec that is neither raises :func:`load`'s error."""
    if not isinstance(spec, str) or not spec.strip():
        load(spec)  # (its error)
    head, _, rest = spec.partition(":")
    if head == "codes":
        _code_format(spec, rest, formats)
    elif head in DISTRIBUTIONS:
        _params(spec, head, rest if ":" in spec else None)
    elif tensor_path(spec) is None:
        _tensor(spec, head)  # (its error: not a tensor file nor a distribution)


def _tensor(spec: str, head: str):
    match = _FILE.match(spec)
    if match is None:
        if "." in spec or "/" in spec:
            raise DataError(f"data {shown(spec)}: not a tensor file this reads (their names end in "
                            f"{', '.join(SUFFIXES)}) nor a distribution")
        raise DataError(f"data {shown(spec)}: unknown distribution {shown(head)} ({did_you_mean(usage())})")
    path, ext, key = match["path"], match["ext"].lower(), match["key"]
    if key is not None and ext != "npz":
        raise DataError(f"data {shown(spec)}: a key (':{shown(key)[1:-1]}') is only for .npz archives")
    if ext == "npy":
        return _npy_file(path)
    if ext == "npz":
        return _npz_file(path, key)
    return _csv_file(path)


# -- distributions -------------------------------------------------------------------------
def _check_draw(samples, seed) -> None:
    if not whole(samples, 1, MAX_SAMPLES):
        raise DataError(f"samples: {shown(samples)} is not a whole number from 1 to {MAX_SAMPLES:,}")
    if not whole(seed, 0, MAX_SEED):
        raise DataError(f"seed: {shown(seed)} is not a whole number from 0 to 2^63 - 1")


def _number(spec: str, name: str, text: str) -> float:
    text = text.strip()
    try:
        value = float(text) if len(text) <= 40 else math.nan
    except ValueError:
        raise DataError(f"data {shown(spec)}: {name}: {shown(text)} is not a number") from None
    if not math.isfinite(value):
        raise DataError(f"data {shown(spec)}: {name}: {shown(text)} is not a finite number")
    return value


def _params(spec: str, name: str, rest) -> dict:
    """A distribution's parameters by name, checked."""
    params, counts, defaults = DISTRIBUTIONS[name]
    given = [] if rest is None else rest.split(",")
    if len(given) not in counts:
        takes = " or ".join(f"{name}:{','.join(params[:n])}" if n else name for n in counts)
        raise DataError(f"data {shown(spec)}: expected {takes}; got {len(given)} "
                        f"value{'s' if len(given) != 1 else ''}")
    values = [_number(spec, p, t) for p, t in zip(params, given)] + list(defaults[len(given):])
    p = dict(zip(params, values))

    def positive(key):
        if not p[key] > 0:
            raise DataError(f"data {shown(spec)}: {key} must be > 0, got {p[key]:g}")

    if name == "uniform":
        if not p["A"] < p["B"]:
            raise DataError(f"data {shown(spec)}: uniform:A,B needs A < B, got {p['A']:g} and {p['B']:g}")
        if not math.isfinite(p["B"] - p["A"]):
            raise DataError(f"data {shown(spec)}: B - A is beyond the float64 range: use smaller parameters")
    else:
        for key in {"normal": ("SIGMA",), "laplace": ("B",), "student-t": ("NU", "SCALE")}.get(name, ("SIGMA",)):
            positive(key)
    return p


def _distribution(spec: str, name: str, rest, samples: int, rng) -> np.ndarray:
    p = _params(spec, name, rest)
    if name == "uniform":
        out = rng.uniform(p["A"], p["B"], samples)
    elif name == "normal":
        out = rng.normal(p["MU"], p["SIGMA"], samples)
    elif name == "laplace":
        out = rng.laplace(p["MU"], p["B"], samples)
    elif name == "student-t":
        out = p["SCALE"] * rng.standard_t(p["NU"], samples)
    else:
        out = np.abs(rng.normal(0.0, p["SIGMA"], samples))
    if not np.isfinite(out).all():  # parameters near the float range (uniform:-1e308,1e308; student-t:1e-3)
        raise DataError(f"data {shown(spec)}: {int((~np.isfinite(out)).sum())} of the samples are beyond "
                        "the float64 range: use smaller parameters")
    return out


def _code_format(spec: str, name: str, formats):
    """The format ``codes:FORMAT`` names."""
    if not name.strip():
        raise DataError(f"data {shown(spec)}: codes:FORMAT needs a format name")
    try:
        return lookup(name, formats)
    except MacgatesError as exc:
        raise DataError(f"data {shown(spec)}: {exc}") from None


def _codes(spec: str, name: str, samples: int, rng, formats) -> np.ndarray:
    fmt = _code_format(spec, name, formats)
    if fmt.bits <= TABLE_BITS:
        table = np.arange(1 << fmt.bits, dtype=np.int64)
        table = table[_valid(fmt, table)]
        return decode_codes(fmt, table)[rng.integers(0, len(table), samples)]
    out = np.empty(samples, dtype=np.float64)
    filled = 0
    while filled < samples:  # every format has at most half its codes special: few rounds
        drawn = rng.integers(0, 1 << fmt.bits, samples - filled, dtype=np.int64)
        drawn = drawn[_valid(fmt, drawn)]
        out[filled:filled + len(drawn)] = decode_codes(fmt, drawn)
        filled += len(drawn)
    return out


def _fields(fmt, codes: np.ndarray):
    man = codes & ((1 << fmt.man_bits) - 1)
    exp = (codes >> fmt.man_bits) & ((1 << fmt.exp_bits) - 1)
    return man, exp


def _valid(fmt, codes: np.ndarray) -> np.ndarray:
    """Which ``codes`` stand for numbers of ``fmt``'s range."""
    if fmt.kind == "int":
        return codes != (1 << (fmt.bits - 1)) if fmt.symmetric else np.ones(codes.shape, dtype=bool)
    man, exp = _fields(fmt, codes)
    top = (1 << fmt.exp_bits) - 1
    if fmt.specials == "ieee":
        return exp != top
    if fmt.specials == "fn":
        return ~((exp == top) & (man == (1 << fmt.man_bits) - 1))
    return np.ones(codes.shape, dtype=bool)


def decode_codes(fmt, codes) -> np.ndarray:
    """The values of number codes of ``fmt`` (ints from 0 to 2^bits - 1, none of them a NaN
    or infinity code) as float64, exactly as :meth:`Format.decode` gives them (negative
    zero is 0; a block format: its element's values)."""
    codes = np.asarray(codes, dtype=np.int64)
    if fmt.kind == "int":
        sign = 1 << (fmt.bits - 1)
        return np.where(codes >= sign, codes - (1 << fmt.bits), codes).astype(np.float64)
    man, exp = _fields(fmt, codes)
    if fmt.man_bits == 0:
        magnitude = np.ldexp(1.0, exp - fmt.bias)
    else:
        normal = exp > 0
        significand = np.where(normal, man + (1 << fmt.man_bits), man).astype(np.float64)
        magnitude = np.ldexp(significand, np.where(normal, exp, 1) - fmt.bias - fmt.man_bits)
    if fmt.signed:
        magnitude = np.where((codes >> (fmt.bits - 1)) & 1 == 1, -magnitude, magnitude)
    return magnitude + 0.0  # -0.0 + 0.0 is +0.0


# -- tensor files ----------------------------------------------------------------------------
def _name(path) -> str:
    return shown(str(path), 200)[1:-1]


def _npy_file(path) -> np.ndarray:
    raw = read_bytes(path, DataError, MAX_FILE_BYTES, "a .npy file")
    return _npy(io.BytesIO(raw), _name(path))


def _npy(stream, name: str) -> np.ndarray:
    """The array in a .npy stream, its header checked before the data is read."""
    fmt = np.lib.format
    try:
        version = fmt.read_magic(stream)
    except ValueError:
        raise DataError(f"{name}: not a .npy file (it does not start with NumPy's magic string)") from None
    try:
        if version == (1, 0):
            shape, fortran, dtype = fmt.read_array_header_1_0(stream)
        elif version == (2, 0):
            shape, fortran, dtype = fmt.read_array_header_2_0(stream)
        else:
            raise DataError(f"{name}: .npy format version {version[0]}.{version[1]} is not read "
                            "(versions 1.0 and 2.0 are; 3.0 is only for structured arrays)")
    except (ValueError, TypeError, SyntaxError) as exc:
        raise DataError(f"{name}: bad .npy header ({shown(' '.join(str(exc).split()), 120)[1:-1]})") from None
    _check_dtype(dtype, name)
    if any(n < 0 for n in shape):
        raise DataError(f"{name}: bad .npy header (shape {shown(shape)} has a negative length)")
    count = math.prod(shape)
    _check_count(count, name)
    nbytes = count * dtype.itemsize
    data = stream.read(nbytes)
    if len(data) < nbytes:
        raise DataError(f"{name}: truncated: its header says shape {shape} of {dtype} ({nbytes:,} bytes), "
                        f"but {len(data):,} bytes follow")
    array = np.frombuffer(data, dtype=dtype).reshape(shape, order="F" if fortran else "C")
    with np.errstate(over="ignore"):  # a long double beyond float64 becomes inf, refused next
        array = array.astype(np.float64)
    return _finite(array, name)


def _check_dtype(dtype, name: str) -> None:
    if dtype.kind not in "biuf" or dtype.fields is not None or dtype.shape != ():
        kind = {"c": "complex", "O": "object", "U": "strings", "S": "bytes", "V": "structured",
                "M": "datetimes", "m": "timedeltas"}.get(dtype.kind, "not real numbers")
        raise DataError(f"{name}: dtype {shown(str(dtype), 80)[1:-1]} is {kind}: expected real numbers "
                        "(bool, integer or float)")


def _check_count(count: int, name: str) -> None:
    if count == 0:
        raise DataError(f"{name}: holds no values")
    if count > MAX_VALUES:
        raise DataError(f"{name}: {count:,} values is more than the limit of {MAX_VALUES:,}")


def _finite(array: np.ndarray, name: str) -> np.ndarray:
    bad = ~np.isfinite(array)
    count = int(bad.sum())
    if count:
        first = np.unravel_index(int(np.argmax(bad.ravel())), array.shape)
        where = str(int(first[0])) if len(first) == 1 else str(tuple(int(i) for i in first))
        raise DataError(f"{name}: {count:,} NaN or infinite value{'s' if count != 1 else ''}, "
                        f"the first at index {where}")
    return array


def _keys(keys: list) -> str:
    shown_keys = ", ".join(shown(k, 40)[1:-1] for k in keys[:20])
    return shown_keys + (f", ... ({len(keys):,} in all)" if len(keys) > 20 else "")


def _npz_file(path, key) -> np.ndarray:
    import zipfile
    import zlib

    name = _name(path)
    raw = read_bytes(path, DataError, MAX_FILE_BYTES, "a .npz archive")
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise DataError(f"{name}: not a .npz archive (not a zip file)") from None
    if len(infos) > MAX_MEMBERS:
        raise DataError(f"{name}: {len(infos):,} members is more than the limit of {MAX_MEMBERS:,}")
    arrays = {}
    for info in infos:
        if not info.is_dir():
            arrays.setdefault(info.filename[:-4] if info.filename.endswith(".npy") else info.filename, info)
    keys = sorted(arrays)
    if not keys:
        raise DataError(f"{name}: the archive holds no arrays")
    if key is None:
        if len(keys) > 1:
            raise DataError(f"{name}: holds {len(keys)} arrays: name one as {name}:KEY (keys: {_keys(keys)})")
        key = keys[0]
    elif key not in arrays:
        raise DataError(f"{name}: no array {shown(key, 60)} (keys: {_keys(keys)})")
    info = arrays[key]
    where = f"{name}:{shown(key, 60)[1:-1]}"
    if info.file_size > MAX_MEMBER_BYTES:
        raise DataError(f"{where}: {info.file_size:,} bytes uncompressed is larger than the "
                        f"{MAX_MEMBER_BYTES:,}-byte limit for an array of a .npz archive")
    try:
        with archive.open(info) as member:
            return _npy(member, where)  # the header is checked before the data is decompressed
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, RuntimeError, NotImplementedError, ValueError) as exc:
        raise DataError(f"{where}: cannot read it from the archive "
                        f"({shown(' '.join(str(exc).split()), 100)[1:-1]})") from None


def _csv_file(path) -> np.ndarray:
    name = _name(path)
    text = read_text(path, DataError, MAX_CSV_BYTES, "a CSV file", "CSV", "utf-8-sig")
    reader = csv.reader(io.StringIO(text), strict=True)
    from array import array as flat

    values_all, lines, width, first = flat("d"), flat("q"), None, True  # (8 bytes a value and a line)
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue  # a blank line
            line = reader.line_num
            try:
                values = [float(cell) for cell in row]
            except ValueError:
                values = None
            if values is None:
                numeric = [_is_number(cell) for cell in row]
                if first and not any(numeric):
                    first = False  # the header
                    width = len(row)
                    continue
                column = numeric.index(False)
                cell = row[column].strip()
                raise DataError(f"{name}:{line}: column {column + 1}: "
                                f"{shown(cell, 40) if cell else 'an empty cell'} is not a number")
            first = False
            if width is None:
                width = len(row)
            elif len(row) != width:
                raise DataError(f"{name}:{line}: {len(row)} column{'s' if len(row) != 1 else ''}, "
                                f"expected {width} as on the first line")
            values_all.extend(values)
            lines.append(line)
    except csv.Error as exc:
        raise DataError(f"{name}:{reader.line_num}: not CSV ({shown(' '.join(str(exc).split()), 80)[1:-1]})") from None
    if not lines:
        raise DataError(f"{name}: holds no numbers")
    array = np.frombuffer(values_all, dtype=np.float64).reshape(len(lines), width).copy()
    bad = ~np.isfinite(array)
    if bad.any():
        i, j = np.unravel_index(int(np.argmax(bad.ravel())), array.shape)
        raise DataError(f"{name}:{lines[i]}: column {j + 1}: {int(bad.sum()):,} NaN or infinite "
                        f"value{'s' if bad.sum() != 1 else ''} in the file, the first here ({array[i, j]})")
    return array[:, 0] if width == 1 else array


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True
