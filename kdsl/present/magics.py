"""IPython magics: a notebook cell is a kdsl spec.

Load with ``%load_ext kdsl``; then

``%%kdsl [--out NAME] [--check] [--json] [--format NAME]``
    The cell body is a spec. ``env X from name`` / ``envs from name by col``
    take ``name`` from the notebook's namespace (a DataFrame, a dict of
    arrays, or a CSV path); relative CSV paths resolve against the working
    directory. Without ``--out`` the :class:`~kdsl.verdict.result.Result` is the
    cell's value (shown as a table, a graph and a formula); ``--out NAME``
    stores it in ``NAME`` instead. ``--check`` only validates and prints the
    summary (``--out`` then stores the bound model). ``--format NAME`` shows
    the result in one of the output formats of :mod:`kdsl.present.formats`
    (``text``, ``json``, ``dot``, ``html``, ``latex`` and any registered one),
    also with ``--out``; ``--json`` is ``--format json`` (with ``--check``:
    the summary as JSON).

``%kdsl explain NAME``
    Each program's symbolic length for the result stored in ``NAME``.

A kdsl error in a cell fails the cell (so "Run all" stops there) and is
shown without a traceback: a spec error as ``<kdsl cell>:LINE:COL: message``
with the cell's line and a caret (line 1 is the first line after ``%%kdsl``),
a data error by its place in the data (a DataFrame's column and index label); a failed
cell leaves no ``--out`` variable behind. A cell without a ``model`` line
names its model after its ``--out`` variable.

IPython is imported here only; ``import kdsl`` never imports this module.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any

try:
    from IPython.core.error import UsageError
    from IPython.core.magic import Magics, cell_magic, line_magic, magics_class
    from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring
    from IPython.display import display
except ImportError as _err:  # pragma: no cover - exercised only without IPython
    raise ImportError(
        "kdsl's notebook magics need IPython; install the notebook extra: pip install 'kdsl[notebook]'"
    ) from _err

from kdsl.data.bind import BoundModel, bind
from kdsl.errors import KdslError
from kdsl.language import ast
from kdsl.language.check import check
from kdsl.language.syntax import parse
from kdsl.present.format import summary_text
from kdsl.present.formats import OutputFormat, format_names, get_format, mime_bundle
from kdsl.verdict.result import Result

__all__ = ["CELL_FILENAME", "CellError", "KdslMagics", "run_cell", "load_ipython_extension"]

#: The file name kdsl errors show for a notebook cell.
CELL_FILENAME = "<kdsl cell>"


def _namespace_data(model, namespace: Mapping[str, Any]) -> dict[str, Any]:
    """The caller data a checked model names, looked up in ``namespace``."""
    data: dict[str, Any] = {}
    for source in model.sources:
        if source.kind not in ("data", "split-data"):
            continue
        name = source.data_name
        if name in namespace:
            data[name] = namespace[name]
            continue
        raise model.source.error(
            f"no variable named '{name}' in the notebook", source.source_span,
            hint=f"define {name} in a cell above: a pandas DataFrame, a dict of arrays, or a CSV path",
        )
    return data


class CellError(Exception):
    """A ``%%kdsl`` cell's spec or data error: fails the cell, shown as kdsl's located message.

    IPython shows the lines of ``_render_traceback_`` in place of a Python
    traceback.

    >>> CellError("<kdsl cell>:1:5: bad\\n    var\\n        ^")._render_traceback_()[0]
    '<kdsl cell>:1:5: bad'
    """

    def _render_traceback_(self) -> list[str]:
        return str(self).splitlines()


def run_cell(text: str, namespace: Mapping[str, Any] | None = None, *, check_only: bool = False,
             filename: str = CELL_FILENAME, name: str | None = None) -> Result | BoundModel:
    """Parse, check and bind a cell's spec (data names from ``namespace``);
    solve it unless ``check_only``. ``name`` names the model when the spec
    has no ``model`` line. Raises :class:`~kdsl.errors.KdslError`.

    >>> run_cell("var X in 0..1\\nenv a from d\\n", {"d": {"X": [0, 1, 1]}}, check_only=True, name="coin").model.name
    'coin'
    """
    spec = parse(text, filename)
    model = check(spec, base_dir=None)  # relative paths: the working directory
    if name is not None and not any(isinstance(d, ast.ModelDecl) for d in spec.decls):
        model = dataclasses.replace(model, name=name)
    bound = bind(model, _namespace_data(model, namespace or {}))
    if check_only:
        return bound
    from kdsl.verdict.solver import solve_bound

    return solve_bound(bound)


def _show_json(obj: dict) -> None:
    display({"application/json": obj, "text/plain": json.dumps(obj, indent=2)}, raw=True)


def _cell_format(args) -> OutputFormat | None:
    """The output format a cell's flags ask for (``--json`` is ``--format json``), or None: the cell's value."""
    name = "json" if args.json else args.format
    if name is None:
        return None
    if args.check and name not in ("text", "json"):
        raise UsageError(f"--check shows the spec's summary, as text or json, not as {name}")
    try:
        return get_format(name)
    except KdslError:
        raise UsageError(f"no output format named {name!r}; the formats are: {', '.join(format_names())}") from None


@magics_class
class KdslMagics(Magics):
    """``%%kdsl`` and ``%kdsl``."""

    @cell_magic("kdsl")
    @magic_arguments()
    @argument("--out", metavar="NAME", default=None,
              help="store the Result (with --check, the bound model) in NAME instead of showing it")
    @argument("--check", action="store_true", help="only check the spec and its data; print the summary")
    @argument("--json", action="store_true", help="show the JSON (of the result, or of the summary with --check)")
    @argument("--format", metavar="NAME", default=None,
              help="show the result in this output format (text, json, dot, html, latex, or a registered one)")
    def kdsl_cell(self, line: str, cell: str):
        """Run the cell as a kdsl spec: ``%%kdsl [--out NAME] [--check] [--json] [--format NAME]``."""
        try:
            args = parse_argstring(self.kdsl_cell, line)
        except UsageError as err:
            options = self.kdsl_cell.parser.format_usage().split("%kdsl_cell", 1)[-1].strip()
            raise UsageError(f"{err}; usage: %%kdsl {options}") from None
        if args.out is not None and not args.out.isidentifier():
            raise UsageError(f"--out needs a Python name, got {args.out!r}")
        fmt = _cell_format(args)
        ns = self.shell.user_ns
        if args.out is not None:
            ns.pop(args.out, None)  # a failed cell leaves no stale result behind
        try:
            value = run_cell(cell, ns, check_only=args.check, name=args.out)
        except KdslError as err:
            raise CellError(str(err)) from None
        if args.out is not None:
            ns[args.out] = value
        if isinstance(value, BoundModel):
            summary = value.summary()
            if fmt is not None and fmt.name == "json":
                _show_json(summary)
            else:
                print(summary_text(summary))
            return None
        if fmt is not None:
            display(mime_bundle(fmt, fmt.solve(value)), raw=True)
            return None
        return None if args.out is not None else value

    @line_magic("kdsl")
    def kdsl_line(self, line: str):
        """``%kdsl explain NAME``: each program's symbolic length for a stored Result."""
        words = line.split()
        if len(words) != 2 or words[0] != "explain":
            raise UsageError("usage: %kdsl explain NAME   (NAME holds a Result, e.g. from %%kdsl --out NAME)")
        name = words[1]
        ns = self.shell.user_ns
        if name not in ns:
            raise UsageError(f"no variable named {name!r}; run a cell with %%kdsl --out {name} first")
        value = ns[name]
        if not isinstance(value, Result):
            raise UsageError(f"{name} is a {type(value).__name__}, not a kdsl Result")
        print(get_format("text").explain(value, None))


def load_ipython_extension(ipython) -> None:
    """Register the magics (``%load_ext kdsl`` calls this through :mod:`kdsl`)."""
    ipython.register_magics(KdslMagics)
