"""Benchmark: the paper's G.1 sweep, kdsl's exact sharing against the reference approach.

    PYTHONPATH=. python bench/g1_sweep.py            # default, ~3-4 min on 2 cores
    PYTHONPATH=. python bench/g1_sweep.py --quick                     # ~20 s: subsets only
    PYTHONPATH=. python bench/g1_sweep.py --full                      # also the whole 21-candidate
                                                                      # enumeration (~+15 min)
    KDSL_REFERENCE=/path/to/checkout PYTHONPATH=. python bench/g1_sweep.py   # + the released code itself

Sweep = 3 ground truths (examples/reproduce_paper.py TRUTHS) x k = 1..10 for
10 environments x 10 samples. Two set-ups of the paper's G.1 experiment: its
text (X, Y in 0..17, 18 candidates, rate 20 t) and its released code (0..19,
21 candidates i/22, rate 22 t).

kdsl: for each truth, the (10 x M) cost matrix of X's template from
``kdsl.lengths.score.template_costs`` on the loaded spec (plus Y's, a constant), then
``kdsl.sharing.selection.best_selection_by_k`` (exact, every k at once).

Reference approach (re-implemented here for measurement; the paper's released
code is *not* vendored): each environment goes to the candidate nearest its
point estimate theta_hat_e = mean(X_e) / rate; for every k all C(M, k)
candidate sets are enumerated, and each set's total NLL (E, X and Y terms)
is summed by a pure Python loop over the 100 samples, as the released code
does. Two per-sample back ends:

* ``math``  -- stdlib ``math`` (lgamma, erfc): the fastest a pure-Python
  loop gets; a lower bound on the reference's cost.
* ``scipy`` -- scalar ``scipy.stats`` calls per sample (``norm.cdf`` for Y,
  ``poisson.cdf`` at the clipped end), as the released code calls them.

If ``KDSL_REFERENCE`` names a checkout of the released code, its own
``covariate_shift`` functions are timed on a subset of sets too (and their
NLL compared with this re-implementation); otherwise that part is skipped.

Quality: the heuristic's best X data bits for each (truth, k) -- the same
nearest-estimate rule evaluated exactly over all C(M, k) sets with numpy --
against kdsl's exact optimum for exactly k, over several seeds.
"""

from __future__ import annotations

import argparse
import importlib
import itertools
import math
import os
import sys
import time
from pathlib import Path

import numpy as np
from _common import ROOT, command_line, fmt_s, machine, median, timed

import kdsl
from kdsl.distributed import local_cluster
from kdsl.lengths.score import template_costs
from kdsl.sharing.selection import best_selection_by_k

sys.path.insert(0, str(ROOT / "examples"))
paper = importlib.import_module("reproduce_paper")
TRUTHS: dict[int, list[float]] = paper.TRUTHS
g1_spec = paper.g1_spec

LN2 = math.log(2.0)
SQRT_HALF = math.sqrt(0.5)
KS = list(range(1, 11))
N_ENV = 10
N_PER_ENV = 10
#: rate factor and top of the domain per set-up (examples/reproduce_paper.py SETUPS)
SETUP_NUMBERS = {"text": (20.0, 17), "code": (22.0, 19)}


# ----------------------------------------------------------------------------- data
def load_setup(setup: str, seed: int) -> list[tuple[int, kdsl.data.bind.BoundModel]]:
    return [(k_true, kdsl.load(g1_spec(truth, N_PER_ENV, seed, setup))) for k_true, truth in TRUTHS.items()]


def samples_of(bound) -> tuple[list[int], list[int], list[int]]:
    """E, X, Y as Python ints, environment after environment (X, Y values = domain indices here)."""
    e_s, x_s, y_s = [], [], []
    for e, env in enumerate(bound.environments):
        e_s += [e] * env.rows
        x_s += [int(v) for v in env.columns["X"]]
        y_s += [int(v) for v in env.columns["Y"]]
    return e_s, x_s, y_s


def theta_hat(bound, rate: float) -> np.ndarray:
    return np.array([env.columns["X"].mean() / rate for env in bound.environments])


# ----------------------------------------------------------------------------- the reference approach
def _x_logp_math(x: int, lam: float, top: int) -> float:
    if x < top:
        return -lam + x * math.log(lam) - math.lgamma(x + 1)
    if x == top:  # 1 - CDF(top - 1), as the released code computes it
        cdf = 0.0
        log_lam = math.log(lam)
        for j in range(top):
            cdf += math.exp(-lam + j * log_lam - math.lgamma(j + 1))
        return math.log(1.0 - cdf) if cdf < 1.0 else -math.inf
    return -math.inf


