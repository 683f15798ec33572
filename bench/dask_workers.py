"""Benchmark: 1 vs 2 Dask workers, for a sweep of specs and for one search's local scores.

    PYTHONPATH=. python bench/dask_workers.py            # ~2-3 min on 2 cores
    PYTHONPATH=. python bench/dask_workers.py --quick    # ~1 min

Two local clusters are started side by side (1 worker process and 2 worker
processes, one thread each) and the runs alternate between them, so both see
the same machine load; the ratio is the median over ``--repeat`` pairs.

* Sweep: ``kdsl.solve_many`` over ``--specs`` specs (seeds), each a search
  over a random binary network (``bench/_common.py random_network_data``: 14
  variables, 6 environments x 3000 rows, max 3 parents, shifts, code paper),
  one task per spec; the caller's data go with each task.
* One search: ``kdsl.solve(spec, client=client)`` at ``--vars`` variables
  (binary, 8 environments x 3000 rows, max 3 parents, shifts, code bic, so
  that little is pruned): local scores as tasks in chunks, the bound data
  scattered once per worker, the DP here.
  Also measured: how many tasks, each one's compute time (from the cluster's
  task stream), the bytes of the bound data shipped once per worker and of
  each task's arguments and result (pickled).

Every run's results are checked equal to a serial run's (bit for bit).
"""

from __future__ import annotations

import argparse
import itertools
import os
import pickle
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import command_line, discrete_spec, machine, random_network_data  # noqa: E402

import kdsl  # noqa: E402
from kdsl.distributed import ClusterScorer, Job, local_cluster  # noqa: E402


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} / {five:.2f} / {fifteen:.2f}"


def case(d: int, n_env: int, rows: int, code: str, seed: int) -> tuple[str, dict]:
    """A search with shifts over a random binary network: the spec and its caller data."""
    names, _, frames = random_network_data(d, 2, 2, n_env, rows, 2, seed)
    spec = discrete_spec(names, 2, n_env, 3, 1, code).replace("search {\n", "search {\n    shifts\n")
    return spec, {f"d{e}": frame for e, frame in enumerate(frames)}


def sweep_jobs(n_specs: int, d: int) -> list[Job]:
    return [Job(*case(d, 6, 3000, "paper", seed), filename=f"net{seed}.kdsl") for seed in range(n_specs)]


MALLOC_PROBE = """
import sys, time
sys.path.insert(0, {bench!r})
from dask_workers import case
from kdsl.distributed import Job, run_job
job = Job(*case(14, 6, 3000, "paper", 0))
run_job(job)
start = time.perf_counter()
run_job(job)
print(time.perf_counter() - start)
"""


