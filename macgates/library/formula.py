"""Cost formulas: parsed once with :mod:`ast` against a whitelist, never ``eval``-ed.

A formula is an arithmetic expression over

* integer and decimal literals (decimals become exact :class:`fractions.Fraction`),
* the primitive's parameter names (``n``, ``m``, ``k``, ...),
* other primitives: a bare name for a primitive without parameters (``fa``), a call
  for one with parameters (``adder(n - 1)``),
* the functions ``ceil_log2``, ``pow2``, ``popcount``, ``max`` and ``min``,
* the operators ``+ - * / //`` and parentheses (``/`` gives an exact fraction).

Anything else (attribute access, subscripts, lambdas, ``**``, comparisons, keyword
arguments, strings, ...) is rejected when the library is loaded, with the construct
named. :func:`parse` returns a :class:`Formula` whose :meth:`Formula.evaluate` runs a
tree of closures built at parse time.
"""

from __future__ import annotations

import ast
import warnings
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Callable, Mapping

from ..support.errors import LibraryError

MAX_FORMULA_LENGTH = 2000
MAX_LITERAL = 10**12
MAX_DEPTH = 40  # nesting of operators, calls and parentheses in one formula
MAX_VALUE = 10**15  # largest magnitude a formula may compute, at any step


def ceil_log2(x) -> int:
    """Smallest integer L with 2**L >= x (x >= 1): the stages of a log shifter by [0, x-1]."""
    if x < 1 or x != int(x):
        raise LibraryError(f"ceil_log2 needs a whole number >= 1, got {x}")
    return (int(x) - 1).bit_length()


def pow2(x) -> int:
    """2**x for a whole x from 0 to 64 (so a formula cannot build huge numbers)."""
    if x != int(x) or not 0 <= x <= 64:
        raise LibraryError(f"pow2 needs a whole number from 0 to 64, got {x}")
    return 1 << int(x)


def popcount(x) -> int:
    """The one bits of a whole x >= 0 (a Brent-Kung prefix tree over x positions has
    x - popcount(x) up-sweep cells)."""
    if x < 0 or x != int(x):
        raise LibraryError(f"popcount needs a whole number >= 0, got {x}")
    return bin(int(x)).count("1")


FUNCTIONS: dict[str, tuple[Callable, int | None]] = {
    # name: (implementation, number of arguments or None for 'two or more')
    "ceil_log2": (ceil_log2, 1),
    "pow2": (pow2, 1),
    "popcount": (popcount, 1),
    "max": (max, None),
    "min": (min, None),
}

_BINOPS = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.FloorDiv: lambda a, b: a // b,
    ast.Div: lambda a, b: Fraction(a) / Fraction(b),
}

_NODE_WORDS = {
    ast.Attribute: "attribute access",
    ast.Subscript: "subscripts",
    ast.Lambda: "lambdas",
    ast.Compare: "comparisons",
    ast.BoolOp: "boolean operators",
    ast.IfExp: "conditional expressions",
    ast.ListComp: "comprehensions",
    ast.GeneratorExp: "comprehensions",
    ast.List: "lists",
    ast.Tuple: "tuples",
    ast.Dict: "dicts",
    ast.Set: "sets",
    ast.NamedExpr: "assignment expressions",
    ast.Starred: "starred arguments",
    ast.JoinedStr: "strings",
    ast.Await: "await",
}

# An evaluator gets the parameter values and a function that returns the cost of a
# primitive given its name and argument tuple.
Resolver = Callable[[str, tuple], object]
_Eval = Callable[[Mapping[str, int], Resolver], object]


@dataclass(frozen=True)
class Formula:
    """A parsed cost formula."""

    text: str
    params: tuple[str, ...]
    # primitive name -> number of arguments it is used with (0 for a bare name)
    refs: Mapping[str, frozenset] = field(compare=False)
    _run: _Eval = field(compare=False, repr=False)

    def evaluate(self, values: Mapping[str, int], resolve: Resolver):
        try:
            return self._run(values, resolve)
        except ZeroDivisionError:
            raise LibraryError(f"formula {_short(self.text)} divides by zero for {dict(values)}") from None


