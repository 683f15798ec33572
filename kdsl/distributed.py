"""Beyond one process: sweeps of specs, one large search, and many data files, on a Dask cluster.

Three ways a user outgrows one process, each with one entry point here:

* :func:`solve_many` solves many specs (a sweep over seeds, sizes, codes),
  one task per spec, results in the order given; each spec's error is
  reported in its own place.
* :class:`ClusterScorer` computes one search's local scores as tasks, a
  parent-set layer at a time in chunks, with the bound data shipped once
  per worker; the dynamic program stays on the client
  (``kdsl.solve(spec, client=client)``).
* :func:`bind_counted` reads the data files of a spec where they lie, one
  task per file, and ships back only each environment's distinct rows with
  their counts when every variable is discrete.

Dask is imported only when a client is given (``pip install 'kdsl[dask]'``);
without one, :func:`solve_many` solves in this process.

>>> results = solve_many(["var X in 0..1\\nsimulate env a n 20 seed 1 {\\n X ~ bernoulli(0.5)\\n}\\n"
...                       "hypothesis h {\\n X ~ table\\n}", "var X in 0..1\\nhypothesis h {\\n X ~ tabel\\n}"])
>>> results[0].best
'h'
>>> print(str(results[1]).splitlines()[0])
<string>:3:6: unknown template or family 'tabel'; did you mean 'table'?
"""

from __future__ import annotations

import contextlib
import math
import os
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from kdsl.data.bind import BoundModel, Environment, bind, bind_source
from kdsl.errors import KdslError
from kdsl.language.model import Model, SearchSpec
from kdsl.verdict.result import Result

__all__ = ["Job", "solve_many", "ClusterScorer", "bind_counted", "local_cluster", "JOB_KEY"]

#: The task key of a sweep's job i on a cluster is ``f"{JOB_KEY}-{run}-{i}"``.
JOB_KEY = "kdsl-job"


@dataclass(frozen=True)
class Job:
    """One spec of a sweep: a path or spec text, its caller data, and optionally a name and a time limit."""

    source: str | os.PathLike
    data: Mapping[str, Any] | None = None
    filename: str | None = None
    time_limit: float | None = None


def _as_job(item: Job | str | os.PathLike | tuple) -> Job:
    if isinstance(item, Job):
        return item
    if isinstance(item, tuple):
        return Job(*item)
    return Job(item)


def _is_path(source: str | os.PathLike) -> bool:
    return isinstance(source, os.PathLike) or ("\n" not in source and len(source) < 4096 and Path(source).is_file())


def _portable(job: Job) -> Job:
    """The job with absolute paths, so that it means the same on a worker in another folder.

    The spec keeps the name the caller gave it, so its errors read the same as in a serial run.
    """
    source, filename = job.source, job.filename
    if _is_path(source):
        filename = filename or str(source)
        source = Path(source).resolve()
    data = job.data
    if data is not None and isinstance(data, Mapping):
        data = {k: (str(Path(v).resolve()) if isinstance(v, (str, os.PathLike)) and Path(v).is_file() else v)
                for k, v in data.items()}
    return replace(job, source=source, filename=filename, data=data)


def check_client(client) -> None:
    """Raise a TypeError unless ``client`` is None or a ``dask.distributed.Client`` (anything with ``submit``).

    >>> check_client("tcp://127.0.0.1:8786")
    Traceback (most recent call last):
    ...
    TypeError: client must be a dask.distributed.Client, got str 'tcp://127.0.0.1:8786'; for a scheduler address, \
pass Client('tcp://127.0.0.1:8786')
    """
    if client is None or callable(getattr(client, "submit", None)):
        return
    hint = f"; for a scheduler address, pass Client({client!r})" if isinstance(client, str) else ""
    raise TypeError(f"client must be a dask.distributed.Client, got {type(client).__name__} {client!r:.60}{hint}")