def malloc_effect(pairs: int) -> tuple[list[float], list[float]]:
    """One spec solved in a fresh process, without and with Dask's default MALLOC_TRIM_THRESHOLD_=65536."""
    import subprocess

    code = MALLOC_PROBE.format(bench=str(Path(__file__).resolve().parent))
    plain, trimmed = [], []
    for _ in range(pairs):
        for extra, out in (({}, plain), ({"MALLOC_TRIM_THRESHOLD_": "65536"}, trimmed)):
            env = {k: v for k, v in os.environ.items() if k != "MALLOC_TRIM_THRESHOLD_"} | extra
            run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
            out.append(float(run.stdout.split()[-1]))
    return plain, trimmed


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def dicts(results) -> list:
    return [r.to_dict() for r in results]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--specs", type=int, default=6, help="specs in the sweep (default 6)")
    ap.add_argument("--sweep-vars", type=int, default=14, help="variables of each spec of the sweep (default 14)")
    ap.add_argument("--vars", type=int, default=16, help="variables of the one search (default 16)")
    ap.add_argument("--repeat", type=int, default=3, help="alternating pairs of runs (default 3)")
    ap.add_argument("--quick", action="store_true", help="4 specs of 11 variables, a search at 13, 2 pairs")
    args = ap.parse_args(argv)
    if args.quick:
        args.specs, args.sweep_vars, args.vars, args.repeat = 4, 11, 13, 2
    print("kdsl on Dask: 1 vs 2 worker processes (one thread each), alternating runs")
    print(machine(["kdsl", "numpy", "dask", "distributed"]))
    print(f"command: {command_line()}")

    jobs = sweep_jobs(args.specs, args.sweep_vars)
    serial, serial_s = timed(lambda: kdsl.solve_many(jobs))
    spec, data = case(args.vars, 8, 3000, "bic", 11)
    expected, search_serial_s = timed(lambda: kdsl.solve(spec, data=data))
    print(f"serial in-process: sweep {serial_s:.2f} s, search {search_serial_s:.2f} s ({load()})")

    with local_cluster(1) as one, local_cluster(2) as two:
        clients = {1: one, 2: two}
        for c in clients.values():  # warm the workers' imports and first-use compilations once
            kdsl.solve_many(jobs[:2], client=c)
        sweep_s: dict[int, list[float]] = {1: [], 2: []}
        search_s: dict[int, list[float]] = {1: [], 2: []}
        for _ in range(args.repeat):
            for n, client in clients.items():
                results, s = timed(lambda c=client: kdsl.solve_many(jobs, client=c))
                assert dicts(results) == dicts(serial), "sweep differs from the serial run"
                sweep_s[n].append(s)
                result, s = timed(lambda c=client: kdsl.solve(spec, data=data, client=c))
                assert result.to_dict() == expected.to_dict(), "search differs from the serial run"
                search_s[n].append(s)
            print(f"  pair done ({load()})")
        labels = (f"sweep of {args.specs} specs at {args.sweep_vars} variables", f"one search, {args.vars} variables")
        for label, times in zip(labels, (sweep_s, search_s)):
            one, two = statistics.median(times[1]), statistics.median(times[2])
            print(f"{label}: 1 worker {one:.2f} s, 2 workers {two:.2f} s (medians of {args.repeat}); "
                  f"speed-up {one / two:.2f}x; runs 1w {[round(t, 2) for t in times[1]]}, 2w {[round(t, 2) for t in times[2]]}")

        # task sizes of one search on 2 workers
        from distributed import get_task_stream

        client = clients[2]
        bound = kdsl.load(spec, data=data)
        scorer = ClusterScorer(client)
        with get_task_stream(client) as stream:
            from kdsl.search.run import search

            search(bound, scorer=scorer)
        chunks = [t for t in stream.data if str(t["key"]).startswith("_score_chunk")]
        compute = [sum(s["stop"] - s["start"] for s in t["startstops"] if s["action"] == "compute") for t in chunks]
        shipped = len(pickle.dumps(bound))
        names = list(bound.model.variables)
        layer = [(v, c) for v in range(len(names)) for c in itertools.combinations(names[:v] + names[v + 1:], 3)]
        sample_items = layer[:scorer.chunk_size(len(layer))]  # a chunk of the largest layer, were none pruned
        task_args = len(pickle.dumps((bound.model.search, sample_items)))
        from kdsl.distributed import _score_chunk

        task_result = len(pickle.dumps(_score_chunk(bound, bound.model.search, sample_items)))
        print(f"one search on 2 workers: {scorer.tasks} tasks; compute per task median {statistics.median(compute) * 1e3:.1f} ms, "
              f"max {max(compute) * 1e3:.1f} ms; bound data shipped once per worker {shipped / 1e6:.2f} MB; "
              f"per task (a chunk of {len(sample_items)}): arguments {task_args / 1e3:.1f} kB, result {task_result / 1e3:.1f} kB")
    plain, trimmed = malloc_effect(args.repeat)
    print(f"one 14-variable spec in a fresh process: {statistics.median(plain):.2f} s; with Dask's default worker "
          f"MALLOC_TRIM_THRESHOLD_=65536 {statistics.median(trimmed):.2f} s "
          f"({statistics.median(trimmed) / statistics.median(plain):.2f}x; medians of {args.repeat} alternating pairs)")
    print(f"end: {load()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