def _y_logp_math(y: int, mu: float, sigma: float, top: int) -> float:
    upper = 1.0 if y == top else 0.5 * math.erfc(-((y + 0.5 - mu) / sigma) * SQRT_HALF)
    lower = 0.0 if y == 0 else 0.5 * math.erfc(-((y - 0.5 - mu) / sigma) * SQRT_HALF)
    p = upper - lower
    return math.log(p) if p > 0 else -math.inf


def _scipy_backend():
    from scipy.stats import norm, poisson

    def x_logp(x: int, lam: float, top: int) -> float:
        if x < top:
            return -lam + x * np.log(lam) - math.lgamma(x + 1)
        if x == top:
            cdf = poisson.cdf(top - 1, lam)
            return np.log(1 - cdf) if cdf < 1.0 else -np.inf
        return -np.inf

    def y_logp(y: int, mu: float, sigma: float, top: int) -> float:
        lower = -np.inf if y == 0 else y - 0.5
        upper = np.inf if y == top else y + 0.5
        p = norm.cdf(upper, loc=mu, scale=sigma) - norm.cdf(lower, loc=mu, scale=sigma)
        return np.log(p) if p > 0 else -np.inf

    return x_logp, y_logp


def backend(name: str):
    return (_x_logp_math, _y_logp_math) if name == "math" else _scipy_backend()


def reference_total(assigned: list[float], samples, rate: float, top: int, n_env: int, fns) -> float:
    """Total NLL in bits of one assignment: a pure Python loop over the samples."""
    x_logp, y_logp = fns
    log_n = math.log2(n_env)
    total = 0.0
    for e, x, y in zip(*samples):
        bx = -x_logp(x, assigned[e] * rate, top) / LN2
        if math.isinf(bx):
            bx = 1e6
        by = -y_logp(y, float(x), 1.0, top) / LN2
        if math.isinf(by):
            by = 1e6
        total += log_n + bx + by
    return total


def reference_x_bits(assign_idx: list[int], cands: list[float], samples, rate: float, top: int, fns) -> float:
    x_logp = fns[0]
    return sum(-x_logp(x, cands[assign_idx[e]] * rate, top) / LN2 for e, x, _ in zip(*samples))


def reference_sweep(samples, cands: list[float], th: np.ndarray, rate: float, top: int, fns,
                    limit: int | None = None) -> dict[int, dict]:
    """The reference approach for k = 1..10: every candidate set (or the first ``limit``)."""
    n_env = len(th)
    th_list = [float(t) for t in th]
    out = {}
    for k in KS:
        best, best_assign = math.inf, None
        combos = itertools.combinations(range(len(cands)), k)
        if limit is not None:
            combos = itertools.islice(combos, limit)
        start = time.perf_counter()
        n_sets = 0
        for combo in combos:
            vals = [cands[i] for i in combo]
            assign = []
            for t in th_list:  # nearest candidate of the set to the point estimate (first on ties)
                dists = [abs(v - t) for v in vals]
                assign.append(combo[dists.index(min(dists))])
            total = reference_total([cands[i] for i in assign], samples, rate, top, n_env, fns)
            n_sets += 1
            if total < best:
                best, best_assign = total, assign
        out[k] = {"best": best, "assign": best_assign, "sets": n_sets, "seconds": time.perf_counter() - start,
                  "all_sets": math.comb(len(cands), k)}
    return out


def sweep_seconds(result: dict[int, dict]) -> tuple[float, bool]:
    """Measured seconds, extrapolated per k to all C(M, k) sets when only a subset ran."""
    total, extrapolated = 0.0, False
    for r in result.values():
        if r["sets"] < r["all_sets"]:
            extrapolated = True
            total += r["seconds"] / r["sets"] * r["all_sets"]
        else:
            total += r["seconds"]
    return total, extrapolated


# ----------------------------------------------------------------------------- the same heuristic, vectorised
def heuristic_by_k(cost: np.ndarray, cands: np.ndarray, th: np.ndarray, chunk: int = 20_000) -> dict[int, tuple]:
    """Best (X data bits, assignment) of the nearest-estimate rule over all C(M, k) sets, for each k."""
    n, m = cost.shape
    rows = np.arange(n)[None, :]
    out = {}
    for k in KS:
        combos = np.array(list(itertools.combinations(range(m), k)), dtype=np.int64)
        best, best_assign = math.inf, None
        for start in range(0, len(combos), chunk):
            c = combos[start:start + chunk]
            dist = np.abs(cands[c][:, :, None] - th[None, None, :])  # (sets, k, envs)
            chosen = np.take_along_axis(c, dist.argmin(1), 1)  # (sets, envs); first nearest on ties
            totals = cost[rows, chosen].sum(1)
            i = int(np.argmin(totals))
            if totals[i] < best:
                best, best_assign = float(totals[i]), chosen[i].tolist()
        out[k] = (best, best_assign)
    return out


