"""One notion of place, and one error hierarchy for everything kdsl reports to a user.

A :class:`SourceText` is a source's text and file name with its line offsets:
the one place where an offset, a line and a column are turned into each
other. A :class:`Span` is a stretch of it (lines and columns 1-based, offsets
0-based, ends exclusive). :meth:`SourceText.error` is the one constructor of
located errors: it gives the error its file, line, column, the offending
line and the span to underline, so that ``str(error)`` shows
``FILE:LINE:COL: message``, the line, and a caret under the span.

>>> source = SourceText("var X in 0..3\\nhypothesis h {\\n    Z ~ table\\n}\\n", "m.kdsl")
>>> where = source.span(source.offset(3, 5), source.offset(3, 6))
>>> where
Span(line=3, column=5, end_line=3, end_column=6, start=33, end=34)
>>> print(source.error("unknown variable 'Z'", where, hint="declare it: `var Z in 0..3`"))
m.kdsl:3:5: unknown variable 'Z'
        Z ~ table
        ^
hint: declare it: `var Z in 0..3`
"""

from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass
from typing import Protocol, Union

__all__ = [
    "Span",
    "SourceText",
    "KdslError",
    "SpecSyntaxError",
    "SpecError",
    "DataError",
    "ModelError",
    "BudgetError",
]


@dataclass(frozen=True)
class Span:
    """A stretch of a source: 1-based start and end line and column, and 0-based character offsets ``start`` and
    ``end`` into the text (ends exclusive)."""

    line: int
    column: int
    end_line: int
    end_column: int
    start: int
    end: int

    def to(self, other: Span) -> Span:
        """The span from the start of this one to the end of ``other``.

        >>> Span(1, 5, 1, 6, 4, 5).to(Span(1, 9, 1, 11, 8, 10))
        Span(line=1, column=5, end_line=1, end_column=11, start=4, end=10)
        """
        return Span(self.line, self.column, other.end_line, other.end_column, self.start, other.end)


class Located(Protocol):
    span: Span


#: Where an error is: a span, a node that has one, a whole line (its number), or nowhere in the text (None).
Where = Union[Span, Located, int, None]

#: How lines end: a spec's lines end at "\n" only (a "\r" before it is dropped), as the parser counts them; a
#: CSV file's at "\r\n", "\r" or "\n", as the :mod:`csv` module counts them.
SPEC_LINE_BREAK = r"\r?\n"
CSV_LINE_BREAK = r"\r\n|\r|\n"


