"""Bind data to a checked model: CSV files, caller data, simulations.

Every environment becomes one numpy array per variable: int64 values for a
discrete variable (label codes 0..K-1 for labels) and float64 for a real one.
CSV cells are read as text and converted by the variable's declared domain;
nothing is guessed, clipped or dropped. A bad value raises a
:class:`~kdsl.errors.DataError` naming the file, its line, the data row and
the column.

>>> from kdsl.language.syntax import parse
>>> from kdsl.language.check import check
>>> model = check(parse('''
... var X in 0..2
... env lab from lab
... '''))
>>> bound = bind(model, {"lab": {"X": [0, 2, 1]}})
>>> bound.environments[0].columns["X"]
array([0, 2, 1])
>>> bind(model, {"lab": {"X": [0, 3]}})
Traceback (most recent call last):
...
kdsl.errors.DataError: lab:2: column 'X', data row 2: value 3 is outside the domain 0..2 of X
"""

from __future__ import annotations

import csv
import dataclasses
import difflib
import errno
import io
import itertools
import math
import operator
import re
import stat
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from kdsl.errors import CSV_LINE_BREAK, DataError, ModelError, SourceText, SpecError
from kdsl.language.expr import numeric
from kdsl.language.model import EnvSource, Model, Variable
from kdsl.mechanisms.families import FamilyParameterError, sample

__all__ = ["Environment", "BoundModel", "bind", "bind_source", "natural_key", "subsample"]

_INT = re.compile(r"[+-]?[0-9]+")
_REAL = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")
_MISSING = {"", "na", "nan", "n/a", "null", "none", "-", "?"}