def run_job(job: Job, client=None) -> Result | KdslError:
    """Solve one job; its :class:`KdslError` is returned, not raised (a sweep goes on)."""
    from kdsl.api import load
    from kdsl.verdict.solver import solve_bound

    try:
        return solve_bound(load(job.source, data=job.data, filename=job.filename), time_limit=job.time_limit,
                           client=client)
    except KdslError as err:
        return err


def solve_many(jobs: Iterable[Job | str | os.PathLike | tuple], client=None, progress=None) -> list[Result | Exception]:
    """Solve many specs; one result per job, in the order given.

    Parameters
    ----------
    jobs:
        Each a spec path or spec text, a ``(source, data)`` tuple, or a :class:`Job`.
    client:
        A ``dask.distributed.Client`` (not an address: connect with
        ``Client("tcp://HOST:PORT")`` first; anything else is a TypeError):
        every job runs as one task on its cluster (paths are made absolute;
        workers must see the same files). None: the jobs run here, one after another.
    progress:
        ``progress(stage, done, total)`` called as jobs finish, or True for
        a tqdm bar (a widget in a notebook); None for no display.

    On a cluster, job i runs as the task ``kdsl-job-RUN-i`` (its times can
    be read from the cluster's task stream).

    Returns
    -------
    list
        A :class:`~kdsl.verdict.result.Result` for each job that solved, and the
        job's located :class:`~kdsl.errors.KdslError` (or, for a failure
        outside kdsl's checks, e.g. a worker lost too often, the exception)
        for each one that did not.
    """
    check_client(client)
    jobs = [_as_job(j) for j in jobs]
    report = _progress(progress, len(jobs))
    results: list[Result | Exception] = []
    try:
        if client is None:
            for job in jobs:
                results.append(run_job(job))
                report(len(results))
            return results
        from distributed import as_completed

        run = uuid.uuid4().hex[:8]
        futures = [client.submit(run_job, _portable(job), key=f"{JOB_KEY}-{run}-{i}") for i, job in enumerate(jobs)]
        for done, _ in enumerate(as_completed(futures), start=1):
            report(done)
        for future in futures:
            try:
                results.append(future.result())
            except Exception as err:  # noqa: BLE001 - e.g. KilledWorker: this job's failure, not the sweep's
                results.append(err)
        return results
    finally:
        report(None)


def _progress(progress, total: int):
    """A ``report(done)`` function (``report(None)`` closes the display) for ``solve_many``'s progress."""
    if progress is True:
        from tqdm.auto import tqdm

        bar = tqdm(total=total, unit="spec")

        def report(done):
            if done is None:
                bar.close()
            else:
                bar.update(done - bar.n)
        return report
    if callable(progress):
        def report(done):
            if done is not None:
                progress("specs", done, total)
        return report
    return lambda done: None


# ---------------------------------------------------------------------- one search, scored on a cluster
def _score_chunk(bound: BoundModel, spec: SearchSpec, items: list[tuple[int, tuple[str, ...]]]) -> list:
    """One task: the local scores of a chunk of (variable index, parent set) pairs, in order."""
    from kdsl.search.local import score_chunk

    return score_chunk(bound, spec, items, {})


