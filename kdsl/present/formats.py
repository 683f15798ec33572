"""The output formats of a result, in one table: ``kdsl solve --format``, ``kdsl explain --format`` and ``%%kdsl --format``.

An :class:`OutputFormat` turns a :class:`~kdsl.verdict.result.Result` into
text (``solve``) and, when it can, the explanation of some of its programs
(``explain``); ``mime`` is the MIME type a notebook shows it as. The
built-ins are ``text``, ``json``, ``dot``, ``html`` and ``latex``;
:func:`register_format` adds one, and the command line and the magic offer it
at once:

>>> from kdsl.present.render import solve_text
>>> shout = OutputFormat("shout", "text/plain", "the ranking in capitals", lambda r: solve_text(r).upper())
>>> register_format(shout)
>>> get_format("shout").help, "shout" in format_names()
('the ranking in capitals', True)
>>> unregister_format("shout")
>>> format_names()
('text', 'json', 'dot', 'html', 'latex')
>>> format_names(explain=True)
('text', 'json', 'html', 'latex')

The renderers are imported only when a format is used (the HTML one builds
strings; no notebook package is imported).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from kdsl.errors import KdslError
from kdsl.verdict.result import Result

__all__ = ["OutputFormat", "register_format", "unregister_format", "get_format", "format_names", "mime_bundle"]


@dataclass(frozen=True)
class OutputFormat:
    """One way to show a result.

    Parameters
    ----------
    name:
        What ``--format`` takes.
    mime:
        The MIME type of the text (``text/plain``, ``application/json``, ``text/html`` ...).
    help:
        One line for ``kdsl solve --help``.
    solve:
        The whole result as text.
    explain:
        ``explain(result, names)``: the programs ``names`` (None: the best and
        the runner-up) explained term by term; None when the format has no
        explanation.
    sweep:
        ``sweep([(file, result or error), ...])``: several specs in one text
        (JSON: one array). None: each spec's text follows a ``comment`` line
        naming its file.
    comment:
        A comment in this format, ``{}`` standing for its text (the sweep's file names).
    formulas:
        Whether ``solve`` shows the programs' length formulas; when not,
        ``kdsl solve`` skips building them (sympy formulas cost more than
        the rest of a report).
    """

    name: str
    mime: str
    help: str
    solve: Callable[[Result], str]
    explain: Callable[[Result, Sequence[str] | None], str] | None = None
    sweep: Callable[[list[tuple[str, Any]]], str] | None = None
    comment: str = "{}"
    formulas: bool = True


_FORMATS: dict[str, OutputFormat] = {}


def register_format(fmt: OutputFormat, replace: bool = False) -> None:
    """Add an output format (an error when its name is taken, unless ``replace``)."""
    if fmt.name in _FORMATS and not replace:
        raise ValueError(f"an output format named {fmt.name!r} exists; pass replace=True to replace it")
    _FORMATS[fmt.name] = fmt


def unregister_format(name: str) -> None:
    """Remove an output format added by :func:`register_format`."""
    del _FORMATS[name]


def format_names(explain: bool = False) -> tuple[str, ...]:
    """The registered formats' names, in registration order (``explain``: only those that explain)."""
    return tuple(name for name, fmt in _FORMATS.items() if not explain or fmt.explain is not None)


def get_format(name: str) -> OutputFormat:
    """The output format named ``name``; a :class:`~kdsl.errors.KdslError` listing the formats when there is none."""
    try:
        return _FORMATS[name]
    except KeyError:
        raise KdslError(f"no output format named {name!r}; the formats are: {', '.join(format_names())}",
                        file="<command line>") from None


def mime_bundle(fmt: OutputFormat, text: str) -> dict[str, Any]:
    """What a notebook displays for ``text`` in format ``fmt``: its MIME type, and the text as plain text.

    >>> mime_bundle(get_format("json"), '{"a": 1}')
    {'text/plain': '{"a": 1}', 'application/json': {'a': 1}}
    """
    return {"text/plain": text, fmt.mime: json.loads(text) if fmt.mime == "application/json" else text}


# ---------------------------------------------------------------------- the built-ins
def _json(obj: Any) -> str:
    return json.dumps(obj, indent=2, allow_nan=False)


def _text(result: Result) -> str:
    from kdsl.present.render import solve_text

    return solve_text(result)


def _text_explain(result: Result, names: Sequence[str] | None) -> str:
    from kdsl.present.render import explain_text

    return explain_text(result, names)


def _json_explain(result: Result, names: Sequence[str] | None) -> str:
    from kdsl.present.render import explain_json

    return _json(explain_json(result, names))


def _json_sweep(results: list[tuple[str, Any]]) -> str:
    return _json([_sweep_entry(file, r) for file, r in results])


def _sweep_entry(file: str, result: Any) -> dict:
    """A spec's place in ``kdsl solve A B --format json``: its result, or ``{"file", "error"}``."""
    if isinstance(result, KdslError):
        return {"file": file, "error": result.to_dict()}
    if isinstance(result, Exception):
        return {"file": file, "error": {"kind": type(result).__name__, "message": str(result)}}
    return result.to_dict()


def _dot(result: Result) -> str:
    from kdsl.present.render import dot_text

    return dot_text(result)


def _html(result: Result) -> str:
    from kdsl.present.html import result_html

    return result_html(result)


def _html_explain(result: Result, names: Sequence[str] | None) -> str:
    from kdsl.present.html import explain_html

    return explain_html(result, names)


def _latex(result: Result) -> str:
    from kdsl.present.render import latex_text

    return latex_text(result)


def _latex_explain(result: Result, names: Sequence[str] | None) -> str:
    from kdsl.present.render import explained_programs, latex_text

    return latex_text(result, [p.name for p in explained_programs(result, names)], values=True)


for _fmt in (
    OutputFormat("text", "text/plain", "the ranking, the verdict and how decisive it is", _text, _text_explain,
                 formulas=False),
    OutputFormat("json", "application/json", "the result as JSON (docs/language.md, \"What a run returns\")",
                 lambda r: _json(r.to_dict()), _json_explain, sweep=_json_sweep),
    OutputFormat("dot", "text/vnd.graphviz", "the best program's graph as Graphviz text", _dot, comment="// {}",
                 formulas=False),
    OutputFormat("html", "text/html", "the ranking, the verdict, the best graph and its formula as one HTML fragment",
                 _html, _html_explain, comment="<!-- {} -->"),
    OutputFormat("latex", "text/latex", "each program's symbolic length and its value, as a LaTeX align* block "
                 "(explain: with every symbol's value)",
                 _latex, _latex_explain, comment="% {}"),
):
    register_format(_fmt)
