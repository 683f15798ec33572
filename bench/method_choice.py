"""Which exact search to run beyond 16 variables: the dynamic program and the integer program, side by side.

    PYTHONPATH=. python bench/method_choice.py                                  # real and discrete, 18-24 variables
    PYTHONPATH=. python bench/method_choice.py --kinds real --vars 18 20 --rows 1000 --milp-limit 300

Both methods run on one set of local scores (kdsl.search.local.local_scores), in
alternating order (the DP first on even rows, the MILP first on odd ones), and
their optima are compared. The MILP is stopped at ``--milp-limit`` seconds. The
kept parent sets are those left by exact pruning (kdsl.search.milp.candidate_sets):
the integer program's columns, the measure kdsl.search.run.choose_method reads.

* ``real``: bench/real_vs_causallearn.py's data (a random linear-Gaussian DAG,
  at most 3 parents, recorded to two decimals), one environment, ``code bic``,
  ``classes linear``, ``graphs max_parents 3``.
* ``discrete``: bench/greedy_gap.py's data (ternary variables, at most 2
  parents, 3 environments x 1000 rows, one table shifted per environment),
  kdsl's default code (``nml``), ``graphs max_parents 2`` (bench/milp_random.py's data).

``--code`` and ``--max-parents`` change the code and the parent limit of both kinds.

The load average is printed beside every row (the machine is shared).
"""

from __future__ import annotations

import argparse
import os
import time

from _common import machine
from greedy_gap import spec_and_data
from real_vs_causallearn import linear_data

from kdsl.api import load
from kdsl.search.exact import exact_best
from kdsl.search.greedy import greedy
from kdsl.search.local import local_scores
from kdsl.search.milp import candidate_sets, solve_milp
from kdsl.search.run import estimate


def real_bound(d: int, rows: int, seed: int, code: str | None, max_parents: int | None):
    names, _, x = linear_data(d, rows, seed)
    spec = "\n".join([*(f"var {v} real step 0.01" for v in names), "env a from d",
                      f"search {{\n graphs max_parents {max_parents or 3}\n classes linear\n top 1\n}}",
                      f"code {code or 'bic'}"])
    return load(spec, data={"d": {v: x[:, i] for i, v in enumerate(names)}})


def discrete_bound(d: int, rows: int, seed: int, code: str | None, max_parents: int | None):
    spec, data = spec_and_data(d, 3, rows, seed)
    spec = spec.replace("max_parents 2", f"max_parents {max_parents or 2}") + (f"code {code}\n" if code else "")
    return load(spec, data=data)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kinds", nargs="*", default=["real", "discrete"])
    ap.add_argument("--vars", type=int, nargs="*", default=[18, 20, 22, 24])
    ap.add_argument("--seeds", type=int, default=1)
    ap.add_argument("--rows", type=int, default=1000)
    ap.add_argument("--milp-limit", type=float, default=120.0)
    ap.add_argument("--code", default=None, help="default: bic (real), kdsl's default nml (discrete)")
    ap.add_argument("--max-parents", type=int, default=None, help="default: 3 (real), 2 (discrete)")
    args = ap.parse_args()
    print(machine(["numpy", "highspy"]))
    print(f"{args.rows} rows, code {args.code or 'bic (real), nml (discrete)'}, max parents {args.max_parents or 'default'}; "
          f"MILP stopped at {args.milp_limit:g} s\n")
    print("kind      vars seed  scoring s  scored   kept  kept/var  dp MiB  dp s    milp s   proven  dp/milp  "
          "milp-dp bits  load")
    row = 0
    for kind in args.kinds:
        for d in args.vars:
            for seed in range(args.seeds):
                bound = (real_bound if kind == "real" else discrete_bound)(d, args.rows, seed, args.code, args.max_parents)
                spec = bound.model.search
                t = time.perf_counter()
                local = local_scores(bound, spec)
                t_score = time.perf_counter() - t
                kept = candidate_sets(local).count
                start = greedy(local)
                times, bits = {}, {}
                for method in (("dp", "milp") if row % 2 == 0 else ("milp", "dp")):
                    t = time.perf_counter()
                    if method == "dp":
                        bits["dp"] = exact_best(local).bits
                    else:
                        out = solve_milp(local, start=start, deadline=time.monotonic() + args.milp_limit)
                        bits["milp"], proven = out.programs[0].bits, out.proven
                    times[method] = time.perf_counter() - t
                row += 1
                milp_s = f"{times['milp']:7.1f}" if proven else f"> {args.milp_limit:.0f}"
                ratio = f"{times['dp'] / times['milp']:7.2f}" if proven else f"< {times['dp'] / times['milp']:.2f}"
                mib = estimate(bound.model, spec)["dp_bytes"] / 2**20
                print(f"{kind:8s}  {d:4d}  {seed:3d}  {t_score:9.1f}  {sum(len(e) for e in local.entries):6d}  "
                      f"{kept:5d}  {kept / d:8.1f}  {mib:6.0f}  {times['dp']:6.1f}  {milp_s:>8s}  {'yes' if proven else 'no':6s}  "
                      f"{ratio:>7s}  {bits['milp'] - bits['dp']:12.3g}  "
                      f"{os.getloadavg()[0]:.2f}", flush=True)


if __name__ == "__main__":
    main()
