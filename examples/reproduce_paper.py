"""Reproduce the experiments of *Algorithmic causal structure emerging through
compression* (Wendong, Buchholz, Schölkopf; CLeaR 2025) with kdsl.

    python examples/reproduce_paper.py            # everything (about a minute)
    python examples/reproduce_paper.py fig3 g2    # some parts
    python examples/reproduce_paper.py g1 --seeds 20

Every number printed is computed here, from the seeds shown. The G.1 specs
are built from the same text as examples/covariate_shift.kdsl with the truth,
the sample size, the seed and (for the released code's set-up) the domain and
codebook substituted.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import kdsl
from kdsl.codes import formulas as codes

HERE = Path(__file__).resolve().parent

TRUTHS = {
    7: [0.1, 0.1, 0.1, 0.3, 0.3, 0.5, 0.6, 0.7, 0.8, 0.9],
    4: [0.1, 0.1, 0.4, 0.4, 0.6, 0.6, 0.6, 0.9, 0.9, 0.9],
    2: [0.1] * 8 + [0.9, 0.9],
}

#: The two set-ups of the paper's G.1 experiment: as its text states it, and as its released code runs it.
SETUPS = {
    "text": {"top": 17, "rate": "20 * t", "truth_rate": "20", "book": "grid(0.05, 0.90, 18)"},
    "code": {"top": 19, "rate": "22 * t", "truth_rate": "22", "book": "grid(0.045454545454545456, 0.9545454545454546, 21)"},
}


def g1_spec(truth: list[float], n: int, seed: int, setup: str) -> str:
    s = SETUPS[setup]
    theta = ", ".join(f"{t:g}" for t in truth)
    return f"""
model g1_{setup}
let theta = [{theta}]
var X in 0..{s['top']}
var Y in 0..{s['top']}
simulate envs e0..e9 n {n} seed {seed} {{
    X ~ poisson({s['truth_rate']} * theta[env])
    Y ~ normal(X, 1)
}}
mechanism rate(X) = poisson({s['rate']}) where t in {s['book']}
mechanism noisy(Y | X) = normal(X, 1)
hypothesis causal {{
    X ~ rate
    Y ~ noisy
}}
code paper
"""


def argmin_k(profile: list[dict], key: str) -> int:
    """Smallest k attaining the minimum of ``key`` (ties within 1e-9 bits go to the smaller k)."""
    finite = [r for r in profile if r[key] is not None and math.isfinite(r[key])]
    low = min(r[key] for r in finite)
    return min(r["k"] for r in finite if r[key] - low <= 1e-9)


def fig3() -> None:
    print("Fig. 3: Strategy 1 (N log M) minus Strategy 2 (compressed l), in bits, by k")
    s1 = codes.lambdify_bits(codes.direct_selection_bits(), (codes.N, codes.M))
    s2 = codes.lambdify_bits(codes.compressed_selection_bits(), (codes.N, codes.M, codes.k))
    for m, n in [(20, 10), (20, 20), (20, 40), (20, 80), (30, 20), (30, 40), (30, 80)]:
        ks = list(range(1, min(m, n) + 1))
        diff = [float(s1(n, m) - s2(n, m, k)) for k in ks]
        lowest = min(range(len(ks)), key=lambda i: diff[i])
        signs = "".join("+" if d > 0 else "-" for d in diff)
        rises = diff[-1] > diff[lowest] + 1e-9
        print(f"  M={m:2d} N={n:2d}: k=1 {diff[0]:7.2f}, min {diff[lowest]:7.2f} at k={ks[lowest]:2d}, "
              f"k={ks[-1]} {diff[-1]:7.2f}  rises again: {'yes' if rises else 'no '}  signs {signs}")


def g1(seeds: int, setups: list[str]) -> None:
    for setup in setups:
        print(f"G.1 covariate shift, set-up of the paper's {setup}: 10 environments x 10 samples")
        print("  truth  seed  k(data bits alone)  k(total)  total bits")
        for k_true, truth in TRUTHS.items():
            picks_data, picks_total = [], []
            for seed in range(seeds):
                result = kdsl.solve(g1_spec(truth, 10, seed, setup))
                prof = result.program("causal").to_dict()["profile"]
                kd, kt = argmin_k(prof, "min_data_bits"), argmin_k(prof, "total_bits")
                picks_data.append(kd)
                picks_total.append(kt)
                total = result.program("causal").total_bits
                print(f"  {k_true:5d}  {seed:4d}  {kd:18d}  {kt:8d}  {total:10.2f}")
            print(f"  truth {k_true}: data alone picks k = {_summary(picks_data)}; total picks k = {_summary(picks_total)}")
        print(f"G.1 trend (set-up: {setup}), truth k = 7: selected k by samples per environment")
        for n in (5, 10, 20, 40, 80, 400):
            picks = []
            for seed in range(seeds):
                prof = kdsl.solve(g1_spec(TRUTHS[7], n, seed, setup)).program("causal").to_dict()["profile"]
                picks.append(argmin_k(prof, "total_bits"))
            print(f"  n = {n:3d}: k = {_summary(picks)}")


def _summary(ks: list[int]) -> str:
    mean = sum(ks) / len(ks)
    return f"{mean:.1f} on average (seeds: {' '.join(map(str, ks))})"


def g2() -> None:
    print("G.2 causal direction without identifiability (examples/gaussian_directions.kdsl)")
    result = kdsl.solve(HERE / "gaussian_directions.kdsl")
    for name in ("causal", "anticausal"):
        p = result.program(name)
        prof = p.to_dict()["profile"]
        best_data = min(r["min_data_bits"] for r in prof)
        print(f"  {name:10s}: least data bits over all k {best_data:9.2f}; shortest total {p.total_bits:9.2f} "
              f"(model {p.model_bits:.2f} + data {p.data_bits:.2f}) with k = {p.k}")
    print(f"  selected: {result.best}; algorithmic causes: {result.causes}")


PARTS = ("fig3", "g1", "g2")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("parts", nargs="*", metavar="PART", help="fig3, g1 and/or g2 (default: all)")
    parser.add_argument("--seeds", type=int, default=10, help="seeds per G.1 truth (default 10)")
    parser.add_argument("--setup", choices=["text", "code", "both"], default="both")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    unknown = [p for p in args.parts if p not in PARTS]
    if unknown:
        parser.error(f"unknown part {unknown[0]!r}; choose from {', '.join(PARTS)}")
    setups = ["text", "code"] if args.setup == "both" else [args.setup]
    for part in args.parts or ["fig3", "g1", "g2"]:
        {"fig3": fig3, "g1": lambda: g1(args.seeds, setups), "g2": g2}[part]()
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
