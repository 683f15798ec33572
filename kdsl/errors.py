"""One error hierarchy for everything kdsl reports to a user.

Every error carries where it happened: a file (or ``<string>``), a 1-based
line and column, and the offending source line so that ``str(error)`` shows
``FILE:LINE:COL: message``, the line, and a caret under the column.

>>> err = SpecError("unknown variable 'Z'", file="m.kdsl", line=3, column=5,
...                 source_line="    Z ~ table")
>>> print(err)
m.kdsl:3:5: unknown variable 'Z'
    Z ~ table
    ^
"""

from __future__ import annotations

__all__ = [
    "KdslError",
    "SpecSyntaxError",
    "SpecError",
    "DataError",
    "ModelError",
    "BudgetError",
]


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
