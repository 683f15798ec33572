"""Shared helpers of the benchmarks: the machine they ran on, and timers.

Not a test module and not part of the package; every script in ``bench/``
imports it by path (``bench/`` is ``sys.path[0]`` when a script runs).
"""

from __future__ import annotations

import importlib
import os
import platform
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # `import kdsl` from the checkout, as `PYTHONPATH=.` does


def command_line() -> str:
    """How this script was run, with paths inside the checkout written relative to its root."""
    def shown(arg: str) -> str:
        path = Path(arg)
        if path.is_absolute() and path.resolve().is_relative_to(ROOT):
            return str(path.resolve().relative_to(ROOT))
        return arg

    return " ".join(["python", *(shown(a) for a in sys.argv)])


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def ram_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024**2
    except OSError:
        pass
    return None


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


#: distribution names of modules whose import name differs
DISTRIBUTIONS = {"causallearn": "causal-learn"}


def versions(names: list[str]) -> str:
    out = []
    for name in names:
        try:
            module = importlib.import_module(name)
            version = getattr(module, "__version__", None)
            if version is None:  # e.g. causallearn: ask the installed distribution
                from importlib import metadata

                version = metadata.version(DISTRIBUTIONS.get(name, name))
            out.append(f"{name} {version}")
        except Exception as err:  # an optional peer may be missing or broken
            out.append(f"{name} unavailable ({type(err).__name__})")
    return ", ".join(out)


def machine(packages: list[str]) -> str:
    """One paragraph describing where the figures come from."""
    ram = ram_gib()
    return (f"machine: {cores()} cores (nproc), CPU {cpu_model()}, RAM {ram:.1f} GiB, "
            f"{platform.system()} {platform.release()}; load average at start {os.getloadavg()[0]:.2f}\n"
            f"python {platform.python_version()}; {versions(packages)}")


def process_env(pythonpath: Path | None) -> dict[str, str]:
    """The environment of a timed child process: byte code written and read as in an install, the given path."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE")}
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    return env


def ratio_row(cells: list[object]) -> str:
    """One row of a Markdown table."""
    return "| " + " | ".join(str(c) for c in cells) + " |"


def markdown_table(header: list[str], rows: list[list[object]]) -> str:
    """A Markdown table: its header, the rule under it, and its rows."""
    return "\n".join([ratio_row(header), ratio_row(["---"] * len(header)), *(ratio_row(row) for row in rows)])


def timed(fn: Callable, repeat: int = 1, cpu: list[float] | None = None) -> tuple[object, list[float]]:
    """Run ``fn`` ``repeat`` times; its last value and every wall time in seconds.

    If ``cpu`` is a list, the process CPU time of each run (all threads) is
    appended to it: a figure less disturbed than wall time when other jobs
    share the machine.
    """
    times, value = [], None
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        value = fn()
        times.append(time.perf_counter() - start)
        if cpu is not None:
            cpu.append(time.process_time() - start_cpu)
    return value, times


def median(xs: list[float]) -> float:
    return statistics.median(xs)


def peak_rss_mib() -> float:
    """Peak resident set size of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def fmt_s(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:.2f} h"
    if seconds >= 60:
        return f"{seconds / 60:.1f} min"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    return f"{seconds * 1e3:.1f} ms"


def random_network_data(d: int, card: int, max_in: int, n_env: int, rows: int, shifts: int, seed: int,
                        alpha: float = 0.5):
    """Rows sampled from a random discrete DAG, with sparse mechanism shifts between environments.

    Variables ``X0 .. X{d-1}`` in topological order, each with ``card`` values
    and 0..``max_in`` parents drawn from the earlier variables; every
    conditional table column is Dirichlet(``alpha``). Environment 0 uses
    these tables; every other environment redraws the tables of ``shifts``
    randomly chosen variables. Returns ``(names, edges, frames)`` with one
    ``{name: int array}`` per environment.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    names = [f"X{i}" for i in range(d)]
    parents = []
    for i in range(d):
        n_par = int(rng.integers(0, min(max_in, i) + 1))
        parents.append(sorted(rng.choice(i, size=n_par, replace=False).tolist()) if n_par else [])
    edges = [(names[p], names[i]) for i in range(d) for p in parents[i]]

    def draw(i):
        return rng.dirichlet([alpha] * card, size=card ** len(parents[i]))  # (configs, card)

    base = [draw(i) for i in range(d)]
    frames = []
    for e in range(n_env):
        tables = list(base)
        if e > 0:
            for i in rng.choice(d, size=min(shifts, d), replace=False):
                tables[int(i)] = draw(int(i))
        cols = np.zeros((d, rows), dtype=np.int64)
        for i in range(d):
            config = np.zeros(rows, dtype=np.int64)
            for p in parents[i]:
                config = config * card + cols[p]
            cum = np.cumsum(tables[i][config], axis=1)
            u = rng.random(rows)[:, None]
            cols[i] = np.minimum((u > cum).sum(1), card - 1)
        frames.append({names[i]: cols[i] for i in range(d)})
    return names, edges, frames


def discrete_spec(names: list[str], card: int, n_env: int, max_parents: int | None, top: int, code: str) -> str:
    """A kdsl spec searching DAGs over ``names`` (values 0..card-1), data from ``d0 .. d{n_env-1}``."""
    lines = [f"var {v} in 0..{card - 1}" for v in names]
    lines += [f"env e{e} from d{e}" for e in range(n_env)]
    graphs = "    graphs" + (f" max_parents {max_parents}" if max_parents is not None else "")
    lines += ["search {", graphs, f"    top {top}", "}", f"code {code}"]
    return "\n".join(lines) + "\n"
