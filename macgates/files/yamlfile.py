"""Reading YAML files into plain data, with file-and-line error messages, in bounded time
and memory whatever the file holds.

* Only regular files are read (not devices, FIFOs or sockets), and at most
  :data:`MAX_FILE_BYTES` + 1 bytes of them.
* The document is checked event by event for nesting deeper than :data:`MAX_DEPTH`
  before it is composed, then built by :func:`_build` (not PyYAML's constructors) into
  plain data only: str, int, float, bool, None, list, dict. Aliases count every time they
  are used: a document of more than :data:`MAX_NODES` nodes after alias expansion is
  refused before it is built ("billion laughs").
* Numbers have at most :data:`MAX_NUMBER_CHARS` characters; a tag other than the plain
  ones (``!!binary``, ``!!set``, ``!!omap``, ``!!python/...``, custom tags) is an error;
  timestamps stay text. A plain tag written out must fit its text: ``!!int``,
  ``!!float``, ``!!bool``, ``!!null`` and ``!!timestamp`` on text that is not one
  (``!!timestamp not-a-date``, ``!!null no``), or ``!!str`` / ``!!seq`` / ``!!map`` on
  the wrong kind of node, is an error naming the line. (Untagged text that only looks
  like a date, ``2024-13-45``, stays text.)
* A key given twice in one mapping is an error naming both lines. Merge keys (``<<``)
  work as in YAML 1.1: the mapping's own keys win.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from ..support.errors import shown
from .outputs import note_input

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_NODES = 200_000  # scalars, lists and mappings, counting each use of an alias
MAX_DEPTH = 64  # nested lists and mappings
MAX_NUMBER_CHARS = 40

_TAG = "tag:yaml.org,2002:"


class _Problem(Exception):
    def __init__(self, mark, message: str):
        super().__init__(message)
        self.mark = mark
        self.message = message


def read_text(path, error: type[Exception], limit: int, what: str, kind: str, encoding: str = "utf-8") -> str:
    """The text of the file at ``path`` (at most ``limit`` bytes, ``what`` it should be, as
    :func:`read_bytes` says it): a binary file or one that is not UTF-8 raises ``error``
    naming the file and ``kind`` of text expected ("YAML", "CSV")."""
    name = shown(str(path), 200)[1:-1]
    raw = read_bytes(path, error, limit, what)
    if b"\0" in raw:
        raise error(f"{name}: binary file (contains NUL bytes), expected UTF-8 {kind} text")
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise error(f"{name}: not UTF-8 text (byte {exc.start}), expected a {kind} file") from None


def read_yaml(path, error: type[Exception]):
    """Parse the YAML file at ``path``; problems raise ``error`` with a one-line message."""
    path = Path(path)
    name = shown(str(path), 200)[1:-1]
    text = read_text(path, error, MAX_FILE_BYTES, "a YAML file", "YAML")
    try:
        explicit = _scan(text)
        node = yaml.compose(text, Loader=_Loader)
        return None if node is None else _build(node, explicit)
    except _Problem as exc:
        where = f"{name}:{exc.mark.line + 1}" if exc.mark is not None else name
        raise error(f"{where}: {exc.message}") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{name}:{mark.line + 1}" if mark is not None else name
        problem = exc.problem or exc.context or "invalid YAML"
        raise error(f"{where}: YAML syntax error: {shown(problem, 120)[1:-1]}") from None
    except yaml.YAMLError as exc:
        raise error(f"{name}: YAML error: {shown(' '.join(str(exc).split()), 120)[1:-1]}") from None


def read_bytes(path, error, limit: int, what: str) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes (never more is read);
    problems raise ``error`` naming the file. The path is noted as an input."""
    path = Path(path)
    name = shown(str(path), 200)[1:-1]
    try:
        info = path.stat()
    except FileNotFoundError:
        raise error(f"{name}: no such file") from None
    except OSError as exc:
        raise error(f"{name}: cannot read ({exc.strerror})") from None
    except ValueError:  # os.stat refuses a NUL byte in a path
        raise error(f"{name}: not a file name (it holds a NUL byte)") from None
    if stat.S_ISDIR(info.st_mode):
        raise error(f"{name}: is a directory, expected {what}")
    if not stat.S_ISREG(info.st_mode):
        raise error(f"{name}: not a regular file (a device, FIFO or socket), expected {what}")
    if info.st_size > limit:
        raise error(f"{name}: {info.st_size} bytes is larger than the {limit}-byte limit for {what}")
    try:
        with open(path, "rb", opener=lambda p, flags: os.open(p, flags | os.O_NONBLOCK)) as handle:
            # as many bytes as stat gave, and one more (read(limit + 1) would allocate the
            # whole limit first: 256 MB for a .npy of a few bytes); a file that grew since
            # is read on in chunks, to one byte past the limit
            raw = handle.read(info.st_size + 1)
            if len(raw) > info.st_size:
                grown = bytearray(raw)
                while len(grown) <= limit and (more := handle.read(min(1 << 20, limit + 1 - len(grown)))):
                    grown += more
                raw = bytes(grown)
    except OSError as exc:
        raise error(f"{name}: cannot read ({exc.strerror})") from None
    if len(raw) > limit:
        raise error(f"{name}: larger than the {limit}-byte limit for {what}")
    note_input(path)
    return raw