# ----------------------------------------------------------------------------- kdsl
def kdsl_sweep(bounds) -> list:
    profiles = []
    for _, bound in bounds:
        rate = bound.model.templates["rate"]
        noisy = bound.model.templates["noisy"]
        cx = template_costs(bound, rate)
        template_costs(bound, noisy)  # Y | X: one constant, computed once
        profiles.append((cx, best_selection_by_k(cx)))
    return profiles


# ----------------------------------------------------------------------------- the released code
def released_code(checkout: Path):
    """Import the released covariate-shift modules from a checkout; None with a reason if impossible."""
    folder = checkout / "covariate_shift"
    if not (folder / "analysis.py").is_file():
        return None, f"{folder}/analysis.py not found"
    sys.path.insert(0, str(folder))
    try:
        analysis = importlib.import_module("analysis")
        estimation = importlib.import_module("estimation")
    except Exception as err:  # its own dependencies may be missing
        return None, f"cannot import it: {type(err).__name__}: {err}"
    return (analysis, estimation), ""


def run_released(modules, bound, cands: list[float], setup: str, limit: int, own_fns) -> dict:
    """Time the released functions on the first ``limit`` sets of each k; compare their NLL with ours."""
    analysis, estimation = modules
    rate, top = SETUP_NUMBERS[setup]
    m_param = top + 1  # the released code's M: rate M + 2, clipped at M - 1
    e_s, x_s, y_s = samples_of(bound)
    e_arr, x_arr, y_arr = np.array(e_s), np.array(x_s), np.array(y_s)
    th = estimation.estimate_theta_E_hat(e_arr, x_arr, m_param, N_ENV, "poisson")
    cand_arr = np.array(cands)
    seconds, sets, extrapolated, worst = 0.0, 0, 0.0, 0.0
    for k in KS:
        start = time.perf_counter()
        n = 0
        for mech in itertools.islice(itertools.combinations(cand_arr, k), limit):
            total, partition = analysis.find_best_partition_given_mechanisms(
                e_arr, x_arr, y_arr, N_ENV, k, m_param, mech, cand_arr, "poisson", "gaussian", th,
                sigma2_X1_hat=1, sigma2_X2=1)
            n += 1
            if n <= 3:  # the same assignment through our loop
                assigned = [0.0] * N_ENV
                for j, block in enumerate(partition):
                    for e in block:
                        assigned[e] = float(mech[j])
                ours = reference_total(assigned, (e_s, x_s, y_s), rate, top, N_ENV, own_fns)
                worst = max(worst, abs(ours - float(total)))
        dt = time.perf_counter() - start
        seconds += dt
        sets += n
        extrapolated += dt / n * math.comb(len(cands), k)
    return {"seconds": seconds, "sets": sets, "extrapolated": extrapolated, "max_nll_diff": worst}


# ----------------------------------------------------------------------------- report
def quality(setup: str, seeds: list[int]) -> list[dict]:
    rate, _ = SETUP_NUMBERS[setup]
    rows = []
    for seed in seeds:
        for k_true, bound in load_setup(setup, seed):
            cx = template_costs(bound, bound.model.templates["rate"])
            exact = best_selection_by_k(cx)
            cands = np.array(bound.model.templates["rate"].slots[0].values, dtype=float)
            heur = heuristic_by_k(cx, cands, theta_hat(bound, rate))
            for k in KS:
                h_bits, h_assign = heur[k]
                e_bits = float(exact.bits[k])
                at_most = float(np.min(exact.bits[1:k + 1]))
                rows.append({"seed": seed, "truth": k_true, "k": k, "exact": e_bits, "heuristic": h_bits,
                             "gap": h_bits - e_bits, "gap_at_most": h_bits - at_most,
                             "used": len(set(h_assign))})
    return rows


