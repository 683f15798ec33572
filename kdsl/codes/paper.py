"""``code paper``: the paper's code, with its compressed selection sent as ``2 l + 1``.

>>> from kdsl.codes import get_code
>>> paper = get_code("paper")
>>> print(paper.slot_selection_bits(10, 18, 1), "|", paper.wrap_selection(3))
log2(18) | 7
"""

from __future__ import annotations

from typing import Any

from kdsl.codes.quantized import QuantizedTablesCode, formulas

__all__ = ["PaperCode"]


class PaperCode(QuantizedTablesCode):
    """Slots: the compressed selection ``l``; the program's ``l`` sent as ``2 l + 1``; tables at ``precision`` bits."""

    name = "paper"
    description = "the paper's code: compressed selection sent as 2 l + 1, (2n+4) bits per table entry"
    option_defaults = {"precision": 8}

    def read_option(self, option: str, value: float, text: str) -> Any:
        if not text.isdigit() or not 1 <= value <= 52:
            raise ValueError("precision is a whole number of bits from 1 to 52")
        return int(value)

    def wrap_selection(self, l: Any) -> Any:  # noqa: E741
        return formulas.paper_wrap(l)

    def slot_selection_bits(self, N: Any, M: Any, k: Any) -> Any:  # noqa: N803
        return formulas.compressed_selection_bits(N, M, k)