def _scan(text: str) -> set:
    """Check the nesting depth, event by event, before anything is built; returns where
    the scalars with a tag written out start ((line, column): a node starts where its
    event does), so that their text can be held to the tag."""
    depth = 0
    explicit = set()
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                raise _Problem(event.start_mark, f"nested more than {MAX_DEPTH} levels deep")
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
        elif isinstance(event, yaml.ScalarEvent) and event.tag not in (None, "!"):
            explicit.add(_where(event.start_mark))
    return explicit


def _where(mark) -> tuple:
    return mark.line, mark.column


_SCALARS = SafeConstructor()


# what a tag written out accepts, where building the value does not check it: YAML 1.1's
# null, value-key and merge-key spellings (as PyYAML resolves them)
_SPELLED = {_TAG + "null": ("~", "null", "Null", "NULL", ""), _TAG + "value": ("=",), _TAG + "merge": ("<<",)}


def _scalar(node: ScalarNode, explicit: set = frozenset()):
    tag = node.tag
    if _where(node.start_mark) in explicit:
        _check_explicit(node)
    if tag in (_TAG + "str", _TAG + "timestamp", _TAG + "value"):
        return node.value
    if tag == _TAG + "null":
        return None
    if tag in (_TAG + "int", _TAG + "float") and len(node.value) > MAX_NUMBER_CHARS:
        raise _Problem(node.start_mark, f"a number of {len(node.value)} characters; at most "
                                        f"{MAX_NUMBER_CHARS} are allowed")
    build = {_TAG + "bool": _SCALARS.construct_yaml_bool, _TAG + "int": _SCALARS.construct_yaml_int,
             _TAG + "float": _SCALARS.construct_yaml_float}.get(tag)
    if build is None:
        raise _Problem(node.start_mark, f"a scalar cannot be tagged {shown(tag)}")
    try:
        return build(node)
    except (ValueError, TypeError, KeyError, IndexError):  # (!!int "" is an IndexError)
        raise _Problem(node.start_mark, f"YAML error: {shown(node.value)} is not a valid "
                                        f"{tag.removeprefix(_TAG)}") from None


def _check_explicit(node: ScalarNode) -> None:
    """A tag written out on a scalar fits its text: a timestamp is a valid date (and time),
    a null, value or merge one of its spellings (int, float and bool are checked as they
    are built)."""
    tag, value = node.tag, node.value
    if tag == _TAG + "timestamp":
        try:
            _SCALARS.construct_yaml_timestamp(node)
            return
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError):
            pass
    elif tag not in _SPELLED or value in _SPELLED[tag]:
        return
    raise _Problem(node.start_mark, f"YAML error: {shown(value)} is not a valid {tag.removeprefix(_TAG)}")


_KINDS = {SequenceNode: _TAG + "seq", MappingNode: _TAG + "map"}


def _build(root, explicit: set = frozenset()):
    """Plain data from a composed node graph, iteratively, counting aliased nodes each time."""
    count = 0
    result: list = [None]
    # work items: (node, container, key) -- build node and store it in container[key]
    stack = [(root, result, 0)]
    while stack:
        node, container, key = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise _Problem(node.start_mark, f"more than {MAX_NODES:,} values (aliases count each time "
                                            "they are used)")
        if not isinstance(node, ScalarNode) and node.tag != _KINDS[type(node)]:  # (!!str [1], !!set, !!omap)
            raise _Problem(node.start_mark, f"a {type(node).__name__[:-4].lower()} cannot be tagged {shown(node.tag)}")
        if isinstance(node, ScalarNode):
            container[key] = _scalar(node, explicit)
        elif isinstance(node, SequenceNode):
            items = [None] * len(node.value)
            container[key] = items
            stack.extend((child, items, i) for i, child in reversed(list(enumerate(node.value))))
        elif isinstance(node, MappingNode):
            container[key] = _mapping(node, stack, explicit)
    return result[0]


def _mapping(node: MappingNode, stack: list, explicit: set = frozenset()) -> dict:
    out: dict = {}
    lines: dict = {}
    merged = []
    for key_node, value_node in node.value:
        if key_node.tag == _TAG + "merge":
            if not isinstance(key_node, ScalarNode):
                raise _Problem(key_node.start_mark, "a key must be a plain value, not a list or mapping")
            if _where(key_node.start_mark) in explicit:
                _check_explicit(key_node)
            merged.append(value_node)
            continue
        if not isinstance(key_node, ScalarNode):
            raise _Problem(key_node.start_mark, "a key must be a plain value, not a list or mapping")
        key = _scalar(key_node, explicit)
        try:
            hash(key)
        except TypeError:
            raise _Problem(key_node.start_mark, "a key must be a plain value") from None
        if key in lines:
            raise _Problem(key_node.start_mark, f"duplicate key {shown(str(key))} (first at line "
                                                f"{lines[key] + 1})")
        lines[key] = key_node.start_mark.line
        out[key] = None
        stack.append((value_node, out, key))
    for value_node in merged:  # YAML 1.1 merge: the mapping's own keys win, earlier merges win
        sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
        for source in sources:
            if not isinstance(source, MappingNode):
                raise _Problem(source.start_mark, "a merge (<<) takes a mapping or a list of mappings")
            for key_node, child in source.value:
                if not isinstance(key_node, ScalarNode) or key_node.tag == _TAG + "merge":
                    raise _Problem(key_node.start_mark, "nested merges and complex keys are not supported")
                key = _scalar(key_node, explicit)
                if key not in out:
                    out[key] = None
                    lines[key] = key_node.start_mark.line
                    stack.append((child, out, key))
    return out