def print_quality(setup: str, rows: list[dict], seeds: list[int], detail_seed: int) -> None:
    """Gaps against kdsl's exact optimum over at most k candidates: the heuristic's set of k candidates
    may leave some unused, so its assignment is a feasible solution of that problem, never of less."""
    print(f"\n  quality, set-up '{setup}', seeds {seeds[0]}..{seeds[-1]}: heuristic X data bits minus kdsl's exact optimum")
    print("  truth  worse than exact (<= k)  max gap  mean gap  | heuristic used < k  | used exactly k: worse than exact-k, max gap")
    for k_true in TRUTHS:
        sub = [r for r in rows if r["truth"] == k_true]
        worse = [r for r in sub if r["gap_at_most"] > 1e-6]
        fewer = [r for r in sub if r["used"] < r["k"]]
        full = [r for r in sub if r["used"] == r["k"]]
        worse_full = [r for r in full if r["gap"] > 1e-6]
        print(f"  {k_true:5d}  {len(worse):3d} of {len(sub):3d} (truth,k){'':5s}{max(r['gap_at_most'] for r in sub):7.3f}"
              f"  {sum(r['gap_at_most'] for r in sub) / len(sub):8.3f}  | {len(fewer):3d} of {len(sub):3d}"
              f"{'':9s}| {len(worse_full):3d} of {len(full):3d}, {max((r['gap'] for r in full), default=0.0):.3f} bits")
    print(f"  per k, seed {detail_seed}: kdsl exact-k / heuristic (* = it used fewer than k candidates) / gap vs exact <= k")
    for k_true in TRUTHS:
        sub = [r for r in rows if r["truth"] == k_true and r["seed"] == detail_seed]
        cells = "  ".join(f"k{r['k']}:{r['exact']:.1f}/{r['heuristic']:.1f}{'*' if r['used'] < r['k'] else ''}"
                          f"/{r['gap_at_most']:+.2f}" for r in sub)
        print(f"   truth {k_true}: {cells}")
    return None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="subsets only (~20 s)")
    ap.add_argument("--full", action="store_true", help="enumerate every set at 21 candidates too (pure Python, ~15 min)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the timed sweep (default 0)")
    ap.add_argument("--quality-seeds", type=int, default=10, help="seeds 0..S-1 for the data-bits comparison (default 10)")
    ap.add_argument("--scipy-limit", type=int, default=50, help="sets per k timed with the scipy back end")
    ap.add_argument("--math-limit", type=int, default=3000, help="sets per k timed with the math back end when subsetting")
    ap.add_argument("--reference-limit", type=int, default=50, help="sets per k timed with the released code")
    ap.add_argument("--repeat", type=int, default=5, help="repetitions of kdsl's sweep (median reported)")
    ap.add_argument("--workers", type=int, default=0,
                    help="solve the end-to-end specs on a local Dask cluster of this many processes (default 0: here)")
    args = ap.parse_args(argv)
    if not args.workers:
        return run(args, None, "in process")
    with local_cluster(args.workers) as client:
        return run(args, client, f"on {args.workers} Dask workers")