class SourceText:
    """A source's text and file name, with the offsets of its lines.

    >>> s = SourceText("a\\x0cb\\r\\nc", "x.kdsl")
    >>> s.lines, s.line(2), s.line(9), s.position(5), s.offset(2, 1)
    (['a\\x0cb', 'c'], 'c', '', (2, 1), 5)
    >>> SourceText("a\\rb\\nc", line_break=CSV_LINE_BREAK).lines
    ['a', 'b', 'c']
    """

    def __init__(self, text: str, filename: str | None = None, line_break: str = SPEC_LINE_BREAK) -> None:
        self.text = text
        self.filename = filename or "<string>"
        self._line_break = line_break

    def __repr__(self) -> str:
        return f"SourceText({self.filename!r}, {len(self.text)} characters)"

    @functools.cached_property
    def _bounds(self) -> tuple[list[int], list[int]]:
        """Each line's start offset and end offset (before its line break)."""
        starts, ends = [0], []
        for match in re.finditer(self._line_break, self.text):
            ends.append(match.start())
            starts.append(match.end())
        ends.append(len(self.text))
        return starts, ends

    @property
    def lines(self) -> list[str]:
        """Every line's text, without its line break."""
        starts, ends = self._bounds
        return [self.text[a:b] for a, b in zip(starts, ends)]

    @property
    def line_count(self) -> int:
        return len(self._bounds[0])

    def line(self, number: int) -> str:
        """Line ``number`` (1-based) without its line break; empty outside the text."""
        starts, ends = self._bounds
        return self.text[starts[number - 1]:ends[number - 1]] if 1 <= number <= len(starts) else ""

    def position(self, offset: int) -> tuple[int, int]:
        """The 1-based (line, column) of a 0-based character offset."""
        starts = self._bounds[0]
        index = bisect.bisect_right(starts, offset) - 1
        return index + 1, offset - starts[index] + 1

    def offset(self, line: int, column: int) -> int:
        """The 0-based character offset of a 1-based line and column (clamped to the text)."""
        starts = self._bounds[0]
        line = min(max(line, 1), len(starts))
        return min(starts[line - 1] + max(column, 1) - 1, len(self.text))

    def span(self, start: int, end: int) -> Span:
        """The span between two offsets."""
        return Span(*self.position(start), *self.position(end), start, end)

    def end_span(self) -> Span:
        """The empty span at the end of the text (where an unexpected end of the file is reported)."""
        end = len(self.text)
        return Span(*self.position(end), *self.position(end), end, end)

    def error(self, message: str, where: Where = None, *, kind: type[KdslError] | None = None,
              hint: str | None = None, **fields) -> KdslError:
        """The error ``kind`` (default :class:`SpecError`) located at ``where``: a span (or a node with one),
        whose start is the position and which the caret underlines when it is on one line; a line number
        (the line, without a column); or None (the file only). ``fields`` are the kind's own (e.g. a
        :class:`DataError`'s ``data_column`` and ``row``)."""
        kind = kind or SpecError
        if where is None:
            return kind(message, file=self.filename, hint=hint, **fields)
        if isinstance(where, int):
            return kind(message, file=self.filename, line=where, source_line=self.line(where), hint=hint, **fields)
        span = where if isinstance(where, Span) else where.span
        return kind(message, file=self.filename, line=span.line, column=span.column,
                    end_column=span.end_column if span.end_line == span.line else None,
                    source_line=self.line(span.line), hint=hint, **fields)


class KdslError(Exception):
    """Root of every error kdsl raises on purpose.

    Parameters
    ----------
    message:
        What is wrong, in words a user can act on.
    file, line, column:
        Where (1-based line and column). ``file`` defaults to ``<string>``.
    source_line:
        The text of the offending line, shown under the message with a caret.
    end_column:
        Optional end of the offending span on the same line (exclusive); the
        caret then underlines the span.
    hint:
        An optional suggestion printed after the caret.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
        source_line: str | None = None,
        end_column: int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file or "<string>"
        self.line = line
        self.column = column
        self.source_line = source_line
        self.end_column = end_column
        self.hint = hint

    @property
    def location(self) -> str:
        """``FILE:LINE:COL`` (or as much of it as is known)."""
        parts = [self.file]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def __str__(self) -> str:
        out = [f"{self.location}: {self.message}"]
        if self.source_line is not None:
            text = self.source_line.rstrip("\r\n").expandtabs(1)
            out.append("    " + text)
            if self.column is not None:
                width = 1
                if self.end_column is not None and self.end_column > self.column:
                    width = self.end_column - self.column
                out.append("    " + " " * (self.column - 1) + "^" * width)
        if self.hint:
            out.append(f"hint: {self.hint}")
        return "\n".join(out)

    def to_dict(self) -> dict:
        """The error as plain data (for JSON output)."""
        return {
            "kind": type(self).__name__,
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "hint": self.hint,
        }


class SpecSyntaxError(KdslError):
    """The spec text does not follow the grammar."""


class SpecError(KdslError):
    """The spec parses but does not make sense (names, domains, cycles...)."""


class DataError(KdslError):
    """Data bound to an environment is missing, malformed or out of domain.

    ``file`` is the data file (or the caller's name for a DataFrame), ``line``
    the 1-based line in that file, and ``data_column`` the column name.
    """

    def __init__(self, message: str, *, data_column: str | None = None, row: int | None = None, **kw) -> None:
        super().__init__(message, **kw)
        self.data_column = data_column
        self.row = row


class ModelError(KdslError):
    """A family parameter is invalid or degenerate when evaluated
    (``sd <= 0``, ``p`` outside [0, 1]...); located at the spec line."""


class BudgetError(KdslError):
    """A requested enumeration or search is larger than the allowed budget."""