@dataclass(frozen=True)
class Environment:
    """One environment's data: a column per variable, all of equal length (read-only arrays)."""

    name: str
    columns: dict[str, np.ndarray]
    origin: str

    def __post_init__(self) -> None:
        for column in self.columns.values():
            column.flags.writeable = False  # bound data are never changed, so what is derived from them stays true

    @property
    def rows(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0


@dataclass(frozen=True)
class BoundModel:
    """A checked model with the data of every environment."""

    model: Model
    environments: tuple[Environment, ...]
    _joined: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def names(self) -> list[str]:
        return [e.name for e in self.environments]

    def environment_index(self) -> np.ndarray:
        """Each row's environment position, over all environments' rows in order (int64, read-only)."""
        if None not in self._joined:
            lengths = [e.rows for e in self.environments]
            self._joined[None] = _frozen(np.repeat(np.arange(len(self.environments), dtype=np.int64), lengths))
        return self._joined[None]

    def codes(self, name: str) -> np.ndarray:
        """A discrete variable's value codes from 0, over all environments' rows in order (int64, read-only)."""
        if name not in self._joined:
            lo = self.model.variables[name].lo
            joined = [e.columns[name] for e in self.environments]
            self._joined[name] = _frozen(np.concatenate(joined).astype(np.int64) - lo if joined else
                                         np.zeros(0, dtype=np.int64))
        return self._joined[name]

    def narrow_codes(self, name: str | None) -> np.ndarray:
        """:meth:`codes` (or, for None, :meth:`environment_index`) in the narrowest unsigned type holding them."""
        key = ("narrow", name)
        if key not in self._joined:
            wide = self.environment_index() if name is None else self.codes(name)
            size = len(self.environments) if name is None else self.model.variables[name].size
            self._joined[key] = _frozen(wide.astype(_index_type(size)))
        return self._joined[key]

    def joint_counts(self, names: tuple[str, ...]) -> np.ndarray:
        """``counts[e, x1, ..., xm]``: rows of environment e where the discrete variables ``names`` take codes
        x1..xm (int64, read-only; kept for the next request of the same variables when small).

        One ``bincount`` over an index built in place in the narrowest type
        that holds it, from the one-byte codes of each variable.
        """
        key = ("joint", names)
        if key in self._joined:
            return self._joined[key]
        sizes = [self.model.variables[name].size for name in names]
        cells = len(self.environments) * math.prod(sizes)
        index = self.narrow_codes(None).astype(_index_type(cells))
        for name, size in zip(names, sizes):
            np.multiply(index, size, out=index)
            np.add(index, self.narrow_codes(name), out=index)
        counts = _frozen(np.bincount(index, minlength=cells).reshape(len(self.environments), *sizes))
        if cells <= _KEPT_JOINT_CELLS:
            self._joined[key] = counts
        return counts

    def summary(self) -> dict[str, Any]:
        """Plain data describing the model and its environments."""
        m = self.model
        return {
            "model": m.name,
            "code": m.code.name,
            "precision": m.code.table_precision,
            "variables": [{"name": v.name, "domain": v.describe(), "size": v.size} for v in m.variables.values()],
            "environments": [{"name": e.name, "rows": e.rows, "origin": e.origin} for e in self.environments],
            "templates": [
                {"name": t.name, "child": t.child, "parents": list(t.parents), "rhs": t.describe(),
                 "slots": {s.name: s.size for s in t.slots}}
                for t in m.templates.values()
            ],
            "symmetries": [{"name": s.name, "on": list(s.variables), "kind": s.kind} for s in m.symmetries.values()],
            "hypotheses": [
                {"name": h.name, "edges": [list(e) for e in h.edges]} for h in m.hypotheses.values()
            ],
            "search": None if m.search is None else {"max_parents": m.search.max_parents, "top": m.search.top,
                                                     "method": m.search.method},
        }


#: Joint count tables up to this many cells are kept for reuse (one per set of variables counted together).
_KEPT_JOINT_CELLS = 1 << 16


def _index_type(values: int) -> type:
    """The narrowest unsigned integer type holding 0 .. values - 1."""
    for kind in (np.uint8, np.uint16, np.uint32):
        if values <= np.iinfo(kind).max + 1:
            return kind
    return np.int64


def _frozen(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


def natural_key(text: str) -> tuple:
    """Sort key putting e2 before e10.

    >>> sorted(["e10", "e2", "b", "e1"], key=natural_key)
    ['b', 'e1', 'e2', 'e10']
    """
    return tuple((0, int(p), p) if p.isdigit() else (1, 0, p) for p in re.split(r"([0-9]+)", text) if p != "")


# ---------------------------------------------------------------------- cells
class _CellError(Exception):
    pass


def _plain(value: Any) -> Any:
    """A numpy scalar as the plain Python number it holds (for messages)."""
    return value.item() if isinstance(value, np.generic) else value


def _describe_cell(text: str) -> str:
    return repr(text) if len(text) <= 40 else repr(text[:37] + "...")


_INT_CHARS = frozenset("0123456789+- \t")
_REAL_CHARS = frozenset("0123456789+-.eE \t")


def _fast_numbers(var: Variable, cells: list[str]) -> np.ndarray | None:
    """Vectorised conversion when every cell is plainly well-formed, else None.

    Only cells made of digits, signs and (for reals) points and exponents are
    handed to numpy; anything else, or any value out of the domain, goes to
    the cell-by-cell path, which names the offending cell.
    """
    if not cells:
        return None
    joined = "".join(cells)
    allowed = _REAL_CHARS if var.kind == "real" else _INT_CHARS
    if not set(joined) <= allowed:
        return None
    try:
        text = np.array(cells)
        values = text.astype(np.float64 if var.kind == "real" else np.int64)
    except (ValueError, OverflowError):
        return None
    if var.kind == "real":
        if not np.isfinite(values).all():
            return None
        stripped = np.char.strip(text)
        if (np.char.str_len(stripped) == 0).any():
            return None
        return values
    if ((values < var.lo) | (values > var.hi)).any():
        return None
    return values


def _fast_labels(var: Variable, cells: list[str]) -> np.ndarray | None:
    """Label codes through the distinct cells only; None if any cell is not a label."""
    if not cells:
        return None
    unique, inverse = np.unique(np.array(cells, dtype=object).astype(str), return_inverse=True)
    codes = {label: i for i, label in enumerate(var.labels)}
    mapped = [codes.get(u.strip(), -1) for u in unique.tolist()]
    if -1 in mapped:
        return None
    return np.asarray(mapped, dtype=np.int64)[inverse.reshape(-1)]


def _convert_text(var: Variable, cells: list[str]) -> np.ndarray:
    """Convert text cells by ``var``'s domain; raise _CellError(i, message)."""
    fast = _fast_labels(var, cells) if var.kind == "labels" else _fast_numbers(var, cells)
    if fast is not None:
        return fast
    if var.kind == "labels":
        codes = {label: i for i, label in enumerate(var.labels)}
        out = np.empty(len(cells), dtype=np.int64)
        for i, cell in enumerate(cells):
            key = cell.strip()
            if key not in codes:
                if key.lower() in _MISSING:
                    raise _CellError(i, f"missing value {_describe_cell(cell)} for {var.name}")
                close = difflib.get_close_matches(key, var.labels, n=1)
                hint = f"; did you mean '{close[0]}'?" if close else ""
                raise _CellError(i, f"unknown label {_describe_cell(cell)} for {var.name} (labels: "
                                 f"{', '.join(var.labels)}){hint}")
            out[i] = codes[key]
        return out
    if var.kind == "real":
        out = np.empty(len(cells), dtype=np.float64)
        for i, cell in enumerate(cells):
            key = cell.strip()
            if not _REAL.fullmatch(key):
                if key.lower() in _MISSING or key.lower() in ("inf", "-inf", "+inf", "infinity"):
                    raise _CellError(i, f"missing or non-finite value {_describe_cell(cell)} for {var.name}")
                raise _CellError(i, f"non-numeric value {_describe_cell(cell)} for {var.name}")
            value = float(key)
            if not math.isfinite(value):
                raise _CellError(i, f"value {_describe_cell(cell)} for {var.name} is too large to represent")
            out[i] = value
        return out
    out = np.empty(len(cells), dtype=np.int64)
    for i, cell in enumerate(cells):
        key = cell.strip()
        if not _INT.fullmatch(key):
            if key.lower() in _MISSING:
                raise _CellError(i, f"missing value {_describe_cell(cell)} for {var.name}")
            if _REAL.fullmatch(key):
                raise _CellError(i, f"{var.name} takes whole numbers; found {_describe_cell(cell)}")
            raise _CellError(i, f"non-numeric value {_describe_cell(cell)} for {var.name} (if the column holds "
                                f"labels, declare them: var {var.name} in {{...}})")
        value = int(key)
        if not var.lo <= value <= var.hi:
            raise _CellError(i, f"value {value} is outside the domain {var.describe()} of {var.name}")
        out[i] = value
    return out


def _convert_array(var: Variable, values: Any) -> np.ndarray:
    """Convert a caller's column (list, numpy array, pandas Series)."""
    if hasattr(values, "to_numpy"):
        values = values.to_numpy()
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise _CellError(None, f"the column for {var.name} must be one-dimensional (got shape {arr.shape})")
    if arr.dtype.kind in "OUS" or var.kind == "labels":
        if arr.dtype.kind == "b":
            raise _CellError(0, f"booleans are not values of {var.name}; convert them explicitly")
        cells = []
        for i, item in enumerate(arr.tolist()):
            if isinstance(item, bool):
                raise _CellError(i, f"boolean {item} is not a value of {var.name}; convert it explicitly")
            if isinstance(item, float) and not math.isfinite(item):
                raise _CellError(i, f"missing value {item} for {var.name}")
            if item is None:
                raise _CellError(i, f"missing value None for {var.name}")
            if isinstance(item, float) and var.kind != "real":
                if not item.is_integer():
                    raise _CellError(i, f"{var.name} takes whole numbers; found {item!r}")
                item = int(item)
            cells.append(item if isinstance(item, str) else str(item))
        return _convert_text(var, cells)
    if arr.dtype.kind == "b":
        raise _CellError(0, f"booleans are not values of {var.name}; convert them explicitly (e.g. .astype(int))")
    if arr.dtype.kind not in "iuf":
        raise _CellError(None, f"the column for {var.name} has unsupported type {arr.dtype}")
    if arr.dtype.kind == "f":
        bad = np.flatnonzero(~np.isfinite(arr))
        if bad.size:
            raise _CellError(int(bad[0]), f"missing or non-finite value {_plain(arr[bad[0]])!r} for {var.name}")
        if var.kind == "real":
            return arr.astype(np.float64, copy=True)
        frac = np.flatnonzero(arr != np.floor(arr))
        if frac.size:
            raise _CellError(int(frac[0]), f"{var.name} takes whole numbers; found {_plain(arr[frac[0]])!r}")
    if var.kind == "real":
        return arr.astype(np.float64, copy=True)
    out = arr.astype(np.int64, copy=True)
    if arr.dtype.kind == "f":
        too_big = np.flatnonzero(np.abs(arr) >= 2**62)
        if too_big.size:
            raise _CellError(int(too_big[0]), f"value {_plain(arr[too_big[0]])!r} is outside the domain {var.describe()}")
    outside = np.flatnonzero((out < var.lo) | (out > var.hi))
    if outside.size:
        i = int(outside[0])
        raise _CellError(i, f"value {out[i]} is outside the domain {var.describe()} of {var.name}")
    return out


def _did_you_mean(name: str, choices: list[str]) -> str | None:
    """A suggestion for a misspelt column, ignoring case."""
    lowered = {c.lower(): c for c in choices}
    close = difflib.get_close_matches(name.lower(), list(lowered), n=1)
    return f"did you mean '{lowered[close[0]]}'?" if close else None


# ---------------------------------------------------------------------- CSV
def _cell_column(raw_line: str, cell_index: int) -> int | None:
    """1-based character column of a cell in an unquoted CSV line."""
    if '"' in raw_line:
        return None
    parts = raw_line.split(",")
    if cell_index >= len(parts):
        return None
    return sum(len(p) + 1 for p in parts[:cell_index]) + 1


#: Line breaks that ``str.splitlines`` honours but a CSV reader does not; a file with any is read cell by cell.
_ODD_BREAKS = ("\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")


class _Table:
    """A CSV file: header, each data row's file line, and the columns' cells.

    A file without quotes (nearly every data file) is read through numpy's C
    parser (``np.loadtxt``): one pass for every numeric column a model needs,
    then every value checked against its domain as a whole array. Only when
    that finds something wrong (or the file has quotes) is the file read cell
    by cell with the :mod:`csv` module, which locates the error: its file,
    line, column and hint are the same either way.
    """

    def __init__(self, path: Path, shown: str):
        self.shown = shown
        try:
            raw = path.read_bytes()
        except OSError as err:
            raise DataError(f"cannot read the data file: {err.strerror or err}", file=shown) from None
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as err:
            line = raw[: err.start].count(b"\n") + 1
            raise DataError(f"the file is not UTF-8 text (byte {err.start})", file=shown, line=line) from None
        if "\x00" in text:
            line = text[: text.index("\x00")].count("\n") + 1
            raise DataError("the file contains a NUL byte; is it a CSV file?", file=shown, line=line)
        self.text = text
        self.source = SourceText(text, shown, CSV_LINE_BREAK)  # where errors are located, lines as csv counts them
        self.lines = text.splitlines()
        self._rows: list[list[str]] | None = None
        self._numbers: dict[str, np.ndarray] | None = None
        self._widths_checked = True
        self.header: list[str] | None = None
        self.header_line = 1
        self.row_lines: list[int] = []
        if '"' in text or any(c in text for c in _ODD_BREAKS) or not self._scan_plain():
            self._scan_csv()
        if self.header is None:
            raise DataError("the file is empty: expected a header row naming the columns", file=shown, line=1)
        seen = set()
        for name in self.header:
            if name in seen and name:
                raise self.source.error(f"column '{name}' appears twice in the header", self.header_line,
                                        kind=DataError)
            seen.add(name)

    @property
    def n_rows(self) -> int:
        return len(self.row_lines)

    @property
    def rows(self) -> list[list[str]]:
        """Every data row's cells, read by the :mod:`csv` module (only needed to locate an error)."""
        if self._rows is None:
            self._scan_csv()
        return self._rows

    def _scan_plain(self) -> bool:
        """Header and row lines of a file without quotes (False: read it cell by cell).

        Without quotes a CSV line's cells are its comma-separated pieces, and a
        line is skipped exactly when the :mod:`csv` reader sees no cell or one
        blank cell in it. Rows' widths are checked when cells are first read
        (:meth:`_check_widths`, or numpy's parser when it reads every column).
        """
        start = next((i for i, line in enumerate(self.lines) if "," in line or line.strip()), None)
        if start is None:
            return True
        self.header = [c.strip() for c in self.lines[start].split(",")]
        self.header_line = start + 1
        body = self.lines[start + 1:]
        if len(self.header) == 1 or not all(map(operator.contains, body, itertools.repeat(","))):
            self.row_lines = [n for n, line in enumerate(body, start=start + 2) if "," in line or line.strip()]
        else:
            self.row_lines = range(start + 2, start + 2 + len(body))
        self._widths_checked = False
        return True

    def _check_widths(self) -> None:
        """Make sure every row has as many cells as the header, else read cell by cell (which says where not)."""
        if self._rows is None and not self._widths_checked:
            commas = len(self.header) - 1
            if any(count != commas for count in map(str.count, self._row_texts(), itertools.repeat(","))):
                self._scan_csv()
            self._widths_checked = True

    def _row_texts(self) -> list[str]:
        if isinstance(self.row_lines, range):
            return self.lines[self.row_lines.start - 1:self.row_lines.stop - 1]
        return [self.lines[line - 1] for line in self.row_lines]

    def _scan_csv(self) -> None:
        """Read every row with the :mod:`csv` module (quotes, and errors located to the line)."""
        reader = csv.reader(io.StringIO(self.text, newline=""), strict=True)
        rows: list[list[str]] = []
        row_lines: list[int] = []
        header = None
        try:
            start = 1
            for record in reader:
                if not record or all(not c.strip() for c in record) and len(record) <= 1:
                    start = reader.line_num + 1
                    continue
                if header is None:
                    header = [c.strip() for c in record]
                    self.header_line = start
                else:
                    if len(record) != len(header):
                        raise self.source.error(
                            f"data row {len(rows) + 1} has {len(record)} cells but the header has {len(header)}",
                            start, kind=DataError, row=len(rows) + 1)
                    rows.append(record)
                    row_lines.append(start)
                start = reader.line_num + 1
        except csv.Error as err:
            raise self.source.error(f"malformed CSV: {err}", reader.line_num, kind=DataError) from None
        self.header, self._rows, self.row_lines = header, rows, row_lines

    def column(self, name: str) -> int:
        try:
            return self.header.index(name)
        except ValueError:
            self._check_widths()  # a row of the wrong width is reported first, as when reading cell by cell
            raise self.source.error(
                f"no column '{name}' (columns: {', '.join(self.header)})", self.header_line, kind=DataError,
                hint=self._separator_hint() or _did_you_mean(name, self.header), data_column=name,
            ) from None

    def _separator_hint(self) -> str | None:
        """A hint when the header is one cell holding semicolons or tabs: another separator than kdsl's comma."""
        if len(self.header) != 1:
            return None
        for sep, called in ((";", "semicolons (';')"), ("\t", "tabs")):
            if sep in self.header[0]:
                return f"the header has no commas but {called}: kdsl reads comma-separated files; save it with ','"
        return None

    def cells(self, j: int) -> list[str]:
        """Column j's cells, one per data row."""
        self._check_widths()
        if self._rows is not None:
            return [row[j] for row in self._rows]
        return [line.split(",", j + 1)[j] for line in self._row_texts()]

    def _parsed_numbers(self, variables: list[Variable]) -> dict[str, np.ndarray]:
        """Every numeric variable's column over all rows, in one pass of numpy's C parser; {} if it fails."""
        if self._numbers is None:
            numeric = sorted((v for v in variables if v.kind != "labels" and v.name in self.header),
                             key=lambda v: self.header.index(v.name))
            self._numbers = {}
            if self._rows is None and numeric and self.row_lines:
                types = [np.float64 if v.kind == "real" else np.int64 for v in numeric]
                same = len(set(types)) == 1  # one type: a plain 2-d array, whose columns are views
                columns = [self.column(v.name) for v in numeric]
                if columns != list(range(len(self.header))):
                    self._check_widths()  # numpy's parser checks widths only when it reads every column
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        parsed = np.loadtxt(self._row_texts(), delimiter=",", comments=None, ndmin=2 if same else 1,
                                            dtype=types[0] if same else list(zip([v.name for v in numeric], types)),
                                            usecols=columns)
                    self._numbers = {v.name: parsed[:, k] if same else parsed[v.name] for k, v in enumerate(numeric)}
                except (ValueError, OverflowError):
                    pass  # some cell is not a plain number: the cell-by-cell path names it
        return self._numbers

    def _fast(self, var: Variable, variables: list[Variable], row_indices) -> np.ndarray | None:
        """``var``'s values at these rows through the C parser, or None when any of them is not plainly valid."""
        if self._rows is not None:
            return None
        if isinstance(row_indices, range):
            row_indices = slice(row_indices.start, row_indices.stop, row_indices.step)
        if var.kind == "labels":
            codes = {label: i for i, label in enumerate(var.labels)}
            cells = self.cells(self.column(var.name))
            mapped = np.fromiter((codes.get(c.strip(), -1) for c in cells), np.int64, len(cells))[row_indices]
            return mapped if not (mapped < 0).any() else None
        column = self._parsed_numbers(variables).get(var.name)
        if column is None:
            return None
        values = column[row_indices]
        if var.kind == "real":
            return values if np.isfinite(values).all() else None
        return values if not ((values < var.lo) | (values > var.hi)).any() else None

    def convert(self, var: Variable, row_indices: list[int] | range, variables: list[Variable] = ()) -> np.ndarray:
        """``var``'s values at these data rows; ``variables`` are every variable read from the file (one pass)."""
        j = self.column(var.name)
        fast = self._fast(var, list(variables) or [var], row_indices)
        if fast is not None:
            return fast
        cells = [self.rows[i][j] for i in row_indices]
        try:
            return _convert_text(var, cells)
        except _CellError as err:
            i = row_indices[err.args[0]]
            line = self.row_lines[i]
            col = _cell_column(self.source.line(line), j)
            start = None if col is None else self.source.offset(line, col)
            where = line if start is None else self.source.span(start, start + len(self.rows[i][j]))
            raise self.source.error(f"column '{var.name}', data row {i + 1}: {err.args[1]}", where, kind=DataError,
                                    data_column=var.name, row=i + 1) from None


# ---------------------------------------------------------------------- binding
#: Reads every source of a model given the caller's data: one list of environments per source, in order.
ReadSources = Callable[[Model, Mapping[str, Any]], Iterable[list["Environment"]]]


def _path_problem(full: Path, shown: str, where: str) -> tuple[str, str | None] | None:
    """Why a data path cannot be read as a CSV file (message, hint), or None if it can.

    Checked before reading, so that every way a path can fail is a located
    error: missing, a missing folder on the way, a name too long for the
    file system, a folder, a pipe or device (never read: it could block), or
    a file the user may not read.
    """
    try:
        mode = full.stat().st_mode
    except OSError as err:
        if err.errno == errno.ENAMETOOLONG:
            return (f"the data file name is too long for the file system ({len(shown)} characters, "
                    f"starting {shown[:40]!r})", "check the quotes around the file name")
        if err.errno == errno.ENOENT and not full.parent.is_dir():
            return f"data file not found: {shown}{where}: the folder {full.parent.name!r} does not exist", None
        if err.errno == errno.ENOENT:
            return f"data file not found: {shown}{where}", None
        if err.errno == errno.ENOTDIR:
            return f"data file not found: {shown}{where}: a part of the path is a file, not a folder", None
        return f"cannot open the data file {shown}: {err.strerror or err}", None
    if stat.S_ISDIR(mode):
        return f"the data path {shown} is a folder, not a file", "name a CSV file inside it"
    if not stat.S_ISREG(mode):
        return (f"the data path {shown} is not a regular file (a pipe, socket or device)",
                "save the data to a CSV file first")
    try:
        with open(full, "rb"):
            pass
    except OSError as err:
        return f"cannot read the data file {shown}: {err.strerror or err}", None
    return None


class _Binder:
    def __init__(self, model: Model, data: Mapping[str, Any] | None):
        self.model = model
        if data is not None and not isinstance(data, Mapping):
            raise DataError(f"data must map the names of `env ... from NAME` lines to data (a dict such as "
                            f"{{'lab': frame}}), got {type(data).__name__}", file="<data>")
        self.data = dict(data or {})
        self.base = Path(model.base_dir) if model.base_dir else Path.cwd()
        self.seen: dict[str, str] = {}

    def spec_error(self, span, message: str, hint: str | None = None) -> SpecError:
        return self.model.source.error(message, span, hint=hint)

    def add(self, env: Environment, span) -> Environment:
        if env.name in self.seen:
            raise self.spec_error(span, f"duplicate environment name '{env.name}' (from {env.origin}; "
                                  f"also from {self.seen[env.name]})")
        if env.rows == 0:
            raise DataError(f"environment '{env.name}' has no rows", file=env.origin)
        self.seen[env.name] = env.origin
        return env

    def table(self, source: EnvSource) -> _Table:
        path = Path(source.path)
        full = path if path.is_absolute() else self.base / path
        problem = _path_problem(full, source.path, "" if path.is_absolute() else f" (looked in {self.base})")
        if problem is not None:
            raise self.spec_error(source.source_span, *problem)
        return _Table(full, source.path)

    def from_table(self, name: str, table: _Table, indices, origin: str) -> Environment:
        variables = list(self.model.variables.values())
        cols = {v.name: table.convert(v, indices, variables) for v in variables}
        return Environment(name, cols, origin)

    def caller_data(self, source: EnvSource):
        name = source.data_name
        if name not in self.data:
            supplied = ", ".join(sorted(self.data)) or "none"
            raise self.spec_error(
                source.source_span, f"no data named '{name}' was supplied (supplied: {supplied})",
                hint=f"pass data={{'{name}': frame}} in Python, or --data {name}=FILE.csv on the command line",
            )
        value = self.data[name]
        if isinstance(value, (str, Path)):
            problem = _path_problem(Path(value), str(value), "")
            if problem is not None:
                raise DataError(problem[0], file=str(value), hint=problem[1])
            return _Table(Path(value), str(value))
        return value

    def columns_of(self, value: Any, shown: str):
        """Columns of a DataFrame / dict of arrays, as a dict name -> array."""
        if hasattr(value, "columns") and hasattr(value, "__getitem__"):
            names = [str(c) for c in value.columns]
            if len(set(names)) != len(names):
                dup = next(n for n in names if names.count(n) > 1)
                raise DataError(f"column '{dup}' appears twice", file=shown)
            return {str(c): value[c] for c in value.columns}
        if isinstance(value, Mapping):
            return dict(value)
        raise DataError(f"expected a DataFrame, a dict of arrays or a CSV path, got {type(value).__name__}",
                        file=shown)

    def convert_columns(self, cols: Mapping[str, Any], shown: str, index: Any = None) -> dict[str, np.ndarray]:
        """Every variable's column converted over all rows; a bad value is reported at its first row.

        ``index`` (a DataFrame's index) names rows by their labels in errors.
        """
        out: dict[str, np.ndarray] = {}
        length = None
        first_bad = None  # (row, column, message): the earliest bad row over all columns
        for var in self.model.variables.values():
            if var.name not in cols:
                raise DataError(f"no column '{var.name}' (columns: {', '.join(map(str, cols))})", file=shown,
                                hint=_did_you_mean(var.name, list(map(str, cols))), data_column=var.name)
            raw = cols[var.name]
            try:
                n = len(raw)
            except TypeError:
                raise DataError(f"column '{var.name}' is not a sequence of values", file=shown) from None
            if length is not None and n != length:
                raise DataError(f"column '{var.name}' has {n} values but other columns have {length}", file=shown)
            length = n
            try:
                out[var.name] = _convert_array(var, raw)
            except _CellError as err:
                if err.args[0] is None:
                    raise DataError(err.args[1], file=shown, data_column=var.name) from None
                if first_bad is None or err.args[0] < first_bad[0]:
                    first_bad = (int(err.args[0]), var.name, err.args[1])
        if first_bad is not None:
            i, column, message = first_bad
            if index is None:
                raise DataError(f"column '{column}', data row {i + 1}: {message}", file=shown, line=i + 1,
                                data_column=column, row=i + 1)
            label = _plain(index[i])
            raise DataError(f"column '{column}', index {label!r} (data row {i + 1}): {message}", file=shown,
                            data_column=column, row=i + 1)
        return out

    def split_names(self, labels: list[str], shown: str, column: str,
                    lines: list[int] | None = None) -> dict[str, list[int]]:
        """Rows by environment name (natural order); ``lines`` are the rows' file lines."""
        groups: dict[str, list[int]] = {}
        for i, label in enumerate(labels):
            key = label.strip()
            if not key:
                raise DataError(f"data row {i + 1}: empty environment name in column '{column}'", file=shown,
                                line=lines[i] if lines else i + 1, data_column=column, row=i + 1)
            groups.setdefault(key, []).append(i)
        return {k: groups[k] for k in sorted(groups, key=natural_key)}

    def run(self, read_sources: ReadSources | None = None) -> BoundModel:
        sources = self.model.sources
        # read here: lazily, so that an environment's name is checked before the next source is read
        read = (self.environments(s) for s in sources) if read_sources is None else read_sources(self.model, self.data)
        envs = [self.add(env, source.span) for source, found in zip(sources, read) for env in found]
        if not envs:
            raise self.spec_error(self.model.source.span(0, 0), "the spec declares no environments: add "
                                  "`env NAME from \"file.csv\"`, `envs from \"file.csv\" by COLUMN` or a `simulate` block")
        self.check_targets([e.name for e in envs])
        return BoundModel(_with_inferred_steps(self.model, envs), tuple(envs))

    def environments(self, source: EnvSource) -> list[Environment]:
        """The environments one source gives, read and checked (names across sources are checked by ``add``)."""
        envs: list[Environment] = []
        if source.kind == "file":
            table = self.table(source)
            envs.append(self.from_table(source.names[0], table, range(table.n_rows), source.path))
        elif source.kind == "split-file":
            table = self.table(source)
            by = table.column(source.by)
            groups = self.split_names(table.cells(by), source.path, source.by, table.row_lines)
            if not groups:
                raise DataError(f"the file has no data rows to split by '{source.by}'", file=source.path)
            for name, indices in groups.items():
                envs.append(self.from_table(name, table, indices, source.path))
        elif source.kind in ("data", "split-data"):
            value = self.caller_data(source)
            shown = source.data_name
            if isinstance(value, _Table):
                if source.kind == "data":
                    envs.append(self.from_table(source.names[0], value, range(value.n_rows), value.shown))
                else:
                    by = value.column(source.by)
                    groups = self.split_names(value.cells(by), value.shown, source.by, value.row_lines)
                    for name, indices in groups.items():
                        envs.append(self.from_table(name, value, indices, value.shown))
                return envs
            cols = self.columns_of(value, shown)
            if source.kind == "split-data" and source.by not in cols:
                raise DataError(f"no column '{source.by}' to split by (columns: {', '.join(map(str, cols))})",
                                file=shown)
            frame_index = value.index if hasattr(value, "columns") and hasattr(value, "index") else None
            converted = self.convert_columns(cols, shown, frame_index)
            if source.kind == "data":
                envs.append(Environment(source.names[0], converted, shown))
            else:
                labels = [str(x) for x in _as_list(cols[source.by])]
                for name, indices in self.split_names(labels, shown, source.by).items():
                    rows = np.asarray(indices)
                    envs.append(Environment(name, {v: column[rows] for v, column in converted.items()}, shown))
        else:
            envs.extend(simulate(self.model, source))
        return envs

    def check_targets(self, names: list[str]) -> None:
        """Every environment a ``targets`` line names exists (split environments are named only by their data)."""
        for line in self.model.search.targets if self.model.search is not None else ():
            if line.env not in names:
                close = difflib.get_close_matches(line.env, names, n=1, cutoff=0.6)
                suggestion = f"; did you mean '{close[0]}'?" if close else ""
                raise self.spec_error(line.span, f"unknown environment '{line.env}'{suggestion}",
                                      hint="environments: " + ", ".join(names[:20]) + (" ..." if len(names) > 20 else ""))


def _as_list(values: Any) -> list:
    if hasattr(values, "to_numpy"):
        values = values.to_numpy()
    return list(np.asarray(values).tolist())


# ---------------------------------------------------------------------- simulation
def simulate(model: Model, source: EnvSource) -> list[Environment]:
    """Draw a ``simulate`` block's environments with a seeded generator.

    One :class:`numpy.random.Generator` per block, seeded by the block's
    ``seed``; environments are drawn in order and lines in causal order, so
    the same spec gives the same data on every machine.
    """
    rng = np.random.default_rng(source.seed)
    envs = []
    for index, name in enumerate(source.names):
        cols: dict[str, np.ndarray] = {}
        for line in source.lines:
            var = model.variables[line.var]
            symbols = [s for _, s in line.parent_symbols]
            parents = [cols[p].astype(float) for p, _ in line.parent_symbols]
            args = [
                np.broadcast_to(numeric(a, symbols)(*parents), (source.rows,)) if symbols
                else float(numeric(a, [])())
                for a in line.args_by_env[index]
            ]
            try:
                cols[line.var] = sample(line.family, args, var.domain, rng, size=source.rows)
            except FamilyParameterError as err:
                i = err.arg_index if err.arg_index is not None else 0
                span = line.arg_spans[i] if i < len(line.arg_spans) else line.span
                raise model.source.error(f"in environment '{name}': invalid parameter of {line.family}: {err}", span,
                                         kind=ModelError) from None
            except (ValueError, OverflowError) as err:  # e.g. numpy refuses a rate above 1e18
                raise model.source.error(
                    f"in environment '{name}': cannot draw from {line.family} with these parameters ({err})", line.span,
                    kind=ModelError) from None
        envs.append(Environment(name, {v: cols[v] for v in model.variables}, f"simulate (seed {source.seed})"))
    return envs


#: A value counts as a whole multiple of a resolution q when it is within this fraction of the column's
#: largest magnitude of one (decimal text parsed into binary floats is off by far less).
RESOLUTION_TOLERANCE = 1e-12

#: The finest step inferred: 10 to this power (values below it are recorded as far below any measurement).
FINEST_STEP_EXPONENT = -300


def inferred_step(values: np.ndarray) -> float:
    """The coarsest power of ten that every value is a whole multiple of: the recording resolution.

    "A multiple" allows an error of :data:`RESOLUTION_TOLERANCE` times the largest magnitude, so values
    recorded at full float precision get a step near 1e-12 of that magnitude; a column of zeros gets 1,
    and no step is finer than 10 ** :data:`FINEST_STEP_EXPONENT`.

    >>> inferred_step(np.array([1.25, 3.5, -2.0])), inferred_step(np.array([120.0, 40.0]))
    (0.01, 10.0)
    >>> inferred_step(np.array([0.0])), inferred_step(np.array([3e300, -1.5e300]))
    (1.0, 1e+299)
    >>> inferred_step(np.array([0.1234567891234567, -1.0]))
    1e-12
    """
    values = np.asarray(values, dtype=float)
    largest = float(np.max(np.abs(values))) if values.size else 0.0
    if largest == 0.0:
        return 1.0
    exponent = max(math.floor(math.log10(largest)), FINEST_STEP_EXPONENT)
    while exponent > FINEST_STEP_EXPONENT:
        in_steps = _times_power_of_ten(values, -exponent)  # at most about 1e13: no overflow
        slack = RESOLUTION_TOLERANCE * float(_times_power_of_ten(np.array(largest), -exponent))
        if slack >= 0.5 or np.all(np.abs(in_steps - np.round(in_steps)) <= slack):
            break
        exponent -= 1
    return 10.0**exponent


def _times_power_of_ten(values: np.ndarray, exponent: int) -> np.ndarray:
    """``values * 10**exponent`` in two factors, so that no factor leaves the range of normal floats."""
    half = exponent // 2
    return values * 10.0**half * 10.0 ** (exponent - half)


def _with_inferred_steps(model: Model, envs: list[Environment]) -> Model:
    """The model with each real variable declared without a step (or `step auto`) at its data's resolution."""
    auto = [v for v in model.variables.values() if v.step_auto]
    if not auto:
        return model
    variables = dict(model.variables)
    for var in auto:
        step = inferred_step(np.concatenate([env.columns[var.name] for env in envs]))
        variables[var.name] = dataclasses.replace(var, step=step)
    return dataclasses.replace(model, variables=variables)


def bind(model: Model, data: Mapping[str, Any] | None = None, read_sources: ReadSources | None = None) -> BoundModel:
    """Read, convert and attach every environment's data to ``model``.

    ``data`` maps the names used in ``env NAME from name`` to DataFrames,
    dicts of arrays, or CSV paths. ``read_sources(model, data)``, when
    given, reads the sources instead (one list of environments per source,
    e.g. read on a cluster by :func:`kdsl.distributed.bind_counted`); names
    and row counts are checked here either way.
    """
    return _Binder(model, data).run(read_sources)


def bind_source(model: Model, source: EnvSource, data: Mapping[str, Any] | None = None) -> list[Environment]:
    """The environments of one of ``model.sources``, read, converted and checked as :func:`bind` does.

    >>> from kdsl.language.syntax import parse
    >>> from kdsl.language.check import check
    >>> model = check(parse("var X in 0..2\\nenv lab from lab"))
    >>> [e.rows for e in bind_source(model, model.sources[0], {"lab": {"X": [0, 2, 1]}})]
    [3]
    """
    return _Binder(model, data).environments(source)


def subsample(bound: BoundModel, rows: int | None = None, seed: int | tuple[int, ...] = 0,
              fraction: float | None = None) -> BoundModel:
    """``bound`` with at most ``rows`` rows of each environment (or ``fraction`` of its rows, at least one),
    drawn without replacement (seeded).

    An environment with fewer rows keeps all of them; the kept rows stay in
    their original order. Environment ``i`` draws from
    ``numpy.random.default_rng([seed, i])`` (``[*seed, i]`` for a tuple of
    seeds), so one environment's draw does not depend on the others' sizes.
    The rows are taken as they are: nothing is changed.

    >>> import kdsl
    >>> bound = kdsl.load("var X in 0..1\\nenv a from d\\nhypothesis h {\\n    X ~ table\\n}\\n",
    ...                   data={"d": {"X": [0, 1, 1, 0, 1, 1]}})
    >>> small = subsample(bound, 4, seed=1)
    >>> [e.rows for e in small.environments], subsample(bound, 4, seed=1).environments[0].columns["X"].tolist() == \\
    ...     small.environments[0].columns["X"].tolist()
    ([4], True)
    >>> [e.rows for e in subsample(bound, fraction=0.5, seed=(7, 0)).environments]
    [3]
    """
    if (rows is None) == (fraction is None):
        raise ValueError("give rows or fraction, not both")
    if rows is not None and rows < 1:
        raise ValueError(f"rows must be at least 1, got {rows}")
    if fraction is not None and not 0 < fraction <= 1:
        raise ValueError(f"fraction must be in (0, 1], got {fraction}")
    seeds = list(seed) if isinstance(seed, tuple) else [seed]
    envs = []
    for i, env in enumerate(bound.environments):
        keep_rows = rows if rows is not None else max(1, int(env.rows * fraction))
        if env.rows <= keep_rows:
            envs.append(env)
            continue
        keep = np.sort(np.random.default_rng([*seeds, i]).choice(env.rows, size=keep_rows, replace=False))
        envs.append(Environment(env.name, {v: col[keep] for v, col in env.columns.items()},
                                f"{env.origin}, {keep_rows} of {env.rows} rows (seed {seed})"))
    return BoundModel(bound.model, tuple(envs))
