"""``code direct``: each environment names its candidate directly; tables as under ``paper`` at 8 bits.

>>> from kdsl.codes import get_code
>>> print(get_code("direct").slot_selection_bits(10, 16, 3))
40
"""

from __future__ import annotations

from typing import Any

from kdsl.codes.quantized import QuantizedTablesCode, formulas

__all__ = ["DirectCode"]


class DirectCode(QuantizedTablesCode):
    """Slots: ``N log2 M`` (each environment names one of M candidates); tables and fits as ``paper`` at n = 8."""

    name = "direct"
    description = "direct selection (N log2 M per slot), (2n+4) bits per table entry at n = 8"
    selection_kind = "direct selection"

    def slot_selection_bits(self, N: Any, M: Any, k: Any) -> Any:  # noqa: N803
        return formulas.direct_selection_bits(N, M)