def parse(text, params: tuple[str, ...] = ()) -> Formula:
    """Parse ``text`` into a :class:`Formula`. Raises LibraryError naming what is wrong."""
    if isinstance(text, bool) or not isinstance(text, (str, int)):
        raise LibraryError(f"a cost formula must be a string or an integer, not {type(text).__name__}")
    text = str(text)
    if len(text) > MAX_FORMULA_LENGTH:
        raise LibraryError(f"formula is {len(text)} characters long; at most {MAX_FORMULA_LENGTH} allowed")
    try:
        with warnings.catch_warnings():  # "invalid decimal literal" and the like: ours to report
            warnings.simplefilter("ignore", SyntaxWarning)
            tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise LibraryError(f"formula {_short(text)} is not an expression ({exc.msg})") from None
    except (RecursionError, MemoryError):
        raise LibraryError(f"formula {_short(text)} is nested too deeply") from None
    depth = _depth(tree.body)
    if depth > MAX_DEPTH:
        raise LibraryError(f"formula {_short(text)} is nested more than {MAX_DEPTH} levels deep (write a "
                           "long sum as a product, or split it with a helper primitive)")
    refs: dict[str, set] = {}
    run = _compile(tree.body, text.strip(), params, refs)
    return Formula(text, tuple(params), {k: frozenset(v) for k, v in refs.items()}, run)


def _short(text: str, limit: int = 60) -> str:
    """A formula for a message: quoted, control characters escaped, at most ``limit`` characters."""
    shown = repr(text)
    return shown if len(shown) <= limit else shown[:limit - 4] + "...'"


def _depth(root) -> int:
    """Nesting depth of an expression tree, walked iteratively."""
    deepest, stack = 0, [(root, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth <= MAX_DEPTH + 1:  # deeper than that is refused anyway
            stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node)
                         if isinstance(child, ast.expr))
    return deepest


class TooLarge(LibraryError):
    """A formula computed a value beyond MAX_VALUE (the library names the primitive)."""


def _bounded(value):
    if abs(value) > MAX_VALUE:
        raise TooLarge(f"its formula computes a value beyond 10^15 in some step (at most {MAX_VALUE:,})")
    return value


def _reject(node, text) -> LibraryError:
    what = _NODE_WORDS.get(type(node))
    if what is None:
        what = f"'{type(node).__name__}' nodes"
    return LibraryError(
        f"formula {_short(text)}: {what} not allowed "
        "(allowed: numbers, parameter and primitive names, + - * / //, ceil_log2, pow2, popcount, max, min)"
    )


def _compile(node, text, params, refs) -> _Eval:
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _reject(ast.JoinedStr() if isinstance(value, str) else node, text)
        if isinstance(value, float):
            if not abs(value) <= MAX_LITERAL:  # also inf (1e5000): never build its exact value
                raise LibraryError(f"formula {_short(text)}: a literal is larger than {MAX_LITERAL}")
            segment = ast.get_source_segment(text, node) or repr(value)
            value = Fraction(segment.replace("_", ""))
        if abs(value) > MAX_LITERAL:
            raise LibraryError(f"formula {_short(text)}: a literal is larger than {MAX_LITERAL}")
        return lambda values, resolve, v=value: v
    if isinstance(node, ast.Name):
        name = node.id
        if name in params:
            return lambda values, resolve, n=name: values[n]
        if name in FUNCTIONS:
            raise LibraryError(f"formula {_short(text)}: function {name} must be called, e.g. {name}(n)")
        refs.setdefault(name, set()).add(0)
        return lambda values, resolve, n=name: resolve(n, ())
    if isinstance(node, ast.UnaryOp):
        if isinstance(node.op, ast.USub):
            inner = _compile(node.operand, text, params, refs)
            return lambda values, resolve: -inner(values, resolve)
        if isinstance(node.op, ast.UAdd):
            return _compile(node.operand, text, params, refs)
        raise LibraryError(f"formula {_short(text)}: operator {type(node.op).__name__} not allowed (allowed: + - * / //)")
    if isinstance(node, ast.BinOp):
        op = _BINOPS.get(type(node.op))
        if op is None:
            word = "'**' (powers)" if isinstance(node.op, ast.Pow) else f"operator {type(node.op).__name__}"
            raise LibraryError(f"formula {_short(text)}: {word} not allowed (allowed: + - * / //)")
        left = _compile(node.left, text, params, refs)
        right = _compile(node.right, text, params, refs)
        return lambda values, resolve: _bounded(op(left(values, resolve), right(values, resolve)))
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name):
            raise _reject(node.func, text)
        if node.keywords:
            raise LibraryError(f"formula {_short(text)}: keyword arguments not allowed")
        name = node.func.id
        args = [_compile(a, text, params, refs) for a in node.args]
        if name in params:
            raise LibraryError(f"formula {_short(text)}: parameter {name} is not a function")
        if name in FUNCTIONS:
            func, arity = FUNCTIONS[name]
            if (arity is not None and len(args) != arity) or (arity is None and len(args) < 2):
                want = f"{arity}" if arity is not None else "2 or more"
                raise LibraryError(f"formula {_short(text)}: {name} takes {want} arguments, got {len(args)}")
            return lambda values, resolve: _bounded(func(*(a(values, resolve) for a in args)))
        refs.setdefault(name, set()).add(len(args))
        return lambda values, resolve, n=name: resolve(n, tuple(a(values, resolve) for a in args))
    raise _reject(node, text)
