"""Expressions: syntax trees to sympy trees, and sympy trees to numbers.

User names never become Python identifiers: every variable or codebook
parameter is a :class:`sympy.Dummy`, and :func:`numeric` lambdifies over
those dummies only. Nothing the user writes is passed to ``eval``, ``exec``
or ``sympify``.

>>> from kdsl.language.syntax import parse
>>> call = parse("mechanism r(X) = poisson(20 * t) where t in {0.5}").decls[0].rhs
>>> t = sympy.Dummy("t")
>>> scope = Scope(symbols={"t": t})
>>> rate = to_sympy(call.args[0], scope)
>>> numeric(rate, [t])(np.array([0.5, 0.25]))
array([10.,  5.])
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from kdsl._lazy import lazy_module
from kdsl.errors import SpecError
from kdsl.language import ast

sympy = lazy_module("sympy")

__all__ = ["FUNCTIONS", "Scope", "to_sympy", "numeric", "names_in", "constant_value"]

#: Functions an expression may call: name -> (min args, max args, name of the sympy builder).
FUNCTIONS: dict[str, tuple[int, int | None, str]] = {
    "sqrt": (1, 1, "sqrt"),
    "exp": (1, 1, "exp"),
    "log": (1, 1, "log"),
    "abs": (1, 1, "Abs"),
    "floor": (1, 1, "floor"),
    "min": (2, None, "Min"),
    "max": (2, None, "Max"),
}


@dataclass
class Scope:
    """What names mean inside one expression.

    ``symbols`` maps variable and codebook-parameter names to dummies,
    ``constants`` maps ``let`` names to a number or a tuple of numbers,
    ``env`` is the environment's position inside a ``simulate`` block (or
    None elsewhere). ``error`` builds a located error for a node.
    """

    symbols: dict[str, sympy.Symbol] = field(default_factory=dict)
    constants: dict[str, float | tuple[float, ...]] = field(default_factory=dict)
    env: int | None = None
    env_count: int | None = None
    error: Callable[[ast.Node, str], Exception] = lambda node, message: SpecError(message)
    where: str = "here"


def names_in(expr: ast.Expr) -> list[ast.Name]:
    """Every bare name an expression mentions, in reading order.

    >>> from kdsl.language.syntax import parse
    >>> e = parse("let a = b * sqrt(c + theta[env])").decls[0].value
    >>> [n.id for n in names_in(e)]
    ['b', 'c', 'env']
    """
    out: list[ast.Name] = []

    def walk(node):
        if isinstance(node, ast.Name):
            out.append(node)
        elif isinstance(node, ast.BinOp):
            walk(node.left)
            walk(node.right)
        elif isinstance(node, ast.Neg):
            walk(node.operand)
        elif isinstance(node, ast.Call):
            for a in node.args:
                walk(a)
        elif isinstance(node, ast.Index):
            walk(node.index)

    walk(expr)
    return out


#: Largest magnitude of a number in a spec; beyond it floats lose whole units.
MAX_MAGNITUDE = 1e15


def _number(node: ast.Number, scope: Scope) -> sympy.Expr:
    if not abs(node.value) <= MAX_MAGNITUDE:
        raise scope.error(node, f"the number {node.text} is too large (at most 1e15 in magnitude)")
    if node.is_integer:
        return sympy.Integer(int(node.text))
    return sympy.Float(node.value)


def _as_number(value: float) -> sympy.Expr:
    return sympy.Integer(int(value)) if float(value).is_integer() and abs(value) < 2**53 else sympy.Float(value)


def _fold(op: str, left: sympy.Expr, right: sympy.Expr, node: ast.Node, scope: Scope) -> sympy.Expr | None:
    """Arithmetic on two constants, done in floats so huge results are caught, not built."""
    if not (left.is_number and right.is_number and left.is_real is not False and right.is_real is not False):
        return None
    a, b = float(left), float(right)
    try:
        value = {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b,
                 "/": lambda: a / b, "**": lambda: a**b}[op]()
    except OverflowError:
        raise scope.error(node, "the value of this expression is too large") from None
    except ZeroDivisionError:
        raise scope.error(node, "division by zero") from None
    if isinstance(value, complex):
        return sympy.nan
    if not math.isfinite(value) or abs(value) > 1e300:
        raise scope.error(node, "the value of this expression is too large")
    return _as_number(value)


def to_sympy(expr: ast.Expr, scope: Scope) -> sympy.Expr:
    """Build the sympy tree of ``expr``; unknown names raise a located error."""
    if isinstance(expr, ast.Number):
        return _number(expr, scope)
    if isinstance(expr, ast.Name):
        if expr.id in scope.symbols:
            return scope.symbols[expr.id]
        if expr.id in scope.constants:
            value = scope.constants[expr.id]
            if isinstance(value, tuple):
                raise scope.error(expr, f"'{expr.id}' is a list of {len(value)} values; index it, e.g. {expr.id}[env]")
            return _as_number(value)
        if expr.id == "env" and scope.env is not None:
            return sympy.Integer(scope.env)
        raise scope.error(expr, f"unknown name '{expr.id}' {scope.where}")
    if isinstance(expr, ast.Neg):
        return -to_sympy(expr.operand, scope)
    if isinstance(expr, ast.BinOp):
        left, right = to_sympy(expr.left, scope), to_sympy(expr.right, scope)
        folded = _fold(expr.op, left, right, expr, scope)
        if folded is not None:
            return folded
        if expr.op == "+":
            return left + right
        if expr.op == "-":
            return left - right
        if expr.op == "*":
            return left * right
        if expr.op == "/":
            if right.is_zero:
                raise scope.error(expr.right, "division by zero")
            return left / right
        return left**right
    if isinstance(expr, ast.Index):
        return _index(expr, scope)
    if isinstance(expr, ast.Call):
        name = expr.func.name
        if name not in FUNCTIONS:
            raise scope.error(expr.func, f"unknown function '{name}'; expressions may call {', '.join(FUNCTIONS)}")
        lo, hi, builder = FUNCTIONS[name]
        build = getattr(sympy, builder)
        n = len(expr.args)
        if n < lo or (hi is not None and n > hi):
            want = str(lo) if hi == lo else f"at least {lo}"
            raise scope.error(expr, f"{name}() takes {want} argument{'s' if lo != 1 else ''}, got {n}")
        return build(*(to_sympy(a, scope) for a in expr.args))
    raise TypeError(f"not an expression node: {expr!r}")  # pragma: no cover


def _index(expr: ast.Index, scope: Scope) -> sympy.Expr:
    target = expr.target.name
    values = scope.constants.get(target)
    if not isinstance(values, tuple):
        what = "not a list constant" if target in scope.constants or target in scope.symbols else "not declared"
        raise scope.error(expr.target, f"'{target}' is {what}; only a `let` list can be indexed")
    position = to_sympy(expr.index, scope)
    if not position.is_number:
        raise scope.error(expr.index, f"the index of {target}[...] must be a constant or env")
    as_float = float(position)
    if not as_float.is_integer():
        raise scope.error(expr.index, f"the index of {target}[...] must be a whole number, got {as_float:g}")
    i = int(as_float)
    if not 0 <= i < len(values):
        if isinstance(expr.index, ast.Name) and expr.index.id == "env" and scope.env_count is not None:
            raise scope.error(
                expr,
                f"{target}[env] is out of range: {target} has {len(values)} values but the block "
                f"simulates {scope.env_count} environments",
            )
        raise scope.error(expr, f"index {i} is out of range: {target} has {len(values)} values (0..{len(values) - 1})")
    return _as_number(values[i])


def constant_value(expr: sympy.Expr) -> float | None:
    """The float value of an expression without free symbols, else None.

    >>> constant_value(sympy.sqrt(4) + 1)
    3.0
    """
    if expr.free_symbols:
        return None
    value = complex(expr.evalf())
    if value.imag != 0:
        return float("nan")
    return float(value.real)


def numeric(expr: sympy.Expr, symbols: Sequence[sympy.Symbol]) -> Callable[..., np.ndarray]:
    """A vectorised numpy function of ``symbols`` (dummies) computing ``expr``.

    Invalid operations (log of a negative, division by zero) give NaN or inf
    rather than raising; callers check parameter validity on the result.
    """
    fn = sympy.lambdify(list(symbols), expr, modules="numpy")

    def call(*args):
        with np.errstate(all="ignore"):
            out = np.asarray(fn(*args))
        if np.iscomplexobj(out):  # e.g. sqrt of a negative: not a real parameter
            out = np.where(out.imag == 0, out.real, np.nan)
        try:
            return np.asarray(out, dtype=float)
        except (TypeError, ValueError, OverflowError):  # an exact number too large for a float
            return np.full(np.shape(out), np.nan)

    return call
