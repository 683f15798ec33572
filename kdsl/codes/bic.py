"""``code bic``: the Bayesian information criterion, a score and not a code length.

Half ``log2 rows`` per free parameter (:func:`~kdsl.codes.formulas.bic_table_bits`),
no structure bits, so that one environment gives pgmpy's BIC.

>>> from kdsl.codes import get_code
>>> bic = get_code("bic")
>>> bic.is_prefix_code, bic.table_parameter_floor(3, 4, 1024)
(False, 40.0)
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from kdsl._lazy import lazy_module
from kdsl.codes.base import Code

formulas = lazy_module("kdsl.codes.formulas")
regression = lazy_module("kdsl.mechanisms.regression")

__all__ = ["BicCode"]


@functools.cache
def _table_bits():
    return formulas.lambdify_bits(formulas.bic_table_bits(), (formulas.F, formulas.rows))


class BicCode(Code):
    """Tables and fits: ``F/2 log2 rows`` for F free parameters; slots: the compressed selection ``l``."""

    name = "bic"
    description = "BIC: 1/2 log2 rows per free parameter, no structure bits (not a code length)"
    is_prefix_code = False
    table_parameter_text = "1/2 log2 rows per free parameter"
    regression_parameter_text = "1/2 log2 rows per coefficient and for the sd"

    def slot_selection_bits(self, N: Any, M: Any, k: Any) -> Any:  # noqa: N803
        return formulas.compressed_selection_bits(N, M, k)

    def structure_bits(self, d: Any, p: Any) -> Any:
        return formulas._as_expr(0, "structure bits")

    def table_parameter_bits(self, pooled: np.ndarray, rows: np.ndarray) -> np.ndarray:
        free = (pooled.shape[2] - 1) * pooled.shape[1]
        return _table_bits()(free, np.where(rows > 0, rows, 1.0))

    def table_parameter_floor(self, values: int, configurations: int, min_rows: int) -> float:
        return float(_table_bits()((values - 1) * configurations, max(min_rows, 1)))

    def regression_fit_bits(self, fit: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        res, log2_var = regression.least_squares_noise(fit)
        return res, log2_var, _table_bits()(fit.rank + 1, fit.rows)

    def regression_coefficient_bits(self, fit: Any) -> tuple[np.ndarray, np.ndarray]:
        return fit.beta, _table_bits()(fit.rank, fit.rows)