def run(args, client, where: str) -> int:
    if args.quick:
        args.quality_seeds = min(args.quality_seeds, 3)
        args.scipy_limit = min(args.scipy_limit, 30)
        args.math_limit = min(args.math_limit, 300)
        args.reference_limit = min(args.reference_limit, 20)

    print("G.1 sweep: kdsl exact sharing vs the reference approach (nearest point estimate + all C(M,k) sets)")
    print(machine(["kdsl", "numpy", "scipy", "sympy"]))
    print(f"command: {command_line()}")
    checkout = os.environ.get("KDSL_REFERENCE")
    modules, why = (released_code(Path(checkout)) if checkout else (None, "KDSL_REFERENCE is not set"))

    summary = []
    for setup in ("text", "code"):
        rate, top = SETUP_NUMBERS[setup]
        bounds = load_setup(setup, args.seed)
        cands = [float(v) for v in bounds[0][1].model.templates["rate"].slots[0].values]
        m = len(cands)
        n_sets = sum(math.comb(m, k) for k in KS)
        print(f"\n== set-up '{setup}': X, Y in 0..{top}, M = {m} candidates, rate {rate:g} t, seed {args.seed}; "
              f"{n_sets:,} candidate sets per truth for k = 1..10")
        # kdsl: cold (first) run, then the median of warm repeats
        _, cold = timed(lambda b=bounds: kdsl_sweep(b))
        profiles, warm = timed(lambda b=bounds: kdsl_sweep(b), repeat=args.repeat)
        kdsl_s = median(warm)
        specs = [g1_spec(t, N_PER_ENV, args.seed, setup) for t in TRUTHS.values()]
        solved, solve_times = timed(lambda sp=specs: kdsl.solve_many(sp, client=client))
        assert not [r for r in solved if isinstance(r, Exception)], solved
        print(f"  kdsl exact sharing, whole sweep (3 truths x all k): {fmt_s(kdsl_s)} (median of {args.repeat}; "
              f"first call {fmt_s(cold[0])}); methods {sorted({p.method for _, p in profiles})}; "
              f"kdsl.solve_many end to end for the 3 specs ({where}): {fmt_s(solve_times[0])}")

        # the reference approach, pure Python
        full_math = setup == "text" and not args.quick or args.full
        limit = None if full_math else args.math_limit
        math_res = []
        for (k_true, bound), (cx, _) in zip(bounds, profiles):
            samples = samples_of(bound)
            res = reference_sweep(samples, cands, theta_hat(bound, rate), rate, top, backend("math"), limit)
            math_res.append(res)
            if full_math:  # cross-check: our loop's best equals the vectorised heuristic, and kdsl's costs
                heur = heuristic_by_k(cx, np.array(cands), theta_hat(bound, rate))
                for k in KS:
                    x_bits = reference_x_bits(res[k]["assign"], cands, samples, rate, top, backend("math"))
                    kdsl_bits = float(cx[np.arange(N_ENV), res[k]["assign"]].sum())
                    if abs(x_bits - kdsl_bits) > 1e-6 or abs(heur[k][0] - kdsl_bits) > 1e-6:
                        print(f"  MISMATCH truth {k_true} k {k}: pure-Python X bits {x_bits:.6f}, "
                              f"kdsl cost {kdsl_bits:.6f}, vectorised heuristic {heur[k][0]:.6f}")
        math_s = [sweep_seconds(r) for r in math_res]
        math_total = sum(s for s, _ in math_s)
        math_extra = any(x for _, x in math_s)
        measured = sum(r[k]["seconds"] for r in math_res for k in KS)
        done = sum(r[k]["sets"] for r in math_res for k in KS)
        label = "extrapolated from " + f"{done:,} sets measured in {fmt_s(measured)}" if math_extra else \
            f"measured, all {done:,} sets"
        print(f"  reference approach, pure Python (math): {fmt_s(math_total)} ({label}); "
              f"{measured / done * 1e3:.3f} ms per set")
        print(f"    ratio reference / kdsl: {math_total / kdsl_s:,.0f}x")
        if full_math:
            print("    cross-check: the loop's best sets give the same X bits as kdsl's cost matrix and as the "
                  "vectorised heuristic (any mismatch is printed above)")

        sc_res = [reference_sweep(samples_of(b), cands, theta_hat(b, rate), rate, top, backend("scipy"),
                                  args.scipy_limit) for _, b in bounds]
        sc_total = sum(sweep_seconds(r)[0] for r in sc_res)
        sc_done = sum(r[k]["sets"] for r in sc_res for k in KS)
        sc_meas = sum(r[k]["seconds"] for r in sc_res for k in KS)
        print(f"  reference approach, pure Python with scalar scipy.stats calls: {fmt_s(sc_total)} "
              f"(extrapolated from {sc_done:,} sets measured in {fmt_s(sc_meas)}; {sc_meas / sc_done * 1e3:.2f} ms per set)")
        print(f"    ratio reference / kdsl: {sc_total / kdsl_s:,.0f}x")
        row = {"setup": setup, "M": m, "kdsl": kdsl_s, "math": math_total, "math_extrapolated": math_extra,
               "scipy": sc_total}
        if modules is not None:
            rel = [run_released(modules, b, cands, setup, args.reference_limit, backend("scipy")) for _, b in bounds]
            rel_total = sum(r["extrapolated"] for r in rel)
            print(f"  released code ({checkout}): {fmt_s(rel_total)} extrapolated from {sum(r['sets'] for r in rel):,} "
                  f"sets measured in {fmt_s(sum(r['seconds'] for r in rel))}; ratio {rel_total / kdsl_s:,.0f}x; "
                  f"max |NLL difference| vs the scipy re-implementation {max(r['max_nll_diff'] for r in rel):.2e} bits")
            row["released"] = rel_total
        else:
            print(f"  released code: skipped ({why})")
        summary.append(row)

        seeds = list(range(args.quality_seeds))
        print_quality(setup, quality(setup, seeds), seeds, args.seed)

    print("\nsummary (whole sweep: 3 truths x k = 1..10)")
    print("  set-up  M   kdsl       ref. (math)          ratio      ref. (scipy, extrap.)  ratio")
    for r in summary:
        tag = "extrap." if r["math_extrapolated"] else "measured"
        print(f"  {r['setup']:6s} {r['M']:2d}  {fmt_s(r['kdsl']):9s}  {fmt_s(r['math']):9s} {tag:9s}  "
              f"{r['math'] / r['kdsl']:8,.0f}x  {fmt_s(r['scipy']):21s}  {r['scipy'] / r['kdsl']:9,.0f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
