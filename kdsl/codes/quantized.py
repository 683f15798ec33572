"""Quantized stored tables and self-delimiting floats: what ``paper`` and ``direct`` share.

A stored table is the maximum-likelihood table quantized to ``precision``
bits per entry (:func:`kdsl.mechanisms.tables.quantized`), each free entry
costing ``2n + 4`` bits (:func:`~kdsl.codes.formulas.paper_table_bits`);
a fitted regression sends every coefficient and its noise scale as a
self-delimiting float at that precision
(:func:`kdsl.mechanisms.regression.quantised_fit_bits`).

>>> from kdsl.codes import get_code
>>> get_code("paper").table_parameter_floor(3, 4, 1)  # (2*8 + 4) bits x 8 free entries
160.0
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from kdsl._lazy import lazy_module
from kdsl.codes.base import Code, SymbolMaker

formulas = lazy_module("kdsl.codes.formulas")
tables = lazy_module("kdsl.mechanisms.tables")
regression = lazy_module("kdsl.mechanisms.regression")

__all__ = ["QuantizedTablesCode"]


@functools.lru_cache(maxsize=4096)
def _table_bits(free: int, precision: int) -> float:
    return float(formulas.paper_table_bits(free, precision))


class QuantizedTablesCode(Code):
    """A code storing quantized tables at :attr:`precision` bits and fits as self-delimiting floats."""

    precision: int = 8
    table_parameters_vary = False
    table_parameter_text = "(2n + 4) bits per free entry"
    regression_parameter_text = "each number as an Elias-coded exponent, sign and mantissa"

    @property
    def table_precision(self) -> int:
        return self.precision

    def table_probabilities(self, pooled: np.ndarray) -> np.ndarray:
        return tables.quantized(pooled, self.precision)

    def table_data_bits(self, pooled: np.ndarray, rows: np.ndarray) -> np.ndarray:
        return tables.quantized_data_bits(pooled, self.precision, rows)

    def table_parameter_bits(self, pooled: np.ndarray, rows: np.ndarray) -> np.ndarray:
        free = (pooled.shape[2] - 1) * pooled.shape[1]
        return np.full(pooled.shape[0], _table_bits(free, self.precision))

    def table_parameter_floor(self, values: int, configurations: int, min_rows: int) -> float:
        return _table_bits((values - 1) * configurations, self.precision)

    def table_term(self, symbol: SymbolMaker, var: str, k: Any, table_bits: float, n_tables: int) -> Any:
        per_entry = _table_bits(1, self.precision)
        free = symbol(f"F_{{{var}}}", table_bits / per_entry / max(n_tables, 1),
                      f"free entries of one table of {var} ((values - 1) x parent configurations)")
        n = symbol(formulas.n, self.precision, "precision: bits of each stored probability (2n + 4 bits per entry)")
        return k * formulas.paper_table_bits(free, n)

    def regression_fit_bits(self, fit: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return regression.quantised_fit_bits(fit, self.precision)

    def regression_coefficient_bits(self, fit: Any) -> tuple[np.ndarray, np.ndarray]:
        return regression.quantised_coefficients(fit, self.precision)
