"""The Python entry points: :func:`load` (parse, check, bind) and friends."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kdsl.data.bind import BoundModel, bind
from kdsl.errors import KdslError
from kdsl.language.check import check
from kdsl.language.syntax import parse

__all__ = ["load", "solve", "read_source"]


def read_source(source: str | os.PathLike, filename: str | None = None) -> tuple[str, str, str | None]:
    """``(text, filename, base_dir)`` for a path or for spec text.

    A :class:`~pathlib.Path`, or a ``str`` naming an existing file, is read;
    a one-line ``str`` ending in ``.kdsl`` that names no file is a missing
    spec file (a :class:`KdslError`); any other ``str`` is the spec itself;
    its relative data paths resolve
    against the folder of ``filename`` when that names a file's place, else
    against the working directory.
    """
    if isinstance(source, os.PathLike) or (
        isinstance(source, str) and "\n" not in source and len(source) < 4096 and Path(source).is_file()
    ):
        path = Path(source)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise KdslError("no such spec file", file=str(path)) from None
        except UnicodeDecodeError as err:
            raise KdslError(f"the spec is not UTF-8 text (byte {err.start})", file=str(path)) from None
        except OSError as err:
            raise KdslError(f"cannot read the spec: {err.strerror or err}", file=str(path)) from None
        return text, filename or str(path), str(path.resolve().parent)
    if not isinstance(source, str):
        raise TypeError(f"expected a path or spec text, got {type(source).__name__}")
    if "\n" not in source and source.strip().endswith(".kdsl"):
        # one line naming a .kdsl file that is not there: a path, not a spec (no spec line ends in `.kdsl`)
        raise KdslError("no such spec file", file=source.strip())
    base = None
    if filename and not filename.startswith("<") and Path(filename).parent.is_dir():
        base = str(Path(filename).resolve().parent)  # spec text named after a file: its data sit beside it
    return source, filename or "<string>", base


def load(source: str | os.PathLike, data: Mapping[str, Any] | None = None, filename: str | None = None) -> BoundModel:
    """Parse, check and bind a spec to its data.

    Parameters
    ----------
    source:
        A path to a ``.kdsl`` file (``str`` or ``Path``), or spec text.
    data:
        Caller-supplied data by name, for ``env NAME from name`` lines:
        pandas DataFrames, dicts of arrays, or CSV paths.

    Returns
    -------
    BoundModel
        ``.model`` (the checked :class:`~kdsl.language.model.Model`) and
        ``.environments`` (the bound data).

    Examples
    --------
    >>> bound = load('''
    ... var X in 0..1
    ... simulate env a n 5 seed 1 {
    ...     X ~ bernoulli(0.5)
    ... }
    ... ''')
    >>> bound.names, bound.environments[0].rows
    (['a'], 5)
    """
    text, name, base = read_source(source, filename)
    model = check(parse(text, name), base_dir=base)
    return bind(model, data)


def solve(source: str | os.PathLike, data: Mapping[str, Any] | None = None, filename: str | None = None, client=None):
    """Load a spec and score every hypothesis under its code.

    With a ``dask.distributed.Client`` as ``client`` (a Client object, not
    a scheduler address: ``client=Client("tcp://HOST:PORT")``; anything else
    is a TypeError), a search computes its local scores on the client's cluster (the same numbers, bit for bit; see
    :mod:`kdsl.distributed`); for many specs see :func:`kdsl.solve_many`.

    Returns a :class:`~kdsl.verdict.result.Result` whose ``to_dict()`` is the JSON of
    ``kdsl solve --json``.

    Examples
    --------
    >>> result = solve('''
    ... var X in 0..1
    ... simulate env a n 50 seed 3 {
    ...     X ~ bernoulli(0.9)
    ... }
    ... hypothesis fair {
    ...     X ~ bernoulli(0.5)
    ... }
    ... hypothesis biased {
    ...     X ~ bernoulli(0.9)
    ... }
    ... ''')
    >>> result.best
    'biased'
    """
    from kdsl.verdict.solver import solve_bound

    return solve_bound(load(source, data=data, filename=filename), client=client)