class ClusterScorer:
    """Score a search's local-score layers on a Dask cluster (a :data:`kdsl.search.local.Scorer`).

    The bound data go to every worker once (``client.scatter``), on the
    first layer; each layer is cut into about ``tasks_per_thread`` chunks per
    worker thread (at least ``min_chunk`` parent sets each), and the results
    come back in the layer's order. Each score is computed whole inside one
    task by the same code as a serial search, so the scores are the same
    numbers bit for bit, whichever worker computed them.
    """

    def __init__(self, client, tasks_per_thread: int = 4, min_chunk: int = 8):
        self.client = client
        self.tasks_per_thread = tasks_per_thread
        self.min_chunk = min_chunk
        self._shipped: tuple[BoundModel, Any] | None = None
        self.tasks = 0

    def _data(self, bound: BoundModel):
        if self._shipped is None or self._shipped[0] is not bound:
            self._shipped = (bound, self.client.scatter(bound, broadcast=True, hash=False))
        return self._shipped[1]

    def chunk_size(self, n_items: int) -> int:
        threads = max(1, sum(self.client.nthreads().values()))
        return max(self.min_chunk, math.ceil(n_items / (threads * self.tasks_per_thread)))

    def __call__(self, bound: BoundModel, spec: SearchSpec, items: list[tuple[int, tuple[str, ...]]]) -> Iterator:
        if not items:
            return iter(())
        data = self._data(bound)
        size = self.chunk_size(len(items))
        futures = [self.client.submit(_score_chunk, data, spec, items[i: i + size], pure=False)
                   for i in range(0, len(items), size)]
        self.tasks += len(futures)
        return self._gather(futures)

    def _gather(self, futures: list) -> Iterator:
        try:
            for future in futures:
                yield from future.result()
        finally:
            self.client.cancel([f for f in futures if not f.done()])


# ---------------------------------------------------------------------- many files, counted where they lie
def _counted(model: Model, source, data: Mapping[str, Any] | None) -> list[Environment]:
    """One task: one source's environments, read and checked here; discrete ones reduced to distinct rows."""
    out = []
    for env in bind_source(model, source, data):
        names = list(env.columns)
        if not all(model.variables[v].is_discrete for v in names):
            out.append(env)
            continue
        rows, counts = np.unique(np.column_stack([env.columns[v] for v in names]), axis=0, return_counts=True)
        out.append((env.name, names, rows, counts, env.origin))
    return out


def _expanded(item) -> Environment:
    if isinstance(item, Environment):
        return item
    name, names, rows, counts, origin = item
    return Environment(name, {v: np.repeat(rows[:, i], counts) for i, v in enumerate(names)}, origin)


def bind_counted(model: Model, client, data: Mapping[str, Any] | None = None) -> BoundModel:
    """Bind a checked model with each data source read on the cluster, one task per source.

    A source's file is read, converted and checked on a worker (errors are
    the same located errors as :func:`kdsl.data.bind.bind`); when every variable
    is discrete only each environment's distinct rows and their counts come
    back, which is all any code's scores use. The client holds the rows
    again (expanded from the counts, in sorted order), so every result equals
    that of :func:`kdsl.data.bind.bind` bit for bit.
    """
    def read(model: Model, data: Mapping[str, Any]):
        futures = [client.submit(_counted, model, source, data, pure=False) for source in model.sources]
        return ([_expanded(item) for item in future.result()] for future in futures)
    return bind(model, data, read_sources=read)


@contextlib.contextmanager
def local_cluster(workers: int, quiet: bool = True):
    """A ``dask.distributed`` client on a new local cluster of ``workers`` processes, one thread each.

    A context manager: the client and the cluster close on exit. ``quiet`` keeps Dask's own log lines
    (e.g. a worker's lost heartbeat while the cluster shuts down) off stderr. The workers start without
    the ``MALLOC_TRIM_THRESHOLD_`` Dask's nannies set by default: with it, glibc returns every large numpy
    temporary to the system at once, and kdsl's scoring ran 2.7 times slower (docs/scaling.md).
    """
    import logging
    import warnings

    import dask
    from distributed import Client, LocalCluster

    environ = dict(dask.config.get("distributed.nanny.pre-spawn-environ", {}))
    environ.pop("MALLOC_TRIM_THRESHOLD_", None)
    with warnings.catch_warnings(), dask.config.set({"distributed.nanny.pre-spawn-environ": environ}):
        if quiet:  # e.g. "Port 8787 is already in use" when another cluster runs on this machine
            warnings.simplefilter("ignore", UserWarning)
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                               silence_logs=logging.CRITICAL if quiet else logging.WARNING)
    try:
        with Client(cluster) as client:
            yield client
    finally:
        cluster.close()
