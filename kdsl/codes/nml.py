"""``code nml``: normalized maximum likelihood, the default code.

Tables pay the multinomial NML complexity of each parent configuration
(:func:`~kdsl.codes.formulas.nml_table_bits`); fits the Gaussian-regression
NML complexity over bounds sent first (with histogram noise: the coefficients as
self-delimiting floats, then the residual histogram's multinomial NML); slots name k among ``1..min(N, M)``
(:func:`~kdsl.codes.formulas.prefix_selection_bits`).

>>> import numpy as np
>>> from kdsl.codes import get_code
>>> get_code("nml").table_parameter_bits(np.array([[[1.0, 0.0], [0.0, 1.0]]]), np.array([2.0])).tolist()
[2.0]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from kdsl._lazy import lazy_module
from kdsl.codes.base import Code

formulas = lazy_module("kdsl.codes.formulas")
regression = lazy_module("kdsl.mechanisms.regression")

__all__ = ["NmlCode"]


class NmlCode(Code):
    """Tables: the multinomial NML complexity per parent configuration; fits: Gaussian-regression NML."""

    name = "nml"
    description = "normalized maximum likelihood (the default): a prefix code for every choice"
    table_parameter_text = "the multinomial NML complexity"
    regression_parameter_text = "the Gaussian-regression NML complexity and its bounds"

    def table_parameter_bits(self, pooled: np.ndarray, rows: np.ndarray) -> np.ndarray:
        return formulas.nml_table_bits(pooled.shape[2], pooled.sum(-1))

    def regression_fit_bits(self, fit: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return regression.nml_fit_bits(fit)

    def regression_coefficient_bits(self, fit: Any) -> tuple[np.ndarray, np.ndarray]:
        # no closed-form NML for a regression with histogram noise: a two-part code, quantised floats
        return regression.quantised_coefficients(fit, regression.NML_COEFFICIENT_PRECISION)
