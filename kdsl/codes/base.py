"""The base class of every code: what a code decides about a program's length, in one object.

A *code* says how the model part of a program is counted: how a slot's
choice of candidates per environment is named, what a stored table's
numbers cost, what a fitted regression's coefficients cost, whether the
parent sets cost bits, and how the program's selection bits are sent. The
four built-in codes (``paper``, ``direct``, ``bic``, ``nml``) are
subclasses in this package, one file each; :mod:`kdsl.codes.registry` maps
names to instances, and a spec's ``code NAME(...)`` line resolves there.

Additivity
----------
Every length a code gives must be **additive over variables**: a
variable's bits depend only on its own parents, its mechanism and how its
environments are grouped, plus constants of the whole program
(:meth:`Code.wrap_selection` must be affine in the selection bits). The
search decomposes a program into local scores per (variable, parent set)
and prunes parent sets by :meth:`Code.table_parameter_floor`; both rely on
it, and ``tests/test_code_registry.py`` checks it for every registered code.

Formulas
--------
Each length is written once, as a sympy expression of the symbols of
:mod:`kdsl.codes.formulas` (``explain`` prints it); numbers come from its
compiled form (:meth:`Code.bits`), or from a numpy fast path tested equal
to it. sympy is imported only when a formula is first needed, so checking
a spec does not import it.

>>> from kdsl.codes import get_code
>>> paper = get_code("paper").with_options(precision=12)
>>> paper.name, paper.precision, paper.selection_weight, paper.constant_bits
('paper', 12, 2, 1.0)
>>> paper.bits("structure_bits", 4, 0), get_code("bic").bits("structure_bits", 4, 0)
(2.0, 0.0)
>>> paper.source()
'code paper(precision = 12)'
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from kdsl._lazy import lazy_module

if TYPE_CHECKING:
    import sympy as sp

formulas = lazy_module("kdsl.codes.formulas")

__all__ = ["Code", "SymbolMaker"]

#: ``symbol(name, value, meaning)``: a symbol of an ``explain`` formula, with its value in this program.
SymbolMaker = Callable[[Any, float, str], "sp.Symbol"]

#: The symbols (names in :mod:`kdsl.codes.formulas`) each compiled formula takes, in order.
_FORMULA_SYMBOLS = {
    "structure_bits": ("d", "p"),
    "grouping_bits": ("N", "k"),
    "slot_selection_bits": ("N", "M", "k"),
    "fixed_slot_bits": ("M",),
    "reference_bits": ("m",),
}


class Code:
    """A way of counting a program's model bits. Subclass it to add a code; register an instance.

    Class attributes a subclass sets: :attr:`name` (what ``code NAME``
    says), :attr:`description` (one line), :attr:`is_prefix_code` (False
    when the lengths are a score rather than code lengths, as BIC's),
    :attr:`option_defaults` (the options ``code NAME(option = value)``
    takes, with their defaults). An instance holds its options' values as
    attributes; :meth:`with_options` gives a configured copy. Instances
    are equal when their class and options are.

    What a subclass overrides (each has a default here unless noted):

    * selection: :meth:`slot_selection_bits` (a slot whose candidates vary
      over the environments), :meth:`fixed_slot_bits`,
      :attr:`selection_kind`, :meth:`grouping_bits`, and
      :meth:`wrap_selection` (how the program's selection bits are sent;
      must be affine, ``weight * l + constant``);
    * structure: :meth:`structure_bits`;
    * stored tables: :meth:`table_data_bits`, :meth:`table_parameter_bits`,
      :meth:`table_probabilities`, :attr:`table_parameters_vary`,
      :meth:`table_parameter_floor` (the search's pruning bound: it must
      never exceed the parameter bits of any table with at least that many
      configurations and rows) and :meth:`table_term` (for ``explain``);
    * reuse: :meth:`reference_bits`;
    * regressions: :meth:`regression_fit_bits` and :meth:`regression_coefficient_bits` (no defaults) and
      :attr:`regression_parameter_text`.

    Data bits are never negative under any code: the pruning bound rests on it.
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    is_prefix_code: ClassVar[bool] = True
    option_defaults: ClassVar[dict[str, Any]] = {}
    #: The kind of ``explain`` term a varying slot's selection is (a key of ``kdsl.lengths.score.TERM_KINDS``).
    selection_kind: ClassVar[str] = "selection"
    #: Whether a table's parameter bits depend on its counts (not only on its shape).
    table_parameters_vary: ClassVar[bool] = True
    #: What a fitted regression's parameter bits are, in words (``explain``).
    regression_parameter_text: ClassVar[str] = "the code's parameter bits"
    #: What a stored table's parameter bits are, in words (``explain``).
    table_parameter_text: ClassVar[str] = "the code's parameter bits"

    def __init__(self, **options: Any) -> None:
        unknown = sorted(set(options) - set(self.option_defaults))
        if unknown:
            raise TypeError(f"code {self.name} takes no option {', '.join(map(repr, unknown))}")
        for option, default in self.option_defaults.items():
            setattr(self, option, options.get(option, default))

    # ------------------------------------------------------------------ identity and options
    def options(self) -> dict[str, Any]:
        """The values of this code's options."""
        return {option: getattr(self, option) for option in self.option_defaults}

    def with_options(self, **options: Any) -> Code:
        """A copy of this code with some options changed."""
        return type(self)(**{**self.options(), **options})

    def unknown_option_message(self, option: str) -> str:
        """The error for an option this code does not take."""
        allowed = ", ".join(self.option_defaults) or "no options"
        return f"code {self.name} takes {allowed}; unknown option '{option}'"

    def read_option(self, option: str, value: float, text: str) -> Any:
        """The value of ``option`` written as ``text`` (``value`` its number); ValueError with the message if bad."""
        return value

    def source(self) -> str:
        """The ``code`` line that gives this code."""
        options = ", ".join(f"{k} = {v}" for k, v in self.options().items())
        return f"code {self.name}" + (f"({options})" if options else "")

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.options() == self.options()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self), tuple(sorted(self.options().items()))))

    def __repr__(self) -> str:
        return f"<{self.source()}>"

    @property
    def table_precision(self) -> int | None:
        """Bits of each stored probability, for codes that store quantized tables (else None)."""
        return None

    # ------------------------------------------------------------------ formulas (sympy)
    def wrap_selection(self, l: Any) -> sp.Expr:  # noqa: E741 - the paper's name
        """How the program's selection and grouping bits ``l`` are sent (affine in ``l``). Default: as they are."""
        return formulas._as_expr(l, "l")

    def slot_selection_bits(self, N: Any, M: Any, k: Any) -> sp.Expr:  # noqa: N803
        """Bits naming which of M candidates each of N environments uses, k of them distinct.

        Default: the prefix code :func:`~kdsl.codes.formulas.prefix_selection_bits`.
        """
        return formulas.prefix_selection_bits(N, M, k)

    def fixed_slot_bits(self, M: Any) -> sp.Expr:  # noqa: N803
        """Bits naming the one candidate a ``fixed`` slot shares across environments: ``log2 M``."""
        return formulas.Log2(formulas._as_expr(M, "M"))

    def grouping_bits(self, N: Any, k: Any) -> sp.Expr:  # noqa: N803
        """Bits saying how N environments share k stored tables or fits."""
        return formulas.grouping_bits(N, k)

    def structure_bits(self, d: Any, p: Any) -> sp.Expr:
        """Bits of one variable's parent set (p parents among d variables)."""
        return formulas.structure_bits(d, p)

    def reference_bits(self, m: Any) -> sp.Expr:
        """Bits of a variable reusing the stored table of a permute symmetry on m variables."""
        return formulas.reference_bits(m)

    # ------------------------------------------------------------------ numbers from the formulas
    def bits(self, formula: str, *values: float) -> float:
        """The number of one of this code's formulas (a method name above) at ``values``, from its compiled form.

        >>> from kdsl.codes import get_code
        >>> round(get_code("nml").bits("slot_selection_bits", 10, 18, 2), 6)
        20.576495
        """
        return _value(self, formula, values)

    @functools.cached_property
    def selection_weight(self) -> int:
        """How many bits each selection bit costs in the program (the slope of :meth:`wrap_selection`)."""
        import sympy as sp

        l_ = sp.Symbol("l")
        slope = sp.diff(self.wrap_selection(l_), l_)
        if slope.free_symbols or not slope.is_Integer:
            raise ValueError(f"code {self.name}: wrap_selection must be affine with a whole slope, got {slope}")
        return int(slope)

    @functools.cached_property
    def constant_bits(self) -> float:
        """The program-level bits of :meth:`wrap_selection` (its value at no selection bits)."""
        return float(self.wrap_selection(0))

    # ------------------------------------------------------------------ stored tables
    def table_probabilities(self, pooled: np.ndarray) -> np.ndarray:
        """The stored table of each pooled count table ``pooled[g, j, x]``. Default: maximum likelihood."""
        totals = pooled.sum(-1, keepdims=True)
        return np.divide(pooled, totals, out=np.zeros_like(pooled), where=totals > 0)

    def table_data_bits(self, pooled: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Data bits of each pooled count table under its stored table (maximum likelihood by default)."""
        from kdsl.mechanisms.tables import mle_data_bits

        return mle_data_bits(pooled)

    def table_parameter_bits(self, pooled: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Parameter bits of one stored table per pooled count table ``pooled[g, j, x]`` with ``rows[g]`` rows."""
        raise NotImplementedError(f"code {self.name} does not price stored tables")

    def table_parameter_floor(self, values: int, configurations: int, min_rows: int) -> float:
        """No stored table of a ``values``-valued child over at least ``configurations`` parent configurations,
        fitted on at least ``min_rows`` rows, has fewer parameter bits than this. Default: 0 (always true)."""
        return 0.0

    def table_term(self, symbol: SymbolMaker, var: str, k: sp.Symbol, table_bits: float, n_tables: int) -> sp.Expr:
        """The ``explain`` term of ``var``'s stored tables (``k`` of them, ``table_bits`` in all)."""
        return symbol(f"P_{{{var}}}", table_bits, f"parameter bits of {var}'s tables ({self.table_parameter_text})")

    # ------------------------------------------------------------------ regressions
    def regression_fit_bits(self, fit: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For least-squares fits (:class:`kdsl.mechanisms.regression.LeastSquares`), per group: the residual
        sum of squares, log2 of the noise variance the data are coded with, and the parameter bits."""
        raise NotImplementedError(f"code {self.name} does not price regressions")

    def regression_coefficient_bits(self, fit: Any) -> tuple[np.ndarray, np.ndarray]:
        """For least-squares fits whose residuals another model codes (``noise histogram``), per group: the
        coefficients the predictions are made with and the bits of sending them."""
        raise NotImplementedError(f"code {self.name} does not price regression coefficients")


@functools.cache
def _compiled(code: Code, formula: str) -> Callable[..., np.ndarray]:
    symbols = tuple(getattr(formulas, s) for s in _FORMULA_SYMBOLS[formula])
    return formulas.lambdify_bits(getattr(code, formula)(*symbols), symbols)


@functools.lru_cache(maxsize=1 << 16)
def _value(code: Code, formula: str, values: tuple[float, ...]) -> float:
    return float(_compiled(code, formula)(*values))
